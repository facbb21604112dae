"""Navigation for the signed-in user: only what their roles may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _

from .access import Capability, actor_for, has_capability
from .models import Role

NAVIGATION: list[tuple[str, Capability, Any]] = [
    ("core:dashboard", Capability.VIEW_DASHBOARD, lambda: _("Dashboard")),
    ("core:unit_list", Capability.VIEW_UNITS, lambda: _("Service units")),
    ("core:staff_list", Capability.VIEW_STAFF, lambda: _("Staff")),
    ("privacy:audit_log", Capability.VIEW_AUDIT, lambda: _("Audit log")),
    ("admin:index", Capability.MANAGE_REFERENCE_DATA, lambda: _("Reference data")),
    ("accounts:api_tokens", Capability.USE_API_TOKENS, lambda: _("API tokens")),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "role_labels": []}
    path = request.path
    items = []
    for url_name, capability, label in NAVIGATION:
        if not has_capability(user, capability):
            continue
        url = reverse(url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": label(), "url": url, "active": active})
    roles = sorted(actor_for(user).roles, key=list(Role.values).index)
    return {"nav": items, "role_labels": [Role(r).label for r in roles]}
