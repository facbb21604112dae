"""Two people editing the same service unit: the second save is refused, the first is kept."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import NewPage
from e2e.helpers import Accessibility, login, path_of, screenshot

UNIT_CODE = "kcss-nec-sai-kung"


def _open_unit_edit(page: Page) -> str:
    """From the unit list, find the unit by its code and open its edit page; returns its id."""
    page.goto(f"/units/?q={UNIT_CODE}")
    links = page.locator("#unit-results tbody tr a")
    expect(links).to_have_count(1)
    links.first.click()
    page.wait_for_url(re.compile(r"/units/\d+/$"))
    unit_id = path_of(page).strip("/").split("/")[-1]
    page.locator("main a.button-primary[href$='/edit/']").click()
    page.wait_for_url(f"**/units/{unit_id}/edit/")
    return unit_id


def test_second_save_of_a_stale_copy_is_refused(new_page: NewPage) -> None:
    first, second = new_page(), new_page()
    login(first, "agencyadmin")
    login(second, "agencyadmin")
    unit_id = _open_unit_edit(first)
    assert _open_unit_edit(second) == unit_id

    first.fill("#id_phone", "27920001")
    with first.expect_navigation():
        first.locator("main form button[type=submit]").click()
    assert path_of(first) == f"/units/{unit_id}/"
    expect(first.locator(".messages")).to_be_visible()
    expect(first.locator("main dl")).to_contain_text("27920001")

    second.fill("#id_phone", "27920002")
    with second.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith(f"/units/{unit_id}/edit/")
    ) as response_info:
        second.locator("main form button[type=submit]").click()
    assert response_info.value.status == 409
    second.wait_for_load_state()
    expect(second.locator("#conflict-heading")).to_be_visible()
    expect(second.locator(".error-summary")).to_be_visible()
    assert second.input_value("#id_phone") == "27920002"  # what they typed is not lost
    a11y = Accessibility()
    a11y.check(second, "unit edit, conflict (zh-Hant)")
    screenshot(second, "zh-desktop-unit-edit-conflict")

    # The first save stands.
    first.goto(f"/units/{unit_id}/")
    expect(first.locator("main dl")).to_contain_text("27920001")
    expect(first.locator("main dl")).not_to_contain_text("27920002")

    # Having been warned, the second editor may save again: now their value is applied.
    with second.expect_navigation():
        second.locator("main form button[type=submit]").click()
    assert path_of(second) == f"/units/{unit_id}/"
    expect(second.locator("main dl")).to_contain_text("27920002")

    # The first editor, opening the form again, starts from that value.
    first.goto(f"/units/{unit_id}/edit/")
    assert first.input_value("#id_phone") == "27920002"
    a11y.assert_clean()


def test_unit_list_filters_as_you_type(page: Page) -> None:
    """The search box updates the results with htmx (no full page load) and keeps the URL."""
    login(page, "swdofficer")
    page.goto("/units/")
    rows = page.locator("#unit-results tbody tr")
    expect(rows).to_have_count(16)
    page.evaluate("() => { window.__sameDocument = true; }")
    with page.expect_response(
        lambda r: "/units/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.fill("#id_q", "tuen-mun")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("屯門")
    assert page.evaluate("() => window.__sameDocument === true")  # no page load happened
    expect(page).to_have_url(re.compile(r"q=tuen-mun"))

    page.select_option("#id_type", "ifsc")
    page.fill("#id_q", "")
    expect(rows).to_have_count(4)
    page.reload()
    expect(page.locator("#id_type")).to_have_value("ifsc")
    expect(rows).to_have_count(4)
