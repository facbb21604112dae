"""Need-to-know access to case records (policies.py), and the issue's acceptance: "a worker of
another unit cannot find or open the person; break-the-glass works and is audited; every read
shows in the audit"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import Http404
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases import selectors
from socialdesk.cases.models import (
    BreakGlassAccess,
    Case,
    CaseNote,
    CaseStatus,
    Intake,
    IntakeStatus,
    Referral,
    ServiceUser,
    ServiceUserAlias,
    WorkItem,
    WorkItemKind,
)
from socialdesk.cases.services.breakglass import break_glass_end, break_glass_open
from socialdesk.cases.services.search import search_people
from socialdesk.core.access import Action, policy_for
from socialdesk.core.models import Role, ServiceUnit
from socialdesk.core.tests.factories import ServiceUnitFactory
from socialdesk.core.tests.world import World

from .conftest import add_member
from .factories import (
    BreakGlassAccessFactory,
    CaseFactory,
    CaseNoteFactory,
    IntakeFactory,
    ReferralFactory,
    ServiceUserFactory,
    TeamFactory,
    WorkItemFactory,
)

NO_CASE_DATA_ROLES = (
    Role.AGENCY_ADMIN,
    Role.AGENCY_FINANCE,
    Role.SWD_SUBVENTIONS,
    Role.SYSTEM_ADMIN,
)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    return module_world


@dataclass
class Casebook:
    """Case records of unit_a (NGO A), a unit of NGO B and a second unit of NGO A, named by
    whose they are. Each person has exactly one case or intake, so names say who sees whom."""

    records: dict[str, Any]
    worker_a2: User

    def __getitem__(self, name: str) -> Any:
        return self.records[name]

    def names(self, qs: models.QuerySet[Any]) -> set[str]:
        """The names of the records of `qs` (records of one model)."""
        pks = set(qs.values_list("pk", flat=True))
        return {
            name for name, obj in self.records.items() if type(obj) is qs.model and obj.pk in pks
        }


def _build_casebook(world: World) -> Casebook:
    """Each person's one case (with a note) or intake, referrals, work items, and break-the-glass
    accesses (the worker's to NGO B's person, NGO B's worker's to the worker's person)."""
    worker, colleague = world.roles[Role.FRONTLINE_WORKER], world.colleague_a
    staff_b = world.staff_b
    a, b = world.unit_a, world.unit_b
    unit_a2 = ServiceUnitFactory(
        organisation=world.ngo_a,
        code="a-decc",
        district=world.district,
        service_type=world.service_type,
    )
    worker_a2 = add_member("deccworker", Role.FRONTLINE_WORKER, unit_a2)
    team = TeamFactory(unit=a, members=[worker, colleague])
    r: dict[str, Any] = {}

    def case(name: str, unit: ServiceUnit, user: User, **kw: Any) -> None:
        person = ServiceUserFactory(registered_unit=unit)
        r[f"p_{name}"] = person
        r[f"c_{name}"] = CaseFactory(person=person, unit=unit, opened_by=user, workers=[user], **kw)
        r[f"n_{name}"] = CaseNoteFactory(case=r[f"c_{name}"], author=user)

    def intake(name: str, unit: ServiceUnit, user: User | None, **kw: Any) -> None:
        person = ServiceUserFactory(registered_unit=unit)
        r[f"p_{name}"] = person
        r[f"i_{name}"] = IntakeFactory(person=person, unit=unit, assigned_worker=user, **kw)

    case("mine", a, worker)
    case("colleague", a, colleague)
    case("team", a, colleague, team=team)
    case("closed", a, worker, status=CaseStatus.CLOSED, closed_on=timezone.localdate())
    case("pending_closure", a, worker, status=CaseStatus.CLOSURE_PENDING)
    case("b", b, staff_b)
    case("a2", unit_a2, worker_a2)
    intake("queue", a, None)
    intake("my_intake", a, worker)
    intake("colleague_intake", a, colleague)
    intake("finished_intake", a, worker, status=IntakeStatus.NO_CASE)
    intake("b_intake", b, None)

    r["r_out"] = ReferralFactory(
        person=r["p_mine"], from_unit=a, from_user=worker, to_unit=b, case=None
    )
    r["r_colleague_out"] = ReferralFactory(
        person=r["p_colleague"], from_unit=a, from_user=colleague, to_unit=b
    )
    r["r_in"] = ReferralFactory(person=r["p_b"], from_unit=b, from_user=staff_b, to_unit=a)
    r["r_b_to_swd"] = ReferralFactory(
        person=r["p_b"], from_unit=b, from_user=staff_b, to_unit=world.unit_swd
    )

    due = timezone.localdate() + timedelta(days=3)
    r["w_mine"] = WorkItemFactory(unit=a, assignee=worker, case=r["c_mine"], due_on=due)
    r["w_colleague"] = WorkItemFactory(unit=a, assignee=colleague, due_on=due)
    r["w_unit"] = WorkItemFactory(unit=a, kind=WorkItemKind.REFERRAL_RESPONSE, due_on=due)
    r["w_supervisor"] = WorkItemFactory(
        unit=a, kind=WorkItemKind.PLAN_APPROVAL, for_supervisor=True, due_on=due
    )
    r["w_b"] = WorkItemFactory(unit=b, assignee=staff_b, due_on=due)

    r["g_worker"] = BreakGlassAccessFactory(user=worker, person=r["p_b"])
    r["g_b"] = BreakGlassAccessFactory(user=staff_b, person=r["p_mine"])
    r["g_expired"] = BreakGlassAccessFactory(
        user=staff_b,
        person=r["p_colleague"],
        granted_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(hours=1),
    )
    return Casebook(records=r, worker_a2=worker_a2)


@pytest.fixture(scope="module")
def module_casebook(module_world: World, django_db_blocker: Any) -> Casebook:
    """The casebook, built once per module inside `module_world`'s transaction; the tests only
    read it (what they write is rolled back after each)."""
    with django_db_blocker.unblock():
        return _build_casebook(module_world)


@pytest.fixture
def casebook(module_casebook: Casebook, db: None) -> Casebook:
    return module_casebook


def _visible(
    user: User, model: type[models.Model], book: Casebook, action: Action = Action.VIEW
) -> set[str]:
    return book.names(policy_for(model).queryset(user, action))


A_PEOPLE = {
    "p_mine",
    "p_colleague",
    "p_team",
    "p_closed",
    "p_pending_closure",
    "p_queue",
    "p_my_intake",
    "p_colleague_intake",
    "p_finished_intake",
}
A_CASES = {"c_mine", "c_colleague", "c_team", "c_closed", "c_pending_closure"}
A_INTAKES = {"i_queue", "i_my_intake", "i_colleague_intake", "i_finished_intake"}


# --- Frontline worker ---


def test_worker_sees_the_people_of_their_open_cases_team_cases_and_intakes(
    worker: User, casebook: Casebook
) -> None:
    assert _visible(worker, ServiceUser, casebook) == {
        "p_mine",
        "p_team",
        "p_pending_closure",
        "p_queue",
        "p_my_intake",
        "p_b",  # break-the-glass access of the worker
    }


def test_worker_changes_the_people_of_their_cases_and_intakes_not_of_break_the_glass(
    worker: User, casebook: Casebook
) -> None:
    assert _visible(worker, ServiceUser, casebook, Action.CHANGE) == {
        "p_mine",
        "p_team",
        "p_pending_closure",
        "p_queue",
        "p_my_intake",
    }


def test_worker_sees_their_own_and_their_teams_open_cases_only(
    worker: User, casebook: Casebook
) -> None:
    expected = {"c_mine", "c_team", "c_pending_closure"}
    assert _visible(worker, Case, casebook) == expected | {"c_b"}  # c_b: break-the-glass
    assert _visible(worker, Case, casebook, Action.CHANGE) == expected
    assert _visible(worker, CaseNote, casebook) == {"n_mine", "n_team", "n_pending_closure", "n_b"}
    assert _visible(worker, CaseNote, casebook, Action.CHANGE) == {
        "n_mine",
        "n_team",
        "n_pending_closure",
    }


def test_worker_sees_their_own_open_intakes_and_the_units_queue(
    worker: User, casebook: Casebook
) -> None:
    assert _visible(worker, Intake, casebook, Action.CHANGE) == {"i_queue", "i_my_intake"}


def test_worker_sees_the_units_referral_inbox_and_what_they_sent(
    worker: User, colleague: User, casebook: Casebook
) -> None:
    assert _visible(worker, Referral, casebook) == {"r_out", "r_in"}
    assert _visible(colleague, Referral, casebook) == {"r_colleague_out", "r_in"}


def test_worker_sees_their_work_items_and_the_units_unassigned_ones(
    worker: User, casebook: Casebook
) -> None:
    assert _visible(worker, WorkItem, casebook) == {"w_mine", "w_unit"}


def test_worker_sees_their_own_break_the_glass_accesses(
    worker: User, staff_b: User, casebook: Casebook
) -> None:
    assert _visible(worker, BreakGlassAccess, casebook) == {"g_worker"}
    assert _visible(worker, BreakGlassAccess, casebook, Action.CHANGE) == set()
    assert _visible(staff_b, BreakGlassAccess, casebook) == {"g_b", "g_expired"}


def test_a_case_with_a_team_of_several_members_is_listed_once(
    worker: User, supervisor: User, casebook: Casebook
) -> None:
    for user in (worker, supervisor):
        pks = list(policy_for(Case).queryset(user).values_list("pk", flat=True))
        assert len(pks) == len(set(pks))
        assert policy_for(Case).get(user, casebook["c_team"].pk) == casebook["c_team"]


def test_break_the_glass_alone_shows_a_person_without_cases_or_intakes_while_in_force(
    worker: User, colleague: User, world: World
) -> None:
    person = ServiceUserFactory(registered_unit=world.unit_b)
    alias = ServiceUserAlias.objects.create(person=person, name_en="ANOTHER NAME")
    people, aliases = policy_for(ServiceUser), policy_for(ServiceUserAlias)
    assert not people.queryset(worker).filter(pk=person.pk).exists()

    access = BreakGlassAccessFactory(user=worker, person=person)

    assert people.queryset(worker).filter(pk=person.pk).exists()
    assert aliases.queryset(worker).filter(pk=alias.pk).exists()
    assert not people.queryset(worker, Action.CHANGE).filter(pk=person.pk).exists()
    assert not aliases.queryset(worker, Action.CHANGE).filter(pk=alias.pk).exists()
    assert not people.queryset(colleague).filter(pk=person.pk).exists()  # only the holder's
    break_glass_end(user=worker, access_id=access.pk)
    assert not people.queryset(worker).filter(pk=person.pk).exists()
    BreakGlassAccessFactory(
        user=worker,
        person=person,
        granted_at=timezone.now() - timedelta(hours=2),
        expires_at=timezone.now() - timedelta(seconds=1),
    )
    assert not people.queryset(worker).filter(pk=person.pk).exists()


def _subquery_tables(sql: str) -> list[str]:
    """The tables the EXISTS subqueries of `sql` read, in order (nested ones included)."""
    return re.findall(r'EXISTS\(SELECT 1 AS "a" FROM "(\w+)"', sql)


CASE, INTAKE, GLASS = "cases_case", "cases_intake", "cases_breakglassaccess"
# A worker's case: is the worker one of its workers, or in its team?
ASSIGNED = [CASE, "cases_caseworker", "cases_team_members"]


@pytest.mark.parametrize(
    ("role", "action", "tables", "ways_in"),
    [
        (Role.FRONTLINE_WORKER, Action.VIEW, [*ASSIGNED, INTAKE, GLASS], 3),
        (Role.FRONTLINE_WORKER, Action.CHANGE, [*ASSIGNED, INTAKE], 2),
        (Role.UNIT_SUPERVISOR, Action.VIEW, [CASE, INTAKE, GLASS], 3),
        (Role.UNIT_SUPERVISOR, Action.CHANGE, [CASE, INTAKE], 2),
        (Role.PRIVACY_OFFICER, Action.VIEW, [CASE, INTAKE, GLASS], 3),
    ],
)
def test_the_person_scope_asks_about_each_persons_own_records(
    world: World, role: str, action: Action, tables: list[str], ways_in: int
) -> None:
    """One EXISTS per way in, each tied to the person (an index look-up by person), and no
    sub-query that does not depend on the row: not `id IN (SELECT person_id …)`, which makes
    PostgreSQL gather every case the user may see before it can answer for one person, nor
    `unit_id IN (SELECT …)` inside an EXISTS, whose hashing the planner charges to every
    person (estimates past the JIT thresholds at a million people)."""
    sql = str(policy_for(ServiceUser).queryset(world.roles[role], action).query)

    assert "IN (SELECT" not in sql
    assert _subquery_tables(sql) == tables
    assert sql.count('"person_id" = ("cases_serviceuser"."id")') == ways_in


# --- Supervisor ---


def test_supervisor_sees_everything_of_their_unit_open_or_closed(
    supervisor: User, casebook: Casebook
) -> None:
    assert _visible(supervisor, ServiceUser, casebook) == A_PEOPLE
    assert _visible(supervisor, ServiceUser, casebook, Action.CHANGE) == A_PEOPLE
    assert _visible(supervisor, Case, casebook, Action.CHANGE) == A_CASES
    assert _visible(supervisor, Intake, casebook, Action.CHANGE) == A_INTAKES
    assert _visible(supervisor, CaseNote, casebook) == {
        "n_mine",
        "n_colleague",
        "n_team",
        "n_closed",
        "n_pending_closure",
    }
    assert _visible(supervisor, Referral, casebook) == {"r_out", "r_colleague_out", "r_in"}
    assert _visible(supervisor, WorkItem, casebook) == {
        "w_mine",
        "w_colleague",
        "w_unit",
        "w_supervisor",
    }
    assert _visible(supervisor, BreakGlassAccess, casebook) == set()


# --- Privacy officer ---


def test_privacy_officer_reads_their_organisations_records_only(
    privacy: User, casebook: Casebook
) -> None:
    assert _visible(privacy, ServiceUser, casebook) == A_PEOPLE | {"p_a2"}
    assert _visible(privacy, Case, casebook) == A_CASES | {"c_a2"}
    assert _visible(privacy, Intake, casebook) == A_INTAKES
    assert _visible(privacy, Referral, casebook) == {"r_out", "r_colleague_out", "r_in"}
    assert _visible(privacy, BreakGlassAccess, casebook) == {"g_worker"}
    assert _visible(privacy, WorkItem, casebook) == set()


def test_privacy_officer_changes_nothing_but_break_the_glass_reviews(
    privacy: User, casebook: Casebook
) -> None:
    for model in (ServiceUser, Case, CaseNote, Intake, Referral, WorkItem):
        assert _visible(privacy, model, casebook, Action.CHANGE) == set(), model
    assert _visible(privacy, BreakGlassAccess, casebook, Action.CHANGE) == {"g_worker"}


def test_privacy_officer_of_the_other_agency_sees_its_records(
    world: World, casebook: Casebook
) -> None:
    assert _visible(world.privacy_b, ServiceUser, casebook) == {"p_b", "p_b_intake"}
    assert _visible(world.privacy_b, BreakGlassAccess, casebook) == {"g_b", "g_expired"}


# --- Roles without case data ---


@pytest.mark.parametrize("role", NO_CASE_DATA_ROLES)
def test_role_without_case_work_sees_no_case_data(
    world: World, casebook: Casebook, role: str
) -> None:
    user = world.roles[role]
    for model in (ServiceUser, Case, CaseNote, Intake, Referral, WorkItem, BreakGlassAccess):
        for action in (Action.VIEW, Action.CHANGE):
            assert _visible(user, model, casebook, action) == set(), (model, action)
    assert search_people(user=user, query=casebook["p_mine"].name_zh) == []
    with pytest.raises(Http404):
        selectors.person_get_for(user=user, person_id=casebook["p_mine"].pk)


def test_nobody_deletes_case_records(world: World, casebook: Casebook) -> None:
    for user in [*world.roles.values(), world.staff_b, world.privacy_b]:
        for model in (Case, CaseNote, Intake, Referral, WorkItem, BreakGlassAccess):
            assert _visible(user, model, casebook, Action.DELETE) == set(), (user, model)


# --- Acceptance: another unit's worker ---


@pytest.mark.parametrize("other", ["staff_b", "worker_a2"])
def test_a_worker_of_another_unit_cannot_find_or_open_the_person(
    world: World, casebook: Casebook, other: str
) -> None:
    user = world.staff_b if other == "staff_b" else casebook.worker_a2
    person, case = casebook["p_colleague"], casebook["c_colleague"]

    for query in (person.name_zh, person.name_en, person.phone, case.number):
        assert person not in [hit.person for hit in search_people(user=user, query=query)], query
    with pytest.raises(Http404):
        selectors.person_get_for(user=user, person_id=person.pk)
    with pytest.raises(Http404):
        selectors.case_get_for(user=user, case_id=case.pk)
    with pytest.raises(Http404):
        selectors.intake_get_for(user=user, intake_id=casebook["i_queue"].pk)
    assert not LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_a_worker_finds_the_people_they_may_see(worker: User, casebook: Casebook) -> None:
    mine = casebook["p_mine"]

    assert [hit.person for hit in search_people(user=worker, query=mine.name_zh)] == [mine]
    assert search_people(user=worker, query=casebook["p_colleague"].name_zh) == []


def test_break_the_glass_opens_the_person_to_another_units_worker_and_is_audited(
    world: World, staff_b: User, casebook: Casebook
) -> None:
    person = casebook["p_colleague"]
    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=person.pk)

    access = break_glass_open(
        user=staff_b, person=person, reason="Police report a missing child of this family."
    )
    seen = selectors.person_get_for(user=staff_b, person_id=person.pk)

    assert seen == person
    ct = ContentType.objects.get_for_model
    granted = LogEntry.objects.get(content_type=ct(BreakGlassAccess), object_pk=str(access.pk))
    assert granted.action == LogEntry.Action.CREATE
    assert granted.additional_data["break_glass"] is True
    assert granted.additional_data["service_user"] == person.pk
    assert LogEntry.objects.filter(
        content_type=ct(ServiceUser),
        object_pk=str(person.pk),
        action=LogEntry.Action.ACCESS,
        actor=staff_b,
    ).exists()

    BreakGlassAccess.objects.filter(pk=access.pk).update(expires_at=timezone.now())
    with pytest.raises(Http404):
        selectors.person_get_for(user=staff_b, person_id=person.pk)


@pytest.mark.parametrize(
    ("selector", "argument", "record"),
    [
        ("person_get_for", "person_id", "p_mine"),
        ("case_get_for", "case_id", "c_mine"),
        ("intake_get_for", "intake_id", "i_my_intake"),
        ("referral_get_for", "referral_id", "r_out"),
    ],
)
def test_every_read_shows_in_the_audit(
    worker: User, privacy: User, casebook: Casebook, selector: str, argument: str, record: str
) -> None:
    obj = casebook[record]
    person_id = obj.pk if isinstance(obj, ServiceUser) else obj.person_id

    got = getattr(selectors, selector)(user=worker, **{argument: obj.pk})

    assert got == obj
    entry = LogEntry.objects.get(action=LogEntry.Action.ACCESS)
    assert entry.actor == worker
    assert (entry.content_type, entry.object_pk) == (
        ContentType.objects.get_for_model(obj),
        str(obj.pk),
    )
    assert entry.additional_data["service_user"] == person_id
    person = ServiceUser.objects.get(pk=person_id)
    assert entry in selectors.person_access_log_for(user=privacy, person=person)
    assert list(selectors.person_access_log_for(user=worker, person=person)) == []
