"""Who sees and changes staff records (personal data) and API tokens."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from socialdesk.accounts.models import ApiToken, User
from socialdesk.core.access import Action, policy_for
from socialdesk.core.models import Role
from socialdesk.core.tests.factories import MembershipFactory
from socialdesk.core.tests.world import ROLES, World

NGO_A_STAFF = {"worker", "supervisor", "agencyadmin", "finance", "privacy", "colleague"}


def _usernames(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("username", flat=True))


def test_agency_admins_and_privacy_officers_see_the_staff_of_their_own_agency(
    world: World,
) -> None:
    for role in (Role.AGENCY_ADMIN, Role.PRIVACY_OFFICER):
        assert _usernames(policy_for(User).queryset(world.roles[role])) == NGO_A_STAFF, role


def test_system_admins_see_all_staff(world: World) -> None:
    visible = policy_for(User).queryset(world.roles[Role.SYSTEM_ADMIN])
    assert _usernames(visible) == set(User.objects.values_list("username", flat=True))


def test_everyone_else_sees_only_themselves(world: World) -> None:
    for role in (
        Role.FRONTLINE_WORKER,
        Role.UNIT_SUPERVISOR,
        Role.AGENCY_FINANCE,
        Role.SWD_SUBVENTIONS,
    ):
        user = world.roles[role]
        assert _usernames(policy_for(User).queryset(user)) == {user.username}, role


def test_staff_are_changed_by_their_agency_admin_or_a_system_admin(world: World) -> None:
    policy = policy_for(User)
    admin = world.roles[Role.AGENCY_ADMIN]
    assert _usernames(policy.queryset(admin, Action.CHANGE)) == NGO_A_STAFF
    assert policy.queryset(world.roles[Role.SYSTEM_ADMIN], Action.CHANGE).count() == (
        User.objects.count()
    )
    for role in set(ROLES) - {Role.AGENCY_ADMIN, Role.SYSTEM_ADMIN}:
        assert not policy.queryset(world.roles[role], Action.CHANGE).exists(), role


def test_a_privacy_officer_may_read_but_not_change_a_colleague(world: World) -> None:
    privacy = world.roles[Role.PRIVACY_OFFICER]
    assert policy_for(User).get(privacy, world.colleague_a.pk) == world.colleague_a
    with pytest.raises(PermissionDenied):
        policy_for(User).get(privacy, world.colleague_a.pk, Action.CHANGE)


def test_another_agencys_staff_are_invisible(world: World) -> None:
    for role in (Role.AGENCY_ADMIN, Role.PRIVACY_OFFICER, Role.SWD_SUBVENTIONS):
        with pytest.raises(Http404):
            policy_for(User).get(world.roles[role], world.staff_b.pk)


def test_staff_with_several_memberships_are_listed_once(world: World) -> None:
    MembershipFactory(user=world.colleague_a, organisation=world.ngo_a, role=Role.AGENCY_FINANCE)
    visible = policy_for(User).queryset(world.roles[Role.AGENCY_ADMIN])
    assert list(visible).count(world.colleague_a) == 1


def test_a_token_is_seen_and_revoked_only_by_its_owner(world: World) -> None:
    policy = policy_for(ApiToken)
    for role in ROLES:
        user = world.roles[role]
        assert set(policy.queryset(user)) == {world.tokens[role]}, role
        assert set(policy.queryset(user, Action.CHANGE)) == {world.tokens[role]}, role
        assert not policy.queryset(user, Action.DELETE).exists()
    with pytest.raises(Http404):  # even a system administrator cannot use someone else's
        policy.get(world.roles[Role.SYSTEM_ADMIN], world.token_b.pk, Action.CHANGE)
