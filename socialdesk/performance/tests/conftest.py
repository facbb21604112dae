"""Fixtures of the statistical returns tests, on top of the shared `world` (NGO A, NGO B, SWD):
the staff of each review step and a small quarterly return definition for unit_a's service type
(cases served with a sex breakdown, new cases, a satisfaction percentage; one compare rule and
one outlier rule), with unit_a's agreement for 2025-26 and that year's quarters."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from auditlog.context import disable_auditlog

from socialdesk.accounts.models import User
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World, build_world
from socialdesk.performance.models import (
    Aggregation,
    AgreedLevel,
    Agreement,
    Disaggregation,
    Frequency,
    Indicator,
    IndicatorKind,
    Measure,
    Operator,
    ReportingPeriod,
    ReturnTemplate,
    RuleKind,
    Severity,
    TemplateItem,
    TemplateStatus,
    ValidationRule,
)
from socialdesk.performance.services.returns import periods_ensure

NEW_CASES_MESSAGE = "New cases cannot be more than the cases served."


@pytest.fixture
def world(db: None) -> World:
    """The shared world without jobs, tokens and case records (its own audit entries unwritten)."""
    with disable_auditlog():
        return build_world(with_jobs_and_tokens=False, with_cases=False)


@pytest.fixture
def worker(world: World) -> User:
    """The frontline worker of NGO A's unit (unit_a)."""
    return world.roles[Role.FRONTLINE_WORKER]


@pytest.fixture
def supervisor(world: World) -> User:
    """The supervisor of unit_a."""
    return world.roles[Role.UNIT_SUPERVISOR]


@pytest.fixture
def agency_admin(world: World) -> User:
    """NGO A's agency administrator."""
    return world.roles[Role.AGENCY_ADMIN]


@pytest.fixture
def swd(world: World) -> User:
    """The SWD subventions officer."""
    return world.roles[Role.SWD_SUBVENTIONS]


@pytest.fixture
def staff_b(world: World) -> User:
    """The frontline worker of NGO B's unit (unit_b)."""
    return world.staff_b


@pytest.fixture
def admin_b(world: World) -> User:
    """NGO B's agency administrator."""
    return world.admin_b


@dataclass
class Definition:
    template: ReturnTemplate
    indicators: dict[str, Indicator]
    agreement: Agreement
    periods: list[ReportingPeriod]  # 2025-26 Q1..Q4


def _indicator(code: str, kind: str, measure: str, aggregation: str, **extra: object) -> Indicator:
    return Indicator.objects.create(
        code=code,
        kind=kind,
        measure=measure,
        aggregation=aggregation,
        name_zh=code,
        name_en=code.replace("_", " ").capitalize(),
        **extra,
    )


@pytest.fixture
def definition(world: World) -> Definition:
    """A published quarterly template for unit_a's service type, its rules, unit_a's 2025 FSA
    and the 2025-26 quarters."""
    indicators = {
        "cases_served": _indicator(
            "cases_served", IndicatorKind.OUTPUT, Measure.COUNT, Aggregation.SUM
        ),
        "new_cases": _indicator("new_cases", IndicatorKind.OUTPUT, Measure.COUNT, Aggregation.SUM),
        "satisfied_pct": _indicator(
            "satisfied_pct",
            IndicatorKind.OUTCOME,
            Measure.PERCENT,
            Aggregation.LATEST,
            decimal_places=1,
        ),
    }
    sex = Disaggregation.objects.create(
        code="sex",
        name_zh="性別",
        name_en="Sex",
        categories=[
            {"code": "F", "name_zh": "女", "name_en": "Female"},
            {"code": "M", "name_zh": "男", "name_en": "Male"},
        ],
    )
    indicators["cases_served"].disaggregations.add(sex)
    template = ReturnTemplate.objects.create(
        code="ifsc-return",
        name_zh="綜合家庭服務中心統計表",
        name_en="IFSC return",
        service_type=world.unit_a.service_type,
        frequency=Frequency.QUARTERLY,
        status=TemplateStatus.PUBLISHED,
        first_year=2025,
    )
    for order, indicator in enumerate(indicators.values()):
        TemplateItem.objects.create(template=template, indicator=indicator, order=order)
    ValidationRule.objects.create(
        template=template,
        code="new-le-served",
        kind=RuleKind.COMPARE,
        severity=Severity.ERROR,
        left=indicators["new_cases"],
        operator=Operator.LE,
        right=indicators["cases_served"],
        message_zh="新個案不能多於服務個案。",
        message_en=NEW_CASES_MESSAGE,
    )
    ValidationRule.objects.create(
        template=template,
        code="served-outlier",
        kind=RuleKind.OUTLIER,
        severity=Severity.WARNING,
        left=indicators["cases_served"],
        factor=Decimal(2),
        message_zh="",
        message_en="",
    )
    agreement = Agreement.objects.create(
        unit=world.unit_a, fiscal_year=2025, template=template, reference="FSA-A-2025"
    )
    for code, level in (("cases_served", 400), ("new_cases", 100), ("satisfied_pct", 80)):
        AgreedLevel.objects.create(
            agreement=agreement, indicator=indicators[code], level=Decimal(level)
        )
    return Definition(
        template=template,
        indicators=indicators,
        agreement=agreement,
        periods=periods_ensure(2025, Frequency.QUARTERLY),
    )
