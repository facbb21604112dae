"""Demo performance data: the shipped definitions, an FSA for every demo NGO unit whose service
type has a return template (last financial year and this one), and their returns — last year
accepted, this year in every state of the review, one unit behind its standards — with attainment
and alerts computed. Figures are synthetic. Idempotent: nothing is added once FSAs exist."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone

from socialdesk.core.models import OrganisationKind, ServiceUnit

from .models import (
    Aggregation,
    AgreedLevel,
    Agreement,
    Indicator,
    Measure,
    ReportingPeriod,
    ReturnAction,
    ReturnEvent,
    ReturnStatus,
    ReturnTemplate,
    ReturnValue,
    StatisticalReturn,
)
from .periods import fiscal_year_of
from .services.attainment import overdue_returns_check, units_recompute
from .services.definitions import definitions_load_shipped, shipped_levels, template_for
from .services.returns import periods_ensure

BEHIND_UNIT_INDEX = 1  # the second demo unit (by code) falls behind this year


@dataclass
class PerformanceDemo:
    agreements: int
    returns: int
    created: bool


def _round(value: float, places: int) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _figures(
    template: ReturnTemplate,
    levels: dict[str, Decimal],
    periods_in_year: int,
    pace: float,
    rng: random.Random,
) -> dict[tuple[str, str], Decimal]:
    """One period's figures that pass the template's rules."""
    values: dict[tuple[str, str], Decimal] = {}
    items = list(
        template.items.select_related("indicator").prefetch_related("indicator__disaggregations")
    )
    for item in items:
        indicator = item.indicator
        level = float(levels.get(indicator.code, 0) or 0)
        if indicator.measure == Measure.PERCENT:
            base = level or 85.0
            value = min(99.0, base * (0.97 + rng.random() * 0.06) * (0.93 if pace < 1 else 1))
            values[(indicator.code, "")] = _round(value, indicator.decimal_places)
        elif indicator.aggregation == Aggregation.LATEST:
            values[(indicator.code, "")] = _round(
                (level or 100) * pace * (0.95 + rng.random() * 0.1), 0
            )
        else:
            per_period = (level or 40 * periods_in_year) / periods_in_year
            values[(indicator.code, "")] = _round(per_period * pace * (0.9 + rng.random() * 0.2), 0)
        for disaggregation in indicator.disaggregations.all():
            total = values[(indicator.code, "")]
            codes = disaggregation.category_codes()
            remaining = total
            for index, code in enumerate(codes):
                if index == len(codes) - 1:
                    part = remaining
                else:
                    part = (
                        total * Decimal(str(0.35 + rng.random() * 0.3)) / (len(codes) - 1)
                    ).quantize(Decimal(1))
                    part = min(part, remaining)
                values[(indicator.code, f"{disaggregation.code}:{code}")] = part
                remaining -= part
    # Keep the cross-figure rules true.
    for left, right in (
        ("ifsc_new_cases", "ifsc_cases_served"),
        ("decc_attendance_rate", "decc_enrolment_rate"),
    ):
        if (left, "") in values and (right, "") in values:
            values[(left, "")] = min(values[(left, "")], values[(right, "")])
    if ("ifsc_survey_respondents", "") in values:
        respondents = Decimal(40 + rng.randint(0, 40))
        values[("ifsc_survey_respondents", "")] = respondents
        share = Decimal(str(0.78 + rng.random() * 0.15)) * Decimal(str(min(pace, 1)))
        values[("ifsc_survey_satisfied", "")] = (respondents * share).quantize(Decimal(1))
    return values


def _return_with(
    *,
    unit: ServiceUnit,
    period: ReportingPeriod,
    template: ReturnTemplate,
    status: str,
    figures: dict[tuple[str, str], Decimal],
) -> StatisticalReturn:
    indicators = {
        item.indicator.code: item.indicator for item in template.items.select_related("indicator")
    }
    ends_on = period.ends_on
    due = ends_on + timedelta(days=template.due_days)
    submitted_at = timezone.make_aware(datetime.combine(due - timedelta(days=5), time(9, 30)))
    statistical_return = StatisticalReturn.objects.create(
        unit=unit,
        period=period,
        template=template,
        status=status,
        due_on=due,
        grace_until=due + timedelta(days=template.grace_days),
        submitted_at=None if status == ReturnStatus.DRAFT else submitted_at,
        last_submitted_at=None if status == ReturnStatus.DRAFT else submitted_at,
        accepted_at=submitted_at + timedelta(days=10) if status == ReturnStatus.ACCEPTED else None,
        locked=status == ReturnStatus.ACCEPTED,
    )
    ReturnValue.objects.bulk_create(
        ReturnValue(
            statistical_return=statistical_return,
            indicator=indicators[code],
            category=category,
            value=value,
            submitted_value=None if status == ReturnStatus.DRAFT else value,
        )
        for (code, category), value in figures.items()
    )
    all_steps: dict[str, list[str]] = {
        ReturnStatus.DRAFT: [ReturnAction.SAVED],
        ReturnStatus.SUBMITTED: [ReturnAction.SAVED, ReturnAction.SUBMITTED],
        ReturnStatus.ENDORSED: [ReturnAction.SAVED, ReturnAction.SUBMITTED, ReturnAction.ENDORSED],
        ReturnStatus.ACCEPTED: [
            ReturnAction.SAVED,
            ReturnAction.SUBMITTED,
            ReturnAction.ENDORSED,
            ReturnAction.ACCEPTED,
        ],
    }
    for action in all_steps[status]:
        ReturnEvent.objects.create(statistical_return=statistical_return, action=action)
    return statistical_return


@transaction.atomic
def load_performance_demo_data(today: date | None = None) -> PerformanceDemo:
    definitions_load_shipped()
    today = today or timezone.localdate()
    units = list(
        ServiceUnit.objects.filter(organisation__kind=OrganisationKind.NGO, is_active=True)
        .select_related("service_type")
        .order_by("code")
    )
    if Agreement.objects.filter(unit__in=units).exists():
        return PerformanceDemo(
            Agreement.objects.count(), StatisticalReturn.objects.count(), created=False
        )
    levels = shipped_levels()
    this_year = fiscal_year_of(today)
    agreements = returns = 0
    for index, unit in enumerate(units):
        rng = random.Random(unit.code)  # noqa: S311 (synthetic demo figures)
        for year in (this_year - 1, this_year):
            template = template_for(unit.service_type_id, year)
            if template is None:
                continue
            scale = Decimal(str(0.8 + rng.random() * 0.4))
            agreement = Agreement.objects.create(
                unit=unit, fiscal_year=year, template=template, reference=f"FSA-{unit.code}-{year}"
            )
            agreements += 1
            on_template = set(template.items.values_list("indicator_id", flat=True))
            for indicator in Indicator.objects.filter(code__in=levels):
                if indicator.pk not in on_template and indicator.numerator_id not in on_template:
                    continue
                level = levels[indicator.code]
                if indicator.measure != Measure.PERCENT:
                    level = (level * scale).quantize(Decimal(1))
                AgreedLevel.objects.create(agreement=agreement, indicator=indicator, level=level)
            agreed = {
                lv.indicator.code: lv.level for lv in agreement.levels.select_related("indicator")
            }
            periods = periods_ensure(year, template.frequency)
            behind = year == this_year and index == BEHIND_UNIT_INDEX
            for number, period in enumerate(periods, start=1):
                if period.ends_on >= today:
                    break
                if year < this_year or number == 1:
                    status = ReturnStatus.ACCEPTED
                else:  # the latest period of this year: every state of the review
                    status = (
                        ReturnStatus.SUBMITTED,
                        ReturnStatus.ENDORSED,
                        ReturnStatus.DRAFT,
                        ReturnStatus.ACCEPTED,
                    )[index % 4]
                figures = _figures(template, agreed, len(periods), 0.6 if behind else 1.0, rng)
                _return_with(
                    unit=unit, period=period, template=template, status=status, figures=figures
                )
                returns += 1
    for year in (this_year - 1, this_year):
        units_recompute(fiscal_year=year)
    overdue_returns_check(today=today)
    return PerformanceDemo(agreements, returns, created=True)
