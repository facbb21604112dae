"""A whole period's returns at once (an agency's system sending all its units, SWD loading a
sector, the benchmark): each unit's figures are checked with the same rules as the web form, the
accepted ones stored and submitted in bulk, attainment and alerts recomputed once for all.

A unit whose figures have errors (or warnings without a comment) is refused with them and nothing
of it is stored; the others go in. The figures' history is the ReturnEvent of each return (who,
when, channel, every figure); rows are written in bulk, not one audit entry each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import actor_for
from socialdesk.core.models import Role

from .. import validation
from ..models import (
    Agreement,
    Channel,
    Indicator,
    ReportingPeriod,
    ReturnAction,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
    WebhookEndpoint,
)
from .attainment import attainment_recompute_many
from .returns import allowed_keys, field_label, template_spec

Key = validation.Key
HISTORY = 8  # earlier periods the outlier rules look at


@dataclass
class IngestResult:
    submitted: dict[int, int] = field(default_factory=dict)  # unit id → return id
    refused: dict[int, dict[str, list[str]]] = field(default_factory=dict)  # unit id → problems
    figures: int = 0


def _history(unit_ids: list[int], period: ReportingPeriod) -> dict[int, dict[str, list[Decimal]]]:
    history: dict[int, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    rows = (
        ReturnValue.objects.filter(
            statistical_return__unit_id__in=unit_ids,
            statistical_return__status=ReturnStatus.ACCEPTED,
            statistical_return__period__ends_on__lt=period.starts_on,
            statistical_return__period__ends_on__gte=period.starts_on
            - timedelta(days=HISTORY * 92),
            category="",
            value__isnull=False,
        )
        .order_by("-statistical_return__period__ends_on")
        .values_list("statistical_return__unit_id", "indicator__code", "value")
    )
    for unit_id, code, value in rows.iterator(chunk_size=5000):
        if value is not None and len(history[unit_id][code]) < HISTORY:
            history[unit_id][code].append(value)
    return history


@transaction.atomic
def period_ingest(
    *,
    period: ReportingPeriod,
    figures: Mapping[int, Mapping[Key, Any]],
    comments: Mapping[int, Mapping[Key, str]] | None = None,
    user: Any = None,
    channel: str = Channel.API,
) -> IngestResult:
    """Check, store and submit the returns of many units for one period. `figures`: unit id →
    {(indicator code, category): value}. With `user`, they must supervise every unit; without,
    the caller is the system (a command or a trusted import)."""
    unit_ids = sorted(figures)
    if user is not None:
        supervised = actor_for(user).unit_ids(Role.UNIT_SUPERVISOR)
        if not set(unit_ids) <= supervised:
            raise PermissionDenied
    result = IngestResult()
    agreements = {
        a.unit_id: a
        for a in Agreement.objects.filter(
            unit_id__in=unit_ids, fiscal_year=period.fiscal_year
        ).select_related("template")
    }
    specs: dict[int, tuple[Any, Any, set[Key]]] = {}
    existing = {
        r.unit_id: r for r in StatisticalReturn.objects.filter(unit_id__in=unit_ids, period=period)
    }
    history = _history(unit_ids, period)
    accepted: dict[int, dict[Key, Decimal | None]] = {}
    for unit_id in unit_ids:
        agreement = agreements.get(unit_id)
        if agreement is None or agreement.template.frequency != period.frequency:
            result.refused[unit_id] = {
                "unit": [_("This unit has no funding and service agreement for this year.")]
            }
            continue
        current = existing.get(unit_id)
        if current is not None and (current.status != ReturnStatus.DRAFT or current.locked):
            result.refused[unit_id] = {"return": [_("This return can no longer be changed.")]}
            continue
        if agreement.template_id not in specs:
            items, rules = template_spec(agreement.template)
            specs[agreement.template_id] = (items, rules, allowed_keys(items))
        items, rules, allowed = specs[agreement.template_id]
        problems: dict[str, list[str]] = {}
        values: dict[Key, Decimal | None] = {}
        for key, raw in figures[unit_id].items():
            if key not in allowed:
                problems.setdefault(field_label(key), []).append(
                    _("This figure is not on the return.")
                )
                continue
            try:
                values[key] = validation.parse_figure(raw)
            except ValueError:
                problems.setdefault(field_label(key), []).append(_("Enter a number."))
        if not problems:
            checked = validation.check_return(items, rules, values, history.get(unit_id, {}))
            unit_comments = (comments or {}).get(unit_id, {})
            for issue in checked.errors:
                problems.setdefault(field_label(issue.key), []).append(issue.message)
            for issue in checked.unexplained_warnings(unit_comments):
                problems.setdefault(field_label(issue.key), []).append(
                    _("%(message)s Explain it in a comment to submit.") % {"message": issue.message}
                )
        if problems:
            result.refused[unit_id] = problems
            continue
        accepted[unit_id] = values
    if not accepted:
        return result
    now = timezone.now()
    new_returns = []
    for unit_id in accepted:
        if unit_id in existing:
            continue
        template = agreements[unit_id].template
        due = period.ends_on + timedelta(days=template.due_days)
        new_returns.append(
            StatisticalReturn(
                unit_id=unit_id,
                period=period,
                template=template,
                due_on=due,
                grace_until=due + timedelta(days=template.grace_days),
            )
        )
    StatisticalReturn.objects.bulk_create(new_returns, batch_size=1000)
    returns = {
        r.unit_id: r
        for r in StatisticalReturn.objects.filter(unit_id__in=list(accepted), period=period)
    }
    codes = {code for values in accepted.values() for code, _category in values}
    indicator_ids = dict(Indicator.objects.filter(code__in=codes).values_list("code", "pk"))
    ReturnValue.objects.filter(statistical_return__in=list(returns.values())).delete()
    rows = []
    events = []
    for unit_id, values in accepted.items():
        statistical_return = returns[unit_id]
        unit_comments = (comments or {}).get(unit_id, {})
        changes = []
        for (code, category), value in values.items():
            rows.append(
                ReturnValue(
                    statistical_return=statistical_return,
                    indicator_id=indicator_ids[code],
                    category=category,
                    value=value,
                    submitted_value=value,
                    comment=(unit_comments.get((code, category)) or "")[:500],
                )
            )
            changes.append({"field": field_label((code, category)), "old": "", "new": str(value)})
        events.append(
            ReturnEvent(
                statistical_return=statistical_return,
                action=ReturnAction.SAVED,
                actor=user,
                channel=channel,
                changes=changes,
            )
        )
        events.append(
            ReturnEvent(
                statistical_return=statistical_return,
                action=ReturnAction.SUBMITTED,
                actor=user,
                channel=channel,
            )
        )
        result.submitted[unit_id] = statistical_return.pk
    ReturnValue.objects.bulk_create(rows, batch_size=5000)
    ReturnEvent.objects.bulk_create(events, batch_size=2000)
    result.figures = len(rows)
    StatisticalReturn.objects.filter(pk__in=list(result.submitted.values())).update(
        status=ReturnStatus.SUBMITTED,
        submitted_at=now,
        last_submitted_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    attainment_recompute_many(fiscal_year=period.fiscal_year, unit_ids=list(accepted))
    if WebhookEndpoint.objects.filter(is_active=True).exists():
        from .. import events as performance_events
        from .returns import return_payload

        for statistical_return in StatisticalReturn.objects.filter(
            pk__in=list(result.submitted.values())
        ).select_related("unit", "period"):
            performance_events.performance_event(
                performance_events.SUBMITTED,
                organisation_id=statistical_return.unit.organisation_id,
                payload=return_payload(statistical_return),
            )
    return result
