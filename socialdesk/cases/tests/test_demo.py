"""The case-management demo data: what each demo user finds, consistent records, idempotent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases.demo import WORKER2_UNIT, WORKER_UNIT, CaseDemoSummary, load_case_demo_data
from socialdesk.cases.models import (
    Case,
    CaseStatus,
    CaseWorker,
    Intake,
    IntakeStatus,
    Referral,
    ReferralStatus,
    SearchKey,
    ServiceUser,
    WorkItem,
    WorkItemKind,
)
from socialdesk.cases.services.numbers import next_number
from socialdesk.cases.services.search import person_keys, search_people
from socialdesk.core.access import Action, policy_for
from socialdesk.core.demo import load_demo_data
from socialdesk.core.models import Membership

PASSWORD = "Demo-password-2026"


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[CaseDemoSummary]:
    """The core and case demo data, loaded once for the module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        load_demo_data(password=PASSWORD)
        yield load_case_demo_data()
        transaction.set_rollback(True)


@pytest.fixture
def users(demo: CaseDemoSummary, db: None) -> dict[str, User]:
    return {
        u.username: u for u in User.objects.filter(username__in=["worker", "supervisor", "worker2"])
    }


def _visible(model: Any, user: User) -> Any:
    return policy_for(model).queryset(user, Action.VIEW)


def test_a_few_hundred_people_with_cases_and_referrals(demo: CaseDemoSummary, db: None) -> None:
    assert demo.created
    assert demo.people == 300
    assert demo.cases >= 150 and demo.referrals >= 20
    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses == {CaseStatus.OPEN, CaseStatus.CLOSURE_PENDING, CaseStatus.CLOSED}
    # Spread over every demo unit.
    assert ServiceUser.objects.values("registered_unit").distinct().count() == 16


def test_the_worker_has_open_cases_and_intakes_of_their_own(users: dict[str, User]) -> None:
    worker = users["worker"]
    mine = Case.objects.filter(workers__user=worker, workers__is_primary=True)
    assert mine.filter(status=CaseStatus.OPEN).count() >= 8
    assert _visible(Case, worker).filter(status=CaseStatus.OPEN).count() >= 8
    open_intakes = _visible(Intake, worker).filter(
        status__in=[IntakeStatus.PENDING, IntakeStatus.IN_PROGRESS]
    )
    assert open_intakes.filter(assigned_worker=worker).exists()
    assert open_intakes.filter(assigned_worker__isnull=True).exists()  # the unit's queue
    today = timezone.localdate()
    items = _visible(WorkItem, worker).filter(done_at__isnull=True)
    assert items.filter(due_on__lt=today).exists() and items.filter(due_on__gte=today).exists()


def test_the_supervisor_sees_the_unit_and_has_approvals_waiting(users: dict[str, User]) -> None:
    supervisor, worker = users["supervisor"], users["worker"]
    unit_people = ServiceUser.objects.filter(
        Q(cases__unit__code=WORKER_UNIT) | Q(intakes__unit__code=WORKER_UNIT)
    ).distinct()
    seen = set(_visible(ServiceUser, supervisor).values_list("pk", flat=True))
    assert set(unit_people.values_list("pk", flat=True)) == seen
    assert len(seen) > _visible(ServiceUser, worker).count()
    items = _visible(WorkItem, supervisor).filter(done_at__isnull=True, for_supervisor=True)
    kinds = set(items.values_list("kind", flat=True))
    assert {WorkItemKind.PLAN_APPROVAL, WorkItemKind.CLOSURE_APPROVAL} <= kinds


def test_worker2_has_their_own_caseload_and_none_of_the_first_unit(
    users: dict[str, User],
) -> None:
    worker2 = users["worker2"]
    theirs = set(_visible(ServiceUser, worker2).values_list("pk", flat=True))
    assert _visible(Case, worker2).filter(status=CaseStatus.OPEN).count() >= 5
    first_unit = set(
        ServiceUser.objects.filter(cases__unit__code=WORKER_UNIT).values_list("pk", flat=True)
    )
    first_unit -= set(
        ServiceUser.objects.filter(
            Q(cases__unit__code=WORKER2_UNIT) | Q(intakes__unit__code=WORKER2_UNIT)
        ).values_list("pk", flat=True)
    )
    assert theirs and not theirs & first_unit
    someone = ServiceUser.objects.get(pk=sorted(first_unit)[0])
    hits = {hit.person.pk for hit in search_people(user=worker2, query=someone.name_en)}
    assert someone.pk not in hits and hits <= theirs


def test_referrals_wait_in_the_demo_users_inboxes(users: dict[str, User]) -> None:
    for username in ("worker", "worker2"):
        inbox = _visible(Referral, users[username]).filter(status=ReferralStatus.SENT)
        mine = inbox.filter(to_unit__memberships__user=users[username])
        assert mine.distinct().count() >= 2, username
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert statuses == set(ReferralStatus.values)
    for referral in Referral.objects.filter(status=ReferralStatus.SENT):
        assert referral.work_items.filter(
            kind=WorkItemKind.REFERRAL_RESPONSE, done_at__isnull=True
        ).exists()
    outside = Referral.objects.filter(person__isnull=True)
    assert outside.count() == 2 and any(r.shared_data.get("match") for r in outside)
    for referral in Referral.objects.filter(status=ReferralStatus.ACCEPTED):
        assert Intake.objects.filter(referral=referral, unit=referral.to_unit).exists()


def test_records_are_consistent(demo: CaseDemoSummary, db: None) -> None:
    primaries = Case.objects.annotate(
        primary=Count("workers", filter=Q(workers__is_primary=True))
    ).values_list("primary", flat=True)
    assert set(primaries) == {1}
    numbers = list(Case.objects.values_list("number", flat=True))
    assert all(re.fullmatch(r"C-20\d\d-\d{6}", n) for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert next_number("C") not in numbers  # the counters are ahead of the demo numbers
    assert not WorkItem.objects.filter(case__status=CaseStatus.CLOSED, done_at__isnull=True)
    for case in Case.objects.filter(status=CaseStatus.OPEN):
        assert case.work_items.filter(kind=WorkItemKind.CASE_REVIEW).exists(), case
    members = set(
        Membership.objects.filter(is_active=True).values_list("user_id", "service_unit_id")
    )
    for user_id, unit_id in CaseWorker.objects.values_list("user_id", "case__unit_id"):
        assert (user_id, unit_id) in members
    for person in ServiceUser.objects.all()[:50]:
        stored = set(SearchKey.objects.filter(person=person).values_list("key", flat=True))
        assert stored == person_keys(person)


def test_loading_again_adds_nothing(demo: CaseDemoSummary, db: None) -> None:
    models = (ServiceUser, Case, Intake, Referral, WorkItem, SearchKey, User)
    before = {m.__name__: m._default_manager.count() for m in models}
    again = load_case_demo_data()
    assert not again.created
    assert {m.__name__: m._default_manager.count() for m in models} == before
