"""Sign-in, each role's dashboard, sign-out, language preference and two-factor enrolment."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.conftest import NewPage, Server
from e2e.helpers import (
    DEMO_USERS,
    Accessibility,
    heading,
    html_lang,
    login,
    logout,
    path_of,
    screenshot,
    set_language,
    totp,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_fresh_visit_goes_to_the_login_page_in_traditional_chinese(page: Page) -> None:
    response = page.goto("/")
    assert response is not None and response.ok
    assert path_of(page) == "/accounts/login/"
    assert "next=/" in page.url
    assert html_lang(page) == "zh-Hant"
    assert "登入" in page.locator("main").inner_text()
    assert (
        page.locator(".lang-switch button[value='zh-hant']").get_attribute("aria-pressed") == "true"
    )


def test_each_role_lands_on_its_own_dashboard(page: Page) -> None:
    chinese_headings: dict[str, str] = {}
    for username, (role, english_heading) in DEMO_USERS.items():
        login(page, username)
        assert path_of(page) == "/", f"{username} landed on {page.url}"
        assert html_lang(page) == "zh-Hant"
        zh = heading(page)
        assert zh, f"{username}: the dashboard has no heading"
        assert CJK.search(zh), f"{username}: dashboard heading {zh!r} is not in Chinese"

        # The heading names the role: compare with the English wording, then switch back.
        set_language(page, "en")
        assert heading(page) == english_heading, username
        set_language(page, "zh-hant")
        assert heading(page) == zh

        if role in chinese_headings:
            assert chinese_headings[role] == zh
        chinese_headings[role] = zh
        logout(page)

    distinct = set(chinese_headings.values())
    assert len(distinct) == len(chinese_headings) == 7, chinese_headings


def test_signed_out_user_cannot_reach_the_dashboard(page: Page) -> None:
    login(page, "finance")
    logout(page)
    page.goto("/units/")
    assert path_of(page) == "/accounts/login/"


def test_language_choice_is_remembered_after_signing_out_and_in(new_page: NewPage) -> None:
    page = new_page()
    login(page, "supervisor")
    assert html_lang(page) == "zh-Hant"
    set_language(page, "en")
    assert heading(page) == "Unit supervisor dashboard"
    expect(page.locator(".lang-switch button[value='en']")).to_have_attribute(
        "aria-pressed", "true"
    )

    logout(page)
    assert html_lang(page) == "en"  # the login page follows the language cookie
    expect(page.locator("main h1")).to_have_text("Sign in to SocialDesk")
    login(page, "supervisor")
    assert html_lang(page) == "en"

    # A different browser (no cookie): the account itself remembers the choice.
    other = new_page()
    other.goto("/")
    assert html_lang(other) == "zh-Hant"
    login(other, "supervisor")
    assert html_lang(other) == "en"
    assert heading(other) == "Unit supervisor dashboard"

    # And back to Chinese, which is remembered the same way.
    set_language(other, "zh-hant")
    assert CJK.search(heading(other))
    logout(other)
    assert html_lang(other) == "zh-Hant"
    login(other, "supervisor")
    assert html_lang(other) == "zh-Hant"
    third = new_page()
    login(third, "supervisor")
    assert html_lang(third) == "zh-Hant"


def test_two_factor_enrolment_then_verification(server: Server, new_page: NewPage) -> None:
    """A non-demo frontline worker must enrol an authenticator before seeing anything."""
    password = "Enrol-Test-2026-pass"
    server.manage(
        "shell",
        "-c",
        "from socialdesk.accounts.models import User\n"
        "from socialdesk.core.models import Membership, Organisation, Role, ServiceUnit\n"
        "user = User.objects.create_user('enrolee', password='" + password + "', "
        "first_name='Wing Sze', last_name='Tam', display_name_zh='譚詠詩', is_demo=False)\n"
        "Membership.objects.create(user=user, organisation=Organisation.objects.get(code='kcss'), "
        "service_unit=ServiceUnit.objects.get(code='kcss-ifsc-sha-tin'), "
        "role=Role.FRONTLINE_WORKER)\n",
    )
    a11y = Accessibility()
    page = new_page()
    login(page, "enrolee", password)
    assert path_of(page) == "/accounts/2fa/setup/"
    expect(page.locator(".messages")).to_be_visible()
    page.goto("/units/")  # nothing else opens before enrolment
    assert path_of(page) == "/accounts/2fa/setup/"
    api = page.request.get("/api/v1/me")
    assert api.status == 401

    a11y.check(page, "2FA setup (zh-Hant)")
    screenshot(page, "zh-desktop-2fa-setup")
    set_language(page, "en")
    a11y.check(page, "2FA setup (en)")
    screenshot(page, "en-desktop-2fa-setup")
    set_language(page, "zh-hant")

    secret = page.locator("#totp-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret), secret
    expect(page.locator("figure.qr svg")).to_be_visible()
    # The whole code is drawn: an SVG with a fixed size but no viewBox is cropped, not scaled,
    # when CSS makes it smaller, which cuts off finder patterns and makes it unscannable.
    qr = page.locator("figure.qr svg").evaluate(
        """svg => ({
            viewBox: svg.getAttribute('viewBox'),
            width: Number(svg.getAttribute('width') || 0),
            rendered: svg.getBoundingClientRect().width,
        })"""
    )
    assert qr["viewBox"] or qr["rendered"] >= qr["width"], f"QR code clipped: {qr}"
    assert qr["rendered"] >= 120, f"QR code too small to scan: {qr}"

    page.fill("#id_token", "000000" if totp(secret) != "000000" else "111111")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_token")).to_have_attribute("aria-invalid", "true")
    assert path_of(page) == "/accounts/2fa/setup/"
    # django-otp throttles the device for a second after a wrong code; a person is slower.
    page.wait_for_timeout(2_000)

    page.fill("#id_token", totp(secret))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert path_of(page) == "/"
    assert heading(page)
    expect(page.locator(".messages")).to_be_visible()
    page.goto("/units/")
    assert path_of(page) == "/units/"
    logout(page)

    # Next sign-in asks for a code. A code for the next 30-second step is within the allowed
    # drift and, unlike the one just used, has not been spent.
    login(page, "enrolee", password)
    assert path_of(page) == "/accounts/2fa/verify/"
    a11y.check(page, "2FA verify (zh-Hant)")
    set_language(page, "en")
    a11y.check(page, "2FA verify (en)")
    screenshot(page, "en-desktop-2fa-verify")
    page.fill("#id_token", totp(secret, steps_ahead=1))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert path_of(page) == "/"
    assert heading(page) == "Frontline worker dashboard"
    set_language(page, "zh-hant")
    a11y.assert_clean()
