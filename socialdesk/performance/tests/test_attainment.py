"""Attainment of an FSA standard over a financial year (attainment.py): the year-to-date figure
as the indicator aggregates, and where a unit stands (on track, at risk, met, below)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from socialdesk.performance.attainment import (
    AT_LEAST,
    AT_MOST,
    AT_RISK,
    AVERAGE,
    BELOW,
    LATEST,
    MET,
    NO_DATA,
    ON_TRACK,
    RATIO,
    SUM,
    Reading,
    reading,
    year_to_date,
)

D = Decimal
QUARTERS = 4


def figures(*values: int | str | None) -> list[Decimal | None]:
    return [None if v is None else D(v) for v in values]


# --- year_to_date -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aggregation", "values", "expected"),
    [
        (SUM, figures(100, 120, 90), "310.0000"),
        (SUM, figures(100, None, 90), "190.0000"),  # an unreported quarter adds nothing
        (SUM, figures(0, 0), "0.0000"),
        (SUM, figures("10.5", "0.25"), "10.7500"),
        (LATEST, figures(70, 80, 75), "75.0000"),
        (LATEST, figures(70, 80, None), "80.0000"),  # the latest reported, not the last quarter
        (AVERAGE, figures(20, 30, 40), "30.0000"),
        (AVERAGE, figures(20, None, 40), "30.0000"),  # averaged over the reported quarters only
        (AVERAGE, figures(1, 1, 2), "1.3333"),
        (AVERAGE, figures(2, 2, 1), "1.6667"),  # rounded half up to 4 places
    ],
)
def test_year_to_date_of_a_figure(
    aggregation: str, values: list[Decimal | None], expected: str
) -> None:
    result = year_to_date(aggregation, values)
    assert result == D(expected)
    assert str(result) == expected  # quantized to 4 places


@pytest.mark.parametrize("aggregation", [SUM, LATEST, AVERAGE])
@pytest.mark.parametrize("values", [[], figures(None, None)])
def test_year_to_date_with_nothing_reported_is_none(
    aggregation: str, values: list[Decimal | None]
) -> None:
    assert year_to_date(aggregation, values) is None


def test_year_to_date_rounds_half_up() -> None:
    assert year_to_date(SUM, figures("0.00005")) == D("0.0001")
    assert year_to_date(SUM, figures("0.00004")) == D("0.0000")


@pytest.mark.parametrize(
    ("numerators", "denominators", "percent", "expected"),
    [
        # Users satisfied of users surveyed: pooled over the year, not an average of quarters.
        (figures(40, 45), figures(50, 50), True, "85.0000"),
        (figures(40, 45), figures(50, 50), False, "0.8500"),
        (figures(9, 90), figures(10, 100), True, "90.0000"),  # (9 + 90) / (10 + 100)
        (figures(1), figures(3), True, "33.3333"),
        (figures(2), figures(3), True, "66.6667"),
        (figures(2), figures(3), False, "0.6667"),
        # A quarter with no one surveyed (denominator 0) is left out.
        (figures(40, 5), figures(50, 0), True, "80.0000"),
        # Unreported quarters (either figure missing) are left out.
        (figures(40, None, 10), figures(50, 20, None), True, "80.0000"),
        (figures(None, 30), figures(None, 40), True, "75.0000"),
        (figures(0), figures(50), True, "0.0000"),
    ],
)
def test_year_to_date_of_a_ratio(
    numerators: list[Decimal | None],
    denominators: list[Decimal | None],
    percent: bool,
    expected: str,
) -> None:
    result = year_to_date(RATIO, [], numerators, denominators, percent=percent)
    assert result == D(expected)
    assert str(result) == expected


def test_a_ratio_is_a_percentage_by_default() -> None:
    assert year_to_date(RATIO, [], figures(1), figures(4)) == D("25")


def test_a_ratio_ignores_the_periods_own_values() -> None:
    assert year_to_date(RATIO, figures(1, 2, 3), figures(1), figures(2)) == D("50")


@pytest.mark.parametrize(
    ("numerators", "denominators"),
    [
        ([], []),
        (figures(5, 5), figures(0, 0)),  # no one surveyed all year
        (figures(None, None), figures(None, None)),
        (figures(5, None), figures(None, 10)),
    ],
)
def test_a_ratio_with_no_usable_period_is_none(
    numerators: list[Decimal | None], denominators: list[Decimal | None]
) -> None:
    assert year_to_date(RATIO, [], numerators, denominators) is None


# --- reading: a summed output standard (e.g. cases served, agreed 400 a year) ------------------


def summed(
    actual: Decimal | int | str | None,
    periods_reported: int,
    *,
    agreed: int = 400,
    direction: str = AT_LEAST,
    periods_in_year: int = QUARTERS,
) -> Reading:
    return reading(
        aggregation=SUM,
        agreed=D(agreed),
        direction=direction,
        actual=None if actual is None else D(actual),
        periods_reported=periods_reported,
        periods_in_year=periods_in_year,
    )


def test_mid_year_on_track() -> None:
    """Half-way through the year 210 cases: the run rate forecasts 420 against 400 agreed."""
    assert summed(210, 2) == Reading(
        actual=D(210),
        prorated_target=D("200.0000"),
        forecast=D("420.0000"),
        periods_reported=2,
        status=ON_TRACK,
    )


def test_mid_year_behind_the_prorated_target_is_at_risk() -> None:
    """190 cases after two quarters forecasts 380, below the 400 agreed."""
    result = summed(190, 2)
    assert (result.prorated_target, result.forecast) == (D(200), D(380))
    assert result.status == AT_RISK


@pytest.mark.parametrize(
    ("actual", "periods", "status"),
    [
        (100, 1, ON_TRACK),  # forecast exactly the agreed level
        (99, 1, AT_RISK),
        (300, 3, ON_TRACK),
        (299, 3, AT_RISK),
        (450, 3, MET),  # the year's total is reached already
        (0, 1, AT_RISK),
    ],
)
def test_mid_year_status_follows_the_forecast(actual: int, periods: int, status: str) -> None:
    assert summed(actual, periods).status == status


@pytest.mark.parametrize(
    ("actual", "status"),
    [(400, MET), (520, MET), (399, BELOW), (0, BELOW)],
)
def test_at_year_end_the_total_is_judged(actual: int, status: str) -> None:
    result = summed(actual, QUARTERS)
    assert result.status == status
    assert result.prorated_target == D(400)
    assert result.forecast == D(actual)
    assert result.periods_reported == QUARTERS


def test_at_year_end_a_short_last_quarter_is_below_even_if_the_run_rate_was_good() -> None:
    assert summed(301, 3).status == ON_TRACK
    assert summed(399, 4).status == BELOW


def test_more_periods_than_the_year_count_as_the_year_end() -> None:
    assert summed(400, 5).status == MET


def test_the_prorated_target_and_forecast_are_quantized() -> None:
    result = summed(10, 1, agreed=100, periods_in_year=3)
    assert str(result.prorated_target) == "33.3333"
    assert str(result.forecast) == "30.0000"
    assert result.status == AT_RISK


def test_half_yearly_reporting() -> None:
    """The 2025 FSA review allows half-yearly returns: two periods in the year."""
    assert summed(200, 1, periods_in_year=2).status == ON_TRACK
    assert summed(199, 1, periods_in_year=2).status == AT_RISK
    assert summed(400, 2, periods_in_year=2).status == MET


@pytest.mark.parametrize(
    ("actual", "periods", "status"),
    [
        # At most 40 complaints a year.
        (20, 2, ON_TRACK),  # forecast 40
        (21, 2, AT_RISK),  # forecast 42
        (40, 4, MET),
        (41, 4, BELOW),
        (0, 4, MET),
    ],
)
def test_a_summed_standard_with_an_upper_limit(actual: int, periods: int, status: str) -> None:
    assert summed(actual, periods, agreed=40, direction=AT_MOST).status == status


# --- reading: a level standard (a percentage, an average, the latest figure) ------------------


def level(
    actual: Decimal | int | str | None,
    periods_reported: int,
    *,
    agreed: int | str = 80,
    direction: str = AT_LEAST,
    aggregation: str = RATIO,
) -> Reading:
    return reading(
        aggregation=aggregation,
        agreed=D(agreed),
        direction=direction,
        actual=None if actual is None else D(actual),
        periods_reported=periods_reported,
        periods_in_year=QUARTERS,
    )


@pytest.mark.parametrize(
    ("actual", "periods", "status"),
    [
        # At least 80% of users satisfied.
        ("79.9999", 2, BELOW),  # a level below standard is below, not merely at risk
        ("80", 2, ON_TRACK),
        ("92.5", 2, ON_TRACK),
        ("80", 4, MET),
        ("79.9", 4, BELOW),
        ("100", 4, MET),
    ],
)
def test_a_percentage_satisfied(actual: str, periods: int, status: str) -> None:
    assert level(actual, periods).status == status


def test_a_level_is_judged_as_it_stands() -> None:
    assert level("75.5", 2) == Reading(
        actual=D("75.5"),
        prorated_target=D(80),  # the level itself, not pro-rated
        forecast=D("75.5"),  # no run rate: the level is its own forecast
        periods_reported=2,
        status=BELOW,
    )


@pytest.mark.parametrize(
    ("actual", "periods", "status"),
    [
        # Average waiting time of at most 30 days.
        (25, 2, ON_TRACK),
        (30, 2, ON_TRACK),
        (31, 2, BELOW),
        (30, 4, MET),
        ("30.0001", 4, BELOW),
    ],
)
def test_a_waiting_time_at_most(actual: int | str, periods: int, status: str) -> None:
    result = level(actual, periods, agreed=30, direction=AT_MOST, aggregation=AVERAGE)
    assert result.status == status


@pytest.mark.parametrize("aggregation", [LATEST, AVERAGE, RATIO])
def test_every_level_aggregation_is_judged_the_same_way(aggregation: str) -> None:
    assert level(85, 1, aggregation=aggregation).status == ON_TRACK
    assert level(75, 1, aggregation=aggregation).status == BELOW
    assert level(85, 4, aggregation=aggregation).status == MET


# --- reading: no data -------------------------------------------------------------------------

NO_READING = Reading(None, None, None, 0, NO_DATA)


@pytest.mark.parametrize("aggregation", [SUM, LATEST, AVERAGE, RATIO])
def test_no_figure_yet_is_no_data(aggregation: str) -> None:
    result = reading(
        aggregation=aggregation,
        agreed=D(400),
        direction=AT_LEAST,
        actual=None,
        periods_reported=2,
        periods_in_year=QUARTERS,
    )
    assert result == NO_READING


@pytest.mark.parametrize("aggregation", [SUM, RATIO])
def test_no_period_reported_is_no_data_whatever_the_figure(aggregation: str) -> None:
    result = reading(
        aggregation=aggregation,
        agreed=D(400),
        direction=AT_LEAST,
        actual=D(0),
        periods_reported=0,
        periods_in_year=QUARTERS,
    )
    assert result == NO_READING


# --- From the quarters' figures to the reading ------------------------------------------------


def test_a_year_of_quarterly_returns() -> None:
    served = figures(95, 110, None)  # the third quarter not yet reported
    actual = year_to_date(SUM, served)
    assert actual == D(205)
    first_half = summed(actual, periods_reported=2)
    assert (first_half.forecast, first_half.status) == (D(410), ON_TRACK)

    satisfied = year_to_date(RATIO, [], figures(30, 41), figures(40, 50))
    assert satisfied == D("78.8889")  # 71 of 90 users surveyed
    assert level(satisfied, 2).status == BELOW
