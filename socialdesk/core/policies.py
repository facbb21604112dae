"""Record-level access policies for organisations, service units and reference data."""

from __future__ import annotations

from django.db.models import Q

from .access import Action, Actor, Policy, register
from .models import (
    BackgroundJob,
    District,
    DistrictOffice,
    Notification,
    Organisation,
    Role,
    ServiceType,
    ServiceUnit,
)

SECTOR_WIDE = (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)
ORGANISATION_WIDE = (Role.AGENCY_ADMIN, Role.AGENCY_FINANCE, Role.PRIVACY_OFFICER)


@register
class OrganisationPolicy(Policy[Organisation]):
    """SWD officers and system administrators see every agency; other staff their own."""

    model = Organisation

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action == Action.VIEW:
            if actor.has_role(*SECTOR_WIDE):
                return Q()
            ids = actor.organisation_ids()
            return Q(pk__in=ids) if ids else None
        if action == Action.CHANGE and actor.has_role(Role.SYSTEM_ADMIN):
            return Q()
        return None


@register
class ServiceUnitPolicy(Policy[ServiceUnit]):
    """Viewing: SWD and system administrators see all units, agency staff their agency's units.
    Changing: agency administrators their agency's units, system administrators any."""

    model = ServiceUnit

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action == Action.VIEW:
            if actor.has_role(*SECTOR_WIDE):
                return Q()
            ids = actor.organisation_ids()
            return Q(organisation_id__in=ids) if ids else None
        if action == Action.CHANGE:
            if actor.has_role(Role.SYSTEM_ADMIN):
                return Q()
            ids = actor.organisation_ids(Role.AGENCY_ADMIN)
            return Q(organisation_id__in=ids) if ids else None
        return None


class ReferenceDataPolicy(Policy[District]):
    """Reference data is readable by all staff and changed by system administrators."""

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action == Action.VIEW and actor.is_authenticated:
            return Q()
        if action in (Action.ADD, Action.CHANGE, Action.DELETE) and actor.has_role(
            Role.SYSTEM_ADMIN
        ):
            return Q()
        return None


@register
class DistrictPolicy(ReferenceDataPolicy):
    model = District


@register
class DistrictOfficePolicy(ReferenceDataPolicy):
    model = DistrictOffice


@register
class ServiceTypePolicy(ReferenceDataPolicy):
    model = ServiceType


@register
class BackgroundJobPolicy(Policy[BackgroundJob]):
    """A background job and its result belong to the person who started it."""

    model = BackgroundJob

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if actor.user_id is None or action not in (Action.VIEW, Action.EXPORT):
            return None
        return Q(requested_by_id=actor.user_id)


@register
class NotificationPolicy(Policy[Notification]):
    """A notification is read (and marked read) by its recipient only."""

    model = Notification

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if actor.user_id is None or action not in (Action.VIEW, Action.CHANGE):
            return None
        return Q(recipient_id=actor.user_id)
