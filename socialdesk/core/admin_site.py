"""The Django admin, for system administrators only: other signed-in staff get 403, not a second
login form; sign-in goes through SocialDesk's own login (with two-factor)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from .access import Capability, has_capability


class SocialDeskAdminSite(admin.AdminSite):
    site_header = _("SocialDesk administration")
    site_title = _("SocialDesk administration")
    index_title = _("Reference data and accounts")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and has_capability(user, Capability.MANAGE_REFERENCE_DATA)
        )

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        guarded.__wrapped__ = view  # type: ignore[attr-defined]
        return guarded

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect_to_login(request.GET.get("next", "/admin/"))
