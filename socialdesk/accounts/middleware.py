"""Per-request account rules: the user's language, the idle timeout and the two-factor gate."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _

from .selectors import two_factor_step

LAST_ACTIVITY_KEY = "socialdesk_last_activity"
STARTED_KEY = "socialdesk_session_started"


def _supported(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class UserLanguageMiddleware:
    """Chooses the language: the signed-in user's preference, else the language cookie, else
    zh-Hant. API callers may ask with Accept-Language. (Replaces Django's LocaleMiddleware, which
    would let a browser's Accept-Language override the Traditional-Chinese default.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = None
        if request.path.startswith("/api/"):
            accept = request.headers.get("Accept-Language", "")
            language = _supported(accept.split(",")[0].split(";")[0].strip()) if accept else None
        user = getattr(request, "user", None)
        if language is None and user is not None and user.is_authenticated:
            language = _supported(user.preferred_language)
        if language is None:
            language = _supported(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME))
        language = language or settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language() or language)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response


class IdleTimeoutMiddleware:
    """Signs a user out after SOCIALDESK_IDLE_TIMEOUT seconds without a request, and in any case
    SOCIALDESK_SESSION_MAX_AGE seconds after sign-in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(LAST_ACTIVITY_KEY)
            started = request.session.setdefault(STARTED_KEY, now)
            idle = last is not None and now - int(last) > settings.SOCIALDESK_IDLE_TIMEOUT
            if idle or now - int(started) > settings.SOCIALDESK_SESSION_MAX_AGE:
                logout(request)
                request.session["socialdesk_signed_out_idle"] = True
                login_url = reverse("accounts:login")
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "session_expired",
                                "message": _("Your session has expired."),
                            }
                        },
                        status=401,
                    )
                if getattr(request, "htmx", False):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = login_url
                    return response
                return HttpResponseRedirect(f"{login_url}?next={request.path}")
            # Write at most once a minute to spare the session store.
            if last is None or now - int(last) >= 60:
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)


class RequireTwoFactorMiddleware:
    """Until a user who needs two-factor has verified a code, only the two-factor pages, sign-out
    and the language switch answer; API calls on such a session get 401."""

    OPEN_PREFIXES = ("/static/", "/accounts/2fa/", "/accounts/logout/", "/accounts/language/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(self.OPEN_PREFIXES):
            step = two_factor_step(user=user, is_verified=user.is_verified())  # type: ignore[union-attr,attr-defined,unused-ignore]
            if step is not None:
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "error": {
                                "code": "two_factor_required",
                                "message": _(
                                    "Verify your sign-in with your authenticator app first."
                                ),
                            }
                        },
                        status=401,
                    )
                target = reverse(
                    "accounts:2fa_verify" if step == "verify" else "accounts:2fa_setup"
                )
                if step == "setup" and not request.session.get("socialdesk_2fa_told"):
                    messages.info(
                        request,
                        _(
                            "Your role needs two-factor sign-in. "
                            "Set up an authenticator app to continue."
                        ),
                    )
                    request.session["socialdesk_2fa_told"] = True
                return HttpResponseRedirect(target)
        return self.get_response(request)
