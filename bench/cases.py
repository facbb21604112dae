"""Case-management benchmark: people search and duplicate detection over a large caseload.

Data set. `BENCH_CASES_PEOPLE` synthetic people (socialdesk.cases.synthetic; default 1,000,000 on
PostgreSQL, 50,000 on SQLite), each with a case in one of 20 benchmark units (the first unit
holds 1/20 of the people; 15 % of people also have a case in another unit, 1 % an open intake),
its responsible worker, and their search keys. On PostgreSQL the rows are streamed with COPY
(keys and HKID ciphertexts computed by a pool of worker processes), the tables' secondary indexes
and constraints are dropped during the load and re-created after it, then VACUUM ANALYZE.

Reuse. DATABASE_URL must name a dedicated benchmark database on PostgreSQL (its name must contain
"bench", e.g. socialdesk_bench; `python -m bench` creates it when missing): generating wipes the
case-management tables. Table `bench_cases_dataset` records the size and a fingerprint of what
was loaded (generator version, search-key scheme, lookup key, benchmark units); when they match
the data set is reused as it is. BENCH_CASES_REGENERATE=1 forces a new load.

Users. `bench-cases-supervisor` supervises the first unit (1/20 of the people, the realistic
case); `bench-cases-everyone` supervises all 20 units (sees everyone the queries look for).

Queries. For each kind (zh_name: whole Chinese name, a quarter typed in Simplified; zh_partial:
two characters of the name; en_name: the romanised name in random order, a quarter with the
surname in another spelling; hkid: in one of several formats; phone: with spaces, dashes or
+852), BENCH_CASES_QUERIES (200) queries built from sampled people, half of them visible to the
supervisor. Measured: search_people latency (p50, p95) per kind and user; naive_search_people
(icontains) on BENCH_CASES_NAIVE (20) of the same queries per kind, each stopped after
BENCH_CASES_NAIVE_TIMEOUT_S (10) seconds on PostgreSQL (a stopped query counts as the limit and
is counted in naive_<kind>_timeouts); duplicate_candidates p95 for as many new registrations built
from sampled people with small changes. The benchmark also checks that the supervisor never
sees a person outside the unit.
"""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import random
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Final

from bench._timing import percentile

KINDS: Final = ("zh_name", "zh_partial", "en_name", "hkid", "phone")
UNITS: Final = 20
WORKERS_PER_UNIT: Final = 8
CHUNK: Final = 5000
LOADER_VERSION: Final = 1
SEED: Final = 20260101
SECOND_CASE_RATE: Final = 0.15
OPEN_INTAKE_RATE: Final = 0.01
OPEN_CASE_RATE: Final = 0.35
MARKER_TABLE: Final = "bench_cases_dataset"
SAVED_DDL_TABLE: Final = "bench_cases_saved_ddl"
PREFIX: Final = "bench-cases"


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip().replace("_", "").replace(",", "")
    return int(raw) if raw else default


# --- The benchmark world: organisations, units and staff ---


@dataclass
class World:
    """The benchmark units and staff (ids), created once per database and reused."""

    unit_ids: list[int]
    district_ids: dict[str, int]
    workers: dict[int, list[int]]  # unit id → frontline worker ids
    supervisor: Any
    everyone: Any


def _world() -> World:
    """Create (or find) 4 NGOs with 5 units each, 8 workers per unit and the two users."""
    from django.contrib.auth import get_user_model

    from socialdesk.core.demo import load_reference_data
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
    user_model = get_user_model()
    districts = list(District.objects.order_by("code"))
    types = list(ServiceType.objects.filter(holds_personal_data=True).order_by("code"))
    units: list[Any] = []
    for n in range(UNITS):
        organisation, _ = Organisation.objects.get_or_create(
            code=f"{PREFIX}-ngo-{n // 5 + 1}",
            defaults={
                "kind": OrganisationKind.NGO,
                "name_zh": f"基準測試機構{n // 5 + 1}",
                "name_en": f"Bench NGO {n // 5 + 1}",
            },
        )
        unit, _ = ServiceUnit.objects.get_or_create(
            code=f"{PREFIX}-unit-{n:02d}",
            defaults={
                "organisation": organisation,
                "service_type": types[n % len(types)],
                "district": districts[n % len(districts)],
                "name_zh": f"基準測試單位{n:02d}",
                "name_en": f"Bench unit {n:02d}",
            },
        )
        units.append(unit)

    def member(username: str, role: str, unit: Any) -> Any:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": "Bench", "last_name": username}
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        Membership.objects.get_or_create(
            user=user, organisation_id=unit.organisation_id, service_unit=unit, role=role
        )
        return user

    workers: dict[int, list[int]] = {}
    for n, unit in enumerate(units):
        workers[unit.pk] = [
            member(f"{PREFIX}-w{n:02d}-{k}", Role.FRONTLINE_WORKER, unit).pk
            for k in range(WORKERS_PER_UNIT)
        ]
    supervisor = member(f"{PREFIX}-supervisor", Role.UNIT_SUPERVISOR, units[0])
    everyone = None
    for unit in units:
        everyone = member(f"{PREFIX}-everyone", Role.UNIT_SUPERVISOR, unit)
    return World(
        unit_ids=[u.pk for u in units],
        district_ids={d.code: d.pk for d in districts},
        workers=workers,
        supervisor=supervisor,
        everyone=everyone,
    )


# --- Guarding and remembering the data set ---


def _guard_database() -> None:
    """Refuse to wipe case tables anywhere but a dedicated benchmark database or SQLite."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "postgresql" and "bench" not in name.lower():
        raise RuntimeError(
            f"bench cases loads a synthetic caseload and wipes the case tables of {name!r}; "
            "point DATABASE_URL at a dedicated benchmark database whose name contains "
            "'bench' (e.g. postgres://…/socialdesk_bench)."
        )


def _fingerprint(people: int, world: World) -> str:
    """What the loaded data depends on: a change in any of it means generating again."""
    from socialdesk.cases.services.search import identity_keys
    from socialdesk.cases.synthetic import GENERATOR_VERSION
    from socialdesk.core.crypto import lookup_hash

    sample_keys = identity_keys(
        names=[("陳大文", "CHAN TAI-MAN PETER"), ("歐陽美玲", "AU YEUNG MEI LING")],
        phones=("+852 9123 4567", "23456789"),
        hkid_hash=lookup_hash("A1234563"),
        date_of_birth=date(1950, 1, 31),
    )
    from socialdesk.cases.synthetic import generate_people

    sample = [
        (p.name_zh, p.name_en, p.hkid, p.phone, str(p.date_of_birth))
        for p in generate_people(300, seed=SEED)
    ]
    parts = {
        "sample": hashlib.sha256(repr(sample).encode()).hexdigest(),
        "people": people,
        "seed": SEED,
        "generator": GENERATOR_VERSION,
        "loader": LOADER_VERSION,
        "keys": sorted(sample_keys),
        "units": world.unit_ids,
        "workers": sorted(w for ws in world.workers.values() for w in ws),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:32]


def _marker_read() -> tuple[int, str, float] | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (people integer NOT NULL, "
            "fingerprint varchar(64) NOT NULL, generation_seconds real NOT NULL)"
        )
        cursor.execute(f"SELECT people, fingerprint, generation_seconds FROM {MARKER_TABLE}")  # noqa: S608 (our identifiers)
        row = cursor.fetchone()
    return (int(row[0]), str(row[1]), float(row[2])) if row else None


def _marker_write(people: int | None, fingerprint: str = "", seconds: float = 0.0) -> None:
    """Record the loaded data set (None: nothing valid is loaded)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608 (our identifiers)
        if people is not None:
            cursor.execute(
                f"INSERT INTO {MARKER_TABLE} (people, fingerprint, generation_seconds) "  # noqa: S608
                "VALUES (%s, %s, %s)",
                [people, fingerprint, seconds],
            )


# --- Loading ---


def _models() -> list[Any]:
    from socialdesk.cases.models import Case, CaseWorker, Intake, SearchKey, ServiceUser

    return [ServiceUser, Intake, Case, CaseWorker, SearchKey]


@dataclass
class _Formats:
    """How values are written for the database's bulk loader (PostgreSQL COPY text, or SQLite)."""

    true: str
    false: str
    timestamp_suffix: str

    def timestamp(self, day: date) -> str:
        return f"{day.isoformat()} 09:00:00{self.timestamp_suffix}"


def _formats(vendor: str) -> _Formats:
    if vendor == "postgresql":
        return _Formats(true="t", false="f", timestamp_suffix="+00")
    return _Formats(true="1", false="0", timestamp_suffix="")


@dataclass
class _Table:
    """A table loaded in bulk: the columns each line gives, then constant defaults for the rest."""

    name: str
    columns: list[str]
    tail: str

    @classmethod
    def of(cls, model: Any, given: Sequence[str], formats: _Formats) -> _Table:
        """`given` attnames first; every other column (but an auto primary key) gets its
        default, so a field someone adds with a default does not break the loader."""
        from django.db import models

        rest: list[str] = []
        values: list[str] = []
        for f in model._meta.concrete_fields:
            if f.attname in given or (f.primary_key and isinstance(f, models.AutoField)):
                continue
            if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                value: Any = formats.timestamp(date(2025, 1, 1))
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif f.blank and isinstance(f, models.CharField | models.TextField):
                value = ""
            else:
                raise RuntimeError(f"{model.__name__}.{f.name}: no value and no default")
            rest.append(f.attname)
            values.append(_text(value, formats))
        tail = "".join("\t" + v for v in values)
        return cls(model._meta.db_table, [*given, *rest], tail)


def _text(value: Any, formats: _Formats) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return formats.true if value else formats.false
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


_PERSON_COLUMNS: Final = (
    "id",
    "name_zh",
    "name_en",
    "sex",
    "date_of_birth",
    "hkid",
    "hkid_hash",
    "phone",
    "phone_alt",
    "address",
    "district_id",
    "language",
    "registered_unit_id",
    "created_at",
    "updated_at",
)
_CASE_COLUMNS: Final = (
    "id",
    "number",
    "person_id",
    "unit_id",
    "status",
    "opened_on",
    "opened_by_id",
    "next_review_on",
    "closure_reason",
    "closed_on",
    "closed_by_id",
    "created_at",
    "updated_at",
)
_CASEWORKER_COLUMNS: Final = ("case_id", "user_id", "is_primary", "created_at", "updated_at")
_INTAKE_COLUMNS: Final = (
    "person_id",
    "unit_id",
    "source",
    "status",
    "assigned_worker_id",
    "presenting_problem",
    "created_by_id",
    "created_at",
    "updated_at",
)
_KEY_COLUMNS: Final = ("person_id", "key")

# Set in the parent before the pool forks: the workers read them.
_WORKER_STATE: dict[str, Any] = {}


def _unit_weights() -> list[float]:
    """The supervisor's unit holds 1/20 of the people; the others vary around the same share."""
    return [1.0] + [0.5 + (n * 7 % 19) / 18 for n in range(1, UNITS)]


def _block_rows(block: int) -> tuple[dict[str, str], int, int]:
    """Worker: every table's lines for one block of the synthetic stream (people, their cases,
    case workers, intakes and search keys; HKIDs encrypted and hashed), and the number of cases
    and of search keys. Ids are derived from the person's position: person n is n + 1, their
    cases 2n + 1 and 2n + 2, the case number C-<year>-<case id // 10> with the year 2016 +
    case id % 10, so blocks need no coordination."""
    from socialdesk.cases.services.search import identity_keys
    from socialdesk.cases.synthetic import BLOCK_SIZE, PeopleGenerator
    from socialdesk.core.crypto import encrypt, lookup_hash

    state = _WORKER_STATE
    tails: dict[str, str] = state["tails"]
    f: _Formats = state["formats"]
    units: list[int] = state["unit_ids"]
    workers: dict[int, list[int]] = state["workers"]
    districts: dict[str, int] = state["district_ids"]
    weights = _unit_weights()
    stamp = f.timestamp(date(2025, 1, 1))
    first = block * BLOCK_SIZE
    count = min(BLOCK_SIZE, state["people"] - first)
    rng = random.Random(f"{SEED}/cases/{block}")  # noqa: S311
    out = {name: io.StringIO() for name in ("person", "key", "case", "caseworker", "intake")}
    cases = keys = 0
    for p in PeopleGenerator(SEED, start=first).people(count):
        pid = p.index + 1
        primary = rng.choices(units, weights=weights)[0]
        held = [primary]
        if rng.random() < SECOND_CASE_RATE:
            held.append(rng.choice([u for u in units if u != primary]))
        for k, unit in enumerate(held):
            case_id = 2 * p.index + 1 + k
            year = 2016 + case_id % 10
            opened = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            worker = rng.choice(workers[unit])
            is_open = rng.random() < OPEN_CASE_RATE
            closed = (
                None
                if is_open
                else min(opened + timedelta(days=rng.randint(30, 900)), date(2026, 6, 30))
            )
            review = opened + timedelta(days=90 * rng.randint(1, 12)) if is_open else None
            opened_at = f.timestamp(opened)
            out["case"].write(
                f"{case_id}\tC-{year}-{case_id // 10:06d}\t{pid}\t{unit}\t"
                f"{'open' if is_open else 'closed'}\t{opened}\t{worker}\t{review or '\\N'}\t"
                f"{'' if is_open else 'goals_achieved'}\t{closed or '\\N'}\t"
                f"{'\\N' if is_open else worker}\t{opened_at}\t{opened_at}{tails['case']}\n"
            )
            out["caseworker"].write(
                f"{case_id}\t{worker}\t{f.true}\t{opened_at}\t{opened_at}{tails['caseworker']}\n"
            )
            cases += 1
        if rng.random() < OPEN_INTAKE_RATE:
            worker = rng.choice(workers[primary])
            out["intake"].write(
                f"{pid}\t{primary}\twalk_in\tpending\t{worker}\tNeeds support at home.\t"
                f"{worker}\t{stamp}\t{stamp}{tails['intake']}\n"
            )
        hkid_hash = lookup_hash(p.hkid) if p.hkid else ""
        ciphertext = encrypt(p.hkid) if p.hkid else ""
        out["person"].write(
            f"{pid}\t{p.name_zh}\t{p.name_en}\t{p.sex}\t{p.date_of_birth}\t{ciphertext}\t"
            f"{hkid_hash}\t{p.phone}\t{p.phone_alt}\t{p.address}\t{districts[p.district]}\t"
            f"{p.language}\t{primary}\t{stamp}\t{stamp}{tails['person']}\n"
        )
        person_keys = identity_keys(
            names=[(p.name_zh, p.name_en)],
            phones=(p.phone, p.phone_alt),
            hkid_hash=hkid_hash,
            date_of_birth=p.date_of_birth,
        )
        keys += len(person_keys)
        out["key"].write("".join(f"{pid}\t{key}\n" for key in sorted(person_keys)))
    return {name: text.getvalue() for name, text in out.items()}, cases, keys


def _generate(people: int, world: World, directory: Path) -> dict[str, Path]:
    """Write the lines of every table to files in `directory` (one per table), the blocks of
    the synthetic stream generated by a pool of worker processes."""
    from django.db import connection

    from socialdesk.cases.models import Case, CaseWorker, Intake, SearchKey, ServiceUser
    from socialdesk.cases.synthetic import BLOCK_SIZE

    formats = _formats(connection.vendor)
    tables = {
        "person": _Table.of(ServiceUser, _PERSON_COLUMNS, formats),
        "case": _Table.of(Case, _CASE_COLUMNS, formats),
        "caseworker": _Table.of(CaseWorker, _CASEWORKER_COLUMNS, formats),
        "intake": _Table.of(Intake, _INTAKE_COLUMNS, formats),
        "key": _Table.of(SearchKey, _KEY_COLUMNS, formats),
    }
    paths = {name: directory / f"{name}.tsv" for name in tables}
    (directory / "tables.json").write_text(
        json.dumps({n: [t.name, t.columns] for n, t in tables.items()})
    )
    _WORKER_STATE.update(
        tails={name: table.tail for name, table in tables.items()},
        formats=formats,
        unit_ids=world.unit_ids,
        workers=world.workers,
        district_ids=world.district_ids,
        people=people,
    )
    blocks = range((people + BLOCK_SIZE - 1) // BLOCK_SIZE)
    processes = max(1, _env_int("BENCH_CASES_WORKERS", os.cpu_count() or 1))
    connection.close()  # the forked workers must not share the database socket
    cases = keys = 0
    files = {name: path.open("w", encoding="utf-8") for name, path in paths.items()}
    try:
        if processes == 1:
            results: Iterator[tuple[dict[str, str], int, int]] = map(_block_rows, blocks)
        else:
            pool = multiprocessing.get_context("fork").Pool(processes)
            results = pool.imap(_block_rows, blocks)
        for texts, block_cases, block_keys in results:
            for name, text in texts.items():
                files[name].write(text)
            cases += block_cases
            keys += block_keys
        if processes > 1:
            pool.close()
            pool.join()
    finally:
        for handle in files.values():
            handle.close()
    print(f"  generated {people:,} people, {cases:,} cases, {keys:,} search keys")
    _sequences_update(people)
    return paths


def _sequences_update(people: int) -> None:
    """Keep the case-number counters ahead of the numbers used, as case_open expects."""
    from socialdesk.cases.models import Sequence

    last = (2 * people + 2) // 10
    for year in range(2016, 2026):
        Sequence.objects.update_or_create(name=f"C-{year}", defaults={"value": last})


def _tables_info(directory: Path) -> dict[str, tuple[str, list[str]]]:
    raw = json.loads((directory / "tables.json").read_text())
    return {name: (table, columns) for name, (table, columns) in raw.items()}


def _pg_drop_secondary(table_names: Sequence[str]) -> list[str]:
    """Drop the secondary indexes and unique/foreign-key constraints of the tables; return the
    statements that re-create them (also saved in a table, in case the load is interrupted)."""
    from django.db import connection

    statements: list[str] = []
    with connection.cursor() as cursor:
        for table in table_names:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                "AND i.indexname NOT IN (SELECT conname FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype IN ('p', 'u'))",
                [table, table],
            )
            indexes = cursor.fetchall()
            statements += [f"{definition}" for _name, definition in indexes]
            statements += [
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
                for name, definition in sorted(constraints, key=lambda c: "FOREIGN" in c[1])
            ]
            for name, _definition in constraints:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    return statements


def _pg_saved_ddl(statements: list[str] | None = None) -> list[str]:
    """Save statements to re-create dropped indexes (or, with None, read the saved ones)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {SAVED_DDL_TABLE} (n integer NOT NULL, stmt text NOT NULL)"
        )
        if statements is None:
            cursor.execute(f"SELECT stmt FROM {SAVED_DDL_TABLE} ORDER BY n")  # noqa: S608 (our identifiers)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {SAVED_DDL_TABLE}")  # noqa: S608 (our identifiers)
        for n, statement in enumerate(statements):
            cursor.execute(
                f"INSERT INTO {SAVED_DDL_TABLE} VALUES (%s, %s)",  # noqa: S608 (our identifier)
                [n, statement],
            )
        return statements


def _pg_restore_ddl() -> None:
    """Re-create what an interrupted load dropped (nothing when the last load finished)."""
    from django.db import connection

    statements = _pg_saved_ddl()
    for statement in statements:
        with connection.cursor() as cursor:
            cursor.execute("SAVEPOINT restore")
            try:
                cursor.execute(statement)
            except Exception:  # already there: the load that saved it had not dropped it
                cursor.execute("ROLLBACK TO SAVEPOINT restore")
            cursor.execute("RELEASE SAVEPOINT restore")
    _pg_saved_ddl([])


def _load(paths: dict[str, Path], directory: Path) -> None:
    """Bulk-load the generated files (COPY on PostgreSQL, executemany on SQLite)."""
    from django.db import connection, transaction

    info = _tables_info(directory)
    order = ("person", "intake", "case", "caseworker", "key")
    if connection.vendor == "postgresql":
        tables = [info[name][0] for name in order]
        with transaction.atomic():
            statements = _pg_saved_ddl(_pg_drop_secondary(tables))
        connection.ensure_connection()
        with transaction.atomic():
            raw = connection.connection.cursor()
            for name in order:
                table, columns = info[name]
                started = time.perf_counter()
                quoted = ", ".join(f'"{c}"' for c in columns)
                with (
                    raw.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy,
                    paths[name].open("rb") as handle,
                ):
                    while block := handle.read(1 << 22):
                        copy.write(block)
                print(f"  COPY {table}: {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for statement in statements:
                cursor.execute(statement)
            cursor.execute("RESET maintenance_work_mem")
        _pg_saved_ddl([])
        print(f"  indexes and constraints: {time.perf_counter() - started:.1f} s")
    else:
        with transaction.atomic(), connection.cursor() as cursor:
            for name in order:
                table, columns = info[name]
                marks = ", ".join(["%s"] * len(columns))
                sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({marks})'  # noqa: S608 (our identifiers)
                with paths[name].open(encoding="utf-8") as handle:
                    batch: list[list[str | None]] = []
                    for line in handle:
                        batch.append(
                            [None if v == "\\N" else v for v in line.rstrip("\n").split("\t")]
                        )
                        if len(batch) >= 20000:
                            cursor.executemany(sql, batch)
                            batch = []
                    if batch:
                        cursor.executemany(sql, batch)
    _reset_sequences()


def _reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), _models()):
            cursor.execute(statement)


def _wipe() -> None:
    """Empty the case-management tables (benchmark database only: see _guard_database)."""
    from django.db import connection

    from socialdesk.cases.models import ServiceUser

    if connection.vendor == "postgresql":
        _pg_restore_ddl()
        with connection.cursor() as cursor:
            cursor.execute(f'TRUNCATE "{ServiceUser._meta.db_table}" RESTART IDENTITY CASCADE')
        return
    from django.apps import apps

    # SQLite: delete children first (every cases table refers to people, directly or not).
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys = OFF")
        for model in apps.get_app_config("cases").get_models(include_auto_created=True):
            cursor.execute(f'DELETE FROM "{model._meta.db_table}"')  # noqa: S608 (our identifiers)
        cursor.execute("PRAGMA foreign_keys = ON")


def _analyze() -> None:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        for model in _models():
            if connection.vendor == "postgresql":
                cursor.execute(f'VACUUM (ANALYZE) "{model._meta.db_table}"')
            else:
                cursor.execute(f'ANALYZE "{model._meta.db_table}"')
    print(f"  vacuum/analyze: {time.perf_counter() - started:.1f} s")


def _ensure_data(people: int, world: World) -> float:
    """Load the data set unless the one recorded matches; the generation time in seconds."""
    fingerprint = _fingerprint(people, world)
    marker = _marker_read()
    forced = os.environ.get("BENCH_CASES_REGENERATE", "") not in ("", "0")
    if marker is not None and marker[:2] == (people, fingerprint) and not forced:
        print(f"  reusing the loaded data set ({people:,} people, generated in {marker[2]:.0f} s)")
        return marker[2]
    _guard_database()
    _marker_write(None)
    started = time.perf_counter()
    _wipe()
    with tempfile.TemporaryDirectory(prefix="socialdesk-bench-cases-") as scratch:
        directory = Path(scratch)
        paths = _generate(people, world, directory)
        print(f"  generated the rows in {time.perf_counter() - started:.1f} s")
        _load(paths, directory)
    _analyze()
    seconds = time.perf_counter() - started
    _marker_write(people, fingerprint, seconds)
    print(f"  data set ready in {seconds:.1f} s")
    return seconds


# --- Queries ---


@dataclass(frozen=True)
class Sampled:
    """A person the queries are built from."""

    pk: int
    name_zh: str
    name_en: str
    date_of_birth: date
    hkid: str
    phone: str
    visible: bool  # to the unit supervisor


@dataclass(frozen=True)
class Query:
    kind: str
    text: str
    target: Sampled


def _sample(people: int, supervised_unit: int, size: int = 6000) -> list[Sampled]:
    """Every k-th person (a stable sample), and whether the supervisor's unit holds them."""
    from django.db.models import F, Value
    from django.db.models.functions import Mod

    from socialdesk.cases.models import Case, ServiceUser

    step = max(1, people // size)
    rows = list(
        ServiceUser.objects.filter(merged_into__isnull=True)
        .annotate(bucket=Mod(F("pk"), Value(step)))
        .filter(bucket=0)
        .values_list("pk", "name_zh", "name_en", "date_of_birth", "hkid", "phone")
    )
    visible = set(
        Case.objects.filter(unit_id=supervised_unit, person_id__in=[r[0] for r in rows])
        .values_list("person_id", flat=True)
        .iterator()
    )
    return [
        Sampled(pk, zh, en, born or date(2000, 1, 1), hkid, phone, visible=pk in visible)
        for pk, zh, en, born, hkid, phone in rows
    ]


def _spelling_variants() -> dict[str, list[str]]:
    from socialdesk.textsearch.romanisation import SYLLABLE_CLASSES

    variants: dict[str, list[str]] = {}
    for spellings in SYLLABLE_CLASSES:
        variants.setdefault(spellings[0], [s for s in spellings[1:]])
    return variants


def _query_text(kind: str, person: Sampled, rng: random.Random) -> str | None:
    from socialdesk.cases.synthetic import (
        hkid_format_variants,
        phone_format_variants,
        to_simplified,
    )

    if kind in ("zh_name", "zh_partial") and len(person.name_zh) < 2:
        return None
    if kind == "zh_name":
        return to_simplified(person.name_zh) if rng.random() < 0.25 else person.name_zh
    if kind == "zh_partial":
        surname = 2 if person.name_zh[:2] in ("歐陽", "司徒") else 1
        given = person.name_zh[surname:]
        if len(given) >= 2 and rng.random() < 0.5:
            return given[:2]
        return person.name_zh[: surname + 1]
    if kind == "en_name":
        tokens = person.name_en.replace("-", " ").split()
        if len(tokens) < 2:
            return None
        if rng.random() < 0.25:
            alternatives = _spelling_variants().get(tokens[0])
            if alternatives:
                tokens[0] = rng.choice(alternatives)
        rng.shuffle(tokens)
        text = " ".join(tokens)
        return text.title() if rng.random() < 0.5 else text
    if kind == "hkid":
        return rng.choice(hkid_format_variants(person.hkid)) if person.hkid else None
    if kind == "phone":
        return rng.choice(phone_format_variants(person.phone)) if person.phone else None
    raise ValueError(kind)


def _queries(sample: Sequence[Sampled], per_kind: int) -> dict[str, list[Query]]:
    """`per_kind` queries per kind: half of the targets visible to the supervisor, interleaved."""
    rng = random.Random(SEED + 2)  # noqa: S311
    out: dict[str, list[Query]] = {}
    for kind in KINDS:
        pools = {
            True: [p for p in sample if p.visible],
            False: [p for p in sample if not p.visible],
        }
        queries: list[Query] = []
        for visible in (True, False):
            pool = list(pools[visible])
            rng.shuffle(pool)
            wanted = per_kind // 2 if visible else per_kind - per_kind // 2
            chosen: list[Query] = []
            for person in pool:
                text = _query_text(kind, person, rng)
                if text:
                    chosen.append(Query(kind, text, person))
                if len(chosen) == wanted:
                    break
            queries += chosen
        queries.sort(key=lambda q: q.target.pk)
        out[kind] = queries
    return out


def _registrations(sample: Sequence[Sampled], count: int) -> list[tuple[dict[str, Any], int]]:
    """New registrations of sampled people with small changes, and the record they match."""
    from socialdesk.cases.synthetic import to_simplified

    rng = random.Random(SEED + 3)  # noqa: S311
    variants = _spelling_variants()
    pool = [p for p in sample if p.name_zh or p.name_en]
    rng.shuffle(pool)
    out: list[tuple[dict[str, Any], int]] = []
    for person in pool[:count]:
        name_zh, name_en, born = person.name_zh, person.name_en, person.date_of_birth
        tokens = name_en.split()
        change = rng.randrange(5)
        if change == 0 and tokens and variants.get(tokens[0]):
            name_en = " ".join([rng.choice(variants[tokens[0]]), *tokens[1:]])
        elif change == 1 and name_zh:
            name_zh = to_simplified(name_zh)
        elif change == 2:
            born += timedelta(days=rng.choice((-1, 1)))
        elif change == 3 and len(tokens) > 2:
            name_en = " ".join([tokens[0], "".join(tokens[1:])])
        phones = [person.phone] if person.phone and rng.random() < 0.5 else []
        hkid = person.hkid if rng.random() < 0.2 else ""
        out.append(
            (
                {
                    "name_zh": name_zh,
                    "name_en": name_en,
                    "date_of_birth": born,
                    "hkid": hkid,
                    "phones": phones,
                },
                person.pk,
            )
        )
    return out


# --- Measuring ---


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


@dataclass
class _KindResult:
    p50: float
    p95: float
    found: float  # share of queries whose target is among the results (targets the user sees)


def _search_kind(user: Any, queries: Sequence[Query], *, restricted: bool) -> _KindResult:
    """Latency of search_people over the queries; checks nobody outside the unit shows up."""
    from socialdesk.cases.services.search import search_people
    from socialdesk.core.access import forget_actor

    for query in queries[:10]:  # warm-up: caches, connection, OpenCC, plans
        search_people(user=user, query=query.text)
    samples: list[float] = []
    found = expected = 0
    for query in queries:
        forget_actor(user)  # as on a fresh request: the user's roles are looked up too
        elapsed, hits = _timed(partial(search_people, user=user, query=query.text))
        samples.append(elapsed)
        ids = {hit.person.pk for hit in hits}
        if restricted and not query.target.visible and query.target.pk in ids:
            raise RuntimeError(f"search leaked person {query.target.pk} to the supervisor")
        if query.target.visible or not restricted:
            expected += 1
            found += query.target.pk in ids
    return _KindResult(
        percentile(samples, 50), percentile(samples, 95), round(100 * found / max(expected, 1), 1)
    )


def _naive_kind(user: Any, queries: Sequence[Query], timeout_s: int) -> tuple[float, int]:
    """p95 of naive_search_people over the queries, and how many hit the time limit (a query
    stopped at the limit counts as taking the limit, so the p95 is then a lower bound)."""
    from django.db import DatabaseError, connection, transaction

    from socialdesk.cases.services.search import naive_search_people

    samples: list[float] = []
    timeouts = 0
    for query in queries:
        started = time.perf_counter()
        try:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    with connection.cursor() as cursor:
                        cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
                naive_search_people(user=user, query=query.text)
        except DatabaseError:
            timeouts += 1
        samples.append((time.perf_counter() - started) * 1000)
    return percentile(samples, 95), timeouts


def _duplicates(registrations: Sequence[tuple[dict[str, Any], int]]) -> tuple[float, float]:
    from socialdesk.cases.services.search import duplicate_candidates

    for data, _pk in registrations[:10]:
        duplicate_candidates(**data)
    samples: list[float] = []
    found = 0
    for data, pk in registrations:
        elapsed, candidates = _timed(partial(duplicate_candidates, **data))
        samples.append(elapsed)
        found += pk in {c.person_id for c in candidates}
    return percentile(samples, 95), round(100 * found / max(len(registrations), 1), 1)


def _print_table(
    results: dict[str, tuple[_KindResult, _KindResult, float]], duplicate: tuple[float, float]
) -> None:
    header = (
        "kind",
        "p50 ms",
        "p95 ms",
        "naive p95",
        "ratio",
        "found %",
        "all: p50",
        "all: p95",
        "all: found %",
    )
    rows = [
        (
            kind,
            f"{sup.p50:.1f}",
            f"{sup.p95:.1f}",
            f"{naive:.1f}",
            f"{naive / sup.p95:.0f}x" if sup.p95 else "-",
            f"{sup.found:.0f}",
            f"{every.p50:.1f}",
            f"{every.p95:.1f}",
            f"{every.found:.0f}",
        )
        for kind, (sup, every, naive) in results.items()
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if i else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        )

    print()
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print(f"duplicate check p95 {duplicate[0]:.1f} ms (original found in {duplicate[1]:.0f} %)")
    print()


def run() -> dict[str, float]:
    from django.db import connection

    vendor = connection.vendor
    people = _env_int("BENCH_CASES_PEOPLE", 1_000_000 if vendor == "postgresql" else 50_000)
    per_kind = _env_int("BENCH_CASES_QUERIES", 200)
    naive_per_kind = _env_int("BENCH_CASES_NAIVE", 20)
    timeout = _env_int("BENCH_CASES_NAIVE_TIMEOUT_S", 10)
    world = _world()
    generation = _ensure_data(people, world)
    sample = _sample(people, world.unit_ids[0])
    queries = _queries(sample, per_kind)
    metrics: dict[str, float] = {"people": people, "generation_s": round(generation, 1)}
    results: dict[str, tuple[_KindResult, _KindResult, float]] = {}
    for kind in KINDS:
        supervisor = _search_kind(world.supervisor, queries[kind], restricted=True)
        everyone = _search_kind(world.everyone, queries[kind], restricted=False)
        naive_queries = queries[kind][:: max(1, len(queries[kind]) // naive_per_kind)]
        naive, timeouts = _naive_kind(world.supervisor, naive_queries[:naive_per_kind], timeout)
        metrics[f"naive_{kind}_timeouts"] = timeouts
        results[kind] = (supervisor, everyone, naive)
        print(
            f"  {kind}: p50 {supervisor.p50} ms, p95 {supervisor.p95} ms (everyone: p50 "
            f"{everyone.p50}, p95 {everyone.p95}); naive p95 {naive} ms",
            flush=True,
        )
        metrics[f"search_{kind}_p50_ms"] = supervisor.p50
        metrics[f"search_{kind}_p95_ms"] = supervisor.p95
        metrics[f"naive_{kind}_p95_ms"] = naive
        metrics[f"search_{kind}_found_pct"] = supervisor.found
        metrics[f"search_everyone_{kind}_p50_ms"] = everyone.p50
        metrics[f"search_everyone_{kind}_p95_ms"] = everyone.p95
        metrics[f"search_everyone_{kind}_found_pct"] = everyone.found
        metrics[f"queries_{kind}"] = len(queries[kind])
    duplicate = _duplicates(_registrations(sample, per_kind))
    metrics["duplicate_check_p95_ms"] = duplicate[0]
    metrics["duplicate_check_found_pct"] = duplicate[1]
    _print_table(results, duplicate)
    return metrics
