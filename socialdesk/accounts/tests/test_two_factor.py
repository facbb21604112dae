"""The two-factor gate (RequireTwoFactorMiddleware), enrolling an authenticator app and
verifying a sign-in with a TOTP code."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from datetime import timedelta

from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from socialdesk.accounts.models import User
from socialdesk.accounts.tests.factories import TOTPDeviceFactory
from socialdesk.core.access import ROLES_REQUIRING_2FA
from socialdesk.core.models import Role
from socialdesk.core.tests.world import ROLES, World

SignedIn = Callable[..., Client]

SETUP = "/accounts/2fa/setup/"
VERIFY = "/accounts/2fa/verify/"
WRONG_SETUP_CODE = "That code is not correct or has expired. Try the current code."
WRONG_VERIFY_CODE = (
    "That code is not correct or has expired. After several wrong codes you must wait."
)


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def _code(device: TOTPDevice, steps: int = 0) -> str:
    """The code an authenticator app shows now (or `steps` time steps away)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=steps)
    return f"{value:0{device.digits}d}"


def _wrong_code(device: TOTPDevice) -> str:
    accepted = {_code(device, steps) for steps in range(-2, 3)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


def _is_gated(client: Client, path: str = "/units/") -> str | None:
    """Where the gate sends the client, or None if the page answers."""
    response = client.get(path)
    if response.status_code == 302 and response["Location"].startswith("/accounts/2fa/"):
        return str(response["Location"])
    assert response.status_code == 200, (path, response.status_code)
    return None


# --- The gate ---


def test_roles_that_see_personal_data_must_set_up_two_factor_first(
    world: World, signed_in: SignedIn
) -> None:
    assert set(ROLES) - ROLES_REQUIRING_2FA == {Role.AGENCY_FINANCE}
    for role in ROLES:
        client = signed_in(world.roles[role], verified=False)
        expected = SETUP if role in ROLES_REQUIRING_2FA else None
        assert _is_gated(client, "/") == expected, role
        assert _is_gated(client, "/units/") == expected, role


def test_until_the_code_is_confirmed_only_the_two_factor_pages_answer(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.PRIVACY_OFFICER], verified=False)
    for path in ("/", "/accounts/profile/", "/accounts/tokens/", "/privacy/audit/", "/admin/"):
        assert _is_gated(client, path) == SETUP, path
    assert client.get(SETUP).status_code == 200


def test_the_set_up_notice_is_shown_once(world: World, signed_in: SignedIn) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER], verified=False)
    notice = _in(
        "zh-hant",
        "Your role needs two-factor sign-in. Set up an authenticator app to continue.",
    )
    assert notice in client.get("/", follow=True).content.decode()
    assert notice not in client.get("/", follow=True).content.decode()


def test_anyone_with_an_authenticator_is_asked_for_a_code(
    world: World, signed_in: SignedIn
) -> None:
    for role in (Role.FRONTLINE_WORKER, Role.AGENCY_FINANCE):  # finance too, once enrolled
        user = world.roles[role]
        TOTPDeviceFactory(user=user)
        assert _is_gated(signed_in(user, verified=False)) == VERIFY, role


def test_demo_users_are_exempt_only_where_the_settings_allow_it(
    world: World, signed_in: SignedIn, settings
) -> None:  # type: ignore[no-untyped-def]
    worker = world.roles[Role.FRONTLINE_WORKER]
    User.objects.filter(pk=worker.pk).update(is_demo=True)
    assert settings.SOCIALDESK_2FA_EXEMPT_DEMO_USERS is False  # test settings, like production
    assert _is_gated(signed_in(worker, verified=False)) == SETUP

    settings.SOCIALDESK_2FA_EXEMPT_DEMO_USERS = True  # as config.settings.dev
    assert _is_gated(signed_in(worker, verified=False)) is None
    TOTPDeviceFactory(user=worker)  # …but a demo user who enrolled must still verify
    assert _is_gated(signed_in(worker, verified=False)) == VERIFY


# --- Enrolling an authenticator ---


def test_the_set_up_page_shows_a_qr_code_and_the_key_of_one_pending_device(
    world: World, signed_in: SignedIn
) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    client = signed_in(worker, verified=False)
    page = client.get(SETUP).content.decode()
    device = TOTPDevice.objects.get(user=worker)
    assert not device.confirmed
    assert "<svg" in page
    key = base64.b32encode(device.bin_key).decode("ascii")
    assert " ".join(key[i : i + 4] for i in range(0, len(key), 4)) in page
    client.get(SETUP)  # reloading shows the same device, not a new one
    assert TOTPDevice.objects.filter(user=worker).count() == 1


def test_confirming_the_current_code_turns_two_factor_on(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    client = signed_in(worker, verified=False)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=worker)

    response = client.post(SETUP, {"token": _code(device)})

    assert response.status_code == 302 and response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    dashboard = client.get("/")
    assert dashboard.status_code == 200
    assert _in("zh-hant", "Two-factor sign-in is now on for your account.") in (
        dashboard.content.decode()
    )


def test_a_wrong_code_during_set_up_is_refused(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    client = signed_in(worker, verified=False)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=worker)

    response = client.post(SETUP, {"token": _wrong_code(device)})

    assert response.status_code == 200
    message = _in("zh-hant", WRONG_SETUP_CODE)
    assert message != WRONG_SETUP_CODE
    assert response.context["form"].errors["token"] == [message]
    device.refresh_from_db()
    assert not device.confirmed
    assert _is_gated(client) == SETUP


def test_a_code_that_is_not_six_digits_is_refused_by_the_form(
    world: World, signed_in: SignedIn
) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    User.objects.filter(pk=worker.pk).update(preferred_language="en")
    client = signed_in(worker, verified=False)
    for token in ("12ab56", "12345", "1234567", ""):
        response = client.post(SETUP, {"token": token})
        assert response.status_code == 200
        assert response.context["form"].errors["token"], token
    assert "Enter the six digits shown in your authenticator app." in (
        client.post(SETUP, {"token": "12ab56"}).content.decode()
    )


def test_an_enrolled_user_cannot_swap_the_authenticator_without_verifying_first(
    world: World, signed_in: SignedIn
) -> None:
    """The password alone must not be enough to replace someone's authenticator and get past
    the second factor."""
    worker = world.roles[Role.FRONTLINE_WORKER]
    original = TOTPDeviceFactory(user=worker)
    client = signed_in(worker, verified=False)

    for response in (client.get(SETUP), client.post(SETUP, {"token": "123456"})):
        assert response.status_code == 302 and response["Location"] == VERIFY
    assert list(TOTPDevice.objects.filter(user=worker)) == [original]  # no pending device either
    assert _is_gated(client) == VERIFY


def test_a_verified_user_may_move_to_a_new_authenticator(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    client = signed_in(worker)  # verified with the first device
    old = TOTPDevice.objects.get(user=worker)
    client.get(SETUP)
    new = TOTPDevice.objects.get(user=worker, confirmed=False)
    assert client.post(SETUP, {"token": _code(new)}).status_code == 302
    assert list(TOTPDevice.objects.filter(user=worker)) == [new]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert _is_gated(client) is None


# --- Verifying a sign-in ---


def test_the_current_code_verifies_the_sign_in(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    device = TOTPDeviceFactory(user=worker)
    client = signed_in(worker, verified=False)
    assert _is_gated(client) == VERIFY

    response = client.post(VERIFY, {"token": _code(device)})

    assert response.status_code == 302 and response["Location"] == "/"
    assert _is_gated(client) is None
    # Once verified, the verify page sends the user on.
    again = client.get(VERIFY)
    assert again.status_code == 302 and again["Location"] == "/"


def test_verifying_continues_to_a_local_next_page_only(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    device = TOTPDeviceFactory(user=worker)
    local = signed_in(worker, verified=False).post(
        f"{VERIFY}?next=/units/", {"token": _code(device)}
    )
    assert local["Location"] == "/units/"
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=-1)  # let the same code count again
    offsite = signed_in(worker, verified=False).post(
        f"{VERIFY}?next=https://evil.example/", {"token": _code(device)}
    )
    assert offsite.status_code == 302 and offsite["Location"] == "/"


def test_a_wrong_code_does_not_verify_the_sign_in(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    device = TOTPDeviceFactory(user=worker)
    client = signed_in(worker, verified=False)

    response = client.post(VERIFY, {"token": _wrong_code(device)})

    assert response.status_code == 200
    message = _in("zh-hant", WRONG_VERIFY_CODE)
    assert response.context["form"].errors["token"] == [message]
    assert html.escape(message) in response.content.decode()
    assert _is_gated(client) == VERIFY


def test_after_a_wrong_code_even_the_right_one_must_wait(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    device = TOTPDeviceFactory(user=worker)
    client = signed_in(worker, verified=False)
    client.post(VERIFY, {"token": _wrong_code(device)})

    assert client.post(VERIFY, {"token": _code(device)}).status_code == 200  # throttled
    earlier = timezone.now() - timedelta(minutes=5)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=earlier)
    assert client.post(VERIFY, {"token": _code(device)}).status_code == 302


def test_a_code_cannot_be_used_twice(world: World, signed_in: SignedIn) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    device = TOTPDeviceFactory(user=worker)
    code = _code(device)
    assert signed_in(worker, verified=False).post(VERIFY, {"token": code}).status_code == 302
    replay = signed_in(worker, verified=False)
    assert replay.post(VERIFY, {"token": code}).status_code == 200
    assert _is_gated(replay) == VERIFY
