"""Error pages: a frontline worker is refused the audit log and the admin (403); an unknown address
gets the 404 page. Both in the user's language, with the bilingual brand."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.helpers import html_lang, set_language, signed_in


def _expect_error_page(page: Page, url: str, status: int, lang: str) -> None:
    response = page.goto(url)
    assert response is not None
    assert response.status == status, f"{url}: {response.status}"
    assert page.url.endswith(url), f"{url} redirected to {page.url}"
    assert html_lang(page) == lang
    expect(page.locator(".error-code")).to_contain_text(str(status))
    expect(page.locator("main h1")).not_to_be_empty()
    expect(page.locator(".brand-zh")).to_have_text("社福台")
    expect(page.locator(".brand-en")).to_have_text("SocialDesk")
    expect(page.locator("main a[href='/']")).to_be_visible()


def test_frontline_worker_gets_403_and_unknown_pages_404(page: Page) -> None:
    with signed_in(page, "worker"):
        _expect_error_page(page, "/privacy/audit/", 403, "zh-Hant")
        _expect_error_page(page, "/admin/", 403, "zh-Hant")
        _expect_error_page(page, "/staff/", 403, "zh-Hant")
        _expect_error_page(page, "/no-such-page/", 404, "zh-Hant")
        page.goto("/privacy/audit/")
        zh_403 = page.locator("main h1").inner_text()

        page.goto("/")
        set_language(page, "en")
        _expect_error_page(page, "/privacy/audit/", 403, "en")
        expect(page.locator("main h1")).to_have_text("You do not have permission to open this page")
        assert page.locator("main h1").inner_text() != zh_403
        _expect_error_page(page, "/admin/", 403, "en")
        _expect_error_page(page, "/no-such-page/", 404, "en")
        expect(page.locator("main h1")).to_have_text("Page not found")

        # Starting an export directly (with a valid CSRF token) is refused as well.
        csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
        response = page.request.post(
            "/privacy/audit/export/", headers={"X-CSRFToken": csrf}, form={"user": ""}
        )
        assert response.status == 403
        assert "/jobs/" not in response.url


def test_anonymous_unknown_page_is_404_not_a_login_redirect(page: Page) -> None:
    _expect_error_page(page, "/no-such-page/", 404, "zh-Hant")
