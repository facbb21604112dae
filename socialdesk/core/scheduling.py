"""Periodic jobs: SOCIALDESK_SCHEDULE says which task to enqueue when, and `manage.py
run_scheduler` enqueues each due run exactly once (the task worker runs it), even when several
schedulers run against the same database."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, close_old_connections, connections, transaction
from django.tasks import Task
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import ScheduledRun

logger = logging.getLogger(__name__)

# How late a run may still be enqueued: a scheduler that was down at 07:15 and starts again
# before 08:15, or fires late on a busy machine, still sends that morning's reminders.
CATCH_UP = timedelta(hours=1)


@dataclass(frozen=True)
class ScheduleEntry:
    """One periodic job of SOCIALDESK_SCHEDULE: a django.tasks task and when to enqueue it."""

    name: str
    task_path: str
    cron: str  # minute hour day-of-month month day-of-week
    timezone: str

    @property
    def task(self) -> Task:
        return task_resolve(self.task_path)

    def trigger(self) -> CronTrigger:
        return CronTrigger.from_crontab(self.cron, timezone=ZoneInfo(self.timezone))


def task_resolve(path: str) -> Task:
    """The task object at a dotted path; ImproperlyConfigured when there is none."""
    try:
        task = import_string(path)
    except ImportError as error:
        raise ImproperlyConfigured(
            _("Scheduled task %(task)s cannot be imported: %(error)s")
            % {"task": path, "error": error}
        ) from error
    if not isinstance(task, Task):
        raise ImproperlyConfigured(
            _("%(task)s is not a task (decorate the function with @task).") % {"task": path}
        )
    return task


def _entry(name: str, raw: Mapping[str, Any]) -> ScheduleEntry:
    if "cron" in raw:
        cron = str(raw["cron"])
    elif "hour" in raw:
        cron = f"{raw.get('minute', 0)} {raw['hour']} * * {raw.get('day_of_week', '*')}"
    else:
        raise ImproperlyConfigured(
            _("Scheduled job %(name)s needs “cron” or “hour” and “minute”.") % {"name": name}
        )
    fields = cron.split()
    # APScheduler 3 counts day-of-week 0 as Monday, crontab as Sunday: allow only names.
    if len(fields) == 5 and any(c.isdigit() for c in fields[4]):
        raise ImproperlyConfigured(
            _("Scheduled job %(name)s: write the day of the week as mon–sun, not a number.")
            % {"name": name}
        )
    entry = ScheduleEntry(
        name=name,
        task_path=str(raw.get("task", "")),
        cron=cron,
        timezone=str(raw.get("timezone", settings.TIME_ZONE)),
    )
    try:
        entry.trigger()
    except (ValueError, ZoneInfoNotFoundError) as error:
        raise ImproperlyConfigured(
            _("Scheduled job %(name)s has an invalid schedule: %(error)s")
            % {"name": name, "error": error}
        ) from error
    return entry


def schedule_entries(config: Any = None) -> list[ScheduleEntry]:
    """SOCIALDESK_SCHEDULE (a list of entries with a "name", or a dict of entries by name),
    checked: ImproperlyConfigured names the first entry that is wrong."""
    if config is None:
        config = getattr(settings, "SOCIALDESK_SCHEDULE", [])
    items = (
        list(config.items())
        if isinstance(config, Mapping)
        else [(str(raw.get("name", "")), raw) for raw in config]
    )
    entries: list[ScheduleEntry] = []
    for name, raw in items:
        if not name or any(e.name == name for e in entries):
            raise ImproperlyConfigured(
                _("Every scheduled job needs a name of its own (got “%(name)s”).") % {"name": name}
            )
        entries.append(_entry(name, raw))
    return entries


def due_slot(entry: ScheduleEntry, now: datetime) -> datetime | None:
    """The latest time the job was due at, if that was no longer than CATCH_UP ago."""
    trigger = entry.trigger()
    slot = None
    candidate = trigger.get_next_fire_time(None, now - CATCH_UP)
    while candidate is not None and candidate <= now:
        slot = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate)
    return slot


def next_run(entry: ScheduleEntry, now: datetime) -> datetime | None:
    """When the job is next due after `now`."""
    return entry.trigger().get_next_fire_time(None, now + timedelta(microseconds=1))


@transaction.atomic
def scheduled_run_enqueue(
    *, entry: ScheduleEntry, slot: datetime, manual: bool = False
) -> ScheduledRun | None:
    """Enqueue the job's task for one slot unless a scheduler already did (then None).

    The guard row and the task's row (database backend) commit together: a run is either
    recorded and queued, or neither, and a second scheduler waits on the unique index and then
    finds the slot taken."""
    task = entry.task
    try:
        with transaction.atomic():
            run = ScheduledRun.objects.create(
                job_name=entry.name, slot=slot, task_path=entry.task_path, manual=manual
            )
    except IntegrityError:
        logger.info("Scheduled job %s for %s was already enqueued", entry.name, slot.isoformat())
        return None
    result = task.enqueue()
    run.task_result_id = str(result.id)
    run.save(update_fields=["task_result_id"])
    logger.info("Scheduled job %s for %s enqueued as %s", entry.name, slot.isoformat(), result.id)
    return run


def enqueue_due(entry: ScheduleEntry, *, now: datetime | None = None) -> ScheduledRun | None:
    """Enqueue the job's latest due run if no scheduler has yet."""
    slot = due_slot(entry, now or timezone.now())
    if slot is None:
        return None
    return scheduled_run_enqueue(entry=entry, slot=slot)


def _run_job(entry: ScheduleEntry) -> None:
    """What the scheduler calls in its thread: one job, with fresh database connections."""
    close_old_connections()
    try:
        enqueue_due(entry)
    except Exception:
        logger.exception("Scheduled job %s could not be enqueued", entry.name)
    finally:
        connections.close_all()


def scheduler_build(entries: list[ScheduleEntry]) -> BlockingScheduler:
    """A blocking APScheduler with one cron job per entry; a late run is enqueued once."""
    scheduler = BlockingScheduler(
        timezone=ZoneInfo(settings.TIME_ZONE),
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": int(CATCH_UP.total_seconds()),
        },
    )
    for entry in entries:
        scheduler.add_job(_run_job, entry.trigger(), args=[entry], id=entry.name, name=entry.name)
    return scheduler
