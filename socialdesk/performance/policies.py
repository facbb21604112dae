"""Who sees and works on statistical returns, agreements, alerts and improvement plans.

- View: staff of the unit's organisation who report or oversee (frontline workers and supervisors
  of the unit, the agency's administrators and finance officers: every unit of the agency); SWD
  subventions officers and system administrators: every unit.
- Change (fill in, submit, endorse, review): the services decide which step each role may take;
  the policy gives CHANGE to the unit's supervisors and frontline workers, the agency's
  administrators and SWD subventions officers.
Returns hold no personal data (only counts), so their reads are not audited as personal data;
their writes are audited like every domain record.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from socialdesk.core.access import Action, Actor, Policy, register
from socialdesk.core.models import Role, ServiceUnit

from .models import (
    Agreement,
    Alert,
    Attainment,
    Complaint,
    FieldAssessment,
    FinancialYearFigures,
    ImprovementPlan,
    StatisticalReturn,
    WebhookEndpoint,
)

UNIT_ROLES = (Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
AGENCY_ROLES = (Role.AGENCY_ADMIN, Role.AGENCY_FINANCE)
SECTOR_ROLES = (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)


def unit_scope(actor: Actor, action: Action, field: str = "unit") -> Q | None:
    """Units whose performance records `actor` may see (VIEW) or work on (other actions)."""
    if not actor.is_authenticated:
        return None
    if action == Action.VIEW:
        if actor.has_role(*SECTOR_ROLES):
            return Q()
        unit_ids = set(actor.unit_ids(*UNIT_ROLES))
        organisations = actor.organisation_ids(*AGENCY_ROLES)
    else:
        if actor.has_role(Role.SWD_SUBVENTIONS):
            return Q()
        unit_ids = set(actor.unit_ids(*UNIT_ROLES))
        organisations = actor.organisation_ids(Role.AGENCY_ADMIN)
    if organisations:
        unit_ids |= set(
            ServiceUnit.objects.filter(organisation_id__in=organisations).values_list(
                "pk", flat=True
            )
        )
    if not unit_ids:
        return None
    return Q(**{f"{field}_id__in": sorted(unit_ids)})


class _UnitRecordPolicy(Policy[Any]):
    def scope(self, actor: Actor, action: Action) -> Q | None:
        return unit_scope(actor, action)


@register
class StatisticalReturnPolicy(_UnitRecordPolicy):
    model = StatisticalReturn


@register
class AgreementPolicy(_UnitRecordPolicy):
    model = Agreement

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action != Action.VIEW:  # agreed levels are SWD's to set
            return Q() if actor.has_role(Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN) else None
        return unit_scope(actor, action)


@register
class AttainmentPolicy(_UnitRecordPolicy):
    model = Attainment

    def scope(self, actor: Actor, action: Action) -> Q | None:
        return unit_scope(actor, Action.VIEW) if action == Action.VIEW else None


@register
class AlertPolicy(_UnitRecordPolicy):
    model = Alert


@register
class ImprovementPlanPolicy(_UnitRecordPolicy):
    model = ImprovementPlan


class _SwdRecordPolicy(Policy[Any]):
    """Seen like the unit's returns; recorded by SWD."""

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action == Action.VIEW:
            return unit_scope(actor, action)
        return Q() if actor.has_role(Role.SWD_SUBVENTIONS) else None


@register
class FieldAssessmentPolicy(_SwdRecordPolicy):
    model = FieldAssessment


@register
class ComplaintPolicy(_SwdRecordPolicy):
    model = Complaint


@register
class FinancialYearFiguresPolicy(Policy[Any]):
    """An agency's administrators and finance officers see and enter their own figures; SWD
    subventions officers and system administrators see every agency's (SWD may correct them)."""

    model = FinancialYearFigures

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if not actor.is_authenticated:
            return None
        sector: tuple[str, ...] = (Role.SWD_SUBVENTIONS, Role.SYSTEM_ADMIN)
        if action != Action.VIEW:
            sector = (Role.SWD_SUBVENTIONS,)
        if actor.has_role(*sector):
            return Q()
        organisations = actor.organisation_ids(Role.AGENCY_ADMIN, Role.AGENCY_FINANCE)
        return Q(organisation_id__in=sorted(organisations)) if organisations else None


@register
class WebhookEndpointPolicy(Policy[Any]):
    """An agency's administrators manage their organisation's endpoints; SWD subventions officers
    SWD's; system administrators every one."""

    model = WebhookEndpoint

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if not actor.is_authenticated:
            return None
        if actor.has_role(Role.SYSTEM_ADMIN):
            return Q()
        organisations = actor.organisation_ids(Role.AGENCY_ADMIN, Role.SWD_SUBVENTIONS)
        return Q(organisation_id__in=sorted(organisations)) if organisations else None
