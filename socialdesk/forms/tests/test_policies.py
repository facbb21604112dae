"""Forms are read by every signed-in staff member and changed by system administrators only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from socialdesk.core.access import Action, policy_for
from socialdesk.core.models import Role
from socialdesk.core.tests.world import ROLES, World
from socialdesk.forms.models import FormDefinition, FormField, FormVersion
from socialdesk.forms.tests.factories import draft_with_fields

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [FormDefinition, FormVersion, FormField])
def test_all_staff_read_forms_and_only_system_administrators_change_them(
    world: World, model: type[FormDefinition | FormVersion | FormField]
) -> None:
    draft = draft_with_fields()
    record = {
        FormDefinition: draft.definition,
        FormVersion: draft,
        FormField: draft.fields.first(),
    }[model]
    policy = policy_for(model)
    for role in ROLES:
        user = world.roles[role]
        assert policy.allows(user, record, Action.VIEW), role
        for action in (Action.ADD, Action.CHANGE, Action.DELETE):
            assert policy.allows(user, record, action) == (role == Role.SYSTEM_ADMIN), (
                role,
                action,
            )
    assert not policy.queryset(AnonymousUser()).exists()


def test_the_admin_permissions_of_a_system_administrator_cover_forms(world: World) -> None:
    admin = world.roles[Role.SYSTEM_ADMIN]
    assert admin.has_perm("forms.change_formversion") and admin.has_module_perms("forms")
    assert not world.roles[Role.AGENCY_ADMIN].has_perm("forms.view_formdefinition")
