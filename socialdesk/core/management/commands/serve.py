"""Serve SocialDesk for a demo or a developer: the web server and a task worker together."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the web server on 127.0.0.1:8000 and a background task worker; Ctrl-C stops both."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, addrport: str, **options: Any) -> None:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--interval", "1"],
        )
        self.stdout.write(self.style.SUCCESS(f"Task worker started (pid {worker.pid})."))
        self.stdout.write(self.style.SUCCESS(f"SocialDesk: http://{addrport}/  (Ctrl-C to stop)"))
        try:
            call_command("runserver", addrport, use_reloader=False, skip_checks=False)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
