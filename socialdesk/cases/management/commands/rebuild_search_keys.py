"""Re-index every person's search keys (after the text analysis changed; see ADR 0002)."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from socialdesk.cases.models import ServiceUser
from socialdesk.cases.services.search import search_keys_rebuild


class Command(BaseCommand):
    help = "Rebuild the search keys of every service user."

    def handle(self, *args: Any, **options: Any) -> None:
        done = 0
        people = ServiceUser.objects.filter(merged_into__isnull=True).order_by("pk")
        for person in people.iterator(chunk_size=1000):
            with transaction.atomic():
                search_keys_rebuild(person)
            done += 1
            if done % 10000 == 0:
                self.stdout.write(f"{done} people re-indexed")
        self.stdout.write(f"Search keys rebuilt for {done} people.")
