"""Cases: the list, the case page, and the work on a case (notes, assessments, plans, reviews,
workers, closure and re-opening)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.core.access import Action, Capability, capability_required
from socialdesk.core.concurrency import ConflictError
from socialdesk.forms import runtime as form_runtime

from .. import selectors
from ..forms import (
    MAX_GOALS,
    AssessmentDateForm,
    CaseCloseForm,
    CaseListFilterForm,
    CaseNoteEditForm,
    CaseNoteForm,
    CaseReviewForm,
    CaseWorkerForm,
    CloseDecisionForm,
    GoalFormSet,
    PlanDecisionForm,
    PlanForm,
    ReopenForm,
    VersionOnlyForm,
)
from ..models import Case, CaseStatus
from ..services import casework
from ._common import add_service_errors, conflict, conflict_rows, posted, rebase_version

ASSESSMENT_PURPOSES = ("assessment", "screening")
ANSWER_PREFIX = "q"


@capability_required(Capability.CASEWORK)
def case_list(request: HttpRequest) -> HttpResponse:
    form = CaseListFilterForm(request.GET or None)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    status = status or "open"
    cases = selectors.case_list_for(user=request.user, status="" if status == "all" else status)
    page = Paginator(cases, 25).get_page(request.GET.get("page"))
    return render(
        request, "cases/case_list.html", {"page_obj": page, "status": status, "form": form}
    )


def _assessment_forms() -> list[Any]:
    """Published assessment and screening forms (reference data every case worker may use)."""
    from socialdesk.forms.selectors import form_definition_list

    definitions: list[Any] = []
    for purpose in ASSESSMENT_PURPOSES:
        definitions.extend(form_definition_list(purpose=purpose))
    return definitions


def _case_context(
    page: dict[str, Any], *, plan_form: tuple[int, Any] | None = None, close_form: Any = None
) -> dict[str, Any]:
    """The case page's context: the selector's parts and the forms of the actions the user may
    take (a bound form passed in replaces the blank one, to show its errors)."""
    case = page["case"]
    can_work = page["can_change"] and case.status == CaseStatus.OPEN
    plan_rows = []
    for plan in page["plans"]:
        form = PlanDecisionForm(initial={"version": plan.version})
        if plan_form is not None and plan_form[0] == plan.pk:
            form = plan_form[1]
        plan_rows.append((plan, form))
    return {
        **page,
        "can_work": can_work,
        "note_form": CaseNoteForm() if can_work else None,
        "assessment_forms": _assessment_forms() if can_work else [],
        "close_decision_form": close_form or CloseDecisionForm(initial={"version": case.version}),
        "plan_rows": plan_rows,
    }


@capability_required(Capability.VIEW_CASE_RECORDS)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    page = selectors.case_page_for(user=request.user, case_id=case_id, request=request)
    return render(request, "cases/case_detail.html", _case_context(page))


def _case_for_change(request: HttpRequest, case_id: int, *, supervisor: bool = False) -> Case:
    case = selectors.case_get_for_change(user=request.user, case_id=case_id)
    if supervisor and not selectors.supervises(user=request.user, unit_id=case.unit_id):
        raise PermissionDenied
    return case


# --- Notes --------------------------------------------------------------------------------------


@capability_required(Capability.CASEWORK)
def note_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for_change(request, case_id)
    form = CaseNoteForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            casework.case_note_add(user=request.user, case_id=case.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The case note has been saved."))
            return redirect(f"{case_url(case)}#notes")
    return render(request, "cases/note_form.html", {"form": form, "case": case})


def case_url(case: Case) -> str:
    from django.urls import reverse

    return reverse("cases:case_detail", args=[case.pk])


NOTE_FIELDS = ("kind", "occurred_at", "body")


@capability_required(Capability.CASEWORK)
def note_edit(request: HttpRequest, note_id: int) -> HttpResponse:
    """Correct one's own case note; the earlier text stays in the audit history."""
    note = selectors.case_note_get_for(user=request.user, note_id=note_id, action=Action.CHANGE)
    if note.author_id != request.user.pk:
        raise PermissionDenied
    initial = {k: getattr(note, k) for k in NOTE_FIELDS} | {"version": note.version}
    form = CaseNoteEditForm(posted(request), initial=initial)
    context: dict[str, Any] = {"form": form, "case": note.case, "note": note}
    if request.method == "POST" and form.is_valid():
        try:
            casework.case_note_update(
                user=request.user,
                note_id=note.pk,
                expected_version=form.cleaned_data["version"],
                data={k: form.cleaned_data[k] for k in NOTE_FIELDS},
            )
        except ConflictError as error:
            shown = {"kind": error.current.get_kind_display()}  # type: ignore[attr-defined]
            rows = conflict_rows(form, error.current, NOTE_FIELDS, shown=shown)
            return conflict(
                request, "cases/note_form.html", context, form=form, error=error, rows=rows
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The case note has been corrected."))
            return redirect(f"{case_url(note.case)}#notes")
    return render(request, "cases/note_form.html", context)


# --- Assessments --------------------------------------------------------------------------------


@capability_required(Capability.CASEWORK)
def assessment_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """Choose a published assessment or screening form (?form=<code>), then answer it."""
    from socialdesk.forms.models import FormVersion
    from socialdesk.forms.selectors import form_version_current

    case = _case_for_change(request, case_id)
    definitions = _assessment_forms()
    code = request.GET.get("form", "")
    context: dict[str, Any] = {"case": case, "definitions": definitions, "code": code}
    if code not in {d.code for d in definitions}:
        return render(request, "cases/assessment_new.html", context)
    try:
        version = form_version_current(code=code)
    except FormVersion.DoesNotExist as exc:
        raise Http404 from exc
    data = request.POST if request.method == "POST" else None
    date_form = AssessmentDateForm(data)
    answer_form = form_runtime.build_django_form(version.schema, data=data, prefix=ANSWER_PREFIX)
    context.update(form_version=version, date_form=date_form, answer_form=answer_form)
    if request.method == "POST":
        date_ok = date_form.is_valid()
        if answer_form.is_valid() and date_ok:
            try:
                assessment = casework.assessment_record(
                    user=request.user,
                    case_id=case.pk,
                    form_version=version,
                    answers=answer_form.answers,
                    assessed_on=date_form.cleaned_data["assessed_on"],
                )
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for key, errors in error.error_dict.items():
                        target = answer_form if key in answer_form.fields else date_form
                        add_service_errors(target, ValidationError({key: errors}))
                else:
                    add_service_errors(date_form, error)
            else:
                messages.success(request, _("The assessment has been saved."))
                return redirect("cases:assessment_detail", assessment_id=assessment.pk)
    return render(request, "cases/assessment_new.html", context)


@capability_required(Capability.VIEW_CASE_RECORDS)
def assessment_detail(request: HttpRequest, assessment_id: int) -> HttpResponse:
    assessment = selectors.assessment_get_for(
        user=request.user, assessment_id=assessment_id, request=request
    )
    version = assessment.form_version
    context = {
        "assessment": assessment,
        "case": assessment.case,
        "lines": form_runtime.render_answers(version.schema, assessment.answers),
    }
    return render(request, "cases/assessment_detail.html", context)


# --- Plans --------------------------------------------------------------------------------------


@capability_required(Capability.CASEWORK)
def plan_new(request: HttpRequest, case_id: int) -> HttpResponse:
    """A draft plan with up to MAX_GOALS goals."""
    case = _case_for_change(request, case_id)
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data)
    goals = GoalFormSet(data, prefix="goals")
    context: dict[str, Any] = {"case": case, "form": form, "goals": goals, "max_goals": MAX_GOALS}
    if request.method == "POST":
        goals_ok = goals.is_valid()
        if form.is_valid() and goals_ok:
            try:
                casework.case_plan_create(
                    user=request.user,
                    case_id=case.pk,
                    summary=form.cleaned_data["summary"],
                    review_on=form.cleaned_data["review_on"],
                    goals=[g for g in goals.cleaned_data if g],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("The draft plan has been saved. Submit it when it is ready.")
                )
                return redirect(f"{case_url(case)}#plans")
    return render(request, "cases/plan_new.html", context)


@require_POST
@capability_required(Capability.CASEWORK)
def plan_submit(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = selectors.case_plan_get_for(user=request.user, plan_id=plan_id, action=Action.CHANGE)
    form = VersionOnlyForm(request.POST)
    if form.is_valid():
        try:
            plan = casework.case_plan_submit(
                user=request.user, plan_id=plan.pk, expected_version=form.cleaned_data["version"]
            )
        except ConflictError:
            messages.error(request, _("Someone else changed this plan; look at it again."))
            return redirect(f"{case_url(plan.case)}#plans")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The plan has been submitted."))
    else:
        messages.error(request, _("The plan could not be submitted; reload the page."))
    return redirect(f"{case_url(plan.case)}#plans")


@require_POST
@capability_required(Capability.CASEWORK)
def plan_decide(request: HttpRequest, plan_id: int) -> HttpResponse:
    """A supervisor approves a submitted plan or returns it with a comment."""
    plan = selectors.case_plan_get_for(user=request.user, plan_id=plan_id, action=Action.CHANGE)
    case = plan.case
    if not selectors.supervises(user=request.user, unit_id=case.unit_id):
        raise PermissionDenied
    form = PlanDecisionForm(request.POST)
    if form.is_valid():
        try:
            if form.cleaned_data["decision"] == PlanDecisionForm.APPROVE:
                casework.case_plan_approve(
                    user=request.user,
                    plan_id=plan.pk,
                    expected_version=form.cleaned_data["version"],
                )
                done = _("The plan has been approved.")
            else:
                casework.case_plan_return(
                    user=request.user,
                    plan_id=plan.pk,
                    expected_version=form.cleaned_data["version"],
                    note=form.cleaned_data["return_note"],
                )
                done = _("The plan has been returned to the worker.")
        except ConflictError as error:
            return _case_page_with(
                request, case, status=409, plan_form=(plan.pk, form), error=error
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect(f"{case_url(case)}#plans")
    return _case_page_with(request, case, plan_form=(plan.pk, form))


def _case_page_with(
    request: HttpRequest,
    case: Case,
    *,
    status: int = 200,
    plan_form: tuple[int, Any] | None = None,
    close_form: Any = None,
    error: ConflictError | None = None,
) -> HttpResponse:
    """The case page again with a bound decision form showing its errors (or a conflict)."""
    bound = close_form if close_form is not None else plan_form[1] if plan_form else None
    if error is not None and bound is not None:
        bound.add_error(None, str(error.message))
        rebase_version(bound, error.current)
    page = selectors.case_page_for(user=request.user, case_id=case.pk, request=request)
    context = _case_context(page, plan_form=plan_form, close_form=close_form)
    if error is not None:
        context["current"] = error.current
    return render(request, "cases/case_detail.html", context, status=status)


# --- Reviews and workers ------------------------------------------------------------------------


@capability_required(Capability.CASEWORK)
def review_add(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for_change(request, case_id)
    form = CaseReviewForm(posted(request), initial={"next_review_on": None})
    if request.method == "POST" and form.is_valid():
        try:
            casework.case_review_record(user=request.user, case_id=case.pk, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The review has been recorded."))
            return redirect(f"{case_url(case)}#reviews")
    return render(request, "cases/review_form.html", {"form": form, "case": case})


@capability_required(Capability.CASEWORK)
def case_workers(request: HttpRequest, case_id: int) -> HttpResponse:
    """A supervisor adds workers to the case or changes the responsible worker."""
    case = _case_for_change(request, case_id, supervisor=True)
    form = CaseWorkerForm(
        posted(request), workers=selectors.unit_caseworker_list(unit_id=case.unit_id)
    )
    if request.method == "POST" and form.is_valid():
        try:
            casework.case_worker_assign(
                user=request.user,
                case_id=case.pk,
                worker_id=int(form.cleaned_data["worker"]),
                primary=form.cleaned_data["primary"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The case workers have been updated."))
            return redirect("cases:case_detail", case_id=case.pk)
    context = {"form": form, "case": case, "workers": selectors.case_worker_list(case=case)}
    return render(request, "cases/case_workers.html", context)


# --- Closing and re-opening ---------------------------------------------------------------------


@capability_required(Capability.CASEWORK)
def case_close(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for_change(request, case_id)
    form = CaseCloseForm(posted(request), initial={"version": case.version})
    context: dict[str, Any] = {
        "form": form,
        "case": case,
        "needs_approval": selectors.closure_needs_approval(user=request.user, case=case),
    }
    if request.method == "POST" and form.is_valid():
        try:
            case = casework.case_close(
                user=request.user,
                case_id=case.pk,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["closure_reason"],
                note=form.cleaned_data["closure_note"],
            )
        except ConflictError as error:
            return conflict(request, "cases/case_close.html", context, form=form, error=error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if case.status == CaseStatus.CLOSED:
                messages.success(request, _("The case has been closed."))
            else:
                messages.success(
                    request, _("The closure has been sent to your supervisor for approval.")
                )
            return redirect("cases:case_detail", case_id=case.pk)
    return render(request, "cases/case_close.html", context)


@require_POST
@capability_required(Capability.CASEWORK)
def case_close_decide(request: HttpRequest, case_id: int) -> HttpResponse:
    """A supervisor approves a requested closure or keeps the case open."""
    case = _case_for_change(request, case_id, supervisor=True)
    form = CloseDecisionForm(request.POST)
    if form.is_valid():
        version = form.cleaned_data["version"]
        try:
            if form.cleaned_data["decision"] == CloseDecisionForm.APPROVE:
                casework.case_close_approve(
                    user=request.user, case_id=case.pk, expected_version=version
                )
                done = _("The closure has been approved; the case is closed.")
            else:
                casework.case_close_reject(
                    user=request.user,
                    case_id=case.pk,
                    expected_version=version,
                    note=form.cleaned_data["closure_note"],
                )
                done = _("The case stays open; the worker sees your comment.")
        except ConflictError as error:
            return _case_page_with(request, case, status=409, close_form=form, error=error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("cases:case_detail", case_id=case.pk)
    return _case_page_with(request, case, close_form=form)


@capability_required(Capability.CASEWORK)
def case_reopen(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case_for_change(request, case_id, supervisor=True)
    form = ReopenForm(posted(request), initial={"version": case.version})
    context: dict[str, Any] = {"form": form, "case": case}
    if request.method == "POST" and form.is_valid():
        try:
            casework.case_reopen(
                user=request.user,
                case_id=case.pk,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except ConflictError as error:
            return conflict(request, "cases/case_reopen.html", context, form=form, error=error)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The case has been re-opened."))
            return redirect("cases:case_detail", case_id=case.pk)
    return render(request, "cases/case_reopen.html", context)
