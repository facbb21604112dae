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
from socialdesk.core.bulk import rows_insert
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
from .returns import allowed_keys, field_label, template_spec, value_text

Key = validation.Key
HISTORY = 8  # earlier periods the outlier rules look at


@dataclass
class IngestResult:
    submitted: dict[int, int] = field(default_factory=dict)  # unit id → return id
    refused: dict[int, dict[str, list[str]]] = field(default_factory=dict)  # unit id → problems
    figures: int = 0


def _history(
    unit_ids: list[int], period: ReportingPeriod, codes: set[str]
) -> dict[int, dict[str, list[Decimal]]]:
    """The units' accepted figures of the `codes` (those the outlier rules look at) in the
    periods before `period`, latest first."""
    history: dict[int, dict[str, list[Decimal]]] = defaultdict(lambda: defaultdict(list))
    if not codes:
        return history
    rows = (
        ReturnValue.objects.filter(
            statistical_return__unit_id__in=unit_ids,
            statistical_return__status=ReturnStatus.ACCEPTED,
            statistical_return__period__ends_on__lt=period.starts_on,
            statistical_return__period__ends_on__gte=period.starts_on
            - timedelta(days=HISTORY * 92),
            indicator__code__in=codes,
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


def _comment_problems(unit_comments: Mapping[Key, str], allowed: set[Key]) -> dict[str, list[str]]:
    """What is wrong with a unit's comments: on a figure not on the return, or too long."""
    problems: dict[str, list[str]] = {}
    for key, text in unit_comments.items():
        if key not in allowed:
            problems.setdefault(field_label(key), []).append(_("This figure is not on the return."))
        elif len((text or "").strip()) > 500:
            problems.setdefault(field_label(key), []).append(
                _("A comment can be at most 500 characters.")
            )
    return problems


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
    for unit_agreement in agreements.values():
        if unit_agreement.template_id not in specs:
            items, rules = template_spec(unit_agreement.template)
            specs[unit_agreement.template_id] = (items, rules, allowed_keys(items))
    outlier_codes = {
        rule.left
        for _items, rules, _allowed in specs.values()
        for rule in rules
        if rule.kind == "outlier"
    }
    history = _history(unit_ids, period, outlier_codes)
    existing = {
        r.unit_id: r for r in StatisticalReturn.objects.filter(unit_id__in=unit_ids, period=period)
    }
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
        items, rules, allowed = specs[agreement.template_id]
        unit_comments = {
            key: (text or "").strip() for key, text in (comments or {}).get(unit_id, {}).items()
        }
        problems = _comment_problems(unit_comments, allowed)
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
    # A draft's earlier figures (saved on the web, say): replaced, their old values in the history.
    drafts = [returns[unit_id].pk for unit_id in accepted if unit_id in existing]
    earlier: dict[int, dict[Key, Decimal | None]] = defaultdict(dict)
    if drafts:
        for unit_id, code, category, value in ReturnValue.objects.filter(
            statistical_return_id__in=drafts
        ).values_list("statistical_return__unit_id", "indicator__code", "category", "value"):
            earlier[unit_id][(code, category)] = value
        ReturnValue.objects.filter(statistical_return_id__in=drafts).delete()
    rows = []
    events = []
    for unit_id, values in accepted.items():
        statistical_return = returns[unit_id]
        unit_comments = {
            key: (text or "").strip() for key, text in (comments or {}).get(unit_id, {}).items()
        }
        before = earlier.get(unit_id, {})
        changes = []
        for (code, category), value in values.items():
            rows.append(
                (
                    statistical_return.pk,
                    indicator_ids[code],
                    category,
                    value,
                    value,
                    unit_comments.get((code, category), ""),
                )
            )
            old = before.get((code, category))
            if old != value or (code, category) not in before:
                changes.append(
                    {
                        "field": field_label((code, category)),
                        "old": value_text(old),
                        "new": value_text(value),
                    }
                )
        actor_id = user.pk if user is not None else None
        events.append((statistical_return.pk, ReturnAction.SAVED, actor_id, channel, changes))
        events.append((statistical_return.pk, ReturnAction.SUBMITTED, actor_id, channel, []))
        result.submitted[unit_id] = statistical_return.pk
    rows_insert(
        ReturnValue,
        [
            "statistical_return_id",
            "indicator_id",
            "category",
            "value",
            "submitted_value",
            "comment",
        ],
        rows,
    )
    rows_insert(
        ReturnEvent, ["statistical_return_id", "action", "actor_id", "channel", "changes"], events
    )
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
