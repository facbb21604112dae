"""Delete API idempotency keys older than 24 hours (also done on every idempotent write)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from socialdesk.api.idempotency import idempotency_keys_expire


class Command(BaseCommand):
    help = "Delete API idempotency keys (and the answers kept for them) older than 24 hours."

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = idempotency_keys_expire()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")
