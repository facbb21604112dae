"""Dashboard reads: attainment of the FSA standards, trends, districts, completeness and
timeliness of returns, open alerts and improvement plans, for the units the viewer may see
(`policies.unit_scope`: an agency's staff their own units, SWD every unit).

Every figure is aggregated in SQL (GROUP BY over `Attainment`, `StatisticalReturn`,
`ReturnValue`, `Alert`, `ImprovementPlan`); Python only rolls a few thousand grouped rows up into
districts and agencies. Each function runs a fixed number of queries whatever the number of units,
standards or years (see the query-count tests), and returns plain dataclasses."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, F, Model, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.models import District, Organisation, ServiceType, ServiceUnit

from ..models import (
    Aggregation,
    AgreedLevel,
    Agreement,
    Alert,
    AlertKind,
    AlertStatus,
    Attainment,
    Frequency,
    ImprovementPlan,
    Indicator,
    IndicatorKind,
    Measure,
    PlanStatus,
    ReportingPeriod,
    ReturnValue,
    StatisticalReturn,
)
from ..policies import unit_scope
from .dashboard_results import (
    ALERT_KINDS,
    COUNTED,
    HUNDRED,
    OPEN_PLAN_STATUSES,
    STATUS_ORDER,
    TREND_YEARS,
    UNSUBMITTED_PLAN_STATUSES,
    Dashboard,
    GroupRow,
    IndicatorDashboard,
    PeriodTimeliness,
    StandardRow,
    StatusCounts,
    Timeliness,
    Trend,
    TrendPoint,
    UnitDashboard,
    UnitReturn,
    UnitRow,
    UnitStandard,
)

__all__ = [
    "STATUS_ORDER",
    "Dashboard",
    "GroupRow",
    "IndicatorDashboard",
    "PeriodTimeliness",
    "StandardRow",
    "StatusCounts",
    "Timeliness",
    "Trend",
    "TrendPoint",
    "UnitDashboard",
    "UnitReturn",
    "UnitRow",
    "UnitStandard",
    "agency_dashboard",
    "dashboard_years",
    "indicator_dashboard",
    "sector_dashboard",
    "service_type_dashboard",
    "unit_dashboard",
]

# --- Scope and filters --------------------------------------------------------------------------


# Models reaching a service unit through another model: the viewer's scope applies to that one.
VIA = {
    "statistical_return__unit": ("statistical_return", StatisticalReturn),
    "agreement__unit": ("agreement", Agreement),
}


@dataclass(frozen=True)
class _Scope:
    """The viewer's units (`unit_scope`, a condition on a `unit` field) with the dashboard's
    filters."""

    condition: Q
    service_type_id: int | None = None
    district_id: int | None = None
    organisation_id: int | None = None
    unit_id: int | None = None

    def on[M: Model](self, queryset: QuerySet[M], path: str = "unit") -> QuerySet[M]:
        """`queryset` narrowed to the viewer's units and the filters; `path` leads from its
        model to the service unit ("unit", or one of VIA)."""
        if path == "unit":
            queryset = queryset.filter(self.condition)
        elif self.condition:  # not the whole sector: through the intermediate model's unit
            relation, model = VIA[path]
            mine = model._default_manager.filter(self.condition).values("pk")
            queryset = queryset.filter(**{f"{relation}__in": mine})
        lookups: dict[str, int] = {}
        if self.service_type_id is not None:
            lookups[f"{path}__service_type_id"] = self.service_type_id
        if self.district_id is not None:
            lookups[f"{path}__district_id"] = self.district_id
        if self.organisation_id is not None:
            lookups[f"{path}__organisation_id"] = self.organisation_id
        if self.unit_id is not None:
            lookups[f"{path}_id"] = self.unit_id
        return queryset.filter(**lookups) if lookups else queryset


def _scope_for(user: Any, **filters: int | None) -> _Scope:
    """The viewer's scope; 404 when they may see no unit's performance at all."""
    condition = unit_scope(actor_for(user), Action.VIEW)
    if condition is None:
        raise Http404
    return _Scope(condition=condition, **filters)


def _resolve[M: Model](model: type[M], value: Any, queryset: QuerySet[M] | None = None) -> M | None:
    """A filter value (a record, its id, or its code) as the record; 404 if there is none."""
    if value is None or value == "":
        return None
    if isinstance(value, model):
        return value
    rows = queryset if queryset is not None else model._default_manager.all()
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        found = rows.filter(pk=int(value)).first()
    else:
        found = rows.filter(code=str(value)).first()
    if found is None:
        raise Http404
    return found


def _pk(record: Model | None) -> int | None:
    return None if record is None else int(record.pk)


# --- Shared aggregates --------------------------------------------------------------------------


def _rows(queryset: Any) -> list[dict[str, Any]]:
    """The rows of a values() query as plain dicts."""
    return [dict(row) for row in queryset]


def _status_counts() -> dict[str, Any]:
    return {status: Count("pk", filter=Q(status=status)) for status in STATUS_ORDER}


def _counts_of(row: dict[str, Any]) -> StatusCounts:
    return StatusCounts(**{status: int(row[status] or 0) for status in STATUS_ORDER})


INDICATOR_FIELDS = (
    "pk",
    "code",
    "name_zh",
    "name_en",
    "kind",
    "measure",
    "aggregation",
    "decimal_places",
    "numerator_id",
    "denominator_id",
)


def _standard_rows(attainment: QuerySet[Attainment]) -> list[StandardRow]:
    """Each standard across the units (grouped on the indicator's id alone, so PostgreSQL hashes
    instead of sorting wide rows; the indicators' names come in a second, small query)."""
    grouped = _rows(
        attainment.values("indicator_id")
        .annotate(
            **_status_counts(),
            actual_total=Sum("actual"),
            prorated_total=Sum("prorated_target"),
            agreed_total=Sum("agreed"),
            agreed_reported=Sum("agreed", filter=Q(actual__isnull=False)),
            reported=Count("actual"),
        )
        .order_by()
    )
    ids = [row["indicator_id"] for row in grouped]
    meta = {
        row["pk"]: row
        for row in _rows(Indicator.objects.filter(pk__in=ids).values(*INDICATOR_FIELDS))
    }
    rows = [
        StandardRow(
            indicator_id=row["indicator_id"],
            code=meta[row["indicator_id"]]["code"],
            name_zh=meta[row["indicator_id"]]["name_zh"],
            name_en=meta[row["indicator_id"]]["name_en"],
            kind=meta[row["indicator_id"]]["kind"],
            measure=meta[row["indicator_id"]]["measure"],
            aggregation=meta[row["indicator_id"]]["aggregation"],
            decimal_places=meta[row["indicator_id"]]["decimal_places"],
            numerator_id=meta[row["indicator_id"]]["numerator_id"],
            denominator_id=meta[row["indicator_id"]]["denominator_id"],
            counts=_counts_of(row),
            actual_total=_decimal(row["actual_total"]),
            prorated_total=_decimal(row["prorated_total"]),
            agreed_total=_decimal(row["agreed_total"]),
            agreed_reported=_decimal(row["agreed_reported"]),
            actual_average=_average(row["actual_total"], row["reported"]),
            agreed_average=_average(row["agreed_total"], _counts_of(row).total),
        )
        for row in grouped
    ]
    rows.sort(key=lambda row: _standard_order(row.kind, row.code))
    return rows


KIND_ORDER = {IndicatorKind.OUTPUT: 0, IndicatorKind.OUTCOME: 1, IndicatorKind.STATISTIC: 2}


def _standard_order(kind: str, code: str) -> tuple[int, str]:
    """Output standards, then outcome standards, then other statistics; by code."""
    return KIND_ORDER.get(kind, 3), code  # type: ignore[call-overload]


def _average(total: Any, count: int) -> Decimal | None:
    """An average from a sum and a count (cheaper in SQL than one more aggregate)."""
    if total is None or not count:
        return None
    return (Decimal(total) / count).quantize(Decimal("0.0001"))


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.0001"))


UNIT_FIELDS = ("pk", "code", "name_zh", "name_en", "organisation_id", "district_id",
               "service_type_id")  # fmt: skip


def _unit_counts(attainment: QuerySet[Attainment]) -> dict[int, StatusCounts]:
    """Each unit's standards by status (grouped on the unit's id alone)."""
    grouped = attainment.values("unit_id").annotate(**_status_counts()).order_by()
    return {row["unit_id"]: _counts_of(row) for row in _rows(grouped)}


def _units_named(scope: _Scope, ids: set[int]) -> dict[int, dict[str, Any]]:
    """Names and places of the units in view: for the whole sector every unit the filters
    leave (no list of ids to send), else the units by id."""
    units = ServiceUnit.objects.all()
    if scope.condition:  # an agency's or a unit's staff: a few units
        units = units.filter(pk__in=sorted(ids))
    else:
        lookups = {
            "service_type_id": scope.service_type_id,
            "district_id": scope.district_id,
            "organisation_id": scope.organisation_id,
            "pk": scope.unit_id,
        }
        units = units.filter(**{k: v for k, v in lookups.items() if v})
    return {row["pk"]: row for row in _rows(units.values(*UNIT_FIELDS))}


def _groups(rows: Iterable[dict[str, Any]]) -> dict[int, GroupRow]:
    return {
        row["pk"]: GroupRow(
            key=row["pk"], code=row["code"], name_zh=row["name_zh"], name_en=row["name_en"]
        )
        for row in rows
    }


def _periods_in_year(frequency: str) -> int:
    return 4 if frequency == Frequency.QUARTERLY else 2


def _timeliness(
    scope: _Scope, fiscal_year: int, periods: list[ReportingPeriod], today: date
) -> tuple[dict[int, Timeliness], dict[int, Timeliness]]:
    """Timeliness of the year's returns by agency and by period (two queries): the returns'
    first submissions against their due dates, and the returns the agreements call for."""
    returns = scope.on(StatisticalReturn.objects.filter(period__fiscal_year=fiscal_year))
    submitted = (
        returns.filter(submitted_at__isnull=False)
        .values("unit__organisation_id", "period_id")
        .annotate(
            on_time=Count("pk", filter=Q(submitted_at__date__lte=F("due_on"))),
            in_grace=Count(
                "pk",
                filter=Q(
                    submitted_at__date__gt=F("due_on"), submitted_at__date__lte=F("grace_until")
                ),
            ),
            late=Count("pk", filter=Q(submitted_at__date__gt=F("grace_until"))),
        )
        .order_by()
    )
    done: dict[tuple[int, int], dict[str, Any]] = {
        (row["unit__organisation_id"], row["period_id"]): row for row in _rows(submitted)
    }
    expected = (
        scope.on(Agreement.objects.filter(fiscal_year=fiscal_year))
        .values(
            "unit__organisation_id",
            "template__frequency",
            "template__due_days",
            "template__grace_days",
        )
        .annotate(units=Count("pk"))
        .order_by()
    )
    calls: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(expected):
        calls[row["unit__organisation_id"]].append(row)
    by_organisation: dict[int, Timeliness] = defaultdict(Timeliness)
    by_period: dict[int, Timeliness] = defaultdict(Timeliness)
    for organisation_id in set(calls) | {key[0] for key in done}:
        for period in periods:
            if period.ends_on >= today:
                continue  # not over yet: nothing is due
            groups = [
                g
                for g in calls.get(organisation_id, [])
                if g["template__frequency"] == period.frequency
            ]
            done_row = done.get((organisation_id, period.pk), {})
            t = Timeliness(
                on_time=int(done_row.get("on_time", 0)),
                in_grace=int(done_row.get("in_grace", 0)),
                late=int(done_row.get("late", 0)),
            )
            t.expected = max(sum(g["units"] for g in groups), t.submitted)
            past_grace = sum(
                g["units"]
                for g in groups
                if today
                > period.ends_on
                + timedelta(days=g["template__due_days"] + g["template__grace_days"])
            )
            unsubmitted = t.expected - t.submitted
            t.missing = min(unsubmitted, max(0, past_grace - t.submitted))
            t.pending = unsubmitted - t.missing
            by_organisation[organisation_id].add(t)
            by_period[period.pk].add(t)
    return by_organisation, by_period


def _open_alerts(scope: _Scope, fiscal_year: int) -> list[dict[str, Any]]:
    """Each unit's open alerts of the year, by kind (one row per unit)."""
    by_kind = {kind: Count("pk", filter=Q(kind=kind)) for kind in ALERT_KINDS}
    return _rows(
        scope.on(Alert.objects.filter(status=AlertStatus.OPEN, fiscal_year=fiscal_year))
        .values("unit_id")
        .annotate(n=Count("pk"), **by_kind)
        .order_by()
    )


def _plans(scope: _Scope, fiscal_year: int, today: date) -> list[dict[str, Any]]:
    return _rows(
        scope.on(ImprovementPlan.objects.filter(fiscal_year=fiscal_year))
        .values("unit_id", "status")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(due_on__lt=today, status__in=UNSUBMITTED_PLAN_STATUSES)),
        )
        .order_by()
    )


def _trend_periods(fiscal_year: int) -> list[ReportingPeriod]:
    """The periods of the trend's years (the dashboard's year and the ones before it)."""
    years = range(fiscal_year - TREND_YEARS + 1, fiscal_year + 1)
    return list(ReportingPeriod.objects.filter(fiscal_year__in=years).order_by("starts_on", "pk"))


def _trend(
    scope: _Scope,
    standard: StandardRow | UnitStandard | Indicator,
    periods: list[ReportingPeriod],
) -> Trend:
    """The indicator per period over the trend's years (two queries)."""
    if isinstance(standard, Indicator):
        indicator_id, code = int(standard.pk), standard.code
        name_zh, name_en = standard.name_zh, standard.name_en
        measure, aggregation = standard.measure, standard.aggregation
        numerator_id, denominator_id = standard.numerator_id, standard.denominator_id
    else:
        indicator_id, code = standard.indicator_id, standard.code
        name_zh, name_en = standard.name_zh, standard.name_en
        measure, aggregation = standard.measure, standard.aggregation
        numerator_id = getattr(standard, "numerator_id", None)
        denominator_id = getattr(standard, "denominator_id", None)
    ratio = aggregation == Aggregation.RATIO and numerator_id and denominator_id
    wanted = [int(numerator_id or 0), int(denominator_id or 0)] if ratio else [indicator_id]
    figures = (
        scope.on(
            ReturnValue.objects.filter(
                indicator_id__in=wanted,
                category="",
                value__isnull=False,
                statistical_return__status__in=COUNTED,
                statistical_return__period_id__in=[p.pk for p in periods],
            ),
            "statistical_return__unit",
        )
        .values("statistical_return__period_id", "indicator_id")
        .annotate(total=Sum("value"), average=Avg("value"))
        .order_by()
    )
    found: dict[tuple[int, int], dict[str, Any]] = {
        (row["statistical_return__period_id"], row["indicator_id"]): row for row in _rows(figures)
    }
    levels = (
        scope.on(
            AgreedLevel.objects.filter(
                indicator_id=indicator_id,
                agreement__fiscal_year__in={p.fiscal_year for p in periods},
            ),
            "agreement__unit",
        )
        .values("agreement__fiscal_year", "agreement__template__frequency")
        .annotate(total=Sum("level"), average=Avg("level"))
        .order_by()
    )
    reference: dict[tuple[int, str], Decimal | None] = {}
    for level in _rows(levels):
        key = (level["agreement__fiscal_year"], level["agreement__template__frequency"])
        if aggregation == Aggregation.SUM:
            total = _decimal(level["total"]) or Decimal(0)
            reference[key] = (total / _periods_in_year(key[1])).quantize(Decimal("0.01"))
        else:
            reference[key] = _decimal(level["average"])
    points = []
    for period in periods:
        value: Decimal | None
        if ratio:
            numerator = found.get((period.pk, int(numerator_id or 0)))
            denominator = found.get((period.pk, int(denominator_id or 0)))
            value = None
            if numerator and denominator and denominator["total"]:
                share = Decimal(numerator["total"]) / Decimal(denominator["total"])
                scale = HUNDRED if measure == Measure.PERCENT else Decimal(1)
                value = (share * scale).quantize(Decimal("0.1"))
        else:
            figure = found.get((period.pk, indicator_id))
            column = "total" if aggregation == Aggregation.SUM else "average"
            raw = None if figure is None else figure[column]
            value = _decimal(raw)
        if value is None and (period.fiscal_year, period.frequency) not in reference:
            continue  # a period of another frequency, or a year without an FSA
        points.append(
            TrendPoint(
                period_id=period.pk,
                label=period.label,
                fiscal_year=period.fiscal_year,
                value=value,
                reference=reference.get((period.fiscal_year, period.frequency)),
            )
        )
    return Trend(
        indicator_id=indicator_id,
        code=code,
        name_zh=name_zh,
        name_en=name_en,
        measure=measure,
        aggregation=aggregation,
        points=points,
    )


def _trend_standard(standards: list[StandardRow], indicator: Any) -> StandardRow | None:
    """The standard whose trend is shown: the one asked for, else the output standard most
    units report on."""
    if indicator not in (None, ""):
        text = str(indicator)
        for row in standards:
            if text in (row.code, str(row.indicator_id)):
                return row
    candidates = sorted(
        standards,
        key=lambda r: (
            r.kind != IndicatorKind.OUTPUT,
            r.aggregation != Aggregation.SUM,
            -r.counts.total,
            r.code,
        ),
    )
    return candidates[0] if candidates else None


# --- Dashboards ---------------------------------------------------------------------------------


def sector_dashboard(
    user: Any,
    *,
    fiscal_year: int,
    service_type: Any = None,
    district: Any = None,
    organisation: Any = None,
    indicator: Any = None,
    today: date | None = None,
) -> Dashboard:
    """The units the user may see (SWD: the sector), optionally of one service type, district or
    agency (each a record, an id or a code): their standards, agencies, districts, service
    types, returns' timeliness, open alerts and plans, and the trend of one standard (`indicator`,
    a code or an id; by default the output standard most units report)."""
    today = today or timezone.localdate()
    service_type = _resolve(ServiceType, service_type)
    district = _resolve(District, district)
    organisation = _resolve(Organisation, organisation, policy_for(Organisation).queryset(user))
    scope = _scope_for(
        user,
        service_type_id=_pk(service_type),
        district_id=_pk(district),
        organisation_id=_pk(organisation),
    )
    attainment = scope.on(Attainment.objects.filter(fiscal_year=fiscal_year))
    standards = _standard_rows(attainment)
    counts = _unit_counts(attainment)
    all_periods = _trend_periods(fiscal_year)
    periods = [p for p in all_periods if p.fiscal_year == fiscal_year]
    by_agency_timeliness, by_period_timeliness = _timeliness(scope, fiscal_year, periods, today)
    alerts = _open_alerts(scope, fiscal_year)
    plans = _plans(scope, fiscal_year, today)
    named = _units_named(scope, set(counts) | {row["unit_id"] for row in (*alerts, *plans)})
    units = sorted(
        (
            UnitRow(
                unit_id=unit_id,
                code=named[unit_id]["code"],
                name_zh=named[unit_id]["name_zh"],
                name_en=named[unit_id]["name_en"],
                organisation_id=named[unit_id]["organisation_id"],
                district_id=named[unit_id]["district_id"],
                service_type_id=named[unit_id]["service_type_id"],
                counts=unit_counts,
            )
            for unit_id, unit_counts in counts.items()
        ),
        key=lambda u: u.code,
    )

    organisation_ids = {row["organisation_id"] for row in named.values()}
    organisation_ids |= set(by_agency_timeliness)
    names = ("pk", "code", "name_zh", "name_en")
    by_organisation = _groups(
        _rows(Organisation.objects.filter(pk__in=organisation_ids).values(*names))
    )
    by_district = _groups(_rows(District.objects.values(*names)))
    by_service_type = _groups(_rows(ServiceType.objects.values(*names)))

    unit_index = {u.unit_id: u for u in units}
    for row in alerts:
        if row["unit_id"] in unit_index:
            unit_index[row["unit_id"]].open_alerts += row["n"]
        by_organisation[named[row["unit_id"]]["organisation_id"]].open_alerts += row["n"]
    for row in plans:
        if row["status"] not in OPEN_PLAN_STATUSES:
            continue
        if row["unit_id"] in unit_index:
            unit_index[row["unit_id"]].open_plans += row["n"]
        by_organisation[named[row["unit_id"]]["organisation_id"]].open_plans += row["n"]
    unit_counts, standard_counts = StatusCounts(), StatusCounts()
    for unit in units:
        worst = unit.worst
        unit_counts.bump(worst)
        standard_counts.add(unit.counts)
        for group in (
            by_organisation.get(unit.organisation_id),
            by_district.get(unit.district_id),
            by_service_type.get(unit.service_type_id),
        ):
            if group is not None:
                group.units.bump(worst)
                group.standards.add(unit.counts)
    for organisation_id, timeliness in by_agency_timeliness.items():
        by_organisation[organisation_id].timeliness = timeliness
    total = Timeliness()
    period_rows = []
    for period in periods:
        if period.pk in by_period_timeliness:
            total.add(by_period_timeliness[period.pk])
            period_rows.append(
                PeriodTimeliness(
                    period_id=period.pk,
                    label=period.label,
                    ends_on=period.ends_on,
                    timeliness=by_period_timeliness[period.pk],
                )
            )
    open_alerts: dict[str, int] = dict.fromkeys(AlertKind.values, 0)
    for row in alerts:
        for kind in ALERT_KINDS:
            open_alerts[kind] += row[kind]
    plan_counts: dict[str, int] = dict.fromkeys(PlanStatus.values, 0)
    for row in plans:
        plan_counts[row["status"]] += row["n"]
    chosen = _trend_standard(standards, indicator)
    return Dashboard(
        fiscal_year=fiscal_year,
        today=today,
        organisation=organisation,
        service_type=service_type,
        district=district,
        standards=standards,
        units=units,
        by_organisation=_ordered(by_organisation.values(), keep_empty=False),
        by_district=_ordered(by_district.values(), keep_empty=False),
        by_service_type=_ordered(by_service_type.values(), keep_empty=False),
        standard_counts=standard_counts,
        unit_counts=unit_counts,
        timeliness=total,
        timeliness_by_period=period_rows,
        open_alerts=open_alerts,
        plans=plan_counts,
        plans_overdue=sum(row["overdue"] for row in plans),
        trend=None if chosen is None else _trend(scope, chosen, all_periods),
    )


def _ordered(groups: Iterable[GroupRow], *, keep_empty: bool) -> list[GroupRow]:
    rows = [
        g
        for g in groups
        if keep_empty or g.unit_count or g.timeliness.expected or g.open_alerts or g.open_plans
    ]
    return sorted(rows, key=lambda g: g.code)


def agency_dashboard(
    user: Any,
    *,
    organisation_id: Any,
    fiscal_year: int,
    service_type: Any = None,
    district: Any = None,
    indicator: Any = None,
    today: date | None = None,
) -> Dashboard:
    """One agency's units the user may see (404 for an agency they may not see), optionally of
    one service type or district."""
    organisation = policy_for(Organisation).get(user, organisation_id)
    return sector_dashboard(
        user,
        fiscal_year=fiscal_year,
        service_type=service_type,
        district=district,
        organisation=organisation,
        indicator=indicator,
        today=today,
    )


def service_type_dashboard(
    user: Any,
    *,
    service_type: Any,
    fiscal_year: int,
    district: Any = None,
    organisation: Any = None,
    indicator: Any = None,
    today: date | None = None,
) -> Dashboard:
    """The units of one service type (its standards side by side)."""
    if service_type in (None, ""):
        raise Http404
    return sector_dashboard(
        user,
        fiscal_year=fiscal_year,
        service_type=service_type,
        district=district,
        organisation=organisation,
        indicator=indicator,
        today=today,
    )


def _unit_standard(row: Attainment | dict[str, Any]) -> UnitStandard:
    if isinstance(row, Attainment):
        indicator = row.indicator
        return UnitStandard(
            indicator_id=indicator.pk,
            code=indicator.code,
            name_zh=indicator.name_zh,
            name_en=indicator.name_en,
            kind=indicator.kind,
            measure=indicator.measure,
            aggregation=indicator.aggregation,
            decimal_places=indicator.decimal_places,
            direction=row.direction,
            agreed=row.agreed,
            actual=row.actual,
            prorated_target=row.prorated_target,
            forecast=row.forecast,
            periods_reported=row.periods_reported,
            periods_in_year=row.periods_in_year,
            status=row.status,
            unit_id=row.unit_id,
        )
    return UnitStandard(
        indicator_id=row["indicator_id"],
        code=row["indicator__code"],
        name_zh=row["indicator__name_zh"],
        name_en=row["indicator__name_en"],
        kind=row["indicator__kind"],
        measure=row["indicator__measure"],
        aggregation=row["indicator__aggregation"],
        decimal_places=row["indicator__decimal_places"],
        direction=row["direction"],
        agreed=row["agreed"],
        actual=row["actual"],
        prorated_target=row["prorated_target"],
        forecast=row["forecast"],
        periods_reported=row["periods_reported"],
        periods_in_year=row["periods_in_year"],
        status=row["status"],
        unit_id=row["unit_id"],
        unit_code=row["unit__code"],
        unit_name_zh=row["unit__name_zh"],
        unit_name_en=row["unit__name_en"],
        organisation_name_zh=row["unit__organisation__name_zh"],
        organisation_name_en=row["unit__organisation__name_en"],
        district_name_zh=row["unit__district__name_zh"],
        district_name_en=row["unit__district__name_en"],
    )


def _return_timeliness(
    statistical_return: StatisticalReturn | None,
    due_on: date | None,
    grace: date | None,
    today: date,
) -> str:
    submitted = statistical_return.submitted_at if statistical_return else None
    if submitted is not None:
        day = timezone.localdate(submitted)
        if due_on is None or day <= due_on:
            return "on_time"
        return "in_grace" if grace is None or day <= grace else "late"
    if due_on is None or today <= due_on:
        return "not_due"
    return "pending" if grace is not None and today <= grace else "missing"


def unit_dashboard(
    user: Any, *, unit_id: Any, fiscal_year: int, indicator: Any = None, today: date | None = None
) -> UnitDashboard:
    """One unit's year (404 unless the user may see the unit's performance records)."""
    today = today or timezone.localdate()
    scope = _scope_for(user)
    try:
        # The scope is a condition on `unit_id`: name the unit's own id so, to apply it here.
        unit = (
            ServiceUnit.objects.alias(unit_id=F("pk"))
            .filter(scope.condition)
            .select_related("organisation", "district", "service_type")
            .get(pk=int(unit_id))
        )
    except (ServiceUnit.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    agreements = {
        a.fiscal_year: a
        for a in Agreement.objects.filter(unit_id=unit.pk).select_related("template")
    }
    scope = replace(scope, unit_id=unit.pk)
    attainment = (
        Attainment.objects.filter(unit_id=unit.pk, fiscal_year=fiscal_year)
        .select_related("indicator")
        .order_by("indicator__code")
    )
    standards = [_unit_standard(row) for row in attainment]
    standards.sort(key=lambda row: _standard_order(row.kind, row.code))
    counts = StatusCounts()
    for standard in standards:
        counts.bump(standard.status)
    all_periods = _trend_periods(fiscal_year)
    agreement = agreements.get(fiscal_year)
    returns: list[UnitReturn] = []
    if agreement is not None:
        template = agreement.template
        existing = {
            r.period_id: r
            for r in StatisticalReturn.objects.filter(
                unit_id=unit.pk, period__fiscal_year=fiscal_year
            )
        }
        for period in all_periods:
            if period.fiscal_year != fiscal_year or period.frequency != template.frequency:
                continue
            found = existing.get(period.pk)
            due = found.due_on if found else period.ends_on + timedelta(days=template.due_days)
            grace = found.grace_until if found else due + timedelta(days=template.grace_days)
            returns.append(
                UnitReturn(
                    period_id=period.pk,
                    label=period.label,
                    ends_on=period.ends_on,
                    due_on=due,
                    grace_until=grace,
                    return_id=found.pk if found else None,
                    status=found.status if found else "",
                    submitted_on=timezone.localdate(found.submitted_at)
                    if found and found.submitted_at
                    else None,
                    timeliness=_return_timeliness(found, due, grace, today)
                    if period.ends_on < today
                    else "not_due",
                )
            )
    alerts = list(
        Alert.objects.filter(unit_id=unit.pk, fiscal_year=fiscal_year, status=AlertStatus.OPEN)
        .select_related("indicator", "period")
        .order_by("kind", "subject")
    )
    plans = list(
        ImprovementPlan.objects.filter(unit_id=unit.pk, fiscal_year=fiscal_year).order_by("-pk")
    )
    chosen = _unit_trend_standard(standards, indicator)
    return UnitDashboard(
        fiscal_year=fiscal_year,
        today=today,
        unit=unit,
        years=sorted(agreements, reverse=True),
        standards=standards,
        counts=counts,
        returns=returns,
        alerts=alerts,
        plans=plans,
        trend=None if chosen is None else _trend(scope, chosen, all_periods),
    )


def _unit_trend_standard(standards: list[UnitStandard], indicator: Any) -> UnitStandard | None:
    if indicator not in (None, ""):
        for row in standards:
            if str(indicator) in (row.code, str(row.indicator_id)):
                return row
    candidates = sorted(
        standards,
        key=lambda r: (r.kind != IndicatorKind.OUTPUT, r.aggregation != Aggregation.SUM, r.code),
    )
    return candidates[0] if candidates else None


def indicator_dashboard(
    user: Any,
    *,
    indicator: Any,
    fiscal_year: int,
    service_type: Any = None,
    district: Any = None,
    organisation: Any = None,
    today: date | None = None,
) -> IndicatorDashboard:
    """One standard across the units in view, weakest first (below, at risk, …, then by how far
    the figure is from its pro-rated target)."""
    today = today or timezone.localdate()
    found = _resolve(Indicator, indicator)
    if found is None:
        raise Http404
    service_type = _resolve(ServiceType, service_type)
    district = _resolve(District, district)
    organisation = _resolve(Organisation, organisation, policy_for(Organisation).queryset(user))
    scope = _scope_for(
        user,
        service_type_id=_pk(service_type),
        district_id=_pk(district),
        organisation_id=_pk(organisation),
    )
    rows = [
        _unit_standard(row)
        for row in _rows(
            scope.on(
                Attainment.objects.filter(fiscal_year=fiscal_year, indicator_id=found.pk)
            ).values(
                "indicator_id",
                "indicator__code",
                "indicator__name_zh",
                "indicator__name_en",
                "indicator__kind",
                "indicator__measure",
                "indicator__aggregation",
                "indicator__decimal_places",
                "direction",
                "agreed",
                "actual",
                "prorated_target",
                "forecast",
                "periods_reported",
                "periods_in_year",
                "status",
                "unit_id",
                "unit__code",
                "unit__name_zh",
                "unit__name_en",
                "unit__organisation__name_zh",
                "unit__organisation__name_en",
                "unit__district__name_zh",
                "unit__district__name_en",
            )
        )
    ]
    rank = {status: index for index, status in enumerate(STATUS_ORDER)}
    rows.sort(
        key=lambda r: (
            rank.get(r.status, len(rank)),
            r.attainment_percent if r.attainment_percent is not None else HUNDRED * 1000,
            r.unit_code,
        )
    )
    counts = StatusCounts()
    for row in rows:
        counts.bump(row.status)
    return IndicatorDashboard(
        fiscal_year=fiscal_year,
        today=today,
        indicator=found,
        service_type=service_type,
        district=district,
        organisation=organisation,
        rows=rows,
        counts=counts,
        trend=_trend(scope, found, _trend_periods(fiscal_year)),
    )


def dashboard_years(user: Any, *, around: int) -> list[int]:
    """Financial years with FSAs the user may see (and `around`), newest first."""
    scope = unit_scope(actor_for(user), Action.VIEW)
    years = {around}
    if scope is not None:
        years |= set(
            Agreement.objects.filter(scope)
            .order_by()
            .values_list("fiscal_year", flat=True)
            .distinct()
        )
    return sorted(years, reverse=True)
