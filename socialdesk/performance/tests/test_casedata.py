"""Returns pre-filled from case data: the suggested counts of cases served, opened and closed in
the period, and the drill-down to the cases behind a figure, within the viewer's need-to-know."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from socialdesk.accounts.models import User
from socialdesk.cases.models import CaseStatus
from socialdesk.cases.tests.factories import CaseFactory, ServiceUserFactory
from socialdesk.core.tests.world import World, sign_in
from socialdesk.performance.models import ReturnValue
from socialdesk.performance.services.returns import return_get_or_create

from .conftest import Definition

Q1 = (date(2025, 4, 1), date(2025, 6, 30))


@pytest.fixture
def counted_cases(world: World, worker: User, definition: Definition) -> dict[str, int]:
    """unit_a's cases around 2025-26 Q1: two served (one opened in it), one closed in it, one
    opened after it; one of NGO B's unit. The worker holds all of unit_a's but one."""
    definition.indicators["cases_served"].case_source = "cases_served"
    definition.indicators["cases_served"].save()
    definition.indicators["new_cases"].case_source = "cases_opened"
    definition.indicators["new_cases"].save()
    unit = world.unit_a

    def case(opened: date, closed: date | None = None, mine: bool = True) -> None:
        CaseFactory(
            person=ServiceUserFactory(registered_unit=unit),
            unit=unit,
            opened_on=opened,
            opened_by=worker,
            closed_on=closed,
            status=CaseStatus.CLOSED if closed else CaseStatus.OPEN,
            workers=[worker] if mine else [],
        )

    case(date(2024, 12, 1))  # served, still open
    case(date(2025, 5, 2))  # served, opened in Q1
    case(date(2024, 10, 1), date(2025, 5, 30), mine=False)  # served, closed in Q1
    case(date(2025, 8, 1))  # after Q1
    case(date(2024, 1, 1), date(2025, 3, 1))  # closed before Q1
    CaseFactory(
        person=ServiceUserFactory(),
        unit=world.unit_b,
        opened_on=date(2025, 5, 1),
        opened_by=world.staff_b,
    )
    return {"cases_served": 3, "new_cases": 1}


def test_a_new_return_suggests_the_counts_from_case_data_without_filling_them_in(
    worker: User, definition: Definition, counted_cases: dict[str, int]
) -> None:
    statistical_return = return_get_or_create(
        user=worker, unit_id=definition.agreement.unit_id, period=definition.periods[0]
    )
    figures = {
        v.indicator.code: v
        for v in ReturnValue.objects.filter(statistical_return=statistical_return, category="")
    }
    assert figures["cases_served"].suggested == Decimal(3)
    assert figures["new_cases"].suggested == Decimal(1)
    assert figures["cases_served"].value is None  # the unit confirms it
    assert "satisfied_pct" not in figures  # no case source


def test_the_drill_down_lists_only_the_cases_the_viewer_may_see_and_audits_them(
    world: World, worker: User, definition: Definition, counted_cases: dict[str, int]
) -> None:
    statistical_return = return_get_or_create(
        user=worker, unit_id=world.unit_a.pk, period=definition.periods[0]
    )
    url = reverse("performance:return_cases", args=[statistical_return.pk, "cases_served"])
    before = LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count()

    page = sign_in(Client(), worker).get(url)

    assert page.status_code == 200
    body = page.content.decode()
    assert body.count('href="/cases/') >= 2
    assert "1 of them is not shown" in body or "其中 1" in body
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).count() == before + 2


def test_agency_and_swd_staff_get_the_count_only(
    world: World, swd: User, worker: User, definition: Definition, counted_cases: dict[str, int]
) -> None:
    statistical_return = return_get_or_create(
        user=worker, unit_id=world.unit_a.pk, period=definition.periods[0]
    )
    url = reverse("performance:return_cases", args=[statistical_return.pk, "cases_opened"])
    page = sign_in(Client(), swd).get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'href="/cases/' not in body


def test_an_unknown_source_is_not_found(
    world: World, worker: User, definition: Definition, counted_cases: dict[str, int]
) -> None:
    statistical_return = return_get_or_create(
        user=worker, unit_id=world.unit_a.pk, period=definition.periods[0]
    )
    url = reverse("performance:return_cases", args=[statistical_return.pk, "people"])
    assert sign_in(Client(), worker).get(url).status_code == 404


def test_the_return_page_shows_each_suggestion_beside_its_figure_with_the_cases_behind_it(
    world: World, worker: User, definition: Definition, counted_cases: dict[str, int]
) -> None:
    statistical_return = return_get_or_create(
        user=worker, unit_id=world.unit_a.pk, period=definition.periods[0]
    )
    page = sign_in(Client(), worker).get(
        reverse("performance:return_detail", args=[statistical_return.pk])
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("個案資料建議數字：") == 2
    for source in ("cases_served", "cases_opened"):
        cases_url = reverse("performance:return_cases", args=[statistical_return.pk, source])
        assert f'href="{cases_url}"' in body
    assert "請輸入以確認" in body  # the worker may edit: the suggestion is not the figure
