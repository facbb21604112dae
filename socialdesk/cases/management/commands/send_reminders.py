"""Send the daily overdue alerts (run from cron once a day)."""

from typing import Any

from django.core.management.base import BaseCommand

from socialdesk.cases.services.reminders import reminders_send


class Command(BaseCommand):
    help = "Alert workers and supervisors about overdue case work."

    def handle(self, *args: Any, **options: Any) -> None:
        count = reminders_send()
        self.stdout.write(f"Overdue items alerted: {count}")
