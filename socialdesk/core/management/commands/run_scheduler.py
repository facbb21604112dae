"""Enqueue the periodic jobs of SOCIALDESK_SCHEDULE when due (the task worker runs them)."""

from __future__ import annotations

import signal
import sys
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from socialdesk.core.models import ScheduledRun
from socialdesk.core.scheduling import (
    ScheduleEntry,
    enqueue_due,
    next_run,
    schedule_entries,
    scheduled_run_enqueue,
    scheduler_build,
    task_resolve,
)


def _when(moment: datetime | None, zone: str) -> str:
    return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M %Z}" if moment else "-"


class Command(BaseCommand):
    help = (
        "Run the scheduler: enqueue each job of SOCIALDESK_SCHEDULE when it is due, once even "
        "with several schedulers. --list shows the schedule, --once enqueues what is due and "
        "exits (for cron), --run NAME enqueues one job now."
    )

    def add_arguments(self, parser: Any) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--list", action="store_true", dest="show", help="List the jobs and their next run."
        )
        mode.add_argument("--once", action="store_true", help="Enqueue the due jobs and exit.")
        mode.add_argument("--run", metavar="NAME", help="Enqueue this job now and exit.")

    def handle(self, *args: Any, show: bool, once: bool, run: str | None, **options: Any) -> None:
        try:
            entries = schedule_entries()
            for entry in entries:  # fail now, not at 07:15, on a task that does not exist
                task_resolve(entry.task_path)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error
        if show:
            self.list_schedule(entries)
        elif run:
            self.run_now(entries, run)
        elif once:
            self.enqueue_due(entries)
        else:
            self.serve(entries)

    def list_schedule(self, entries: list[ScheduleEntry]) -> None:
        now = timezone.now()
        if not entries:
            self.stdout.write(_("No scheduled jobs (SOCIALDESK_SCHEDULE is empty)."))
        for entry in entries:
            last = ScheduledRun.objects.filter(job_name=entry.name).order_by("-enqueued_at").first()
            self.stdout.write(
                _(
                    "%(name)s: %(task)s at “%(cron)s” (%(timezone)s); next run %(next)s, "
                    "last enqueued %(last)s"
                )
                % {
                    "name": entry.name,
                    "task": entry.task_path,
                    "cron": entry.cron,
                    "timezone": entry.timezone,
                    "next": _when(next_run(entry, now), entry.timezone),
                    "last": _when(last.enqueued_at if last else None, entry.timezone),
                }
            )

    def run_now(self, entries: list[ScheduleEntry], name: str) -> None:
        entry = next((e for e in entries if e.name == name), None)
        if entry is None:
            raise CommandError(
                _("No scheduled job is called %(name)s; there are: %(names)s.")
                % {"name": name, "names": ", ".join(e.name for e in entries) or "-"}
            )
        scheduled = scheduled_run_enqueue(entry=entry, slot=timezone.now(), manual=True)
        task_id = scheduled.task_result_id if scheduled else "-"
        self.stdout.write(_("%(name)s enqueued (task %(id)s).") % {"name": name, "id": task_id})

    def enqueue_due(self, entries: list[ScheduleEntry]) -> int:
        count = 0
        for entry in entries:
            scheduled = enqueue_due(entry)
            if scheduled is not None:
                count += 1
                self.stdout.write(
                    _("%(name)s enqueued for %(slot)s (task %(id)s).")
                    % {
                        "name": entry.name,
                        "slot": _when(scheduled.slot, entry.timezone),
                        "id": scheduled.task_result_id,
                    }
                )
        return count

    def serve(self, entries: list[ScheduleEntry]) -> None:
        if not entries:
            self.stdout.write(_("No scheduled jobs (SOCIALDESK_SCHEDULE is empty)."))
            return
        # A run missed while no scheduler was running (within the catch-up time) is enqueued now.
        self.enqueue_due(entries)
        scheduler = scheduler_build(entries)
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        self.stdout.write(
            ngettext(
                "Scheduler started with %(count)d job; Ctrl-C stops it.",
                "Scheduler started with %(count)d jobs; Ctrl-C stops it.",
                len(entries),
            )
            % {"count": len(entries)}
        )
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=False)
