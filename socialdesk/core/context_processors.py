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
    ("cases:my_work", Capability.CASEWORK, lambda: _("My work")),
    ("cases:search", Capability.CASEWORK, lambda: _("Find a person")),
    ("cases:case_list", Capability.CASEWORK, lambda: _("Cases")),
    ("cases:intake_list", Capability.CASEWORK, lambda: _("Intake")),
    ("cases:referral_inbox", Capability.CASEWORK, lambda: _("Referrals")),
    ("performance:return_list", Capability.VIEW_PERFORMANCE, lambda: _("Statistical returns")),
    ("performance:dashboard", Capability.VIEW_PERFORMANCE, lambda: _("Performance dashboard")),
    ("performance:finance", Capability.VIEW_FINANCE, lambda: _("Finance")),
    ("performance:webhook_list", Capability.MANAGE_WEBHOOKS, lambda: _("Webhooks")),
    ("core:unit_list", Capability.VIEW_UNITS, lambda: _("Service units")),
    ("core:staff_list", Capability.VIEW_STAFF, lambda: _("Staff")),
    ("privacy:audit_log", Capability.VIEW_AUDIT, lambda: _("Audit log")),
    ("cases:break_glass_list", Capability.VIEW_AUDIT, lambda: _("Break-the-glass review")),
    ("core:notifications", Capability.VIEW_DASHBOARD, lambda: _("Notifications")),
    ("admin:index", Capability.MANAGE_REFERENCE_DATA, lambda: _("Reference data")),
    ("accounts:api_tokens", Capability.USE_API_TOKENS, lambda: _("API tokens")),
]


# Pages that belong to a menu entry although their path does not start with the entry's URL
# (a person's record under "Find a person", a case's notes under "Cases"): URL-name prefixes.
NAVIGATION_SECTIONS: dict[str, tuple[str, ...]] = {
    "cases:my_work": ("cases:my_work",),
    "cases:search": (
        "cases:search",
        "cases:person_",
        "cases:household_",
        "cases:contact_",
        "cases:alias_",
        "cases:consent_",
        "cases:break_glass",
        "cases:referral_new",
    ),
    "cases:case_list": (
        "cases:case_",
        "cases:note_",
        "cases:assessment_",
        "cases:plan_",
        "cases:review_",
    ),
    "cases:intake_list": ("cases:intake_",),
    "cases:referral_inbox": ("cases:referral_", "cases:attachment_"),
    "cases:break_glass_list": ("cases:break_glass_list", "cases:break_glass_review"),
    "performance:dashboard": (
        "performance:dashboard",
        "performance:alert_",
        "performance:siap_",
        "performance:unit_records",
        "performance:field_assessment_",
        "performance:complaint_",
    ),
    "performance:return_list": ("performance:return_",),
    "performance:finance": ("performance:finance",),
    "performance:webhook_list": ("performance:webhook_",),
}


def _current_section(request: HttpRequest, names: list[str]) -> str | None:
    match = getattr(request, "resolver_match", None)
    view_name = getattr(match, "view_name", "") or ""
    found = [
        (len(prefix), name)
        for name in names
        for prefix in NAVIGATION_SECTIONS.get(name, ())
        if view_name.startswith(prefix)
    ]
    # The longest prefix wins: "cases:break_glass_list" over "cases:break_glass".
    return max(found)[1] if found else None


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": [], "role_labels": []}
    path = request.path
    items: list[dict[str, Any]] = []
    for url_name, capability, label in NAVIGATION:
        if not has_capability(user, capability):
            continue
        url = reverse(url_name)
        active = path == url if url == "/" else path.startswith(url)
        items.append({"label": label(), "url": url, "active": active, "name": url_name})
    section = _current_section(request, [i["name"] for i in items])
    current: dict[str, Any] | None = None
    if section is not None:
        current = next(i for i in items if i["name"] == section)
    else:  # nested paths: only the most specific entry is current
        matching = [i for i in items if i["active"]]
        current = max(matching, key=lambda i: len(i["url"])) if matching else None
    for item in items:
        item["active"] = item is current
    roles = sorted(actor_for(user).roles, key=list(Role.values).index)
    return {"nav": items, "role_labels": [Role(r).label for r in roles]}
