"""Reads about accounts: two-factor state, tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialdesk.core.access import ROLES_REQUIRING_2FA, actor_for

from .models import ApiToken


def user_has_confirmed_device(*, user: Any) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def user_requires_two_factor(*, user: Any) -> bool:
    """Two-factor is required for roles that see personal data, and for anyone who enrolled."""
    if user_has_confirmed_device(user=user):
        return True
    if getattr(settings, "SOCIALDESK_2FA_EXEMPT_DEMO_USERS", False) and user.is_demo:
        return False
    return actor_for(user).has_role(*ROLES_REQUIRING_2FA)


def two_factor_step(*, user: Any, is_verified: bool) -> str | None:
    """What the signed-in user still owes: "verify", "setup", or None when nothing."""
    if is_verified or not user_requires_two_factor(user=user):
        return None
    return "verify" if user_has_confirmed_device(user=user) else "setup"


def api_token_list_for(*, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")
