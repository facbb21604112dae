"""The case lifecycle (services/casework.py): intake, opening, assessments, plans, notes,
reviews, closure and re-opening, with the work items each step creates or completes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from socialdesk.accounts.models import User
from socialdesk.cases.models import (
    Case,
    CaseNote,
    CasePlan,
    CaseStatus,
    ClosureReason,
    Intake,
    IntakeStatus,
    NoteKind,
    PlanStatus,
    WorkItem,
    WorkItemKind,
)
from socialdesk.cases.services.casework import (
    assessment_record,
    case_close,
    case_close_approve,
    case_close_reject,
    case_note_add,
    case_note_update,
    case_open,
    case_plan_approve,
    case_plan_create,
    case_plan_return,
    case_plan_submit,
    case_reopen,
    case_review_record,
    intake_close_without_case,
    intake_record,
)
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.tests.world import World
from socialdesk.forms.runtime import visible_keys

from ..factories import CaseFactory, IntakeFactory, TeamFactory

TODAY = timezone.localdate


def answers_for(schema: list[dict[str, Any]]) -> dict[str, Any]:
    """A valid answer to every question of a form schema."""
    answers: dict[str, Any] = {}
    for field in schema:
        kind = field["type"]
        choices = [str(c["value"]) for c in field.get("choices") or []]
        if kind in ("text", "textarea"):
            value: Any = "Lives alone; daughter visits weekly."
        elif kind in ("integer", "decimal", "scale"):
            value = field.get("min") if field.get("min") is not None else 1
        elif kind == "date":
            value = (TODAY() - timedelta(days=30)).isoformat()
        elif kind == "boolean":
            value = True
        elif kind == "choice":
            value = choices[-1]
        elif kind == "multichoice":
            value = choices[:2]
        else:  # pragma: no cover - a new field type
            raise AssertionError(kind)
        answers[str(field["key"])] = value
    return answers


@pytest.fixture
def shipped_forms(module_shipped_forms: dict[str, Any], db: None) -> dict[str, Any]:
    return module_shipped_forms


@pytest.fixture
def intake(world: World, worker: User) -> Intake:
    """A pending intake in unit_a, assigned to the worker."""
    return IntakeFactory(unit=world.unit_a, assigned_worker=worker)


def open_case_from(intake: Intake, user: User, **kwargs: Any) -> Case:
    return case_open(user=user, intake_id=intake.pk, expected_version=intake.version, **kwargs)


@pytest.fixture
def case(intake: Intake, worker: User) -> Case:
    """A case the worker opened from their intake (the worker responsible)."""
    return open_case_from(intake, worker)


def _open_items(**filters: Any) -> list[WorkItem]:
    return list(WorkItem.objects.filter(done_at__isnull=True, **filters))


# --- Intake ---


def test_intake_record_validates_the_answers_against_the_intake_form(
    worker: User, intake: Intake, shipped_forms: dict[str, Any]
) -> None:
    form = shipped_forms["intake"]
    answers = answers_for(form.schema)

    recorded = intake_record(
        user=worker,
        intake_id=intake.pk,
        expected_version=intake.version,
        presenting_problem="  Carer exhausted.  ",
        interviewed_on=TODAY(),
        form_version=form,
        answers=answers,
    )

    assert recorded.status == IntakeStatus.IN_PROGRESS
    assert recorded.presenting_problem == "Carer exhausted."
    assert recorded.form_version == form
    # every question shown was answered and kept; those hidden by a skip condition dropped
    assert set(recorded.answers) == set(visible_keys(form.schema, recorded.answers))
    assert len(recorded.answers) < len(answers)
    assert recorded.version == intake.version + 1


def test_intake_record_refuses_answers_the_form_does_not_accept(
    worker: User, intake: Intake, shipped_forms: dict[str, Any]
) -> None:
    form = shipped_forms["intake"]
    required = [f["key"] for f in form.schema if f.get("required") and not f.get("show_if")]

    with pytest.raises(ValidationError) as error:
        intake_record(
            user=worker,
            intake_id=intake.pk,
            expected_version=intake.version,
            presenting_problem="x",
            interviewed_on=TODAY(),
            form_version=form,
            answers={"no_such_question": "1"},
        )

    assert "no_such_question" in error.value.message_dict
    assert set(required) <= set(error.value.message_dict)
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.PENDING and intake.answers == {}


def test_intake_record_from_a_stale_copy_is_refused(worker: User, intake: Intake) -> None:
    intake_record(
        user=worker,
        intake_id=intake.pk,
        expected_version=1,
        presenting_problem="a",
        interviewed_on=None,
    )

    with pytest.raises(ConflictError):
        intake_record(
            user=worker,
            intake_id=intake.pk,
            expected_version=1,
            presenting_problem="b",
            interviewed_on=None,
        )


def test_intake_closed_without_a_case_needs_an_outcome_and_is_then_finished(
    worker: User, intake: Intake
) -> None:
    with pytest.raises(ValidationError):
        intake_close_without_case(
            user=worker, intake_id=intake.pk, expected_version=1, outcome_note=""
        )

    closed = intake_close_without_case(
        user=worker, intake_id=intake.pk, expected_version=1, outcome_note="Information given."
    )

    assert closed.status == IntakeStatus.NO_CASE
    with pytest.raises(Http404):  # a finished intake leaves the worker's need-to-know
        intake_record(
            user=worker,
            intake_id=intake.pk,
            expected_version=closed.version,
            presenting_problem="x",
            interviewed_on=None,
        )


# --- Opening ---


def test_case_open_numbers_the_case_by_year_and_assigns_the_worker(
    worker: User, intake: Intake
) -> None:
    case = open_case_from(intake, worker)

    assert re.fullmatch(rf"C-{TODAY().year}-\d{{6}}", case.number)
    assert case.status == CaseStatus.OPEN and case.opened_by == worker
    assert case.person_id == intake.person_id and case.unit_id == intake.unit_id
    assert case.intake == intake
    assert list(case.workers.values_list("user", "is_primary")) == [(worker.pk, True)]
    assert case.summary == intake.presenting_problem
    assert case.next_review_on == TODAY() + timedelta(days=90)
    intake.refresh_from_db()
    assert intake.status == IntakeStatus.CASE_OPENED


def test_case_numbers_follow_one_another(world: World, worker: User) -> None:
    first = open_case_from(IntakeFactory(unit=world.unit_a, assigned_worker=worker), worker)
    second = open_case_from(IntakeFactory(unit=world.unit_a, assigned_worker=worker), worker)

    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


def test_case_open_puts_the_first_review_on_the_workers_list(worker: User, case: Case) -> None:
    [item] = _open_items(case=case)

    assert (item.kind, item.assignee, item.due_on) == (
        WorkItemKind.CASE_REVIEW,
        worker,
        case.next_review_on,
    )


def test_case_open_completes_the_intakes_work_items(
    world: World, worker: User, intake: Intake
) -> None:
    WorkItem.objects.create(
        kind=WorkItemKind.INTAKE, unit=world.unit_a, assignee=worker, intake=intake, due_on=TODAY()
    )

    open_case_from(intake, worker)

    assert _open_items(intake=intake) == []


def test_only_one_open_case_per_person_per_unit(
    world: World, worker: User, staff_b: User, case: Case
) -> None:
    again = IntakeFactory(person=case.person, unit=world.unit_a, assigned_worker=worker)

    with pytest.raises(ValidationError):
        open_case_from(again, worker)
    elsewhere = IntakeFactory(person=case.person, unit=world.unit_b, assigned_worker=staff_b)
    assert open_case_from(elsewhere, staff_b).unit == world.unit_b


def test_a_worker_opens_cases_for_themself_and_a_supervisor_for_anyone(
    world: World, worker: User, colleague: User, supervisor: User, intake: Intake
) -> None:
    with pytest.raises(PermissionDenied):
        open_case_from(intake, worker, primary_worker_id=colleague.pk)
    with pytest.raises(ValidationError):  # not a worker of the unit
        open_case_from(intake, supervisor, primary_worker_id=world.staff_b.pk)

    case = open_case_from(intake, supervisor, primary_worker_id=colleague.pk)

    assert case.workers.get(is_primary=True).user == colleague


def test_case_open_with_a_team_of_another_unit_is_refused(
    world: World, worker: User, intake: Intake
) -> None:
    team_b = TeamFactory(unit=world.unit_b)

    with pytest.raises(ValidationError):
        open_case_from(intake, worker, team_id=team_b.pk)


def test_case_open_from_another_units_intake_is_not_found(
    world: World, staff_b: User, intake: Intake
) -> None:
    with pytest.raises(Http404):
        open_case_from(intake, staff_b)


# --- Assessments ---


@pytest.mark.parametrize("code", ["risk_screening", "carer_stress"])
def test_assessment_keeps_the_form_version_and_the_score(
    worker: User, case: Case, shipped_forms: dict[str, Any], code: str
) -> None:
    form = shipped_forms[code]

    assessment = assessment_record(
        user=worker,
        case_id=case.pk,
        form_version=form,
        answers=answers_for(form.schema),
        assessed_on=TODAY(),
    )

    assessment.refresh_from_db()
    assert assessment.form_version == form and assessment.author == worker
    assert set(assessment.score) == set(form.scoring or {})
    for result in assessment.score.values():
        assert "total" in result and "band" in result


def test_assessment_refuses_invalid_answers_and_future_dates(
    worker: User, case: Case, shipped_forms: dict[str, Any]
) -> None:
    form = shipped_forms["carer_stress"]

    with pytest.raises(ValidationError):
        assessment_record(
            user=worker, case_id=case.pk, form_version=form, answers={"x": 1}, assessed_on=TODAY()
        )
    with pytest.raises(ValidationError) as error:
        assessment_record(
            user=worker,
            case_id=case.pk,
            form_version=form,
            answers=answers_for(form.schema),
            assessed_on=TODAY() + timedelta(days=1),
        )
    assert "assessed_on" in error.value.message_dict


def test_assessment_on_an_unpublished_form_is_refused(
    worker: User, case: Case, shipped_forms: dict[str, Any]
) -> None:
    from socialdesk.forms.services import form_version_create_draft

    draft = form_version_create_draft(
        definition=shipped_forms["carer_stress"].definition, user=None
    )

    with pytest.raises(ValidationError):
        assessment_record(
            user=worker, case_id=case.pk, form_version=draft, answers={}, assessed_on=TODAY()
        )


# --- Plans ---


def make_plan(user: User, case: Case, **kwargs: Any) -> CasePlan:
    return case_plan_create(
        user=user,
        case_id=case.pk,
        summary=kwargs.pop("summary", "Relieve the carer."),
        review_on=kwargs.pop("review_on", TODAY() + timedelta(days=60)),
        goals=kwargs.pop("goals", [{"description": "Day care three times a week"}]),
    )


def submit(user: User, plan: CasePlan) -> CasePlan:
    return case_plan_submit(user=user, plan_id=plan.pk, expected_version=plan.version)


def approve(user: User, plan: CasePlan) -> CasePlan:
    return case_plan_approve(user=user, plan_id=plan.pk, expected_version=plan.version)


def test_plan_is_created_as_a_draft_with_its_goals(worker: User, case: Case) -> None:
    plan = make_plan(
        worker,
        case,
        goals=[{"description": "Day care"}, {"description": "  "}, {"description": "Respite"}],
    )

    assert plan.status == PlanStatus.DRAFT and plan.author == worker
    assert list(plan.goals.values_list("order", "description")) == [(0, "Day care"), (1, "Respite")]


def test_plan_needs_a_goal_and_a_future_review_date(worker: User, case: Case) -> None:
    with pytest.raises(ValidationError) as error:
        make_plan(worker, case, goals=[{"description": " "}])
    assert "goals" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_plan(worker, case, review_on=TODAY())
    assert "review_on" in error.value.message_dict


def test_submitted_plan_waits_for_the_supervisor_where_the_unit_requires_it(
    worker: User, case: Case
) -> None:
    plan = submit(worker, make_plan(worker, case))

    assert plan.status == PlanStatus.PENDING_APPROVAL
    [item] = _open_items(plan=plan)
    assert item.kind == WorkItemKind.PLAN_APPROVAL and item.for_supervisor
    assert item.assignee is None


def test_a_worker_cannot_approve_a_plan(worker: User, case: Case) -> None:
    plan = submit(worker, make_plan(worker, case))

    with pytest.raises(PermissionDenied):
        approve(worker, plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PENDING_APPROVAL


def test_supervisor_approval_puts_the_plan_in_force_and_schedules_its_review(
    worker: User, supervisor: User, case: Case
) -> None:
    plan = submit(worker, make_plan(worker, case))

    approved = approve(supervisor, plan)

    assert approved.status == PlanStatus.APPROVED
    assert approved.approved_by == supervisor and approved.approved_at is not None
    assert _open_items(plan=plan, kind=WorkItemKind.PLAN_APPROVAL) == []
    [review] = _open_items(plan=plan, kind=WorkItemKind.PLAN_REVIEW)
    assert (review.assignee, review.due_on) == (worker, plan.review_on)


def test_approving_a_new_plan_supersedes_the_one_in_force(
    worker: User, supervisor: User, case: Case
) -> None:
    first = approve(supervisor, submit(worker, make_plan(worker, case)))
    second = approve(supervisor, submit(worker, make_plan(worker, case, summary="Next stage")))

    first.refresh_from_db()
    assert (first.status, second.status) == (PlanStatus.SUPERSEDED, PlanStatus.APPROVED)
    assert [i.plan for i in _open_items(case=case, kind=WorkItemKind.PLAN_REVIEW)] == [second]


def test_supervisor_returns_a_plan_with_a_note(worker: User, supervisor: User, case: Case) -> None:
    plan = submit(worker, make_plan(worker, case))

    with pytest.raises(ValidationError):
        case_plan_return(user=supervisor, plan_id=plan.pk, expected_version=plan.version, note=" ")
    with pytest.raises(PermissionDenied):
        case_plan_return(user=worker, plan_id=plan.pk, expected_version=plan.version, note="No")
    returned = case_plan_return(
        user=supervisor, plan_id=plan.pk, expected_version=plan.version, note="Add a goal."
    )

    assert (returned.status, returned.return_note) == (PlanStatus.DRAFT, "Add a goal.")
    assert _open_items(plan=plan) == []
    resubmitted = submit(worker, returned)
    assert resubmitted.status == PlanStatus.PENDING_APPROVAL and resubmitted.return_note == ""


def test_plan_is_in_force_on_submission_where_the_unit_needs_no_approval(
    worker: User, case: Case, no_approvals: Any
) -> None:
    plan = submit(worker, make_plan(worker, case))

    assert plan.status == PlanStatus.APPROVED and plan.approved_by == worker
    assert _open_items(plan=plan, kind=WorkItemKind.PLAN_APPROVAL) == []


def test_a_supervisors_own_plan_needs_no_approval(supervisor: User, case: Case) -> None:
    plan = submit(supervisor, make_plan(supervisor, case))

    assert plan.status == PlanStatus.APPROVED


def test_only_a_draft_is_submitted_and_only_a_submitted_plan_approved(
    worker: User, supervisor: User, case: Case
) -> None:
    plan = make_plan(worker, case)
    with pytest.raises(ValidationError):
        approve(supervisor, plan)
    plan = submit(worker, plan)
    with pytest.raises(ValidationError):
        submit(worker, plan)


# --- Notes ---


def add_note(
    user: User, case: Case, body: str = "Home visit: carer coping.", **kw: Any
) -> CaseNote:
    return case_note_add(
        user=user,
        case_id=case.pk,
        kind=kw.get("kind", NoteKind.HOME_VISIT),
        occurred_at=kw.get("occurred_at", timezone.now() - timedelta(hours=2)),
        body=body,
    )


def test_note_is_written_by_the_caseworker(worker: User, case: Case) -> None:
    note = add_note(worker, case, body="  Visited.  ")

    assert (note.case, note.author, note.body, note.version) == (case, worker, "Visited.", 1)


def test_note_needs_a_body_a_known_kind_and_a_past_time(worker: User, case: Case) -> None:
    with pytest.raises(ValidationError):
        add_note(worker, case, body="   ")
    with pytest.raises(ValidationError):
        add_note(worker, case, kind="gossip")
    with pytest.raises(ValidationError):
        add_note(worker, case, occurred_at=timezone.now() + timedelta(hours=1))


def test_note_is_corrected_by_its_author_with_versions(worker: User, case: Case) -> None:
    note = add_note(worker, case)

    corrected = case_note_update(
        user=worker, note_id=note.pk, expected_version=1, data={"body": "Office interview."}
    )

    assert (corrected.body, corrected.version) == ("Office interview.", 2)
    with pytest.raises(ConflictError):
        case_note_update(user=worker, note_id=note.pk, expected_version=1, data={"body": "Late"})


def test_only_the_author_corrects_a_note(
    world: World, worker: User, colleague: User, supervisor: User
) -> None:
    team = TeamFactory(unit=world.unit_a, members=[worker, colleague])
    case = CaseFactory(unit=world.unit_a, team=team, opened_by=worker, workers=[worker])
    note = add_note(worker, case)

    for other in (colleague, supervisor):
        with pytest.raises(PermissionDenied):
            case_note_update(user=other, note_id=note.pk, expected_version=1, data={"body": "x"})
    note.refresh_from_db()
    assert note.version == 1


def test_an_empty_correction_is_refused(worker: User, case: Case) -> None:
    note = add_note(worker, case)

    with pytest.raises(ValidationError):
        case_note_update(user=worker, note_id=note.pk, expected_version=1, data={"body": " "})


# --- Reviews ---


def test_review_sets_the_next_review_and_moves_the_reminder(worker: User, case: Case) -> None:
    next_review = TODAY() + timedelta(days=120)

    review = case_review_record(
        user=worker,
        case_id=case.pk,
        reviewed_on=TODAY(),
        summary="Carer coping better.",
        next_review_on=next_review,
    )

    case.refresh_from_db()
    assert review.author == worker and case.next_review_on == next_review
    [item] = _open_items(case=case, kind=WorkItemKind.CASE_REVIEW)
    assert (item.assignee, item.due_on) == (worker, next_review)
    assert WorkItem.objects.filter(case=case, done_at__isnull=False).count() == 1


def test_review_needs_a_summary_and_a_later_next_review(worker: User, case: Case) -> None:
    with pytest.raises(ValidationError):
        case_review_record(
            user=worker, case_id=case.pk, reviewed_on=TODAY(), summary=" ", next_review_on=None
        )
    with pytest.raises(ValidationError) as error:
        case_review_record(
            user=worker, case_id=case.pk, reviewed_on=TODAY(), summary="ok", next_review_on=TODAY()
        )
    assert "next_review_on" in error.value.message_dict


# --- Closure and re-opening ---


def close(
    user: User, case: Case, reason: str = ClosureReason.GOALS_ACHIEVED, note: str = ""
) -> Case:
    case.refresh_from_db()
    return case_close(
        user=user, case_id=case.pk, expected_version=case.version, reason=reason, note=note
    )


def test_worker_closure_waits_for_the_supervisor(worker: User, case: Case) -> None:
    pending = close(worker, case, note="Goals met.")

    assert pending.status == CaseStatus.CLOSURE_PENDING
    assert pending.closure_requested_by == worker and pending.closed_on is None
    [item] = _open_items(case=case, kind=WorkItemKind.CLOSURE_APPROVAL)
    assert item.for_supervisor and item.assignee is None


def test_supervisor_approves_the_closure(worker: User, supervisor: User, case: Case) -> None:
    pending = close(worker, case)

    closed = case_close_approve(user=supervisor, case_id=case.pk, expected_version=pending.version)

    assert closed.status == CaseStatus.CLOSED
    assert (closed.closed_on, closed.closed_by) == (TODAY(), supervisor)
    assert closed.next_review_on is None
    assert _open_items(case=case) == []


def test_a_worker_cannot_approve_a_closure(worker: User, case: Case) -> None:
    pending = close(worker, case)

    with pytest.raises(PermissionDenied):
        case_close_approve(user=worker, case_id=case.pk, expected_version=pending.version)


def test_supervisor_rejects_the_closure_and_the_case_stays_open(
    worker: User, supervisor: User, case: Case
) -> None:
    pending = close(worker, case)
    with pytest.raises(ValidationError):
        case_close_reject(
            user=supervisor, case_id=case.pk, expected_version=pending.version, note=""
        )

    reopened = case_close_reject(
        user=supervisor, case_id=case.pk, expected_version=pending.version, note="Not yet."
    )

    assert reopened.status == CaseStatus.OPEN and reopened.closure_reason == ""
    assert _open_items(case=case, kind=WorkItemKind.CLOSURE_APPROVAL) == []
    assert _open_items(case=case, kind=WorkItemKind.CASE_REVIEW)


def test_closure_for_another_reason_needs_an_explanation(worker: User, case: Case) -> None:
    with pytest.raises(ValidationError):
        close(worker, case, reason=ClosureReason.OTHER)
    with pytest.raises(ValidationError):
        close(worker, case, reason="bored")


def test_closure_is_immediate_where_the_unit_needs_no_approval(
    worker: User, case: Case, no_approvals: Any
) -> None:
    closed = close(worker, case)

    assert closed.status == CaseStatus.CLOSED and closed.closed_by == worker
    assert _open_items(case=case) == []


def test_a_supervisors_closure_is_immediate(supervisor: User, case: Case) -> None:
    assert close(supervisor, case).status == CaseStatus.CLOSED


def test_a_closed_case_takes_no_more_work(worker: User, supervisor: User, case: Case) -> None:
    close(supervisor, case)

    with pytest.raises(ValidationError):
        add_note(supervisor, case)
    with pytest.raises(Http404):  # a closed case leaves the worker's need-to-know
        add_note(worker, case)


def test_supervisor_reopens_a_closed_case(worker: User, supervisor: User, case: Case) -> None:
    closed = close(supervisor, case)

    reopened = case_reopen(
        user=supervisor, case_id=case.pk, expected_version=closed.version, reason="New crisis."
    )

    assert reopened.status == CaseStatus.OPEN and reopened.reopened_count == 1
    assert reopened.closed_on is None and reopened.closure_reason == ""
    assert "New crisis." in reopened.notes.get().body
    [item] = _open_items(case=case, kind=WorkItemKind.CASE_REVIEW)
    assert item.assignee == worker


def test_only_a_supervisor_reopens(worker: User, supervisor: User, case: Case) -> None:
    closed = close(supervisor, case)

    with pytest.raises(Http404):
        case_reopen(user=worker, case_id=case.pk, expected_version=closed.version, reason="x")
    with pytest.raises(ValidationError):
        case_reopen(user=supervisor, case_id=case.pk, expected_version=closed.version, reason=" ")


def test_reopening_is_refused_while_another_case_of_the_person_is_open(
    world: World, worker: User, supervisor: User, case: Case
) -> None:
    closed = close(supervisor, case)
    open_case_from(
        IntakeFactory(person=case.person, unit=world.unit_a, assigned_worker=worker), worker
    )

    with pytest.raises(ValidationError):
        case_reopen(user=supervisor, case_id=case.pk, expected_version=closed.version, reason="x")


def test_case_of_a_person_in_another_unit_is_not_changed(
    world: World, staff_b: User, case: Case
) -> None:
    with pytest.raises(Http404):
        close(staff_b, case)
