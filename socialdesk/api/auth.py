"""API authentication: personal tokens for systems, the browser session (with CSRF and a
verified second factor) for pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import translation
from ninja.security import APIKeyHeader, HttpBearer, SessionAuth

from socialdesk.accounts.selectors import two_factor_step
from socialdesk.accounts.services import api_token_authenticate


def _activate_language(request: HttpRequest, user: Any) -> None:
    if "Accept-Language" not in request.headers:
        translation.activate(user.preferred_language)
        request.LANGUAGE_CODE = translation.get_language()


class TokenAuth(HttpBearer):
    """`Authorization: Bearer sd_…` — a personal API token created in the UI."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(raw=token)
        if user is None:
            return None
        request.user = user
        _activate_language(request, user)
        return user


class VerifiedSessionAuth(SessionAuth):
    """The signed-in browser session, once any required second factor is verified."""

    def _get_key(self, request: HttpRequest) -> str | None:
        # The CSRF check protects a signed-in session only. A caller without one (say, a system
        # whose token was revoked) is not authenticated: 401, not 403 for a missing CSRF token.
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user is None:
            return None
        if two_factor_step(user=user, is_verified=user.is_verified()) is not None:
            return None
        return user


__all__ = ["APIKeyHeader", "TokenAuth", "VerifiedSessionAuth"]
