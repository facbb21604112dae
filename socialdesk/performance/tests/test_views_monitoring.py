"""Monitoring pages: the dashboards for each role in both languages (never another agency's
units), their Excel and PDF exports (Chinese in the PDF), the alerts, and a SIAP from an alert to
its closure through the pages, with HTMX fragments and stale versions (409)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World, sign_in
from socialdesk.performance.models import Alert, AlertKind, ImprovementPlan, PlanStatus

from .conftest import Definition
from .monitoring_data import Sector, build_sector, more_units

SignedIn = Callable[..., Client]
DASHBOARD = reverse("performance:dashboard")
PERFORMANCE_ROLES = [
    Role.FRONTLINE_WORKER,
    Role.UNIT_SUPERVISOR,
    Role.AGENCY_ADMIN,
    Role.AGENCY_FINANCE,
    Role.SWD_SUBVENTIONS,
    Role.SYSTEM_ADMIN,
]
BRAVO = ("Bravo Hidden Centre", "乙秘密中心")


@pytest.fixture
def sector(world: World, definition: Definition) -> Sector:
    return build_sector(world, definition)


@pytest.fixture
def client_for(sector: Sector) -> SignedIn:
    def make(role: str, language: str = "zh-hant") -> Client:
        user = sector.world.roles[role]
        User.objects.filter(pk=user.pk).update(preferred_language=language)
        user.refresh_from_db()
        return sign_in(Client(), user)

    return make


def body(response: Any) -> str:
    return str(response.content.decode())


# --- Dashboards -----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hant", "en"])
@pytest.mark.parametrize("role", PERFORMANCE_ROLES)
def test_the_dashboard_opens_for_every_role_in_both_languages(
    role: str, language: str, client_for: SignedIn
) -> None:
    response = client_for(role, language).get(DASHBOARD, {"year": 2025})
    assert response.status_code == 200
    html = body(response)
    sector = role in (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)
    if language == "en":
        assert '<html lang="en">' in html
        assert ("Agency A" if sector else "Agency A Centre") in html
    else:
        assert '<html lang="zh-Hant">' in html
        assert ("甲機構" if sector else "甲中心") in html
    if not sector:
        assert not any(name in html for name in BRAVO)


def test_each_role_starts_on_its_own_view(client_for: SignedIn, sector: Sector) -> None:
    swd = body(client_for(Role.SWD_SUBVENTIONS, "en").get(DASHBOARD, {"year": 2025}))
    assert "Service performance of the sector" in swd and "Bravo Hidden Centre" in swd
    admin = body(client_for(Role.AGENCY_ADMIN, "en").get(DASHBOARD, {"year": 2025}))
    assert "Performance of Agency A" in admin
    worker = body(client_for(Role.FRONTLINE_WORKER, "en").get(DASHBOARD, {"year": 2025}))
    assert "Performance of Agency A Centre" in worker
    # An agency asking for the sector gets its own agency.
    asked = client_for(Role.AGENCY_ADMIN, "en").get(DASHBOARD, {"view": "sector", "year": 2025})
    assert "Performance of Agency A" in body(asked) and "Bravo" not in body(asked)


def test_drill_down_from_the_sector_to_a_unit_and_its_returns(
    client_for: SignedIn, sector: Sector
) -> None:
    client = client_for(Role.SWD_SUBVENTIONS, "en")
    world = sector.world
    sector_page = body(client.get(DASHBOARD, {"year": 2025}))
    assert f"organisation={world.ngo_b.pk}" in sector_page
    agency = body(
        client.get(DASHBOARD, {"view": "agency", "organisation": world.ngo_b.pk, "year": 2025})
    )
    assert "Bravo Hidden Centre" in agency and "Agency A Centre" not in agency
    assert f"unit={world.unit_b.pk}" in agency
    unit = client.get(DASHBOARD, {"view": "unit", "unit": world.unit_b.pk, "year": 2025})
    assert unit.status_code == 200
    returned = world.unit_b and sector.definition.periods[0]
    from socialdesk.performance.models import StatisticalReturn

    first = StatisticalReturn.objects.get(unit=world.unit_b, period=returned)
    assert reverse("performance:return_detail", args=[first.pk]) in body(unit)
    indicator = client.get(
        DASHBOARD, {"view": "indicator", "indicator": "cases_served", "year": 2025}
    )
    assert indicator.status_code == 200 and "Bravo Second Centre" in body(indicator)


def test_another_agencys_unit_or_agency_is_not_found(client_for: SignedIn, sector: Sector) -> None:
    client = client_for(Role.AGENCY_ADMIN, "en")
    world = sector.world
    assert client.get(DASHBOARD, {"view": "unit", "unit": world.unit_b.pk}).status_code == 404
    response = client.get(DASHBOARD, {"view": "agency", "organisation": world.ngo_b.pk})
    assert response.status_code == 404


def test_filters_swap_only_the_dashboard_body_with_htmx(client_for: SignedIn) -> None:
    client = client_for(Role.SWD_SUBVENTIONS, "en")
    response = client.get(
        DASHBOARD,
        {"year": 2025, "district": "sha-tin"},
        headers={"HX-Request": "true", "HX-Target": "dashboard-body"},
    )
    html = body(response)
    assert response.status_code == 200 and "<html" not in html
    assert "Bravo Hidden Centre" in html and "Bravo Second Centre" not in html


def test_the_dashboard_has_no_inline_script_or_style(client_for: SignedIn) -> None:
    html = body(client_for(Role.SWD_SUBVENTIONS, "en").get(DASHBOARD, {"year": 2025}))
    assert "<script>" not in html and " style=" not in html and "<style" not in html
    assert "<svg" in html  # the charts, drawn on the server


def test_dashboard_queries_do_not_grow_with_the_units(client_for: SignedIn, sector: Sector) -> None:
    client = client_for(Role.SWD_SUBVENTIONS, "en")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD, {"year": 2025}).status_code == 200
        return len(captured)

    count()  # the first request of a session does more (session, sign-in records)
    before = count()
    more_units(sector, 8)
    assert count() == before


# --- Exports --------------------------------------------------------------------------------------


def test_the_excel_export_has_the_figures(client_for: SignedIn) -> None:
    from openpyxl import load_workbook

    response = client_for(Role.SWD_SUBVENTIONS, "en").get(
        reverse("performance:dashboard_export_xlsx"), {"year": 2025}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="performance-sector')
    book = load_workbook(io.BytesIO(response.content))
    standards = book["Attainment by standard"]
    rows = {row[0]: row for row in standards.iter_rows(min_row=5, values_only=True)}
    served = rows["cases_served"]
    assert served[3] == 3  # units
    assert 260 in served  # the units' total so far
    shown = [r[1] for r in book["Units needing attention"].iter_rows(min_row=5, values_only=True)]
    assert shown == ["Bravo Hidden Centre"]  # as on the page: the units behind
    every = [r[1] for r in book["All service units"].iter_rows(min_row=5, values_only=True)]
    assert every == ["Agency A Centre", "Bravo Hidden Centre", "Bravo Second Centre"]


def test_the_pdf_export_shows_chinese_names(client_for: SignedIn) -> None:
    from pypdf import PdfReader

    response = client_for(Role.AGENCY_ADMIN, "zh-hant").get(
        reverse("performance:dashboard_export_pdf"), {"year": 2025}
    )
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    flat = "".join(text.replace("\x00", "").split())
    assert "甲中心" in flat and "甲機構" in flat
    assert "乙秘密中心" not in flat
    fonts = [
        font.get_object()
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()  # type: ignore[index]
    ]
    assert any("NotoSansTC" in str(f.get("/BaseFont")) and "/ToUnicode" in f for f in fonts)


def test_the_unit_view_exports_too(client_for: SignedIn, sector: Sector) -> None:
    client = client_for(Role.UNIT_SUPERVISOR, "en")
    query = {"view": "unit", "unit": sector.world.unit_a.pk, "year": 2025}
    xlsx = client.get(reverse("performance:dashboard_export_xlsx"), query)
    pdf = client.get(reverse("performance:dashboard_export_pdf"), query)
    assert xlsx.status_code == pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


# --- Alerts and plans ---------------------------------------------------------------------------


@pytest.fixture
def own_alert(sector: Sector) -> Alert:
    return Alert.objects.create(
        unit=sector.world.unit_a,
        fiscal_year=2025,
        kind=AlertKind.BELOW_STANDARD,
        indicator=sector.definition.indicators["new_cases"],
        subject="new_cases",
        detail={"agreed": "100.0000", "actual": "55.0000"},
    )


def test_alerts_are_listed_in_scope(client_for: SignedIn, own_alert: Alert, sector: Sector) -> None:
    mine = body(client_for(Role.AGENCY_ADMIN, "en").get(reverse("performance:alert_list")))
    assert "Agency A Centre" in mine and "Bravo" not in mine
    everyone = body(client_for(Role.SWD_SUBVENTIONS, "en").get(reverse("performance:alert_list")))
    assert "Agency A Centre" in everyone and "Bravo Hidden Centre" in everyone
    resolved = client_for(Role.SWD_SUBVENTIONS, "en").get(
        reverse("performance:alert_list"), {"status": "resolved", "kind": "forecast_miss"}
    )
    assert resolved.status_code == 200


def test_a_supervisor_starts_a_siap_from_an_alert(
    client_for: SignedIn, own_alert: Alert, sector: Sector
) -> None:
    client = client_for(Role.UNIT_SUPERVISOR, "en")
    page = body(client.get(reverse("performance:alert_detail", args=[own_alert.pk])))
    assert "Start a SIAP" in page
    response = client.post(reverse("performance:alert_siap_start", args=[own_alert.pk]))
    plan = ImprovementPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("performance:siap_detail", args=[plan.pk])
    own_alert.refresh_from_db()
    assert own_alert.improvement_plan == plan
    again = client.get(reverse("performance:alert_detail", args=[own_alert.pk]))
    assert "Start a SIAP" not in body(again)


def test_a_worker_or_swd_cannot_start_a_siap(
    client_for: SignedIn, own_alert: Alert, sector: Sector
) -> None:
    for role in (Role.FRONTLINE_WORKER, Role.SWD_SUBVENTIONS):
        client = client_for(role, "en")
        page = body(client.get(reverse("performance:alert_detail", args=[own_alert.pk])))
        assert "Start a SIAP" not in page
        response = client.post(reverse("performance:alert_siap_start", args=[own_alert.pk]))
        assert response.status_code == 403
    assert not ImprovementPlan.objects.exists()


def _start(client_for: SignedIn, alert: Alert) -> ImprovementPlan:
    client_for(Role.UNIT_SUPERVISOR, "en").post(
        reverse("performance:alert_siap_start", args=[alert.pk])
    )
    return ImprovementPlan.objects.get()


HTMX = {"HX-Request": "true", "HX-Target": "siap-body"}


def test_a_siap_from_draft_to_closed_through_the_pages(
    client_for: SignedIn, own_alert: Alert, sector: Sector
) -> None:
    plan = _start(client_for, own_alert)
    agency = client_for(Role.UNIT_SUPERVISOR, "en")
    url = lambda name: reverse(f"performance:siap_{name}", args=[plan.pk])  # noqa: E731

    saved = agency.post(
        url("update"), {"version": 1, "analysis": "Two posts vacant."}, headers=HTMX
    )
    assert saved.status_code == 200
    assert 'id="siap-body"' in body(saved) and "<html" not in body(saved)
    assert "The reasons have been saved." in body(saved)

    due = (timezone.localdate() + timedelta(days=14)).isoformat()
    added = agency.post(
        url("action_add"),
        {
            "new-version": 2,
            "new-description": "Recruit",
            "new-owner": "Centre head",
            "new-due_on": due,
        },
    )
    assert added.status_code == 302
    action = plan.actions.get()

    editing = agency.get(url("action_update"), {"action": action.pk}, headers=HTMX)
    assert 'name="edit-description"' in body(editing)
    changed = agency.post(
        url("action_update"),
        {
            "edit-version": 3,
            "edit-action": action.pk,
            "edit-description": "Recruit two",
            "edit-owner": "Centre head",
            "edit-milestone": "Advertised",
            "edit-due_on": due,
        },
        headers=HTMX,
    )
    assert changed.status_code == 200 and "Recruit two" in body(changed)

    submitted = agency.post(url("submit"), {"version": 4})
    assert submitted.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.SUBMITTED

    swd = client_for(Role.SWD_SUBVENTIONS, "en")
    page = body(swd.get(url("detail")))
    assert "Record the review" in page and "Save the reasons" not in page
    refused = swd.post(url("review"), {"version": 5, "decision": "return", "comments": ""})
    assert refused.status_code == 200 and "Say what the agency should change." in body(refused)
    accepted = swd.post(url("review"), {"version": 5, "decision": "accept", "comments": "Good."})
    assert accepted.status_code == 302

    done = agency.post(url("action_complete"), {"version": 6, "action": action.pk}, headers=HTMX)
    assert done.status_code == 200
    closed = swd.post(url("close"), {"version": 7}, headers=HTMX)
    assert closed.status_code == 200 and "The plan has been closed" in body(closed)
    plan.refresh_from_db()
    own_alert.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED and own_alert.status == "resolved"
    history = body(swd.get(url("detail")))
    assert "History" in history and "changed" in history
    # The fields' names begin the lines of the history, capitalised ("Milestone: Advertised").
    assert "Milestone: Advertised" in history and "Owner: Centre head" in history


def test_a_stale_page_gets_a_conflict_with_the_current_values(
    client_for: SignedIn, own_alert: Alert
) -> None:
    plan = _start(client_for, own_alert)
    agency = client_for(Role.AGENCY_ADMIN, "en")
    url = reverse("performance:siap_update", args=[plan.pk])
    assert agency.post(url, {"version": 1, "analysis": "First"}).status_code == 302
    stale = agency.post(url, {"version": 1, "analysis": "Mine"}, headers=HTMX)
    assert stale.status_code == 409
    html = body(stale)
    assert "This record was changed by someone else" in html
    assert "First" in html and "Mine" in html  # theirs in the table, mine kept in the form
    assert 'name="version" value="2"' in html  # saving again applies mine


def test_the_plan_pages_answer_in_both_languages(
    client_for: SignedIn, own_alert: Alert, sector: Sector
) -> None:
    plan = _start(client_for, own_alert)
    for language, name in (("zh-hant", "甲中心"), ("en", "Agency A Centre")):
        client = client_for(Role.AGENCY_ADMIN, language)
        for url in (
            reverse("performance:siap_list"),
            reverse("performance:siap_detail", args=[plan.pk]),
            reverse("performance:alert_detail", args=[own_alert.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 200 and name in body(response), url


def test_another_agency_does_not_see_our_plan(
    client_for: SignedIn, own_alert: Alert, sector: Sector
) -> None:
    plan = _start(client_for, own_alert)
    bravo = sign_in(Client(), sector.world.admin_b)
    assert bravo.get(reverse("performance:siap_detail", args=[plan.pk])).status_code == 404
    assert "Agency A Centre" not in body(bravo.get(reverse("performance:siap_list")))
