"""Background tasks of case management (Django's tasks API; the worker runs them)."""

from __future__ import annotations

from django.tasks import task

from .services.reminders import reminders_send


@task
def send_daily_reminders() -> int:
    """Run once a day: `SOCIALDESK_SCHEDULE` enqueues it at 07:15 (`manage.py run_scheduler`);
    `manage.py send_reminders` does the same by hand or from cron."""
    return reminders_send()
