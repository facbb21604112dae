"""The daily overdue reminders (services/reminders.py)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases.models import Case, WorkItem, WorkItemKind
from socialdesk.cases.services.reminders import reminders_send
from socialdesk.core.models import Notification
from socialdesk.core.tests.world import World

from ..factories import WorkItemFactory


def _alerts(user: User) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind="overdue"))


@pytest.fixture
def overdue(world: World, worker: User, open_case: Case) -> WorkItem:
    return WorkItemFactory(
        kind=WorkItemKind.CASE_REVIEW,
        unit=world.unit_a,
        assignee=worker,
        case=open_case,
        due_on=timezone.localdate() - timedelta(days=2),
    )


def test_overdue_item_alerts_the_assignee_and_the_supervisors(
    worker: User, colleague: User, supervisor: User, overdue: WorkItem, open_case: Case
) -> None:
    assert reminders_send() == 1

    [alert] = _alerts(worker)
    assert open_case.number in alert.title
    assert overdue.due_on.isoformat() in alert.body
    assert len(_alerts(supervisor)) == 1
    assert _alerts(colleague) == []
    overdue.refresh_from_db()
    assert overdue.overdue_alerted_on == timezone.localdate()


def test_a_second_run_the_same_day_alerts_nothing(
    worker: User, supervisor: User, overdue: WorkItem
) -> None:
    reminders_send()

    assert reminders_send() == 0
    assert len(_alerts(worker)) == len(_alerts(supervisor)) == 1


def test_the_next_day_alerts_again(worker: User, overdue: WorkItem) -> None:
    today = timezone.localdate()
    reminders_send(today=today)

    assert reminders_send(today=today + timedelta(days=1)) == 1
    assert len(_alerts(worker)) == 2


def test_items_due_today_done_or_in_the_future_are_not_alerted(
    world: World, worker: User, supervisor: User
) -> None:
    today = timezone.localdate()
    WorkItemFactory(unit=world.unit_a, assignee=worker, due_on=today)
    WorkItemFactory(unit=world.unit_a, assignee=worker, due_on=today + timedelta(days=1))
    WorkItemFactory(
        unit=world.unit_a,
        assignee=worker,
        due_on=today - timedelta(days=5),
        done_at=timezone.now(),
    )

    assert reminders_send() == 0
    assert not Notification.objects.exists()


def test_unassigned_overdue_item_alerts_the_supervisors_of_its_unit_only(
    world: World, worker: User, supervisor: User, supervisor_b: User
) -> None:
    WorkItemFactory(
        kind=WorkItemKind.REFERRAL_RESPONSE,
        unit=world.unit_a,
        due_on=timezone.localdate() - timedelta(days=1),
    )

    assert reminders_send() == 1
    assert len(_alerts(supervisor)) == 1
    assert _alerts(worker) == [] and _alerts(supervisor_b) == []


def test_supervisor_assigned_an_item_is_alerted_once(supervisor: User, world: World) -> None:
    WorkItemFactory(
        unit=world.unit_a, assignee=supervisor, due_on=timezone.localdate() - timedelta(days=1)
    )

    reminders_send()

    assert len(_alerts(supervisor)) == 1


def test_the_management_command_sends_the_reminders(worker: User, overdue: WorkItem) -> None:
    out = io.StringIO()

    call_command("send_reminders", stdout=out)

    assert "1" in out.getvalue()
    assert len(_alerts(worker)) == 1
