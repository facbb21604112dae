"""Dashboard selectors (selectors/dashboards.py): what each viewer sees (an agency its own units,
SWD the sector), the figures of a small known data set (attainment by standard, unit, agency and
district; timeliness of returns; trends; alerts and plans), and query counts that do not grow
with the data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from socialdesk.core.tests.world import World
from socialdesk.performance import periods
from socialdesk.performance.models import (
    Alert,
    AlertKind,
    AlertStatus,
    ImprovementPlan,
    PlanStatus,
)
from socialdesk.performance.selectors import dashboards
from socialdesk.performance.services.attainment import attainment_recompute
from socialdesk.performance.services.returns import periods_ensure

from .conftest import Definition
from .monitoring_data import Sector, build_sector, file_return, more_units

D = Decimal
TODAY = date(2026, 1, 20)  # Q1 and Q2 of 2025-26 past their grace periods; Q3 due 2026-01-30


@pytest.fixture
def sector(world: World, definition: Definition) -> Sector:
    return build_sector(world, definition)


def by_code(rows: list[dashboards.StandardRow]) -> dict[str, dashboards.StandardRow]:
    return {row.code: row for row in rows}


# --- Scope ----------------------------------------------------------------------------------------


def test_swd_sees_every_unit_of_the_sector(sector: Sector, swd: object) -> None:
    board = dashboards.sector_dashboard(swd, fiscal_year=2025, today=TODAY)
    units = {u.code for u in board.units}
    assert units == {"a-ifsc", "b-ifsc", "b-ifsc-2"}
    assert {g.code for g in board.by_organisation} == {"ngo-a", "ngo-b"}


def test_an_agency_sees_only_its_own_units(sector: Sector, agency_admin: object) -> None:
    board = dashboards.sector_dashboard(agency_admin, fiscal_year=2025, today=TODAY)
    assert [u.code for u in board.units] == ["a-ifsc"]
    assert [g.code for g in board.by_organisation] == ["ngo-a"]
    assert board.timeliness.expected == 3  # unit_a's three quarters over, none of NGO B's
    assert board.timeliness.pending == 1
    assert board.open_alert_total == 0


def test_an_agency_cannot_open_another_agencys_dashboard(
    sector: Sector, agency_admin: object, admin_b: object
) -> None:
    with pytest.raises(Http404):
        dashboards.agency_dashboard(
            agency_admin, organisation_id=sector.world.ngo_b.pk, fiscal_year=2025
        )
    with pytest.raises(Http404):
        dashboards.sector_dashboard(
            agency_admin, fiscal_year=2025, organisation=sector.world.ngo_b.code
        )
    with pytest.raises(Http404):
        dashboards.unit_dashboard(admin_b, unit_id=sector.world.unit_a.pk, fiscal_year=2025)
    own = dashboards.agency_dashboard(
        admin_b, organisation_id=sector.world.ngo_b.pk, fiscal_year=2025, today=TODAY
    )
    assert {u.code for u in own.units} == {"b-ifsc", "b-ifsc-2"}


def test_a_frontline_worker_sees_only_their_unit(sector: Sector, worker: object) -> None:
    board = dashboards.sector_dashboard(worker, fiscal_year=2025, today=TODAY)
    assert [u.code for u in board.units] == ["a-ifsc"]
    page = dashboards.indicator_dashboard(
        worker, indicator="cases_served", fiscal_year=2025, today=TODAY
    )
    assert [r.unit_code for r in page.rows] == ["a-ifsc"]


def test_staff_without_performance_roles_see_nothing(sector: Sector) -> None:
    from socialdesk.core.models import Role

    privacy = sector.world.roles[Role.PRIVACY_OFFICER]
    with pytest.raises(Http404):
        dashboards.sector_dashboard(privacy, fiscal_year=2025)


# --- Figures --------------------------------------------------------------------------------------


def test_attainment_by_standard_adds_up_the_units(sector: Sector, swd: object) -> None:
    board = dashboards.sector_dashboard(swd, fiscal_year=2025, today=TODAY)
    standards = by_code(board.standards)
    served = standards["cases_served"]
    # unit_a: 210 of a pro-rated 200 (2 quarters); unit_b: 50 of 100 (1 quarter); unit_c: none.
    assert served.counts.total == 3
    assert served.counts.on_track == 1
    assert served.counts.at_risk == 1
    assert served.counts.no_data == 1
    assert served.actual_total == D("260.0000")
    assert served.prorated_total == D("300.0000")
    assert served.agreed_total == D("1200.0000")
    assert served.agreed_reported == D("800.0000")
    assert served.attainment_percent == D("86.7")
    satisfied = standards["satisfied_pct"]  # a level: averages of the units with figures
    assert satisfied.actual == D("77.5000")
    assert satisfied.counts.below == 1  # unit_b's 70 % < 80 %
    assert satisfied.counts.on_track == 1


def test_units_districts_and_agencies_by_their_worst_standing(sector: Sector, swd: object) -> None:
    board = dashboards.sector_dashboard(swd, fiscal_year=2025, today=TODAY)
    units = {u.code: u for u in board.units}
    assert units["a-ifsc"].worst == "on_track"
    assert units["b-ifsc"].worst == "below"
    assert units["b-ifsc-2"].worst == "no_data"
    assert board.unit_counts.below == 1
    districts = {g.code: g for g in board.by_district}
    assert districts["sha-tin"].units.total == 2
    assert districts["sha-tin"].units.below == 1
    assert districts["tai-po"].units.no_data == 1
    agencies = {g.code: g for g in board.by_organisation}
    assert agencies["ngo-b"].units.total == 2
    assert agencies["ngo-a"].standards.meeting == 3


def test_filters_narrow_to_a_district_or_an_agency(sector: Sector, swd: object) -> None:
    tai_po = dashboards.sector_dashboard(swd, fiscal_year=2025, district="tai-po", today=TODAY)
    assert [u.code for u in tai_po.units] == ["b-ifsc-2"]
    ngo_a = dashboards.sector_dashboard(
        swd, fiscal_year=2025, organisation=sector.world.ngo_a.pk, today=TODAY
    )
    assert [u.code for u in ngo_a.units] == ["a-ifsc"]
    ifsc = dashboards.service_type_dashboard(
        swd, service_type="ifsc", fiscal_year=2025, today=TODAY
    )
    assert len(ifsc.units) == 3
    with pytest.raises(Http404):
        dashboards.sector_dashboard(swd, fiscal_year=2025, district="nowhere")


def test_timeliness_of_returns_by_period_and_agency(sector: Sector, swd: object) -> None:
    board = dashboards.sector_dashboard(swd, fiscal_year=2025, today=TODAY)
    periods = {p.label: p.timeliness for p in board.timeliness_by_period}
    assert set(periods) == {"2025-26 Q1", "2025-26 Q2", "2025-26 Q3"}  # Q4 not over yet
    q1, q2, q3 = periods["2025-26 Q1"], periods["2025-26 Q2"], periods["2025-26 Q3"]
    assert (q1.expected, q1.on_time, q1.in_grace, q1.late, q1.missing) == (3, 1, 0, 1, 1)
    assert (q2.expected, q2.on_time, q2.in_grace, q2.late, q2.missing) == (3, 0, 1, 0, 2)
    assert (q3.expected, q3.pending, q3.missing) == (3, 3, 0)  # due on 30 January
    agencies = {g.code: g.timeliness for g in board.by_organisation}
    assert agencies["ngo-a"].on_time_percent == D("50.0")
    assert agencies["ngo-b"].missing == 3
    assert board.timeliness.completeness_percent == D("50.0")  # 3 of the 6 due


def test_open_alerts_and_plans_are_counted(sector: Sector, swd: object) -> None:
    world = sector.world
    alerts = Alert.objects.filter(status=AlertStatus.OPEN, fiscal_year=2025)
    assert alerts.filter(unit=world.unit_b).exists()  # raised by the recompute
    ImprovementPlan.objects.create(unit=world.unit_b, fiscal_year=2025, due_on=date(2026, 1, 1))
    ImprovementPlan.objects.create(
        unit=world.unit_b, fiscal_year=2025, due_on=date(2026, 1, 1), status=PlanStatus.CLOSED
    )
    board = dashboards.sector_dashboard(swd, fiscal_year=2025, today=TODAY)
    assert board.open_alert_total == alerts.count()
    assert (
        board.open_alerts[AlertKind.BELOW_STANDARD] == alerts.filter(kind="below_standard").count()
    )
    assert board.plans[PlanStatus.DRAFT] == 1
    assert board.open_plan_total == 1
    assert board.plans_overdue == 1
    units = {u.code: u for u in board.units}
    assert units["b-ifsc"].open_plans == 1
    assert units["b-ifsc"].open_alerts == alerts.filter(unit=world.unit_b).count()


def test_trend_over_the_periods(sector: Sector, swd: object) -> None:
    board = dashboards.sector_dashboard(
        swd, fiscal_year=2025, indicator="cases_served", today=TODAY
    )
    trend = board.trend
    assert trend is not None and trend.code == "cases_served"
    points = {p.label: p for p in trend.points}
    assert points["2025-26 Q1"].value == D("160.0000")  # 110 + 50
    assert points["2025-26 Q2"].value == D("100.0000")  # unit_b's draft does not count
    assert points["2025-26 Q3"].value is None
    assert points["2025-26 Q1"].reference == D("300.00")  # 3 × 400 shared over 4 quarters
    satisfied = dashboards.sector_dashboard(
        swd, fiscal_year=2025, indicator="satisfied_pct", today=TODAY
    ).trend
    assert satisfied is not None
    assert {p.label: p.value for p in satisfied.points}["2025-26 Q1"] == D("76.0000")


def test_unit_dashboard_lists_standards_returns_and_alerts(
    sector: Sector, supervisor: object
) -> None:
    page = dashboards.unit_dashboard(
        supervisor, unit_id=sector.world.unit_a.pk, fiscal_year=2025, today=TODAY
    )
    assert [s.code for s in page.standards] == ["cases_served", "new_cases", "satisfied_pct"]
    served = page.standards[0]
    assert (served.actual, served.prorated_target, served.agreed) == (
        D("210.0000"),
        D("200.0000"),
        D("400.0000"),
    )
    assert [r.timeliness for r in page.returns] == ["on_time", "in_grace", "not_due", "not_due"]
    assert page.returns[0].return_id is not None and page.returns[2].return_id is None
    assert page.trend is not None and page.trend.code == "cases_served"
    assert page.years == [2025]


def test_indicator_dashboard_puts_the_weakest_first(sector: Sector, swd: object) -> None:
    page = dashboards.indicator_dashboard(
        swd, indicator="cases_served", fiscal_year=2025, today=TODAY
    )
    assert [r.unit_code for r in page.rows] == ["b-ifsc", "a-ifsc", "b-ifsc-2"]
    assert page.rows[0].status == "at_risk"
    assert page.counts.no_data == 1


# --- Query counts ---------------------------------------------------------------------------------


def _queries(call: object) -> int:
    with CaptureQueriesContext(connection) as captured:
        call()  # type: ignore[operator]
    return len(captured)


@pytest.mark.parametrize("role", ["swd", "agency_admin"])
def test_query_counts_do_not_grow_with_the_units(
    sector: Sector, role: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(role)
    periods_ensure(2024, "quarterly")  # more periods in the trend's years
    ngo_a = sector.world.ngo_a.pk

    def calls() -> list[int]:
        from socialdesk.core.access import forget_actor

        forget_actor(user)
        counts = [_queries(lambda: dashboards.sector_dashboard(user, fiscal_year=2025))]
        forget_actor(user)
        counts.append(
            _queries(
                lambda: dashboards.agency_dashboard(user, organisation_id=ngo_a, fiscal_year=2025)
            )
        )
        forget_actor(user)
        counts.append(
            _queries(
                lambda: dashboards.indicator_dashboard(
                    user, indicator="cases_served", fiscal_year=2025
                )
            )
        )
        return counts

    before = calls()
    more_units(sector, 12)
    assert calls() == before
    assert max(before) <= 18


def test_unit_dashboard_query_count_is_fixed(sector: Sector, supervisor: object) -> None:
    from socialdesk.core.access import forget_actor

    unit = sector.world.unit_a.pk
    forget_actor(supervisor)
    before = _queries(lambda: dashboards.unit_dashboard(supervisor, unit_id=unit, fiscal_year=2025))
    for number in (3, 4):
        file_return(
            sector.definition,
            sector.world.unit_a,
            number,
            {"cases_served": 100, "new_cases": 20, "satisfied_pct": "81"},
            submitted_on=date(2026, 1, 10),
        )
    attainment_recompute(unit_id=unit, fiscal_year=2025)
    forget_actor(supervisor)
    after = _queries(lambda: dashboards.unit_dashboard(supervisor, unit_id=unit, fiscal_year=2025))
    assert after == before <= 14


def test_fiscal_year_starts_in_april() -> None:
    assert periods.fiscal_year_of(date(2026, 3, 31)) == 2025
    assert periods.fiscal_year_of(date(2026, 4, 1)) == 2026
    assert periods.year_label(2025) == "2025-26"
    assert periods.year_label(2099) == "2099-00"


def test_a_unit_without_an_fsa_has_an_empty_dashboard(world: World, supervisor: object) -> None:
    page = dashboards.unit_dashboard(supervisor, unit_id=world.unit_a.pk, fiscal_year=2025)
    assert page.unit == world.unit_a
    assert page.standards == [] and page.returns == [] and page.years == []
    with pytest.raises(Http404):
        dashboards.unit_dashboard(supervisor, unit_id=world.unit_b.pk, fiscal_year=2025)
    with pytest.raises(Http404):
        dashboards.unit_dashboard(supervisor, unit_id="x", fiscal_year=2025)
