"""Service Improvement Action Plans (services/improvement.py): opening a plan for a unit's alerts,
writing it, submitting it, SWD's review and closure (which resolves the alerts), who may take
each step, stale versions, and the daily reminders of overdue plans and actions."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import Notification
from socialdesk.core.tests.world import World
from socialdesk.performance.models import (
    Alert,
    AlertKind,
    AlertStatus,
    ImprovementAction,
    ImprovementPlan,
    PlanStatus,
)
from socialdesk.performance.services import improvement as siap

from .conftest import Definition


def make_alert(
    world: World,
    definition: Definition,
    *,
    unit: Any = None,
    code: str = "cases_served",
    kind: str = AlertKind.BELOW_STANDARD,
    year: int = 2025,
) -> Alert:
    return Alert.objects.create(
        unit=unit or world.unit_a,
        fiscal_year=year,
        kind=kind,
        indicator=definition.indicators[code],
        subject=code,
        detail={"agreed": "400", "actual": "150"},
    )


@pytest.fixture
def alert(world: World, definition: Definition) -> Alert:
    return make_alert(world, definition)


def open_plan(user: Any, alert: Alert, *others: Alert) -> ImprovementPlan:
    return siap.siap_create_for_alerts(
        user=user,
        unit_id=alert.unit_id,
        fiscal_year=alert.fiscal_year,
        alert_ids=[alert.pk, *(a.pk for a in others)],
    )


def ready_plan(user: Any, alert: Alert) -> ImprovementPlan:
    """A plan with its reasons and one action, ready to submit."""
    plan = open_plan(user, alert)
    plan = siap.siap_update(
        user=user, siap_id=plan.pk, expected_version=plan.version, analysis="Staff turnover."
    )
    siap.siap_action_add(
        user=user,
        siap_id=plan.pk,
        expected_version=plan.version,
        description="Recruit two social workers",
        owner="Centre-in-charge",
        milestone="Interviews held",
        due_on=timezone.localdate() + timedelta(days=20),
    )
    plan.refresh_from_db()
    return plan


def submitted_plan(user: Any, alert: Alert) -> ImprovementPlan:
    plan = ready_plan(user, alert)
    return siap.siap_submit(user=user, siap_id=plan.pk, expected_version=plan.version)


def accepted_plan(user: Any, swd: Any, alert: Alert) -> ImprovementPlan:
    plan = submitted_plan(user, alert)
    return siap.siap_review(
        user=swd, siap_id=plan.pk, expected_version=plan.version, accept=True, comments=""
    )


# --- Opening --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["supervisor", "agency_admin"])
def test_the_supervisor_or_agency_admin_opens_a_plan_for_alerts(
    role: str, request: pytest.FixtureRequest, world: World, definition: Definition, alert: Alert
) -> None:
    user = request.getfixturevalue(role)
    other = make_alert(world, definition, code="new_cases", kind=AlertKind.FORECAST_MISS)
    plan = open_plan(user, alert, other)
    assert plan.status == PlanStatus.DRAFT
    assert plan.unit_id == world.unit_a.pk and plan.fiscal_year == 2025
    assert plan.due_on == timezone.localdate() + timedelta(days=30)
    assert plan.created_by == user
    assert set(plan.alerts.values_list("pk", flat=True)) == {alert.pk, other.pk}


@pytest.mark.parametrize("role", ["worker", "swd"])
def test_others_in_view_may_not_open_a_plan(
    role: str, request: pytest.FixtureRequest, alert: Alert
) -> None:
    with pytest.raises(PermissionDenied):
        open_plan(request.getfixturevalue(role), alert)
    assert not ImprovementPlan.objects.exists()


def test_another_agency_cannot_open_a_plan_for_our_unit(admin_b: Any, alert: Alert) -> None:
    with pytest.raises(Http404):
        open_plan(admin_b, alert)


def test_a_plan_needs_alerts_of_its_unit_that_no_plan_answers(
    supervisor: Any, world: World, definition: Definition, alert: Alert
) -> None:
    with pytest.raises(ValidationError) as no_alert:
        siap.siap_create_for_alerts(
            user=supervisor, unit_id=world.unit_a.pk, fiscal_year=2025, alert_ids=[]
        )
    assert "alerts" in no_alert.value.message_dict
    overdue = make_alert(world, definition, kind=AlertKind.OVERDUE_RETURN, code="new_cases")
    last_year = make_alert(world, definition, year=2024)
    for wrong in (overdue, last_year):
        with pytest.raises(ValidationError) as refused:
            open_plan(supervisor, alert, wrong)
        assert "alerts" in refused.value.message_dict
    open_plan(supervisor, alert)
    with pytest.raises(ValidationError) as twice, translation.override("en"):
        open_plan(supervisor, alert)
    assert "another plan" in " ".join(twice.value.message_dict["alerts"])
    assert ImprovementPlan.objects.count() == 1


# --- Writing --------------------------------------------------------------------------------------


def test_the_reasons_are_saved_with_a_version_check(supervisor: Any, alert: Alert) -> None:
    plan = open_plan(supervisor, alert)
    saved = siap.siap_update(
        user=supervisor, siap_id=plan.pk, expected_version=plan.version, analysis="  Why.  "
    )
    assert saved.analysis == "Why." and saved.version == plan.version + 1
    with pytest.raises(ConflictError) as stale:
        siap.siap_update(
            user=supervisor, siap_id=plan.pk, expected_version=plan.version, analysis="Mine"
        )
    assert stale.value.current.analysis == "Why."  # type: ignore[attr-defined]


def test_actions_are_added_changed_and_done(supervisor: Any, alert: Alert) -> None:
    plan = open_plan(supervisor, alert)
    due = timezone.localdate() + timedelta(days=10)
    with pytest.raises(ValidationError) as empty:
        siap.siap_action_add(
            user=supervisor,
            siap_id=plan.pk,
            expected_version=plan.version,
            description=" ",
            owner="",
            due_on=None,
        )
    assert set(empty.value.message_dict) == {"description", "owner", "due_on"}
    action = siap.siap_action_add(
        user=supervisor,
        siap_id=plan.pk,
        expected_version=plan.version,
        description="Outreach in the estates",
        owner="Team leader",
        due_on=due,
    )
    plan.refresh_from_db()
    with pytest.raises(ConflictError):  # the add moved the plan's version
        siap.siap_action_update(
            user=supervisor,
            siap_id=plan.pk,
            expected_version=plan.version - 1,
            action_id=action.pk,
            description="x",
            owner="y",
            due_on=due,
        )
    changed = siap.siap_action_update(
        user=supervisor,
        siap_id=plan.pk,
        expected_version=plan.version,
        action_id=action.pk,
        description="Outreach in three estates",
        owner="Team leader",
        milestone="Flyers printed",
        due_on=due + timedelta(days=5),
    )
    assert changed.milestone == "Flyers printed"
    plan.refresh_from_db()
    with pytest.raises(ValidationError) as future:
        siap.siap_action_complete(
            user=supervisor,
            siap_id=plan.pk,
            expected_version=plan.version,
            action_id=action.pk,
            done_on=timezone.localdate() + timedelta(days=1),
        )
    assert "done_on" in future.value.message_dict
    done = siap.siap_action_complete(
        user=supervisor, siap_id=plan.pk, expected_version=plan.version, action_id=action.pk
    )
    assert done.done_on == timezone.localdate()
    with pytest.raises(ValidationError) as foreign:
        plan.refresh_from_db()
        siap.siap_action_complete(
            user=supervisor, siap_id=plan.pk, expected_version=plan.version, action_id=99999
        )
    assert "action" in foreign.value.message_dict


def test_a_worker_or_swd_may_not_write_the_plan(
    supervisor: Any, worker: Any, swd: Any, alert: Alert
) -> None:
    plan = open_plan(supervisor, alert)
    for user in (worker, swd):
        with pytest.raises(PermissionDenied):
            siap.siap_update(
                user=user, siap_id=plan.pk, expected_version=plan.version, analysis="x"
            )
        with pytest.raises(PermissionDenied):
            siap.siap_action_add(
                user=user,
                siap_id=plan.pk,
                expected_version=plan.version,
                description="x",
                owner="y",
                due_on=timezone.localdate(),
            )
    plan.refresh_from_db()
    assert plan.analysis == "" and not plan.actions.exists()


def test_another_agency_does_not_see_the_plan(supervisor: Any, admin_b: Any, alert: Alert) -> None:
    plan = open_plan(supervisor, alert)
    with pytest.raises(Http404):
        siap.siap_update(user=admin_b, siap_id=plan.pk, expected_version=plan.version, analysis="")


# --- Submission, review, closure ------------------------------------------------------------------


def test_submitting_needs_reasons_and_actions(supervisor: Any, alert: Alert) -> None:
    plan = open_plan(supervisor, alert)
    with pytest.raises(ValidationError) as incomplete:
        siap.siap_submit(user=supervisor, siap_id=plan.pk, expected_version=plan.version)
    assert set(incomplete.value.message_dict) == {"analysis", "actions"}
    assert ImprovementPlan.objects.get(pk=plan.pk).status == PlanStatus.DRAFT


def test_submitting_sends_the_plan_to_swd(
    agency_admin: Any, swd: Any, alert: Alert, supervisor: Any
) -> None:
    plan = submitted_plan(agency_admin, alert)
    assert plan.status == PlanStatus.SUBMITTED and plan.submitted_at is not None
    assert Notification.objects.filter(recipient=swd, kind="performance.siap_submitted").exists()
    with pytest.raises(ValidationError):  # with SWD now: nothing changes
        siap.siap_update(
            user=supervisor, siap_id=plan.pk, expected_version=plan.version, analysis="later"
        )
    with pytest.raises(ValidationError):
        siap.siap_submit(user=supervisor, siap_id=plan.pk, expected_version=plan.version)


def test_swd_returns_a_plan_with_comments_and_the_agency_resubmits(
    supervisor: Any, swd: Any, agency_admin: Any, alert: Alert
) -> None:
    plan = submitted_plan(supervisor, alert)
    with pytest.raises(ValidationError) as silent:
        siap.siap_review(
            user=swd, siap_id=plan.pk, expected_version=plan.version, accept=False, comments=""
        )
    assert "comments" in silent.value.message_dict
    returned = siap.siap_review(
        user=swd,
        siap_id=plan.pk,
        expected_version=plan.version,
        accept=False,
        comments="Say when the posts will be filled.",
    )
    assert returned.status == PlanStatus.RETURNED
    assert returned.review_note == "Say when the posts will be filled."
    assert returned.reviewed_by == swd
    assert Notification.objects.filter(recipient=supervisor, kind="performance.siap_reviewed")
    assert Notification.objects.filter(recipient=agency_admin, kind="performance.siap_reviewed")
    again = siap.siap_update(
        user=supervisor,
        siap_id=plan.pk,
        expected_version=returned.version,
        analysis="Posts filled by June.",
    )
    resubmitted = siap.siap_submit(user=supervisor, siap_id=plan.pk, expected_version=again.version)
    assert resubmitted.status == PlanStatus.SUBMITTED


@pytest.mark.parametrize("role", ["supervisor", "agency_admin", "admin_b", "worker"])
def test_only_swd_reviews_and_closes(
    role: str, request: pytest.FixtureRequest, supervisor: Any, alert: Alert
) -> None:
    plan = submitted_plan(supervisor, alert)
    user = request.getfixturevalue(role)
    expected = Http404 if role == "admin_b" else PermissionDenied
    with pytest.raises(expected):
        siap.siap_review(
            user=user, siap_id=plan.pk, expected_version=plan.version, accept=True, comments=""
        )
    with pytest.raises(expected):
        siap.siap_close(user=user, siap_id=plan.pk, expected_version=plan.version)
    assert ImprovementPlan.objects.get(pk=plan.pk).status == PlanStatus.SUBMITTED


def test_a_stale_review_is_a_conflict(supervisor: Any, swd: Any, alert: Alert) -> None:
    plan = submitted_plan(supervisor, alert)
    with pytest.raises(ConflictError):
        siap.siap_review(
            user=swd, siap_id=plan.pk, expected_version=plan.version - 1, accept=True, comments=""
        )


def test_closing_needs_every_action_done_and_resolves_the_alerts(
    supervisor: Any, swd: Any, world: World, definition: Definition, alert: Alert
) -> None:
    plan = accepted_plan(supervisor, swd, alert)
    assert plan.status == PlanStatus.ACCEPTED
    with pytest.raises(ValidationError) as open_actions:
        siap.siap_close(user=swd, siap_id=plan.pk, expected_version=plan.version)
    assert "actions" in open_actions.value.message_dict
    action = plan.actions.get()
    siap.siap_action_complete(  # the agency records it done while carrying the plan out
        user=supervisor, siap_id=plan.pk, expected_version=plan.version, action_id=action.pk
    )
    with pytest.raises(ValidationError):  # but may not add actions to an accepted plan
        siap.siap_action_add(
            user=supervisor,
            siap_id=plan.pk,
            expected_version=plan.version + 1,
            description="x",
            owner="y",
            due_on=timezone.localdate(),
        )
    plan.refresh_from_db()
    closed = siap.siap_close(user=swd, siap_id=plan.pk, expected_version=plan.version)
    assert closed.status == PlanStatus.CLOSED and closed.closed_at is not None
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED and alert.resolved_at is not None
    with pytest.raises(ValidationError):
        siap.siap_close(user=swd, siap_id=plan.pk, expected_version=closed.version)


def test_rights_follow_the_status_and_the_role(
    supervisor: Any, worker: Any, swd: Any, alert: Alert
) -> None:
    plan = open_plan(supervisor, alert)
    assert siap.siap_rights(supervisor, plan) == siap.SiapRights(
        edit=True, complete=True, submit=True
    )
    assert not siap.siap_rights(worker, plan).any
    assert not siap.siap_rights(swd, plan).any
    plan = submitted_plan(supervisor, make_alert_for(plan))
    assert siap.siap_rights(swd, plan) == siap.SiapRights(review=True)
    assert not siap.siap_rights(supervisor, plan).any


def make_alert_for(plan: ImprovementPlan) -> Alert:
    alert = plan.alerts.get()
    return Alert.objects.create(
        unit_id=plan.unit_id,
        fiscal_year=plan.fiscal_year,
        kind=AlertKind.FORECAST_MISS,
        indicator=alert.indicator,
        subject=f"{alert.subject}-2",
    )


# --- Reminders ------------------------------------------------------------------------------------


def test_overdue_plans_and_actions_are_reminded_once_a_day(
    supervisor: Any, agency_admin: Any, swd: Any, alert: Alert
) -> None:
    plan = ready_plan(supervisor, alert)
    action = plan.actions.get()
    today = timezone.localdate()
    not_yet = siap.siap_overdue_check(today=today)
    assert not_yet == 0
    later = action.due_on + timedelta(days=20)  # past the action's and the plan's due dates
    sent = siap.siap_overdue_check(today=later)
    assert sent == 4  # the plan and the action, to the supervisor and the agency admin
    kinds = sorted(Notification.objects.filter(recipient=supervisor).values_list("kind", flat=True))
    assert kinds == ["performance.siap_action_overdue", "performance.siap_overdue"]
    assert not Notification.objects.filter(recipient=swd).exists()
    assert siap.siap_overdue_check(today=later) == 0  # once a day


def test_overdue_reminders_come_again_the_next_day_until_done(
    supervisor: Any, swd: Any, alert: Alert
) -> None:
    plan = accepted_plan(supervisor, swd, alert)  # submitted: only the action can be late
    action: ImprovementAction = plan.actions.get()
    day = action.due_on + timedelta(days=1)
    from unittest import mock

    with mock.patch("django.utils.timezone.now") as now:
        now.return_value = timezone.make_aware(datetime.combine(day, time(9, 0)))
        assert siap.siap_overdue_check(today=day) == 2
        now.return_value += timedelta(days=1)
        assert siap.siap_overdue_check(today=day + timedelta(days=1)) == 2
    siap.siap_action_complete(
        user=supervisor, siap_id=plan.pk, expected_version=plan.version, action_id=action.pk
    )
    assert siap.siap_overdue_check(today=day + timedelta(days=2)) == 0


def test_a_closed_plan_is_never_reminded(supervisor: Any, swd: Any, alert: Alert) -> None:
    plan = accepted_plan(supervisor, swd, alert)
    plan.actions.update(done_on=date(2025, 1, 1), due_on=date(2025, 1, 1))
    siap.siap_close(user=swd, siap_id=plan.pk, expected_version=plan.version)
    ImprovementAction.objects.create(
        plan=plan, description="late", owner="x", due_on=date(2025, 1, 2)
    )
    assert siap.siap_overdue_check(today=date(2030, 1, 1)) == 0


def test_the_daily_tasks_run_both_checks(supervisor: Any, alert: Alert) -> None:
    from socialdesk.performance.tasks import check_overdue_returns, check_overdue_siaps

    ready_plan(supervisor, alert)
    assert check_overdue_siaps.call() == 0  # nothing is late today
    assert check_overdue_returns.call() == 0
