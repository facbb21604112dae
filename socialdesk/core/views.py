"""Dashboards, service units, staff and background jobs. Thin: parse, call a selector or
service, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .access import Action, Capability, actor_for, capability_required, policy_for
from .audit import record_read
from .concurrency import ConflictError
from .forms import ServiceUnitForm, StaffForm
from .models import District, Organisation, Role, ServiceType, ServiceUnit

# Which dashboard a user lands on when they hold several roles: the first in this order.
DASHBOARD_ORDER = [
    Role.SYSTEM_ADMIN,
    Role.PRIVACY_OFFICER,
    Role.SWD_SUBVENTIONS,
    Role.AGENCY_ADMIN,
    Role.AGENCY_FINANCE,
    Role.UNIT_SUPERVISOR,
    Role.FRONTLINE_WORKER,
]


def _rebase_on_current(form: Any, current: Any) -> None:
    """After a conflict the form keeps the user's values but carries the current version, so that
    saving again (as the conflict message tells them) applies their values instead of failing
    with the same conflict for ever."""
    form.data = form.data.copy()
    form.data["version"] = str(current.version)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each role has its own dashboard; a user with several roles can switch between them."""
    actor = actor_for(request.user)
    roles = [r for r in DASHBOARD_ORDER if r in actor.roles]
    if not roles:
        return render(request, "core/dashboards/no_role.html", status=200)
    chosen = request.GET.get("role")
    role = Role(chosen) if chosen in roles else roles[0]
    context: dict[str, Any] = {
        "role": role,
        "role_label": role.label,
        "other_roles": [Role(r) for r in roles if r != role],
        "counts": selectors.dashboard_counts_for(user=request.user),
        "memberships": selectors.membership_list_for_user(user=request.user),
    }
    if role in (Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR):
        unit_ids = actor.unit_ids(role)
        context["my_units"] = selectors.service_unit_list_for(user=request.user).filter(
            pk__in=unit_ids
        )
    if role in (Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR):
        from socialdesk.cases.selectors import work_summary_for

        context["work"] = work_summary_for(user=request.user)
    if role == Role.UNIT_SUPERVISOR:
        context["team"] = selectors.team_for_units(unit_ids=actor.unit_ids(role))
    if role in (Role.AGENCY_ADMIN, Role.AGENCY_FINANCE, Role.SWD_SUBVENTIONS):
        context["units_by_type"] = selectors.unit_counts_by(user=request.user, field="service_type")
    if role == Role.SWD_SUBVENTIONS:
        context["organisations"] = selectors.organisation_list_for(user=request.user).filter(
            kind="ngo"
        )
        context["units_by_district"] = selectors.unit_counts_by(user=request.user, field="district")
    if role == Role.AGENCY_ADMIN:
        context["staff_count"] = selectors.staff_list_for(user=request.user).count()
    if role == Role.PRIVACY_OFFICER:
        from socialdesk.privacy.selectors import audit_summary_for

        context["audit"] = audit_summary_for(user=request.user)
    if role == Role.SYSTEM_ADMIN:
        context["reference"] = {
            "districts": District.objects.count(),
            "service_types": ServiceType.objects.count(),
            "organisations": Organisation.objects.count(),
            "units": ServiceUnit.objects.count(),
        }
    context["recent_jobs"] = selectors.background_job_list_for(user=request.user)[:5]
    return render(request, f"core/dashboards/{role.value}.html", context)


@capability_required(Capability.VIEW_UNITS)
def unit_list(request: HttpRequest) -> HttpResponse:
    units = selectors.service_unit_list_for(
        user=request.user,
        query=request.GET.get("q", "").strip()[:100],
        service_type=request.GET.get("type", ""),
        district=request.GET.get("district", ""),
    )
    page = Paginator(units, 25).get_page(request.GET.get("page"))
    context = {
        "page_obj": page,
        "service_types": ServiceType.objects.order_by("code"),
        "districts": District.objects.order_by("region", "code"),
        "q": request.GET.get("q", ""),
        "type": request.GET.get("type", ""),
        "district": request.GET.get("district", ""),
    }
    template = "core/partials/unit_table.html" if request.htmx else "core/unit_list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@capability_required(Capability.VIEW_UNITS)
def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.service_unit_get_for(user=request.user, unit_id=unit_id)
    can_change = policy_for(ServiceUnit).allows(request.user, unit, Action.CHANGE)
    return render(request, "core/unit_detail.html", {"unit": unit, "can_change": can_change})


@capability_required(Capability.CHANGE_UNITS)
def unit_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.service_unit_get_for(user=request.user, unit_id=unit_id, action=Action.CHANGE)
    form = ServiceUnitForm(request.POST or None, instance=unit)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_unit_update(
                user=request.user,
                unit_id=unit.pk,
                expected_version=form.cleaned_data["version"],
                data=form.cleaned_data,
            )
        except ConflictError as conflict:
            form.add_error(None, str(conflict.message))
            _rebase_on_current(form, conflict.current)
            return render(
                request,
                "core/unit_edit.html",
                {"form": form, "unit": unit, "current": conflict.current},
                status=409,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The service unit has been saved."))
            return redirect(reverse("core:unit_detail", args=[unit.pk]))
    return render(request, "core/unit_edit.html", {"form": form, "unit": unit})


@capability_required(Capability.VIEW_STAFF)
def staff_list(request: HttpRequest) -> HttpResponse:
    staff = selectors.staff_list_for(
        user=request.user, query=request.GET.get("q", "").strip()[:100]
    )
    page = Paginator(staff, 25).get_page(request.GET.get("page"))
    return render(
        request, "core/staff_list.html", {"page_obj": page, "q": request.GET.get("q", "")}
    )


@capability_required(Capability.VIEW_STAFF)
def staff_detail(request: HttpRequest, staff_id: int) -> HttpResponse:
    """A staff record holds personal data: the read is audited."""
    from django.contrib.auth import get_user_model

    staff = selectors.staff_get_for(user=request.user, staff_id=staff_id)
    record_read(obj=staff, user=request.user, request=request, purpose="staff_detail")
    context = {
        "staff": staff,
        "memberships": selectors.membership_list_for_user(user=staff),
        "can_change": policy_for(get_user_model()).allows(request.user, staff, Action.CHANGE),
    }
    return render(request, "core/staff_detail.html", context)


@capability_required(Capability.CHANGE_STAFF)
def staff_edit(request: HttpRequest, staff_id: int) -> HttpResponse:
    staff = selectors.staff_get_for(user=request.user, staff_id=staff_id, action=Action.CHANGE)
    record_read(obj=staff, user=request.user, request=request, purpose="staff_edit")
    form = StaffForm(request.POST or None, instance=staff)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_update(
                user=request.user,
                staff_id=staff.pk,
                expected_version=form.cleaned_data["version"],
                data=form.cleaned_data,
            )
        except ConflictError as conflict:
            form.add_error(None, str(conflict.message))
            _rebase_on_current(form, conflict.current)
            return render(
                request,
                "core/staff_edit.html",
                {"form": form, "staff": staff, "current": conflict.current},
                status=409,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The staff record has been saved."))
            return redirect(reverse("core:staff_detail", args=[staff.pk]))
    return render(request, "core/staff_edit.html", {"form": form, "staff": staff})


@login_required
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """A background job's progress; HTMX polls the partial until the job finishes."""
    job = selectors.background_job_get_for(user=request.user, job_id=job_id)
    context = {
        "job": job,
        "poll_url": reverse("core:job_detail", args=[job.pk]),
        "download_url": reverse("core:job_download", args=[job.pk]),
    }
    template = "includes/job_progress.html" if request.htmx else "core/job_detail.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@login_required
def job_download(request: HttpRequest, job_id: int) -> HttpResponse | FileResponse:
    job = selectors.background_job_get_for(user=request.user, job_id=job_id)
    if not job.result_file:
        messages.error(request, _("This job has no file to download yet."))
        return redirect("core:job_detail", job_id=job.pk)
    return FileResponse(job.result_file.open("rb"), as_attachment=True, filename=job.result_name)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications (alerts, reminders, referral news), unread ones marked."""
    page = Paginator(selectors.notification_list_for(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "core/notifications.html", {"page_obj": page})


@require_POST
@login_required
def notification_read(request: HttpRequest, notification_id: int | None = None) -> HttpResponse:
    """Mark one notification (or, without an id, all of them) read; "open" follows its link."""
    marked = services.notification_mark_read(user=request.user, notification_id=notification_id)
    if notification_id is not None and request.POST.get("open") and marked:
        link = marked[0].link
        if link.startswith("/") and not link.startswith("//"):
            return redirect(link)
    return redirect("core:notifications")
