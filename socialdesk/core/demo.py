"""Reference data (districts, District Social Welfare Offices, service types) and bilingual demo
data (fictional NGOs, service units and one demo login per role).

Both loaders are idempotent: records are matched by code or username, a field is written only when
its value differs, and a second run changes nothing. The district tables live in `data/` as CSV so
the repository does not depend on anything outside it at run time.

All NGOs, unit names, street addresses and telephone numbers below are fictional.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import models, transaction
from django.utils.functional import Promise

from socialdesk.accounts.models import User

from .models import (
    District,
    DistrictOffice,
    Membership,
    Organisation,
    OrganisationKind,
    Region,
    Role,
    ServiceCategory,
    ServiceType,
    ServiceUnit,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_EMAIL_DOMAIN = "demo.socialdesk.invalid"


class DemoDataError(Exception):
    """The data files are inconsistent, or loading would overwrite a real (non-demo) account."""


@dataclass(frozen=True)
class DemoLogin:
    """One demo account as shown to whoever runs the loader."""

    username: str
    password: str
    role: str | Promise
    organisation: str
    unit: str = ""


# --- Reference data ------------------------------------------------------------------------------

# (code, abbreviation, name_zh, name_en, category, holds_personal_data)
SERVICE_TYPES: tuple[tuple[str, str, str, str, str, bool], ...] = (
    (
        "ifsc",
        "IFSC",
        "綜合家庭服務中心",
        "Integrated Family Service Centre",
        ServiceCategory.FAMILY_CHILD,
        True,
    ),
    (
        "icysc",
        "ICYSC",
        "綜合青少年服務中心",
        "Integrated Children and Youth Services Centre",
        ServiceCategory.YOUTH,
        True,
    ),
    (
        "decc",
        "DECC",
        "長者地區中心",
        "District Elderly Community Centre",
        ServiceCategory.ELDERLY,
        True,
    ),
    ("nec", "NEC", "長者鄰舍中心", "Neighbourhood Elderly Centre", ServiceCategory.ELDERLY, True),
    (
        "rche",
        "RCHE",
        "安老院",
        "Residential Care Home for the Elderly",
        ServiceCategory.ELDERLY,
        True,
    ),
    (
        "rchd",
        "RCHD",
        "殘疾人士院舍",
        "Residential Care Home for Persons with Disabilities",
        ServiceCategory.REHABILITATION,
        True,
    ),
    ("ssw", "SSW", "學校社會工作", "School Social Work", ServiceCategory.YOUTH, True),
    (
        "ccsv",
        "CCSV",
        "社區照顧服務券",
        "Community Care Service Voucher",
        ServiceCategory.ELDERLY,
        True,
    ),
)


def _read_csv(name: str) -> list[dict[str, str]]:
    """Rows of a CSV file in `data/`, as dicts with surrounding whitespace stripped."""
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        return [
            {key.strip(): (value or "").strip() for key, value in row.items()}
            for row in csv.DictReader(handle)
        ]


def _sync[M: models.Model](
    model: type[M], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[M, bool]:
    """Create the row matching `lookup` with `values`, or update only the fields whose value
    differs (so an unchanged row is not saved at all). Returns the row and whether it is new."""
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        return model._default_manager.create(**lookup, **values), True
    changed: list[str] = []
    for name, value in values.items():
        field = model._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            current = getattr(obj, field.attname)
            wanted = value.pk if value is not None else None
        else:
            current = getattr(obj, name)
            wanted = value
        if current != wanted:
            setattr(obj, name, value)
            changed.append(name)
    if changed:
        if any(f.name == "updated_at" for f in model._meta.concrete_fields):
            changed.append("updated_at")
        obj.save(update_fields=changed)
    return obj, False


@transaction.atomic
def load_reference_data() -> dict[str, int]:
    """Load the 11 District Social Welfare Offices, the 18 districts and the service types.

    Returns how many of each the data defines: keys `district_offices`, `districts`,
    `service_types`."""
    offices: dict[str, DistrictOffice] = {}
    for row in _read_csv("district_offices.csv"):
        offices[row["code"]], _ = _sync(
            DistrictOffice,
            {"code": row["code"]},
            {"name_zh": row["name_zh"], "name_en": row["name_en"]},
        )

    regions = set(Region.values)
    district_rows = _read_csv("districts.csv")
    for row in district_rows:
        if row["region"] not in regions:
            raise DemoDataError(f"District {row['code']}: unknown region {row['region']!r}.")
        if row["district_office"] not in offices:
            raise DemoDataError(
                f"District {row['code']}: unknown district office {row['district_office']!r}."
            )
        _sync(
            District,
            {"code": row["code"]},
            {
                "name_zh": row["name_zh"],
                "name_en": row["name_en"],
                "region": row["region"],
                "district_office": offices[row["district_office"]],
            },
        )

    for code, abbreviation, name_zh, name_en, category, holds_personal_data in SERVICE_TYPES:
        _sync(
            ServiceType,
            {"code": code},
            {
                "abbreviation": abbreviation,
                "name_zh": name_zh,
                "name_en": name_en,
                "category": str(category),
                "holds_personal_data": holds_personal_data,
            },
        )

    return {
        "district_offices": len(offices),
        "districts": len(district_rows),
        "service_types": len(SERVICE_TYPES),
    }


# --- Demo data -----------------------------------------------------------------------------------

# (code, kind, name_zh, name_en). The NGOs are fictional.
ORGANISATIONS: tuple[tuple[str, str, str, str], ...] = (
    ("swd", OrganisationKind.SWD, "社會福利署", "Social Welfare Department"),
    ("kcss", OrganisationKind.NGO, "啟晴社會服務", "Kai Ching Social Service"),
    ("cfa", OrganisationKind.NGO, "同行家庭協會", "Companion Family Association"),
    ("ees", OrganisationKind.NGO, "松柏長者服務會", "Evergreen Elderly Services"),
    ("syn", OrganisationKind.NGO, "青苗青年網絡", "Seedling Youth Network"),
    ("pmrs", OrganisationKind.NGO, "安心復康會", "Peace of Mind Rehabilitation Society"),
)


@dataclass(frozen=True)
class _UnitSpec:
    code: str
    organisation: str
    service_type: str
    district: str
    name_zh: str
    name_en: str
    address_zh: str
    address_en: str
    phone: str


SERVICE_UNITS: tuple[_UnitSpec, ...] = (
    _UnitSpec(
        "kcss-ifsc-sha-tin", "kcss", "ifsc", "sha-tin",
        "啟晴社會服務沙田綜合家庭服務中心",
        "Kai Ching Social Service Sha Tin Integrated Family Service Centre",
        "沙田晴川街12號晴川中心3樓",
        "3/F, Ching Chuen Centre, 12 Ching Chuen Street, Sha Tin",
        "26910012",
    ),
    _UnitSpec(
        "kcss-icysc-tai-po", "kcss", "icysc", "tai-po",
        "啟晴社會服務大埔綜合青少年服務中心",
        "Kai Ching Social Service Tai Po Integrated Children and Youth Services Centre",
        "大埔榕蔭路8號榕蔭大廈地下",
        "G/F, Yung Yam Building, 8 Yung Yam Road, Tai Po",
        "26580808",
    ),
    _UnitSpec(
        "kcss-nec-sai-kung", "kcss", "nec", "sai-kung",
        "啟晴社會服務西貢長者鄰舍中心",
        "Kai Ching Social Service Sai Kung Neighbourhood Elderly Centre",
        "西貢海逸街5號海逸樓1樓",
        "1/F, Hoi Yat House, 5 Hoi Yat Street, Sai Kung",
        "27920505",
    ),
    _UnitSpec(
        "cfa-ifsc-kwun-tong", "cfa", "ifsc", "kwun-tong",
        "同行家庭協會觀塘綜合家庭服務中心",
        "Companion Family Association Kwun Tong Integrated Family Service Centre",
        "觀塘同和坊23號同心大廈5樓",
        "5/F, Tung Sum Building, 23 Tung Wo Lane, Kwun Tong",
        "23430023",
    ),
    _UnitSpec(
        "cfa-icysc-sham-shui-po", "cfa", "icysc", "sham-shui-po",
        "同行家庭協會深水埗綜合青少年服務中心",
        "Companion Family Association Sham Shui Po Integrated Children and Youth Services Centre",
        "深水埗長榮街41號長榮商業大廈2樓",
        "2/F, Cheung Wing Commercial Building, 41 Cheung Wing Street, Sham Shui Po",
        "27290041",
    ),
    _UnitSpec(
        "cfa-ssw-wong-tai-sin", "cfa", "ssw", "wong-tai-sin",
        "同行家庭協會黃大仙學校社會工作隊",
        "Companion Family Association Wong Tai Sin School Social Work Team",
        "黃大仙鳳祥道16號鳳祥樓地下",
        "G/F, Fung Cheung House, 16 Fung Cheung Road, Wong Tai Sin",
        "23200016",
    ),
    _UnitSpec(
        "ees-decc-yau-tsim-mong", "ees", "decc", "yau-tsim-mong",
        "松柏長者服務會油尖旺長者地區中心",
        "Evergreen Elderly Services Yau Tsim Mong District Elderly Community Centre",
        "油麻地松柏里9號松柏大廈1樓",
        "1/F, Chung Pak Building, 9 Chung Pak Lane, Yau Ma Tei",
        "23850009",
    ),
    _UnitSpec(
        "ees-nec-eastern", "ees", "nec", "eastern",
        "松柏長者服務會東區長者鄰舍中心",
        "Evergreen Elderly Services Eastern Neighbourhood Elderly Centre",
        "筲箕灣安康街30號安康樓地下",
        "G/F, On Hong House, 30 On Hong Street, Shau Kei Wan",
        "25600030",
    ),
    _UnitSpec(
        "ees-rche-tuen-mun", "ees", "rche", "tuen-mun",
        "松柏長者服務會屯門安老院",
        "Evergreen Elderly Services Tuen Mun Residential Care Home for the Elderly",
        "屯門頌恩路3號頌恩苑",
        "Chung Yan Court, 3 Chung Yan Road, Tuen Mun",
        "24580003",
    ),
    _UnitSpec(
        "ees-ccsv-kowloon-city", "ees", "ccsv", "kowloon-city",
        "松柏長者服務會九龍城社區照顧服務券服務隊",
        "Evergreen Elderly Services Kowloon City Community Care Service Voucher Team",
        "土瓜灣祥和街52號祥和商業中心8樓",
        "8/F, Cheung Wo Commercial Centre, 52 Cheung Wo Street, To Kwa Wan",
        "27150052",
    ),
    _UnitSpec(
        "syn-icysc-yuen-long", "syn", "icysc", "yuen-long",
        "青苗青年網絡元朗綜合青少年服務中心",
        "Seedling Youth Network Yuen Long Integrated Children and Youth Services Centre",
        "元朗青苗路18號青苗中心2樓",
        "2/F, Ching Miu Centre, 18 Ching Miu Road, Yuen Long",
        "24780018",
    ),
    _UnitSpec(
        "syn-ssw-tsuen-wan", "syn", "ssw", "tsuen-wan",
        "青苗青年網絡荃灣學校社會工作隊",
        "Seedling Youth Network Tsuen Wan School Social Work Team",
        "荃灣綠楊街27號綠楊商業大廈6樓",
        "6/F, Luk Yeung Commercial Building, 27 Luk Yeung Street, Tsuen Wan",
        "24160027",
    ),
    _UnitSpec(
        "pmrs-rchd-kwai-tsing", "pmrs", "rchd", "kwai-tsing",
        "安心復康會葵青殘疾人士院舍",
        "Peace of Mind Rehabilitation Society Kwai Tsing Residential Care Home for Persons with "
        "Disabilities",
        "葵涌安寧路11號安寧樓",
        "On Ning House, 11 On Ning Road, Kwai Chung",
        "36520011",
    ),
    _UnitSpec(
        "pmrs-rchd-southern", "pmrs", "rchd", "southern",
        "安心復康會南區殘疾人士院舍",
        "Peace of Mind Rehabilitation Society Southern Residential Care Home for Persons with "
        "Disabilities",
        "香港仔海旭道7號海旭樓",
        "Hoi Yuk House, 7 Hoi Yuk Road, Aberdeen",
        "25520007",
    ),
    _UnitSpec(
        "swd-ifsc-wan-chai", "swd", "ifsc", "wan-chai",
        "社會福利署灣仔綜合家庭服務中心",
        "Social Welfare Department Wan Chai Integrated Family Service Centre",
        "灣仔福善街20號福善大樓4樓",
        "4/F, Fuk Sin Building, 20 Fuk Sin Street, Wan Chai",
        "28350020",
    ),
    _UnitSpec(
        "swd-ifsc-north", "swd", "ifsc", "north",
        "社會福利署北區綜合家庭服務中心",
        "Social Welfare Department North Integrated Family Service Centre",
        "上水彩盈街15號彩盈政府合署3樓",
        "3/F, Choi Ying Government Offices, 15 Choi Ying Street, Sheung Shui",
        "36390015",
    ),
)  # fmt: skip


@dataclass(frozen=True)
class _UserSpec:
    username: str
    first_name: str
    last_name: str
    display_name_zh: str
    role: Role
    organisation: str
    unit: str | None = None
    is_staff: bool = False


DEMO_USERS: tuple[_UserSpec, ...] = (
    _UserSpec(
        "worker", "Ka Yan", "Chan", "陳嘉欣", Role.FRONTLINE_WORKER, "kcss", "kcss-ifsc-sha-tin"
    ),
    _UserSpec(
        "supervisor", "Wai Man", "Lee", "李偉文", Role.UNIT_SUPERVISOR, "kcss", "kcss-ifsc-sha-tin"
    ),
    _UserSpec("agencyadmin", "Mei Ling", "Wong", "黃美玲", Role.AGENCY_ADMIN, "kcss"),
    _UserSpec("finance", "Chi Keung", "Lau", "劉志強", Role.AGENCY_FINANCE, "kcss"),
    _UserSpec("privacy", "Siu Fong", "Cheung", "張小芳", Role.PRIVACY_OFFICER, "kcss"),
    _UserSpec("swdofficer", "Ho Yin", "Ng", "吳浩然", Role.SWD_SUBVENTIONS, "swd"),
    _UserSpec("sysadmin", "Tsz Hin", "Leung", "梁子軒", Role.SYSTEM_ADMIN, "swd", is_staff=True),
    # A frontline worker in another NGO, to show that each sees only their own unit's records.
    _UserSpec(
        "worker2",
        "Hoi Ching",
        "Ho",
        "何凱晴",
        Role.FRONTLINE_WORKER,
        "ees",
        "ees-decc-yau-tsim-mong",
    ),
)


def _sync_demo_user(spec: _UserSpec, password: str) -> User:
    """Create or update one demo user; the password is hashed only when it would change."""
    values: dict[str, Any] = {
        "first_name": spec.first_name,
        "last_name": spec.last_name,
        "display_name_zh": spec.display_name_zh,
        "email": f"{spec.username}@{DEMO_EMAIL_DOMAIN}",
        "preferred_language": "zh-hant",
        "is_demo": True,
        "is_active": True,
        "is_staff": spec.is_staff,
        "is_superuser": False,
    }
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = User(username=spec.username, **values)
        user.set_password(password)
        user.save()
        return user
    if not user.is_demo:
        raise DemoDataError(
            f"User {spec.username!r} exists and is not a demo account; refusing to overwrite it."
        )
    changed = [name for name, value in values.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, values[name])
    if not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save(update_fields=changed)
    return user


def _sync_membership(
    user: User, organisation: Organisation, unit: ServiceUnit | None, role: Role
) -> Membership:
    """Ensure the user holds `role` in the organisation (and unit), validated before saving."""
    membership = Membership.objects.filter(
        user=user, organisation=organisation, service_unit=unit, role=role
    ).first()
    if membership is None:
        membership = Membership(user=user, organisation=organisation, service_unit=unit, role=role)
    elif membership.is_active:
        return membership
    membership.is_active = True
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def load_demo_data(*, password: str) -> list[DemoLogin]:
    """Load the reference data, then the demo organisations, service units, users and memberships.

    Every demo user gets `password`. Returns one DemoLogin per demo user, with organisation and
    unit names in the active language. Raises DemoDataError rather than overwrite a real account
    that happens to have a demo username."""
    if not password:
        raise DemoDataError("A demo password is required.")
    load_reference_data()

    organisations: dict[str, Organisation] = {}
    for code, kind, name_zh, name_en in ORGANISATIONS:
        organisations[code], _ = _sync(
            Organisation,
            {"code": code},
            {"kind": str(kind), "name_zh": name_zh, "name_en": name_en, "is_active": True},
        )

    service_types = {t.code: t for t in ServiceType.objects.all()}
    districts = {d.code: d for d in District.objects.all()}
    units: dict[str, ServiceUnit] = {}
    for spec in SERVICE_UNITS:
        units[spec.code], _ = _sync(
            ServiceUnit,
            {"code": spec.code},
            {
                "organisation": organisations[spec.organisation],
                "service_type": service_types[spec.service_type],
                "district": districts[spec.district],
                "name_zh": spec.name_zh,
                "name_en": spec.name_en,
                "address_zh": spec.address_zh,
                "address_en": spec.address_en,
                "phone": spec.phone,
                "is_active": True,
            },
        )

    logins: list[DemoLogin] = []
    for user_spec in DEMO_USERS:
        user = _sync_demo_user(user_spec, password)
        organisation = organisations[user_spec.organisation]
        unit = units[user_spec.unit] if user_spec.unit else None
        _sync_membership(user, organisation, unit, user_spec.role)
        logins.append(
            DemoLogin(
                username=user.username,
                password=password,
                role=Role(user_spec.role).label,
                organisation=organisation.name,
                unit=unit.name if unit else "",
            )
        )
    return logins
