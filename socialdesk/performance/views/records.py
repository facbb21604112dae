"""Service performance pages: records — a unit's field assessments and complaints (recorded by SWD
subventions officers), and an agency's financial figures year by year beside its units'
attainment of their agreed standards."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from socialdesk.core.access import Action, Capability, capability_required
from socialdesk.core.concurrency import ConflictError

from ..forms_records import (
    AMOUNT_LABELS,
    CAP_PERCENT,
    AgencyChoiceForm,
    ComplaintConcludeForm,
    ComplaintEditForm,
    ComplaintForm,
    FieldAssessmentEditForm,
    FieldAssessmentForm,
    FinancialFiguresForm,
    FollowUpDoneForm,
)
from ..models import FieldAssessment, FinancialYearFigures
from ..periods import year_label
from ..selectors import records as selectors
from ..services import records as services
from ..services.records import (
    ASSESSMENT_FIELDS,
    COMPLAINT_FIELDS,
    FIGURES_FIELDS,
    INCOME_FIELDS,
)

TEMPLATES = "performance/records/"


# --- Helpers --------------------------------------------------------------------------------


def _posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even an empty one, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


def _service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError onto the form: next to the field it names, else on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(name if name in form.fields else None, item)
    else:
        form.add_error(None, error)


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _conflict(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    form: forms.BaseForm,
    error: ConflictError,
    names: Iterable[str],
) -> HttpResponse:
    """The page again with status 409: what the user typed (kept, now on the current version),
    and the fields where it differs from what is saved now."""
    current = error.current
    rows = []
    for name in names:
        field = form.fields[name]
        mine = form.cleaned_data.get(name)
        theirs = getattr(current, name, None)
        choices = dict(getattr(field, "choices", []) or [])
        if _shown(mine) != _shown(theirs):
            rows.append(
                (
                    str(field.label),
                    _shown(choices.get(mine, mine)),
                    _shown(choices.get(theirs, theirs)),
                )
            )
    form.add_error(None, str(error.message))
    data = form.data.copy()  # type: ignore[attr-defined]
    data[form.add_prefix("version")] = str(current.version)  # type: ignore[attr-defined]
    form.data = data
    context = {**context, "form": form, "current": current, "conflict_rows": rows}
    return render(request, template, context, status=409)


def money(value: Decimal | None) -> str:
    """HK$ to the dollar with thousands separators, as annual financial reports show them (the
    zh-Hant locale format has none)."""
    if value is None:
        return "—"
    return f"{value:,.0f}"


def percent(value: Decimal | int | None) -> str:
    """A percentage that never breaks from its sign at the end of a line."""
    return "—" if value is None else f"{value}\u00a0%"


def _finance_url(figures: FinancialYearFigures) -> str:
    url = reverse("performance:finance")
    return f"{url}?organisation={figures.organisation_id}#year-{figures.fiscal_year}"


def _records_url(unit_id: int, anchor: str) -> str:
    return f"{reverse('performance:unit_records', args=[unit_id])}#{anchor}"


def agency_finance_url(user: Any, organisation_id: int) -> str | None:
    """The agency's finance page, if the user may see its figures (None: no link)."""
    if not selectors.finance_may_view(user=user, organisation_id=organisation_id):
        return None
    return f"{reverse('performance:finance')}?organisation={organisation_id}"


def unit_dashboard_url(unit_id: int) -> str:
    return f"{reverse('performance:dashboard')}?view=unit&unit={unit_id}"


# --- A unit's records -----------------------------------------------------------------------


@capability_required(Capability.VIEW_PERFORMANCE)
def unit_records(request: HttpRequest, unit_id: int) -> HttpResponse:
    """A unit's field assessments and complaints; SWD subventions officers record them here."""
    records = selectors.unit_records_for(user=request.user, unit_id=unit_id)
    unit = records.unit
    context: dict[str, Any] = {
        "records": records,
        "unit": unit,
        "today": timezone.localdate(),
        "dashboard_link": unit_dashboard_url(unit.pk),
        "finance_link": agency_finance_url(request.user, unit.organisation_id),
    }
    if records.can_record:
        context["assessment_form"] = FieldAssessmentForm()
        context["complaint_form"] = ComplaintForm()
    return render(request, TEMPLATES + "unit_records.html", context)


@capability_required(Capability.REVIEW_PERFORMANCE)
def field_assessment_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    records = selectors.unit_records_for(user=request.user, unit_id=unit_id)
    if not records.can_record:
        raise PermissionDenied
    form = FieldAssessmentForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.field_assessment_record(
                user=request.user, unit_id=records.unit.pk, **form.cleaned_data
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("The field assessment has been recorded."))
            return redirect(_records_url(records.unit.pk, f"assessment-{assessment.pk}"))
    context = {"form": form, "unit": records.unit}
    return render(request, TEMPLATES + "assessment_form.html", context)


@capability_required(Capability.REVIEW_PERFORMANCE)
def field_assessment_edit(request: HttpRequest, field_assessment_id: int) -> HttpResponse:
    assessment = selectors.field_assessment_get_for(
        user=request.user, assessment_id=field_assessment_id, action=Action.CHANGE
    )
    initial = {name: getattr(assessment, name) for name in ASSESSMENT_FIELDS}
    form = FieldAssessmentEditForm(
        _posted(request), initial={**initial, "version": assessment.version}
    )
    template = TEMPLATES + "assessment_form.html"
    context: dict[str, Any] = {"form": form, "unit": assessment.unit, "assessment": assessment}
    if request.method == "POST" and form.is_valid():
        try:
            services.field_assessment_update(
                user=request.user,
                assessment_id=assessment.pk,
                expected_version=form.cleaned_data["version"],
                data=form.cleaned_data,
            )
        except ConflictError as error:
            return _conflict(
                request, template, context, form=form, error=error, names=ASSESSMENT_FIELDS
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("The field assessment has been saved."))
            return redirect(_records_url(assessment.unit_id, f"assessment-{assessment.pk}"))
    return render(request, template, context)


@require_POST
@capability_required(Capability.REVIEW_PERFORMANCE)
def field_assessment_follow_up_done(request: HttpRequest, field_assessment_id: int) -> HttpResponse:
    assessment: FieldAssessment = selectors.field_assessment_get_for(
        user=request.user, assessment_id=field_assessment_id, action=Action.CHANGE
    )
    back = _records_url(assessment.unit_id, f"assessment-{assessment.pk}")
    form = FollowUpDoneForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The follow-up could not be marked as done; reload the page."))
        return redirect(back)
    try:
        services.field_assessment_follow_up_done(
            user=request.user,
            assessment_id=assessment.pk,
            expected_version=form.cleaned_data["version"],
            done_on=form.cleaned_data["follow_up_done_on"],
        )
    except ConflictError:
        messages.error(request, _("Someone else changed this assessment; look at it again."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The follow-up has been marked as done."))
    return redirect(back)


@capability_required(Capability.REVIEW_PERFORMANCE)
def complaint_add(request: HttpRequest, unit_id: int) -> HttpResponse:
    records = selectors.unit_records_for(user=request.user, unit_id=unit_id)
    if not records.can_record:
        raise PermissionDenied
    form = ComplaintForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            complaint = services.complaint_record(
                user=request.user, unit_id=records.unit.pk, **form.cleaned_data
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("The complaint has been recorded."))
            return redirect(_records_url(records.unit.pk, f"complaint-{complaint.pk}"))
    context = {"form": form, "unit": records.unit}
    return render(request, TEMPLATES + "complaint_form.html", context)


@capability_required(Capability.REVIEW_PERFORMANCE)
def complaint_edit(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = selectors.complaint_get_for(
        user=request.user, complaint_id=complaint_id, action=Action.CHANGE
    )
    initial = {name: getattr(complaint, name) for name in COMPLAINT_FIELDS}
    form = ComplaintEditForm(_posted(request), initial={**initial, "version": complaint.version})
    template = TEMPLATES + "complaint_form.html"
    context: dict[str, Any] = {"form": form, "unit": complaint.unit, "complaint": complaint}
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_update(
                user=request.user,
                complaint_id=complaint.pk,
                expected_version=form.cleaned_data["version"],
                data=form.cleaned_data,
            )
        except ConflictError as error:
            return _conflict(
                request, template, context, form=form, error=error, names=COMPLAINT_FIELDS
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("The complaint has been saved."))
            return redirect(_records_url(complaint.unit_id, f"complaint-{complaint.pk}"))
    return render(request, template, context)


@capability_required(Capability.REVIEW_PERFORMANCE)
def complaint_conclude(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = selectors.complaint_get_for(
        user=request.user, complaint_id=complaint_id, action=Action.CHANGE
    )
    form = ComplaintConcludeForm(_posted(request), initial={"version": complaint.version})
    template = TEMPLATES + "complaint_conclude.html"
    context: dict[str, Any] = {"form": form, "unit": complaint.unit, "complaint": complaint}
    if request.method == "POST" and form.is_valid():
        try:
            services.complaint_conclude(
                user=request.user,
                complaint_id=complaint.pk,
                expected_version=form.cleaned_data["version"],
                status=form.cleaned_data["status"],
                concluded_on=form.cleaned_data["concluded_on"],
                improvement=form.cleaned_data["improvement"],
            )
        except ConflictError as error:
            names = ("status", "concluded_on", "improvement")
            return _conflict(request, template, context, form=form, error=error, names=names)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("The outcome of the complaint has been recorded."))
            return redirect(_records_url(complaint.unit_id, f"complaint-{complaint.pk}"))
    return render(request, template, context)


# --- An agency's finance --------------------------------------------------------------------


def _year(summary: selectors.YearSummary) -> dict[str, Any]:
    """A year as the finance page shows it: (label, HK$, emphasised) rows of income by source,
    total income and expenditure, and the reserve figures as text."""
    figures = summary.figures
    if figures is None:
        return {"summary": summary, "rows": []}
    rows = [
        (str(AMOUNT_LABELS[name]), money(getattr(figures, name)), False) for name in INCOME_FIELDS
    ]
    rows += [
        (_("Total income"), money(figures.total_income), True),
        (str(AMOUNT_LABELS["operating_expenditure"]), money(figures.operating_expenditure), True),
    ]
    return {
        "summary": summary,
        "rows": rows,
        "reserve": money(figures.lsg_reserve),
        "cap": money(figures.reserve_cap),
        "over": money(figures.reserve_over_cap),
        "ratio": percent(figures.reserve_ratio),
    }


@capability_required(Capability.VIEW_FINANCE)
def finance(request: HttpRequest) -> HttpResponse:
    """The viewer's agency (SWD: the agency chosen) year by year: income by source, expenditure,
    the LSG reserve against its 25 % cap, and the units' attainment of their standards."""
    if not selectors.finance_visible(user=request.user):
        raise PermissionDenied
    organisations = selectors.finance_organisation_list_for(user=request.user)
    listed = list(organisations)
    chooses = selectors.finance_chooses_agency(user=request.user)
    chooser = AgencyChoiceForm(request.GET or None, organisations=organisations)
    organisation = None
    if chooser.is_bound and chooser.is_valid():
        organisation = chooser.cleaned_data["organisation"]
    elif not chooser.is_bound and not chooses and listed:
        organisation = listed[0]
    context: dict[str, Any] = {
        "chooser": chooser,
        "show_chooser": chooses or len(listed) > 1 or chooser.errors,
        "organisation": organisation,
        "cap_percent": percent(CAP_PERCENT),
    }
    if organisation is not None:
        years = selectors.agency_year_summary(request.user, organisation.pk)
        context["years"] = [_year(summary) for summary in years]
        context["can_enter"] = selectors.finance_may_enter(
            user=request.user, organisation_id=organisation.pk
        )
    return render(request, TEMPLATES + "finance.html", context)


@capability_required(Capability.VIEW_FINANCE)
def finance_add(request: HttpRequest) -> HttpResponse:
    """Enter an agency's figures for a year (its administrators and finance officers; SWD)."""
    if not selectors.finance_may_enter(user=request.user):
        raise PermissionDenied
    organisations = selectors.finance_organisation_list_for(user=request.user, action=Action.ADD)
    initial: dict[str, Any] = {}
    chosen = request.GET.get("organisation", "")
    if chosen.isdigit():
        initial["organisation"] = int(chosen)
    elif len(listed := list(organisations)) == 1:
        initial["organisation"] = listed[0]
    form = FinancialFiguresForm(_posted(request), organisations=organisations, initial=initial)
    if request.method == "POST" and form.is_valid():
        organisation = form.cleaned_data["organisation"]
        try:
            figures = services.financial_figures_enter(
                user=request.user,
                organisation_id=organisation.pk,
                fiscal_year=form.cleaned_data["fiscal_year"],
                data=form.figures(),
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("The financial figures have been saved."))
            return redirect(_finance_url(figures))
    return render(request, TEMPLATES + "finance_form.html", {"form": form})


@capability_required(Capability.VIEW_FINANCE)
def finance_edit(request: HttpRequest, figures_id: int) -> HttpResponse:
    figures: FinancialYearFigures = selectors.financial_figures_get_for(
        user=request.user, figures_id=figures_id, action=Action.CHANGE
    )
    initial = {name: getattr(figures, name) for name in FIGURES_FIELDS}
    form = FinancialFiguresForm(
        _posted(request), editing=True, initial={**initial, "version": figures.version}
    )
    template = TEMPLATES + "finance_form.html"
    context: dict[str, Any] = {
        "form": form,
        "figures": figures,
        "year_label": year_label(figures.fiscal_year),
    }
    if request.method == "POST" and form.is_valid():
        try:
            services.financial_figures_update(
                user=request.user,
                figures_id=figures.pk,
                expected_version=form.cleaned_data["version"],
                data=form.figures(),
            )
        except ConflictError as error:
            return _conflict(
                request, template, context, form=form, error=error, names=FIGURES_FIELDS
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, _("The financial figures have been saved."))
            return redirect(_finance_url(figures))
    return render(request, template, context)


urlpatterns: list[URLPattern] = [
    path("units/<int:unit_id>/records/", unit_records, name="unit_records"),
    path(
        "units/<int:unit_id>/records/assessments/new/",
        field_assessment_add,
        name="field_assessment_add",
    ),
    path(
        "records/assessments/<int:field_assessment_id>/edit/",
        field_assessment_edit,
        name="field_assessment_edit",
    ),
    path(
        "records/assessments/<int:field_assessment_id>/follow-up-done/",
        field_assessment_follow_up_done,
        name="field_assessment_follow_up_done",
    ),
    path("units/<int:unit_id>/records/complaints/new/", complaint_add, name="complaint_add"),
    path("records/complaints/<int:complaint_id>/edit/", complaint_edit, name="complaint_edit"),
    path(
        "records/complaints/<int:complaint_id>/conclude/",
        complaint_conclude,
        name="complaint_conclude",
    ),
    path("finance/", finance, name="finance"),
    path("finance/new/", finance_add, name="finance_add"),
    path("finance/<int:figures_id>/edit/", finance_edit, name="finance_edit"),
]
