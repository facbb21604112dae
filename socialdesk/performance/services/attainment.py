"""Attainment and alerts: recomputed for a unit and year whenever one of its returns is submitted,
accepted or returned, and for every unit by the daily check (which also raises overdue-return
alerts). Figures count from the returns the unit has submitted (not drafts)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.bulk import rows_insert

from .. import attainment as calc
from .. import events
from ..events import performance_event, performance_events
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
    agreements = Agreement.objects.filter(fiscal_year=fiscal_year)
    if unit_ids is not None:
        agreements = agreements.filter(unit_id__in=list(unit_ids))
    frequency_of: dict[int, str] = {}
    unit_of: dict[int, int] = {}
    for agreement_id, unit_id, frequency in agreements.values_list(
        "pk", "unit_id", "template__frequency"
    ):
        frequency_of[agreement_id] = frequency
        unit_of[agreement_id] = unit_id
    if not unit_of:
        return 0
    periods: dict[str, list[int]] = defaultdict(list)
    for period_id, frequency in (
        ReportingPeriod.objects.filter(fiscal_year=fiscal_year)
        .order_by("number")
        .values_list("pk", "frequency")
    ):
        periods[frequency].append(period_id)
    year_periods = [p for ids in periods.values() for p in ids]
    values: dict[int, dict[int, dict[int, Decimal | None]]] = defaultdict(lambda: defaultdict(dict))
    for unit_id, period_id, indicator_id, value in ReturnValue.objects.filter(
        statistical_return__unit_id__in=set(unit_of.values()),
        statistical_return__period_id__in=year_periods,
        statistical_return__status__in=COUNTED,
        category="",
    ).values_list(
        "statistical_return__unit_id", "statistical_return__period_id", "indicator_id", "value"
    ):
        values[unit_id][period_id][indicator_id] = value
    levels = list(
        AgreedLevel.objects.filter(agreement_id__in=list(unit_of)).values_list(
            "agreement_id", "indicator_id", "level", "direction"
        )
    )
    indicators = Indicator.objects.in_bulk({indicator_id for _a, indicator_id, _l, _d in levels})
    now = timezone.now()
    rows: list[_Standing] = []
    for agreement_id, indicator_id, level, direction in levels:
        unit_id = unit_of[agreement_id]
        frequency = frequency_of[agreement_id]
        by_period = values[unit_id]
        rows.append(
            _attainment_row(
                unit_id=unit_id,
                fiscal_year=fiscal_year,
                indicator=indicators[indicator_id],
                level=level,
                direction=direction,
                by_period=by_period,
                reported_periods=[p for p in periods[frequency] if p in by_period],
                periods_in_year=_periods_in_year(frequency),
                now=now,
            )
        )
    _attainment_store(rows)
    _alerts_follow_many(rows, fiscal_year=fiscal_year, unit_ids=set(unit_of.values()))
    return len(rows)


@dataclass(slots=True)
class _Standing:
    """A row of `Attainment` before it is stored (built for every standard of every unit: a
    model instance each would cost more than the arithmetic)."""

    unit_id: int
    fiscal_year: int
    indicator: Indicator
    agreed: Decimal
    direction: str
    actual: Decimal | None
    prorated_target: Decimal | None
    forecast: Decimal | None
    periods_reported: int
    periods_in_year: int
    status: str
    computed_at: Any


def _attainment_store(rows: list[_Standing]) -> None:
    """Insert or update the standards' rows (one upsert statement per 50,000 on PostgreSQL)."""
    fields = ["unit_id", "fiscal_year", "indicator_id", *ATTAINMENT_FIELDS]
    rows_insert(
        Attainment,
        fields,
        [
            (
                row.unit_id,
                row.fiscal_year,
                row.indicator.pk,
                row.agreed,
                row.direction,
                row.actual,
                row.prorated_target,
                row.forecast,
                row.periods_reported,
                row.periods_in_year,
                row.status,
                row.computed_at,
            )
            for row in rows
        ],
        unique_fields=["unit", "fiscal_year", "indicator"],
        update_fields=ATTAINMENT_FIELDS,
    )


def _attainment_row(
    *,
    unit_id: int,
    fiscal_year: int,
    indicator: Indicator,
    level: Decimal,
    direction: str,
    by_period: dict[int, dict[int, Decimal | None]],
    reported_periods: list[int],
    periods_in_year: int,
    now: Any,
) -> _Standing:
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
        agreed=level,
        direction=direction,
        actual=actual,
        periods_reported=reported,
        periods_in_year=periods_in_year,
    )
    return _Standing(
        unit_id=unit_id,
        fiscal_year=fiscal_year,
        indicator=indicator,
        agreed=level,
        direction=direction,
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


def _alert_detail(row: _Standing) -> dict[str, Any]:
    return {
        "agreed": str(row.agreed),
        "actual": str(row.actual) if row.actual is not None else "",
        "forecast": str(row.forecast) if row.forecast is not None else "",
        "periods_reported": row.periods_reported,
    }


def _alerts_follow_many(rows: list[_Standing], *, fiscal_year: int, unit_ids: set[int]) -> None:
    """Open the alerts the standards call for, update their figures, resolve the others; tell
    the people concerned of the new ones (in bulk: a quarter's ingest raises hundreds)."""
    open_alerts = {
        (alert.unit_id, alert.subject, alert.kind): alert
        for alert in Alert.objects.filter(
            unit_id__in=unit_ids,
            fiscal_year=fiscal_year,
            kind__in=(AlertKind.BELOW_STANDARD, AlertKind.FORECAST_MISS),
            status=AlertStatus.OPEN,
        ).only("pk", "unit_id", "subject", "kind", "detail")
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
            raised.append(
                Alert(
                    unit_id=row.unit_id,
                    fiscal_year=fiscal_year,
                    kind=wanted,
                    indicator=row.indicator,
                    subject=row.indicator.code,
                    detail=detail,
                )
            )
            continue
        if alert.detail != detail:
            alert.detail = detail
            changed.append(alert)
        keep.add(alert.pk)
    Alert.objects.bulk_update(changed, ["detail"], batch_size=1000)
    stale = [alert.pk for alert in open_alerts.values() if alert.pk not in keep]
    if stale:
        Alert.objects.filter(pk__in=stale).update(
            status=AlertStatus.RESOLVED, resolved_at=timezone.now()
        )
    if raised:
        Alert.objects.bulk_create(raised, batch_size=1000)
        alerts_raised(raised)


def alerts_raised(alerts: list[Alert]) -> None:
    """Tell the people concerned of new attainment alerts, and send the below-standard events
    to the webhooks."""
    alerts_notify(alerts)
    performance_events(
        events.BELOW_STANDARD,
        (
            (
                alert.unit.organisation_id,
                {
                    "unit": alert.unit.code,
                    "fiscal_year": alert.fiscal_year,
                    "indicator": alert.subject,
                    **alert.detail,
                },
            )
            for alert in alerts
            if alert.kind == AlertKind.BELOW_STANDARD
        ),
    )


def alerts_notify(alerts: list[Alert]) -> None:
    """Tell the units' supervisors and the agencies' administrators of new alerts, each in their
    language: a fixed number of queries for any number of alerts."""
    from django.contrib.auth import get_user_model

    from socialdesk.core.models import Membership, Role, ServiceUnit
    from socialdesk.core.services import Message, notifications_send

    units = ServiceUnit.objects.in_bulk({alert.unit_id for alert in alerts})
    for alert in alerts:
        alert.unit = units[alert.unit_id]
    organisations = {unit.organisation_id for unit in units.values()}
    memberships = Membership.objects.filter(
        Q(service_unit_id__in=list(units), role=Role.UNIT_SUPERVISOR)
        | Q(organisation_id__in=organisations, role=Role.AGENCY_ADMIN),
        is_active=True,
        user__is_active=True,
    ).values_list("user_id", "role", "service_unit_id", "organisation_id")
    supervisors: dict[int, set[int]] = defaultdict(set)
    administrators: dict[int, set[int]] = defaultdict(set)
    for user_id, role, unit_id, organisation_id in memberships:
        if role == Role.UNIT_SUPERVISOR:
            supervisors[unit_id].add(user_id)
        else:
            administrators[organisation_id].add(user_id)
    users = get_user_model().objects.in_bulk(
        set().union(*supervisors.values(), *administrators.values())
    )
    messages = []
    for alert in alerts:
        ids = supervisors[alert.unit_id] | administrators[alert.unit.organisation_id]
        messages.append(
            Message(
                recipients=[users[pk] for pk in sorted(ids) if pk in users],
                kind=f"performance.{alert.kind}",
                title=partial(alert_title, alert),
            )
        )
    notifications_send(messages)


def alert_raised(alert: Alert) -> None:
    """Tell the unit's supervisors and the agency's administrators, each in their language."""
    alerts_notify([alert])


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
