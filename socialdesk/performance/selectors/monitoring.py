"""Alerts and Service Improvement Action Plans (SIAP) the user may see, through their policies,
and a plan's history (its audit trail and that of its actions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q, QuerySet
from django.utils.translation import pgettext

from socialdesk.core.access import Action, policy_for

from ..models import (
    Alert,
    AlertKind,
    AlertStatus,
    ImprovementAction,
    ImprovementPlan,
    PlanStatus,
)
from ..services.improvement import PLAN_ALERT_KINDS

# What the history shows of each record (the rest is bookkeeping: ids, versions, times).
SHOWN_FIELDS = {
    "plan": ("status", "analysis", "due_on", "review_note"),
    "action": ("description", "owner", "milestone", "due_on", "done_on"),
}


def alert_list_for(
    *,
    user: Any,
    status: str = AlertStatus.OPEN,
    kind: str = "",
    fiscal_year: int | None = None,
    unit_id: int | None = None,
) -> QuerySet[Alert]:
    """Alerts of the units the user may see, newest first."""
    alerts = policy_for(Alert).queryset(user)
    if status in AlertStatus.values:
        alerts = alerts.filter(status=status)
    if kind in AlertKind.values:
        alerts = alerts.filter(kind=kind)
    if fiscal_year is not None:
        alerts = alerts.filter(fiscal_year=fiscal_year)
    if unit_id is not None:
        alerts = alerts.filter(unit_id=unit_id)
    return alerts.select_related(
        "unit", "unit__organisation", "indicator", "period", "improvement_plan"
    ).order_by("-created_at", "-pk")


def alert_get_for(*, user: Any, alert_id: Any) -> Alert:
    """One alert (404 outside the user's units)."""
    alert = policy_for(Alert).get(user, alert_id)
    return Alert.objects.select_related(
        "unit",
        "unit__organisation",
        "unit__district",
        "unit__service_type",
        "indicator",
        "period",
        "improvement_plan",
    ).get(pk=alert.pk)


def alerts_for_new_plan(*, user: Any, alert: Alert) -> list[Alert]:
    """The open below-standard and forecast alerts of the alert's unit and year that no plan
    answers yet (those a new plan may take on)."""
    return list(
        policy_for(Alert)
        .queryset(user)
        .filter(
            unit_id=alert.unit_id,
            fiscal_year=alert.fiscal_year,
            status=AlertStatus.OPEN,
            kind__in=PLAN_ALERT_KINDS,
            improvement_plan__isnull=True,
        )
        .select_related("indicator")
        .order_by("subject", "kind")
    )


def siap_list_for(
    *, user: Any, status: str = "", fiscal_year: int | None = None
) -> QuerySet[ImprovementPlan]:
    """Plans of the units the user may see ("open": not closed), with their action counts."""
    plans = policy_for(ImprovementPlan).queryset(user)
    if status == "open":
        plans = plans.exclude(status=PlanStatus.CLOSED)
    elif status in PlanStatus.values:
        plans = plans.filter(status=status)
    if fiscal_year is not None:
        plans = plans.filter(fiscal_year=fiscal_year)
    return (
        plans.select_related("unit", "unit__organisation")
        .annotate(
            action_count=Count("actions", distinct=True),
            done_count=Count("actions", filter=Q(actions__done_on__isnull=False), distinct=True),
            alert_count=Count("alerts", distinct=True),
        )
        .order_by("due_on", "pk")
    )


def siap_get_for(*, user: Any, siap_id: Any, action: Action = Action.VIEW) -> ImprovementPlan:
    """One plan with its unit (404 outside the user's units, 403 if they may not `action`)."""
    plan = policy_for(ImprovementPlan).get(user, siap_id, action)
    return ImprovementPlan.objects.select_related(
        "unit",
        "unit__organisation",
        "unit__district",
        "unit__service_type",
        "reviewed_by",
        "created_by",
    ).get(pk=plan.pk)


def siap_actions(plan: ImprovementPlan) -> list[ImprovementAction]:
    return list(plan.actions.order_by("due_on", "pk"))


def siap_alerts(plan: ImprovementPlan) -> list[Alert]:
    return list(plan.alerts.select_related("indicator", "period").order_by("subject"))


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    actor: str
    what: str  # "plan" or "action"
    action: str  # created, changed
    label: str  # the action's description for an action entry
    changes: list[tuple[str, str, str]]  # (field, before, after)


def siap_history(plan: ImprovementPlan, actions: list[ImprovementAction]) -> list[HistoryEntry]:
    """Who changed the plan and its actions, when, and what (from the audit log), newest first."""
    plan_type = ContentType.objects.get_for_model(ImprovementPlan)
    action_type = ContentType.objects.get_for_model(ImprovementAction)
    labels = {a.pk: a.description for a in actions}
    entries = (
        LogEntry.objects.filter(
            Q(content_type=plan_type, object_id=plan.pk)
            | Q(content_type=action_type, object_id__in=list(labels))
        )
        .select_related("actor")
        .order_by("-timestamp", "-pk")[:200]
    )
    history = []
    for entry in entries:
        is_plan = entry.content_type_id == plan_type.pk
        changes = [
            (str(name), _shown(values[0]), _shown(values[1]))
            for name, values in _display_changes(entry, is_plan)
        ]
        if entry.action == LogEntry.Action.UPDATE and not changes:
            continue  # only the version moved (an action of the plan changed)
        actor = entry.actor
        history.append(
            HistoryEntry(
                at=entry.timestamp,
                actor=getattr(actor, "display_name", "") or str(actor or ""),
                what="plan" if is_plan else "action",
                action=_what_happened(entry.action),
                label="" if is_plan else labels.get(int(entry.object_id or 0), ""),
                changes=changes,
            )
        )
    return history


def _display_changes(entry: LogEntry, is_plan: bool) -> list[tuple[str, list[Any]]]:
    model = ImprovementPlan if is_plan else ImprovementAction
    raw = entry.changes_dict or {}
    shown = []
    for name in SHOWN_FIELDS["plan" if is_plan else "action"]:
        if name not in raw:
            continue
        before, after = [*list(raw[name]), None, None][:2]
        if entry.action == LogEntry.Action.CREATE and after in (None, "", "None"):
            continue  # a new record's empty fields say nothing
        label = getattr(model._meta.get_field(name), "verbose_name", name)
        if name == "status":
            before, after = _status(before), _status(after)
        shown.append((str(label), [before, after]))
    return shown


def _what_happened(action: int) -> str:
    return {
        LogEntry.Action.CREATE: pgettext("audit history", "created"),
        LogEntry.Action.UPDATE: pgettext("audit history", "changed"),
        LogEntry.Action.DELETE: pgettext("audit history", "deleted"),
    }.get(action, "")


def _status(value: Any) -> str:
    try:
        return str(PlanStatus(value).label)
    except ValueError:
        return str(value or "")


def _shown(value: Any) -> str:
    if value in (None, "", "None"):
        return "—"
    text = str(value)
    return text if len(text) <= 300 else text[:297] + "…"
