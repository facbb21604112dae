"""What the dashboards return: plain dataclasses (counts by status, timeliness of returns, a
standard across units, a unit's standing, an agency, district or service type, a trend, and the
dashboards themselves), with the names in the active language. No queries here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils.translation import get_language

from socialdesk.core.models import District, Organisation, ServiceType, ServiceUnit

from ..models import (
    Aggregation,
    Alert,
    AlertKind,
    AttainmentStatus,
    ImprovementPlan,
    Indicator,
    PlanStatus,
    ReturnStatus,
)
from ..periods import year_label

TREND_YEARS = 3
HUNDRED = Decimal(100)
# Worst first: a unit's standing is the worst status among its standards.
STATUS_ORDER: tuple[str, ...] = (
    AttainmentStatus.BELOW,
    AttainmentStatus.AT_RISK,
    AttainmentStatus.ON_TRACK,
    AttainmentStatus.MET,
    AttainmentStatus.NO_DATA,
)
# Returns whose figures count (the attainment service counts the same ones).
COUNTED = (
    ReturnStatus.SUBMITTED,
    ReturnStatus.ENDORSED,
    ReturnStatus.ACCEPTED,
    ReturnStatus.RETURNED,
)
OPEN_PLAN_STATUSES = (
    PlanStatus.DRAFT,
    PlanStatus.SUBMITTED,
    PlanStatus.RETURNED,
    PlanStatus.ACCEPTED,
)
UNSUBMITTED_PLAN_STATUSES = (PlanStatus.DRAFT, PlanStatus.RETURNED)
ALERT_KINDS = tuple(AlertKind.values)


def _english() -> bool:
    return (get_language() or settings.LANGUAGE_CODE).lower().startswith("en")


def _name(zh: str, en: str) -> str:
    return (en or zh) if _english() else (zh or en)


def _percent(part: Decimal | int | None, whole: Decimal | int | None) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"))


# --- Plain results ------------------------------------------------------------------------------


@dataclass
class StatusCounts:
    """How many standards (or units) stand where."""

    met: int = 0
    on_track: int = 0
    at_risk: int = 0
    below: int = 0
    no_data: int = 0

    @property
    def total(self) -> int:
        return self.met + self.on_track + self.at_risk + self.below + self.no_data

    @property
    def meeting(self) -> int:
        """Met, or on track to meet, the standard."""
        return self.met + self.on_track

    @property
    def meeting_percent(self) -> Decimal | None:
        return _percent(self.meeting, self.total - self.no_data)

    @property
    def worst(self) -> str:
        for status in STATUS_ORDER:
            if getattr(self, status):
                return status
        return AttainmentStatus.NO_DATA

    def get(self, status: str) -> int:
        return int(getattr(self, status))

    def add(self, other: StatusCounts) -> None:
        # Written out: called for every unit and each group it belongs to.
        self.met += other.met
        self.on_track += other.on_track
        self.at_risk += other.at_risk
        self.below += other.below
        self.no_data += other.no_data

    def bump(self, status: str, by: int = 1) -> None:
        setattr(self, status, self.get(status) + by)

    def shares(self) -> list[tuple[str, int, Decimal]]:
        """(status, count, percent of the total) worst first, for a stacked bar."""
        total = self.total
        return [
            (status, self.get(status), _percent(self.get(status), total) or Decimal(0))
            for status in STATUS_ORDER
        ]


@dataclass
class Timeliness:
    """Returns of periods that have ended: submitted by the due date, within the grace period,
    after it (late), not submitted once the grace period is over (missing), or not submitted yet
    but still within time (pending)."""

    expected: int = 0
    on_time: int = 0
    in_grace: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0

    @property
    def submitted(self) -> int:
        return self.on_time + self.in_grace + self.late

    @property
    def completeness_percent(self) -> Decimal | None:
        """Submitted, of the returns that are due."""
        return _percent(self.submitted, self.expected - self.pending)

    @property
    def on_time_percent(self) -> Decimal | None:
        return _percent(self.on_time, self.expected - self.pending)

    def add(self, other: Timeliness) -> None:
        for name in ("expected", "on_time", "in_grace", "late", "missing", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class StandardRow:
    """One standard across the units in view: how many units stand where, and the figures
    (totals for a summed standard, averages for a level)."""

    indicator_id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    measure: str
    aggregation: str
    decimal_places: int
    counts: StatusCounts
    actual_total: Decimal | None
    prorated_total: Decimal | None
    agreed_total: Decimal | None
    agreed_reported: Decimal | None
    actual_average: Decimal | None
    agreed_average: Decimal | None
    numerator_id: int | None = None
    denominator_id: int | None = None

    @property
    def name(self) -> str:
        return _name(self.name_zh, self.name_en)

    @property
    def is_summed(self) -> bool:
        return self.aggregation == Aggregation.SUM

    @property
    def actual(self) -> Decimal | None:
        """Total so far (summed standards) or the average across units (levels)."""
        return self.actual_total if self.is_summed else self.actual_average

    @property
    def target(self) -> Decimal | None:
        """What `actual` is compared with: the pro-rated targets of the units that reported
        (summed standards) or the average agreed level."""
        return self.prorated_total if self.is_summed else self.agreed_average

    @property
    def agreed(self) -> Decimal | None:
        """The year's agreed level: total of the units that reported, or the average level."""
        return self.agreed_reported if self.is_summed else self.agreed_average

    @property
    def attainment_percent(self) -> Decimal | None:
        return _percent(self.actual, self.target)


@dataclass
class UnitRow:
    """One unit's standing in the year: its standards by status, open alerts and plans."""

    unit_id: int
    code: str
    name_zh: str
    name_en: str
    organisation_id: int
    district_id: int
    service_type_id: int
    counts: StatusCounts = field(default_factory=StatusCounts)
    open_alerts: int = 0
    open_plans: int = 0

    @property
    def name(self) -> str:
        return _name(self.name_zh, self.name_en)

    @property
    def worst(self) -> str:
        return self.counts.worst


@dataclass
class GroupRow:
    """An agency, a district or a service type: its units by their worst standing, their
    standards by status, open alerts and plans, and the timeliness of their returns."""

    key: int
    code: str
    name_zh: str
    name_en: str
    units: StatusCounts = field(default_factory=StatusCounts)
    standards: StatusCounts = field(default_factory=StatusCounts)
    open_alerts: int = 0
    open_plans: int = 0
    timeliness: Timeliness = field(default_factory=Timeliness)

    @property
    def name(self) -> str:
        return _name(self.name_zh, self.name_en)

    @property
    def unit_count(self) -> int:
        return self.units.total


@dataclass
class PeriodTimeliness:
    period_id: int
    label: str
    ends_on: date
    timeliness: Timeliness = field(default_factory=Timeliness)


@dataclass
class TrendPoint:
    period_id: int
    label: str
    fiscal_year: int
    value: Decimal | None
    reference: Decimal | None  # the agreed level per period, for comparison


@dataclass
class Trend:
    """An indicator over the periods of the last TREND_YEARS financial years: the sum across
    units (counts) or the average (levels), next to the agreed level per period."""

    indicator_id: int
    code: str
    name_zh: str
    name_en: str
    measure: str
    aggregation: str
    points: list[TrendPoint]

    @property
    def name(self) -> str:
        return _name(self.name_zh, self.name_en)

    @property
    def has_data(self) -> bool:
        return any(p.value is not None for p in self.points)

    @property
    def is_summed(self) -> bool:
        return self.aggregation == Aggregation.SUM


@dataclass
class Dashboard:
    """What the sector, service type and agency dashboards show."""

    fiscal_year: int
    today: date
    organisation: Organisation | None
    service_type: ServiceType | None
    district: District | None
    standards: list[StandardRow]
    units: list[UnitRow]
    by_organisation: list[GroupRow]
    by_district: list[GroupRow]
    by_service_type: list[GroupRow]
    standard_counts: StatusCounts
    unit_counts: StatusCounts
    timeliness: Timeliness
    timeliness_by_period: list[PeriodTimeliness]
    open_alerts: dict[str, int]
    plans: dict[str, int]
    plans_overdue: int
    trend: Trend | None

    @property
    def year_label(self) -> str:
        return year_label(self.fiscal_year)

    @property
    def open_alert_total(self) -> int:
        return sum(self.open_alerts.values())

    @property
    def open_plan_total(self) -> int:
        return sum(n for status, n in self.plans.items() if status in OPEN_PLAN_STATUSES)


@dataclass
class UnitStandard:
    """One standard of one unit (a row of `Attainment`)."""

    indicator_id: int
    code: str
    name_zh: str
    name_en: str
    kind: str
    measure: str
    aggregation: str
    decimal_places: int
    direction: str
    agreed: Decimal
    actual: Decimal | None
    prorated_target: Decimal | None
    forecast: Decimal | None
    periods_reported: int
    periods_in_year: int
    status: str
    unit_id: int = 0
    unit_code: str = ""
    unit_name_zh: str = ""
    unit_name_en: str = ""
    organisation_name_zh: str = ""
    organisation_name_en: str = ""
    district_name_zh: str = ""
    district_name_en: str = ""

    @property
    def name(self) -> str:
        return _name(self.name_zh, self.name_en)

    @property
    def unit_name(self) -> str:
        return _name(self.unit_name_zh, self.unit_name_en)

    @property
    def organisation_name(self) -> str:
        return _name(self.organisation_name_zh, self.organisation_name_en)

    @property
    def district_name(self) -> str:
        return _name(self.district_name_zh, self.district_name_en)

    @property
    def target(self) -> Decimal | None:
        return self.prorated_target

    @property
    def attainment_percent(self) -> Decimal | None:
        return _percent(self.actual, self.prorated_target)


@dataclass
class UnitReturn:
    """A period of the unit's year and its return (None: not started)."""

    period_id: int
    label: str
    ends_on: date
    due_on: date | None
    grace_until: date | None
    return_id: int | None
    status: str  # a ReturnStatus, or "" when there is no return
    submitted_on: date | None
    timeliness: str  # on_time, in_grace, late, missing, pending, not_due


@dataclass
class UnitDashboard:
    """One unit's year: each standard against its agreed and pro-rated levels, its returns,
    open alerts and improvement plans, and a trend."""

    fiscal_year: int
    today: date
    unit: ServiceUnit
    years: list[int]
    standards: list[UnitStandard]
    counts: StatusCounts
    returns: list[UnitReturn]
    alerts: list[Alert]
    plans: list[ImprovementPlan]
    trend: Trend | None

    @property
    def year_label(self) -> str:
        return year_label(self.fiscal_year)


@dataclass
class IndicatorDashboard:
    """One standard across the units in view, weakest first, with its trend."""

    fiscal_year: int
    today: date
    indicator: Indicator
    service_type: ServiceType | None
    district: District | None
    organisation: Organisation | None
    rows: list[UnitStandard]
    counts: StatusCounts
    trend: Trend | None

    @property
    def year_label(self) -> str:
        return year_label(self.fiscal_year)
