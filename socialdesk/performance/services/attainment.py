"""Attainment and alerts: recomputed for a unit and year whenever one of its returns is submitted,
accepted or returned, and for every unit by the daily check (which also raises overdue-return
alerts). Figures count from the returns the unit has submitted (not drafts)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import attainment as calc
from .. import events
from ..events import performance_event
from ..models import (
    AgreedLevel,
    Agreement,
    Alert,
    AlertKind,
    AlertStatus,
    Attainment,
    AttainmentStatus,
    Frequency,
    Indicator,
    Measure,
    ReportingPeriod,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
)

COUNTED = (
    ReturnStatus.SUBMITTED,
    ReturnStatus.ENDORSED,
    ReturnStatus.ACCEPTED,
    ReturnStatus.RETURNED,
)


def _periods_in_year(frequency: str) -> int:
    return 4 if frequency == Frequency.QUARTERLY else 2


@transaction.atomic
def attainment_recompute(*, unit_id: int, fiscal_year: int) -> list[Attainment]:
    """The unit's attainment of each agreed standard in the year, stored for the dashboards, and
    its alerts: opened when a standard is below or forecast to miss, resolved when it no longer
    is."""
    attainment_recompute_many(fiscal_year=fiscal_year, unit_ids=[unit_id])
    return list(
        Attainment.objects.filter(unit_id=unit_id, fiscal_year=fiscal_year)
        .select_related("indicator")
        .order_by("indicator__code")
    )


ATTAINMENT_FIELDS = [
    "agreed",
    "direction",
    "actual",
    "prorated_target",
    "forecast",
    "periods_reported",
    "periods_in_year",
    "status",
    "computed_at",
]


@transaction.atomic
def attainment_recompute_many(*, fiscal_year: int, unit_ids: Any = None) -> int:
    """`attainment_recompute` for many units at once (a whole quarter's ingest, the daily check):
    a fixed number of queries whatever the number of units. Returns the number of standards."""
    agreements = Agreement.objects.filter(fiscal_year=fiscal_year).select_related("template")
    if unit_ids is not None:
        agreements = agreements.filter(unit_id__in=list(unit_ids))
    frequency_of = {a.pk: a.template.frequency for a in agreements}
    unit_of = {a.pk: a.unit_id for a in agreements}
    if not unit_of:
        return 0
    periods: dict[str, list[int]] = defaultdict(list)
    for period in ReportingPeriod.objects.filter(fiscal_year=fiscal_year).order_by("number"):
        periods[period.frequency].append(period.pk)
    values: dict[int, dict[int, dict[int, Decimal | None]]] = defaultdict(lambda: defaultdict(dict))
    for unit_id, period_id, indicator_id, value in ReturnValue.objects.filter(
        statistical_return__unit_id__in=set(unit_of.values()),
        statistical_return__period__fiscal_year=fiscal_year,
        statistical_return__status__in=COUNTED,
        category="",
    ).values_list(
        "statistical_return__unit_id", "statistical_return__period_id", "indicator_id", "value"
    ):
        values[unit_id][period_id][indicator_id] = value
    now = timezone.now()
    rows: list[Attainment] = []
    for level in AgreedLevel.objects.filter(agreement_id__in=list(unit_of)).select_related(
        "indicator"
    ):
        unit_id = unit_of[level.agreement_id]
        frequency = frequency_of[level.agreement_id]
        by_period = values[unit_id]
        reported_periods = [p for p in periods[frequency] if p in by_period]
        rows.append(
            _attainment_row(
                unit_id=unit_id,
                fiscal_year=fiscal_year,
                level=level,
                by_period=by_period,
                reported_periods=reported_periods,
                periods_in_year=_periods_in_year(frequency),
                now=now,
            )
        )
    Attainment.objects.bulk_create(
        rows,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["unit", "fiscal_year", "indicator"],
        update_fields=ATTAINMENT_FIELDS,
    )
    _alerts_follow_many(rows, fiscal_year=fiscal_year, unit_ids=set(unit_of.values()))
    return len(rows)


def _attainment_row(
    *,
    unit_id: int,
    fiscal_year: int,
    level: AgreedLevel,
    by_period: dict[int, dict[int, Decimal | None]],
    reported_periods: list[int],
    periods_in_year: int,
    now: Any,
) -> Attainment:
    indicator: Indicator = level.indicator
    series = [by_period[p].get(indicator.pk) for p in reported_periods]
    numerators: list[Decimal | None] = []
    denominators: list[Decimal | None] = []
    if indicator.aggregation == calc.RATIO and indicator.numerator_id:
        numerators = [by_period[p].get(indicator.numerator_id) for p in reported_periods]
        denominators = [by_period[p].get(indicator.denominator_id or 0) for p in reported_periods]
        reported = sum(1 for n, d in zip(numerators, denominators, strict=True) if n and d)
    else:
        reported = sum(1 for value in series if value is not None)
    actual = calc.year_to_date(
        indicator.aggregation,
        series,
        numerators,
        denominators,
        percent=indicator.measure == Measure.PERCENT,
    )
    reading = calc.reading(
        aggregation=indicator.aggregation,
        agreed=level.level,
        direction=level.direction,
        actual=actual,
        periods_reported=reported,
        periods_in_year=periods_in_year,
    )
    return Attainment(
        unit_id=unit_id,
        fiscal_year=fiscal_year,
        indicator=indicator,
        agreed=level.level,
        direction=level.direction,
        actual=reading.actual,
        prorated_target=reading.prorated_target,
        forecast=reading.forecast,
        periods_reported=reading.periods_reported,
        periods_in_year=periods_in_year,
        status=reading.status,
        computed_at=now,
    )


ALERT_KINDS: dict[str, str] = {
    AttainmentStatus.BELOW: AlertKind.BELOW_STANDARD,
    AttainmentStatus.AT_RISK: AlertKind.FORECAST_MISS,
}


def _alert_detail(row: Attainment) -> dict[str, Any]:
    return {
        "agreed": str(row.agreed),
        "actual": str(row.actual) if row.actual is not None else "",
        "forecast": str(row.forecast) if row.forecast is not None else "",
        "periods_reported": row.periods_reported,
    }


def _alerts_follow_many(rows: list[Attainment], *, fiscal_year: int, unit_ids: set[int]) -> None:
    """Open the alerts the standards call for, update their figures, resolve the others."""
    open_alerts = {
        (alert.unit_id, alert.subject, alert.kind): alert
        for alert in Alert.objects.filter(
            unit_id__in=unit_ids,
            fiscal_year=fiscal_year,
            kind__in=(AlertKind.BELOW_STANDARD, AlertKind.FORECAST_MISS),
            status=AlertStatus.OPEN,
        )
    }
    keep: set[int] = set()
    changed: list[Alert] = []
    raised: list[Alert] = []
    for row in rows:
        wanted = ALERT_KINDS.get(row.status)
        if wanted is None:
            continue
        detail = _alert_detail(row)
        alert = open_alerts.get((row.unit_id, row.indicator.code, wanted))
        if alert is None:
            alert = Alert.objects.create(
                unit_id=row.unit_id,
                fiscal_year=fiscal_year,
                kind=wanted,
                indicator=row.indicator,
                subject=row.indicator.code,
                detail=detail,
            )
            raised.append(alert)
        elif alert.detail != detail:
            alert.detail = detail
            changed.append(alert)
        keep.add(alert.pk)
    Alert.objects.bulk_update(changed, ["detail"], batch_size=1000)
    stale = [alert.pk for alert in open_alerts.values() if alert.pk not in keep]
    if stale:
        Alert.objects.filter(pk__in=stale).update(
            status=AlertStatus.RESOLVED, resolved_at=timezone.now()
        )
    for alert in raised:
        alert_raised(alert)
        if alert.kind == AlertKind.BELOW_STANDARD:
            performance_event(
                events.BELOW_STANDARD,
                organisation_id=alert.unit.organisation_id,
                payload={
                    "unit": alert.unit.code,
                    "fiscal_year": alert.fiscal_year,
                    "indicator": alert.subject,
                    **alert.detail,
                },
            )


def alert_raised(alert: Alert) -> None:
    """Tell the unit's supervisors and the agency's administrators, each in their language."""
    from django.contrib.auth import get_user_model

    from socialdesk.core.models import Membership, Role
    from socialdesk.core.services import notification_send

    memberships = Membership.objects.filter(is_active=True).filter(
        Q(service_unit_id=alert.unit_id, role=Role.UNIT_SUPERVISOR)
        | Q(organisation_id=alert.unit.organisation_id, role=Role.AGENCY_ADMIN)
    )
    recipients = get_user_model().objects.filter(
        pk__in=memberships.values("user_id"), is_active=True
    )
    notification_send(
        recipients=recipients,
        kind=f"performance.{alert.kind}",
        title=lambda: alert_title(alert),
    )


def alert_title(alert: Alert) -> str:
    what = alert.indicator.name if alert.indicator else (str(alert.period) if alert.period else "")
    return _("%(unit)s: %(kind)s — %(what)s") % {
        "unit": alert.unit.name,
        "kind": alert.get_kind_display(),
        "what": what,
    }


@transaction.atomic
def overdue_returns_check(*, today: date | None = None) -> int:
    """Open an alert for each return past its grace period and not submitted (and each unit with
    an FSA and no return at all for a period past its grace); resolve those submitted since.
    Returns the number of alerts opened."""
    today = today or timezone.localdate()
    opened = 0
    overdue = StatisticalReturn.objects.filter(
        grace_until__lt=today, status=ReturnStatus.DRAFT
    ).select_related("period", "unit")
    for statistical_return in overdue:
        alert, created = Alert.objects.get_or_create(
            unit=statistical_return.unit,
            fiscal_year=statistical_return.period.fiscal_year,
            kind=AlertKind.OVERDUE_RETURN,
            subject=f"period:{statistical_return.period_id}",
            status=AlertStatus.OPEN,
            defaults={"period": statistical_return.period},
        )
        if created:
            opened += 1
            alert_raised(alert)
            performance_event(
                events.OVERDUE,
                organisation_id=statistical_return.unit.organisation_id,
                payload={
                    "return_id": statistical_return.pk,
                    "unit": statistical_return.unit.code,
                    "period": statistical_return.period.label,
                    "due_on": statistical_return.due_on.isoformat(),
                },
            )
    submitted_subjects = {
        (unit_id, f"period:{period_id}")
        for unit_id, period_id in StatisticalReturn.objects.exclude(
            status=ReturnStatus.DRAFT
        ).values_list("unit_id", "period_id")
    }
    for alert in Alert.objects.filter(kind=AlertKind.OVERDUE_RETURN, status=AlertStatus.OPEN):
        if (alert.unit_id, alert.subject) in submitted_subjects:
            alert.status = AlertStatus.RESOLVED
            alert.resolved_at = timezone.now()
            alert.save(update_fields=["status", "resolved_at", "updated_at"])
    return opened


def units_recompute(*, fiscal_year: int, unit_ids: Any = None) -> int:
    """Recompute attainment for many units (the daily check, demo data, the benchmark)."""
    return attainment_recompute_many(fiscal_year=fiscal_year, unit_ids=unit_ids)
