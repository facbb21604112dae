"""`manage.py load_form_definitions`: create or update the forms shipped with SocialDesk."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from socialdesk.forms.services import form_definitions_load_shipped


class Command(BaseCommand):
    help = (
        "Load the form definitions shipped in socialdesk/forms/definitions/ (intake, risk "
        "screening, carer stress). A changed definition gets a new published version; safe to "
        "run again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        """Load every shipped definition and print what happened to each."""
        with translation.override("en"):
            try:
                outcomes = form_definitions_load_shipped(user=None)
            except ValidationError as error:
                raise CommandError("\n".join(error.messages)) from error
        for code, outcome in outcomes.items():
            self.stdout.write(f"{code}: {outcome}")
