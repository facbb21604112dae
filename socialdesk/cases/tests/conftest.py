"""Fixtures of case management tests, on top of the shared `world` (NGO A, NGO B, SWD): the
staff who do case work, a second unit in NGO A, an open case, and the shipped forms."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from auditlog.context import disable_auditlog
from django.db import transaction

from socialdesk.accounts.models import User
from socialdesk.accounts.tests.factories import UserFactory
from socialdesk.cases.models import Case, UnitCaseSettings
from socialdesk.core.models import Role, ServiceUnit
from socialdesk.core.tests.factories import MembershipFactory, ServiceUnitFactory
from socialdesk.core.tests.world import World, build_world

from .factories import CaseFactory


def case_world() -> World:
    """The shared world without its finished jobs, API tokens and case records: these tests
    make the case records they need with the factories, and count on no others being there.
    Test modules and packages that need none of them override `world` with it. Its own audit
    entries (staff, units) are not written: half its cost, and no case test reads them."""
    with disable_auditlog():
        return build_world(with_jobs_and_tokens=False, with_cases=False)


@pytest.fixture(scope="module")
def module_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """`case_world()` built once per test module, in a transaction rolled back after the module
    (like TestCase.setUpTestData): each test runs in a savepoint inside it. Only for tests that
    change none of the world's own rows (staff, memberships, units)."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield case_world()
        transaction.set_rollback(True)


def add_member(username: str, role: str, unit: ServiceUnit) -> User:
    """A new staff member holding `role` in `unit` (and its organisation)."""
    user = UserFactory(username=username)
    MembershipFactory(user=user, organisation=unit.organisation, role=role, service_unit=unit)
    return user


@pytest.fixture
def worker(world: World) -> User:
    """The frontline worker of NGO A's unit (unit_a)."""
    return world.roles[Role.FRONTLINE_WORKER]


@pytest.fixture
def colleague(world: World) -> User:
    """Another frontline worker of unit_a."""
    return world.colleague_a


@pytest.fixture
def supervisor(world: World) -> User:
    """The supervisor of unit_a."""
    return world.roles[Role.UNIT_SUPERVISOR]


@pytest.fixture
def privacy(world: World) -> User:
    """NGO A's privacy officer."""
    return world.roles[Role.PRIVACY_OFFICER]


@pytest.fixture
def staff_b(world: World) -> User:
    """The frontline worker of NGO B's unit (unit_b)."""
    return world.staff_b


@pytest.fixture
def supervisor_b(world: World) -> User:
    """A supervisor of unit_b."""
    return add_member("bravosupervisor", Role.UNIT_SUPERVISOR, world.unit_b)


@pytest.fixture
def unit_a2(world: World) -> ServiceUnit:
    """A second unit of NGO A (a unit of the same organisation, not the worker's)."""
    return ServiceUnitFactory(
        organisation=world.ngo_a,
        code="a-decc",
        district=world.district,
        service_type=world.service_type,
    )


@pytest.fixture
def open_case(world: World, worker: User) -> Case:
    """An open case in unit_a, the worker responsible."""
    return CaseFactory(unit=world.unit_a, opened_by=worker, workers=[worker])


@pytest.fixture
def no_approvals(world: World) -> UnitCaseSettings:
    """unit_a runs without supervisor approval of plans and closures."""
    return UnitCaseSettings.objects.create(
        unit=world.unit_a, plan_approval_required=False, closure_approval_required=False
    )


def load_shipped_forms() -> dict[str, Any]:
    """Load the forms shipped with SocialDesk: {code: published FormVersion}."""
    from socialdesk.forms.models import FormVersion, VersionStatus
    from socialdesk.forms.services import form_definitions_load_shipped

    form_definitions_load_shipped()
    versions = FormVersion.objects.filter(status=VersionStatus.PUBLISHED).select_related(
        "definition"
    )
    return {v.definition.code: v for v in versions}


@pytest.fixture
def shipped_forms(db: None) -> dict[str, Any]:
    """The forms shipped with SocialDesk, loaded and published: {code: published FormVersion}."""
    return load_shipped_forms()


@pytest.fixture(scope="module")
def module_shipped_forms(module_world: World, django_db_blocker: Any) -> dict[str, Any]:
    """`load_shipped_forms()` once per module, inside `module_world`'s transaction."""
    with django_db_blocker.unblock():
        return load_shipped_forms()
