"""The case lifecycle: intake → case opened → assessments → plan (approved) → notes → reviews →
closure (approved) → re-opening. Each step creates or completes the work items it implies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.concurrency import update_versioned
from socialdesk.core.models import Membership, Role
from socialdesk.core.texts import record_text
from socialdesk.forms import runtime as form_runtime

from ..models import (
    Assessment,
    Case,
    CaseNote,
    CasePlan,
    CaseReview,
    CaseStatus,
    CaseWorker,
    ClosureReason,
    Intake,
    IntakeStatus,
    NoteKind,
    PlanGoal,
    PlanStatus,
    Team,
    UnitCaseSettings,
    WorkItem,
    WorkItemKind,
)
from .numbers import next_number


def unit_settings(unit_id: int) -> UnitCaseSettings:
    """The unit's case settings (defaults: plans and closures need approval)."""
    settings, _created = UnitCaseSettings.objects.get_or_create(unit_id=unit_id)
    return settings


def _is_supervisor_of(user: Any, unit_id: int) -> bool:
    return unit_id in actor_for(user).unit_ids(Role.UNIT_SUPERVISOR)


def _unit_staff(unit_id: int, *roles: str) -> Any:
    ids = Membership.objects.filter(service_unit_id=unit_id, role__in=roles, is_active=True).values(
        "user_id"
    )
    return get_user_model().objects.filter(pk__in=ids, is_active=True)


def work_item_done(**filters: Any) -> int:
    """Mark the open work items matching `filters` as done."""
    return WorkItem.objects.filter(done_at__isnull=True, **filters).update(done_at=timezone.now())


# --- Intake ---


@transaction.atomic
def intake_assign(*, user: Any, intake_id: Any, expected_version: int, worker_id: int) -> Intake:
    """Give an intake to a worker of its unit (a worker may take an unassigned one)."""
    intake = policy_for(Intake).get(user, intake_id, Action.CHANGE)
    if not _is_supervisor_of(user, intake.unit_id) and worker_id != user.pk:
        raise PermissionDenied
    if (
        not _unit_staff(intake.unit_id, Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
        .filter(pk=worker_id)
        .exists()
    ):
        raise ValidationError({"assigned_worker": _("Choose a worker of this unit.")})
    return update_versioned(
        intake,
        expected_version=expected_version,
        changes={"assigned_worker_id": worker_id},
        fields=["assigned_worker"],
    )


@transaction.atomic
def intake_record(
    *,
    user: Any,
    intake_id: Any,
    expected_version: int,
    presenting_problem: str,
    interviewed_on: date | None,
    form_version: Any = None,
    answers: dict[str, Any] | None = None,
) -> Intake:
    """Save the intake interview (presenting problem and the unit's intake form answers)."""
    intake = policy_for(Intake).get(user, intake_id, Action.CHANGE)
    if not intake.is_open:
        raise ValidationError(_("This intake is finished and can no longer be changed."))
    changes: dict[str, Any] = {
        "presenting_problem": presenting_problem.strip(),
        "interviewed_on": interviewed_on,
        "status": IntakeStatus.IN_PROGRESS,
    }
    if form_version is not None:
        cleaned, errors = form_runtime.validate_answers(form_version.schema, answers or {})
        if errors:
            raise ValidationError(errors)
        changes["form_version"] = form_version
        changes["answers"] = cleaned
    return update_versioned(intake, expected_version=expected_version, changes=changes)


@transaction.atomic
def intake_close_without_case(
    *, user: Any, intake_id: Any, expected_version: int, outcome_note: str
) -> Intake:
    """End an intake without opening a case (e.g. information given, referred elsewhere)."""
    intake = policy_for(Intake).get(user, intake_id, Action.CHANGE)
    if not intake.is_open:
        raise ValidationError(_("This intake is already finished."))
    if not outcome_note.strip():
        raise ValidationError({"outcome_note": _("Say why no case is opened.")})
    intake = update_versioned(
        intake,
        expected_version=expected_version,
        changes={"status": IntakeStatus.NO_CASE, "outcome_note": outcome_note.strip()},
    )
    work_item_done(intake=intake)
    return intake


@transaction.atomic
def case_open(
    *,
    user: Any,
    intake_id: Any,
    expected_version: int,
    primary_worker_id: int | None = None,
    team_id: int | None = None,
    summary: str = "",
    review_in_days: int = 90,
) -> Case:
    """Open a case from an intake in the intake's unit, with a responsible worker."""
    intake = policy_for(Intake).get(user, intake_id, Action.CHANGE)
    if not intake.is_open:
        raise ValidationError(_("This intake is already finished."))
    worker_id = primary_worker_id or user.pk
    staff = _unit_staff(intake.unit_id, Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
    if not staff.filter(pk=worker_id).exists():
        raise ValidationError({"primary_worker": _("Choose a worker of this unit.")})
    if worker_id != user.pk and not _is_supervisor_of(user, intake.unit_id):
        raise PermissionDenied
    team = None
    if team_id:
        team = Team.objects.filter(pk=team_id, unit_id=intake.unit_id).first()
        if team is None:
            raise ValidationError({"team": _("Choose a team of this unit.")})
    if (
        Case.objects.filter(person_id=intake.person_id, unit_id=intake.unit_id)
        .exclude(status=CaseStatus.CLOSED)
        .exists()
    ):
        raise ValidationError(
            _("This person already has an open case in this unit; re-use it instead.")
        )
    today = timezone.localdate()
    case = Case.objects.create(
        number=next_number("C"),
        person_id=intake.person_id,
        unit_id=intake.unit_id,
        team=team,
        intake=intake,
        opened_on=today,
        opened_by=user,
        summary=summary.strip() or intake.presenting_problem,
        next_review_on=today + timedelta(days=review_in_days),
    )
    CaseWorker.objects.create(case=case, user_id=worker_id, is_primary=True)
    update_versioned(
        intake, expected_version=expected_version, changes={"status": IntakeStatus.CASE_OPENED}
    )
    work_item_done(intake=intake)
    WorkItem.objects.create(
        kind=WorkItemKind.CASE_REVIEW,
        unit_id=case.unit_id,
        assignee_id=worker_id,
        case=case,
        due_on=today + timedelta(days=review_in_days),
    )
    return case


@transaction.atomic
def case_worker_assign(
    *, user: Any, case_id: Any, worker_id: int, primary: bool = False
) -> CaseWorker:
    """Add a worker to a case (supervisors), or make them the responsible worker."""
    case = policy_for(Case).get(user, case_id, Action.CHANGE)
    if not _is_supervisor_of(user, case.unit_id):
        raise PermissionDenied
    if (
        not _unit_staff(case.unit_id, Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR)
        .filter(pk=worker_id)
        .exists()
    ):
        raise ValidationError({"worker": _("Choose a worker of this unit.")})
    assignment, _created = CaseWorker.objects.get_or_create(case=case, user_id=worker_id)
    if primary:
        for other in case.workers.filter(is_primary=True).exclude(pk=assignment.pk):
            other.is_primary = False
            other.save(update_fields=["is_primary"])
        if not assignment.is_primary:
            assignment.is_primary = True
            assignment.save(update_fields=["is_primary"])
    return assignment


def _primary_worker_id(case: Case) -> int | None:
    row = case.workers.filter(is_primary=True).values_list("user_id", flat=True).first()
    return row


def _case_for_work(user: Any, case_id: Any) -> Case:
    case = policy_for(Case).get(user, case_id, Action.CHANGE)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(_("The case is closed; re-open it first."))
    return case


# --- Assessments, notes, reviews ---


@transaction.atomic
def assessment_record(
    *, user: Any, case_id: Any, form_version: Any, answers: dict[str, Any], assessed_on: date
) -> Assessment:
    """Record an assessment on a published form; the answers keep that form version."""
    case = _case_for_work(user, case_id)
    if form_version.status != "published":
        raise ValidationError(_("Choose a published form."))
    cleaned, errors = form_runtime.validate_answers(form_version.schema, answers)
    if errors:
        raise ValidationError(errors)
    if assessed_on > timezone.localdate():
        raise ValidationError({"assessed_on": _("The date cannot be in the future.")})
    score = {
        # Totals are Decimals; stored as JSON like the answers (decimal text).
        name: {**result, "total": form_runtime.to_json(result["total"])}
        for name, result in form_runtime.score(
            form_version.schema, form_version.scoring, cleaned
        ).items()
    }
    return Assessment.objects.create(
        case=case,
        form_version=form_version,
        answers=cleaned,
        score=score,
        assessed_on=assessed_on,
        author=user,
    )


@transaction.atomic
def case_note_add(
    *, user: Any, case_id: Any, kind: str, occurred_at: datetime, body: str
) -> CaseNote:
    """Write a case note of a contact, home visit, case conference or phone call."""
    case = _case_for_work(user, case_id)
    if kind not in NoteKind.values:
        raise ValidationError({"kind": _("Choose the type of contact.")})
    if not body.strip():
        raise ValidationError({"body": _("The note is empty.")})
    if occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("The date cannot be in the future.")})
    return CaseNote.objects.create(
        case=case, kind=kind, occurred_at=occurred_at, body=body.strip(), author=user
    )


@transaction.atomic
def case_note_update(
    *, user: Any, note_id: Any, expected_version: int, data: dict[str, Any]
) -> CaseNote:
    """Correct a case note (its author only); earlier text stays in the audit history."""
    note = policy_for(CaseNote).get(user, note_id, Action.CHANGE)
    if note.author_id != user.pk:
        raise PermissionDenied
    changes = {k: v for k, v in data.items() if k in ("kind", "occurred_at", "body")}
    if "body" in changes:
        changes["body"] = str(changes["body"]).strip()
        if not changes["body"]:
            raise ValidationError({"body": _("The note is empty.")})
    if "kind" in changes and changes["kind"] not in NoteKind.values:
        raise ValidationError({"kind": _("Choose the type of contact.")})
    occurred_at = changes.get("occurred_at")
    if occurred_at is not None and occurred_at > timezone.now() + timedelta(minutes=5):
        raise ValidationError({"occurred_at": _("The date cannot be in the future.")})
    return update_versioned(note, expected_version=expected_version, changes=changes)


@transaction.atomic
def case_review_record(
    *, user: Any, case_id: Any, reviewed_on: date, summary: str, next_review_on: date | None
) -> CaseReview:
    """Review the case; sets the next review date and the reminder for it."""
    case = _case_for_work(user, case_id)
    if not summary.strip():
        raise ValidationError({"summary": _("Write the review summary.")})
    if reviewed_on > timezone.localdate():
        raise ValidationError({"reviewed_on": _("The date cannot be in the future.")})
    if next_review_on is not None and next_review_on <= reviewed_on:
        raise ValidationError({"next_review_on": _("The next review must be after this one.")})
    review = CaseReview.objects.create(
        case=case,
        reviewed_on=reviewed_on,
        summary=summary.strip(),
        next_review_on=next_review_on,
        author=user,
    )
    update_versioned(
        case, expected_version=case.version, changes={"next_review_on": next_review_on}
    )
    work_item_done(case=case, kind=WorkItemKind.CASE_REVIEW)
    if next_review_on is not None:
        WorkItem.objects.create(
            kind=WorkItemKind.CASE_REVIEW,
            unit_id=case.unit_id,
            assignee_id=_primary_worker_id(case) or user.pk,
            case=case,
            due_on=next_review_on,
        )
    return review


# --- Plans ---


@transaction.atomic
def case_plan_create(
    *,
    user: Any,
    case_id: Any,
    summary: str,
    review_on: date,
    goals: Sequence[dict[str, Any]],
) -> CasePlan:
    """Write a draft case plan with its goals."""
    case = _case_for_work(user, case_id)
    goals = [g for g in goals if str(g.get("description", "")).strip()]
    if not goals:
        raise ValidationError({"goals": _("A plan needs at least one goal.")})
    if review_on <= timezone.localdate():
        raise ValidationError({"review_on": _("The review date must be in the future.")})
    plan = CasePlan.objects.create(
        case=case, summary=summary.strip(), review_on=review_on, author=user
    )
    for order, goal in enumerate(goals):
        PlanGoal.objects.create(
            plan=plan,
            order=order,
            description=str(goal["description"]).strip(),
            target_on=goal.get("target_on") or None,
        )
    return plan


@transaction.atomic
def case_plan_submit(*, user: Any, plan_id: Any, expected_version: int) -> CasePlan:
    """Submit a draft plan: to the supervisor where the unit requires approval, else in force."""
    plan = policy_for(CasePlan).get(user, plan_id, Action.CHANGE)
    if plan.status != PlanStatus.DRAFT:
        raise ValidationError(_("Only a draft plan can be submitted."))
    if unit_settings(plan.case.unit_id).plan_approval_required and not _is_supervisor_of(
        user, plan.case.unit_id
    ):
        plan = update_versioned(
            plan,
            expected_version=expected_version,
            changes={"status": PlanStatus.PENDING_APPROVAL, "return_note": ""},
        )
        WorkItem.objects.create(
            kind=WorkItemKind.PLAN_APPROVAL,
            unit_id=plan.case.unit_id,
            for_supervisor=True,
            case=plan.case,
            plan=plan,
            due_on=timezone.localdate() + timedelta(days=7),
        )
        return plan
    return _plan_put_in_force(plan, user=user, expected_version=expected_version)


def _plan_put_in_force(plan: CasePlan, *, user: Any, expected_version: int) -> CasePlan:
    for older in CasePlan.objects.filter(case=plan.case, status=PlanStatus.APPROVED).exclude(
        pk=plan.pk
    ):
        update_versioned(
            older, expected_version=older.version, changes={"status": PlanStatus.SUPERSEDED}
        )
    plan = update_versioned(
        plan,
        expected_version=expected_version,
        changes={"status": PlanStatus.APPROVED, "approved_by": user, "approved_at": timezone.now()},
    )
    work_item_done(plan__case=plan.case, kind=WorkItemKind.PLAN_REVIEW)
    WorkItem.objects.create(
        kind=WorkItemKind.PLAN_REVIEW,
        unit_id=plan.case.unit_id,
        assignee_id=_primary_worker_id(plan.case) or plan.author_id,
        case=plan.case,
        plan=plan,
        due_on=plan.review_on,
    )
    return plan


@transaction.atomic
def case_plan_approve(*, user: Any, plan_id: Any, expected_version: int) -> CasePlan:
    """A supervisor of the unit approves a submitted plan; it replaces the plan in force."""
    plan = policy_for(CasePlan).get(user, plan_id, Action.CHANGE)
    if not _is_supervisor_of(user, plan.case.unit_id):
        raise PermissionDenied
    if plan.status != PlanStatus.PENDING_APPROVAL:
        raise ValidationError(_("This plan is not waiting for approval."))
    work_item_done(plan=plan, kind=WorkItemKind.PLAN_APPROVAL)
    return _plan_put_in_force(plan, user=user, expected_version=expected_version)


@transaction.atomic
def case_plan_return(*, user: Any, plan_id: Any, expected_version: int, note: str) -> CasePlan:
    """A supervisor sends a submitted plan back to draft with a comment."""
    plan = policy_for(CasePlan).get(user, plan_id, Action.CHANGE)
    if not _is_supervisor_of(user, plan.case.unit_id):
        raise PermissionDenied
    if plan.status != PlanStatus.PENDING_APPROVAL:
        raise ValidationError(_("This plan is not waiting for approval."))
    if not note.strip():
        raise ValidationError({"return_note": _("Say what should change.")})
    work_item_done(plan=plan, kind=WorkItemKind.PLAN_APPROVAL)
    return update_versioned(
        plan,
        expected_version=expected_version,
        changes={"status": PlanStatus.DRAFT, "return_note": note.strip()},
    )


# --- Closure and re-opening ---


@transaction.atomic
def case_close(*, user: Any, case_id: Any, expected_version: int, reason: str, note: str) -> Case:
    """Close a case with a reason; where the unit requires it, a worker's closure waits for the
    supervisor's approval (status "closure awaiting approval")."""
    case = policy_for(Case).get(user, case_id, Action.CHANGE)
    if case.status != CaseStatus.OPEN:
        raise ValidationError(_("Only an open case can be closed."))
    if reason not in ClosureReason.values:
        raise ValidationError({"closure_reason": _("Choose the reason for closing.")})
    if reason == ClosureReason.OTHER and not note.strip():
        raise ValidationError({"closure_note": _("Explain the reason for closing.")})
    changes: dict[str, Any] = {
        "closure_reason": reason,
        "closure_note": note.strip(),
        "closure_requested_by": user,
    }
    needs_approval = unit_settings(case.unit_id).closure_approval_required
    if needs_approval and not _is_supervisor_of(user, case.unit_id):
        changes["status"] = CaseStatus.CLOSURE_PENDING
        case = update_versioned(case, expected_version=expected_version, changes=changes)
        WorkItem.objects.create(
            kind=WorkItemKind.CLOSURE_APPROVAL,
            unit_id=case.unit_id,
            for_supervisor=True,
            case=case,
            due_on=timezone.localdate() + timedelta(days=7),
        )
        return case
    return _close_now(case, user=user, expected_version=expected_version, changes=changes)


def _close_now(case: Case, *, user: Any, expected_version: int, changes: dict[str, Any]) -> Case:
    changes = {
        **changes,
        "status": CaseStatus.CLOSED,
        "closed_on": timezone.localdate(),
        "closed_by": user,
        "next_review_on": None,
    }
    case = update_versioned(case, expected_version=expected_version, changes=changes)
    work_item_done(case=case)
    return case


@transaction.atomic
def case_close_approve(*, user: Any, case_id: Any, expected_version: int) -> Case:
    """A supervisor approves a requested closure."""
    case = policy_for(Case).get(user, case_id, Action.CHANGE)
    if not _is_supervisor_of(user, case.unit_id):
        raise PermissionDenied
    if case.status != CaseStatus.CLOSURE_PENDING:
        raise ValidationError(_("This case is not waiting for closure approval."))
    return _close_now(case, user=user, expected_version=expected_version, changes={})


@transaction.atomic
def case_close_reject(*, user: Any, case_id: Any, expected_version: int, note: str) -> Case:
    """A supervisor keeps the case open instead of closing it, with a comment."""
    case = policy_for(Case).get(user, case_id, Action.CHANGE)
    if not _is_supervisor_of(user, case.unit_id):
        raise PermissionDenied
    if case.status != CaseStatus.CLOSURE_PENDING:
        raise ValidationError(_("This case is not waiting for closure approval."))
    if not note.strip():
        raise ValidationError({"closure_note": _("Say why the case stays open.")})
    work_item_done(case=case, kind=WorkItemKind.CLOSURE_APPROVAL)
    return update_versioned(
        case,
        expected_version=expected_version,
        changes={"status": CaseStatus.OPEN, "closure_reason": "", "closure_note": note.strip()},
    )


@transaction.atomic
def case_reopen(*, user: Any, case_id: Any, expected_version: int, reason: str) -> Case:
    """Re-open a closed case (the unit's supervisor); the previous closure stays in history."""
    case = policy_for(Case).get(user, case_id, Action.CHANGE)
    if not _is_supervisor_of(user, case.unit_id):
        raise PermissionDenied
    if case.status != CaseStatus.CLOSED:
        raise ValidationError(_("Only a closed case can be re-opened."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for re-opening.")})
    if (
        Case.objects.filter(person_id=case.person_id, unit_id=case.unit_id)
        .exclude(status=CaseStatus.CLOSED)
        .exists()
    ):
        raise ValidationError(_("This person already has an open case in this unit."))
    review_on = timezone.localdate() + timedelta(days=90)
    case = update_versioned(
        case,
        expected_version=expected_version,
        changes={
            "status": CaseStatus.OPEN,
            "closed_on": None,
            "closed_by": None,
            "closure_reason": "",
            "closure_note": "",
            "reopened_count": case.reopened_count + 1,
            "next_review_on": review_on,
        },
    )
    CaseNote.objects.create(
        case=case,
        kind=NoteKind.OTHER,
        occurred_at=timezone.now(),
        body=record_text(gettext_lazy("Case re-opened: %(reason)s"), reason=reason.strip()),
        author=user,
    )
    WorkItem.objects.create(
        kind=WorkItemKind.CASE_REVIEW,
        unit_id=case.unit_id,
        assignee_id=_primary_worker_id(case) or user.pk,
        case=case,
        due_on=review_on,
    )
    return case
