"""The privacy officer's audit log: search, page through, export as CSV."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from socialdesk.core.access import Capability, capability_required
from socialdesk.core.jobs import job_start

from .forms import AuditSearchForm
from .selectors import AuditFilter, audit_list_for
from .tasks import export_audit_csv


@capability_required(Capability.VIEW_AUDIT)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditSearchForm(request.GET or None)
    filters = form.to_filter() if form.is_bound and form.is_valid() else AuditFilter()
    if form.is_bound and not form.is_valid():
        entries = audit_list_for(user=request.user, filters=AuditFilter()).none()
    else:
        entries = audit_list_for(user=request.user, filters=filters)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page_obj": page, "query": query.urlencode()}
    return render(request, "privacy/audit_log.html", context)


@require_POST
@capability_required(Capability.VIEW_AUDIT)
def audit_export(request: HttpRequest) -> HttpResponse:
    """Start a CSV export of the entries matching the search, as a background job."""
    form = AuditSearchForm(request.POST)
    if not form.is_valid():
        page = Paginator(
            audit_list_for(user=request.user, filters=AuditFilter()).none(), 50
        ).get_page(1)
        return render(
            request, "privacy/audit_log.html", {"form": form, "page_obj": page}, status=400
        )
    f = form.to_filter()
    params = {
        "user": f.user,
        "model": f.model,
        "object_pk": f.object_pk,
        "action": f.action,
        "date_from": f.date_from.isoformat() if f.date_from else None,
        "date_to": f.date_to.isoformat() if f.date_to else None,
    }
    job = job_start(
        user=request.user, kind="audit_export", task=export_audit_csv, parameters=params
    )
    return redirect("core:job_detail", job_id=job.pk)
