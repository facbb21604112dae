"""Alerts (open and resolved, by kind) and Service Improvement Action Plans: the list, the plan
page (reasons and actions edited in place with HTMX, or as plain forms without JavaScript),
submission to SWD, SWD's review and closure, and the plan's history. Every step posts the
plan's version: a stale page gets 409 with the current values."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from socialdesk.core.access import Capability, actor_for, capability_required
from socialdesk.core.concurrency import ConflictError
from socialdesk.core.models import Role, ServiceUnit

from ..forms_monitoring import (
    SiapActionDoneForm,
    SiapActionForm,
    SiapAnalysisForm,
    SiapReviewForm,
    SiapStartForm,
    SiapVersionForm,
)
from ..models import Alert, AlertKind, AlertStatus, ImprovementPlan, PlanStatus
from ..periods import fiscal_year_of, year_label
from ..selectors import monitoring as selectors
from ..services import improvement

ACTION_FIELDS = ("description", "owner", "milestone", "due_on", "done_on")


def return_url(return_id: int | None) -> str | None:
    """The page of a statistical return (None while there is none, or no such page)."""
    if return_id is None:
        return None
    try:
        return reverse("performance:return_detail", args=[return_id])
    except NoReverseMatch:
        return None


def may_start_siap_for(user: Any, unit: ServiceUnit) -> bool:
    return improvement.may_start_siap(user, unit)


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _year(value: str | None) -> int | None:
    try:
        year = int(value or "")
    except ValueError:
        return None
    return year if 2000 <= year <= 2100 else None


def _service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's ValidationError onto the form: next to the field it names, else on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            for item in errors:
                form.add_error(name if name in form.fields else None, item)
    else:
        form.add_error(None, error)


def _rebase(form: forms.BaseForm, version: int) -> None:
    """Keep what the user typed, with the current version, so saving again applies it."""
    data = form.data.copy()  # type: ignore[attr-defined]
    data[form.add_prefix("version")] = str(version)
    form.data = data


# --- Alerts -------------------------------------------------------------------------------------


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def alert_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", AlertStatus.OPEN)
    if status not in (*AlertStatus.values, "all"):
        status = AlertStatus.OPEN
    kind = request.GET.get("kind", "")
    year = _year(request.GET.get("year"))
    alerts = selectors.alert_list_for(
        user=request.user,
        status="" if status == "all" else status,
        kind=kind,
        fiscal_year=year,
    )
    page = Paginator(alerts, 25).get_page(request.GET.get("page"))
    current = fiscal_year_of(timezone.localdate())
    context = {
        "page_obj": page,
        "status": status,
        "kind": kind if kind in AlertKind.values else "",
        "year": year,
        "kinds": AlertKind.choices,
        "statuses": AlertStatus.choices,
        "years": [(y, year_label(y)) for y in range(current, current - 4, -1)],
    }
    return render(request, "performance/alert_list.html", context)


def _start_choices(user: Any, alert: Alert) -> list[Alert]:
    if alert.kind not in improvement.PLAN_ALERT_KINDS or alert.status != AlertStatus.OPEN:
        return []
    if alert.improvement_plan_id is not None:
        return []
    return selectors.alerts_for_new_plan(user=user, alert=alert)


def _choice_label(alert: Alert) -> str:
    what = alert.indicator.name if alert.indicator else alert.subject
    return f"{alert.get_kind_display()}: {what}"


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = selectors.alert_get_for(user=request.user, alert_id=alert_id)
    may_start = improvement.may_start_siap(request.user, alert.unit)
    candidates = _start_choices(request.user, alert) if may_start else []
    form = SiapStartForm(
        choices=[(a.pk, _choice_label(a)) for a in candidates], initial={"alerts": [alert.pk]}
    )
    context = {
        "alert": alert,
        "start_form": form if candidates else None,
        "return_link": return_url(_return_id_of(alert)),
        "dashboard_link": reverse("performance:dashboard")
        + f"?view=unit&unit={alert.unit_id}&year={alert.fiscal_year}",
    }
    return render(request, "performance/alert_detail.html", context)


def _return_id_of(alert: Alert) -> int | None:
    if alert.kind != AlertKind.OVERDUE_RETURN or alert.period_id is None:
        return None
    from ..models import StatisticalReturn

    found = (
        StatisticalReturn.objects.filter(unit_id=alert.unit_id, period_id=alert.period_id)
        .values_list("pk", flat=True)
        .first()
    )
    return found


@require_POST
@capability_required(Capability.VIEW_PERFORMANCE)
def alert_siap_start(request: HttpRequest, alert_id: int) -> HttpResponse:
    """Open a SIAP for this alert (and the other open alerts of the unit's year ticked)."""
    alert = selectors.alert_get_for(user=request.user, alert_id=alert_id)
    if not improvement.may_start_siap(request.user, alert.unit):
        raise PermissionDenied
    candidates = _start_choices(request.user, alert)
    form = SiapStartForm(request.POST, choices=[(a.pk, _choice_label(a)) for a in candidates])
    chosen = set(form.cleaned_data["alerts"]) if form.is_valid() else set()
    try:
        plan = improvement.siap_create_for_alerts(
            user=request.user,
            unit_id=alert.unit_id,
            fiscal_year=alert.fiscal_year,
            alert_ids=sorted(chosen | {alert.pk}),
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("performance:alert_detail", alert_id=alert.pk)
    messages.success(
        request,
        _("The improvement plan has been opened; it is due on %(date)s.")
        % {"date": plan.due_on.isoformat()},
    )
    return redirect("performance:siap_detail", siap_id=plan.pk)


# --- Plans --------------------------------------------------------------------------------------


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "open")
    if status not in (*PlanStatus.values, "open", "all"):
        status = "open"
    year = _year(request.GET.get("year"))
    plans = selectors.siap_list_for(
        user=request.user, status="" if status == "all" else status, fiscal_year=year
    )
    page = Paginator(plans, 25).get_page(request.GET.get("page"))
    current = fiscal_year_of(timezone.localdate())
    context = {
        "page_obj": page,
        "status": status,
        "year": year,
        "statuses": PlanStatus.choices,
        "years": [(y, year_label(y)) for y in range(current, current - 4, -1)],
        "today": timezone.localdate(),
    }
    return render(request, "performance/siap_list.html", context)


def _context(
    request: HttpRequest,
    plan: ImprovementPlan,
    *,
    analysis_form: SiapAnalysisForm | None = None,
    action_form: SiapActionForm | None = None,
    edit_form: SiapActionForm | None = None,
    editing: int | None = None,
    review_form: SiapReviewForm | None = None,
    workflow_errors: list[str] | None = None,
    notice: str = "",
    current: ImprovementPlan | None = None,
    conflict_rows: list[tuple[str, str, str]] | None = None,
) -> dict[str, Any]:
    rights = improvement.siap_rights(request.user, plan)
    actions = selectors.siap_actions(plan)
    version = {"version": plan.version}
    if edit_form is None and editing is not None:
        action = next((a for a in actions if a.pk == editing), None)
        if action is None:
            editing = None
        else:
            edit_form = SiapActionForm(
                initial={**version, "action": action.pk}
                | {name: getattr(action, name) for name in ACTION_FIELDS},
                prefix="edit",
            )
    return {
        "plan": plan,
        "rights": rights,
        "actions": actions,
        "alerts": selectors.siap_alerts(plan),
        "history": selectors.siap_history(plan, actions),
        "analysis_form": analysis_form
        or SiapAnalysisForm(initial={**version, "analysis": plan.analysis}),
        "action_form": action_form or SiapActionForm(initial=version, prefix="new"),
        "edit_form": edit_form,
        "editing": editing if edit_form is not None else None,
        "done_version": plan.version,
        "review_form": review_form or SiapReviewForm(initial=version),
        "workflow_errors": workflow_errors or [],
        "notice": notice,
        "current": current,
        "conflict_rows": conflict_rows or [],
        "all_done": bool(actions) and all(a.done_on for a in actions),
        "today": timezone.localdate(),
        "dashboard_link": reverse("performance:dashboard")
        + f"?view=unit&unit={plan.unit_id}&year={plan.fiscal_year}",
    }


def _respond(
    request: HttpRequest, plan: ImprovementPlan, *, status: int = 200, **parts: Any
) -> HttpResponse:
    """The plan's page (or, for HTMX, its body) as it stands now, with any bound forms."""
    plan = selectors.siap_get_for(user=request.user, siap_id=plan.pk)
    context = _context(request, plan, **parts)
    template = (
        "performance/partials/siap_body.html" if _htmx(request) else "performance/siap_detail.html"
    )
    return render(request, template, context, status=status)


def _done(
    request: HttpRequest, plan: ImprovementPlan, notice: str, anchor: str = ""
) -> HttpResponse:
    if _htmx(request):
        return _respond(request, plan, notice=notice)
    messages.success(request, notice)
    url = reverse("performance:siap_detail", args=[plan.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _conflict(
    request: HttpRequest,
    plan: ImprovementPlan,
    error: ConflictError,
    *,
    rows: list[tuple[str, str, str]] | None = None,
    **parts: Any,
) -> HttpResponse:
    current = error.current
    for form in parts.values():
        if isinstance(form, forms.BaseForm):
            form.add_error(None, str(error.message))
            if form.is_bound:
                _rebase(form, current.version)  # type: ignore[attr-defined]
    return _respond(request, plan, status=409, current=current, conflict_rows=rows or [], **parts)


def _plan_for(request: HttpRequest, siap_id: int, *, sector: bool = False) -> ImprovementPlan:
    """The plan (404 if not visible) if the user is on the side that takes this step (403)."""
    plan = selectors.siap_get_for(user=request.user, siap_id=siap_id)
    if sector:
        allowed = actor_for(request.user).has_role(Role.SWD_SUBVENTIONS)
    else:
        allowed = improvement.agency_side(request.user, plan.unit)
    if not allowed:
        raise PermissionDenied
    return plan


@require_GET
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_detail(request: HttpRequest, siap_id: int) -> HttpResponse:
    plan = selectors.siap_get_for(user=request.user, siap_id=siap_id)
    return render(request, "performance/siap_detail.html", _context(request, plan))


@require_POST
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_update(request: HttpRequest, siap_id: int) -> HttpResponse:
    """Save the reasons for the shortfall."""
    plan = _plan_for(request, siap_id)
    form = SiapAnalysisForm(request.POST)
    if form.is_valid():
        try:
            improvement.siap_update(
                user=request.user,
                siap_id=plan.pk,
                expected_version=form.cleaned_data["version"],
                analysis=form.cleaned_data["analysis"],
            )
        except ConflictError as error:
            rows = [
                (
                    str(form.fields["analysis"].label),
                    form.cleaned_data["analysis"] or "—",
                    error.current.analysis or "—",  # type: ignore[attr-defined]
                )
            ]
            return _conflict(request, plan, error, rows=rows, analysis_form=form)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            return _done(request, plan, _("The reasons have been saved."), "analysis")
    return _respond(request, plan, analysis_form=form)


@require_POST
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_action_add(request: HttpRequest, siap_id: int) -> HttpResponse:
    plan = _plan_for(request, siap_id)
    form = SiapActionForm(request.POST, prefix="new")
    if form.is_valid():
        data = form.cleaned_data
        try:
            improvement.siap_action_add(
                user=request.user,
                siap_id=plan.pk,
                expected_version=data["version"],
                description=data["description"],
                owner=data["owner"],
                milestone=data["milestone"],
                due_on=data["due_on"],
            )
        except ConflictError as error:
            return _conflict(request, plan, error, action_form=form)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            return _done(request, plan, _("The action has been added."), "actions")
    return _respond(request, plan, action_form=form)


@capability_required(Capability.VIEW_PERFORMANCE)
def siap_action_update(request: HttpRequest, siap_id: int) -> HttpResponse:
    """GET ?action=<id>: the action as a form in its row; POST: save it."""
    plan = _plan_for(request, siap_id)
    if request.method != "POST":
        wanted = _int(request.GET.get("action"))
        if wanted is None or not plan.actions.filter(pk=wanted).exists():
            return redirect("performance:siap_detail", siap_id=plan.pk)
        return _respond(request, plan, editing=wanted)
    form = SiapActionForm(request.POST, prefix="edit")
    editing = form.data.get("edit-action")
    if form.is_valid():
        data = form.cleaned_data
        try:
            improvement.siap_action_update(
                user=request.user,
                siap_id=plan.pk,
                expected_version=data["version"],
                action_id=data["action"],
                description=data["description"],
                owner=data["owner"],
                milestone=data["milestone"],
                due_on=data["due_on"],
                done_on=data["done_on"],
            )
        except ConflictError as error:
            return _conflict(request, plan, error, edit_form=form, editing=_int(editing))
        except ValidationError as error:
            _service_errors(form, error)
        else:
            return _done(request, plan, _("The action has been changed."), "actions")
    if _int(editing) is None:
        messages.error(request, _("Choose the action to change."))
        return redirect("performance:siap_detail", siap_id=plan.pk)
    return _respond(request, plan, edit_form=form, editing=_int(editing))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_POST
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_action_complete(request: HttpRequest, siap_id: int) -> HttpResponse:
    """Record an action done (today, or the date given)."""
    plan = _plan_for(request, siap_id)
    form = SiapActionDoneForm(request.POST)
    if form.is_valid():
        try:
            improvement.siap_action_complete(
                user=request.user,
                siap_id=plan.pk,
                expected_version=form.cleaned_data["version"],
                action_id=form.cleaned_data["action"],
                done_on=form.cleaned_data["done_on"],
            )
        except ConflictError as error:
            return _conflict(request, plan, error)
        except ValidationError as error:
            return _respond(request, plan, workflow_errors=error.messages)
        return _done(request, plan, _("The action has been recorded as done."), "actions")
    return _respond(request, plan, workflow_errors=[_("Choose the action that is done.")])


def _workflow(
    request: HttpRequest,
    siap_id: int,
    step: Any,
    done: str,
    *,
    sector: bool = False,
) -> HttpResponse:
    """Submit or close: the plan's version is all the form carries."""
    plan = _plan_for(request, siap_id, sector=sector)
    form = SiapVersionForm(request.POST)
    if not form.is_valid():
        return _respond(request, plan, workflow_errors=[_("Reload the page and try again.")])
    try:
        step(user=request.user, siap_id=plan.pk, expected_version=form.cleaned_data["version"])
    except ConflictError as error:
        return _conflict(request, plan, error)
    except ValidationError as error:
        return _respond(request, plan, workflow_errors=error.messages)
    return _done(request, plan, done)


@require_POST
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_submit(request: HttpRequest, siap_id: int) -> HttpResponse:
    return _workflow(
        request, siap_id, improvement.siap_submit, _("The plan has been submitted to SWD.")
    )


@require_POST
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_close(request: HttpRequest, siap_id: int) -> HttpResponse:
    return _workflow(
        request,
        siap_id,
        improvement.siap_close,
        _("The plan has been closed and its alerts resolved."),
        sector=True,
    )


@require_POST
@capability_required(Capability.VIEW_PERFORMANCE)
def siap_review(request: HttpRequest, siap_id: int) -> HttpResponse:
    """SWD accepts the plan or returns it, with comments."""
    plan = _plan_for(request, siap_id, sector=True)
    form = SiapReviewForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == SiapReviewForm.ACCEPT
        try:
            improvement.siap_review(
                user=request.user,
                siap_id=plan.pk,
                expected_version=form.cleaned_data["version"],
                accept=accept,
                comments=form.cleaned_data["comments"],
            )
        except ConflictError as error:
            return _conflict(request, plan, error, review_form=form)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            done = (
                _("The plan has been accepted.")
                if accept
                else _("The plan has been returned to the agency.")
            )
            return _done(request, plan, done)
    return _respond(request, plan, review_form=form)


urlpatterns: list[URLPattern] = [
    path("alerts/", alert_list, name="alert_list"),
    path("alerts/<int:alert_id>/", alert_detail, name="alert_detail"),
    path("alerts/<int:alert_id>/siap/", alert_siap_start, name="alert_siap_start"),
    path("siaps/", siap_list, name="siap_list"),
    path("siaps/<int:siap_id>/", siap_detail, name="siap_detail"),
    path("siaps/<int:siap_id>/analysis/", siap_update, name="siap_update"),
    path("siaps/<int:siap_id>/actions/", siap_action_add, name="siap_action_add"),
    path("siaps/<int:siap_id>/actions/edit/", siap_action_update, name="siap_action_update"),
    path("siaps/<int:siap_id>/actions/done/", siap_action_complete, name="siap_action_complete"),
    path("siaps/<int:siap_id>/submit/", siap_submit, name="siap_submit"),
    path("siaps/<int:siap_id>/review/", siap_review, name="siap_review"),
    path("siaps/<int:siap_id>/close/", siap_close, name="siap_close"),
]
