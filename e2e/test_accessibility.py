"""Every page in both languages: axe-core finds no serious or critical violation, the page fits a
phone's width, and full-page screenshots (desktop and phone) are saved to e2e/artifacts/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.conftest import DESKTOP, NewPage
from e2e.helpers import (
    DEMO_USERS,
    PHONE,
    Accessibility,
    horizontal_overflow,
    html_lang,
    overflowing_elements,
    path_of,
    screenshot,
    set_language,
    signed_in,
)

LANGUAGES = {"zh-hant": "zh", "en": "en"}


class Tour:
    """Visits pages: axe-core at desktop width, then screenshots at desktop and phone width."""

    def __init__(self, page: Page, language: str) -> None:
        self.page = page
        self.tag = LANGUAGES[language]
        self.lang = "zh-Hant" if language == "zh-hant" else "en"
        self.a11y = Accessibility()
        self.overflow: dict[str, str] = {}

    def visit(self, label: str, url: str | None = None, status: int = 200) -> None:
        page = self.page
        if url is not None:
            response = page.goto(url)
            assert response is not None and response.status == status, (
                f"{label}: {url} answered {response and response.status}"
            )
        assert html_lang(page) == self.lang, f"{label}: html lang is {html_lang(page)}"
        self.here(label)

    def here(self, label: str) -> None:
        """Check the page as it is now."""
        page = self.page
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
        self.a11y.check(page, f"{label} ({self.tag})")
        screenshot(page, f"{self.tag}-desktop-{name}")
        page.set_viewport_size(PHONE)
        try:
            extra = horizontal_overflow(page)
            if extra:
                culprits = ", ".join(overflowing_elements(page))
                self.overflow[label] = f"{extra}px too wide at 390px: {culprits}"
            screenshot(page, f"{self.tag}-phone-{name}")
        finally:
            page.set_viewport_size(DESKTOP)

    def finish(self, must_fit: list[str]) -> None:
        if self.overflow:
            print("Pages wider than a phone screen:")
            for label, what in self.overflow.items():
                print(f"  {label}: {what}")
        self.a11y.assert_clean()
        too_wide = {label: self.overflow[label] for label in must_fit if label in self.overflow}
        assert not too_wide, f"Horizontal overflow at phone width: {too_wide}"


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_page_is_accessible_and_fits_a_phone(new_page: NewPage, language: str) -> None:
    page = new_page()
    tour = Tour(page, language)

    # Signed out: the login page (also with an error), and a page that does not exist.
    page.goto("/accounts/login/")
    if language != "zh-hant":
        set_language(page, language)  # remembered in a cookie until sign-in
    tour.visit("login")
    page.fill("#id_username", "nobody-at-all")
    page.fill("#id_password", "not the password")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".error-summary")).to_be_visible()
    tour.here("login with error")
    tour.visit("404 signed out", "/no-such-page/", status=404)

    dashboards = []
    for username, (role, _heading) in DEMO_USERS.items():
        if username == "worker2":
            continue  # the same dashboard as worker's
        with signed_in(page, username, language):
            assert path_of(page) == "/"
            label = f"dashboard {role}"
            tour.visit(label)
            dashboards.append(label)

    with signed_in(page, "agencyadmin", language):
        tour.visit("unit list", "/units/")
        page.locator("#unit-results tbody tr a").first.click()
        page.wait_for_url(re.compile(r"/units/\d+/$"))
        tour.visit("unit detail")
        page.locator("main a.button-primary[href$='/edit/']").click()
        page.wait_for_url(re.compile(r"/units/\d+/edit/$"))
        tour.visit("unit edit")
        page.fill("#id_phone", "12")
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        expect(page.locator(".error-summary")).to_be_visible()
        tour.here("unit edit with error")

        tour.visit("staff list", "/staff/")
        page.locator("main tbody tr a").first.click()
        page.wait_for_url(re.compile(r"/staff/\d+/$"))
        tour.visit("staff detail")
        page.locator("main a.button-primary[href$='/edit/']").click()
        page.wait_for_url(re.compile(r"/staff/\d+/edit/$"))
        tour.visit("staff edit")

        tour.visit("profile", "/accounts/profile/")
        tour.visit("password change", "/accounts/password/")
        tour.visit("api tokens", "/accounts/tokens/")

    with signed_in(page, "privacy", language):
        tour.visit("audit log", "/privacy/audit/")
        with page.expect_navigation():
            page.locator("form.filters button[formaction]").click()
        assert re.fullmatch(r"/jobs/\d+/", path_of(page))
        expect(page.locator(".job-progress a[href$='/download/']")).to_be_visible(timeout=60_000)
        tour.visit("job finished")

    with signed_in(page, "worker", language):
        tour.visit("403 audit log", "/privacy/audit/", status=403)
        tour.visit("404 signed in", "/units/999999/", status=404)

    tour.finish(must_fit=[*dashboards, "unit list"])
