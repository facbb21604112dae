"""Statistical returns: a unit's draft is filled in (web, Excel or API — all through
`return_save`), submitted by the unit's supervisor, endorsed by the agency, and accepted by SWD
or returned with a reason, optionally per figure; only returned figures reopen. An accepted return
is locked; unlocking needs a reason. Every step is a ReturnEvent (and audited)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.concurrency import ConflictError, update_versioned
from socialdesk.core.models import Role, ServiceUnit

from .. import events, validation
from ..events import performance_event
from ..models import (
    Agreement,
    Channel,
    Frequency,
    ReportingPeriod,
    ReturnAction,
    ReturnEvent,
    ReturnStatus,
    ReturnTemplate,
    ReturnValue,
    StatisticalReturn,
)
from ..periods import period_bounds

Key = validation.Key
QUARTER_STARTS = ((4, 1), (7, 1), (10, 1), (1, 1))


def periods_ensure(fiscal_year: int, frequency: str) -> list[ReportingPeriod]:
    """The periods of a financial year (created on first use)."""
    count = 4 if frequency == Frequency.QUARTERLY else 2
    periods = []
    for number in range(1, count + 1):
        starts, ends = period_bounds(fiscal_year, frequency, number)
        period, _created = ReportingPeriod.objects.get_or_create(
            fiscal_year=fiscal_year,
            frequency=frequency,
            number=number,
            defaults={"starts_on": starts, "ends_on": ends},
        )
        periods.append(period)
    return periods


def template_spec(
    template: ReturnTemplate,
) -> tuple[list[validation.ItemSpec], list[validation.RuleSpec]]:
    """The template's items and rules as the validation module reads them."""
    items = []
    for item in template.items.select_related("indicator").prefetch_related(
        "indicator__disaggregations"
    ):
        indicator = item.indicator
        items.append(
            validation.ItemSpec(
                code=indicator.code,
                name=indicator.name,
                required=item.required,
                min_value=item.min_value,
                max_value=item.max_value,
                measure=indicator.measure,
                decimal_places=indicator.decimal_places,
                breakdowns=tuple(
                    (d.code, tuple(d.category_codes())) for d in indicator.disaggregations.all()
                ),
            )
        )
    rules = [
        validation.RuleSpec(
            code=rule.code,
            kind=rule.kind,
            severity=rule.severity,
            left=rule.left.code,
            operator=rule.operator,
            right=rule.right.code if rule.right else "",
            constant=rule.constant,
            factor=rule.factor,
            message_zh=rule.message_zh,
            message_en=rule.message_en,
        )
        for rule in template.rules.select_related("left", "right")
    ]
    return items, rules


def allowed_keys(items: list[validation.ItemSpec]) -> set[Key]:
    keys: set[Key] = set()
    for item in items:
        keys.add((item.code, ""))
        for dimension, categories in item.breakdowns:
            keys.update((item.code, f"{dimension}:{category}") for category in categories)
    return keys


@transaction.atomic
def return_get_or_create(*, user: Any, unit_id: Any, period: ReportingPeriod) -> StatisticalReturn:
    """The unit's return for the period, created as a draft on the template of the unit's FSA for
    that year (with its due date and grace period)."""
    unit = policy_for(ServiceUnit).get(user, unit_id)
    if policy_for(StatisticalReturn).scope(actor_for(user), Action.CHANGE) is None:
        raise PermissionDenied
    existing = StatisticalReturn.objects.filter(unit=unit, period=period).first()
    if existing is not None:
        return policy_for(StatisticalReturn).get(user, existing.pk)
    agreement = Agreement.objects.filter(unit=unit, fiscal_year=period.fiscal_year).first()
    if agreement is None:
        raise ValidationError(_("This unit has no funding and service agreement for this year."))
    template = agreement.template
    if template.frequency != period.frequency:
        raise ValidationError(_("This unit does not report for this kind of period."))
    due = period.ends_on + timedelta(days=template.due_days)
    statistical_return = StatisticalReturn.objects.create(
        unit=unit,
        period=period,
        template=template,
        due_on=due,
        grace_until=due + timedelta(days=template.grace_days),
    )
    policy_for(StatisticalReturn).get(user, statistical_return.pk, Action.CHANGE)
    from .prefill import return_prefill

    return_prefill(statistical_return)
    return statistical_return


def _figures(statistical_return: StatisticalReturn) -> dict[Key, ReturnValue]:
    return {
        (v.indicator.code, v.category): v
        for v in statistical_return.values.select_related("indicator")
    }


def values_of(statistical_return: StatisticalReturn) -> dict[Key, Decimal | None]:
    return {key: figure.value for key, figure in _figures(statistical_return).items()}


@transaction.atomic
def _for_change(user: Any, return_id: Any, expected_version: int) -> StatisticalReturn:
    """The return, if the user may work on it (404/403), locked and still at `expected_version`
    (ConflictError otherwise): a stale client hears of the conflict before anything else."""
    statistical_return = policy_for(StatisticalReturn).get(user, return_id, Action.CHANGE)
    locked = (
        StatisticalReturn.objects.select_for_update()
        .select_related("unit", "period", "template")
        .get(pk=statistical_return.pk)
    )
    if locked.version != expected_version:
        raise ConflictError(locked)
    return locked


@transaction.atomic
def return_save(
    *,
    user: Any,
    return_id: Any,
    expected_version: int,
    values: Mapping[Key, Any],
    comments: Mapping[Key, str] | None = None,
    channel: str = Channel.WEB,
    note: str = "",
) -> StatisticalReturn:
    """Store figures and comments of a draft (or of the figures returned for correction of a
    returned return). Raises ValidationError keyed "code" or "code[category]" for a figure that
    is not a number, not on the template, or not open for correction, and ConflictError when the
    return changed since `expected_version`; nothing is stored then. Saving what is already there
    changes nothing (not even the version). `note` goes into the history (an uploaded file's
    name)."""
    statistical_return = _for_change(user, return_id, expected_version)
    if not actor_for(user).unit_ids(Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR) & {
        statistical_return.unit_id
    }:
        raise PermissionDenied
    if not statistical_return.is_editable:
        raise ValidationError({"return": _("This return can no longer be changed.")})
    items, _rules = template_spec(statistical_return.template)
    allowed = allowed_keys(items)
    existing = _figures(statistical_return)
    indicators = {
        item.indicator.code: item.indicator
        for item in statistical_return.template.items.select_related("indicator")
    }
    returned = statistical_return.status == ReturnStatus.RETURNED
    errors: dict[str, str] = {}
    parsed: dict[Key, Decimal | None] = {}
    for key, raw in values.items():
        label = field_label(key)
        if key not in allowed:
            errors[label] = _("This figure is not on the return.")
            continue
        try:
            value = validation.parse_figure(raw)
        except ValueError:
            errors[label] = _("Enter a number.")
            continue
        figure = existing.get(key)
        current = figure.value if figure else None
        if value == current:
            continue
        if returned and (figure is None or not figure.reopened):
            errors[label] = _("Only the figures returned for correction can be changed.")
            continue
        parsed[key] = value
    wanted_comments: dict[Key, str] = {}
    for key, comment in (comments or {}).items():
        label = field_label(key)
        if key not in allowed:
            errors.setdefault(label, _("This figure is not on the return."))
            continue
        text = (comment or "").strip()
        if len(text) > 500:
            errors.setdefault(label, _("A comment can be at most 500 characters."))
            continue
        figure = existing.get(key)
        if text == (figure.comment if figure else ""):
            continue
        if returned and (figure is None or not figure.reopened):
            errors.setdefault(label, _("Only the figures returned for correction can be changed."))
            continue
        wanted_comments[key] = text
    if errors:
        raise ValidationError(errors)
    if not parsed and not wanted_comments:
        return statistical_return
    changes = []
    for key in sorted(set(parsed) | set(wanted_comments)):
        figure = existing.get(key) or ReturnValue(
            statistical_return=statistical_return, indicator=indicators[key[0]], category=key[1]
        )
        if key in parsed:
            changes.append(
                {
                    "field": field_label(key),
                    "old": value_text(figure.value),
                    "new": value_text(parsed[key]),
                }
            )
            figure.value = parsed[key]
        if key in wanted_comments:
            figure.comment = wanted_comments[key]
        figure.save()
    statistical_return = update_versioned(
        statistical_return, expected_version=expected_version, changes={}
    )
    ReturnEvent.objects.create(
        statistical_return=statistical_return,
        action=ReturnAction.SAVED,
        actor=user,
        channel=channel,
        reason=note[:300],
        changes=changes,
    )
    return statistical_return


def field_label(key: Key) -> str:
    code, category = key
    return f"{code}[{category}]" if category else code


def value_text(value: Decimal | None) -> str:
    """A figure as the history shows it: "" for none, no exponent, no trailing zeros."""
    return "" if value is None else format(value.normalize(), "f")


def return_check(statistical_return: StatisticalReturn) -> validation.Checked:
    """All issues of the return as it stands, with the unit's earlier accepted figures as the
    history of the outlier rules."""
    items, rules = template_spec(statistical_return.template)
    history: dict[str, list[Decimal]] = {}
    earlier = (
        ReturnValue.objects.filter(
            statistical_return__unit_id=statistical_return.unit_id,
            statistical_return__status=ReturnStatus.ACCEPTED,
            statistical_return__period__ends_on__lt=statistical_return.period.starts_on,
            category="",
            value__isnull=False,
        )
        .order_by("-statistical_return__period__ends_on")
        .values_list("indicator__code", "value")[:2000]
    )
    for code, value in earlier:
        if value is not None and len(history.setdefault(code, [])) < 8:
            history[code].append(value)
    return validation.check_return(items, rules, values_of(statistical_return), history)


@transaction.atomic
def return_submit(
    *, user: Any, return_id: Any, expected_version: int, channel: str = Channel.WEB
) -> StatisticalReturn:
    """The unit's supervisor submits: errors block; every warning needs a comment. A
    resubmission records what changed since the last submission (the reviewer's diff)."""
    statistical_return = _for_change(user, return_id, expected_version)
    if statistical_return.unit_id not in actor_for(user).unit_ids(Role.UNIT_SUPERVISOR):
        raise PermissionDenied
    if not statistical_return.is_editable:
        raise ValidationError(_("Only a draft or a returned return can be submitted."))
    checked = return_check(statistical_return)
    figures = _figures(statistical_return)
    comments = {key: figure.comment for key, figure in figures.items()}
    problems: dict[str, list[str]] = {}
    for issue in checked.errors:
        problems.setdefault(field_label(issue.key), []).append(issue.message)
    for issue in checked.unexplained_warnings(comments):
        problems.setdefault(field_label(issue.key), []).append(
            _("%(message)s Explain it in a comment to submit.") % {"message": issue.message}
        )
    if problems:
        raise ValidationError(problems)
    changes = []
    resubmission = statistical_return.status == ReturnStatus.RETURNED
    for key, figure in figures.items():
        if resubmission and figure.submitted_value != figure.value:
            changes.append(
                {
                    "field": field_label(key),
                    "old": value_text(figure.submitted_value),
                    "new": value_text(figure.value),
                }
            )
        figure.submitted_value = figure.value
        figure.reopened = False
        figure.save(update_fields=["submitted_value", "reopened"])
    now = timezone.now()
    statistical_return = update_versioned(
        statistical_return,
        expected_version=expected_version,
        changes={
            "status": ReturnStatus.SUBMITTED,
            "submitted_at": statistical_return.submitted_at or now,
            "last_submitted_at": now,
        },
    )
    ReturnEvent.objects.create(
        statistical_return=statistical_return,
        action=ReturnAction.SUBMITTED,
        actor=user,
        channel=channel,
        changes=changes,
    )
    _recompute(statistical_return)
    _event(events.SUBMITTED, statistical_return)
    return statistical_return


def _recompute(statistical_return: StatisticalReturn) -> None:
    from .attainment import attainment_recompute

    attainment_recompute(
        unit_id=statistical_return.unit_id, fiscal_year=statistical_return.period.fiscal_year
    )


def return_payload(statistical_return: StatisticalReturn) -> dict[str, Any]:
    """What an event says about a return (no figures: subscribers fetch them through the API)."""
    return {
        "return_id": statistical_return.pk,
        "unit": statistical_return.unit.code,
        "period": statistical_return.period.label,
        "status": statistical_return.status,
        "version": statistical_return.version,
    }


def _event(name: str, statistical_return: StatisticalReturn) -> None:
    performance_event(
        name,
        organisation_id=statistical_return.unit.organisation_id,
        payload=return_payload(statistical_return),
    )


def _reviewer_of(user: Any, statistical_return: StatisticalReturn, role: str) -> None:
    actor = actor_for(user)
    if role == Role.AGENCY_ADMIN:
        if statistical_return.unit.organisation_id not in actor.organisation_ids(role):
            raise PermissionDenied
    elif not actor.has_role(role):
        raise PermissionDenied


@transaction.atomic
def return_endorse(
    *, user: Any, return_id: Any, expected_version: int, channel: str = Channel.WEB
) -> StatisticalReturn:
    """The agency's administrator endorses a submitted return for SWD."""
    statistical_return = _for_change(user, return_id, expected_version)
    _reviewer_of(user, statistical_return, Role.AGENCY_ADMIN)
    if statistical_return.status != ReturnStatus.SUBMITTED:
        raise ValidationError(_("Only a submitted return can be endorsed."))
    statistical_return = update_versioned(
        statistical_return,
        expected_version=expected_version,
        changes={"status": ReturnStatus.ENDORSED},
    )
    ReturnEvent.objects.create(
        statistical_return=statistical_return,
        action=ReturnAction.ENDORSED,
        actor=user,
        channel=channel,
    )
    return statistical_return


@transaction.atomic
def return_accept(
    *, user: Any, return_id: Any, expected_version: int, channel: str = Channel.WEB
) -> StatisticalReturn:
    """SWD accepts an endorsed return: the period is locked for the unit."""
    statistical_return = _for_change(user, return_id, expected_version)
    _reviewer_of(user, statistical_return, Role.SWD_SUBVENTIONS)
    if statistical_return.status != ReturnStatus.ENDORSED:
        raise ValidationError(_("Only a return endorsed by its agency can be accepted."))
    statistical_return = update_versioned(
        statistical_return,
        expected_version=expected_version,
        changes={"status": ReturnStatus.ACCEPTED, "locked": True, "accepted_at": timezone.now()},
    )
    ReturnEvent.objects.create(
        statistical_return=statistical_return,
        action=ReturnAction.ACCEPTED,
        actor=user,
        channel=channel,
    )
    _recompute(statistical_return)
    _event(events.ACCEPTED, statistical_return)
    return statistical_return


@transaction.atomic
def return_send_back(
    *,
    user: Any,
    return_id: Any,
    expected_version: int,
    reason: str,
    fields: Mapping[Key, str] | None = None,
    unlock: bool = False,
    channel: str = Channel.WEB,
) -> StatisticalReturn:
    """Return a return for correction with a reason; `fields` (figure → reason) reopens only
    those figures, none given reopens all. The agency returns a submitted return, SWD an endorsed
    one; SWD unlocks an accepted one with `unlock` (audited as an unlock)."""
    statistical_return = _for_change(user, return_id, expected_version)
    status = statistical_return.status
    if unlock:
        _reviewer_of(user, statistical_return, Role.SWD_SUBVENTIONS)
        if status != ReturnStatus.ACCEPTED:
            raise ValidationError(_("Only an accepted return can be unlocked."))
    elif status == ReturnStatus.SUBMITTED:
        _reviewer_of(user, statistical_return, Role.AGENCY_ADMIN)
    elif status == ReturnStatus.ENDORSED:
        _reviewer_of(user, statistical_return, Role.SWD_SUBVENTIONS)
    else:
        raise ValidationError(_("This return is not waiting for review."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for returning it.")})
    figures = _figures(statistical_return)
    items, _rules = template_spec(statistical_return.template)
    wanted = dict(fields or {})
    unknown = [field_label(key) for key in wanted if key not in allowed_keys(items)]
    if unknown:
        raise ValidationError(
            {"fields": _("Not on the return: %(fields)s") % {"fields": ", ".join(unknown)}}
        )
    for key in allowed_keys(items) if not wanted else wanted:
        figure = figures.get(key)
        if figure is None:
            indicator = statistical_return.template.items.get(indicator__code=key[0]).indicator
            figure = ReturnValue(
                statistical_return=statistical_return, indicator=indicator, category=key[1]
            )
        figure.reopened = True
        figure.return_reason = (wanted.get(key) or "").strip()[:500]
        figure.save()
    statistical_return = update_versioned(
        statistical_return,
        expected_version=expected_version,
        changes={"status": ReturnStatus.RETURNED, "locked": False, "return_reason": reason.strip()},
    )
    ReturnEvent.objects.create(
        statistical_return=statistical_return,
        action=ReturnAction.UNLOCKED if unlock else ReturnAction.RETURNED,
        actor=user,
        channel=channel,
        reason=reason.strip(),
        changes=[{"field": field_label(key), "reason": text} for key, text in wanted.items()],
    )
    _recompute(statistical_return)
    _event(events.RETURNED, statistical_return)
    return statistical_return
