"""Core benchmarks: the unit list and dashboard as the SWD officer (demo data), and the
access-policy scoping query over 1000 synthetic service units.

The page timings go through Django's test Client, so they include middleware, the policy,
queries and template rendering, but no network or web server. The synthetic units are created
in a transaction that is rolled back, so the database is left with the demo data only.
"""

from __future__ import annotations

from typing import Any

from bench._timing import measure, p50_p95

REPEAT = 50
SYNTHETIC_UNITS = 1000
PAGES = {"unit_list": "/units/", "dashboard": "/"}


def _client_for(username: str) -> Any:
    from django.test import Client

    from socialdesk.accounts.models import User

    client = Client(HTTP_HOST="localhost")
    client.force_login(
        User.objects.get(username=username), backend="django.contrib.auth.backends.ModelBackend"
    )
    return client


def _pages() -> dict[str, float]:
    """p50/p95 and query count of each page as the SWD subventions officer."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = _client_for("swdofficer")
    metrics: dict[str, float] = {}
    for name, url in PAGES.items():

        def get(url: str = url) -> None:
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} as swdofficer answered {response.status_code}")

        metrics.update(p50_p95(f"{name}_swdofficer", measure(get, repeat=REPEAT)))
        with CaptureQueriesContext(connection) as queries:
            get()
        metrics[f"{name}_swdofficer_queries"] = len(queries)
    return metrics


def _synthetic_organisation() -> tuple[Any, Any]:
    """A fictional NGO with SYNTHETIC_UNITS units and an agency administrator of it."""
    from socialdesk.accounts.models import User
    from socialdesk.core.models import (
        District,
        Membership,
        Organisation,
        OrganisationKind,
        Role,
        ServiceType,
        ServiceUnit,
    )

    organisation = Organisation.objects.create(
        code="bench-ngo", kind=OrganisationKind.NGO, name_zh="基準測試機構", name_en="Bench NGO"
    )
    districts = list(District.objects.order_by("code"))
    types = list(ServiceType.objects.order_by("code"))
    ServiceUnit.objects.bulk_create(
        ServiceUnit(
            organisation=organisation,
            service_type=types[n % len(types)],
            district=districts[n % len(districts)],
            code=f"bench-unit-{n:04d}",
            name_zh=f"基準測試單位{n}",
            name_en=f"Bench unit {n}",
        )
        for n in range(SYNTHETIC_UNITS)
    )
    admin = User.objects.create(username="bench-agencyadmin", is_demo=True)
    Membership.objects.create(user=admin, organisation=organisation, role=Role.AGENCY_ADMIN)
    return organisation, admin


def _policy_scope() -> dict[str, float]:
    """Time to work out a user's roles (Actor) and fetch the units their scope allows."""
    from django.db import transaction

    from socialdesk.accounts.models import User
    from socialdesk.core.access import forget_actor, policy_for
    from socialdesk.core.models import ServiceUnit

    policy = policy_for(ServiceUnit)
    metrics: dict[str, float] = {}
    with transaction.atomic():
        _organisation, admin = _synthetic_organisation()
        swd = User.objects.get(username="swdofficer")
        for name, user in (("agency_admin", admin), ("swdofficer", swd)):
            forget_actor(user)
            expected = policy.queryset(user).count()

            def scoped(user: Any = user, expected: int = expected) -> None:
                forget_actor(user)  # include the membership lookup, as on a fresh request
                pks = list(policy.queryset(user).values_list("pk", flat=True))
                if len(pks) != expected:
                    raise RuntimeError("the scoped unit list changed during the benchmark")

            metrics.update(p50_p95(f"policy_scope_{name}", measure(scoped, repeat=REPEAT)))
            metrics[f"policy_scope_{name}_rows"] = expected
        transaction.set_rollback(True)
    return metrics


def run() -> dict[str, float]:
    from django.core.management import call_command

    call_command("load_demo_data", verbosity=0, stdout=_Discard())
    return {**_pages(), **_policy_scope()}


class _Discard:
    """A stdout for management commands whose output the benchmark does not need."""

    def write(self, _text: str) -> None:
        pass

    def flush(self) -> None:
        pass
