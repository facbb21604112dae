"""Audit log queries for privacy officers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Count, QuerySet
from django.utils import timezone

from socialdesk.core.access import Action, policy_for


@dataclass(frozen=True)
class AuditFilter:
    """Search terms for the audit log; every field is optional."""

    user: str = ""
    model: str = ""
    object_pk: str = ""
    action: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_list_for(
    *, user: Any, filters: AuditFilter, action: str = Action.VIEW
) -> QuerySet[LogEntry]:
    """Entries the privacy officer may see, newest first."""
    visible = policy_for(LogEntry).queryset(user, Action(action)).values("pk")
    qs = LogEntry.objects.filter(pk__in=visible)
    if filters.user:
        qs = qs.filter(actor__username__iexact=filters.user)
    if filters.model:
        app_label, _, model = filters.model.partition(".")
        qs = qs.filter(content_type__app_label=app_label, content_type__model=model)
    if filters.object_pk:
        qs = qs.filter(object_pk=filters.object_pk)
    if filters.action is not None:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(timestamp__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(timestamp__lt=_day_start(filters.date_to + timedelta(days=1)))
    return qs.select_related("actor", "content_type").order_by("-timestamp", "-pk")


def audit_summary_for(*, user: Any) -> dict[str, Any]:
    """Counts by action over the last seven days and the latest entries, for the dashboard."""
    since = timezone.localdate() - timedelta(days=6)
    recent = audit_list_for(user=user, filters=AuditFilter(date_from=since))
    by_action = {
        row["action"]: row["n"]
        for row in recent.order_by().values("action").annotate(n=Count("pk"))
    }
    return {
        "reads": by_action.get(LogEntry.Action.ACCESS, 0),
        "writes": sum(n for a, n in by_action.items() if a != LogEntry.Action.ACCESS),
        "latest": list(recent[:8]),
    }


def audited_model_choices() -> list[tuple[str, str]]:
    """Record types that appear in the audit log, as "app_label.model" with a readable name."""
    from django.contrib.contenttypes.models import ContentType

    ids = LogEntry.objects.order_by().values_list("content_type", flat=True).distinct()
    choices = []
    for ct in ContentType.objects.filter(pk__in=ids).order_by("app_label", "model"):
        model = ct.model_class()
        label = str(model._meta.verbose_name) if model else ct.model
        choices.append((f"{ct.app_label}.{ct.model}", label))
    return choices
