"""A case worker's "my work": open work items grouped by when they are due."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from socialdesk.core.access import Capability, capability_required

from .. import selectors


@capability_required(Capability.CASEWORK)
def my_work(request: HttpRequest) -> HttpResponse:
    """Overdue, due within seven days, and later: the user's own items, their units' unassigned
    ones, and for supervisors the approvals waiting in their units."""
    groups = selectors.work_items_grouped_for(user=request.user)
    return render(request, "cases/my_work.html", {"groups": groups})
