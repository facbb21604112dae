"""The reference and demo data loaders: complete, valid, bilingual and idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command

from socialdesk.accounts.models import User
from socialdesk.core.demo import (
    SERVICE_TYPES,
    DemoDataError,
    load_demo_data,
    load_reference_data,
)
from socialdesk.core.models import (
    UNIT_ROLES,
    District,
    DistrictOffice,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    ServiceType,
    ServiceUnit,
)

PASSWORD = "Demo-password-2026"
MODELS = (
    DistrictOffice,
    District,
    ServiceType,
    Organisation,
    ServiceUnit,
    User,
    Membership,
    LogEntry,
)


def _counts() -> dict[str, int]:
    """Row counts of every table the loaders write, audit log included."""
    return {model.__name__: model._default_manager.count() for model in MODELS}


def _snapshot() -> dict[str, list[tuple[object, ...]]]:
    """Every row the loaders write, with its modification time where it has one."""
    return {
        "offices": list(DistrictOffice.objects.values_list("code", "updated_at")),
        "districts": list(District.objects.values_list("code", "updated_at")),
        "types": list(ServiceType.objects.values_list("code", "updated_at")),
        "organisations": list(Organisation.objects.values_list("code", "updated_at", "version")),
        "units": list(ServiceUnit.objects.values_list("code", "updated_at", "version")),
        "users": list(User.objects.values_list("username", "password")),
        "memberships": list(Membership.objects.values_list("pk", "updated_at")),
    }


@pytest.mark.django_db
def test_reference_data_has_18_districts_and_11_offices() -> None:
    """The reference loader reports and creates 18 districts, 11 offices, 8 service types."""
    counts = load_reference_data()
    assert counts == {"district_offices": 11, "districts": 18, "service_types": len(SERVICE_TYPES)}
    assert District.objects.count() == 18
    assert DistrictOffice.objects.count() == 11
    assert ServiceType.objects.count() == 8


@pytest.mark.django_db
def test_every_office_covers_one_to_three_districts_and_every_district_has_an_office() -> None:
    """Each DSWO covers 1 to 3 districts and no district is left without one."""
    load_reference_data()
    assert not District.objects.filter(district_office__isnull=True).exists()
    for office in DistrictOffice.objects.all():
        assert 1 <= office.districts.count() <= 3, office.code
    assert sorted(
        District.objects.filter(
            district_office__code="central-western-southern-islands"
        ).values_list("code", flat=True)
    ) == ["central-western", "islands", "southern"]


@pytest.mark.django_db
def test_regions_split_5_4_9_by_district() -> None:
    """Districts per region: 4 on Hong Kong Island, 5 in Kowloon, 9 in the New Territories."""
    load_reference_data()
    by_region = {
        region: District.objects.filter(region=region).count()
        for region in ("hk_island", "kowloon", "new_territories")
    }
    assert by_region == {"hk_island": 4, "kowloon": 5, "new_territories": 9}


@pytest.mark.django_db
def test_names_in_both_languages() -> None:
    """Every loaded name has Chinese and English text; units have addresses and landlines."""
    load_demo_data(password=PASSWORD)
    for model in (DistrictOffice, District, ServiceType, Organisation, ServiceUnit):
        for obj in model._default_manager.all():
            assert obj.name_zh.strip() and obj.name_en.strip(), obj
            assert obj.name_zh != obj.name_en, obj
    for unit in ServiceUnit.objects.all():
        assert unit.address_zh and unit.address_en, unit.code
        assert len(unit.phone) == 8 and unit.phone.isdigit() and unit.phone[0] in "23", unit.code
    for user in User.objects.filter(is_demo=True):
        assert user.display_name_zh and user.first_name and user.last_name, user.username


@pytest.mark.django_db
def test_demo_units_cover_every_service_type_and_swd_runs_ifscs() -> None:
    """Demo units use every service type, spread over districts; SWD runs two IFSCs."""
    load_demo_data(password=PASSWORD)
    used = set(ServiceUnit.objects.values_list("service_type__code", flat=True))
    assert used == {code for code, *_ in SERVICE_TYPES}
    assert Organisation.objects.filter(kind=OrganisationKind.NGO).count() == 5
    swd_units = ServiceUnit.objects.filter(organisation__code="swd")
    assert swd_units.count() == 2
    assert set(swd_units.values_list("service_type__code", flat=True)) == {"ifsc"}
    assert ServiceUnit.objects.values("district").distinct().count() >= 10


@pytest.mark.django_db
def test_every_role_has_a_demo_user_with_a_valid_membership() -> None:
    """Each role has a demo user whose membership passes model validation."""
    logins = load_demo_data(password=PASSWORD)
    memberships = Membership.objects.filter(user__is_demo=True).select_related(
        "user", "organisation", "service_unit"
    )
    assert {m.role for m in memberships} == set(Role.values)
    for membership in memberships:
        membership.full_clean()
        assert (membership.service_unit is not None) == (membership.role in UNIT_ROLES)
    assert {login.username for login in logins} == set(
        User.objects.filter(is_demo=True).values_list("username", flat=True)
    )
    for login in logins:
        user = User.objects.get(username=login.username)
        assert user.check_password(PASSWORD)
        assert user.email == f"{login.username}@demo.socialdesk.invalid"
        assert user.preferred_language == "zh-hant"
        assert not user.is_superuser


@pytest.mark.django_db
def test_scoping_users() -> None:
    """worker and supervisor share a unit; worker2 is in another NGO; only sysadmin is staff."""
    load_demo_data(password=PASSWORD)
    worker = Membership.objects.get(user__username="worker")
    supervisor = Membership.objects.get(user__username="supervisor")
    worker2 = Membership.objects.get(user__username="worker2")
    assert worker.service_unit is not None and worker2.service_unit is not None
    assert worker.service_unit == supervisor.service_unit
    assert worker.service_unit.service_type.code == "ifsc"
    assert worker2.organisation.code == "ees"
    assert worker2.service_unit.service_type.code == "decc"
    assert worker2.organisation != worker.organisation
    assert User.objects.get(username="sysadmin").is_staff
    assert not User.objects.get(username="worker").is_staff


@pytest.mark.django_db
def test_loading_twice_changes_nothing() -> None:
    """A second run creates no rows and saves none (timestamps and hashes unchanged)."""
    load_demo_data(password=PASSWORD)
    counts, snapshot = _counts(), _snapshot()
    load_reference_data()
    load_demo_data(password=PASSWORD)
    assert _counts() == counts
    assert _snapshot() == snapshot


@pytest.mark.django_db
def test_rerun_repairs_edits_and_changes_password() -> None:
    """A rerun restores edited reference data and memberships and applies a new password."""
    load_demo_data(password=PASSWORD)
    District.objects.filter(code="sha-tin").update(name_en="Shatin")
    Membership.objects.filter(user__username="worker").update(is_active=False)
    load_demo_data(password="Another-password-2026")
    assert District.objects.get(code="sha-tin").name_en == "Sha Tin"
    assert Membership.objects.get(user__username="worker").is_active
    assert User.objects.get(username="worker").check_password("Another-password-2026")


@pytest.mark.django_db
def test_refuses_to_overwrite_a_real_account() -> None:
    """A real account with a demo username is left alone and nothing is loaded."""
    User.objects.create_user(username="worker", password="Real-password-2026")
    with pytest.raises(DemoDataError):
        load_demo_data(password=PASSWORD)
    assert User.objects.get(username="worker").check_password("Real-password-2026")
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_command_prints_logins_and_reference_only_loads_no_users() -> None:
    """The command loads reference data only on request and prints the logins table."""
    out = StringIO()
    call_command("load_demo_data", "--reference-only", stdout=out)
    assert District.objects.count() == 18
    assert not User.objects.exists()

    out = StringIO()
    call_command("load_demo_data", "--password", PASSWORD, stdout=out)
    text = out.getvalue()
    assert "Demo logins" in text
    assert "sysadmin" in text and PASSWORD in text
    assert "Kai Ching Social Service Sha Tin Integrated Family Service Centre" in text
