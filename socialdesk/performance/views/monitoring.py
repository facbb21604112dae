"""Service performance monitoring pages: the dashboards (sector, service type, agency, unit,
indicator; filters by year, service type, district and agency; drill-down from the sector to an
agency, a unit and its returns) with their Excel and PDF exports, and — from `siaps` — the alerts
and the Service Improvement Action Plans. Each view parses the query, calls one selector and
renders; every figure is scoped by the selectors to the units the viewer may see."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from socialdesk.core.access import Capability, actor_for, capability_required, policy_for
from socialdesk.core.models import District, Organisation, Role, ServiceType

from .. import exports
from ..models import AlertKind, PlanStatus
from ..periods import fiscal_year_of, year_label
from ..policies import AGENCY_ROLES, SECTOR_ROLES, UNIT_ROLES
from ..selectors import dashboards
from . import records, siaps

SECTOR, SERVICE_TYPE, AGENCY, UNIT, INDICATOR = (
    "sector",
    "service_type",
    "agency",
    "unit",
    "indicator",
)
VIEWS = (SECTOR, SERVICE_TYPE, AGENCY, UNIT, INDICATOR)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Query:
    """What the dashboard is asked for (the query string), checked against the viewer's roles:
    the sector view is SWD's; others start on their agency or their unit."""

    view: str
    year: int
    service_type: str = ""
    district: str = ""
    organisation: str = ""
    unit: str = ""
    indicator: str = ""
    views: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, request: HttpRequest) -> Query:
        data = request.GET
        current = fiscal_year_of(timezone.localdate())
        try:
            year = int(data.get("year", ""))
        except ValueError:
            year = current
        if not 2000 <= year <= current + 5:
            year = current
        query = cls(
            view=data.get("view", ""),
            year=year,
            service_type=data.get("service_type", "")[:40],
            district=data.get("district", "")[:40],
            organisation=data.get("organisation", "")[:40],
            unit=data.get("unit", "")[:12],
            indicator=data.get("indicator", "")[:40],
        )
        query._settle(request.user)
        return query

    def _settle(self, user: Any) -> None:
        actor = actor_for(user)
        sector = actor.has_role(*SECTOR_ROLES)
        self.views = [SECTOR] if sector else []
        self.views += [SERVICE_TYPE, AGENCY, UNIT, INDICATOR]
        if not sector and self.view in (SECTOR, ""):
            self.view = ""
            if actor.has_role(*AGENCY_ROLES) and not self.organisation:
                self.organisation = str(min(actor.organisation_ids(*AGENCY_ROLES)))
                self.view = AGENCY
            elif actor.has_role(*UNIT_ROLES) and not self.unit:
                self.unit = str(min(actor.unit_ids(*UNIT_ROLES)))
                self.view = UNIT
        wanted = {
            SERVICE_TYPE: self.service_type,
            AGENCY: self.organisation,
            UNIT: self.unit,
            INDICATOR: self.indicator,
        }
        if self.view not in self.views or (self.view in wanted and not wanted[self.view]):
            if sector:
                self.view = SECTOR
            elif self.organisation:
                self.view = AGENCY
            elif actor.has_role(*UNIT_ROLES):
                self.unit = self.unit or str(min(actor.unit_ids(*UNIT_ROLES)))
                self.view = UNIT
            else:
                self.organisation = str(min(actor.organisation_ids(*AGENCY_ROLES) or {0}))
                self.view = AGENCY

    def link(self, **changes: Any) -> str:
        """The query string of this dashboard with some parameters changed ("" drops one)."""
        from django.http import QueryDict

        values = {
            "view": self.view,
            "year": str(self.year),
            "service_type": self.service_type,
            "district": self.district,
            "organisation": self.organisation,
            "unit": self.unit,
            "indicator": self.indicator,
        }
        values.update({k: "" if v is None else str(v) for k, v in changes.items()})
        query = QueryDict(mutable=True)
        for key, value in values.items():
            if value:
                query[key] = value
        return "?" + query.urlencode()


@dataclass
class Page:
    """One dashboard view: its body template, context, and its export."""

    query: Query
    body: str
    context: dict[str, Any]
    title: str
    subtitle: str
    report: Callable[[], exports.Report]
    filename: str


def _subtitle(query: Query, *parts: Any) -> str:
    bits = [year_label(query.year)]
    bits += [str(p) for p in parts if p]
    return " · ".join(bits)


def _group_page(request: HttpRequest, query: Query) -> Page:
    if query.view == AGENCY:
        dashboard = dashboards.agency_dashboard(
            request.user,
            organisation_id=query.organisation,
            fiscal_year=query.year,
            service_type=query.service_type or None,
            district=query.district or None,
            indicator=query.indicator or None,
        )
        title = _("Performance of %(agency)s") % {"agency": dashboard.organisation}
    elif query.view == SERVICE_TYPE:
        dashboard = dashboards.service_type_dashboard(
            request.user,
            service_type=query.service_type,
            fiscal_year=query.year,
            district=query.district or None,
            organisation=query.organisation or None,
            indicator=query.indicator or None,
        )
        title = _("Performance of %(service)s") % {"service": dashboard.service_type}
    else:
        dashboard = dashboards.sector_dashboard(
            request.user,
            fiscal_year=query.year,
            service_type=query.service_type or None,
            district=query.district or None,
            organisation=query.organisation or None,
            indicator=query.indicator or None,
        )
        title = _("Service performance of the sector")
    subtitle = _subtitle(
        query,
        dashboard.organisation if query.view != AGENCY else None,
        dashboard.service_type if query.view != SERVICE_TYPE else None,
        dashboard.district,
    )
    all_units = query.view == AGENCY or dashboard.organisation is not None
    units = dashboard.units if all_units else _weakest(dashboard.units)
    context = {
        "dashboard": dashboard,
        "units": units,
        "all_units": all_units,
        "chart": _chart(dashboard.trend),
        "alert_kinds": [(k, AlertKind(k).label, n) for k, n in dashboard.open_alerts.items()],
        "plan_statuses": [(s, PlanStatus(s).label, n) for s, n in dashboard.plans.items()],
    }
    return Page(
        query=query,
        body="performance/partials/dashboard_groups.html",
        context=context,
        title=title,
        subtitle=subtitle,
        report=lambda: exports.dashboard_report(
            dashboard, title=title, subtitle=subtitle, units=None if all_units else units
        ),
        filename=exports.report_filename(
            query.view,
            query.year,
            getattr(dashboard.organisation, "code", ""),
            getattr(dashboard.service_type, "code", ""),
            getattr(dashboard.district, "code", ""),
        ),
    )


WEAKEST = 25


def _weakest(units: list[dashboards.UnitRow]) -> list[dashboards.UnitRow]:
    """The units furthest below their standards (for views too wide to list every unit)."""
    behind = [u for u in units if u.counts.below or u.counts.at_risk]
    behind.sort(key=lambda u: (-u.counts.below, -u.counts.at_risk, u.code))
    return behind[:WEAKEST]


def _unit_page(request: HttpRequest, query: Query) -> Page:
    page = dashboards.unit_dashboard(
        request.user, unit_id=query.unit, fiscal_year=query.year, indicator=query.indicator or None
    )
    unit = page.unit
    title = _("Performance of %(unit)s") % {"unit": unit.name}
    subtitle = _subtitle(query, unit.organisation.name, unit.service_type.name, unit.district.name)
    return Page(
        query=query,
        body="performance/partials/dashboard_unit.html",
        context={
            "page": page,
            "chart": _chart(page.trend),
            "return_links": {r.return_id: siaps.return_url(r.return_id) for r in page.returns},
            "may_start_siap": siaps.may_start_siap_for(request.user, unit),
            "finance_link": records.agency_finance_url(request.user, unit.organisation_id),
        },
        title=title,
        subtitle=subtitle,
        report=lambda: exports.unit_report(page, title=title, subtitle=subtitle),
        filename=exports.report_filename(UNIT, query.year, unit.code),
    )


def _indicator_page(request: HttpRequest, query: Query) -> Page:
    page = dashboards.indicator_dashboard(
        request.user,
        indicator=query.indicator,
        fiscal_year=query.year,
        service_type=query.service_type or None,
        district=query.district or None,
        organisation=query.organisation or None,
    )
    title = _("%(code)s %(standard)s across units") % {
        "code": page.indicator.code,
        "standard": page.indicator.name,
    }
    subtitle = _subtitle(query, page.organisation, page.service_type, page.district)
    from django.core.paginator import Paginator

    rows = Paginator(page.rows, 50).get_page(request.GET.get("page"))
    return Page(
        query=query,
        body="performance/partials/dashboard_indicator.html",
        context={"page": page, "page_obj": rows, "chart": _chart(page.trend)},
        title=title,
        subtitle=subtitle,
        report=lambda: exports.indicator_report(page, title=title, subtitle=subtitle),
        filename=exports.report_filename(INDICATOR, query.year, page.indicator.code),
    )


def _chart(trend: dashboards.Trend | None) -> Any:
    from ..charts import line_chart

    return None if trend is None else line_chart(trend)


def _page(request: HttpRequest) -> Page:
    query = Query.parse(request)
    if query.view == UNIT:
        return _unit_page(request, query)
    if query.view == INDICATOR:
        return _indicator_page(request, query)
    return _group_page(request, query)


VIEW_LABELS = {
    SECTOR: lambda: _("Sector"),
    SERVICE_TYPE: lambda: _("Service type"),
    AGENCY: lambda: _("Agency"),
    UNIT: lambda: _("Service unit"),
    INDICATOR: lambda: _("Standard"),
}


def _filters(request: HttpRequest, query: Query, page: Page) -> dict[str, Any]:
    """The choices of the filter bar."""
    sector = actor_for(request.user).has_role(*SECTOR_ROLES)
    shown = page.context.get("dashboard") or page.context.get("page")
    standards = getattr(shown, "standards", [])
    return {
        "years": [
            (year, year_label(year))
            for year in dashboards.dashboard_years(request.user, around=query.year)
        ],
        "service_types": ServiceType.objects.order_by("code"),
        "districts": District.objects.order_by("region", "code"),
        "organisations": policy_for(Organisation).queryset(request.user).order_by("code")
        if sector or actor_for(request.user).has_role(Role.SYSTEM_ADMIN)
        else [],
        "standards": standards if query.view != INDICATOR else [],
        "view_links": [
            (view, VIEW_LABELS[view](), query.link(view=view))
            for view in query.views
            if view in (query.view, SECTOR)
            or (view == AGENCY and query.organisation)
            or (view == SERVICE_TYPE and query.service_type)
            or (view == UNIT and query.unit)
            or (view == INDICATOR and query.indicator)
        ],
    }


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def dashboard(request: HttpRequest) -> HttpResponse:
    page = _page(request)
    context = {
        **page.context,
        "query": page.query,
        "title": page.title,
        "subtitle": page.subtitle,
        "body": page.body,
        **_filters(request, page.query, page),
    }
    if getattr(request, "htmx", False) and request.headers.get("HX-Target") == "dashboard-body":
        return render(request, "performance/partials/dashboard_body.html", context)
    return render(request, "performance/dashboard.html", context)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename) or ""
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def dashboard_export_xlsx(request: HttpRequest) -> HttpResponse:
    """The dashboard on screen (same query) as a workbook."""
    page = _page(request)
    return _download(exports.report_xlsx(page.report()), XLSX, f"{page.filename}.xlsx")


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def dashboard_export_pdf(request: HttpRequest) -> HttpResponse:
    """The dashboard on screen (same query) as a PDF."""
    page = _page(request)
    return _download(exports.report_pdf(page.report()), "application/pdf", f"{page.filename}.pdf")


urlpatterns: list[URLPattern] = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/export.xlsx", dashboard_export_xlsx, name="dashboard_export_xlsx"),
    path("dashboard/export.pdf", dashboard_export_pdf, name="dashboard_export_pdf"),
    *siaps.urlpatterns,
]
