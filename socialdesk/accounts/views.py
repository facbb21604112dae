"""Sign-in, two-factor, language, profile and personal API tokens."""

from __future__ import annotations

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialdesk.core.access import Capability, capability_required

from . import selectors, services
from .forms import ApiTokenForm, LanguageForm, SignInForm, TokenCodeForm


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


class SignInView(auth_views.LoginView):
    """Username and password; the two-factor gate takes over afterwards if the role needs it."""

    form_class = SignInForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):  # type: ignore[no-untyped-def]
        context = super().get_context_data(**kwargs)
        context["signed_out_idle"] = self.request.session.pop("socialdesk_signed_out_idle", False)
        return context

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        language = form.get_user().preferred_language
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            samesite="Lax",
            secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
        )
        return response


class SignOutView(auth_views.LogoutView):
    """Sign out (POST only)."""


def _totp_svg(device: TOTPDevice, username: str) -> str:
    issuer = settings.OTP_TOTP_ISSUER
    uri = device.config_url.replace("otpauth://totp/", f"otpauth://totp/{issuer}:", 1)
    if f"issuer={issuer}" not in uri:
        uri += f"&issuer={issuer}"
    # omitsize: a viewBox instead of a fixed size, so CSS can scale the code without clipping it.
    return segno.make(uri, error="m").svg_inline(
        scale=4, dark="#111111", light="#ffffff", omitsize=True
    )


@login_required
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: QR code and key, then one code to confirm."""
    verified = request.user.is_verified()  # type: ignore[union-attr]
    if not verified and selectors.user_has_confirmed_device(user=request.user):
        # Replacing an enrolled authenticator needs a code from it first: otherwise the password
        # alone would let anyone swap in their own app and get past the second factor.
        return redirect("accounts:2fa_verify")
    device = services.totp_device_pending(user=request.user)  # type: ignore[arg-type]
    form = TokenCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.totp_device_confirm(
            user=request.user,  # type: ignore[arg-type]
            device=device,
            token=form.cleaned_data["token"],
        ):
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is now on for your account."))
            return redirect(settings.LOGIN_REDIRECT_URL)
        form.add_error("token", _("That code is not correct or has expired. Try the current code."))
    import base64

    secret = base64.b32encode(device.bin_key).decode("ascii")
    context = {
        "form": form,
        "qr_svg": mark_safe(_totp_svg(device, request.user.get_username())),  # noqa: S308
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@login_required
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """Second step of sign-in: a current code from the enrolled authenticator."""
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = TokenCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return HttpResponseRedirect(_safe_next(request, request.GET.get("next")))
        form.add_error(
            "token",
            _("That code is not correct or has expired. After several wrong codes you must wait."),
        )
    return render(request, "accounts/two_factor_verify.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; for a signed-in user the choice is remembered on their account."""
    form = LanguageForm(request.POST)
    language = form.cleaned_data["language"] if form.is_valid() else settings.LANGUAGE_CODE
    response = HttpResponseRedirect(_safe_next(request, request.POST.get("next")))
    if request.user.is_authenticated:
        services.user_set_language(user=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=getattr(settings, "LANGUAGE_COOKIE_SECURE", False),
    )
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own account: roles, language, two-factor, password, tokens."""
    from socialdesk.core.selectors import membership_list_for_user

    context = {
        "memberships": membership_list_for_user(user=request.user),
        "has_device": selectors.user_has_confirmed_device(user=request.user),
        "requires_2fa": selectors.user_requires_two_factor(user=request.user),
    }
    return render(request, "accounts/profile.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:profile")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


@capability_required(Capability.USE_API_TOKENS)
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the user's API tokens and create a new one (its secret is shown once)."""
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        _token, new_secret = services.api_token_create(
            user=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        form = ApiTokenForm()
    context = {
        "form": form,
        "tokens": selectors.api_token_list_for(user=request.user),
        "new_secret": new_secret,
    }
    return render(request, "accounts/api_tokens.html", context)


@require_POST
@capability_required(Capability.USE_API_TOKENS)
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = services.api_token_revoke(user=request.user, token_id=token_id)  # type: ignore[arg-type]
    messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": token.name})
    return redirect("accounts:api_tokens")
