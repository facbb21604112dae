"""Background tasks of case management (Django's tasks API; the worker runs them)."""

from __future__ import annotations

from django.tasks import task

from .services.reminders import reminders_send


@task
def send_daily_reminders() -> int:
    """Run once a day (cron or a scheduler calling `manage.py send_reminders`)."""
    return reminders_send()
