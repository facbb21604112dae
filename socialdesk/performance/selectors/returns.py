"""Reads of statistical returns, through the policies: the return list with its filters and the
returns waiting for the user's step, the periods a unit's staff may start a return for, and
everything the return page shows (the figures with the unit's previous period and the agreed
levels, the checks, what the user may do, the history), each in a fixed number of queries."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import reduce
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language

from socialdesk.core.access import actor_for, policy_for
from socialdesk.core.models import Organisation, Role, ServiceType, ServiceUnit

from .. import validation
from ..models import (
    AgreedLevel,
    Agreement,
    Direction,
    Frequency,
    Indicator,
    Measure,
    ReportingPeriod,
    ReturnAction,
    ReturnEvent,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
)
from ..periods import fiscal_year_of, period_bounds
from ..services.returns import field_label, return_check

Key = validation.Key
EDITABLE = (ReturnStatus.DRAFT, ReturnStatus.RETURNED)
UNIT_STAFF = (Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
SECTOR_ROLES = (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)


def _zh() -> bool:
    return (get_language() or "zh-hant").lower().startswith("zh")


def figure_text(value: Decimal | None, measure: str = "") -> str:
    """A figure as the pages show it: "1,200", "85.5%", "—" when there is none."""
    if value is None:
        return "—"
    text = format(value.normalize(), ",f")
    return f"{text}%" if measure == Measure.PERCENT else text


def input_text(value: Decimal | None) -> str:
    """A figure as an input holds it (no thousands separators)."""
    return "" if value is None else format(value.normalize(), "f")


# --- The list ------------------------------------------------------------------------------------


def return_get_for(*, user: Any, return_id: Any) -> StatisticalReturn:
    """One return the user may see (404 otherwise), with its unit, period and template."""
    base = StatisticalReturn.objects.select_related(
        "unit", "unit__organisation", "unit__service_type", "period", "template"
    )
    try:
        return policy_for(StatisticalReturn).queryset(user, base=base).get(pk=return_id)
    except (StatisticalReturn.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def waiting_condition(user: Any) -> Q | None:
    """The returns waiting for the user's step: drafts and returned ones of their units (unit
    staff), submitted ones of their agency (agency administrators), endorsed ones (SWD)."""
    actor = actor_for(user)
    conditions = []
    units = actor.unit_ids(*UNIT_STAFF)
    if units:
        conditions.append(Q(unit_id__in=sorted(units), status__in=EDITABLE))
    organisations = actor.organisation_ids(Role.AGENCY_ADMIN)
    if organisations:
        conditions.append(
            Q(unit__organisation_id__in=sorted(organisations), status=ReturnStatus.SUBMITTED)
        )
    if actor.has_role(Role.SWD_SUBVENTIONS):
        conditions.append(Q(status=ReturnStatus.ENDORSED))
    return reduce(operator.or_, conditions) if conditions else None


def return_list_for(
    *,
    user: Any,
    fiscal_year: int | None = None,
    period_id: int | None = None,
    status: str = "",
    service_type_id: int | None = None,
    organisation_id: int | None = None,
    unit_id: int | None = None,
    waiting: bool = False,
) -> QuerySet[StatisticalReturn]:
    """The returns the user may see, filtered; latest periods first."""
    qs = policy_for(StatisticalReturn).queryset(user)
    if fiscal_year:
        qs = qs.filter(period__fiscal_year=fiscal_year)
    if period_id:
        qs = qs.filter(period_id=period_id)
    if status:
        qs = qs.filter(status=status)
    if service_type_id:
        qs = qs.filter(unit__service_type_id=service_type_id)
    if organisation_id:
        qs = qs.filter(unit__organisation_id=organisation_id)
    if unit_id:
        qs = qs.filter(unit_id=unit_id)
    if waiting:
        condition = waiting_condition(user)
        qs = qs.filter(condition) if condition is not None else qs.none()
    return qs.select_related(
        "unit", "unit__organisation", "unit__service_type", "period", "template"
    ).order_by("-period__ends_on", "unit__code", "pk")


@dataclass
class ReturnFilterChoices:
    """What the list's filters offer: only values of returns the user may see."""

    years: list[int]
    periods: list[ReportingPeriod]
    service_types: list[ServiceType]
    organisations: list[Organisation]  # only for those who see several agencies (SWD)
    units: list[ServiceUnit]


def return_filter_choices_for(*, user: Any) -> ReturnFilterChoices:
    visible = policy_for(StatisticalReturn).queryset(user)
    periods = list(
        ReportingPeriod.objects.filter(pk__in=visible.values("period_id")).order_by(
            "-fiscal_year", "frequency", "-number"
        )
    )
    units = list(
        ServiceUnit.objects.filter(pk__in=visible.values("unit_id"))
        .select_related("organisation", "service_type")
        .order_by("organisation__code", "code")
    )
    service_types = {unit.service_type_id: unit.service_type for unit in units}
    organisations = {unit.organisation_id: unit.organisation for unit in units}
    show_agencies = actor_for(user).has_role(*SECTOR_ROLES) or len(organisations) > 1
    return ReturnFilterChoices(
        years=sorted({p.fiscal_year for p in periods}, reverse=True),
        periods=periods,
        service_types=sorted(service_types.values(), key=lambda t: t.code),
        organisations=sorted(organisations.values(), key=lambda o: o.code) if show_agencies else [],
        units=units,
    )


# --- Starting a return ---------------------------------------------------------------------------


@dataclass(frozen=True)
class StartOption:
    """A period that has ended, of a unit with an FSA for its year, without a return yet."""

    unit: ServiceUnit
    fiscal_year: int
    frequency: str
    number: int
    starts_on: date
    ends_on: date

    @property
    def key(self) -> str:
        return f"{self.unit.pk}:{self.fiscal_year}:{self.frequency}:{self.number}"

    @property
    def period_label(self) -> str:
        return ReportingPeriod(
            fiscal_year=self.fiscal_year, frequency=self.frequency, number=self.number
        ).label

    @property
    def label(self) -> str:
        return f"{self.unit.name} · {self.period_label}"


def return_start_options_for(*, user: Any, today: date | None = None) -> list[StartOption]:
    """The returns the user's units could start: periods ended by `today` of each year they
    have an FSA for, without a return yet. Latest first."""
    today = today or timezone.localdate()
    units = actor_for(user).unit_ids(*UNIT_STAFF)
    if not units:
        return []
    agreements = list(
        policy_for(Agreement)
        .queryset(user)
        .filter(unit_id__in=sorted(units), fiscal_year__lte=fiscal_year_of(today))
        .select_related("unit", "template")
        .order_by("-fiscal_year", "unit__code")
    )
    existing = set(
        StatisticalReturn.objects.filter(unit_id__in=sorted(units)).values_list(
            "unit_id", "period__fiscal_year", "period__frequency", "period__number"
        )
    )
    options = []
    for agreement in agreements:
        frequency = agreement.template.frequency
        count = 4 if frequency == Frequency.QUARTERLY else 2
        for number in range(count, 0, -1):
            starts, ends = period_bounds(agreement.fiscal_year, frequency, number)
            if ends >= today or (agreement.unit_id, agreement.fiscal_year, frequency, number) in (
                existing
            ):
                continue
            options.append(
                StartOption(agreement.unit, agreement.fiscal_year, frequency, number, starts, ends)
            )
    return options


# --- The return page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnActions:
    """What the user may do with the return now (and which steps their roles take at all)."""

    is_unit_staff: bool
    is_supervisor: bool
    is_agency_reviewer: bool
    is_swd: bool
    can_edit: bool
    can_submit: bool
    can_endorse: bool
    can_accept: bool
    can_unlock: bool

    @property
    def can_review(self) -> bool:
        return self.can_endorse or self.can_accept

    @property
    def is_reviewer(self) -> bool:
        return self.is_agency_reviewer or self.is_swd


def return_actions_for(*, user: Any, statistical_return: StatisticalReturn) -> ReturnActions:
    actor = actor_for(user)
    status = statistical_return.status
    editable = statistical_return.is_editable
    unit_staff = statistical_return.unit_id in actor.unit_ids(*UNIT_STAFF)
    supervisor = statistical_return.unit_id in actor.unit_ids(Role.UNIT_SUPERVISOR)
    agency = statistical_return.unit.organisation_id in actor.organisation_ids(Role.AGENCY_ADMIN)
    swd = actor.has_role(Role.SWD_SUBVENTIONS)
    return ReturnActions(
        is_unit_staff=unit_staff,
        is_supervisor=supervisor,
        is_agency_reviewer=agency,
        is_swd=swd,
        can_edit=unit_staff and editable,
        can_submit=supervisor and editable,
        can_endorse=agency and status == ReturnStatus.SUBMITTED,
        can_accept=swd and status == ReturnStatus.ENDORSED,
        can_unlock=swd and status == ReturnStatus.ACCEPTED,
    )


@dataclass
class FigureRow:
    """One figure of the return page: an indicator's total or one category of its breakdown."""

    key: Key
    label: str  # the services' name of the figure: "code" or "code[sex:F]"
    name: str  # the indicator's name, or the category's
    full_name: str  # the indicator's name, with the category's for a breakdown
    indicator: Indicator
    is_breakdown: bool
    value: Decimal | None
    comment: str = ""
    previous: Decimal | None = None
    agreed: AgreedLevel | None = None
    submitted_value: Decimal | None = None
    reopened: bool = False
    return_reason: str = ""
    editable: bool = False
    missing: bool = False  # a required total not filled in yet
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changed: dict[str, str] | None = None  # {"old", "new"} of the last resubmission
    suggested: Decimal | None = None  # counted from the unit's cases (never the figure by itself)

    @property
    def measure(self) -> str:
        return self.indicator.measure

    @property
    def suggested_text(self) -> str:
        return figure_text(self.suggested, self.measure)

    @property
    def value_text(self) -> str:
        return figure_text(self.value, self.measure)

    @property
    def input_value(self) -> str:
        return input_text(self.value)

    @property
    def previous_text(self) -> str:
        return figure_text(self.previous, self.measure)

    @property
    def agreed_text(self) -> str:
        if self.agreed is None:
            return "—"
        sign = "≤" if self.agreed.direction == Direction.AT_MOST else "≥"
        return f"{sign} {figure_text(self.agreed.level, self.measure)}"

    @property
    def agreed_direction(self) -> str:
        return self.agreed.get_direction_display() if self.agreed is not None else ""

    @property
    def slug(self) -> str:
        """The figure's part of input names and ids: "cases_served", "cases_served-sex-F"."""
        code, category = self.key
        return f"{code}-{category.replace(':', '-')}" if category else code


@dataclass
class FigureSection:
    title: str
    rows: list[FigureRow]


@dataclass
class EventChange:
    name: str
    old: str = ""
    new: str = ""
    reason: str = ""


@dataclass
class EventView:
    event: ReturnEvent
    changes: list[EventChange]


@dataclass
class ReturnPage:
    statistical_return: StatisticalReturn
    actions: ReturnActions
    sections: list[FigureSection]
    events: list[EventView]
    previous_period: ReportingPeriod | None
    error_count: int
    missing_count: int
    unexplained_warning_count: int
    today: date

    @property
    def rows(self) -> list[FigureRow]:
        return [row for section in self.sections for row in section.rows]

    def row_for(self, label: str) -> FigureRow | None:
        return next((row for row in self.rows if row.label == label), None)

    @property
    def partly_reopened(self) -> bool:
        """Only some figures are open for correction (they are marked on the page)."""
        reopened = [row.reopened for row in self.rows]
        return any(reopened) and not all(reopened)

    @property
    def has_changes_marked(self) -> bool:
        return any(row.changed for row in self.rows)

    @property
    def is_overdue(self) -> bool:
        """Not submitted by the end of the grace period (as the overdue alerts count it)."""
        ret = self.statistical_return
        return ret.status == ReturnStatus.DRAFT and self.today > ret.grace_until

    @property
    def is_in_grace(self) -> bool:
        ret = self.statistical_return
        return ret.status == ReturnStatus.DRAFT and ret.due_on < self.today <= ret.grace_until


def _category_names(indicator: Indicator) -> list[tuple[str, str]]:
    """(category key "sex:F", its name in the active language) of each breakdown."""
    zh = _zh()
    names = []
    for disaggregation in indicator.disaggregations.all():
        for category in disaggregation.categories:
            name = category.get("name_zh" if zh else "name_en") or category.get("name_en") or ""
            names.append((f"{disaggregation.code}:{category['code']}", str(name)))
    return names


def _last_resubmission(events: list[ReturnEvent]) -> dict[str, dict[str, str]]:
    """Figure label → {"old", "new"} of the latest submission that changed figures."""
    for event in reversed(events):
        if event.action == ReturnAction.SUBMITTED:
            return {
                str(c.get("field", "")): {
                    "old": str(c.get("old", "")),
                    "new": str(c.get("new", "")),
                }
                for c in event.changes or []
            }
    return {}


def return_page_for(*, user: Any, return_id: Any, today: date | None = None) -> ReturnPage:
    """Everything the return page shows, in a fixed number of queries (whatever the number of
    figures or events)."""
    statistical_return = return_get_for(user=user, return_id=return_id)
    actions = return_actions_for(user=user, statistical_return=statistical_return)
    unit_id, period = statistical_return.unit_id, statistical_return.period
    items = list(
        statistical_return.template.items.select_related("indicator").prefetch_related(
            "indicator__disaggregations"
        )
    )
    figures = {(v.indicator_id, v.category): v for v in statistical_return.values.all()}
    # The unit's latest earlier return that was submitted: its figures with their period, in
    # one query (none when there is no such return).
    previous_return = (
        policy_for(StatisticalReturn)
        .queryset(user)
        .filter(unit_id=unit_id, period__ends_on__lt=period.starts_on)
        .exclude(status=ReturnStatus.DRAFT)
        .order_by("-period__ends_on")
        .values("pk")[:1]
    )
    previous_values = list(
        ReturnValue.objects.filter(statistical_return__in=previous_return).select_related(
            "statistical_return__period"
        )
    )
    previous = {(v.indicator_id, v.category): v.value for v in previous_values}
    levels = {
        level.indicator_id: level
        for level in AgreedLevel.objects.filter(
            agreement__in=policy_for(Agreement)
            .queryset(user)
            .filter(unit_id=unit_id, fiscal_year=period.fiscal_year)
        )
    }
    events = list(statistical_return.events.select_related("actor").order_by("at", "pk"))
    checked = return_check(statistical_return)
    issues: dict[Key, list[validation.Issue]] = {}
    for issue in checked.issues:
        issues.setdefault(issue.key, []).append(issue)
    comments = {
        (item.indicator.code, ""): figure.comment
        for item in items
        if (figure := figures.get((item.indicator_id, ""))) is not None
    }
    unexplained = checked.unexplained_warnings(comments)
    changed = (
        _last_resubmission(events)
        if statistical_return.status in (ReturnStatus.SUBMITTED, ReturnStatus.ENDORSED)
        else {}
    )
    returned = statistical_return.status == ReturnStatus.RETURNED
    zh = _zh()
    sections: list[FigureSection] = []
    for item in items:
        indicator = item.indicator
        title = (item.section_zh if zh else item.section_en) or item.section_en or item.section_zh
        if not sections or sections[-1].title != title:
            sections.append(FigureSection(title=title, rows=[]))
        keys = [("", indicator.name), *_category_names(indicator)]
        for category, name in keys:
            figure = figures.get((indicator.pk, category))
            key = (indicator.code, category)
            label = field_label(key)
            row = FigureRow(
                key=key,
                label=label,
                name=name,
                full_name=f"{indicator.name} — {name}" if category else name,
                indicator=indicator,
                is_breakdown=bool(category),
                value=figure.value if figure else None,
                comment=figure.comment if figure else "",
                previous=previous.get((indicator.pk, category)),
                agreed=None if category else levels.get(indicator.pk),
                submitted_value=figure.submitted_value if figure else None,
                reopened=bool(figure and figure.reopened),
                return_reason=figure.return_reason if figure else "",
                changed=changed.get(label),
                suggested=figure.suggested if figure and not category else None,
            )
            row.editable = actions.can_edit and (not returned or row.reopened)
            # An empty total has only the "required" issue: it is shown as still to fill in,
            # not as a mistake (submitting puts the error on its input).
            row.missing = row.value is None and not category and bool(issues.get(key))
            for issue in [] if row.missing else issues.get(key, []):
                if issue.severity == validation.ERROR:
                    row.errors.append(issue.message)
                else:
                    row.warnings.append(issue.message)
            sections[-1].rows.append(row)
    names = {row.label: row.full_name for section in sections for row in section.rows}
    event_views = [
        EventView(
            event=event,
            changes=[
                EventChange(
                    name=names.get(str(c.get("field", "")), str(c.get("field", ""))),
                    old=str(c.get("old", "")),
                    new=str(c.get("new", "")),
                    reason=str(c.get("reason", "")),
                )
                for c in event.changes or []
            ],
        )
        for event in events
    ]
    return ReturnPage(
        statistical_return=statistical_return,
        actions=actions,
        sections=sections,
        events=list(reversed(event_views)),  # latest first
        previous_period=previous_values[0].statistical_return.period if previous_values else None,
        error_count=sum(len(row.errors) for section in sections for row in section.rows),
        missing_count=sum(row.missing for section in sections for row in section.rows),
        unexplained_warning_count=len(unexplained),
        today=today or timezone.localdate(),
    )
