"""Serve SocialDesk for a demo or a developer: the web server, a task worker and the scheduler."""

from __future__ import annotations

import signal
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class Command(BaseCommand):
    help = (
        "Run the web server on 127.0.0.1:8000, a background task worker and the scheduler of "
        "periodic jobs; Ctrl-C stops them all."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-scheduler",
            action="store_false",
            dest="scheduler",
            help="Do not start the scheduler (when cron or another server enqueues the jobs).",
        )

    def handle(self, *args: Any, addrport: str, scheduler: bool, **options: Any) -> None:
        processes: list[subprocess.Popen[bytes]] = []
        # Stopped by SIGTERM (systemd, a test harness) as by Ctrl-C: the children stop too.
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            worker = subprocess.Popen(
                [sys.executable, "manage.py", "db_worker", "--interval", "1"],
            )
            processes.append(worker)
            self.stdout.write(
                self.style.SUCCESS(_("Task worker started (pid %(pid)d).") % {"pid": worker.pid})
            )
            if scheduler:
                periodic = subprocess.Popen([sys.executable, "manage.py", "run_scheduler"])
                processes.append(periodic)
                started = _("Scheduler started (pid %(pid)d).") % {"pid": periodic.pid}
                self.stdout.write(self.style.SUCCESS(started))
            self.stdout.write(
                self.style.SUCCESS(
                    _("SocialDesk: http://%(addrport)s/  (Ctrl-C to stop)") % {"addrport": addrport}
                )
            )
            call_command("runserver", addrport, use_reloader=False, skip_checks=False)
        finally:
            for process in reversed(processes):
                _stop(process)
