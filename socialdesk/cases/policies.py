"""Need-to-know access to case records (按需要知道原則).

- A frontline worker sees the people of their unit's open cases assigned to them or their team,
  and of open intakes in their unit assigned to them or waiting in the unit's queue.
- A unit supervisor sees every case and intake of their unit, open or closed.
- A privacy officer sees (but does not change) the case records of their organisation.
- A referral shows the receiving unit the information shared in it; accepting it opens an intake,
  which brings the person into the unit's need-to-know.
- Break-the-glass access gives one staff member one person for a limited time, with a reason.
SWD officers, agency administrators, finance staff and system administrators see no case data.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from socialdesk.core.access import Action, Actor, Policy, register
from socialdesk.core.models import Role, ServiceUnit

from .models import (
    Assessment,
    BreakGlassAccess,
    Case,
    CaseNote,
    CasePlan,
    CaseReview,
    CaseStatus,
    CaseWorker,
    Consent,
    HouseholdMember,
    Intake,
    IntakeStatus,
    KeyContact,
    Referral,
    ServiceUser,
    ServiceUserAlias,
    Team,
    WorkItem,
)

CASEWORK_ROLES = (Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
OPEN_INTAKE = (IntakeStatus.PENDING, IntakeStatus.IN_PROGRESS)


def _any(parts: list[Q]) -> Q | None:
    if not parts:
        return None
    condition = parts[0]
    for part in parts[1:]:
        condition |= part
    return condition


def _org_units(organisation_ids: frozenset[int], *, per_row: bool = False) -> Q:
    if per_row:
        return Q(unit__organisation_id__in=organisation_ids)
    return Q(
        unit_id__in=ServiceUnit.objects.filter(organisation_id__in=organisation_ids).values("pk")
    )


def _case_need_to_know(actor: Actor, action: Action, uid: int, *, per_row: bool = False) -> list[Q]:
    """The cases `actor` may see or work on through their roles (break-the-glass aside).

    `per_row`: the same rules as look-ups on each case's own rows (its workers, its team's
    members, its unit), for the person policy's EXISTS. A sub-query there that does not depend
    on the case (`pk IN (the user's cases)`) has its hashing charged by PostgreSQL's planner to
    every person: the estimates grow past the JIT thresholds (seconds of compiling before a
    query of milliseconds) and push the planner to hash every case the user may see."""
    parts: list[Q] = []
    worker_units = actor.unit_ids(Role.FRONTLINE_WORKER)
    if worker_units:
        if per_row:
            assigned = Q(Exists(CaseWorker.objects.filter(case_id=OuterRef("pk"), user_id=uid)))
            in_team = Q(
                Exists(
                    Team.members.through.objects.filter(team_id=OuterRef("team_id"), user_id=uid)
                )
            )
        else:
            assigned = Q(pk__in=Case.objects.filter(workers__user_id=uid).values("pk"))
            # A subquery, not a join on the members: a join returns the case once per member.
            in_team = Q(
                team_id__in=Team.members.through.objects.filter(user_id=uid).values("team_id")
            )
        parts.append(
            Q(unit_id__in=worker_units) & ~Q(status=CaseStatus.CLOSED) & (assigned | in_team)
        )
    supervisor_units = actor.unit_ids(Role.UNIT_SUPERVISOR)
    if supervisor_units:
        parts.append(Q(unit_id__in=supervisor_units))
    if action == Action.VIEW:
        privacy_orgs = actor.organisation_ids(Role.PRIVACY_OFFICER)
        if privacy_orgs:
            parts.append(_org_units(privacy_orgs, per_row=per_row))
    return parts


def case_scope(actor: Actor, action: Action) -> Q | None:
    """The cases `actor` may see (VIEW) or work on (CHANGE)."""
    if actor.user_id is None:
        return None
    parts = _case_need_to_know(actor, action, actor.user_id)
    if action == Action.VIEW:
        parts.append(Q(person_id__in=_break_glass_people(actor.user_id)))
    return _any(parts)


def _intake_need_to_know(
    actor: Actor, action: Action, uid: int, *, per_row: bool = False
) -> list[Q]:
    """The intakes `actor` may see or work on through their roles (break-the-glass aside);
    `per_row` as for cases."""
    parts: list[Q] = []
    worker_units = actor.unit_ids(Role.FRONTLINE_WORKER)
    if worker_units:
        parts.append(
            Q(unit_id__in=worker_units, status__in=OPEN_INTAKE)
            & (Q(assigned_worker_id=uid) | Q(assigned_worker__isnull=True))
        )
    supervisor_units = actor.unit_ids(Role.UNIT_SUPERVISOR)
    if supervisor_units:
        parts.append(Q(unit_id__in=supervisor_units))
    if action == Action.VIEW:
        privacy_orgs = actor.organisation_ids(Role.PRIVACY_OFFICER)
        if privacy_orgs:
            parts.append(_org_units(privacy_orgs, per_row=per_row))
    return parts


def intake_scope(actor: Actor, action: Action) -> Q | None:
    """The intakes `actor` may see or work on."""
    if actor.user_id is None:
        return None
    parts = _intake_need_to_know(actor, action, actor.user_id)
    if action == Action.VIEW:
        parts.append(Q(person_id__in=_break_glass_people(actor.user_id)))
    return _any(parts)


def _break_glass_access(user_id: int) -> QuerySet[BreakGlassAccess]:
    """The user's break-the-glass accesses in force now."""
    return BreakGlassAccess.objects.filter(
        user_id=user_id, ended_at__isnull=True, expires_at__gt=timezone.now()
    )


def _break_glass_people(user_id: int) -> object:
    return _break_glass_access(user_id).values("person_id")


def person_ways_in(actor: Actor, action: Action) -> list[QuerySet[Any]]:
    """The rows through which `actor` may see (VIEW) or change (CHANGE) a person, one queryset
    (with a `person_id`) per way in: the cases and the intakes they may see, and (to view only)
    their break-the-glass accesses in force. The person policy and the search's visibility
    check (`services.search.visible_among`) are both built on these, so they cannot disagree.

    The case and intake rules are written as look-ups on each row's own workers, team and unit
    (`per_row`), and without their break-the-glass condition: a person reached that way is
    reached through the accesses already."""
    if actor.user_id is None or action not in (Action.VIEW, Action.CHANGE):
        return []
    uid = actor.user_id
    ways: list[QuerySet[Any]] = []
    cases = _any(_case_need_to_know(actor, action, uid, per_row=True))
    if cases is not None:
        ways.append(Case.objects.filter(cases))
    intakes = _any(_intake_need_to_know(actor, action, uid, per_row=True))
    if intakes is not None:
        ways.append(Intake.objects.filter(intakes))
    if action == Action.VIEW:
        # Break-the-glass shows the record but never lets the holder change it, reveal the HKID
        # or share it onwards.
        ways.append(_break_glass_access(uid))
    return ways


def person_scope(actor: Actor, action: Action) -> Q | None:
    """The people `actor` may see or change: those of the cases and intakes they may see,
    and (to view only) those they hold break-the-glass access to.

    One correlated EXISTS per way in, OR-ed, so that the database can answer for one person
    (a detail page, `allows`) with look-ups on that person's own rows (the person indexes)
    instead of first gathering every case the user may see (`pk IN (SELECT person_id …)`, which
    PostgreSQL ran as a scan of the whole case table for a frontline worker)."""
    return _any(
        [Q(Exists(rows.filter(person_id=OuterRef("pk")))) for rows in person_ways_in(actor, action)]
    )


@register
class ServiceUserPolicy(Policy[ServiceUser]):
    """People: need-to-know through cases, intakes and break-the-glass (see module docstring)."""

    model = ServiceUser

    def scope(self, actor: Actor, action: Action) -> Q | None:
        return person_scope(actor, action)


class PersonPartPolicy(Policy[HouseholdMember]):
    """Parts of a person's record (household, contacts, other names, consents) follow the person."""

    def scope(self, actor: Actor, action: Action) -> Q | None:
        person_action = Action.VIEW if action == Action.VIEW else Action.CHANGE
        condition = person_scope(actor, person_action)
        if condition is None:
            return None
        return Q(person_id__in=ServiceUser.objects.filter(condition).values("pk"))


@register
class HouseholdMemberPolicy(PersonPartPolicy):
    model = HouseholdMember


@register
class KeyContactPolicy(PersonPartPolicy):
    model = KeyContact


@register
class ServiceUserAliasPolicy(PersonPartPolicy):
    model = ServiceUserAlias


@register
class ConsentPolicy(PersonPartPolicy):
    model = Consent


@register
class CasePolicy(Policy[Case]):
    """Cases: workers their assigned open cases, supervisors their unit's, privacy officers
    their organisation's (read only), break-the-glass (read only)."""

    model = Case

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action == Action.DELETE:
            return None
        return case_scope(actor, Action.VIEW if action == Action.VIEW else Action.CHANGE)


class CasePartPolicy(Policy[CaseNote]):
    """Notes, plans, assessments and reviews follow their case."""

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action == Action.DELETE:
            return None
        condition = case_scope(actor, Action.VIEW if action == Action.VIEW else Action.CHANGE)
        if condition is None:
            return None
        return Q(case_id__in=Case.objects.filter(condition).values("pk"))


@register
class CaseNotePolicy(CasePartPolicy):
    model = CaseNote


@register
class CasePlanPolicy(CasePartPolicy):
    model = CasePlan


@register
class AssessmentPolicy(CasePartPolicy):
    model = Assessment


@register
class CaseReviewPolicy(CasePartPolicy):
    model = CaseReview


@register
class IntakePolicy(Policy[Intake]):
    """Intakes: a worker's own and the unit's unassigned queue; supervisors the unit's."""

    model = Intake

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if action == Action.DELETE:
            return None
        return intake_scope(actor, Action.VIEW if action == Action.VIEW else Action.CHANGE)


@register
class ReferralPolicy(Policy[Referral]):
    """Referrals: the receiving unit's inbox and the sending unit's outbox (workers see what
    they sent; supervisors everything of their unit); privacy officers their organisation's."""

    model = Referral

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if actor.user_id is None or action == Action.DELETE:
            return None
        parts: list[Q] = []
        units = actor.unit_ids(*CASEWORK_ROLES)
        if units:
            parts.append(Q(to_unit_id__in=units))
        supervisor_units = actor.unit_ids(Role.UNIT_SUPERVISOR)
        if supervisor_units:
            parts.append(Q(from_unit_id__in=supervisor_units))
        if actor.unit_ids(Role.FRONTLINE_WORKER):
            parts.append(Q(from_user_id=actor.user_id))
        privacy_orgs = actor.organisation_ids(Role.PRIVACY_OFFICER)
        if privacy_orgs and action == Action.VIEW:
            org_units = ServiceUnit.objects.filter(organisation_id__in=privacy_orgs).values("pk")
            parts.append(Q(to_unit_id__in=org_units) | Q(from_unit_id__in=org_units))
        return _any(parts)


@register
class WorkItemPolicy(Policy[WorkItem]):
    """Work items: a worker's own and their unit's unassigned ones; supervisors their unit's."""

    model = WorkItem

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if actor.user_id is None or action == Action.DELETE:
            return None
        parts: list[Q] = [Q(assignee_id=actor.user_id)]
        worker_units = actor.unit_ids(Role.FRONTLINE_WORKER)
        if worker_units:
            parts.append(Q(unit_id__in=worker_units, assignee__isnull=True, for_supervisor=False))
        supervisor_units = actor.unit_ids(Role.UNIT_SUPERVISOR)
        if supervisor_units:
            parts.append(Q(unit_id__in=supervisor_units))
        return _any(parts)


@register
class BreakGlassAccessPolicy(Policy[BreakGlassAccess]):
    """Break-the-glass records: the staff member's own; privacy officers review those of their
    organisation's staff."""

    model = BreakGlassAccess

    def scope(self, actor: Actor, action: Action) -> Q | None:
        if actor.user_id is None or action == Action.DELETE:
            return None
        parts: list[Q] = []
        if action == Action.VIEW:
            parts.append(Q(user_id=actor.user_id))
        privacy_orgs = actor.organisation_ids(Role.PRIVACY_OFFICER)
        if privacy_orgs:
            from socialdesk.core.models import Membership

            staff = Membership.objects.filter(organisation_id__in=privacy_orgs).values("user_id")
            parts.append(Q(user_id__in=staff))
        return _any(parts)
