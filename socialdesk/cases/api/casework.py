"""Case management API: intakes, cases and the work on them (workers, assessments, plans with
their approval, notes, reviews, closure with its approval, re-opening)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Status
from ninja.pagination import PageNumberPagination, paginate

from socialdesk.api.idempotency import idempotent

from .. import selectors
from ..models import Case
from ..schemas import (
    AssessmentDetailOut,
    AssessmentIn,
    AssignIn,
    CaseCloseIn,
    CaseOpenIn,
    CaseOut,
    CaseSummaryOut,
    CaseWorkerIn,
    CaseWorkerOut,
    IntakeCloseIn,
    IntakeInterviewIn,
    IntakeOut,
    NoteIn,
    NoteOut,
    NotePatch,
    NoteReasonIn,
    PlanDetailOut,
    PlanIn,
    ReopenIn,
    ReviewIn,
    ReviewOut,
    VersionIn,
)
from ..services import casework
from .common import PAGE_SIZE, caseworker, router

ASSESSMENT_PURPOSES = ("assessment", "screening")
INTAKE_FORM_CODE = "intake"

# --- Cases and intakes ---


@router.get("/cases", response=list[CaseSummaryOut], summary="Cases the caller may see")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def case_list(request: HttpRequest, status: str = "") -> Any:
    """`status`: open (open or awaiting closure approval), closure_pending, closed; empty: all."""
    user = caseworker(request)
    return selectors.case_list_for(user=user, status=status[:20])


def _with_parts(case: Case) -> Case:
    case.detail_parts = selectors.case_detail_parts(case=case)  # type: ignore[attr-defined]
    return case


@router.get("/cases/{case_id}", response=CaseOut, summary="One case")
def case_detail(request: HttpRequest, case_id: int) -> Case:
    user = caseworker(request)
    return _with_parts(selectors.case_get_for(user=user, case_id=case_id, request=request))


@router.post(
    "/intakes/{intake_id}/open-case",
    response={201: CaseOut},
    summary="Open a case from an intake",
    description="Send the intake's `version`; you become the responsible worker unless a "
    "supervisor names another (`primary_worker_id`).",
)
@idempotent
def case_open(request: HttpRequest, intake_id: int, payload: CaseOpenIn) -> Any:
    user = caseworker(request)
    case = casework.case_open(
        user=user,
        intake_id=intake_id,
        expected_version=payload.version,
        primary_worker_id=payload.primary_worker_id,
        team_id=payload.team_id,
        summary=payload.summary,
        review_in_days=payload.review_in_days,
    )
    return Status(201, _with_parts(case))


@router.post("/cases/{case_id}/notes", response={201: NoteOut}, summary="Write a case note")
@idempotent
def case_note_create(request: HttpRequest, case_id: int, payload: NoteIn) -> Any:
    user = caseworker(request)
    note = casework.case_note_add(
        user=user,
        case_id=case_id,
        kind=payload.kind,
        occurred_at=payload.occurred_at,
        body=payload.body,
    )
    return Status(201, note)


@router.post(
    "/cases/{case_id}/close",
    response=CaseSummaryOut,
    summary="Close a case",
    description="Where the unit requires it, a worker's closure waits for the supervisor's "
    "approval: the status becomes `closure_pending`.",
)
@idempotent
def case_close(request: HttpRequest, case_id: int, payload: CaseCloseIn) -> Any:
    user = caseworker(request)
    return casework.case_close(
        user=user,
        case_id=case_id,
        expected_version=payload.version,
        reason=payload.reason,
        note=payload.note,
    )


# --- Intakes ---


@router.get("/intakes", response=list[IntakeOut], summary="Intakes of my units")
@paginate(PageNumberPagination, page_size=PAGE_SIZE)
def intake_list(request: HttpRequest, open_only: bool = True) -> Any:
    """Waiting and in-progress intakes (all, with `open_only=false`), newest first."""
    user = caseworker(request)
    return selectors.intake_list_for(user=user, open_only=open_only).select_related(
        "form_version__definition"
    )


@router.get("/intakes/{intake_id}", response=IntakeOut, summary="One intake")
def intake_detail(request: HttpRequest, intake_id: int) -> Any:
    user = caseworker(request)
    return selectors.intake_get_for(user=user, intake_id=intake_id, request=request)


@router.post(
    "/intakes/{intake_id}/assign",
    response=IntakeOut,
    summary="Give an intake to a worker",
    description="Supervisors give it to any worker of the unit; a worker may take it.",
)
@idempotent
def intake_assign(request: HttpRequest, intake_id: int, payload: AssignIn) -> Any:
    user = caseworker(request)
    return casework.intake_assign(
        user=user,
        intake_id=intake_id,
        expected_version=payload.version,
        worker_id=payload.worker_id,
    )


@router.post(
    "/intakes/{intake_id}/interview",
    response=IntakeOut,
    summary="Record the intake interview",
    description="The presenting problem, the date, and the answers to the intake form (the form "
    "the intake already uses, else the current published version of form `intake`).",
)
@idempotent
def intake_interview(request: HttpRequest, intake_id: int, payload: IntakeInterviewIn) -> Any:
    user = caseworker(request)
    intake = selectors.intake_get_for(user=user, intake_id=intake_id, request=request)
    version = None
    if payload.answers is not None:
        version = (
            intake.form_version
            if intake.form_version_id
            else _current_form(INTAKE_FORM_CODE, "answers")
        )
    return casework.intake_record(
        user=user,
        intake_id=intake_id,
        expected_version=payload.version,
        presenting_problem=payload.presenting_problem,
        interviewed_on=payload.interviewed_on,
        form_version=version,
        answers=payload.answers,
    )


@router.post(
    "/intakes/{intake_id}/close",
    response=IntakeOut,
    summary="End an intake without opening a case",
)
@idempotent
def intake_close(request: HttpRequest, intake_id: int, payload: IntakeCloseIn) -> Any:
    user = caseworker(request)
    return casework.intake_close_without_case(
        user=user,
        intake_id=intake_id,
        expected_version=payload.version,
        outcome_note=payload.outcome_note,
    )


# --- Work on a case ---


def _current_form(code: str, field: str) -> Any:
    from socialdesk.forms.models import FormVersion
    from socialdesk.forms.selectors import form_version_current

    try:
        return form_version_current(code=code)
    except FormVersion.DoesNotExist:
        raise ValidationError({field: _("There is no published form with this code.")}) from None


@router.post(
    "/cases/{case_id}/workers",
    response={201: CaseWorkerOut},
    summary="Add a worker to a case",
    description="Unit supervisors; `primary` makes them the responsible worker.",
)
@idempotent
def case_worker_assign(request: HttpRequest, case_id: int, payload: CaseWorkerIn) -> Any:
    user = caseworker(request)
    assignment = casework.case_worker_assign(
        user=user, case_id=case_id, worker_id=payload.worker_id, primary=payload.primary
    )
    return Status(
        201,
        {
            "username": assignment.user.get_username(),
            "display_name": assignment.user.display_name,
            "is_primary": assignment.is_primary,
        },
    )


@router.patch(
    "/notes/{note_id}",
    response=NoteOut,
    summary="Correct a case note",
    description="The note's author only; send the `version` you read (a stale one is 409). "
    "The earlier text stays in the audit history.",
)
def note_update(request: HttpRequest, note_id: int, payload: NotePatch) -> Any:
    user = caseworker(request)
    data = payload.dict(exclude_unset=True, exclude={"version"})
    data = {key: value for key, value in data.items() if value is not None}
    return casework.case_note_update(
        user=user, note_id=note_id, expected_version=payload.version, data=data
    )


@router.post(
    "/cases/{case_id}/assessments",
    response={201: AssessmentDetailOut},
    summary="Record an assessment",
    description="On the current published version of an assessment or screening form (`form`: "
    "its code, e.g. `risk_screening`, `carer_stress`); answers by field name, validated as "
    "the form says. The assessment keeps that form version.",
)
@idempotent
def assessment_create(request: HttpRequest, case_id: int, payload: AssessmentIn) -> Any:
    user = caseworker(request)
    version = _current_form(payload.form, "form")
    if version.definition.purpose not in ASSESSMENT_PURPOSES:
        raise ValidationError({"form": _("This form is not an assessment or screening form.")})
    assessment = casework.assessment_record(
        user=user,
        case_id=case_id,
        form_version=version,
        answers=payload.answers,
        assessed_on=payload.assessed_on,
    )
    return Status(201, assessment)


@router.get("/assessments/{assessment_id}", response=AssessmentDetailOut, summary="One assessment")
def assessment_detail(request: HttpRequest, assessment_id: int) -> Any:
    """With its answers and scores; the read is audited."""
    user = caseworker(request)
    return selectors.assessment_get_for(user=user, assessment_id=assessment_id, request=request)


@router.post(
    "/cases/{case_id}/plans",
    response={201: PlanDetailOut},
    summary="Write a draft case plan",
    description="With its goals; submit it to put it in force (or to the supervisor).",
)
@idempotent
def plan_create(request: HttpRequest, case_id: int, payload: PlanIn) -> Any:
    user = caseworker(request)
    plan = casework.case_plan_create(
        user=user,
        case_id=case_id,
        summary=payload.summary,
        review_on=payload.review_on,
        goals=[goal.dict() for goal in payload.goals],
    )
    return Status(201, plan)


@router.get("/plans/{plan_id}", response=PlanDetailOut, summary="One case plan")
def plan_detail(request: HttpRequest, plan_id: int) -> Any:
    user = caseworker(request)
    return selectors.case_plan_get_for(user=user, plan_id=plan_id)


@router.post(
    "/plans/{plan_id}/submit",
    response=PlanDetailOut,
    summary="Submit a draft plan",
    description="Where the unit requires approval, a worker's plan waits for the supervisor "
    "(`pending_approval`); otherwise it is in force at once (`approved`).",
)
@idempotent
def plan_submit(request: HttpRequest, plan_id: int, payload: VersionIn) -> Any:
    user = caseworker(request)
    return casework.case_plan_submit(user=user, plan_id=plan_id, expected_version=payload.version)


@router.post(
    "/plans/{plan_id}/approve",
    response=PlanDetailOut,
    summary="Approve a submitted plan",
    description="Unit supervisors; it replaces the plan in force.",
)
@idempotent
def plan_approve(request: HttpRequest, plan_id: int, payload: VersionIn) -> Any:
    user = caseworker(request)
    return casework.case_plan_approve(user=user, plan_id=plan_id, expected_version=payload.version)


@router.post(
    "/plans/{plan_id}/return",
    response=PlanDetailOut,
    summary="Return a submitted plan to its author",
    description="Unit supervisors, with a comment; the plan is a draft again.",
)
@idempotent
def plan_return(request: HttpRequest, plan_id: int, payload: NoteReasonIn) -> Any:
    user = caseworker(request)
    return casework.case_plan_return(
        user=user, plan_id=plan_id, expected_version=payload.version, note=payload.note
    )


@router.post(
    "/cases/{case_id}/reviews",
    response={201: ReviewOut},
    summary="Review a case",
    description="Sets the next review date and its reminder.",
)
@idempotent
def review_create(request: HttpRequest, case_id: int, payload: ReviewIn) -> Any:
    user = caseworker(request)
    review = casework.case_review_record(
        user=user,
        case_id=case_id,
        reviewed_on=payload.reviewed_on,
        summary=payload.summary,
        next_review_on=payload.next_review_on,
    )
    return Status(201, review)


@router.post(
    "/cases/{case_id}/close/approve",
    response=CaseSummaryOut,
    summary="Approve a requested closure",
    description="Unit supervisors.",
)
@idempotent
def case_close_approve(request: HttpRequest, case_id: int, payload: VersionIn) -> Any:
    user = caseworker(request)
    return casework.case_close_approve(user=user, case_id=case_id, expected_version=payload.version)


@router.post(
    "/cases/{case_id}/close/reject",
    response=CaseSummaryOut,
    summary="Keep a case open instead of closing it",
    description="Unit supervisors, with a comment for the worker.",
)
@idempotent
def case_close_reject(request: HttpRequest, case_id: int, payload: NoteReasonIn) -> Any:
    user = caseworker(request)
    return casework.case_close_reject(
        user=user, case_id=case_id, expected_version=payload.version, note=payload.note
    )


@router.post(
    "/cases/{case_id}/reopen",
    response=CaseSummaryOut,
    summary="Re-open a closed case",
    description="Unit supervisors, with the reason; the earlier closure stays in the history.",
)
@idempotent
def case_reopen(request: HttpRequest, case_id: int, payload: ReopenIn) -> Any:
    user = caseworker(request)
    return casework.case_reopen(
        user=user, case_id=case_id, expected_version=payload.version, reason=payload.reason
    )
