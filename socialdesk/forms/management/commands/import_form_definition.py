"""`manage.py import_form_definition <path> [--publish]`: a form from a spreadsheet (.xlsx)."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from socialdesk.forms.services import form_definition_import_xlsx, form_version_publish


class Command(BaseCommand):
    help = (
        "Import a form definition from an .xlsx workbook (sheets 'form' and 'fields', optional "
        "'scoring') as a new draft version; with --publish, publish it too."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare the path, --code and --publish."""
        parser.add_argument("path", help="The .xlsx file.")
        parser.add_argument("--code", default=None, help="Import into the form with this code.")
        parser.add_argument("--publish", action="store_true", help="Publish the new version.")

    def handle(self, *args: Any, **options: Any) -> None:
        """Import (and publish) in one transaction; print every problem on failure."""
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with translation.override("en"):
            try:
                with transaction.atomic(), path.open("rb") as file:
                    version = form_definition_import_xlsx(
                        file=file, user=None, code=options["code"]
                    )
                    if options["publish"]:
                        version = form_version_publish(version=version, user=None)
            except ValidationError as error:
                raise CommandError(
                    "The workbook was not imported:\n"
                    + "\n".join(f"  - {m}" for m in error.messages)
                ) from error
        state = "published" if options["publish"] else "saved as a draft"
        self.stdout.write(
            self.style.SUCCESS(
                f"Form {version.definition.code!r}: version {version.number} {state} "
                f"({version.fields.count()} questions)."
            )
        )
