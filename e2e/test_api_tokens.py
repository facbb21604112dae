"""Personal API tokens: created in the browser, shown once, usable by another system, revocable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import APIRequestContext, Dialog, Page, Playwright, expect

from e2e.conftest import Server
from e2e.helpers import Accessibility, path_of, screenshot, signed_in


@pytest.fixture
def api(playwright: Playwright, server: Server) -> Iterator[APIRequestContext]:
    """A client with no browser session: only the token authenticates it."""
    context = playwright.request.new_context(base_url=server.base_url)
    yield context
    context.dispose()


def _me(api: APIRequestContext, secret: str) -> tuple[int, dict[str, Any]]:
    response = api.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    return response.status, response.json()


def test_token_is_shown_once_works_and_stops_working_when_revoked(
    page: Page, api: APIRequestContext
) -> None:
    a11y = Accessibility()
    with signed_in(page, "finance", "en"):
        page.goto("/")
        page.locator(".site-nav a[href='/accounts/tokens/']").click()
        assert path_of(page) == "/accounts/tokens/"
        a11y.check(page, "API tokens, empty (en)")

        page.fill("#id_name", "Finance reporting export")
        page.select_option("#id_expires_in_days", "30")
        with page.expect_navigation():
            page.locator("main form button[type=submit]", has_text="Create token").click()
        secret_box = page.locator("#new-token")
        expect(secret_box).to_be_visible()
        secret = secret_box.inner_text().strip()
        assert secret.startswith("sd_") and len(secret) > 30, secret
        expect(page.locator("[data-copy-target='new-token']")).to_be_visible()  # JS revealed it
        row = page.locator("main table tbody tr", has_text="Finance reporting export")
        expect(row).to_have_count(1)
        expect(row).to_contain_text(secret[:9])
        a11y.check(page, "API tokens, new secret shown (en)")
        screenshot(page, "en-desktop-api-token-created")

        status, body = _me(api, secret)
        assert status == 200, body
        assert body["username"] == "finance"
        assert [r["role"] for r in body["roles"]] == ["agency_finance"]
        assert api.get("/api/v1/me").status == 401
        assert _me(api, secret[:-2] + "xx")[0] == 401

        # Shown once: reloading the page does not show it again.
        page.goto("/accounts/tokens/")
        expect(page.locator("#new-token")).to_have_count(0)
        assert secret not in page.content()

        # Cancelling the confirmation keeps the token.
        page.once("dialog", lambda dialog: dialog.dismiss())
        row.get_by_role("button", name="Revoke").click()
        page.wait_for_timeout(500)
        assert path_of(page) == "/accounts/tokens/"
        expect(row.get_by_role("button", name="Revoke")).to_be_visible()
        assert _me(api, secret)[0] == 200

        messages: list[str] = []

        def accept(dialog: Dialog) -> None:
            messages.append(dialog.message)
            dialog.accept()

        page.once("dialog", accept)
        with page.expect_navigation():
            row.get_by_role("button", name="Revoke").click()
        assert messages and "Revoke" in messages[0]
        expect(page.locator(".messages")).to_contain_text("Finance reporting export")
        expect(row).to_contain_text("Revoked")
        expect(row.get_by_role("button", name="Revoke")).to_have_count(0)
        a11y.check(page, "API tokens, revoked (en)")

        status, body = _me(api, secret)
        assert status == 401, body
    a11y.assert_clean()
