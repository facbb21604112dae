"""Service-performance benchmark: a whole quarter's returns ingested at once, the sector and
agency dashboards, and one unit's Excel upload, over a synthetic (fictional) sector.

Data set. BENCH_PERFORMANCE_AGENCIES (170) agencies with BENCH_PERFORMANCE_UNITS (2,000) service
units over the demo service types and the 18 districts (a few large agencies, many small ones).
Each service type has one quarterly return template of 30 indicators: mostly counts summed over
the year (two with a sex breakdown), hours, five percentages and two counts judged by the latest
quarter, an average; two compare rules that are errors, a compare warning and an outlier warning
on the first figure. Every unit has an FSA with agreed levels for 2023-24, 2024-25 and 2025-26,
and accepted returns for every quarter from 2023-24 Q1 to 2025-26 Q3 (with their submitted,
endorsed and accepted events); attainment and alerts are computed by the application for each
year. In each year about one unit in twelve runs behind on some standards.

Staff. `bench-perf-swd` (SWD subventions officer), one agency administrator per agency
(`bench-perf-admin-NNN`) and one supervisor per unit (`bench-perf-sup-NNNN`).

Measured.
- quarter_ingest_s: `period_ingest` of 2025-26 Q4 for every unit (checked, stored, submitted,
  attainment and alerts recomputed: the quarter that turns "forecast to miss" into "below
  standard"); one unit in a hundred sends an outlier with a comment. Before the timing, that
  quarter's returns are deleted, the alerts and notifications put back as they were after
  generation (so every run does the same work) and the tables vacuumed and analysed, as
  autovacuum would (the benchmark server may run without it); the same before the dashboards.
  Also reported: the ingest's CPU time in this process and its number of queries, which a
  busy machine disturbs less than the elapsed time.
- sector_dashboard_p95_ms / agency_dashboard_p95_ms: BENCH_PERFORMANCE_DASHBOARD_CALLS (60)
  calls of each selector for 2025-26, as the SWD officer with different filters (none, each
  service type, district, agency, standard) and as the administrators of different agencies
  (their roles looked up again each call, as on a fresh request).
- excel_upload_s: median of 5 units' Excel round trips on a new 2025-26 Q4 draft:
  `workbook_for_return`, the value cells filled in with openpyxl, `return_upload`.
BENCH_PERFORMANCE_PROFILE=1 also runs the ingest once more under cProfile and prints where its
time goes and how many queries it makes.

Reuse. On PostgreSQL, DATABASE_URL must name a dedicated benchmark database (its name containing
"bench"): generating deletes every performance record of the bench units (code prefix
`bench-perf-`) and the bench definitions, and nothing else. Table `bench_performance_dataset`
records the size and a fingerprint of what was loaded; when they match, the data set is reused.
BENCH_PERFORMANCE_REGENERATE=1 forces a new load.
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import statistics
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any, Final

from bench._timing import percentile

PREFIX: Final = "bench-perf"
SEED: Final = 20260401
LOADER_VERSION: Final = 1
MARKER_TABLE: Final = "bench_performance_dataset"
ALERTS_TABLE: Final = "bench_performance_alerts"
YEARS: Final = (2023, 2024, 2025)
MEASURED_YEAR: Final = 2025
MEASURED_QUARTER: Final = 4
TODAY: Final = date(2026, 5, 31)  # the dashboards' "today": 2025-26 Q4 is past its grace period
INDICATORS: Final = 30
BEHIND_RATE: Final = 0.08
OUTLIER_RATE: Final = 0.01
EXCEL_UPLOADS: Final = 5
CHUNK: Final = 20_000
GOALS: Final = {
    "quarter_ingest_s": 10.0,
    "sector_dashboard_p95_ms": 200.0,
    "agency_dashboard_p95_ms": 200.0,
    "excel_upload_s": 1.0,
}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "").replace(",", "")
    return int(raw) if raw else default


# --- The indicators of every synthetic template -------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """One of the 30 indicators of each template, by position: how it is measured and judged,
    and its size (a quarter's count for a unit of scale 1, or the level of a percentage)."""

    position: int
    name: str
    kind: str
    measure: str
    aggregation: str
    direction: str
    base: float
    places: int = 0
    breakdown: bool = False


def _specs() -> list[_Spec]:
    out: list[_Spec] = [
        _Spec(0, "service users served", "OS", "count", "sum", "at_least", 120, breakdown=True),
        _Spec(1, "new cases", "OS", "count", "sum", "at_least", 40),
        _Spec(2, "programme sessions", "OS", "count", "sum", "at_least", 60),
        _Spec(3, "sessions with carers", "OS", "count", "sum", "at_least", 30),
    ]
    for position in range(4, 20):
        kind = "ST" if position % 3 == 0 else "OS"
        base = 10 + (position * 37) % 190
        name = f"activity {position}"
        out.append(
            _Spec(position, name, kind, "count", "sum", "at_least", base, breakdown=position == 5)
        )
    out += [
        _Spec(20, "outreach hours", "OS", "hours", "sum", "at_least", 200),
        _Spec(21, "volunteer hours", "ST", "hours", "sum", "at_least", 80),
    ]
    for position in range(22, 27):
        name = f"outcome {position - 21} achieved (%)"
        level = 70 + 3 * (position - 22)
        out.append(_Spec(position, name, "OC", "percent", "latest", "at_least", level, places=1))
    out += [
        _Spec(27, "places filled at quarter end", "OS", "count", "latest", "at_least", 60),
        _Spec(28, "waiting list at quarter end", "OS", "count", "latest", "at_most", 40),
        _Spec(29, "average days waited", "OC", "days", "average", "at_most", 30, places=1),
    ]
    assert len(out) == INDICATORS
    return out


SPECS: Final = _specs()
BEHIND_ON: Final = frozenset({0, 2, 6, 9, 13, 22, 27})  # the standards a unit behind misses
SEX: Final = (("F", "女", "Female"), ("M", "男", "Male"))
EVENT_COLUMNS: Final = [
    "id",
    "statistical_return_id",
    "action",
    "actor_id",
    "channel",
    "at",
    "changes",
]


def _code(type_code: str, position: int) -> str:
    return f"{PREFIX}-{type_code}-{position:02d}"


# --- The world: agencies, units and staff -------------------------------------------------


@dataclass(frozen=True)
class Unit:
    pk: int
    index: int
    code: str
    organisation_id: int
    type_code: str
    scale: float


@dataclass
class World:
    """The bench's units and staff (ids), created once per database and reused."""

    units: list[Unit]
    organisation_ids: list[int]  # the agencies, in code order
    swd: Any
    admins: dict[int, int]  # organisation id → its administrator's user id
    supervisors: dict[int, int]  # unit id → its supervisor's user id
    type_ids: dict[str, int]
    district_ids: list[int]


def _layout(agencies: int, units: int, districts: int) -> list[tuple[int, int, float]]:
    """For each unit: its agency's position, its district's position and its size. Every agency
    has a unit; the rest go to agencies by a long tail (a few agencies run a hundred units)."""
    rng = random.Random(f"{SEED}/layout")  # noqa: S311
    weights = [1 / (rank + 1) ** 0.9 for rank in range(agencies)]
    out = []
    for n in range(units):
        agency = n if n < agencies else rng.choices(range(agencies), weights=weights)[0]
        out.append((agency, rng.randrange(districts), round(rng.uniform(0.5, 2.0), 3)))
    return out


def _world(agencies: int, units: int) -> World:
    """Create (or find) the agencies, units and staff, in bulk."""
    from django.contrib.auth.hashers import make_password

    from socialdesk.accounts.models import User
    from socialdesk.core.demo import SERVICE_TYPES, load_reference_data
    from socialdesk.core.models import (
        District,
        Membership,
        Organisation,
        OrganisationKind,
        Role,
        ServiceType,
        ServiceUnit,
    )

    load_reference_data()
    type_codes = [row[0] for row in SERVICE_TYPES]
    type_ids = dict(ServiceType.objects.filter(code__in=type_codes).values_list("code", "pk"))
    district_ids = list(District.objects.order_by("code").values_list("pk", flat=True))
    Organisation.objects.bulk_create(
        [
            Organisation(
                code=f"{PREFIX}-swd",
                kind=OrganisationKind.SWD,
                name_zh="基準測試社署",
                name_en="Bench SWD",
            ),
            *(
                Organisation(
                    code=f"{PREFIX}-ngo-{n:03d}",
                    kind=OrganisationKind.NGO,
                    name_zh=f"基準測試機構{n:03d}",
                    name_en=f"Bench Agency {n:03d}",
                )
                for n in range(agencies)
            ),
        ],
        ignore_conflicts=True,
    )
    organisations = dict(
        Organisation.objects.filter(code__startswith=f"{PREFIX}-").values_list("code", "pk")
    )
    agency_ids = [organisations[f"{PREFIX}-ngo-{n:03d}"] for n in range(agencies)]
    layout = _layout(agencies, units, len(district_ids))
    wanted = {
        f"{PREFIX}-unit-{n:04d}": (
            agency_ids[agency],
            type_ids[type_codes[n % len(type_codes)]],
            district_ids[district],
        )
        for n, (agency, district, _scale) in enumerate(layout)
    }
    ServiceUnit.objects.bulk_create(
        [
            ServiceUnit(
                code=code,
                organisation_id=organisation_id,
                service_type_id=type_id,
                district_id=district_id,
                name_zh=f"基準測試單位{code[-4:]}",
                name_en=f"Bench Unit {code[-4:]}",
            )
            for code, (organisation_id, type_id, district_id) in wanted.items()
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    found = {
        unit.code: unit
        for unit in ServiceUnit.objects.filter(code__in=list(wanted)).only(
            "pk", "code", "organisation_id", "service_type_id", "district_id"
        )
    }
    moved = []
    for code, (organisation_id, type_id, district_id) in wanted.items():
        unit = found[code]
        if (unit.organisation_id, unit.service_type_id, unit.district_id) != (
            organisation_id,
            type_id,
            district_id,
        ):
            unit.organisation_id, unit.service_type_id = organisation_id, type_id
            unit.district_id = district_id
            moved.append(unit)
    ServiceUnit.objects.bulk_update(
        moved, ["organisation_id", "service_type_id", "district_id"], batch_size=1000
    )

    usernames = [f"{PREFIX}-swd"]
    usernames += [f"{PREFIX}-admin-{n:03d}" for n in range(agencies)]
    usernames += [f"{PREFIX}-sup-{n:04d}" for n in range(units)]
    User.objects.bulk_create(
        [
            User(
                username=name,
                password=make_password(None),
                first_name="Bench",
                last_name=name,
                preferred_language="en",
            )
            for name in usernames
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )
    users = dict(User.objects.filter(username__in=usernames).values_list("username", "pk"))
    units_by_index = [found[f"{PREFIX}-unit-{n:04d}"] for n in range(units)]
    memberships = [
        Membership(
            user_id=users[f"{PREFIX}-swd"],
            organisation_id=organisations[f"{PREFIX}-swd"],
            role=Role.SWD_SUBVENTIONS,
        ),
        *(
            Membership(
                user_id=users[f"{PREFIX}-admin-{n:03d}"],
                organisation_id=agency_ids[n],
                role=Role.AGENCY_ADMIN,
            )
            for n in range(agencies)
        ),
        *(
            Membership(
                user_id=users[f"{PREFIX}-sup-{n:04d}"],
                organisation_id=unit.organisation_id,
                service_unit_id=unit.pk,
                role=Role.UNIT_SUPERVISOR,
            )
            for n, unit in enumerate(units_by_index)
        ),
    ]
    Membership.objects.bulk_create(memberships, batch_size=1000, ignore_conflicts=True)
    type_of = {pk: code for code, pk in type_ids.items()}
    return World(
        units=[
            Unit(
                pk=unit.pk,
                index=n,
                code=unit.code,
                organisation_id=unit.organisation_id,
                type_code=type_of[unit.service_type_id],
                scale=layout[n][2],
            )
            for n, unit in enumerate(units_by_index)
        ],
        organisation_ids=agency_ids,
        swd=User.objects.get(pk=users[f"{PREFIX}-swd"]),
        admins={agency_ids[n]: users[f"{PREFIX}-admin-{n:03d}"] for n in range(agencies)},
        supervisors={
            unit.pk: users[f"{PREFIX}-sup-{n:04d}"] for n, unit in enumerate(units_by_index)
        },
        type_ids=type_ids,
        district_ids=district_ids,
    )


# --- Figures -------------------------------------------------------------------------------


def _behind(unit: Unit, year: int) -> bool:
    return random.Random(f"{SEED}/behind/{unit.index}/{year}").random() < BEHIND_RATE  # noqa: S311


def _levels(unit: Unit, year: int) -> list[float]:
    """The agreed level of each standard of the unit's FSA for the year."""
    growth = 1 + 0.02 * (year - YEARS[0])
    out = []
    for spec in SPECS:
        if spec.aggregation == "sum":
            out.append(float(round(spec.base * unit.scale * 4 * growth)))
        elif spec.measure in ("percent", "days"):
            out.append(spec.base)
        else:
            out.append(float(max(1, round(spec.base * unit.scale))))
    return out


def _number(value: float, places: int) -> str:
    return f"{value:.{places}f}"


def _quarter_figures(
    unit: Unit, year: int, quarter: int, levels: Sequence[float]
) -> list[tuple[int, str, str]]:
    """The unit's figures for one quarter, (position, category, value), within every rule."""
    rng = random.Random(f"{SEED}/figures/{unit.index}/{year}/{quarter}")  # noqa: S311
    behind = _behind(unit, year)
    values: list[float] = []
    for spec, level in zip(SPECS, levels, strict=True):
        slow = behind and spec.position in BEHIND_ON
        if spec.aggregation == "sum":
            pace = 0.8 if slow else 1.0
            value = float(round(level / 4 * pace * rng.uniform(0.98, 1.18)))
        elif spec.measure == "percent":
            value = level - rng.uniform(3, 10) if slow else min(99.9, level + rng.uniform(1, 10))
        elif spec.measure == "days":
            value = rng.uniform(32, 40) if slow else rng.uniform(15, 28)
        elif spec.direction == "at_most":
            value = float(round(level * rng.uniform(0.6, 0.95)))
        else:
            value = float(round(level * (rng.uniform(0.8, 0.95) if slow else rng.uniform(1, 1.2))))
        values.append(value)
    values[1] = min(values[1], values[0])  # new cases ≤ cases served
    values[3] = min(values[3], values[2])  # sessions with carers ≤ sessions
    out: list[tuple[int, str, str]] = []
    for spec, value in zip(SPECS, values, strict=True):
        out.append((spec.position, "", _number(value, spec.places)))
        if spec.breakdown:
            women = round(value * rng.uniform(0.45, 0.6))
            out.append((spec.position, "bench-perf-sex:F", str(women)))
            out.append((spec.position, "bench-perf-sex:M", str(round(value) - women)))
    return out


def _outlier(unit: Unit) -> bool:
    return random.Random(f"{SEED}/outlier/{unit.index}").random() < OUTLIER_RATE  # noqa: S311


def _measured_submissions(
    world: World,
) -> tuple[dict[int, dict[tuple[str, str], str]], dict[int, dict[tuple[str, str], str]]]:
    """Every unit's figures for the measured quarter, and the comments explaining outliers."""
    figures: dict[int, dict[tuple[str, str], str]] = {}
    comments: dict[int, dict[tuple[str, str], str]] = {}
    for unit in world.units:
        rows = _quarter_figures(unit, MEASURED_YEAR, MEASURED_QUARTER, _levels(unit, MEASURED_YEAR))
        if _outlier(unit):  # a new estate opened: four times the usual number served
            served = int(rows[0][2]) * 4
            women = served // 2
            rows[:3] = [
                (0, "", str(served)),
                (0, "bench-perf-sex:F", str(women)),
                (0, "bench-perf-sex:M", str(served - women)),
            ]
            comments[unit.pk] = {
                (_code(unit.type_code, 0), ""): "A new public housing estate opened nearby."
            }
        figures[unit.pk] = {
            (_code(unit.type_code, position), category): value for position, category, value in rows
        }
    return figures, comments


# --- Bulk loading ----------------------------------------------------------------------------


@dataclass
class _Table:
    """A table loaded in bulk: the columns each row gives, then the others at their defaults."""

    name: str
    columns: list[str]
    tail: tuple[Any, ...]

    @classmethod
    def of(cls, model: Any, given: Sequence[str], stamp: str) -> _Table:
        """`given` columns first; every other column but an auto primary key gets its default,
        so a field added later with a default does not break the loader."""
        from django.db import models

        rest: list[str] = []
        values: list[Any] = []
        for f in model._meta.concrete_fields:
            if f.attname in given or f.primary_key:
                continue
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                value: Any = stamp
            elif f.has_default():
                value = f.get_default()
                value = json.dumps(value) if isinstance(value, list | dict) else value
            elif f.null:
                value = None
            elif f.blank and isinstance(f, models.CharField | models.TextField):
                value = ""
            else:
                raise RuntimeError(f"{model.__name__}.{f.name}: no value and no default")
            rest.append(f.attname)
            values.append(value)
        return cls(model._meta.db_table, [*given, *rest], tuple(values))


def _copy_field(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    return str(value)


class _Loader:
    """Rows into tables: COPY on PostgreSQL, batched executemany on SQLite."""

    def __init__(self) -> None:
        from django.db import connection

        self.vendor = connection.vendor
        suffix = "+00" if self.vendor == "postgresql" else ""
        self.stamp_suffix = suffix

    def stamp(self, moment: datetime) -> str:
        """A timestamp (UTC) as the database takes it."""
        return f"{moment:%Y-%m-%d %H:%M:%S}{self.stamp_suffix}"

    def load(self, table: _Table, rows: Iterable[tuple[Any, ...]]) -> int:
        from django.db import connection

        count = 0
        columns = ", ".join(f'"{c}"' for c in table.columns)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                tail = "".join("\t" + _copy_field(v) for v in table.tail) + "\n"
                sql = f'COPY "{table.name}" ({columns}) FROM STDIN'
                with cursor.copy(sql) as copy:
                    lines: list[str] = []
                    for row in rows:
                        lines.append("\t".join(map(_copy_field, row)) + tail)
                        if len(lines) >= CHUNK:
                            copy.write("".join(lines))
                            count += len(lines)
                            lines = []
                    copy.write("".join(lines))
                    count += len(lines)
                return count
            marks = ", ".join(["%s"] * len(table.columns))
            sql = f'INSERT INTO "{table.name}" ({columns}) VALUES ({marks})'  # noqa: S608 (our identifiers)
            batch: list[tuple[Any, ...]] = []
            for row in rows:
                batch.append(row + table.tail)
                if len(batch) >= CHUNK:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return int(model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


def _reset_sequences(models: Sequence[Any]) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), list(models)):
            cursor.execute(statement)


# --- Guarding, wiping and remembering the data set ----------------------------------------


def _guard_database() -> None:
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "postgresql" and "bench" not in name.lower():
        raise RuntimeError(
            f"bench performance loads a synthetic sector into {name!r} and deletes the "
            "performance records of its bench units; point DATABASE_URL at a dedicated "
            "benchmark database whose name contains 'bench' (e.g. postgres://…/socialdesk_bench)."
        )


def _table_name(model: Any) -> str:
    return str(model._meta.db_table) if not isinstance(model, str) else model


def _ids(model: Any, condition: str) -> str:
    """A subquery: the ids of `model`'s rows meeting `condition` (SQL of ours, no input)."""
    return f'SELECT id FROM "{_table_name(model)}" WHERE {condition}'  # noqa: S608 (our SQL)


def _delete(cursor: Any, model: Any, condition: str) -> None:
    cursor.execute(f'DELETE FROM "{_table_name(model)}" WHERE {condition}')  # noqa: S608 (our SQL)


def _bench_units_sql() -> str:
    from socialdesk.core.models import ServiceUnit

    return _ids(ServiceUnit, f"code LIKE '{PREFIX}-unit-%%'")


def _bench_users_sql() -> str:
    from socialdesk.accounts.models import User

    return _ids(User, f"username LIKE '{PREFIX}-%%'")


def _wipe() -> None:
    """Delete every performance record of the bench units and the bench definitions (raw
    deletes: the ORM would load every row and write an audit entry for each)."""
    from django.db import connection

    from socialdesk.core.models import Notification
    from socialdesk.performance.models import (
        AgreedLevel,
        Agreement,
        Alert,
        Attainment,
        Disaggregation,
        ImprovementPlan,
        Indicator,
        ReturnEvent,
        ReturnTemplate,
        ReturnValue,
        StatisticalReturn,
        TemplateItem,
        ValidationRule,
    )

    of_units = f"unit_id IN ({_bench_units_sql()})"
    returns = f"statistical_return_id IN ({_ids(StatisticalReturn, of_units)})"
    bench_code = f"code LIKE '{PREFIX}-%%'"
    templates = f"template_id IN ({_ids(ReturnTemplate, bench_code)})"
    with connection.cursor() as cursor:
        for model, condition in (
            (ReturnValue, returns),
            (ReturnEvent, returns),
            (StatisticalReturn, of_units),
            (Attainment, of_units),
            (Alert, of_units),
            (ImprovementPlan, of_units),
            (AgreedLevel, f"agreement_id IN ({_ids(Agreement, of_units)})"),
            (Agreement, of_units),
            (ValidationRule, templates),
            (TemplateItem, templates),
            (ReturnTemplate, bench_code),
            (
                Indicator.disaggregations.through,
                f"indicator_id IN ({_ids(Indicator, bench_code)})",
            ),
            (Indicator, bench_code),
            (Disaggregation, bench_code),
            (Notification, f"recipient_id IN ({_bench_users_sql()})"),
        ):
            _delete(cursor, model, condition)
        cursor.execute(f"DROP TABLE IF EXISTS {ALERTS_TABLE}")


def _fingerprint(agencies: int, world: World) -> str:
    """What the loaded data depends on: a change in any of it means generating again."""
    from socialdesk.performance.models import (
        AgreedLevel,
        Agreement,
        Alert,
        ReturnEvent,
        ReturnValue,
        StatisticalReturn,
    )

    sample = [
        _quarter_figures(unit, year, 1, _levels(unit, year))
        for unit in world.units[:20]
        for year in YEARS
    ]
    parts = {
        "agencies": agencies,
        "seed": SEED,
        "loader": LOADER_VERSION,
        "specs": [repr(spec) for spec in SPECS],
        "sample": hashlib.sha256(repr(sample).encode()).hexdigest(),
        "units": [(u.pk, u.organisation_id, u.type_code, u.scale) for u in world.units],
        "staff": sorted(world.supervisors.items()) + sorted(world.admins.items()),
        "schema": {
            model.__name__: [f.attname for f in model._meta.concrete_fields]
            for model in (
                Agreement,
                AgreedLevel,
                StatisticalReturn,
                ReturnValue,
                ReturnEvent,
                Alert,
            )
        },
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _marker_read() -> tuple[int, str, float] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (units integer NOT NULL, "
            "fingerprint varchar(64) NOT NULL, generation_seconds real NOT NULL)"
        )
        cursor.execute(f"SELECT units, fingerprint, generation_seconds FROM {MARKER_TABLE}")  # noqa: S608 (our identifiers)
        row = cursor.fetchone()
    return (int(row[0]), str(row[1]), float(row[2])) if row else None


def _marker_write(units: int | None, fingerprint: str = "", seconds: float = 0.0) -> None:
    """Record the loaded data set (None: nothing valid is loaded)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608 (our identifiers)
        if units is not None:
            cursor.execute(
                f"INSERT INTO {MARKER_TABLE} (units, fingerprint, generation_seconds) "  # noqa: S608
                "VALUES (%s, %s, %s)",
                [units, fingerprint, seconds],
            )


# --- Generating ------------------------------------------------------------------------------


def _definitions(world: World) -> dict[str, tuple[int, list[int]]]:
    """One published quarterly template per service type with its 30 indicators and rules;
    type code → (template id, indicator ids by position)."""
    from decimal import Decimal

    from socialdesk.performance.models import (
        Disaggregation,
        Indicator,
        ReturnTemplate,
        TemplateItem,
        ValidationRule,
    )

    sex = Disaggregation.objects.create(
        code=f"{PREFIX}-sex",
        name_zh="性別（基準）",
        name_en="Sex (bench)",
        categories=[{"code": c, "name_zh": zh, "name_en": en} for c, zh, en in SEX],
    )
    Indicator.objects.bulk_create(
        Indicator(
            code=_code(type_code, spec.position),
            kind=spec.kind,
            measure=spec.measure,
            aggregation=spec.aggregation,
            decimal_places=spec.places,
            name_zh=f"基準指標{spec.position:02d}",
            name_en=f"{type_code.upper()} {spec.name}",
        )
        for type_code in world.type_ids
        for spec in SPECS
    )
    indicator_ids = dict(
        Indicator.objects.filter(code__startswith=f"{PREFIX}-").values_list("code", "pk")
    )
    through = Indicator.disaggregations.through
    through.objects.bulk_create(
        through(indicator_id=indicator_ids[_code(type_code, spec.position)], disaggregation=sex)
        for type_code in world.type_ids
        for spec in SPECS
        if spec.breakdown
    )
    ReturnTemplate.objects.bulk_create(
        ReturnTemplate(
            code=f"{PREFIX}-{type_code}",
            number=1,
            service_type_id=type_id,
            frequency="quarterly",
            due_days=30,
            grace_days=14,
            status="published",
            first_year=YEARS[0],
            name_zh=f"基準測試統計表（{type_code.upper()}）",
            name_en=f"Bench {type_code.upper()} return",
        )
        for type_code, type_id in world.type_ids.items()
    )
    out: dict[str, tuple[int, list[int]]] = {}
    items, rules = [], []
    for template in ReturnTemplate.objects.filter(code__startswith=f"{PREFIX}-"):
        type_code = template.code.removeprefix(f"{PREFIX}-")
        ids = [indicator_ids[_code(type_code, spec.position)] for spec in SPECS]
        out[type_code] = (template.pk, ids)
        for spec in SPECS:
            items.append(
                TemplateItem(
                    template=template,
                    indicator_id=ids[spec.position],
                    order=spec.position,
                    section_zh="成效指標" if spec.kind == "OC" else "服務量",
                    section_en="Outcomes" if spec.kind == "OC" else "Outputs",
                    max_value=Decimal(100) if spec.measure == "percent" else None,
                )
            )

        common = {"template": template, "message_zh": "請檢查此數字。"}
        for code, kind, severity, left, extra in (
            ("new-le-served", "compare", "error", 1, {"operator": "<=", "right_id": ids[0]}),
            ("carers-le-sessions", "compare", "error", 3, {"operator": "<=", "right_id": ids[2]}),
            ("half-achieve", "compare", "warning", 22, {"operator": ">=", "constant": 50}),
            ("served-outlier", "outlier", "warning", 0, {"factor": 3}),
        ):
            rules.append(
                ValidationRule(
                    code=code,
                    kind=kind,
                    severity=severity,
                    left_id=ids[left],
                    message_en=f"Check this figure ({code}).",
                    **common,
                    **extra,
                )
            )
    TemplateItem.objects.bulk_create(items)
    ValidationRule.objects.bulk_create(rules)
    return out


def _submitted_at(rng: random.Random, ends_on: date) -> datetime:
    """85 % on time, 10 % in the grace period, 5 % late."""
    draw = rng.random()
    days = rng.randint(5, 30) if draw < 0.85 else rng.randint(31, 44) if draw < 0.95 else 60
    return datetime(ends_on.year, ends_on.month, ends_on.day, 2) + timedelta(days=days)


def _generate(world: World) -> None:
    """Definitions, FSAs with agreed levels, three years of accepted returns, then attainment
    and alerts as the application computes them."""
    from django.db import transaction

    from socialdesk.performance.models import (
        AgreedLevel,
        Agreement,
        Alert,
        Attainment,
        ReturnEvent,
        ReturnValue,
        StatisticalReturn,
    )
    from socialdesk.performance.services.attainment import units_recompute
    from socialdesk.performance.services.returns import periods_ensure

    loader = _Loader()
    stamp = loader.stamp(datetime(2023, 4, 1, 1))
    started = time.perf_counter()
    with transaction.atomic():
        _wipe()
        templates = _definitions(world)
        periods = {year: periods_ensure(year, "quarterly") for year in YEARS}
        history = [
            (year, period)
            for year in YEARS
            for period in periods[year]
            if (year, period.number) < (MEASURED_YEAR, MEASURED_QUARTER)
        ]
        agreement_id, level_id = _next_id(Agreement), _next_id(AgreedLevel)
        return_id, value_id, event_id = (
            _next_id(StatisticalReturn),
            _next_id(ReturnValue),
            _next_id(ReturnEvent),
        )
        agreement_rows: list[tuple[Any, ...]] = []
        level_rows: list[tuple[Any, ...]] = []
        for unit in world.units:
            template_id, indicator_ids = templates[unit.type_code]
            for year in YEARS:
                agreement_rows.append(
                    (agreement_id, unit.pk, year, template_id, f"FSA-{unit.code}-{year}", 1)
                )
                for spec, level in zip(SPECS, _levels(unit, year), strict=True):
                    level_rows.append(
                        (
                            level_id,
                            agreement_id,
                            indicator_ids[spec.position],
                            _number(level, spec.places),
                            spec.direction,
                        )
                    )
                    level_id += 1
                agreement_id += 1
        loader.load(
            _Table.of(
                Agreement,
                ["id", "unit_id", "fiscal_year", "template_id", "reference", "version"],
                stamp,
            ),
            agreement_rows,
        )
        loader.load(
            _Table.of(
                AgreedLevel, ["id", "agreement_id", "indicator_id", "level", "direction"], stamp
            ),
            level_rows,
        )
        print(
            f"  {len(agreement_rows):,} FSAs, {len(level_rows):,} agreed levels: "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )

        return_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []

        def values() -> Iterator[tuple[Any, ...]]:
            nonlocal return_id, value_id, event_id
            for unit in world.units:
                template_id, indicator_ids = templates[unit.type_code]
                supervisor = world.supervisors[unit.pk]
                admin = world.admins[unit.organisation_id]
                rng = random.Random(f"{SEED}/returns/{unit.index}")  # noqa: S311
                levels = {year: _levels(unit, year) for year in YEARS}
                for year, period in history:
                    due = period.ends_on + timedelta(days=30)
                    submitted = _submitted_at(rng, period.ends_on)
                    endorsed = submitted + timedelta(days=rng.randint(1, 7))
                    accepted = endorsed + timedelta(days=rng.randint(3, 20))
                    return_rows.append(
                        (
                            return_id,
                            unit.pk,
                            period.pk,
                            template_id,
                            "accepted",
                            due.isoformat(),
                            (due + timedelta(days=14)).isoformat(),
                            loader.stamp(submitted),
                            loader.stamp(submitted),
                            loader.stamp(accepted),
                            True,
                            4,
                            loader.stamp(submitted - timedelta(days=3)),
                            loader.stamp(accepted),
                        )
                    )
                    channel = rng.choice(("web", "excel", "api"))
                    for action, actor, moment, via in (
                        ("submitted", supervisor, submitted, channel),
                        ("endorsed", admin, endorsed, ""),
                        ("accepted", world.swd.pk, accepted, ""),
                    ):
                        event_rows.append(
                            (event_id, return_id, action, actor, via, loader.stamp(moment), "[]")
                        )
                        event_id += 1
                    for position, category, value in _quarter_figures(
                        unit, year, period.number, levels[year]
                    ):
                        yield (
                            value_id,
                            return_id,
                            indicator_ids[position],
                            category,
                            value,
                            value,
                        )
                        value_id += 1
                    return_id += 1

        # The figures stream into the database while the returns and events are gathered;
        # those follow. Django's foreign keys are deferred: checked when the load commits.
        figures = loader.load(
            _Table.of(
                ReturnValue,
                [
                    "id",
                    "statistical_return_id",
                    "indicator_id",
                    "category",
                    "value",
                    "submitted_value",
                ],
                stamp,
            ),
            values(),
        )
        loader.load(
            _Table.of(
                StatisticalReturn,
                [
                    "id",
                    "unit_id",
                    "period_id",
                    "template_id",
                    "status",
                    "due_on",
                    "grace_until",
                    "submitted_at",
                    "last_submitted_at",
                    "accepted_at",
                    "locked",
                    "version",
                    "created_at",
                    "updated_at",
                ],
                stamp,
            ),
            return_rows,
        )
        loader.load(
            _Table.of(
                ReturnEvent,
                EVENT_COLUMNS,
                stamp,
            ),
            event_rows,
        )
        print(
            f"  {len(return_rows):,} accepted returns, {figures:,} figures, "
            f"{len(event_rows):,} events: {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    _reset_sequences([Agreement, AgreedLevel, StatisticalReturn, ReturnValue, ReturnEvent])
    _analyze()
    unit_ids = [unit.pk for unit in world.units]
    for year in YEARS:
        begun = time.perf_counter()
        standards = units_recompute(fiscal_year=year, unit_ids=unit_ids)
        alerts = Alert.objects.filter(fiscal_year=year, unit_id__in=unit_ids, status="open")
        print(
            f"  attainment {year}: {standards:,} standards, {alerts.count():,} open alerts "
            f"({time.perf_counter() - begun:.1f} s)",
            flush=True,
        )
    _snapshot_alerts()
    _analyze([Attainment, Alert])


def _analyze(models: Sequence[Any] | None = None) -> None:
    """VACUUM ANALYZE the tables (ANALYZE on SQLite): the loaded ones by default."""
    from django.db import connection

    from socialdesk.performance.models import (
        AgreedLevel,
        Agreement,
        ReturnEvent,
        ReturnValue,
        StatisticalReturn,
    )

    models = models or [Agreement, AgreedLevel, StatisticalReturn, ReturnValue, ReturnEvent]
    command = "VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE"
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f'{command} "{model._meta.db_table}"')


def _snapshot_alerts() -> None:
    """Keep the measured year's alerts as generated: every run starts the ingest from them."""
    from django.db import connection

    from socialdesk.performance.models import Alert

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {ALERTS_TABLE}")
        cursor.execute(
            f'CREATE TABLE {ALERTS_TABLE} AS SELECT * FROM "{_table_name(Alert)}" '  # noqa: S608
            f"WHERE fiscal_year = {MEASURED_YEAR} AND unit_id IN ({_bench_units_sql()})"
        )


def _ensure_data(world: World, agencies: int) -> float:
    """Load the data set unless the one recorded matches; the generation time in seconds."""
    units = len(world.units)
    fingerprint = _fingerprint(agencies, world)
    marker = _marker_read()
    forced = os.environ.get("BENCH_PERFORMANCE_REGENERATE", "") not in ("", "0")
    if marker is not None and marker[:2] == (units, fingerprint) and not forced:
        print(f"  reusing the loaded data set ({units:,} units, generated in {marker[2]:.0f} s)")
        return marker[2]
    _guard_database()
    _marker_write(None)
    started = time.perf_counter()
    _generate(world)
    seconds = time.perf_counter() - started
    _marker_write(units, fingerprint, seconds)
    print(f"  data set ready in {seconds:.1f} s", flush=True)
    return seconds


# --- Measuring -------------------------------------------------------------------------------


def _measured_period() -> Any:
    from socialdesk.performance.models import ReportingPeriod

    return ReportingPeriod.objects.get(
        fiscal_year=MEASURED_YEAR, frequency="quarterly", number=MEASURED_QUARTER
    )


def _reset_quarter(period: Any) -> None:
    """The measured quarter as after generation: no returns, the year's alerts as they were,
    no notifications for the bench staff."""
    from django.db import connection, transaction

    from socialdesk.core.models import Notification
    from socialdesk.performance.models import Alert, ReturnEvent, ReturnValue, StatisticalReturn

    of_units = f"unit_id IN ({_bench_units_sql()})"
    returns = _ids(StatisticalReturn, f"period_id = {int(period.pk)} AND {of_units}")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ALERTS_TABLE} WHERE 1 = 0")  # noqa: S608 (our SQL)
        columns = ", ".join(f'"{c[0]}"' for c in cursor.description or ())
        _delete(cursor, ReturnValue, f"statistical_return_id IN ({returns})")
        _delete(cursor, ReturnEvent, f"statistical_return_id IN ({returns})")
        _delete(cursor, StatisticalReturn, f"id IN ({returns})")
        _delete(cursor, Alert, f"fiscal_year = {MEASURED_YEAR} AND {of_units}")
        cursor.execute(
            f'INSERT INTO "{_table_name(Alert)}" ({columns}) '  # noqa: S608 (our SQL)
            f"SELECT {columns} FROM {ALERTS_TABLE}"
        )
        _delete(cursor, Notification, f"recipient_id IN ({_bench_users_sql()})")


@dataclass
class _Ingested:
    seconds: float
    cpu_seconds: float  # of this process: the database's work is not in it
    queries: int
    submitted: int
    alerts_opened: int


class _QueryCounter:
    """An execute wrapper counting the statements (cheaper than capturing them)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], *args: Any) -> Any:
        self.count += 1
        return execute(*args)


def _settle() -> None:
    """VACUUM ANALYZE what an ingest changes, as autovacuum would between an ingest and the
    next (the server may run with autovacuum off: dead rows would then pile up run after run)."""
    from socialdesk.performance.models import (
        Alert,
        Attainment,
        ReturnEvent,
        ReturnValue,
        StatisticalReturn,
    )

    _analyze([StatisticalReturn, ReturnValue, ReturnEvent, Attainment, Alert])


def _ingest(world: World, period: Any) -> _Ingested:
    """Ingest the quarter for every unit, timed, from the state after generation."""
    from django.db import connection

    from socialdesk.performance.models import Alert
    from socialdesk.performance.services.ingest import period_ingest

    figures, comments = _measured_submissions(world)
    _reset_quarter(period)
    _settle()
    before = Alert.objects.filter(fiscal_year=MEASURED_YEAR).count()
    counter = _QueryCounter()
    started, cpu = time.perf_counter(), time.process_time()
    with connection.execute_wrapper(counter):
        result = period_ingest(period=period, figures=figures, comments=comments, user=None)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result.refused:
        unit_id, problems = next(iter(result.refused.items()))
        raise RuntimeError(
            f"{len(result.refused)} units refused (the generator broke a rule), e.g. "
            f"unit {unit_id}: {problems}"
        )
    opened = Alert.objects.filter(fiscal_year=MEASURED_YEAR).count() - before
    return _Ingested(elapsed, cpu, counter.count, len(result.submitted), opened)


def _profile_ingest(world: World, period: Any) -> None:
    """The ingest once more under cProfile: where the time goes, and its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from socialdesk.performance.services.ingest import period_ingest

    figures, comments = _measured_submissions(world)
    _reset_quarter(period)
    _settle()
    profile = cProfile.Profile()
    with CaptureQueriesContext(connection) as queries:
        profile.runcall(
            partial(period_ingest, period=period, figures=figures, comments=comments, user=None)
        )
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(30)
    print(out.getvalue())
    kinds: dict[str, tuple[int, float]] = {}
    for query in queries.captured_queries:
        words = query["sql"].split()
        table = next(
            (w for w in words if w.startswith('"performance_') or w.startswith('"core_')), ""
        )
        key = f"{words[0]} {table}"
        count, seconds = kinds.get(key, (0, 0.0))
        kinds[key] = (count + 1, seconds + float(query["time"]))
    print(f"  {len(queries)} queries; by statement and first table:")
    for key, (count, seconds) in sorted(kinds.items(), key=lambda kv: -kv[1][1])[:15]:
        print(f"    {count:6d}  {seconds:7.2f} s  {key}")


def _excel_uploads(world: World, period: Any) -> list[float]:
    """Seconds of each Excel round trip (download, fill in, upload) on a new draft."""
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    from socialdesk.accounts.models import User
    from socialdesk.performance.models import ReturnValue
    from socialdesk.performance.services.returns import field_label, return_get_or_create
    from socialdesk.performance.services.uploads import return_upload
    from socialdesk.performance.spreadsheet import FIRST_ROW, VALUE, workbook_for_return

    figures, _comments = _measured_submissions(world)
    step = max(1, len(world.units) // EXCEL_UPLOADS)
    samples = []
    for unit in world.units[::step][:EXCEL_UPLOADS]:
        user = User.objects.get(pk=world.supervisors[unit.pk])
        draft = return_get_or_create(user=user, unit_id=unit.pk, period=period)
        wanted = {field_label(key): value for key, value in figures[unit.pk].items()}
        started = time.perf_counter()
        data = workbook_for_return(draft)
        book = load_workbook(io.BytesIO(data))
        sheet = book.worksheets[0]
        for (code,) in sheet.iter_rows(min_row=FIRST_ROW, max_col=1):
            if code.value in wanted:
                text = wanted[code.value]
                sheet[f"{VALUE}{code.row}"] = float(text) if "." in text else int(text)
        buffer = io.BytesIO()
        book.save(buffer)
        return_upload(
            user=user, return_id=draft.pk, data=buffer.getvalue(), filename=f"{unit.code}.xlsx"
        )
        samples.append(time.perf_counter() - started)
        stored = ReturnValue.objects.filter(statistical_return=draft, value__isnull=False).count()
        if stored != len(wanted):
            raise RuntimeError(f"the upload stored {stored} figures of {len(wanted)}")
    return samples


def _dashboard_calls(world: World) -> tuple[list[Callable[[], object]], list[Callable[[], object]]]:
    """The sector dashboard as the SWD officer with different filters, and the agency dashboard
    as the administrators of different agencies (the largest first, then every few)."""
    from socialdesk.accounts.models import User
    from socialdesk.core.access import forget_actor
    from socialdesk.performance.selectors.dashboards import agency_dashboard, sector_dashboard

    wanted = _env_int("BENCH_PERFORMANCE_DASHBOARD_CALLS", 60)
    swd = world.swd
    codes = [_code(type_code, p) for type_code in world.type_ids for p in (2, 22, 27)]
    organisations = world.organisation_ids
    sector_filters: list[dict[str, Any]] = [{}]
    sector_filters += [{"service_type": pk} for pk in world.type_ids.values()]
    sector_filters += [{"district": pk} for pk in world.district_ids]
    sector_filters += [{"organisation": pk} for pk in organisations[:10]]
    sector_filters += [
        {"service_type": world.type_ids[code.split("-")[2]], "indicator": code} for code in codes
    ]
    sector_filters += [
        {"service_type": type_id, "district": district}
        for type_id in world.type_ids.values()
        for district in world.district_ids[:3]
    ]

    def sector(filters: dict[str, Any]) -> object:
        forget_actor(swd)  # as on a fresh request: the roles are looked up too
        return sector_dashboard(swd, fiscal_year=MEASURED_YEAR, today=TODAY, **filters)

    admins = User.objects.in_bulk(list(world.admins.values()))
    step = max(1, len(organisations) // wanted)
    chosen = (organisations[:5] + organisations[5::step])[:wanted]
    agency_filters: list[dict[str, Any]] = []
    while len(agency_filters) < wanted:
        for n, organisation_id in enumerate(chosen):
            extra = {"service_type": list(world.type_ids.values())[n % len(world.type_ids)]}
            agency_filters.append(
                {"organisation_id": organisation_id, **(extra if n % 4 == 3 else {})}
            )

    def agency(filters: dict[str, Any]) -> object:
        admin = admins[world.admins[filters["organisation_id"]]]
        forget_actor(admin)
        return agency_dashboard(admin, fiscal_year=MEASURED_YEAR, today=TODAY, **filters)

    sector_wanted = max(wanted, len(sector_filters))  # every filter at least once
    repeat = (sector_wanted + len(sector_filters) - 1) // len(sector_filters)
    return (
        [partial(sector, f) for f in (sector_filters * repeat)[:sector_wanted]],
        [partial(agency, f) for f in agency_filters[:wanted]],
    )


def _latencies(calls: Sequence[Callable[[], object]]) -> list[float]:
    for call in calls[:3]:  # warm-up: connection, plans, translations
        call()
    samples = []
    for call in calls:
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _print_table(metrics: dict[str, float]) -> None:
    rows = []
    for name, value in metrics.items():
        goal = GOALS.get(name)
        met = "-" if goal is None else ("yes" if value <= goal else "NO")
        rows.append((name, f"{value:g}", "-" if goal is None else f"≤ {goal:g}", met))
    header = ("metric", "value", "goal", "met?")
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(4)]
    print()
    for row in (header, tuple("-" * w for w in widths), *rows):
        cells = zip(row, widths, strict=True)
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells)))
    print()


def run() -> dict[str, float]:
    from django.db import connection

    postgres = connection.vendor == "postgresql"
    units = _env_int("BENCH_PERFORMANCE_UNITS", 2000 if postgres else 200)
    agencies = min(units, _env_int("BENCH_PERFORMANCE_AGENCIES", 170 if postgres else 20))
    world = _world(agencies, units)
    generation = _ensure_data(world, agencies)
    period = _measured_period()

    _reset_quarter(period)
    uploads = _excel_uploads(world, period)
    print(f"  excel upload: {', '.join(f'{s:.2f}' for s in uploads)} s", flush=True)
    ingested = _ingest(world, period)
    print(
        f"  quarter ingest: {ingested.submitted:,} returns in {ingested.seconds:.2f} s "
        f"({ingested.cpu_seconds:.2f} s CPU here, {ingested.queries:,} queries, "
        f"{ingested.alerts_opened:,} alerts opened)",
        flush=True,
    )
    if os.environ.get("BENCH_PERFORMANCE_PROFILE", "") not in ("", "0"):
        _profile_ingest(world, period)
    _settle()
    sector_calls, agency_calls = _dashboard_calls(world)
    sector = _latencies(sector_calls)
    agency = _latencies(agency_calls)
    metrics: dict[str, float] = {
        "units": len(world.units),
        "indicators_per_unit": INDICATORS,
        "generation_s": round(generation, 1),
        "quarter_ingest_s": round(ingested.seconds, 2),
        "quarter_ingest_cpu_s": round(ingested.cpu_seconds, 2),
        "quarter_ingest_queries": ingested.queries,
        "quarter_ingest_alerts_opened": ingested.alerts_opened,
        "sector_dashboard_p50_ms": percentile(sector, 50),
        "sector_dashboard_p95_ms": percentile(sector, 95),
        "sector_dashboard_calls": len(sector),
        "agency_dashboard_p50_ms": percentile(agency, 50),
        "agency_dashboard_p95_ms": percentile(agency, 95),
        "agency_dashboard_calls": len(agency),
        "excel_upload_s": round(statistics.median(uploads), 3),
    }
    _print_table(metrics)
    return metrics
