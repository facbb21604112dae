"""Intake (首次接見): the unit's queue, assigning, the interview on the shipped intake form, and
its end: a case opened, or closed without a case."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.core.access import Capability, capability_required
from socialdesk.core.concurrency import ConflictError
from socialdesk.forms import runtime as form_runtime

from .. import selectors
from ..forms import CaseOpenForm, IntakeAssignForm, IntakeCloseForm, IntakeInterviewForm
from ..models import Intake
from ..services import casework
from ._common import add_service_errors, conflict, rebase_version

INTAKE_FORM_CODE = "intake"
ANSWER_PREFIX = "q"


@capability_required(Capability.CASEWORK)
def intake_list(request: HttpRequest) -> HttpResponse:
    """The intake queue of the user's units: their own and the unassigned ones (supervisors:
    all of the unit's)."""
    show_all = request.GET.get("show") == "all"
    intakes = selectors.intake_list_for(user=request.user, open_only=not show_all)
    page = Paginator(intakes, 25).get_page(request.GET.get("page"))
    return render(request, "cases/intake_list.html", {"page_obj": page, "show_all": show_all})


def _assignable(request: HttpRequest, intake: Intake) -> list[Any]:
    """Whom the user may give the intake or its case to: a supervisor anyone of the unit's case
    workers, a worker only themself."""
    if selectors.supervises(user=request.user, unit_id=intake.unit_id):
        return list(selectors.unit_caseworker_list(unit_id=intake.unit_id))
    return [request.user]


def _intake_page(
    request: HttpRequest, intake: Intake, *, status: int = 200, **forms: Any
) -> HttpResponse:
    """The intake page with its action forms (any passed in are the bound ones with errors)."""
    workers = _assignable(request, intake)
    initial = {"version": intake.version}
    context: dict[str, Any] = {
        "intake": intake,
        "person": intake.person,
        "is_supervisor": selectors.supervises(user=request.user, unit_id=intake.unit_id),
        "assign_form": IntakeAssignForm(
            initial={**initial, "assigned_worker": intake.assigned_worker_id}, workers=workers
        ),
        "close_form": IntakeCloseForm(initial=initial),
        "open_form": CaseOpenForm(
            initial={**initial, "primary_worker": intake.assigned_worker_id or request.user.pk},
            workers=workers,
            teams=selectors.team_list(unit_id=intake.unit_id),
        ),
        "answers": (
            form_runtime.render_answers(intake.form_version.schema, intake.answers)
            if intake.form_version_id and intake.form_version
            else []
        ),
    }
    context.update(forms)
    return render(request, "cases/intake_detail.html", context, status=status)


@capability_required(Capability.CASEWORK)
def intake_detail(request: HttpRequest, intake_id: int) -> HttpResponse:
    intake = selectors.intake_get_for(user=request.user, intake_id=intake_id, request=request)
    return _intake_page(request, intake)


@require_POST
@capability_required(Capability.CASEWORK)
def intake_assign(request: HttpRequest, intake_id: int) -> HttpResponse:
    """A supervisor gives the intake to a worker; a worker takes an unassigned one."""
    intake = selectors.intake_get_for(user=request.user, intake_id=intake_id)
    data = request.POST.copy()
    if data.get("take"):
        data["assigned_worker"] = str(request.user.pk)
    form = IntakeAssignForm(data, workers=_assignable(request, intake))
    if form.is_valid():
        try:
            casework.intake_assign(
                user=request.user,
                intake_id=intake.pk,
                expected_version=form.cleaned_data["version"],
                worker_id=int(form.cleaned_data["assigned_worker"]),
            )
        except ConflictError as error:
            form.add_error(None, str(error.message))
            rebase_version(form, error.current)
            return _intake_page(request, cast(Intake, error.current), status=409, assign_form=form)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The intake has been assigned."))
            return redirect("cases:intake_detail", intake_id=intake.pk)
    return _intake_page(request, intake, assign_form=form)


def _intake_form_version() -> Any:
    from socialdesk.forms.models import FormVersion
    from socialdesk.forms.selectors import form_version_current

    try:
        return form_version_current(code=INTAKE_FORM_CODE)
    except FormVersion.DoesNotExist:
        return None


@capability_required(Capability.CASEWORK)
def intake_interview(request: HttpRequest, intake_id: int) -> HttpResponse:
    """Record the intake interview: presenting problem, date, and the intake form's answers."""
    intake = selectors.intake_get_for(user=request.user, intake_id=intake_id, request=request)
    # An interview already recorded keeps its form version; a new one uses the current form.
    version = intake.form_version if intake.form_version_id else _intake_form_version()
    data = request.POST if request.method == "POST" else None
    form = IntakeInterviewForm(
        data,
        initial={
            "version": intake.version,
            "presenting_problem": intake.presenting_problem,
            "interviewed_on": intake.interviewed_on or timezone.localdate(),
        },
    )
    answer_form = (
        form_runtime.build_django_form(
            version.schema, data=data, initial=intake.answers, prefix=ANSWER_PREFIX
        )
        if version is not None
        else None
    )
    context: dict[str, Any] = {
        "intake": intake,
        "person": intake.person,
        "form": form,
        "answer_form": answer_form,
        "form_version": version,
    }
    if request.method == "POST":
        form_ok = form.is_valid()
        answers_ok = answer_form is None or answer_form.is_valid()
        if form_ok and answers_ok:
            try:
                casework.intake_record(
                    user=request.user,
                    intake_id=intake.pk,
                    expected_version=form.cleaned_data["version"],
                    presenting_problem=form.cleaned_data["presenting_problem"],
                    interviewed_on=form.cleaned_data["interviewed_on"],
                    form_version=version,
                    answers=answer_form.answers if answer_form is not None else None,
                )
            except ConflictError as error:
                return conflict(
                    request, "cases/intake_interview.html", context, form=form, error=error
                )
            except ValidationError as error:
                if answer_form is not None and hasattr(error, "error_dict"):
                    answer_keys = set(answer_form.fields)
                    answer_errors = {k: v for k, v in error.error_dict.items() if k in answer_keys}
                    add_service_errors(answer_form, ValidationError(answer_errors))
                    error = ValidationError(
                        {k: v for k, v in error.error_dict.items() if k not in answer_keys}
                    )
                add_service_errors(form, error)
            else:
                messages.success(request, _("The intake interview has been saved."))
                return redirect("cases:intake_detail", intake_id=intake.pk)
    return render(request, "cases/intake_interview.html", context)


@require_POST
@capability_required(Capability.CASEWORK)
def intake_close(request: HttpRequest, intake_id: int) -> HttpResponse:
    """End the intake without opening a case."""
    intake = selectors.intake_get_for(user=request.user, intake_id=intake_id)
    form = IntakeCloseForm(request.POST)
    if form.is_valid():
        try:
            casework.intake_close_without_case(
                user=request.user,
                intake_id=intake.pk,
                expected_version=form.cleaned_data["version"],
                outcome_note=form.cleaned_data["outcome_note"],
            )
        except ConflictError as error:
            form.add_error(None, str(error.message))
            rebase_version(form, error.current)
            return _intake_page(request, cast(Intake, error.current), status=409, close_form=form)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The intake has been closed without opening a case."))
            return redirect("cases:intake_list")
    return _intake_page(request, intake, close_form=form)


@require_POST
@capability_required(Capability.CASEWORK)
def intake_open_case(request: HttpRequest, intake_id: int) -> HttpResponse:
    """Open a case from the intake, with its responsible worker and team."""
    intake = selectors.intake_get_for(user=request.user, intake_id=intake_id)
    form = CaseOpenForm(
        request.POST,
        workers=_assignable(request, intake),
        teams=selectors.team_list(unit_id=intake.unit_id),
    )
    if form.is_valid():
        try:
            case = casework.case_open(
                user=request.user,
                intake_id=intake.pk,
                expected_version=form.cleaned_data["version"],
                primary_worker_id=int(form.cleaned_data["primary_worker"]),
                team_id=int(form.cleaned_data["team"]) if form.cleaned_data["team"] else None,
                summary=form.cleaned_data["summary"],
            )
        except ConflictError as error:
            form.add_error(None, str(error.message))
            rebase_version(form, error.current)
            return _intake_page(request, cast(Intake, error.current), status=409, open_form=form)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("Case %(number)s has been opened.") % {"number": case.number}
            )
            return redirect("cases:case_detail", case_id=case.pk)
    return _intake_page(request, intake, open_form=form)
