"""Statistical return pages: the list (filters, "waiting for me", starting a return), the return
page (figures with the previous period and the agreed levels, checks, history), and its steps —
save, submit, endorse, accept, return for correction, unlock — each posted to its own URL with
the version the page showed; the Excel template and its upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from socialdesk.core.access import Capability, capability_required, has_capability
from socialdesk.core.concurrency import ConflictError

from ..forms import (
    FIGURES_FORM_ID,
    SEND_BACK_FORM_ID,
    ReasonForm,
    ReturnFiguresForm,
    ReturnFilterForm,
    ReturnStartForm,
    ReturnUploadForm,
    SendBackForm,
    VersionForm,
    comment_name,
    reopen_name,
    reopen_reason_name,
    value_name,
)
from ..models import ReturnStatus
from ..selectors import returns as selectors
from ..services import returns as services

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- The list ------------------------------------------------------------------------------------


def _list_context(
    request: HttpRequest, start_form: ReturnStartForm | None = None, *, table_only: bool = False
) -> dict:
    choices = selectors.return_filter_choices_for(user=request.user)
    filter_form = ReturnFilterForm(request.GET or None, choices=choices)
    returns = selectors.return_list_for(user=request.user, **filter_form.filters())
    page = Paginator(returns, 25).get_page(request.GET.get("page"))
    reports = has_capability(request.user, Capability.REPORT_PERFORMANCE)
    if start_form is None and reports and not table_only:
        options = selectors.return_start_options_for(user=request.user)
        start_form = ReturnStartForm(options=options) if options else None
    return {
        "page_obj": page,
        "filter_form": filter_form,
        "start_form": start_form,
        "today": timezone.localdate(),
        "show_agency": "agency" in filter_form.fields,
    }


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def return_list(request: HttpRequest) -> HttpResponse:
    """The returns the user may see, filtered; HTMX swaps only the table."""
    if getattr(request, "htmx", False):
        context = _list_context(request, table_only=True)
        return render(request, "performance/partials/return_table.html", context)
    return render(request, "performance/return_list.html", _list_context(request))


@require_POST
@capability_required(Capability.REPORT_PERFORMANCE)
def return_start(request: HttpRequest) -> HttpResponse:
    """Start (or open, if someone just did) a unit's return for a period that has ended."""
    form = ReturnStartForm(
        request.POST, options=selectors.return_start_options_for(user=request.user)
    )
    if form.is_valid():
        option = form.chosen()
        period = services.periods_ensure(option.fiscal_year, option.frequency)[option.number - 1]
        try:
            statistical_return = services.return_get_or_create(
                user=request.user, unit_id=option.unit.pk, period=period
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The return of %(unit)s for %(period)s is ready to fill in.")
                % {"unit": option.unit.name, "period": period.label},
            )
            return redirect("performance:return_detail", return_id=statistical_return.pk)
    return render(request, "performance/return_list.html", _list_context(request, form))


# --- The return page -----------------------------------------------------------------------------


def _page(
    request: HttpRequest,
    return_id: int,
    *,
    status: int = 200,
    page: selectors.ReturnPage | None = None,
    **bound: Any,
) -> HttpResponse:
    """The return page with the forms of the steps the user may take now; a bound form passed
    in replaces the blank one, to show its errors (and what was typed)."""
    page = page or selectors.return_page_for(user=request.user, return_id=return_id)
    ret, actions = page.statistical_return, page.actions
    version = ret.version
    figures_form = bound.get("figures_form") or ReturnFiguresForm(rows=page.rows, version=version)
    per_figure = actions.can_accept
    send_back_form = bound.get("send_back_form") or SendBackForm(
        rows=page.rows, version=version, per_figure=per_figure
    )
    context: dict[str, Any] = {
        "page": page,
        "ret": ret,
        "actions": actions,
        "figures_form": figures_form,
        "send_back_form": send_back_form,
        "endorse_form": bound.get("endorse_form")
        or VersionForm(initial={"version": version}, auto_id="endorse_%s"),
        "accept_form": bound.get("accept_form")
        or VersionForm(initial={"version": version}, auto_id="accept_%s"),
        "unlock_form": bound.get("unlock_form") or ReasonForm(initial={"version": version}),
        "upload_form": bound.get("upload_form") or ReturnUploadForm(),
        "upload_errors": bound.get("upload_errors") or [],
        "current": bound.get("current"),
        "conflict_rows": bound.get("conflict_rows") or [],
        "cells": _cells(page, figures_form, send_back_form, per_figure),
        "figures_form_id": FIGURES_FORM_ID,
        "send_back_form_id": SEND_BACK_FORM_ID,
        "show_changes": actions.is_reviewer and page.has_changes_marked,
    }
    return render(request, "performance/return_detail.html", context, status=status)


def _cells(
    page: selectors.ReturnPage,
    figures_form: ReturnFiguresForm,
    send_back_form: SendBackForm,
    per_figure: bool,
) -> list[dict[str, Any]]:
    """Each section's rows with their inputs (bound fields, or None when read-only)."""

    def field(form: forms.Form, name: str) -> forms.BoundField | None:
        return form[name] if name in form.fields else None

    sections = []
    for section in page.sections:
        rows = []
        for row in section.rows:
            value = field(figures_form, value_name(row))
            rows.append(
                {
                    "row": row,
                    "value": value,
                    "comment": field(figures_form, comment_name(row)),
                    "reopen": field(send_back_form, reopen_name(row)) if per_figure else None,
                    "reopen_reason": field(send_back_form, reopen_reason_name(row))
                    if per_figure
                    else None,
                    # What the checks say is shown unless the last post put errors on the input.
                    "show_issues": not (value is not None and value.errors),
                }
            )
        sections.append({"title": section.title, "rows": rows})
    return sections


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def return_detail(request: HttpRequest, return_id: int) -> HttpResponse:
    return _page(request, return_id)


def _rebase(form: forms.BaseForm, version: int) -> None:
    """The form keeps what the user typed but carries the current version, so that saving again
    (as the conflict message invites) applies their values."""
    data = form.data.copy()  # type: ignore[attr-defined]
    data["version"] = str(version)
    form.data = data


def _conflict(
    request: HttpRequest, return_id: int, name: str, form: Any, error: ConflictError
) -> HttpResponse:
    """Re-show the page as it is now with status 409: the other person's values, and (for the
    figures) what this user typed next to them."""
    page = selectors.return_page_for(user=request.user, return_id=return_id)
    current = error.current
    _rebase(form, current.version)  # type: ignore[attr-defined]
    rows = []
    if isinstance(form, ReturnFiguresForm):
        for label, typed in form.typed().items():
            row = page.row_for(label)
            if row is not None and typed.strip() != row.input_value:
                rows.append((row.full_name, typed or "—", row.value_text))
        # The inputs of the page as it is now (a returned figure may have been reopened).
        form = ReturnFiguresForm(form.data, rows=page.rows, version=current.version)  # type: ignore[attr-defined]
        form.is_valid()
    form.add_error(None, str(error.message))
    return _page(
        request,
        return_id,
        status=409,
        page=page,
        current=current,
        conflict_rows=rows,
        **{name: form},
    )


def _step_failed(
    request: HttpRequest, return_id: int, name: str, form: Any, error: ValidationError
) -> HttpResponse:
    """A review step the service refused: errors about the form's fields are shown on it; a step
    that no longer applies (someone else took it first) is a message on the page."""
    if hasattr(error, "error_dict"):
        if isinstance(form, SendBackForm):
            form.add_service_errors(error)
        else:
            form.add_error(None, error)
        return _page(request, return_id, **{name: form})
    for message in error.messages:
        messages.error(request, message)
    return redirect("performance:return_detail", return_id=return_id)


def _figures_form(request: HttpRequest, page: selectors.ReturnPage) -> ReturnFiguresForm:
    return ReturnFiguresForm(request.POST, rows=page.rows, version=page.statistical_return.version)


def _save(request: HttpRequest, page: selectors.ReturnPage, form: ReturnFiguresForm) -> Any:
    return services.return_save(
        user=request.user,
        return_id=page.statistical_return.pk,
        expected_version=form.cleaned_data["version"],
        values=form.values(),
        comments=form.comments(),
    )


@require_POST
@capability_required(Capability.REPORT_PERFORMANCE)
def return_save(request: HttpRequest, return_id: int) -> HttpResponse:
    """Save the figures typed (a draft, or the returned figures of a returned return)."""
    page = selectors.return_page_for(user=request.user, return_id=return_id)
    if not page.actions.is_unit_staff:
        raise PermissionDenied
    form = _figures_form(request, page)
    if form.is_valid():
        try:
            _save(request, page, form)
        except ConflictError as error:
            return _conflict(request, return_id, "figures_form", form, error)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("The figures have been saved."))
            return redirect("performance:return_detail", return_id=return_id)
    return _page(request, return_id, page=page, figures_form=form)


@require_POST
@capability_required(Capability.REPORT_PERFORMANCE)
def return_submit(request: HttpRequest, return_id: int) -> HttpResponse:
    """The unit's supervisor submits, saving first the figures typed on the page (if any)."""
    page = selectors.return_page_for(user=request.user, return_id=return_id)
    if not page.actions.is_supervisor:
        raise PermissionDenied
    form = _figures_form(request, page)
    if not form.is_valid():
        return _page(request, return_id, page=page, figures_form=form)
    version = form.cleaned_data["version"]
    try:
        if page.actions.can_edit and (form.values() or form.comments()):
            version = _save(request, page, form).version
        services.return_submit(user=request.user, return_id=return_id, expected_version=version)
    except ConflictError as error:
        return _conflict(request, return_id, "figures_form", form, error)
    except ValidationError as error:
        if version != form.cleaned_data["version"]:  # saved, then refused: show what is stored
            page = selectors.return_page_for(user=request.user, return_id=return_id)
            _rebase(form, version)
            form = ReturnFiguresForm(form.data, rows=page.rows, version=version)
            form.is_valid()
            messages.warning(request, _("The figures have been saved, but not submitted."))
        form.add_service_errors(error)
        return _page(request, return_id, page=page, figures_form=form)
    messages.success(request, _("The return has been submitted to the agency."))
    return redirect("performance:return_detail", return_id=return_id)


@require_POST
@capability_required(Capability.REVIEW_PERFORMANCE)
def return_endorse(request: HttpRequest, return_id: int) -> HttpResponse:
    """The agency's administrator endorses a submitted return for SWD."""
    statistical_return = selectors.return_get_for(user=request.user, return_id=return_id)
    actions = selectors.return_actions_for(user=request.user, statistical_return=statistical_return)
    if not actions.is_agency_reviewer:
        raise PermissionDenied
    form = VersionForm(request.POST, auto_id="endorse_%s")
    if form.is_valid():
        try:
            services.return_endorse(
                user=request.user,
                return_id=return_id,
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError as error:
            return _conflict(request, return_id, "endorse_form", form, error)
        except ValidationError as error:
            return _step_failed(request, return_id, "endorse_form", form, error)
        messages.success(request, _("The return has been endorsed and sent to SWD."))
        return redirect("performance:return_detail", return_id=return_id)
    return _page(request, return_id, endorse_form=form)


@require_POST
@capability_required(Capability.REVIEW_PERFORMANCE)
def return_accept(request: HttpRequest, return_id: int) -> HttpResponse:
    """SWD accepts an endorsed return; it is locked."""
    statistical_return = selectors.return_get_for(user=request.user, return_id=return_id)
    actions = selectors.return_actions_for(user=request.user, statistical_return=statistical_return)
    if not actions.is_swd:
        raise PermissionDenied
    form = VersionForm(request.POST, auto_id="accept_%s")
    if form.is_valid():
        try:
            services.return_accept(
                user=request.user,
                return_id=return_id,
                expected_version=form.cleaned_data["version"],
            )
        except ConflictError as error:
            return _conflict(request, return_id, "accept_form", form, error)
        except ValidationError as error:
            return _step_failed(request, return_id, "accept_form", form, error)
        messages.success(request, _("The return has been accepted and locked."))
        return redirect("performance:return_detail", return_id=return_id)
    return _page(request, return_id, accept_form=form)


@require_POST
@capability_required(Capability.REVIEW_PERFORMANCE)
def return_send_back(request: HttpRequest, return_id: int) -> HttpResponse:
    """Return for correction with a reason: the agency a submitted return (all of it), SWD an
    endorsed one (the figures ticked, each with its reason; none ticked: all of them)."""
    page = selectors.return_page_for(user=request.user, return_id=return_id)
    actions = page.actions
    if not actions.is_reviewer:
        raise PermissionDenied
    status = page.statistical_return.status
    if not (
        (actions.is_agency_reviewer and status == ReturnStatus.SUBMITTED)
        or (actions.is_swd and status == ReturnStatus.ENDORSED)
    ):
        messages.error(request, _("This return is not waiting for your review."))
        return redirect("performance:return_detail", return_id=return_id)
    form = SendBackForm(
        request.POST,
        rows=page.rows,
        version=page.statistical_return.version,
        per_figure=actions.can_accept,
    )
    if form.is_valid():
        try:
            services.return_send_back(
                user=request.user,
                return_id=return_id,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                fields=form.figures() or None,
            )
        except ConflictError as error:
            return _conflict(request, return_id, "send_back_form", form, error)
        except ValidationError as error:
            return _step_failed(request, return_id, "send_back_form", form, error)
        messages.success(request, _("The return has been returned to the unit for correction."))
        return redirect("performance:return_detail", return_id=return_id)
    return _page(request, return_id, page=page, send_back_form=form)


@require_POST
@capability_required(Capability.REVIEW_PERFORMANCE)
def return_unlock(request: HttpRequest, return_id: int) -> HttpResponse:
    """SWD unlocks an accepted return for correction, with a reason (every figure reopens)."""
    statistical_return = selectors.return_get_for(user=request.user, return_id=return_id)
    actions = selectors.return_actions_for(user=request.user, statistical_return=statistical_return)
    if not actions.is_swd:
        raise PermissionDenied
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            services.return_send_back(
                user=request.user,
                return_id=return_id,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
                unlock=True,
            )
        except ConflictError as error:
            return _conflict(request, return_id, "unlock_form", form, error)
        except ValidationError as error:
            return _step_failed(request, return_id, "unlock_form", form, error)
        messages.success(request, _("The return has been unlocked and returned to the unit."))
        return redirect("performance:return_detail", return_id=return_id)
    return _page(request, return_id, unlock_form=form)


# --- Excel ---------------------------------------------------------------------------------------


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def return_excel(request: HttpRequest, return_id: int) -> HttpResponse:
    """The return's Excel template (with the figures entered so far), in the page's language."""
    from ..services.uploads import return_workbook

    filename, data = return_workbook(
        user=request.user, return_id=return_id, language=get_language()
    )
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@capability_required(Capability.REPORT_PERFORMANCE)
def return_upload(request: HttpRequest, return_id: int) -> HttpResponse:
    """Fill in the return from its Excel template: all figures or none; each problem listed
    with the figure (or cell) it is about."""
    from ..services.uploads import return_upload as upload

    page = selectors.return_page_for(user=request.user, return_id=return_id)
    if not page.actions.is_unit_staff:
        raise PermissionDenied
    form = ReturnUploadForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            upload(user=request.user, return_id=return_id, data=file.read(), filename=file.name)
        except ConflictError as error:
            return _conflict(request, return_id, "upload_form", form, error)
        except ValidationError as error:
            errors = _upload_errors(error)
            form.add_error(None, _("The spreadsheet was not used: nothing has been changed."))
        else:
            messages.success(request, _("The figures of the spreadsheet have been saved."))
            return redirect("performance:return_detail", return_id=return_id)
    return _page(request, return_id, page=page, upload_form=form, upload_errors=errors)


def _upload_errors(error: ValidationError) -> list[str]:
    """Each problem of an upload as a line (the messages name their cell, sheet or file)."""
    return [str(message) for message in error.messages]


urlpatterns: list[URLPattern] = [
    path("returns/", return_list, name="return_list"),
    path("returns/start/", return_start, name="return_start"),
    path("returns/<int:return_id>/", return_detail, name="return_detail"),
    path("returns/<int:return_id>/save/", return_save, name="return_save"),
    path("returns/<int:return_id>/submit/", return_submit, name="return_submit"),
    path("returns/<int:return_id>/endorse/", return_endorse, name="return_endorse"),
    path("returns/<int:return_id>/accept/", return_accept, name="return_accept"),
    path("returns/<int:return_id>/send-back/", return_send_back, name="return_send_back"),
    path("returns/<int:return_id>/unlock/", return_unlock, name="return_unlock"),
    path("returns/<int:return_id>/excel/", return_excel, name="return_excel"),
    path("returns/<int:return_id>/upload/", return_upload, name="return_upload"),
]
