"""Template helpers of the performance dashboards: figures as the measure wants them, status
labels, and the inline SVG charts (stacked bars, bullet bars) with their geometry from
`performance.charts`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _

from .. import charts
from ..models import AttainmentStatus, Measure, ReturnStatus
from ..selectors.dashboards import StatusCounts, Timeliness

register = template.Library()


@register.filter
def figure(value: Decimal | int | None, places: int = 0) -> str:
    """A figure with thousands separators and `places` decimals; "—" when there is none."""
    if value is None or value == "":
        return "—"
    return str(floatformat(value, f"{int(places)}g"))


@register.filter
def measured(value: Decimal | None, row: Any) -> str:
    """A figure of a standard: percentages and averages with their decimals, counts whole."""
    if value is None:
        return "—"
    places = getattr(row, "decimal_places", 0) or 0
    if getattr(row, "measure", "") == Measure.PERCENT:
        return f"{figure(value, max(places, 1))}%"
    if getattr(row, "aggregation", "") == "sum":
        return figure(value, 0)
    return str(floatformat(value, f"-{max(places, 1)}g"))  # 537, or 97.7 for an average


@register.filter
def percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{floatformat(value, '-1g')}%"


@register.filter
def status_label(status: str) -> str:
    try:
        return str(AttainmentStatus(status).label)
    except ValueError:
        return ""


@register.inclusion_tag("performance/partials/dashboard_stack.html")
def status_bar(counts: StatusCounts) -> dict[str, Any]:
    return {"segments": charts.status_segments(counts)}


@register.inclusion_tag("performance/partials/dashboard_stack.html")
def timeliness_bar(timeliness: Timeliness) -> dict[str, Any]:
    return {"segments": charts.timeliness_segments(timeliness)}


@register.inclusion_tag("performance/partials/dashboard_bullet.html")
def bullet_bar(
    actual: Decimal | None, target: Decimal | None, agreed: Decimal | None, status: str = ""
) -> dict[str, Any]:
    return {"bullet": charts.bullet(actual, target, agreed, status)}


@register.filter
def get_item(mapping: dict[Any, Any], key: Any) -> Any:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def return_status_label(status: str) -> str:
    try:
        return str(ReturnStatus(status).label)
    except ValueError:
        return ""


@register.filter
def timeliness_label(key: str) -> str:
    from ..exports import timeliness_labels

    labels = dict(timeliness_labels()) | {"not_due": _("Not yet due")}
    return str(labels.get(key, ""))
