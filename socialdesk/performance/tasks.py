"""Background tasks of service performance (Django's tasks API; the worker runs them). Both are
daily and safe to run more than once a day: alerts open once, reminders go once a day."""

from __future__ import annotations

from django.tasks import task

from .services.attainment import overdue_returns_check
from .services.improvement import siap_overdue_check


@task
def check_overdue_returns() -> int:
    """Open an alert for each return past its grace period (and resolve those submitted since);
    returns the number of alerts opened."""
    return overdue_returns_check()


@task
def check_overdue_siaps() -> int:
    """Remind supervisors and agency administrators of overdue plans and actions; returns the
    number of reminders sent."""
    return siap_overdue_check()
