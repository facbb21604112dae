"""Financial years (April to March) and their reporting periods, as plain dates."""

from __future__ import annotations

from datetime import date, timedelta


def fiscal_year_of(day: date) -> int:
    """The financial year a day falls in, by its starting year (2025 for 2025-26)."""
    return day.year if day.month >= 4 else day.year - 1


def year_label(fiscal_year: int) -> str:
    """The financial year as it is written: "2025-26"."""
    return f"{fiscal_year}-{(fiscal_year + 1) % 100:02d}"


def period_bounds(fiscal_year: int, frequency: str, number: int) -> tuple[date, date]:
    """First and last day of a quarter ("quarterly") or half ("half_yearly") of the year."""
    months = 3 if frequency == "quarterly" else 6
    start_month = 4 + months * (number - 1)
    year = fiscal_year + (start_month - 1) // 12
    month = (start_month - 1) % 12 + 1
    starts = date(year, month, 1)
    end_month = month + months
    end_year = year + (end_month - 1) // 12
    end_month = (end_month - 1) % 12 + 1
    return starts, date(end_year, end_month, 1) - timedelta(days=1)
