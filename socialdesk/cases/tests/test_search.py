"""People search and duplicate detection on a small generated caseload: Chinese names (whole,
partial, Simplified), romanised names in any order and spelling, HKIDs and phones as typed,
case numbers; results limited to what the user may see; duplicate candidates with reasons."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases.models import (
    BreakGlassAccess,
    Case,
    CaseWorker,
    ReferralStatus,
    SearchKey,
    ServiceUser,
)
from socialdesk.cases.services import search
from socialdesk.cases.services.search import (
    duplicate_candidates,
    english_pair_keys,
    naive_search_people,
    person_keys,
    search_people,
    visible_among,
)
from socialdesk.cases.synthetic import (
    SyntheticPerson,
    generate_people,
    hkid_format_variants,
    phone_format_variants,
    to_simplified,
)
from socialdesk.core.access import Action, policy_for
from socialdesk.core.crypto import lookup_hash
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World, build_world

from .conftest import add_member
from .factories import (
    BreakGlassAccessFactory,
    CaseFactory,
    IntakeFactory,
    ReferralFactory,
    ServiceUserFactory,
    TeamFactory,
    valid_hkid,
)

CHAN_HKID = valid_hkid("C668899")


@dataclass
class Caseload:
    """Hand-made people in unit_a and unit_b, and a generated set spread over both units."""

    chan: ServiceUser  # 陳大文, the worker's open case
    chan_longer: ServiceUser  # 陳大文傑, the worker's open case
    wong: ServiceUser  # 黃美玲, a colleague's case (the supervisor sees it, the worker not)
    lee: ServiceUser  # 李志強, the worker's case
    cheung_b: ServiceUser  # 張小芳, unit_b only
    chan_case: Case
    generated: list[tuple[SyntheticPerson, ServiceUser, bool]]  # (data, record, in unit_a)


def _values(p: SyntheticPerson) -> dict[str, Any]:
    return {
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "sex": p.sex,
        "date_of_birth": p.date_of_birth,
        "hkid": p.hkid,
        "hkid_hash": lookup_hash(p.hkid) if p.hkid else "",
        "phone": p.phone,
        "phone_alt": p.phone_alt,
    }


def _bulk_register(people: list[SyntheticPerson]) -> list[ServiceUser]:
    """Generated people saved with their search keys, in a few queries."""
    records = ServiceUser.objects.bulk_create([ServiceUser(**_values(p)) for p in people])
    SearchKey.objects.bulk_create(
        [SearchKey(person=r, key=key) for r in records for key in sorted(person_keys(r))]
    )
    return records


def _build_caseload(world: World) -> Caseload:
    worker = world.roles[Role.FRONTLINE_WORKER]
    colleague, staff_b = world.colleague_a, world.staff_b

    def person(**values: Any) -> ServiceUser:
        return ServiceUserFactory(**{"sex": "M", "phone_alt": "", "hkid": "", **values})

    chan = person(
        name_zh="陳大文",
        name_en="CHAN TAI MAN",
        hkid=CHAN_HKID,
        phone="61234567",
        date_of_birth=date(1950, 1, 31),
    )
    chan_longer = person(
        name_zh="陳大文傑",
        name_en="CHAN TAI MAN KIT",
        phone="61230000",
        date_of_birth=date(1988, 3, 3),
    )
    wong = person(
        name_zh="黃美玲",
        name_en="WONG MEI LING",
        sex="F",
        phone="23456789",
        date_of_birth=date(1972, 5, 5),
    )
    lee = person(
        name_zh="李志強",
        name_en="LEE CHI KEUNG",
        phone="98765432",
        date_of_birth=date(1966, 6, 6),
    )
    cheung_b = person(
        name_zh="張小芳",
        name_en="CHEUNG SIU FONG",
        sex="F",
        phone="51112222",
        date_of_birth=date(1944, 4, 4),
    )
    chan_case = CaseFactory(
        person=chan, unit=world.unit_a, opened_by=worker, workers=[worker], number="C-2026-000123"
    )
    for record in (chan_longer, lee):
        CaseFactory(person=record, unit=world.unit_a, opened_by=worker, workers=[worker])
    CaseFactory(person=wong, unit=world.unit_a, opened_by=colleague, workers=[colleague])
    CaseFactory(person=cheung_b, unit=world.unit_b, opened_by=staff_b, workers=[staff_b])
    people = generate_people(60, seed=31, duplicate_rate=0)
    records = _bulk_register(people)
    cases = Case.objects.bulk_create(
        Case(
            number=f"C-2025-{900000 + n:06d}",
            person=record,
            unit=world.unit_a if n % 2 == 0 else world.unit_b,
            opened_on=date(2026, 1, 5),
            opened_by=worker if n % 2 == 0 else staff_b,
        )
        for n, record in enumerate(records)
    )
    CaseWorker.objects.bulk_create(
        CaseWorker(case=case, user=case.opened_by, is_primary=True) for case in cases
    )
    generated = [(p, r, n % 2 == 0) for n, (p, r) in enumerate(zip(people, records, strict=True))]
    return Caseload(chan, chan_longer, wong, lee, cheung_b, chan_case, generated)


@pytest.fixture(scope="module")
def module_data(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[World, Caseload]]:
    """One world and caseload for the whole module, rolled back at its end (each test runs in
    a savepoint inside it, as pytest-django's `db` fixture does)."""
    with django_db_blocker.unblock(), transaction.atomic():
        world = build_world(with_jobs_and_tokens=False, with_cases=False)
        yield world, _build_caseload(world)
        transaction.set_rollback(True)


@pytest.fixture
def world(module_data: tuple[World, Caseload], db: None) -> World:
    """The module's world (overrides the shared per-test one)."""
    return module_data[0]


@pytest.fixture
def caseload(module_data: tuple[World, Caseload], db: None) -> Caseload:
    return module_data[1]


def _ids(user: User, query: str) -> list[int]:
    return [hit.person.pk for hit in search_people(user=user, query=query)]


# --- What a query finds ---


@pytest.mark.parametrize("query", ["陳大文", "陈大文", " 陳 大 文 "])
def test_a_whole_chinese_name_in_either_script(
    caseload: Caseload, supervisor: User, query: str
) -> None:
    assert _ids(supervisor, query)[0] == caseload.chan.pk


def test_the_exact_name_comes_before_a_longer_one_that_contains_it(
    caseload: Caseload, supervisor: User
) -> None:
    assert _ids(supervisor, "陳大文")[:2] == [caseload.chan.pk, caseload.chan_longer.pk]
    assert _ids(supervisor, "陳大文傑")[0] == caseload.chan_longer.pk


@pytest.mark.parametrize("query", ["大文", "陳大", "陈大"])
def test_part_of_a_chinese_name(caseload: Caseload, supervisor: User, query: str) -> None:
    found = _ids(supervisor, query)
    assert caseload.chan.pk in found and caseload.chan_longer.pk in found
    assert caseload.wong.pk not in found


def test_one_chinese_character(caseload: Caseload, supervisor: User) -> None:
    found = _ids(supervisor, "黃")
    assert caseload.wong.pk in found
    assert caseload.chan.pk not in found


@pytest.mark.parametrize(
    "query",
    [
        "CHAN TAI MAN",
        "tai man chan",
        "Man Chan Tai",
        "Chen Tai Man",  # Pinyin spelling of 陳
        "Tan Tai Man",  # Hokkien spelling
        "Chan Taiman",  # given name run together
        "CHAN, Tai-man",
    ],
)
def test_a_romanised_name_in_any_order_and_spelling(
    caseload: Caseload, supervisor: User, query: str
) -> None:
    assert _ids(supervisor, query)[0] == caseload.chan.pk


@pytest.mark.parametrize(
    ("query", "who"),
    [("Wang Mei Ling", "wong"), ("Huang Mei Ling", "wong"), ("Li Chi Keung", "lee")],
)
def test_surname_variants_wong_wang_lee_li(
    caseload: Caseload, supervisor: User, query: str, who: str
) -> None:
    assert _ids(supervisor, query)[0] == getattr(caseload, who).pk


def test_a_romanised_name_needs_every_syllable(caseload: Caseload, supervisor: User) -> None:
    assert caseload.chan.pk not in _ids(supervisor, "Chan Tai Wing")


@pytest.mark.parametrize("query", hkid_format_variants(CHAN_HKID))
def test_an_hkid_in_any_format(caseload: Caseload, supervisor: User, query: str) -> None:
    assert _ids(supervisor, query) == [caseload.chan.pk]


def test_an_hkid_with_a_wrong_check_digit_finds_nobody(
    caseload: Caseload, supervisor: User
) -> None:
    wrong = "0" if CHAN_HKID[-1] != "0" else "1"
    assert _ids(supervisor, f"{CHAN_HKID[:-1]}({wrong})") == []


@pytest.mark.parametrize("query", [*phone_format_variants("61234567"), "852-6123 4567"])
def test_a_phone_with_spaces_dashes_and_852(
    caseload: Caseload, supervisor: User, query: str
) -> None:
    assert _ids(supervisor, query) == [caseload.chan.pk]


def test_a_landline(caseload: Caseload, supervisor: User) -> None:
    assert _ids(supervisor, "2345 6789") == [caseload.wong.pk]


@pytest.mark.parametrize("query", ["C-2026-000123", "c2026000123", "C 2026 000123"])
def test_a_case_number(caseload: Caseload, supervisor: User, query: str) -> None:
    assert _ids(supervisor, query) == [caseload.chan.pk]


def test_a_name_and_a_phone_together(caseload: Caseload, supervisor: User) -> None:
    found = _ids(supervisor, "陳大文 6123 4567")
    assert found[0] == caseload.chan.pk
    hits = search_people(user=supervisor, query="陳大文 6123 4567")
    assert hits[0].score > hits[1].score


def test_nothing_matches(caseload: Caseload, supervisor: User) -> None:
    assert _ids(supervisor, "歐陽鋒") == []
    assert _ids(supervisor, "") == []
    assert _ids(supervisor, "???") == []


def test_every_generated_person_is_found_by_each_kind_of_query(
    caseload: Caseload, supervisor: User
) -> None:
    for p, record, in_a in caseload.generated[:30]:
        if not in_a:
            continue
        queries = [p.name_en]
        if p.name_zh:
            queries += [p.name_zh, to_simplified(p.name_zh)]
        if p.hkid:
            queries.append(hkid_format_variants(p.hkid)[0])
        if p.phone:
            queries.append(phone_format_variants(p.phone)[1])
        for query in queries:
            assert record.pk in _ids(supervisor, query), (query, p)


# --- Who may see what ---


def test_a_worker_of_another_unit_finds_nothing(caseload: Caseload, staff_b: User) -> None:
    for query in ("陳大文", "CHAN TAI MAN", CHAN_HKID, "6123 4567", "C-2026-000123", "黃美玲"):
        assert _ids(staff_b, query) == [], query
    assert _ids(staff_b, "張小芳") == [caseload.cheung_b.pk]


def test_a_worker_sees_their_own_cases_and_the_supervisor_the_unit(
    caseload: Caseload, worker: User, supervisor: User
) -> None:
    assert _ids(worker, "黃美玲") == []  # a colleague's case
    assert _ids(supervisor, "黃美玲") == [caseload.wong.pk]
    assert _ids(worker, "陳大文")[0] == caseload.chan.pk
    assert _ids(worker, "張小芳") == []


def test_results_never_include_anyone_outside_the_policy(
    caseload: Caseload, worker: User, supervisor: User, staff_b: User, privacy: User
) -> None:
    queries = ["陳", "CHAN", "WONG", "LEE", "黃", "李", "TAI MAN"]
    queries += [p.name_zh or p.name_en for p, _record, _a in caseload.generated[:8]]
    for user in (worker, supervisor, staff_b, privacy):
        allowed = set(
            policy_for(ServiceUser).queryset(user, Action.VIEW).values_list("pk", flat=True)
        )
        for query in queries:
            assert set(_ids(user, query)) <= allowed, (user.username, query)


def test_a_merged_record_is_not_found(caseload: Caseload, supervisor: User) -> None:
    ServiceUser.objects.filter(pk=caseload.chan_longer.pk).update(merged_into=caseload.chan)
    assert caseload.chan_longer.pk not in _ids(supervisor, "陳大文")


def test_when_the_index_holds_more_candidates_than_it_reads_the_visible_ones_are_still_found(
    caseload: Caseload, worker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(search, "MAX_CANDIDATES", 1)
    monkeypatch.setattr(search, "VISIBILITY_BATCHES", (1,))
    # Many people share the syllable; the worker sees only a few of them.
    allowed = set(
        policy_for(ServiceUser).queryset(worker, Action.VIEW).values_list("pk", flat=True)
    )
    found = _ids(worker, "陳")
    assert caseload.chan.pk in found
    assert set(found) <= allowed


@pytest.fixture
def access_cases(
    world: World, caseload: Caseload, worker: User, colleague: User, staff_b: User
) -> dict[str, ServiceUser]:
    """Records reached in every way the person policy knows."""
    team_person = ServiceUserFactory(name_zh="團隊人", name_en="TEAM PERSON")
    team = TeamFactory(unit=world.unit_a, members=[colleague])
    CaseFactory(person=team_person, unit=world.unit_a, opened_by=worker, team=team)
    closed = ServiceUserFactory(name_zh="結案人", name_en="CLOSED PERSON")
    CaseFactory(
        person=closed, unit=world.unit_a, opened_by=worker, workers=[worker], status="closed"
    )
    queued = ServiceUserFactory(name_zh="輪候人", name_en="QUEUED PERSON")
    IntakeFactory(person=queued, unit=world.unit_a, assigned_worker=None, created_by=worker)
    colleagues_intake = ServiceUserFactory(name_zh="同事人", name_en="COLLEAGUE INTAKE")
    IntakeFactory(person=colleagues_intake, unit=world.unit_a, assigned_worker=colleague)
    BreakGlassAccessFactory(user=staff_b, person=caseload.lee)
    merged = ServiceUserFactory(name_zh="合併人", name_en="MERGED PERSON")
    CaseFactory(person=merged, unit=world.unit_a, opened_by=worker, workers=[worker])
    ServiceUser.objects.filter(pk=merged.pk).update(merged_into=caseload.chan)
    return {"team": team_person, "closed": closed, "queued": queued, "merged": merged}


def test_visible_among_agrees_with_the_person_policy_for_every_role(
    world: World,
    caseload: Caseload,
    access_cases: dict[str, ServiceUser],
    supervisor_b: User,
) -> None:
    team_member = add_member("teammember", Role.FRONTLINE_WORKER, world.unit_a)
    team = access_cases["team"].cases.get().team
    assert team is not None
    team.members.add(team_member)
    users = [*world.roles.values(), world.colleague_a, world.staff_b, supervisor_b, team_member]
    everyone = list(ServiceUser.objects.values_list("pk", flat=True))
    for user in users:
        expected = set(
            policy_for(ServiceUser)
            .queryset(user, Action.VIEW)
            .filter(merged_into__isnull=True)
            .values_list("pk", flat=True)
        )
        assert visible_among(user, everyone) == expected, user.username
    assert access_cases["queued"].pk in visible_among(world.roles[Role.FRONTLINE_WORKER], everyone)
    assert caseload.lee.pk in visible_among(world.staff_b, everyone)  # break the glass


def test_search_finds_a_break_the_glass_person_only_while_the_access_is_in_force(
    world: World, caseload: Caseload, worker: User, staff_b: User
) -> None:
    """A person with no case or intake anywhere the worker works: reached only through their
    break-the-glass access."""
    person = ServiceUserFactory(
        name_zh="區志明", name_en="AU CHI MING", phone="52223333", registered_unit=world.unit_b
    )
    queries = ("區志明", "AU CHI MING", "5222 3333")
    for query in queries:
        assert _ids(worker, query) == [], query

    access = BreakGlassAccessFactory(user=worker, person=person)

    for query in queries:
        assert _ids(worker, query) == [person.pk], query
        assert _ids(staff_b, query) == [], query  # only the holder's
    BreakGlassAccess.objects.filter(pk=access.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    for query in queries:
        assert _ids(worker, query) == [], query


def test_visible_among_is_the_person_policy_restricted_to_the_ids(
    world: World, caseload: Caseload, access_cases: dict[str, ServiceUser], worker: User
) -> None:
    """Every way in and out of the person policy, for a mixed set of people."""
    unit_a, unit_b = world.unit_a, world.unit_b
    glass_only = ServiceUserFactory(name_zh="破窗人", registered_unit=unit_b)
    BreakGlassAccessFactory(user=worker, person=glass_only)
    expired, ended = ServiceUserFactory(), ServiceUserFactory()
    BreakGlassAccessFactory(
        user=worker,
        person=expired,
        granted_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    BreakGlassAccessFactory(user=worker, person=ended, ended_at=timezone.now())
    referred = ServiceUserFactory(name_zh="轉介人", registered_unit=unit_b)
    ReferralFactory(
        person=referred,
        from_unit=unit_b,
        from_user=world.staff_b,
        to_unit=unit_a,
        status=ReferralStatus.ACCEPTED,
    )
    registered_only = ServiceUserFactory(registered_unit=unit_a)
    people = [
        caseload.chan,  # the worker's case
        caseload.wong,  # a colleague's case
        caseload.cheung_b,  # another agency's case
        caseload.lee,  # the worker's case, and staff_b's break-the-glass
        *access_cases.values(),  # team, closed, queued intake, merged
        glass_only,
        expired,
        ended,
        referred,  # a referral received by the unit: the referral is visible, not the person
        registered_only,  # registered by the unit, no case or intake
    ]
    ids = [p.pk for p in people]
    users = [*world.roles.values(), world.colleague_a, world.staff_b, world.privacy_b]
    for user in users:
        expected = set(
            policy_for(ServiceUser)
            .queryset(user, Action.VIEW)
            .filter(pk__in=ids, merged_into__isnull=True)
            .values_list("pk", flat=True)
        )
        assert visible_among(user, ids) == expected, user.username
    assert visible_among(worker, ids) == {
        caseload.chan.pk,
        caseload.lee.pk,
        access_cases["queued"].pk,
        glass_only.pk,
    }


def test_naive_search_is_limited_to_the_user_too(
    caseload: Caseload, supervisor: User, staff_b: User
) -> None:
    assert [p.pk for p in naive_search_people(user=supervisor, query="陳大文")] == [
        caseload.chan.pk,
        caseload.chan_longer.pk,
    ]
    assert naive_search_people(user=staff_b, query="陳大文") == []
    assert [p.pk for p in naive_search_people(user=supervisor, query="6123 4567")] == [
        caseload.chan.pk
    ]


# --- Keys ---


def test_syllable_pairs_are_indexed_in_any_order_and_spelling() -> None:
    assert english_pair_keys("CHAN TAI MAN") == {"ep:CHAN.TAI", "ep:CHAN.MAN", "ep:MAN.TAI"}
    assert english_pair_keys("Tai-man Chen") == english_pair_keys("CHAN TAI MAN")
    assert english_pair_keys("CHAN") == set()


def test_stored_keys_are_the_persons_keys(caseload: Caseload) -> None:
    stored = set(caseload.chan.search_keys.values_list("key", flat=True))
    assert stored == person_keys(caseload.chan)
    assert {"zf:陈大文", "ph:61234567", "db:1950-01-31", "ep:CHAN.TAI"} <= stored


# --- Duplicate detection ---


def test_duplicate_candidates_are_ranked_with_their_reasons(caseload: Caseload) -> None:
    candidates = duplicate_candidates(
        name_zh="陈大文",
        name_en="CHEN TAI MAN",
        date_of_birth=date(1950, 1, 31),
        phones=["+852 6123 4567"],
    )
    assert candidates[0].person_id == caseload.chan.pk
    assert candidates[0].reasons == ["same_zh_name", "en_name_variant", "same_phone", "same_dob"]
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    assert str(search.REASON_LABELS["same_zh_name"]) == candidates[0].reason_labels()[0]
    # 陳大文傑 has a similar name, but nothing else in common: not enough.
    assert caseload.chan_longer.pk not in {c.person_id for c in candidates}
    with_birthday = duplicate_candidates(name_zh="陳大文", date_of_birth=date(1988, 3, 3))
    assert [(c.person_id, c.reasons) for c in with_birthday] == [
        (caseload.chan.pk, ["same_zh_name"]),
        (caseload.chan_longer.pk, ["similar_zh_name", "same_dob"]),
    ]


def test_the_same_hkid_comes_first_whatever_the_name(caseload: Caseload) -> None:
    candidates = duplicate_candidates(name_zh="王小明", hkid=hkid_format_variants(CHAN_HKID)[0])
    assert candidates[0].person_id == caseload.chan.pk
    assert candidates[0].same_hkid and candidates[0].score >= 100


def test_the_same_spelling_in_another_order_is_the_same_english_name(caseload: Caseload) -> None:
    candidates = duplicate_candidates(name_en="Tai-Man Chan", date_of_birth=date(1950, 1, 31))
    assert candidates[0].person_id == caseload.chan.pk
    assert candidates[0].reasons == ["same_en_name", "same_dob"]


def test_a_shared_date_of_birth_or_one_bigram_alone_is_no_candidate(caseload: Caseload) -> None:
    assert duplicate_candidates(name_zh="何大文", date_of_birth=date(1966, 6, 6)) == []
    assert duplicate_candidates(date_of_birth=date(1950, 1, 31)) == []


def test_a_record_is_not_its_own_duplicate(caseload: Caseload) -> None:
    candidates = duplicate_candidates(name_zh="陳大文", exclude_id=caseload.chan.pk)
    assert caseload.chan.pk not in {c.person_id for c in candidates}


def test_generated_near_duplicates_find_their_original(db: None) -> None:
    people = generate_people(400, seed=8, duplicate_rate=0.08)
    originals = [p for p in people if p.duplicate_of is None]
    records = dict(zip([p.index for p in originals], _bulk_register(originals), strict=True))
    duplicates = [p for p in people if p.duplicate_of is not None and p.duplicate_of in records]
    assert len(duplicates) >= 15
    for dup in duplicates:
        candidates = duplicate_candidates(
            name_zh=dup.name_zh,
            name_en=dup.name_en,
            date_of_birth=dup.date_of_birth,
            hkid=dup.hkid,
            phones=[x for x in (dup.phone, dup.phone_alt) if x],
        )
        original = records[dup.duplicate_of or 0]
        assert original.pk in {c.person_id for c in candidates[:3]}, (dup, original)
