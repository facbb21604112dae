"""Service performance pages: the cases behind a figure suggested from case data (drill-down).
Only the cases the viewer may see by need-to-know are listed; the others are only counted."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path

from socialdesk.cases.selectors import CASE_COUNTS, cases_counted_for
from socialdesk.core.access import Action, Capability, capability_required, policy_for

from ..models import StatisticalReturn


@capability_required(Capability.VIEW_PERFORMANCE)
def return_cases(request: HttpRequest, return_id: int, source: str) -> HttpResponse:
    """The cases counted for one figure of a return (served, opened or closed in the period)."""
    statistical_return = policy_for(StatisticalReturn).get(request.user, return_id, Action.VIEW)
    if source not in CASE_COUNTS:
        raise Http404
    period = statistical_return.period
    cases, hidden = cases_counted_for(
        user=request.user,
        unit_id=statistical_return.unit_id,
        source=source,
        starts_on=period.starts_on,
        ends_on=period.ends_on,
    )
    indicators = [
        item.indicator
        for item in statistical_return.template.items.select_related("indicator")
        if item.indicator.case_source == source
    ]
    context = {
        "ret": statistical_return,
        "source": source,
        "indicators": indicators,
        "cases": cases,
        "hidden": hidden,
        "total": len(cases) + hidden,
    }
    return render(request, "performance/casedata/cases.html", context)


urlpatterns: list[URLPattern] = [
    path(
        "returns/<int:return_id>/cases/<slug:source>/",
        return_cases,
        name="return_cases",
    ),
]
