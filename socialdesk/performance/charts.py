"""Geometry of the dashboards' charts, drawn as inline SVG by the templates (no script, so they
work under the Content Security Policy, without JavaScript, and in print). Colours come from CSS
classes; every chart sits next to a table with the same figures, so the drawings themselves are
hidden from screen readers. Pure functions over numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from .selectors.dashboards import StatusCounts, Timeliness, Trend

# Stacked bars are drawn in a 100 × 10 box stretched to the cell's width.
BAR_WIDTH = 100.0


@dataclass(frozen=True)
class Segment:
    css: str  # the status or timeliness class
    x: float
    width: float
    count: int


def _stack(parts: Sequence[tuple[str, int]]) -> list[Segment]:
    total = sum(count for _css, count in parts)
    segments, x = [], 0.0
    if not total:
        return []
    for css, count in parts:
        if count:
            width = BAR_WIDTH * count / total
            segments.append(Segment(css=css, x=round(x, 3), width=round(width, 3), count=count))
            x += width
    return segments


def status_segments(counts: StatusCounts) -> list[Segment]:
    """Below, at risk, on track, met, no data: a stacked bar of one standard or unit."""
    return _stack([(status, count) for status, count, _share in counts.shares()])


def timeliness_segments(timeliness: Timeliness) -> list[Segment]:
    return _stack(
        [
            ("on_time", timeliness.on_time),
            ("in_grace", timeliness.in_grace),
            ("late", timeliness.late),
            ("missing", timeliness.missing),
            ("pending", timeliness.pending),
        ]
    )


@dataclass(frozen=True)
class Bullet:
    """An actual figure as a bar against its pro-rated target and its agreed level (ticks), on a
    scale from 0 to a little above the largest of the three."""

    actual_width: float
    target_x: float | None
    agreed_x: float | None
    css: str


def bullet(
    actual: Decimal | None,
    target: Decimal | None,
    agreed: Decimal | None,
    status: str = "",
) -> Bullet | None:
    values = [float(v) for v in (actual, target, agreed) if v is not None]
    if actual is None or not values or max(values) <= 0:
        return None
    top = max(values) * 1.1

    def at(value: Decimal | None) -> float | None:
        return None if value is None else round(BAR_WIDTH * float(value) / top, 3)

    return Bullet(
        actual_width=at(actual) or 0.0,
        target_x=at(target),
        agreed_x=at(agreed) if agreed != target else None,
        css=status,
    )


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    value: Decimal


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class XLabel:
    x: float
    label: str
    year: str  # set on the first period of a year


@dataclass(frozen=True)
class LineChart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    actual: list[Point]
    reference: list[Point]
    ticks: list[Tick]
    labels: list[XLabel]
    year_lines: list[float]

    @property
    def actual_points(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.actual)

    @property
    def reference_points(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.reference)


def _nice_top(value: float) -> float:
    """A round number at or above `value` for the top of an axis (1, 2, 2.5, 5 × 10^n)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return float(step * magnitude)
    return float(10 * magnitude)


def _format(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def line_chart(trend: Trend, *, width: int = 640, height: int = 240) -> LineChart | None:
    """The trend's figures (solid line) and agreed level per period (dashed line)."""
    if not trend.points or not trend.has_data:
        return None
    left, right, top, bottom = 56, 24, 12, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(p.value) for p in trend.points if p.value is not None]
    values += [float(p.reference) for p in trend.points if p.reference is not None]
    y_top = _nice_top(max(values) * 1.05)
    count = len(trend.points)
    step = plot_w / max(count - 1, 1)

    def x_at(index: int) -> float:
        return round(left + (index * step if count > 1 else plot_w / 2), 2)

    def y_at(value: Decimal) -> float:
        return round(top + plot_h - plot_h * float(value) / y_top, 2)

    actual, reference, labels, year_lines = [], [], [], []
    last_year = None
    for index, point in enumerate(trend.points):
        x = x_at(index)
        if point.value is not None:
            actual.append(Point(x, y_at(point.value), point.label, point.value))
        if point.reference is not None:
            reference.append(Point(x, y_at(point.reference), point.label, point.reference))
        year = point.label.split(" ")[0]
        first = year != last_year
        if first and last_year is not None:
            year_lines.append(round(x - step / 2, 2))
        labels.append(XLabel(x=x, label=point.label.split(" ")[-1], year=year if first else ""))
        last_year = year
    ticks = [
        Tick(y=round(top + plot_h - plot_h * i / 4, 2), label=_format(y_top * i / 4))
        for i in range(5)
    ]
    return LineChart(
        width=width,
        height=height,
        left=left,
        right=right,
        top=top,
        bottom=bottom,
        actual=actual,
        reference=reference,
        ticks=ticks,
        labels=labels,
        year_lines=year_lines,
    )
