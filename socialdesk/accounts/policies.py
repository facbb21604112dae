"""Record-level access to staff accounts and API tokens."""

from __future__ import annotations

from django.db.models import Q

from socialdesk.core.access import Action, Actor, Policy, register
from socialdesk.core.models import Role

from .models import ApiToken, User


@register
class StaffPolicy(Policy[User]):
    """Staff records hold personal data. Agency administrators and privacy officers see the staff
    of their own organisation; system administrators see all. Changing: agency administrators
    their organisation's staff, system administrators anyone. Everyone sees themselves."""

    model = User

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if actor.user_id is None:
            return None
        own = Q(pk=actor.user_id)
        if action == Action.VIEW:
            if actor.has_role(Role.SYSTEM_ADMIN):
                return Q()
            orgs = actor.organisation_ids(Role.AGENCY_ADMIN, Role.PRIVACY_OFFICER)
            return own | Q(memberships__organisation_id__in=orgs) if orgs else own
        if action == Action.CHANGE:
            if actor.has_role(Role.SYSTEM_ADMIN):
                return Q()
            orgs = actor.organisation_ids(Role.AGENCY_ADMIN)
            return Q(memberships__organisation_id__in=orgs) if orgs else None
        return None

    def queryset(self, user, action=Action.VIEW, base=None):  # type: ignore[no-untyped-def]
        return super().queryset(user, action, base).distinct()


@register
class ApiTokenPolicy(Policy[ApiToken]):
    """A token is seen and revoked only by its owner."""

    model = ApiToken

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if actor.user_id is None or action not in (Action.VIEW, Action.CHANGE):
            return None
        return Q(user_id=actor.user_id)
