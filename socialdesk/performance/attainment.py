"""Attainment of a standard over a financial year, from the figures of the periods reported so
far: the year-to-date actual (as the indicator aggregates), the target pro-rated to the periods
reported, the year-end forecast from the run rate, and the resulting status. Both readings of the
2025 FSA review are kept: the total count against the agreed level (at year end), and the
pro-rated target during the year. Pure functions over plain data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

SUM, LATEST, AVERAGE, RATIO = "sum", "latest", "average", "ratio"
AT_LEAST, AT_MOST = "at_least", "at_most"
MET, ON_TRACK, AT_RISK, BELOW, NO_DATA = "met", "on_track", "at_risk", "below", "no_data"
PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Reading:
    actual: Decimal | None
    prorated_target: Decimal | None
    forecast: Decimal | None
    periods_reported: int
    status: str


def _q(value: Decimal) -> Decimal:
    return value.quantize(PLACES, rounding=ROUND_HALF_UP)


def _meets(value: Decimal, level: Decimal, direction: str) -> bool:
    return value <= level if direction == AT_MOST else value >= level


def year_to_date(
    aggregation: str,
    values: Sequence[Decimal | None],
    numerators: Sequence[Decimal | None] = (),
    denominators: Sequence[Decimal | None] = (),
    percent: bool = True,
) -> Decimal | None:
    """The year's figure so far from the periods' figures (in period order; None: not reported)."""
    reported = [v for v in values if v is not None]
    if aggregation == RATIO:
        pairs = [
            (n, d) for n, d in zip(numerators, denominators, strict=False) if n is not None and d
        ]
        if not pairs:
            return None
        total_n = sum((n for n, _d in pairs), Decimal(0))
        total_d = sum((d for _n, d in pairs), Decimal(0))
        if not total_d:
            return None
        return _q(total_n / total_d * (100 if percent else 1))
    if not reported:
        return None
    if aggregation == SUM:
        return _q(sum(reported, Decimal(0)))
    if aggregation == LATEST:
        return _q(reported[-1])
    return _q(sum(reported, Decimal(0)) / len(reported))


def reading(
    *,
    aggregation: str,
    agreed: Decimal,
    direction: str,
    actual: Decimal | None,
    periods_reported: int,
    periods_in_year: int,
) -> Reading:
    """Where a unit stands on one standard. A summed figure (cases served) is judged during the
    year by its forecast (run rate × periods in the year), at year end by its total; a level
    (a percentage, an average, the latest figure) is judged as it stands."""
    if actual is None or periods_reported == 0:
        return Reading(None, None, None, 0, NO_DATA)
    complete = periods_reported >= periods_in_year
    if aggregation == SUM:
        prorated = _q(agreed * periods_reported / periods_in_year)
        forecast = _q(actual * periods_in_year / periods_reported)
        if direction == AT_LEAST and actual >= agreed:
            status = MET  # the year's total is reached already
        elif direction == AT_MOST and actual > agreed:
            status = BELOW  # the year's limit is passed already
        elif complete:
            status = MET if _meets(actual, agreed, direction) else BELOW
        elif not _meets(forecast, agreed, direction):
            status = AT_RISK
        else:
            status = ON_TRACK
        return Reading(actual, prorated, forecast, periods_reported, status)
    if _meets(actual, agreed, direction):
        status = MET if complete else ON_TRACK
    else:
        status = BELOW
    return Reading(actual, agreed, actual, periods_reported, status)
