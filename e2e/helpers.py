"""Steps shared by the browser tests: sign in and out, switch language, one-time codes, axe-core,
screenshots and layout checks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Page, ViewportSize, expect

DEMO_PASSWORD = "SocialDesk-demo-2026"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
AXE_SOURCE = (Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js").read_text(
    encoding="utf-8"
)
PHONE: ViewportSize = {"width": 390, "height": 844}

# Each demo login, its role and the English heading of the dashboard it lands on.
DEMO_USERS: dict[str, tuple[str, str]] = {
    "worker": ("frontline_worker", "Frontline worker dashboard"),
    "supervisor": ("unit_supervisor", "Unit supervisor dashboard"),
    "agencyadmin": ("agency_admin", "Agency administrator dashboard"),
    "finance": ("agency_finance", "Agency finance officer dashboard"),
    "privacy": ("privacy_officer", "Privacy officer dashboard"),
    "swdofficer": ("swd_subventions", "SWD subventions officer dashboard"),
    "sysadmin": ("system_admin", "System administrator dashboard"),
    "worker2": ("frontline_worker", "Frontline worker dashboard"),
}
HTML_LANG = {"zh-hant": "zh-Hant", "en": "en"}


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


def heading(page: Page) -> str:
    """The text of the page's (first) h1."""
    return page.locator("main h1").first.inner_text().strip()


def login(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form; leaves the page wherever the site sends the user."""
    if path_of(page) != "/accounts/login/":
        page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_password")).to_have_count(0)  # not back on the form with an error


def logout(page: Page) -> None:
    with page.expect_navigation():
        page.locator(".user-menu form button[type=submit]").click()
    assert path_of(page) == "/accounts/login/", page.url
    expect(page.locator(".user-menu")).to_have_count(0)


def set_language(page: Page, language: str) -> None:
    """Press the header's language button; for a signed-in user the choice is saved."""
    with page.expect_navigation():
        page.locator(f".lang-switch button[value='{language}']").click()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])


def totp(secret: str, *, steps_ahead: int = 0) -> str:
    """The six-digit RFC 6238 code (SHA-1, 30 s) for a base32 key as shown on the setup page."""
    key = base64.b32decode(secret.replace(" ", "").upper())
    counter = int(time.time()) // 30 + steps_ahead
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


# --- Accessibility -------------------------------------------------------------------------------


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """Run axe-core on the page (injected with evaluate: the CSP blocks added script tags)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(
        "async () => (await window.axe.run(document, {resultTypes: ['violations']})).violations"
    )


def _describe(label: str, url: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"{label} ({url}):"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:8]:
            target = json.dumps(node.get("target"), ensure_ascii=False)
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"      at {target}: {summary}")
            lines.append(f"         {node.get('html', '')[:200]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      … and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


@dataclass
class Accessibility:
    """Collects axe-core findings across pages; serious and critical ones fail the test."""

    checked: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    minor: list[str] = field(default_factory=list)

    def check(self, page: Page, label: str) -> None:
        violations = axe_violations(page)
        self.checked.append(label)
        serious = [v for v in violations if v.get("impact") in ("serious", "critical")]
        other = [v for v in violations if v not in serious]
        if serious:
            self.failures.append(_describe(label, page.url, serious))
        if other:
            self.minor.append(_describe(label, page.url, other))

    def assert_clean(self) -> None:
        if self.minor:
            print("axe-core: minor or moderate findings (not failing):")
            print("\n".join(self.minor))
        assert not self.failures, (
            "axe-core found serious or critical accessibility violations:\n"
            + "\n".join(self.failures)
        )


# --- Screenshots and layout ----------------------------------------------------------------------


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)
    return target


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return int(
        page.evaluate("() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")
    )


def overflowing_elements(page: Page) -> list[str]:
    """Elements whose right edge passes the viewport, to explain an overflow."""
    return page.evaluate(
        """() => {
            const width = window.innerWidth;
            const found = [];
            for (const el of document.querySelectorAll('body *')) {
                const box = el.getBoundingClientRect();
                if (box.right > width + 1 && box.width > 0) {
                    const id = el.id ? '#' + el.id : '';
                    const cls = el.className && typeof el.className === 'string'
                        ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
                    const right = Math.round(box.right);
                    found.push(`${el.tagName.toLowerCase()}${id}${cls} right=${right}`);
                }
            }
            return found.slice(0, 15);
        }"""
    )


def _restore_chinese_and_sign_out(page: Page) -> None:
    page.goto("/")
    if html_lang(page) != "zh-Hant":
        set_language(page, "zh-hant")
    logout(page)


@contextmanager
def signed_in(
    page: Page, username: str, language: str = "zh-hant", password: str = DEMO_PASSWORD
) -> Iterator[Page]:
    """Sign in and use `language`; afterwards the account's language is Chinese again (the demo
    default, which other tests expect) and the user is signed out."""
    login(page, username, password)
    if html_lang(page) != HTML_LANG[language]:
        set_language(page, language)
    try:
        yield page
    except BaseException:
        with suppress(Exception):
            _restore_chinese_and_sign_out(page)
        raise
    _restore_chinese_and_sign_out(page)
