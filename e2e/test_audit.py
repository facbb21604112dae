"""The audit trail end to end: a read and a change by an agency administrator appear in the
privacy officer's audit log and in its CSV export (a background job polled with htmx)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Locator, Page, Request, expect

from e2e.conftest import NewPage
from e2e.helpers import Accessibility, path_of, screenshot, signed_in

NEW_PHONE = "39876543"


def _row(page: Page, *texts: str | re.Pattern[str]) -> Locator:
    rows = page.locator("table.audit tbody tr")
    for text in texts:
        rows = rows.filter(has_text=text)
    return rows


def test_reads_and_changes_are_in_the_audit_log_and_its_export(new_page: NewPage) -> None:
    a11y = Accessibility()

    # 1. The agency administrator opens a staff record (a read) and changes the work phone.
    admin = new_page()
    with signed_in(admin, "agencyadmin", "en"):
        admin.goto("/staff/?q=worker")
        row = admin.locator("tbody tr").filter(
            has=admin.locator("td:nth-child(2)", has_text=re.compile(r"^\s*worker\s*$"))
        )
        expect(row).to_have_count(1)
        row.locator("a").first.click()
        admin.wait_for_url(re.compile(r"/staff/\d+/$"))
        staff_id = path_of(admin).strip("/").split("/")[-1]

        admin.locator("main a.button-primary", has_text="Edit").click()
        admin.wait_for_url(f"**/staff/{staff_id}/edit/")
        old_phone = admin.input_value("#id_phone")
        assert old_phone != NEW_PHONE
        admin.fill("#id_phone", NEW_PHONE)
        with admin.expect_navigation():
            admin.locator("main form button[type=submit]").click()
        assert path_of(admin) == f"/staff/{staff_id}/"
        expect(admin.locator(".messages")).to_contain_text("saved")
        expect(admin.locator("main")).to_contain_text(NEW_PHONE)

    # 2. The privacy officer finds both entries.
    privacy = new_page()
    with signed_in(privacy, "privacy", "en"):
        privacy.goto("/privacy/audit/")
        privacy.fill("#id_user", "agencyadmin")
        with privacy.expect_navigation():
            privacy.locator("form.filters button[type=submit]:not([formaction])").click()
        assert "user=agencyadmin" in privacy.url

        record = re.compile(rf"#{staff_id}(?!\d)")
        read = _row(privacy, "Read", record)
        expect(read.first).to_be_visible()
        expect(read.first.locator("td").nth(1)).to_have_text("agencyadmin")

        update = _row(privacy, "Update", record, "phone")
        expect(update).to_have_count(1)
        change = update.locator("ul.changes li").filter(has_text="phone")
        expect(change).to_contain_text(f"{old_phone or '∅'} → {NEW_PHONE}")
        a11y.check(privacy, "audit log, filtered (en)")
        screenshot(privacy, "en-desktop-audit-log-filtered")

        # 3. Export the same search as CSV: a job page that polls until the file is ready.
        polls: list[str] = []

        def count_poll(request: Request) -> None:
            if "/jobs/" in request.url and request.headers.get("hx-request") == "true":
                polls.append(request.url)

        privacy.on("request", count_poll)
        with privacy.expect_navigation():
            privacy.get_by_role("button", name="Export CSV").click()
        assert re.fullmatch(r"/jobs/\d+/", path_of(privacy)), privacy.url
        finished_at_once = privacy.locator(".job-progress a[href$='/download/']").count() > 0
        print(f"job finished before the first render: {finished_at_once}")

        link = privacy.locator(".job-progress a[href$='/download/']")
        expect(link).to_be_visible(timeout=60_000)
        assert finished_at_once or polls, "the job page did not poll with htmx"
        print(f"htmx polls of the job page: {len(polls)}")
        expect(privacy.locator(".job-progress")).not_to_have_attribute("hx-get", re.compile(".*"))
        a11y.check(privacy, "job page, finished (en)")
        screenshot(privacy, "en-desktop-job-finished")

        with privacy.expect_download() as download_info:
            link.click()
        download = download_info.value
        assert download.suggested_filename.startswith("audit-log-")
        assert download.suggested_filename.endswith(".csv")
        content = Path(download.path()).read_bytes().decode("utf-8")

    assert content.startswith("\ufeff"), "the CSV should start with a BOM so that Excel reads UTF-8"
    rows = list(csv.DictReader(io.StringIO(content.lstrip("\ufeff"))))
    assert rows, content
    assert {r["user"] for r in rows} == {"agencyadmin"}  # the export kept the search
    changes = [
        r
        for r in rows
        if r["record_type"] == "accounts.user"
        and r["record_id"] == staff_id
        and NEW_PHONE in r["changes"]
    ]
    assert changes, f"no row with the phone change in the export:\n{content}"
    assert "phone" in changes[0]["changes"]
    reads = [
        r
        for r in rows
        if r["record_type"] == "accounts.user" and r["record_id"] == staff_id and not r["changes"]
    ]
    assert reads, "the export has no read of the staff record"

    a11y.assert_clean()
