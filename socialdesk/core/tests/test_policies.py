"""Record-level access: which organisations, units and jobs each role may see or change, and how
`Policy.get` answers (404 for what the user may not see, 403 for what they see but may not do)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory

from socialdesk.accounts.tests.factories import UserFactory
from socialdesk.core.access import (
    ANONYMOUS,
    CAPABILITY_ROLES,
    ROLES_REQUIRING_2FA,
    Action,
    Capability,
    RolePermissionBackend,
    actor_for,
    capability_required,
    forget_actor,
    has_capability,
    policy_for,
)
from socialdesk.core.models import (
    BackgroundJob,
    District,
    Membership,
    Organisation,
    Role,
    ServiceType,
    ServiceUnit,
)
from socialdesk.core.tests.factories import BackgroundJobFactory
from socialdesk.core.tests.world import ROLES, World

NGO_ROLES = (
    Role.FRONTLINE_WORKER,
    Role.UNIT_SUPERVISOR,
    Role.AGENCY_ADMIN,
    Role.AGENCY_FINANCE,
    Role.PRIVACY_OFFICER,
)
SECTOR_ROLES = (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)


def _codes(qs) -> set[str]:  # type: ignore[no-untyped-def]
    return set(qs.values_list("code", flat=True))


ALL_ORGS = {"ngo-a", "ngo-b", "swd"}
ALL_UNITS = {"a-ifsc", "b-ifsc", "swd-ifsc"}


def test_agency_staff_see_only_their_own_agency_and_its_units(world: World) -> None:
    for role in NGO_ROLES:
        user = world.roles[role]
        assert _codes(policy_for(Organisation).queryset(user)) == {"ngo-a"}, role
        assert _codes(policy_for(ServiceUnit).queryset(user)) == {"a-ifsc"}, role


def test_swd_officers_and_system_admins_see_every_agency_and_unit(world: World) -> None:
    for role in SECTOR_ROLES:
        user = world.roles[role]
        assert _codes(policy_for(Organisation).queryset(user)) == ALL_ORGS, role
        assert _codes(policy_for(ServiceUnit).queryset(user)) == ALL_UNITS, role


def test_only_agency_admins_and_system_admins_change_units(world: World) -> None:
    expected = {role: set() for role in ROLES} | {
        Role.AGENCY_ADMIN: {"a-ifsc"},  # their own agency's units only
        Role.SYSTEM_ADMIN: ALL_UNITS,
    }
    for role, units in expected.items():
        changeable = policy_for(ServiceUnit).queryset(world.roles[role], Action.CHANGE)
        assert _codes(changeable) == units, role


def test_only_system_admins_change_organisations(world: World) -> None:
    for role in ROLES:
        changeable = _codes(policy_for(Organisation).queryset(world.roles[role], Action.CHANGE))
        assert changeable == (ALL_ORGS if role == Role.SYSTEM_ADMIN else set()), role


def test_nobody_adds_deletes_or_exports_units_through_the_policy(world: World) -> None:
    for role in ROLES:
        for action in (Action.DELETE, Action.EXPORT, Action.ADD):
            assert not policy_for(ServiceUnit).queryset(world.roles[role], action).exists()


@pytest.mark.parametrize("model", [District, ServiceType])
def test_reference_data_is_read_by_all_and_changed_by_system_admins(
    world: World, model: type
) -> None:
    policy = policy_for(model)
    for role in ROLES:
        user = world.roles[role]
        assert policy.queryset(user).exists(), role
        can_change = policy.queryset(user, Action.CHANGE).exists()
        assert can_change == (role == Role.SYSTEM_ADMIN), role
    assert not policy.queryset(AnonymousUser()).exists()


def test_a_background_job_belongs_to_whoever_started_it(world: World) -> None:
    for role in ROLES:
        user = world.roles[role]
        visible = set(policy_for(BackgroundJob).queryset(user).values_list("pk", flat=True))
        assert visible == {world.jobs[role].pk}, role
        assert policy_for(BackgroundJob).queryset(user, Action.EXPORT).count() == 1
        assert not policy_for(BackgroundJob).queryset(user, Action.CHANGE).exists()


def test_get_is_404_for_a_record_the_user_may_not_see(world: World) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    with pytest.raises(Http404):
        policy_for(ServiceUnit).get(worker, world.unit_b.pk)
    with pytest.raises(Http404):
        policy_for(ServiceUnit).get(worker, world.unit_b.pk, Action.CHANGE)
    with pytest.raises(Http404):
        policy_for(BackgroundJob).get(worker, world.job_b.pk)


def test_get_is_403_for_a_record_the_user_sees_but_may_not_change(world: World) -> None:
    with pytest.raises(PermissionDenied):
        policy_for(ServiceUnit).get(
            world.roles[Role.FRONTLINE_WORKER], world.unit_a.pk, Action.CHANGE
        )
    with pytest.raises(PermissionDenied):  # SWD sees NGO B's unit but does not run it
        policy_for(ServiceUnit).get(
            world.roles[Role.SWD_SUBVENTIONS], world.unit_b.pk, Action.CHANGE
        )


def test_get_returns_the_record_when_allowed(world: World) -> None:
    admin = world.roles[Role.AGENCY_ADMIN]
    assert policy_for(ServiceUnit).get(admin, world.unit_a.pk, Action.CHANGE) == world.unit_a
    assert policy_for(ServiceUnit).get(admin, str(world.unit_a.pk)) == world.unit_a


@pytest.mark.parametrize("bad_pk", ["abc", None, 10**9])
def test_get_is_404_for_a_malformed_or_missing_id(world: World, bad_pk: object) -> None:
    with pytest.raises(Http404):
        policy_for(ServiceUnit).get(world.roles[Role.SYSTEM_ADMIN], bad_pk)


def test_allows_agrees_with_get(world: World) -> None:
    admin = world.roles[Role.AGENCY_ADMIN]
    policy = policy_for(ServiceUnit)
    assert policy.allows(admin, world.unit_a, Action.CHANGE)
    assert not policy.allows(admin, world.unit_b, Action.VIEW)
    assert not policy.allows(admin, world.unit_swd, Action.CHANGE)


def test_an_inactive_membership_or_organisation_grants_nothing(world: World) -> None:
    admin = world.roles[Role.AGENCY_ADMIN]
    Membership.objects.filter(user=admin).update(is_active=False)
    forget_actor(admin)
    assert not policy_for(ServiceUnit).queryset(admin).exists()

    worker = world.roles[Role.FRONTLINE_WORKER]
    Organisation.objects.filter(pk=world.ngo_a.pk).update(is_active=False)
    forget_actor(worker)
    assert not policy_for(ServiceUnit).queryset(worker).exists()
    assert actor_for(worker).grants == ()


def test_an_inactive_or_anonymous_user_is_the_anonymous_actor(world: World) -> None:
    assert actor_for(AnonymousUser()) is ANONYMOUS
    assert actor_for(None) is ANONYMOUS
    sysadmin = world.roles[Role.SYSTEM_ADMIN]
    sysadmin.is_active = False
    assert actor_for(sysadmin) is ANONYMOUS
    assert not policy_for(ServiceUnit).queryset(sysadmin).exists()


def test_the_actor_is_computed_once_per_user_object(
    world: World, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    user = world.roles[Role.UNIT_SUPERVISOR]
    forget_actor(user)
    with django_assert_num_queries(1):
        first = actor_for(user)
        second = actor_for(user)
    assert first is second
    assert first.unit_ids() == {world.unit_a.pk}
    assert first.organisation_ids(Role.AGENCY_ADMIN) == frozenset()


def test_a_user_with_several_roles_gets_the_union_of_their_scopes(db: None) -> None:
    world_user = UserFactory()
    from socialdesk.core.tests.factories import MembershipFactory, OrganisationFactory

    one, two = OrganisationFactory(), OrganisationFactory()
    MembershipFactory(user=world_user, organisation=one, role=Role.AGENCY_FINANCE)
    MembershipFactory(user=world_user, organisation=two, role=Role.AGENCY_ADMIN)
    assert set(policy_for(Organisation).queryset(world_user)) == {one, two}
    assert set(policy_for(ServiceUnit).queryset(world_user, Action.CHANGE)) == set(
        ServiceUnit.objects.filter(organisation=two)
    )


def test_policy_for_an_unregistered_model_is_an_error() -> None:
    from django.contrib.sessions.models import Session

    with pytest.raises(LookupError):
        policy_for(Session)


def test_capabilities_follow_the_capability_table(world: World) -> None:
    for role in ROLES:
        for capability in Capability:
            allowed = role in CAPABILITY_ROLES[capability]
            assert has_capability(world.roles[role], capability) == allowed, (role, capability)
    assert not has_capability(AnonymousUser(), Capability.VIEW_DASHBOARD)


def test_every_role_but_finance_needs_two_factor() -> None:
    assert frozenset(ROLES) - ROLES_REQUIRING_2FA == {Role.AGENCY_FINANCE}


def test_capability_required_redirects_anonymous_and_refuses_the_wrong_role(world: World) -> None:
    @capability_required(Capability.VIEW_AUDIT)
    def view(request):  # type: ignore[no-untyped-def]
        return "ok"

    factory = RequestFactory()
    request = factory.get("/privacy/audit/")
    request.user = AnonymousUser()
    response = view(request)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")

    request.user = world.roles[Role.AGENCY_ADMIN]
    with pytest.raises(PermissionDenied):
        view(request)

    request.user = world.roles[Role.PRIVACY_OFFICER]
    assert view(request) == "ok"
    assert view.required_capability == Capability.VIEW_AUDIT


def test_only_system_admins_hold_admin_model_permissions(world: World) -> None:
    for role in ROLES:
        user = world.roles[role]
        is_sysadmin = role == Role.SYSTEM_ADMIN
        assert user.has_perm("core.change_serviceunit") == is_sysadmin, role
        assert user.has_perm("core.add_district") == is_sysadmin, role
        assert user.has_perm("accounts.view_user") == is_sysadmin, role
        assert user.has_module_perms("core") == is_sysadmin, role


def test_system_admin_permissions_stop_where_the_admin_should(world: World) -> None:
    sysadmin = world.roles[Role.SYSTEM_ADMIN]
    assert sysadmin.has_perm("axes.delete_accessattempt")  # lift a lockout
    assert sysadmin.has_perm("otp_totp.delete_totpdevice")  # reset a lost authenticator
    assert not sysadmin.has_perm("otp_totp.change_totpdevice")
    assert not sysadmin.has_perm("otp_totp.add_totpdevice")
    assert not sysadmin.has_perm("auth.change_group")
    assert not sysadmin.has_perm("auditlog.delete_logentry")
    assert not sysadmin.has_module_perms("auditlog")
    sysadmin.is_active = False
    assert not RolePermissionBackend().has_perm(sysadmin, "core.view_district")
    assert RolePermissionBackend().authenticate(None, username="sysadmin", password="x") is None


def test_jobs_factory_jobs_are_invisible_to_other_users(world: World) -> None:
    stranger_job = BackgroundJobFactory()
    for user in world.roles.values():
        assert not policy_for(BackgroundJob).queryset(user).filter(pk=stranger_job.pk).exists()
