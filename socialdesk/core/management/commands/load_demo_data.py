"""`manage.py load_demo_data`: reference data, then the bilingual demo organisations and logins."""

from __future__ import annotations

import os
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import translation

from socialdesk.cases.demo import load_case_demo_data
from socialdesk.core.demo import DemoDataError, DemoLogin, load_demo_data, load_reference_data
from socialdesk.performance.demo import load_performance_demo_data

DEFAULT_DEMO_PASSWORD = "SocialDesk-demo-2026"  # public demo password, by design  # noqa: S105 (published demo password)


class Command(BaseCommand):
    help = (
        "Load districts, District Social Welfare Offices and service types, then the demo "
        "organisations, service units and one demo login per role, synthetic case-management "
        "demo data (people, cases, referrals) and performance data (FSAs, returns, field "
        "assessments, complaints, agencies' financial figures). Safe to run again."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Declare --password and --reference-only."""
        parser.add_argument(
            "--password",
            default=os.environ.get("SOCIALDESK_DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD,
            help="Password for every demo user (default: $SOCIALDESK_DEMO_PASSWORD or "
            f"{DEFAULT_DEMO_PASSWORD!r}).",
        )
        parser.add_argument(
            "--reference-only",
            action="store_true",
            help="Load only districts, District Social Welfare Offices and service types.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the loaders in one transaction and print what was loaded."""
        with translation.override("en"):
            try:
                with transaction.atomic():
                    counts = load_reference_data()
                    logins = (
                        []
                        if options["reference_only"]
                        else load_demo_data(password=options["password"])
                    )
                    cases = None if options["reference_only"] else load_case_demo_data()
                    performance = (
                        None if options["reference_only"] else load_performance_demo_data()
                    )
            except DemoDataError as error:
                raise CommandError(str(error)) from error

            self.stdout.write(
                self.style.SUCCESS(
                    "Reference data: {districts} districts, {district_offices} District Social "
                    "Welfare Offices, {service_types} service types.".format(**counts)
                )
            )
            if cases is not None:
                self.stdout.write(
                    f"Case demo data: {cases.people} people, {cases.cases} cases, "
                    f"{cases.referrals} referrals"
                    + ("." if cases.created else " (already loaded, nothing added).")
                )
            if performance is not None:
                self.stdout.write(
                    f"Performance demo data: {performance.agreements} agreements, "
                    f"{performance.returns} statistical returns, "
                    f"{performance.assessments} field assessments, "
                    f"{performance.complaints} complaints, "
                    f"{performance.financial_years} years of agencies' financial figures"
                    + ("." if performance.created else " (already loaded, nothing added).")
                )
            if logins:
                self.stdout.write("")
                self.stdout.write(self.style.MIGRATE_HEADING("Demo logins"))
                self.stdout.write(self._table(logins))

    @staticmethod
    def _table(logins: list[DemoLogin]) -> str:
        """The demo logins as a plain-text table."""
        header = ("Username", "Password", "Role", "Organisation / unit")
        rows = [
            (
                login.username,
                login.password,
                str(login.role),
                login.unit or login.organisation,  # unit names begin with the organisation's
            )
            for login in logins
        ]
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(3)]

        def line(row: tuple[str, str, str, str]) -> str:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            return "  ".join([*cells, row[3]])

        rule = "  ".join("-" * w for w in [*widths, len(header[3])])
        return "\n".join([line(header), rule, *(line(row) for row in rows)])
