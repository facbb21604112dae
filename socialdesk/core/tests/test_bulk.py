"""`rows_insert`: the same rows on PostgreSQL (array literals, unnest) and SQLite (bulk_create),
whatever the text holds, and upserts that update only the fields named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socialdesk.accounts.models import User
from socialdesk.core.bulk import rows_insert
from socialdesk.core.models import Notification, ScheduledRun

pytestmark = pytest.mark.django_db

AWKWARD = [
    'a "quoted", comma, {braced} text',
    'back\\slash and \\" both',
    "NULL",
    "",
    "中文 — 社福台\nsecond line",
    " spaces around ",
]


def test_text_of_any_kind_arrives_unchanged() -> None:
    user = User.objects.create_user(username="bulk-recipient", password="x")
    rows = [(user.pk, "bulk", title, f"body {n}") for n, title in enumerate(AWKWARD)]
    assert rows_insert(Notification, ["recipient_id", "kind", "title", "body"], rows) == len(rows)
    stored = list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("title", "body")
    )
    assert stored == [(title, f"body {n}") for n, title in enumerate(AWKWARD)]
    # Fields not given get their defaults; auto_now_add ones the time of the insert.
    assert set(Notification.objects.filter(recipient=user).values_list("link", flat=True)) == {""}
    assert Notification.objects.filter(recipient=user, created_at__isnull=True).count() == 0


def test_upsert_updates_only_the_fields_named() -> None:
    slot = datetime(2026, 11, 23, 7, 15, tzinfo=UTC)
    fields = ["job_name", "slot", "task_path", "manual"]
    rows_insert(
        ScheduledRun, fields, [("daily", slot, "a.b", False), ("weekly", slot, "c.d", True)]
    )
    rows_insert(
        ScheduledRun,
        fields,
        [("daily", slot, "changed", True), ("monthly", slot, 'e "f"', False)],
        unique_fields=["job_name", "slot"],
        update_fields=["manual"],
    )
    stored = {
        name: (path, manual)
        for name, path, manual in ScheduledRun.objects.values_list(
            "job_name", "task_path", "manual"
        )
    }
    assert stored == {
        "daily": ("a.b", True),  # manual updated, task_path kept
        "weekly": ("c.d", True),
        "monthly": ('e "f"', False),
    }
    assert ScheduledRun.objects.get(job_name="monthly").slot == slot


def test_nothing_to_insert() -> None:
    assert rows_insert(Notification, ["kind"], []) == 0
