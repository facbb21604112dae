"""Service Improvement Action Plans (SIAP): the agency (its administrator, or the unit's
supervisor) opens a plan for a unit's below-standard or forecast-miss alerts, writes the reasons
for the shortfall and the actions (owner, milestone, due date), and submits it to SWD, which
accepts it with comments or returns it; once every action is done SWD closes it, which resolves
the linked alerts. A plan is due 30 days after it is opened; `siap_overdue_check` reminds the
unit's supervisors and the agency's administrators daily of overdue plans and actions.

The plan's version guards the plan and its actions: every change to either moves it, so a page
showing an older copy gets a conflict instead of overwriting someone else's change."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.concurrency import update_versioned
from socialdesk.core.models import Membership, Notification, Role, ServiceUnit
from socialdesk.core.services import notification_send

from ..models import (
    Alert,
    AlertKind,
    AlertStatus,
    ImprovementAction,
    ImprovementPlan,
    PlanStatus,
)
from ..periods import year_label

DUE_AFTER_DAYS = 30
PLAN_ALERT_KINDS = (AlertKind.BELOW_STANDARD, AlertKind.FORECAST_MISS)
EDITABLE = (PlanStatus.DRAFT, PlanStatus.RETURNED)
OPEN = (PlanStatus.DRAFT, PlanStatus.SUBMITTED, PlanStatus.RETURNED, PlanStatus.ACCEPTED)


@dataclass(frozen=True)
class SiapRights:
    """What a user may do to one plan now (its status and their roles)."""

    edit: bool = False  # the reasons and the actions (draft or returned)
    complete: bool = False  # record an action done (also while the plan is carried out)
    submit: bool = False
    review: bool = False
    close: bool = False

    @property
    def any(self) -> bool:
        return self.edit or self.complete or self.submit or self.review or self.close


def agency_side(user: Any, unit: ServiceUnit) -> bool:
    """The unit's supervisor or an administrator of its agency: who writes the unit's plans."""
    actor = actor_for(user)
    return unit.pk in actor.unit_ids(Role.UNIT_SUPERVISOR) or unit.organisation_id in (
        actor.organisation_ids(Role.AGENCY_ADMIN)
    )


def may_start_siap(user: Any, unit: ServiceUnit) -> bool:
    return agency_side(user, unit)


def siap_rights(user: Any, plan: ImprovementPlan) -> SiapRights:
    """The steps `user` may take on `plan` (which they may already see)."""
    agency = agency_side(user, plan.unit)
    swd = actor_for(user).has_role(Role.SWD_SUBVENTIONS)
    status = plan.status
    return SiapRights(
        edit=agency and status in EDITABLE,
        complete=agency and status in (*EDITABLE, PlanStatus.ACCEPTED),
        submit=agency and status in EDITABLE,
        review=swd and status == PlanStatus.SUBMITTED,
        close=swd and status == PlanStatus.ACCEPTED,
    )


def _plan_for_change(user: Any, siap_id: Any) -> ImprovementPlan:
    """The plan, fetched and authorised for a change (404 if not visible, 403 if not theirs)."""
    plan = policy_for(ImprovementPlan).get(user, siap_id, Action.CHANGE)
    return ImprovementPlan.objects.select_related("unit", "unit__organisation").get(pk=plan.pk)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _refuse_unless(condition: bool, message: str, key: str | None = None) -> None:
    if not condition:
        raise ValidationError({key: message} if key else message)


def _touch(plan: ImprovementPlan, expected_version: int, **changes: Any) -> ImprovementPlan:
    """Check the version the user saw and move it (with any changes to the plan itself)."""
    return update_versioned(plan, expected_version=expected_version, changes=changes)


# --- Opening and writing the plan ---------------------------------------------------------------


@transaction.atomic
def siap_create_for_alerts(
    *, user: Any, unit_id: Any, fiscal_year: int, alert_ids: Iterable[Any]
) -> ImprovementPlan:
    """Open a plan for the unit's year answering the given open below-standard or forecast-miss
    alerts (each then links to it); due in 30 days. The unit's supervisor or the agency's
    administrator only."""
    unit = policy_for(ServiceUnit).get(user, unit_id)
    if policy_for(ImprovementPlan).scope(actor_for(user), Action.ADD) is None:
        raise PermissionDenied
    _require(agency_side(user, unit))
    wanted = {int(pk) for pk in alert_ids if str(pk).strip().isdigit()}
    if not wanted:
        raise ValidationError({"alerts": _("Choose at least one alert for the plan to answer.")})
    alerts = list(
        policy_for(Alert).queryset(user).select_for_update().filter(pk__in=wanted).order_by("pk")
    )
    problems = []
    if len(alerts) != len(wanted):
        problems.append(_("Some of the chosen alerts could not be found."))
    for alert in alerts:
        if alert.unit_id != unit.pk or alert.fiscal_year != fiscal_year:
            problems.append(
                _("%(alert)s is about another unit or year.") % {"alert": alert.subject}
            )
        elif alert.kind not in PLAN_ALERT_KINDS or alert.status != AlertStatus.OPEN:
            problems.append(
                _("%(alert)s is not an open below-standard or forecast alert.")
                % {"alert": alert.subject}
            )
        elif alert.improvement_plan_id is not None:
            problems.append(
                _("%(alert)s is answered by another plan already.") % {"alert": alert.subject}
            )
    if problems:
        raise ValidationError({"alerts": problems})
    plan = ImprovementPlan.objects.create(
        unit=unit,
        fiscal_year=fiscal_year,
        due_on=timezone.localdate() + timedelta(days=DUE_AFTER_DAYS),
        created_by=user,
    )
    for alert in alerts:
        alert.improvement_plan = plan
        alert.save(update_fields=["improvement_plan", "updated_at"])
    return plan


@transaction.atomic
def siap_update(
    *, user: Any, siap_id: Any, expected_version: int, analysis: str
) -> ImprovementPlan:
    """Write the reasons for the shortfall (draft or returned plans)."""
    plan = _plan_for_change(user, siap_id)
    _require(agency_side(user, plan.unit))
    _refuse_unless(
        plan.status in EDITABLE, _("Only a draft or returned plan can be changed."), "analysis"
    )
    return _touch(plan, expected_version, analysis=analysis.strip())


def _action_fields(
    description: str, owner: str, milestone: str, due_on: date | None
) -> dict[str, Any]:
    fields = {
        "description": (description or "").strip(),
        "owner": (owner or "").strip(),
        "milestone": (milestone or "").strip(),
        "due_on": due_on,
    }
    errors = {}
    if not fields["description"]:
        errors["description"] = _("Describe the action.")
    if not fields["owner"]:
        errors["owner"] = _("Say who is responsible for the action.")
    if due_on is None:
        errors["due_on"] = _("Give the date the action is due.")
    if errors:
        raise ValidationError(errors)
    return fields


def _check_done_on(done_on: date | None) -> None:
    if done_on is not None and done_on > timezone.localdate():
        raise ValidationError({"done_on": _("The date done cannot be in the future.")})


@transaction.atomic
def siap_action_add(
    *,
    user: Any,
    siap_id: Any,
    expected_version: int,
    description: str,
    owner: str,
    due_on: date | None,
    milestone: str = "",
) -> ImprovementAction:
    """Add an action to a draft or returned plan."""
    plan = _plan_for_change(user, siap_id)
    _require(agency_side(user, plan.unit))
    _refuse_unless(plan.status in EDITABLE, _("Only a draft or returned plan can be changed."))
    fields = _action_fields(description, owner, milestone, due_on)
    _touch(plan, expected_version)
    action = ImprovementAction(plan=plan, **fields)
    action.full_clean()
    action.save()
    return action


def _action_of(plan: ImprovementPlan, action_id: Any) -> ImprovementAction:
    action = plan.actions.filter(pk=action_id).first() if str(action_id).isdigit() else None
    if action is None:
        raise ValidationError({"action": _("This action is not part of the plan.")})
    return action


@transaction.atomic
def siap_action_update(
    *,
    user: Any,
    siap_id: Any,
    expected_version: int,
    action_id: Any,
    description: str,
    owner: str,
    due_on: date | None,
    milestone: str = "",
    done_on: date | None = None,
) -> ImprovementAction:
    """Change an action of a draft or returned plan."""
    plan = _plan_for_change(user, siap_id)
    _require(agency_side(user, plan.unit))
    _refuse_unless(plan.status in EDITABLE, _("Only a draft or returned plan can be changed."))
    action = _action_of(plan, action_id)
    fields = _action_fields(description, owner, milestone, due_on)
    _check_done_on(done_on)
    _touch(plan, expected_version)
    for name, value in {**fields, "done_on": done_on}.items():
        setattr(action, name, value)
    action.full_clean()
    action.save()
    return action


@transaction.atomic
def siap_action_complete(
    *,
    user: Any,
    siap_id: Any,
    expected_version: int,
    action_id: Any,
    done_on: date | None = None,
) -> ImprovementAction:
    """Record an action done (today unless another day is given), also while SWD's accepted plan
    is being carried out."""
    plan = _plan_for_change(user, siap_id)
    _require(agency_side(user, plan.unit))
    _refuse_unless(
        plan.status in (*EDITABLE, PlanStatus.ACCEPTED),
        _("Actions can be recorded as done only on a plan that is not with SWD or closed."),
    )
    action = _action_of(plan, action_id)
    done_on = done_on or timezone.localdate()
    _check_done_on(done_on)
    _touch(plan, expected_version)
    action.done_on = done_on
    action.save(update_fields=["done_on"])
    return action


# --- Workflow -----------------------------------------------------------------------------------


@transaction.atomic
def siap_submit(*, user: Any, siap_id: Any, expected_version: int) -> ImprovementPlan:
    """The agency submits the plan to SWD: it needs the reasons and at least one action."""
    plan = _plan_for_change(user, siap_id)
    _require(agency_side(user, plan.unit))
    _refuse_unless(plan.status in EDITABLE, _("Only a draft or returned plan can be submitted."))
    errors: dict[str, str] = {}
    if not plan.analysis.strip():
        errors["analysis"] = _("Explain the reasons for the shortfall before submitting.")
    if not plan.actions.exists():
        errors["actions"] = _("Add at least one action before submitting.")
    if errors:
        raise ValidationError(errors)
    plan = _touch(plan, expected_version, status=PlanStatus.SUBMITTED, submitted_at=timezone.now())
    _notify(
        recipients=_swd_officers(),
        plan=plan,
        kind="performance.siap_submitted",
        title=lambda: (
            _("SIAP submitted for review: %(unit)s %(year)s")
            % {"unit": plan.unit.name, "year": year_label(plan.fiscal_year)}
        ),
    )
    return plan


@transaction.atomic
def siap_review(
    *, user: Any, siap_id: Any, expected_version: int, accept: bool, comments: str
) -> ImprovementPlan:
    """SWD accepts a submitted plan (comments optional) or returns it with comments."""
    plan = _plan_for_change(user, siap_id)
    _require(actor_for(user).has_role(Role.SWD_SUBVENTIONS))
    _refuse_unless(plan.status == PlanStatus.SUBMITTED, _("Only a submitted plan can be reviewed."))
    comments = (comments or "").strip()
    if not accept and not comments:
        raise ValidationError({"comments": _("Say what the agency should change.")})
    plan = _touch(
        plan,
        expected_version,
        status=PlanStatus.ACCEPTED if accept else PlanStatus.RETURNED,
        reviewed_by=user,
        review_note=comments,
    )
    _notify(
        recipients=_agency_recipients(plan),
        plan=plan,
        kind="performance.siap_reviewed",
        title=lambda: (
            (
                _("SWD accepted the SIAP of %(unit)s")
                if accept
                else _("SWD returned the SIAP of %(unit)s")
            )
            % {"unit": plan.unit.name}
        ),
    )
    return plan


@transaction.atomic
def siap_close(*, user: Any, siap_id: Any, expected_version: int) -> ImprovementPlan:
    """SWD closes an accepted plan whose actions are all done; its alerts are resolved."""
    plan = _plan_for_change(user, siap_id)
    _require(actor_for(user).has_role(Role.SWD_SUBVENTIONS))
    _refuse_unless(plan.status == PlanStatus.ACCEPTED, _("Only an accepted plan can be closed."))
    if plan.actions.filter(done_on__isnull=True).exists() or not plan.actions.exists():
        raise ValidationError({"actions": _("Every action has to be done before closing.")})
    now = timezone.now()
    plan = _touch(plan, expected_version, status=PlanStatus.CLOSED, closed_at=now)
    for alert in Alert.objects.filter(improvement_plan=plan, status=AlertStatus.OPEN):
        alert.status = AlertStatus.RESOLVED
        alert.resolved_at = now
        alert.save(update_fields=["status", "resolved_at", "updated_at"])
    _notify(
        recipients=_agency_recipients(plan),
        plan=plan,
        kind="performance.siap_closed",
        title=lambda: _("SWD closed the SIAP of %(unit)s") % {"unit": plan.unit.name},
    )
    return plan


# --- Reminders ----------------------------------------------------------------------------------


def _active_users(memberships: QuerySet[Membership]) -> QuerySet[Any]:
    return get_user_model().objects.filter(pk__in=memberships.values("user_id"), is_active=True)


def _swd_officers() -> QuerySet[Any]:
    return _active_users(
        Membership.objects.filter(
            is_active=True, role=Role.SWD_SUBVENTIONS, organisation__is_active=True
        )
    )


def _agency_recipients(plan: ImprovementPlan) -> QuerySet[Any]:
    """The unit's supervisors and the agency's administrators."""
    return _active_users(
        Membership.objects.filter(is_active=True).filter(
            Q(service_unit_id=plan.unit_id, role=Role.UNIT_SUPERVISOR)
            | Q(organisation_id=plan.unit.organisation_id, role=Role.AGENCY_ADMIN)
        )
    )


def siap_url(plan: ImprovementPlan) -> str:
    return reverse("performance:siap_detail", args=[plan.pk])


def _notify(*, recipients: QuerySet[Any], plan: ImprovementPlan, kind: str, title: Any) -> int:
    return notification_send(recipients=recipients, kind=kind, title=title, link=siap_url(plan))


def _not_told_today(recipients: QuerySet[Any], kind: str, link: str) -> QuerySet[Any]:
    """Leave out whoever already had this reminder today (the check may run more than once a
    day; "today" is when the reminders are made, whatever day the check is asked about)."""
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    told = Notification.objects.filter(
        kind=kind, link=link, created_at__gte=start, created_at__lt=start + timedelta(days=1)
    )
    return recipients.exclude(pk__in=told.values("recipient_id"))


def _plan_late(plan: ImprovementPlan) -> Callable[[], str]:
    return lambda: (
        _("SIAP overdue: %(unit)s, due %(date)s")
        % {
            "unit": plan.unit.name,
            "date": plan.due_on.isoformat(),
        }
    )


def _action_late(action: ImprovementAction) -> Callable[[], str]:
    return lambda: (
        _("SIAP action overdue at %(unit)s: %(action)s (due %(date)s)")
        % {
            "unit": action.plan.unit.name,
            "action": action.description[:80],
            "date": action.due_on.isoformat(),
        }
    )


def _remind(plan: ImprovementPlan, link: str, kind: str, title: Callable[[], str]) -> int:
    recipients = _not_told_today(_agency_recipients(plan), kind, link)
    return notification_send(recipients=recipients, kind=kind, link=link, title=title)


@transaction.atomic
def siap_overdue_check(*, today: date | None = None) -> int:
    """Remind the unit's supervisors and the agency's administrators of each plan not submitted
    by its due date and each action of an open plan past its due date and not done: once per
    plan or action and person a day. Returns the number of reminders sent."""
    today = today or timezone.localdate()
    sent = 0
    late_plans = ImprovementPlan.objects.filter(
        status__in=EDITABLE, due_on__lt=today
    ).select_related("unit")
    for plan in late_plans:
        sent += _remind(plan, siap_url(plan), "performance.siap_overdue", _plan_late(plan))
    late_actions = ImprovementAction.objects.filter(
        plan__status__in=OPEN, done_on__isnull=True, due_on__lt=today
    ).select_related("plan", "plan__unit")
    for action in late_actions:
        link = f"{siap_url(action.plan)}#action-{action.pk}"
        kind = "performance.siap_action_overdue"
        sent += _remind(action.plan, link, kind, _action_late(action))
    return sent
