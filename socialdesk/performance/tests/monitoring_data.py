"""Data of the monitoring tests: a small sector of three units in two agencies with their
FSAs and returns (see `build_sector`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from socialdesk.core.models import ServiceUnit
from socialdesk.core.tests.factories import DistrictFactory, ServiceUnitFactory
from socialdesk.core.tests.world import World
from socialdesk.performance.models import (
    AgreedLevel,
    Agreement,
    ImprovementPlan,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
)
from socialdesk.performance.services.attainment import attainment_recompute

from .conftest import Definition

D = Decimal


def _at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def file_return(
    definition: Definition,
    unit: ServiceUnit,
    quarter: int,
    figures: dict[str, int | str],
    *,
    submitted_on: date | None,
    status: str = ReturnStatus.SUBMITTED,
) -> StatisticalReturn:
    """A return of 2025-26 with its figures, submitted on the given day (None: a draft)."""
    period = definition.periods[quarter - 1]
    due = period.ends_on + timedelta(days=30)
    statistical_return = StatisticalReturn.objects.create(
        unit=unit,
        period=period,
        template=definition.template,
        status=status if submitted_on else ReturnStatus.DRAFT,
        due_on=due,
        grace_until=due + timedelta(days=14),
        submitted_at=_at(submitted_on) if submitted_on else None,
    )
    for code, value in figures.items():
        ReturnValue.objects.create(
            statistical_return=statistical_return,
            indicator=definition.indicators[code],
            value=D(str(value)),
        )
    return statistical_return


def agree(definition: Definition, unit: ServiceUnit, levels: dict[str, int]) -> Agreement:
    agreement = Agreement.objects.create(
        unit=unit, fiscal_year=2025, template=definition.template, reference=f"FSA-{unit.code}"
    )
    for code, level in levels.items():
        AgreedLevel.objects.create(
            agreement=agreement, indicator=definition.indicators[code], level=D(level)
        )
    return agreement


@dataclass
class Sector:
    """unit_a (NGO A, Sha Tin) on track; unit_b (NGO B, Sha Tin) behind; unit_c (NGO B,
    another district) with an FSA and nothing filed."""

    world: World
    definition: Definition
    unit_c: ServiceUnit


def build_sector(world: World, definition: Definition) -> Sector:
    """Levels: cases_served 400 a year, new_cases 100, satisfied_pct 80 (unit_a's FSA from the
    `definition` fixture; the same for unit_b and unit_c)."""
    levels = {"cases_served": 400, "new_cases": 100, "satisfied_pct": 80}
    agree(definition, world.unit_b, levels)
    unit_c = ServiceUnitFactory(
        organisation=world.ngo_b,
        service_type=world.service_type,
        district=DistrictFactory(code="tai-po", name_zh="大埔", name_en="Tai Po"),
        code="b-ifsc-2",
        name_zh="乙第二中心",
        name_en="Bravo Second Centre",
    )
    agree(definition, unit_c, levels)
    # unit_a: Q1 on time, Q2 within the grace period; 110 + 100 cases, 30 + 25 new, 85 %.
    file_return(
        definition,
        world.unit_a,
        1,
        {"cases_served": 110, "new_cases": 30, "satisfied_pct": "82.0"},
        submitted_on=date(2025, 7, 20),
    )
    file_return(
        definition,
        world.unit_a,
        2,
        {"cases_served": 100, "new_cases": 25, "satisfied_pct": "85.0"},
        submitted_on=date(2025, 11, 5),
    )
    # unit_b: Q1 late, Q2 missing (a draft); 50 cases, 10 new, 70 %.
    file_return(
        definition,
        world.unit_b,
        1,
        {"cases_served": 50, "new_cases": 10, "satisfied_pct": "70.0"},
        submitted_on=date(2025, 9, 1),
    )
    file_return(definition, world.unit_b, 2, {"cases_served": 40}, submitted_on=None)
    for unit in (world.unit_a, world.unit_b, unit_c):
        attainment_recompute(unit_id=unit.pk, fiscal_year=2025)
    return Sector(world=world, definition=definition, unit_c=unit_c)


def more_units(sector: Sector, count: int) -> None:
    """`count` more units, half in each agency, each with an FSA, a return and a plan."""
    world, definition = sector.world, sector.definition
    for n in range(count):
        unit = ServiceUnitFactory(
            organisation=world.ngo_a if n % 2 else world.ngo_b,
            service_type=world.service_type,
            district=world.district,
        )
        agree(definition, unit, {"cases_served": 400, "new_cases": 100, "satisfied_pct": 80})
        file_return(
            definition,
            unit,
            1,
            {"cases_served": 90 + n, "new_cases": 20, "satisfied_pct": "81"},
            submitted_on=date(2025, 7, 1),
        )
        attainment_recompute(unit_id=unit.pk, fiscal_year=2025)
        ImprovementPlan.objects.create(unit=unit, fiscal_year=2025, due_on=date(2026, 1, 1))
