"""Case-management benchmark: people search and duplicate detection over a large caseload.

Data set. `BENCH_CASES_PEOPLE` synthetic people (socialdesk.cases.synthetic; default 1,000,000 on
PostgreSQL, 50,000 on SQLite), each with a case in one of 20 benchmark units (the first unit
holds 1/20 of the people; 15 % of people also have a case in another unit, 1 % an open intake),
its responsible worker, and their search keys. A pool of worker processes (BENCH_CASES_WORKERS,
one per core) generates the rows, search keys and HKID ciphertexts block by block. On PostgreSQL
(`_pg_load`) the search keys stream into COPY as they are generated and the other tables follow;
secondary indexes and constraints are dropped during the load and re-created after it, two at a
time (BENCH_CASES_INDEX_SESSIONS), then VACUUM ANALYZE.

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

import base64
import contextlib
import hashlib
import itertools
import json
import multiprocessing
import os
import queue
import random
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from bench._timing import percentile

if TYPE_CHECKING:
    from socialdesk.cases.synthetic import SyntheticPerson

KINDS: Final = ("zh_name", "zh_partial", "en_name", "hkid", "phone")
UNITS: Final = 20
WORKERS_PER_UNIT: Final = 8
CHUNK: Final = 5000
LOADER_VERSION: Final = 2
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
_LOAD_ORDER: Final = ("person", "intake", "case", "caseworker", "key")

# Set in the parent before the pool forks: the workers read them.
_WORKER_STATE: dict[str, Any] = {}


class _Hmac:
    """HMAC-SHA256 under one key with the key's pads hashed once: `hmac.new` per value costs
    several times the hashing itself (OpenSSL 3 looks the digest up on every call)."""

    def __init__(self, key: bytes) -> None:
        block = (hashlib.sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))

    def digest(self, message: bytes) -> bytes:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()


class _FernetBatch:
    """Fernet tokens, as `socialdesk.core.crypto.encrypt` makes them under the newest field key,
    for many short values at once. A value under 16 bytes pads to one AES block, and CBC over
    one block is the block XOR the IV through the bare cipher, so one pass of the cipher
    encrypts a whole batch; setting up Fernet's cipher per value is most of what encrypting an
    HKID costs. `_check_shortcuts` decrypts a token of every block with `decrypt`."""

    def __init__(self, key: str) -> None:
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        raw = base64.urlsafe_b64decode(key)
        self._signer = _Hmac(raw[:16])
        # ECB on single blocks XORed with a random IV: CBC, as Fernet specifies.
        self._cipher = Cipher(algorithms.AES(raw[16:]), modes.ECB())  # noqa: S305

    def encrypt(self, values: Sequence[str]) -> list[str]:
        if not values:
            return []
        padded = []
        for value in values:
            data = value.encode("utf-8")
            if len(data) >= 16:
                raise ValueError("one-block Fernet takes values under 16 bytes")
            padded.append(data + bytes([16 - len(data)]) * (16 - len(data)))
        size = 16 * len(values)
        ivs = os.urandom(size)
        mixed = int.from_bytes(b"".join(padded)) ^ int.from_bytes(ivs)
        encryptor = self._cipher.encryptor()
        ciphertext = encryptor.update(mixed.to_bytes(size)) + encryptor.finalize()
        header = b"\x80" + int(time.time()).to_bytes(8, "big")
        tokens = []
        for start in range(0, size, 16):
            body = header + ivs[start : start + 16] + ciphertext[start : start + 16]
            token = base64.urlsafe_b64encode(body + self._signer.digest(body))
            tokens.append(token.decode("ascii"))
        return tokens


class _KeyMaker:
    """The search keys of generated people, as `identity_keys` gives them, in less time: the keys
    of each Chinese and of each English name are memoised (a million people share a few hundred
    thousand names, and the romanised ones cost most to index), and the keys of a canonical
    phone number, HKID hash and date of birth are put together directly. `check` compares the
    result with `identity_keys`."""

    _MEMO_LIMIT: Final = 500_000

    def __init__(self) -> None:
        from socialdesk.cases.services.search import identity_keys
        from socialdesk.textsearch import keys as tk

        self._identity_keys = identity_keys
        self._phone_keys = tk.phone_keys
        self._hkid_key = tk.hkid_key
        self._dob_key = tk.dob_key
        (sample,) = tk.phone_keys("23456789")
        self._phone_prefix = sample.removesuffix("23456789")  # "ph:"
        self._zh: dict[str, frozenset[str]] = {}
        self._en: dict[str, frozenset[str]] = {}
        self._dob: dict[date, str] = {}

    def keys(self, person: SyntheticPerson, hkid_hash: str) -> set[str]:
        keys = set(self._name_keys(self._zh, person.name_zh, (person.name_zh, "")))
        keys |= self._name_keys(self._en, person.name_en, ("", person.name_en))
        for phone in (person.phone, person.phone_alt):
            if len(phone) == 8 and phone.isdigit():
                keys.add(self._phone_prefix + phone)
            elif phone:
                keys |= self._phone_keys(phone)
        if hkid_hash:
            keys.add(self._hkid_key(hkid_hash))
        born = person.date_of_birth
        dob = self._dob.get(born)
        if dob is None:
            dob = self._dob[born] = self._dob_key(born)
        keys.add(dob)
        return keys

    def _name_keys(
        self, memo: dict[str, frozenset[str]], name: str, names: tuple[str, str]
    ) -> frozenset[str]:
        keys = memo.get(name)
        if keys is None:
            if len(memo) >= self._MEMO_LIMIT:
                memo.clear()
            keys = memo[name] = frozenset(self._identity_keys(names=[names]))
        return keys

    def check(self, person: SyntheticPerson, hkid_hash: str) -> None:
        """Stop the load when `keys` no longer gives what `identity_keys` gives."""
        expected = self._identity_keys(
            names=[(person.name_zh, person.name_en)],
            phones=(person.phone, person.phone_alt),
            hkid_hash=hkid_hash,
            date_of_birth=person.date_of_birth,
        )
        if self.keys(person, hkid_hash) != expected:
            raise RuntimeError(f"the fast search keys differ from identity_keys ({person.index})")


def _check_shortcuts(
    loaded: Sequence[tuple[SyntheticPerson, int, str]],
    key_maker: _KeyMaker,
    hkids: Sequence[str],
    tokens: Sequence[str],
) -> None:
    """Stop the load when a shortcut of `_block_rows` no longer gives what the application
    computes: checked on a block's first person, on its first with a phone and an HKID, and on
    its first ciphertext."""
    from socialdesk.core.crypto import decrypt, lookup_hash

    checked = [loaded[0]]
    full = next((row for row in loaded if row[0].phone and row[0].hkid), None)
    if full is not None and full is not loaded[0]:
        checked.append(full)
    for p, _primary, hkid_hash in checked:
        key_maker.check(p, hkid_hash)
        if p.hkid and lookup_hash(p.hkid) != hkid_hash:
            raise RuntimeError("the HKID hash shortcut differs from lookup_hash")
    if tokens and decrypt(tokens[0]) != hkids[0]:
        raise RuntimeError("the batch HKID encryption differs from socialdesk.core.crypto")


def _unit_weights() -> list[float]:
    """The supervisor's unit holds 1/20 of the people; the others vary around the same share."""
    return [1.0] + [0.5 + (n * 7 % 19) / 18 for n in range(1, UNITS)]


def _block_rows(block: int) -> tuple[dict[str, bytes], int, int]:
    """Worker: every table's lines for one block of the synthetic stream (people, their cases,
    case workers, intakes and search keys; HKIDs encrypted and hashed), as UTF-8, and the number
    of cases and of search keys. Ids are derived from the person's position: person n is n + 1,
    their cases 2n + 1 and 2n + 2, the case number C-<year>-<case id // 10> with the year 2016
    + case id % 10, so blocks need no coordination.

    HKID hashes, ciphertexts and search keys take shortcuts (`_Hmac`, `_FernetBatch`,
    `_KeyMaker`), checked on every block against `lookup_hash`, `decrypt` and `identity_keys`
    (`_check_shortcuts`): a shortcut that drifts from them stops the load."""
    from socialdesk.cases.synthetic import BLOCK_SIZE, PeopleGenerator

    state = _WORKER_STATE
    tails: dict[str, str] = state["tails"]
    f: _Formats = state["formats"]
    units: list[int] = state["unit_ids"]
    workers: dict[int, list[int]] = state["workers"]
    districts: dict[str, int] = state["district_ids"]
    hasher: _Hmac = state["lookup_hmac"]
    fernet: _FernetBatch = state["fernet"]
    key_maker: _KeyMaker = state["key_maker"]
    cum_weights = list(itertools.accumulate(_unit_weights()))
    stamp = f.timestamp(date(2025, 1, 1))
    first = block * BLOCK_SIZE
    count = min(BLOCK_SIZE, state["people"] - first)
    rng = random.Random(f"{SEED}/cases/{block}")  # noqa: S311
    out: dict[str, list[str]] = {name: [] for name in _LOAD_ORDER}
    loaded: list[tuple[SyntheticPerson, int, str]] = []  # person, primary unit, HKID hash
    cases = keys = 0
    for p in PeopleGenerator(SEED, start=first).people(count):
        pid = p.index + 1
        primary = rng.choices(units, cum_weights=cum_weights)[0]
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
            out["case"].append(
                f"{case_id}\tC-{year}-{case_id // 10:06d}\t{pid}\t{unit}\t"
                f"{'open' if is_open else 'closed'}\t{opened}\t{worker}\t{review or '\\N'}\t"
                f"{'' if is_open else 'goals_achieved'}\t{closed or '\\N'}\t"
                f"{'\\N' if is_open else worker}\t{opened_at}\t{opened_at}{tails['case']}\n"
            )
            out["caseworker"].append(
                f"{case_id}\t{worker}\t{f.true}\t{opened_at}\t{opened_at}{tails['caseworker']}\n"
            )
            cases += 1
        if rng.random() < OPEN_INTAKE_RATE:
            worker = rng.choice(workers[primary])
            out["intake"].append(
                f"{pid}\t{primary}\twalk_in\tpending\t{worker}\tNeeds support at home.\t"
                f"{worker}\t{stamp}\t{stamp}{tails['intake']}\n"
            )
        hkid_hash = hasher.digest(p.hkid.encode("ascii")).hex() if p.hkid else ""
        person_keys = key_maker.keys(p, hkid_hash)
        keys += len(person_keys)
        lead = f"{pid}\t"
        out["key"].append(lead + f"\n{lead}".join(sorted(person_keys)) + "\n")
        loaded.append((p, primary, hkid_hash))
    hkids = [p.hkid for p, _primary, _hash in loaded if p.hkid]
    tokens = fernet.encrypt(hkids)
    _check_shortcuts(loaded, key_maker, hkids, tokens)
    ciphertexts = iter(tokens)
    for p, primary, hkid_hash in loaded:
        ciphertext = next(ciphertexts) if p.hkid else ""
        out["person"].append(
            f"{p.index + 1}\t{p.name_zh}\t{p.name_en}\t{p.sex}\t{p.date_of_birth}\t{ciphertext}\t"
            f"{hkid_hash}\t{p.phone}\t{p.phone_alt}\t{p.address}\t{districts[p.district]}\t"
            f"{p.language}\t{primary}\t{stamp}\t{stamp}{tails['person']}\n"
        )
    return {name: "".join(lines).encode("utf-8") for name, lines in out.items()}, cases, keys


def _tables(formats: _Formats) -> dict[str, _Table]:
    """The tables loaded, by the names `_block_rows` uses, in `_LOAD_ORDER`."""
    from socialdesk.cases.models import Case, CaseWorker, Intake, SearchKey, ServiceUser

    return {
        "person": _Table.of(ServiceUser, _PERSON_COLUMNS, formats),
        "intake": _Table.of(Intake, _INTAKE_COLUMNS, formats),
        "case": _Table.of(Case, _CASE_COLUMNS, formats),
        "caseworker": _Table.of(CaseWorker, _CASEWORKER_COLUMNS, formats),
        "key": _Table.of(SearchKey, _KEY_COLUMNS, formats),
    }


@contextlib.contextmanager
def _block_results(
    people: int, world: World, tables: dict[str, _Table], formats: _Formats
) -> Iterator[Iterator[tuple[dict[str, bytes], int, int]]]:
    """Every block's lines, in the order of the stream, from a pool of worker processes
    (BENCH_CASES_WORKERS, default one per core). The pool forks before this process opens a
    database connection again: the workers must not share its socket."""
    from django.conf import settings
    from django.db import connection

    from socialdesk.cases.synthetic import BLOCK_SIZE

    _WORKER_STATE.update(
        tails={name: table.tail for name, table in tables.items()},
        formats=formats,
        unit_ids=world.unit_ids,
        workers=world.workers,
        district_ids=world.district_ids,
        people=people,
        lookup_hmac=_Hmac(settings.SOCIALDESK_LOOKUP_KEY.encode("utf-8")),
        fernet=_FernetBatch(settings.SOCIALDESK_FIELD_KEYS[0]),
        key_maker=_KeyMaker(),
    )
    blocks = range((people + BLOCK_SIZE - 1) // BLOCK_SIZE)
    processes = max(1, _env_int("BENCH_CASES_WORKERS", os.cpu_count() or 1))
    connection.close()
    if processes == 1:
        yield map(_block_rows, blocks)
        return
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        yield pool.imap(_block_rows, blocks)


def _sequences_update(people: int) -> None:
    """Keep the case-number counters ahead of the numbers used, as case_open expects."""
    from socialdesk.cases.models import Sequence

    last = (2 * people + 2) // 10
    for year in range(2016, 2026):
        Sequence.objects.update_or_create(name=f"C-{year}", defaults={"value": last})


def _reset_sequences() -> None:
    from django.core.management.color import no_style
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), _models()):
            cursor.execute(statement)


# --- Loading into SQLite ---


def _sqlite_load(people: int, world: World) -> None:
    """Empty the case tables, generate the rows into scratch files, insert them in batches."""
    from django.apps import apps
    from django.db import connection, transaction

    formats = _formats(connection.vendor)
    tables = _tables(formats)
    with connection.cursor() as cursor:
        # Children first would be needed with foreign keys on: every cases table refers to
        # people, directly or not.
        cursor.execute("PRAGMA foreign_keys = OFF")
        for model in apps.get_app_config("cases").get_models(include_auto_created=True):
            cursor.execute(f'DELETE FROM "{model._meta.db_table}"')  # noqa: S608 (our identifiers)
        cursor.execute("PRAGMA foreign_keys = ON")
    started = time.perf_counter()
    cases = keys = 0
    with tempfile.TemporaryDirectory(prefix="socialdesk-bench-cases-") as scratch:
        paths = {name: Path(scratch) / f"{name}.tsv" for name in tables}
        files = {name: path.open("wb") for name, path in paths.items()}
        try:
            with _block_results(people, world, tables, formats) as results:
                for texts, block_cases, block_keys in results:
                    for name, text in texts.items():
                        files[name].write(text)
                    cases += block_cases
                    keys += block_keys
        finally:
            for handle in files.values():
                handle.close()
        print(f"  generated {people:,} people, {cases:,} cases, {keys:,} search keys")
        print(f"  generated the rows in {time.perf_counter() - started:.1f} s")
        with transaction.atomic(), connection.cursor() as cursor:
            for name in _LOAD_ORDER:
                table = tables[name]
                marks = ", ".join(["%s"] * len(table.columns))
                sql = f'INSERT INTO "{table.name}" ({", ".join(table.columns)}) VALUES ({marks})'  # noqa: S608 (our identifiers)
                with paths[name].open(encoding="utf-8") as source:
                    batch: list[list[str | None]] = []
                    for line in source:
                        batch.append(
                            [None if v == "\\N" else v for v in line.rstrip("\n").split("\t")]
                        )
                        if len(batch) >= 20000:
                            cursor.executemany(sql, batch)
                            batch = []
                    if batch:
                        cursor.executemany(sql, batch)
    _sequences_update(people)
    _reset_sequences()
    with connection.cursor() as cursor:
        for model in _models():
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


# --- Loading into PostgreSQL ---


def _pg_drop_secondary(table_names: Sequence[str]) -> list[str]:
    """Drop the secondary indexes and unique/foreign-key constraints of the tables, and the
    primary keys nothing refers to; return the statements that re-create them (saved in a table
    too, in case the load is interrupted): every index first, as CREATE INDEX, largest first (a
    constraint's too, attached afterwards with USING INDEX, so that all of them can be built side
    by side), then the ALTER TABLE statements, foreign keys last."""
    from django.db import connection

    indexes: list[tuple[int, str]] = []  # (size, definition)
    attach: list[str] = []
    foreign: list[str] = []
    with connection.cursor() as cursor:
        for table in table_names:
            cursor.execute(
                "SELECT k.conname, k.contype, pg_get_constraintdef(k.oid), "
                "pg_get_indexdef(k.conindid), pg_relation_size(k.conindid) FROM pg_constraint k "
                "WHERE k.conrelid = %s::regclass AND (k.contype IN ('u', 'f') OR (k.contype = 'p' "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' "
                "AND r.confrelid = k.conrelid))) ORDER BY k.contype DESC, k.conname",
                [table],
            )
            constraints = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid), "
                "pg_relation_size(i.indexrelid) FROM pg_index i "
                "WHERE i.indrelid = %s::regclass AND i.indexrelid NOT IN ("
                "SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype IN ('p', 'u')) ORDER BY 1",
                [table, table],
            )
            plain = cursor.fetchall()
            for name, kind, definition, index, size in constraints:
                if kind == "f":
                    foreign.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
                    continue
                # "UNIQUE (a, b) DEFERRABLE …": the index has the columns, the rest stays.
                clause = "PRIMARY KEY" if kind == "p" else "UNIQUE"
                rest = definition[definition.index(")") + 1 :]
                indexes.append((size, index))
                attach.append(
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {clause} '
                    f'USING INDEX "{name}"{rest}'
                )
            indexes += [(size, definition) for _name, definition, size in plain]
            for name, *_rest in constraints:
                cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT IF EXISTS "{name}"')
            for name, _definition, _size in plain:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
    indexes.sort(key=lambda index: -index[0])  # stable: table order among equals
    return [definition for _size, definition in indexes] + attach + foreign


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
    from django.db import DatabaseError, connection

    for statement in _pg_saved_ddl():
        try:
            with connection.cursor() as cursor:  # autocommit: a failure spoils nothing else
                cursor.execute(statement)
        except DatabaseError:  # already there: the load that saved it had not dropped it
            pass
    _pg_saved_ddl([])


def _pg_unreferenced(table_names: Sequence[str]) -> list[str]:
    """The tables no foreign key of another table refers to (now that ours are dropped)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c WHERE c.oid IN (SELECT unnest(%s::text[])::regclass) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.contype = 'f' "
            "AND k.confrelid = c.oid AND k.conrelid <> c.oid) ORDER BY c.relname",
            [list(table_names)],
        )
        return [row[0] for row in cursor.fetchall()]


def _pg_copy_sql(table: _Table) -> str:
    columns = ", ".join(f'"{column}"' for column in table.columns)
    return f'COPY "{table.name}" ({columns}) FROM STDIN WITH (FREEZE)'


class _PgSessions:
    """Connections of their own that run the statements submitted, in order, each on the first
    connection free (threads are enough: PostgreSQL does the work). Leaving the `with` block
    waits for them all."""

    def __init__(self, count: int, setup: Sequence[str] = ()) -> None:
        from django.db import connection

        params = {
            key: value
            for key, value in connection.get_connection_params().items()
            if key not in ("cursor_factory", "context", "prepare_threshold")
        }
        self._pending: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._failures: list[BaseException] = []
        self._threads = [
            threading.Thread(target=self._session, args=(params, setup)) for _ in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def __enter__(self) -> _PgSessions:
        return self

    def __exit__(self, *exc_info: object) -> None:
        for _thread in self._threads:
            self._pending.put(None)
        for thread in self._threads:
            thread.join()
        if self._failures and exc_info[0] is None:
            raise self._failures[0]

    def submit(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self._pending.put(statement)

    def _session(self, params: dict[str, Any], setup: Sequence[str]) -> None:
        import psycopg

        try:
            with psycopg.connect(**params, autocommit=True) as conn:
                for setting in setup:
                    conn.execute(setting)
                while (statement := self._pending.get()) is not None:
                    if not self._failures:
                        conn.execute(statement)
        except BaseException as exc:  # raised again by __exit__, in the calling thread
            self._failures.append(exc)


def _pg_copy_from_files(paths: dict[str, Path], tables: dict[str, _Table]) -> None:
    """COPY each file into its table, on the connection's current transaction."""
    from django.db import connection

    raw = connection.connection.cursor()
    for name, path in paths.items():
        with raw.copy(_pg_copy_sql(tables[name])) as copy, path.open("rb") as source:
            while chunk := source.read(1 << 22):
                copy.write(chunk)


def _pg_load(people: int, world: World) -> None:
    """Generate the data set into PostgreSQL.

    Secondary indexes and constraints are dropped first and re-created at the end, two builds
    at a time on connections of their own. Each table is emptied in the transaction that loads
    it, so COPY may write the rows already frozen and visible to all (VACUUM has nothing to
    rewrite afterwards). The search keys, nine rows in ten, stream into COPY while the workers
    generate the next blocks; the other tables go through scratch files, loaded while the
    search keys are being indexed. Tables no other table refers to (search keys, case workers)
    are UNLOGGED: a benchmark data set is generated again rather than recovered, and it is
    read the same way. The marker table is UNLOGGED too: a crash empties both, so the next run
    generates again instead of reusing a data set without its search keys."""
    from django.db import connection, transaction

    formats = _formats("postgresql")
    tables = _tables(formats)
    key_table = tables["key"].name
    others = [tables[name].name for name in _LOAD_ORDER if name != "key"]
    _pg_restore_ddl()
    with transaction.atomic():
        # The biggest table first: its indexes take longest.
        key_ddl = _pg_drop_secondary([key_table])
        other_ddl = _pg_drop_secondary(others[::-1])
        _pg_saved_ddl(key_ddl + other_ddl)
    unlogged = _pg_unreferenced([key_table, *others])
    started = time.perf_counter()
    cases = keys = 0
    memory = ("SET maintenance_work_mem = '1GB'", "SET work_mem = '256MB'")
    sessions = max(1, _env_int("BENCH_CASES_INDEX_SESSIONS", 2))
    with tempfile.TemporaryDirectory(prefix="socialdesk-bench-cases-") as scratch:
        paths = {name: Path(scratch) / f"{name}.tsv" for name in _LOAD_ORDER if name != "key"}
        with (
            _block_results(people, world, tables, formats) as results,
            transaction.atomic(),
        ):
            with connection.cursor() as cursor:
                cursor.execute(f'TRUNCATE "{key_table}" RESTART IDENTITY')
                if key_table in unlogged:
                    cursor.execute(f'ALTER TABLE "{key_table}" SET UNLOGGED')
            files = {name: path.open("wb") for name, path in paths.items()}
            try:
                raw = connection.connection.cursor()
                with raw.copy(_pg_copy_sql(tables["key"])) as copy:
                    for texts, block_cases, block_keys in results:
                        copy.write(texts["key"])
                        for name, handle in files.items():
                            handle.write(texts[name])
                        cases += block_cases
                        keys += block_keys
            finally:
                for handle in files.values():
                    handle.close()
        print(f"  generated {people:,} people, {cases:,} cases, {keys:,} search keys")
        print(f"  generated the rows (search keys copied meanwhile): {_since(started)}")
        started = time.perf_counter()
        with _PgSessions(sessions, memory) as builders:
            builders.submit([s for s in key_ddl if s.startswith("CREATE")])
            with transaction.atomic():
                with connection.cursor() as cursor:
                    quoted = ", ".join(f'"{name}"' for name in others)
                    cursor.execute(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
                    for name in unlogged:
                        if name != key_table:
                            cursor.execute(f'ALTER TABLE "{name}" SET UNLOGGED')
                    cursor.execute(f"ALTER TABLE {MARKER_TABLE} SET UNLOGGED")
                _pg_copy_from_files(paths, tables)
            print(f"  COPY the other tables (while the keys are indexed): {_since(started)}")
            builders.submit([s for s in other_ddl if s.startswith("CREATE")])
    _sequences_update(people)
    _reset_sequences()
    # On one connection: a foreign key locks both tables it joins, so two side by side could
    # deadlock.
    with _PgSessions(1, memory) as alter:
        alter.submit([s for s in key_ddl + other_ddl if not s.startswith("CREATE")])
    _pg_saved_ddl([])
    print(f"  indexes and constraints, from the end of generation: {_since(started)}")
    started = time.perf_counter()
    # The rows are frozen already: VACUUM only checks the visibility map; ANALYZE samples.
    with _PgSessions(sessions) as vacuum:
        vacuum.submit([f'VACUUM (ANALYZE) "{name}"' for name in [key_table, *others]])
    print(f"  vacuum/analyze: {_since(started)}")


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.1f} s"


def _ensure_data(people: int, world: World) -> float:
    """Load the data set unless the one recorded matches; the generation time in seconds.
    BENCH_CASES_REGENERATE=1 generates it again regardless."""
    from django.db import connection

    fingerprint = _fingerprint(people, world)
    marker = _marker_read()
    forced = os.environ.get("BENCH_CASES_REGENERATE", "") not in ("", "0")
    if marker is not None and marker[:2] == (people, fingerprint) and not forced:
        print(f"  reusing the loaded data set ({people:,} people, generated in {marker[2]:.0f} s)")
        return marker[2]
    _guard_database()
    _marker_write(None)
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        _pg_load(people, world)
    else:
        _sqlite_load(people, world)
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
