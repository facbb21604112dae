"""Reads of case records (selectors.py): scoped to need-to-know, audited, in bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases import selectors
from socialdesk.cases.models import (
    CaseReview,
    CaseStatus,
    IntakeStatus,
    PlanStatus,
    ReferralStatus,
    ServiceUser,
)
from socialdesk.cases.services.casework import case_note_add
from socialdesk.core.tests.world import World

from .factories import (
    CaseFactory,
    CaseNoteFactory,
    CasePlanFactory,
    IntakeFactory,
    ReferralFactory,
    ServiceUserFactory,
    TeamFactory,
    WorkItemFactory,
)


@pytest.fixture
def world(module_world: World, db: None) -> World:
    return module_world


@pytest.fixture
def person(world: World, worker: User) -> ServiceUser:
    """A person of unit_a with the worker's open case, and an older closed case."""
    person = ServiceUserFactory(registered_unit=world.unit_a)
    CaseFactory(
        person=person,
        unit=world.unit_a,
        opened_by=worker,
        workers=[worker],
        status=CaseStatus.CLOSED,
        opened_on=timezone.localdate() - timedelta(days=400),
        closed_on=timezone.localdate() - timedelta(days=200),
    )
    CaseFactory(person=person, unit=world.unit_a, opened_by=worker, workers=[worker])
    return person


def _access_entries() -> list[LogEntry]:
    return list(LogEntry.objects.filter(action=LogEntry.Action.ACCESS).order_by("pk"))


# --- One record, audited ---


def test_person_read_is_audited_with_the_purpose_and_client_address(
    worker: User, person: ServiceUser
) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")

    selectors.person_get_for(user=worker, person_id=person.pk, request=request, purpose="view")

    [entry] = _access_entries()
    assert entry.actor == worker and entry.remote_addr == "10.1.2.3"
    assert entry.additional_data == {
        "service_user": person.pk,
        "organisation": person.registered_unit.organisation_id,
        "purpose": "view",
    }


def test_each_person_shown_by_the_search_is_an_audited_read(
    world: World, worker: User, person: ServiceUser
) -> None:
    """Search results show names, birth dates and masked HKIDs: every person in them is
    audited as read (purpose "search"), and people the viewer may not see are neither shown
    nor logged."""
    hidden = ServiceUserFactory(name_zh=person.name_zh, registered_unit=world.unit_b)
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.4")

    hits = selectors.people_search_for(user=worker, query=person.name_zh, request=request)

    assert [hit.person.pk for hit in hits] == [person.pk]
    [entry] = _access_entries()
    assert (entry.actor, entry.object_id, entry.remote_addr) == (worker, person.pk, "10.1.2.4")
    assert entry.actor_email == worker.email
    assert entry.additional_data["purpose"] == "search"
    assert entry.additional_data["service_user"] == person.pk
    assert hidden.pk not in {e.object_id for e in _access_entries()}


def test_a_search_with_no_results_writes_no_audit_entry(worker: User) -> None:
    assert selectors.people_search_for(user=worker, query="無此人") == []
    assert _access_entries() == []


@pytest.mark.parametrize("bad_id", [999_999, "abc", None])
def test_unknown_or_malformed_ids_are_not_found_and_not_audited(
    worker: User, person: ServiceUser, bad_id: object
) -> None:
    with pytest.raises(Http404):
        selectors.person_get_for(user=worker, person_id=bad_id)
    with pytest.raises(Http404):
        selectors.case_get_for(user=worker, case_id=bad_id)
    assert _access_entries() == []


# --- A person's cases and timeline ---


def test_person_cases_are_those_the_viewer_may_see(
    worker: User, supervisor: User, person: ServiceUser
) -> None:
    assert [c.status for c in selectors.person_cases_for(user=worker, person=person)] == [
        CaseStatus.OPEN
    ]
    assert [c.status for c in selectors.person_cases_for(user=supervisor, person=person)] == [
        CaseStatus.OPEN,
        CaseStatus.CLOSED,
    ]


def test_person_timeline_shows_the_work_on_visible_cases_newest_first(
    worker: User, supervisor: User, person: ServiceUser
) -> None:
    open_case = person.cases.get(status=CaseStatus.OPEN)
    closed_case = person.cases.get(status=CaseStatus.CLOSED)
    case_note_add(
        user=worker,
        case_id=open_case.pk,
        kind="phone",
        occurred_at=timezone.now() - timedelta(hours=1),
        body="Phoned the daughter.",
    )
    CaseNoteFactory(
        case=closed_case, author=worker, occurred_at=timezone.now() - timedelta(days=300)
    )
    CasePlanFactory(case=open_case, author=worker, status=PlanStatus.APPROVED)
    CaseReview.objects.create(
        case=open_case, reviewed_on=timezone.localdate(), summary="ok", author=worker
    )

    worker_kinds = [e.kind for e in selectors.person_timeline_for(user=worker, person=person)]
    supervisor_kinds = [
        e.kind for e in selectors.person_timeline_for(user=supervisor, person=person)
    ]

    assert sorted(worker_kinds) == ["case_opened", "note", "plan", "review"]
    assert sorted(supervisor_kinds) == sorted([*worker_kinds, "case_opened", "case_closed", "note"])
    timeline = selectors.person_timeline_for(user=supervisor, person=person)
    whens = [selectors._as_datetime(e.when) for e in timeline]
    assert whens == sorted(whens, reverse=True)


def test_case_detail_parts_take_a_fixed_number_of_queries(
    worker: User, person: ServiceUser, django_assert_num_queries: object
) -> None:
    case = person.cases.get(status=CaseStatus.OPEN)
    for _ in range(5):
        CaseNoteFactory(case=case, author=worker)
        CasePlanFactory(case=case, author=worker)

    with django_assert_num_queries(7):  # type: ignore[operator]
        parts = selectors.case_detail_parts(case=case)

    assert len(parts["notes"]) == 5 and len(parts["plans"]) == 5


# --- Lists ---


def test_case_list_filters_by_status_and_unit(
    world: World, supervisor: User, person: ServiceUser
) -> None:
    statuses = lambda **kw: [c.status for c in selectors.case_list_for(user=supervisor, **kw)]  # noqa: E731

    assert statuses() == [CaseStatus.OPEN, CaseStatus.CLOSED]
    assert statuses(status="open") == [CaseStatus.OPEN]
    assert statuses(status=CaseStatus.CLOSED) == [CaseStatus.CLOSED]
    assert statuses(unit_id=world.unit_b.pk) == []


def test_case_list_shows_a_team_case_once_in_one_query(
    world: World, worker: User, colleague: User, supervisor: User, django_assert_num_queries: object
) -> None:
    team = TeamFactory(unit=world.unit_a, members=[worker, colleague, supervisor])
    for _ in range(3):
        CaseFactory(unit=world.unit_a, team=team, opened_by=worker, workers=[worker, colleague])
    selectors.case_list_for(user=worker).count()  # the worker's roles are now known

    with django_assert_num_queries(1):  # type: ignore[operator]
        cases = list(selectors.case_list_for(user=worker))
        names = [c.person.name_zh for c in cases] + [c.unit.code for c in cases]

    assert len(cases) == len(set(cases)) == 3 and len(names) == 6
    assert len(selectors.case_list_for(user=supervisor)) == 3


def test_intake_list_shows_open_intakes_unless_asked(
    world: World, supervisor: User, worker: User
) -> None:
    waiting = IntakeFactory(unit=world.unit_a, assigned_worker=worker)
    finished = IntakeFactory(unit=world.unit_a, assigned_worker=worker, status=IntakeStatus.NO_CASE)

    assert list(selectors.intake_list_for(user=supervisor)) == [waiting]
    assert set(selectors.intake_list_for(user=supervisor, open_only=False)) == {waiting, finished}
    assert list(selectors.intake_list_for(user=worker)) == [waiting]


def test_referral_inbox_filters_by_status(
    world: World, worker: User, staff_b: User, person: ServiceUser
) -> None:
    waiting = ReferralFactory(
        person=person, from_unit=world.unit_a, from_user=worker, to_unit=world.unit_b
    )
    declined = ReferralFactory(
        person=person,
        from_unit=world.unit_a,
        from_user=worker,
        to_unit=world.unit_b,
        status=ReferralStatus.DECLINED,
    )

    assert list(selectors.referral_inbox_for(user=staff_b)) == [waiting]
    assert set(selectors.referral_inbox_for(user=staff_b, status="")) == {waiting, declined}
    assert list(selectors.referral_inbox_for(user=staff_b, status=ReferralStatus.DECLINED)) == [
        declined
    ]
    assert set(selectors.referral_outbox_for(user=worker)) == {waiting, declined}


def test_work_items_are_listed_by_due_date_without_the_done_ones(
    world: World, worker: User
) -> None:
    today = timezone.localdate()
    later = WorkItemFactory(unit=world.unit_a, assignee=worker, due_on=today + timedelta(days=9))
    sooner = WorkItemFactory(unit=world.unit_a, assignee=worker, due_on=today + timedelta(days=1))
    done = WorkItemFactory(unit=world.unit_a, assignee=worker, due_on=today, done_at=timezone.now())

    assert list(selectors.work_items_for(user=worker)) == [sooner, later]
    assert list(selectors.work_items_for(user=worker, include_done=True)) == [done, sooner, later]


# --- Who has seen this person ---


def test_access_log_lists_every_read_of_the_person_and_their_records(
    world: World, worker: User, staff_b: User, privacy: User, person: ServiceUser
) -> None:
    case = person.cases.get(status=CaseStatus.OPEN)
    intake = IntakeFactory(person=person, unit=world.unit_a, assigned_worker=worker)
    referral = ReferralFactory(
        person=person, from_unit=world.unit_a, from_user=worker, to_unit=world.unit_b
    )
    other = CaseFactory(unit=world.unit_a, opened_by=worker, workers=[worker])

    selectors.person_get_for(user=worker, person_id=person.pk)
    selectors.case_get_for(user=worker, case_id=case.pk)
    selectors.intake_get_for(user=worker, intake_id=intake.pk)
    selectors.referral_get_for(user=staff_b, referral_id=referral.pk)
    selectors.case_get_for(user=worker, case_id=other.pk)

    log = selectors.person_access_log_for(user=privacy, person=person)
    reads = [(e.actor, e.content_type.model) for e in log if e.action == LogEntry.Action.ACCESS]
    assert sorted(reads, key=str) == sorted(
        [(worker, "serviceuser"), (worker, "case"), (worker, "intake"), (staff_b, "referral")],
        key=str,
    )


def test_access_log_is_for_the_privacy_officer_of_the_persons_organisation_only(
    world: World, worker: User, supervisor: User, privacy: User, person: ServiceUser
) -> None:
    selectors.person_get_for(user=worker, person_id=person.pk)

    assert selectors.person_access_log_for(user=privacy, person=person).exists()
    for user in (worker, supervisor, world.privacy_b, world.admin_b):
        assert not selectors.person_access_log_for(user=user, person=person).exists(), user
