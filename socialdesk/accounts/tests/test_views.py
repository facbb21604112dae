"""Sign-in and sign-out, the sign-in lockout (django-axes), password changes, the language switch
and the profile page."""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from socialdesk.accounts.models import User
from socialdesk.accounts.tests.factories import PASSWORD, UserFactory
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World

SignedIn = Callable[..., Client]

LOGIN = "/accounts/login/"
WRONG_LOGIN = "The username or password is not correct. Both are case-sensitive."
STRONG_PASSWORD = "Lantau-Ferry-Pier-2031"


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def _sign_in(client: Client, username: str, password: str = PASSWORD, **extra: str) -> HttpResponse:
    return client.post(LOGIN, {"username": username, "password": password}, **extra)  # type: ignore[return-value]


def _signed_in_user_id(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


def _page_language(response: HttpResponse) -> str:
    return "en" if '<html lang="en"' in response.content.decode() else "zh-Hant"


# --- Sign-in and sign-out ---


def test_signing_in_with_the_right_password_opens_the_dashboard(world: World) -> None:
    finance = world.roles[Role.AGENCY_FINANCE]  # the one role that needs no second factor
    client = Client()
    response = _sign_in(client, finance.username)
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in_user_id(client) == str(finance.pk)
    assert client.get("/").status_code == 200


def test_signing_in_continues_to_a_local_next_page_but_not_to_another_site(world: World) -> None:
    finance = world.roles[Role.AGENCY_FINANCE]
    local = Client().post(
        LOGIN, {"username": finance.username, "password": PASSWORD, "next": "/units/"}
    )
    assert local["Location"] == "/units/"
    offsite = Client().post(
        LOGIN,
        {"username": finance.username, "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert offsite.status_code == 302 and offsite["Location"] == "/"


def test_a_wrong_password_is_refused_with_a_message_in_traditional_chinese(world: World) -> None:
    client = Client()
    response = _sign_in(client, "worker", "not-the-password")
    assert response.status_code == 200
    message = _in("zh-hant", WRONG_LOGIN)
    assert message != WRONG_LOGIN  # the catalogue really has a translation
    assert response.context["form"].non_field_errors() == [message]
    assert html.escape(message) in response.content.decode()
    assert _signed_in_user_id(client) is None


def test_a_wrong_password_message_is_in_english_with_the_language_cookie(world: World) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _sign_in(client, "worker", "not-the-password")
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [WRONG_LOGIN]
    assert WRONG_LOGIN in response.content.decode()


def test_an_unknown_or_disabled_account_gets_the_same_message_as_a_wrong_password(
    world: World,
) -> None:
    User.objects.filter(pk=world.colleague_a.pk).update(is_active=False)
    expected = [_in("zh-hant", WRONG_LOGIN)]
    unknown = _sign_in(Client(), "nobody-by-this-name")
    disabled = _sign_in(Client(), world.colleague_a.username)  # right password, disabled
    assert unknown.context["form"].non_field_errors() == expected
    assert disabled.context["form"].non_field_errors() == expected


def test_a_signed_in_user_opening_the_sign_in_page_is_sent_on(
    world: World, signed_in: SignedIn
) -> None:
    response = signed_in(world.roles[Role.FRONTLINE_WORKER]).get(LOGIN)
    assert response.status_code == 302 and response["Location"] == "/"


def test_signing_out_ends_the_session(world: World, signed_in: SignedIn) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    assert client.get("/").status_code == 200
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert _signed_in_user_id(client) is None
    after = client.get("/")
    assert after.status_code == 302 and after["Location"].startswith(LOGIN)


def test_signing_out_is_post_only(world: World, signed_in: SignedIn) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.get("/").status_code == 200  # still signed in


def test_signing_out_works_before_the_second_factor_is_verified(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER], verified=False)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    assert _signed_in_user_id(client) is None


# --- Lockout after repeated wrong passwords (django-axes) ---


def _fail(client: Client, username: str, times: int, **extra: str) -> list[HttpResponse]:
    return [_sign_in(client, username, "wrong-password", **extra) for _ in range(times)]


def test_the_configured_number_of_wrong_passwords_locks_sign_in(world: World) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5 and settings.AXES_ENABLED
    client = Client()
    *before, last = _fail(client, "worker", limit)
    assert [r.status_code for r in before] == [200] * (limit - 1)
    assert last.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in last.templates]
    page = last.content.decode()
    assert _in("zh-hant", "Too many sign-in attempts") in page
    assert "Too many sign-in attempts" not in page

    # Even the right password is refused while the lock lasts.
    locked = _sign_in(client, "worker")
    assert locked.status_code == 429
    assert _signed_in_user_id(client) is None


def test_the_lockout_page_is_in_english_with_the_language_cookie(world: World) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    last = _fail(client, "worker", settings.AXES_FAILURE_LIMIT)[-1]
    assert last.status_code == 429
    assert "Too many sign-in attempts" in last.content.decode()


def test_the_lock_holds_one_username_from_one_address(world: World) -> None:
    _fail(Client(), "worker", settings.AXES_FAILURE_LIMIT)
    assert _sign_in(Client(), "worker").status_code == 429
    # Another account from the same address, and the same account from another address, still
    # sign in: one person's typos do not lock out a whole office behind one address.
    assert _sign_in(Client(), "supervisor").status_code == 302
    assert _sign_in(Client(), "worker", REMOTE_ADDR="192.0.2.44").status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(world: World) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    _fail(Client(), "worker", limit - 1)
    assert _sign_in(Client(), "worker").status_code == 302
    responses = _fail(Client(), "worker", limit - 1)
    assert [r.status_code for r in responses] == [200] * (limit - 1)
    assert _sign_in(Client(), "worker").status_code == 302


def test_the_lock_lifts_after_the_cool_off_time(world: World) -> None:
    _fail(Client(), "worker", settings.AXES_FAILURE_LIMIT)
    assert _sign_in(Client(), "worker").status_code == 429
    long_ago = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(minutes=1)
    AccessAttempt.objects.filter(username="worker").update(attempt_time=long_ago)
    assert _sign_in(Client(), "worker").status_code == 302


# --- Password change ---


def _change_password(client: Client, new: str, *, old: str = PASSWORD) -> HttpResponse:
    return client.post(  # type: ignore[return-value]
        "/accounts/password/",
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize(
    ("new_password", "rule"),
    [
        ("Sh0rt-pw!", "password_too_short"),
        ("password1234", "password_too_common"),
        ("739201846512", "password_entirely_numeric"),
        ("allsmallletters", "password_too_simple"),
        ("Supervisor2026!", "password_too_similar"),
    ],
)
def test_a_weak_new_password_is_refused_with_a_message(
    world: World, signed_in: SignedIn, new_password: str, rule: str
) -> None:
    user = world.roles[Role.UNIT_SUPERVISOR]
    response = _change_password(signed_in(user), new_password)
    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["new_password2"]
    assert rule in {e.code for e in errors}
    page = response.content.decode()
    for error in errors:
        assert html.escape(" ".join(error.messages)) in page
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_messages_are_in_the_users_language(world: World, signed_in: SignedIn) -> None:
    user = world.roles[Role.UNIT_SUPERVISOR]
    chinese = _change_password(signed_in(user), "Sh0rt-pw!")
    User.objects.filter(pk=user.pk).update(preferred_language="en")
    english = _change_password(signed_in(user), "Sh0rt-pw!")
    zh_error = chinese.context["form"].errors["new_password2"][0]
    en_error = english.context["form"].errors["new_password2"][0]
    assert en_error.startswith("This password is too short.")
    assert zh_error != en_error and not zh_error.isascii()


def test_the_old_password_must_be_right_and_the_new_one_typed_twice(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.UNIT_SUPERVISOR])
    wrong_old = _change_password(client, STRONG_PASSWORD, old="not-my-password")
    assert "old_password" in wrong_old.context["form"].errors
    mismatch = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": STRONG_PASSWORD, "new_password2": "other"},
    )
    codes = {e.code for e in mismatch.context["form"].errors.as_data()["new_password2"]}
    assert codes == {"password_mismatch"}


def test_a_strong_password_is_accepted_and_other_sessions_end(
    world: World, signed_in: SignedIn
) -> None:
    user = world.roles[Role.UNIT_SUPERVISOR]
    client = signed_in(user)
    other_browser = signed_in(user)
    assert other_browser.get("/").status_code == 200

    response = _change_password(client, STRONG_PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD) and not user.check_password(PASSWORD)

    # The session that changed the password carries on (still two-factor verified) …
    profile = client.get(response["Location"])
    assert profile.status_code == 200
    assert _in("zh-hant", "Your password has been changed.") in profile.content.decode()
    # … every other session of the account is signed out.
    stale = other_browser.get("/")
    assert stale.status_code == 302 and stale["Location"].startswith(LOGIN)
    # The new password signs in; the old one does not.
    assert _sign_in(Client(), user.username, PASSWORD).status_code == 200
    assert _sign_in(Client(), user.username, STRONG_PASSWORD).status_code == 302


def test_changing_the_password_needs_a_signed_in_verified_user(
    world: World, signed_in: SignedIn
) -> None:
    anonymous = Client().get("/accounts/password/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(LOGIN)
    unverified = signed_in(world.roles[Role.UNIT_SUPERVISOR], verified=False)
    response = _change_password(unverified, STRONG_PASSWORD)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/")
    world.roles[Role.UNIT_SUPERVISOR].refresh_from_db()
    assert world.roles[Role.UNIT_SUPERVISOR].check_password(PASSWORD)


# --- Language ---


def test_switching_language_is_stored_on_the_account_and_in_a_cookie(
    world: World, signed_in: SignedIn
) -> None:
    user = world.roles[Role.FRONTLINE_WORKER]
    client = signed_in(user)
    response = client.post("/accounts/language/", {"language": "en", "next": "/units/"})
    assert response.status_code == 302 and response["Location"] == "/units/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert user.preferred_language == "en"
    assert _page_language(client.get("/units/")) == "en"


def test_the_next_sign_in_from_a_new_browser_uses_the_stored_language(
    world: World, signed_in: SignedIn
) -> None:
    finance = world.roles[Role.AGENCY_FINANCE]
    # Finance officers need no second factor (and signed_in(verified=True) would enrol one).
    signed_in(finance, verified=False).post("/accounts/language/", {"language": "en"})

    fresh = Client()
    assert _page_language(fresh.get(LOGIN)) == "zh-Hant"  # nothing known about this browser
    response = _sign_in(fresh, finance.username)
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert _page_language(fresh.get("/")) == "en"


def test_the_accounts_language_wins_over_an_old_cookie(world: World, signed_in: SignedIn) -> None:
    user = world.roles[Role.FRONTLINE_WORKER]
    User.objects.filter(pk=user.pk).update(preferred_language="en")
    client = signed_in(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hant"
    assert _page_language(client.get("/")) == "en"


def test_a_visitor_switches_language_with_the_cookie_only(world: World) -> None:
    client = Client()
    response = client.post("/accounts/language/", {"language": "en", "next": LOGIN})
    assert response["Location"] == LOGIN
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert _page_language(client.get(LOGIN)) == "en"
    assert not User.objects.filter(preferred_language="en").exists()


def test_the_language_switch_ignores_an_offsite_next_and_an_unknown_language(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    response = client.post(
        "/accounts/language/", {"language": "fr", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == settings.LANGUAGE_CODE
    assert client.get("/accounts/language/").status_code == 405


def test_the_language_switch_answers_before_the_second_factor_is_verified(
    world: World, signed_in: SignedIn
) -> None:
    user = world.roles[Role.FRONTLINE_WORKER]
    client = signed_in(user, verified=False)
    response = client.post("/accounts/language/", {"language": "en", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    user.refresh_from_db()
    assert user.preferred_language == "en"
    setup = client.get("/accounts/2fa/setup/")
    assert _page_language(setup) == "en"


# --- Profile ---


def test_the_profile_shows_roles_and_that_two_factor_is_on(
    world: World, signed_in: SignedIn
) -> None:
    response = signed_in(world.roles[Role.UNIT_SUPERVISOR]).get("/accounts/profile/")
    assert response.status_code == 200
    assert response.context["has_device"] and response.context["requires_2fa"]
    assert [m.role for m in response.context["memberships"]] == [Role.UNIT_SUPERVISOR]
    page = response.content.decode()
    assert world.unit_a.name_zh in page
    assert reverse("accounts:password_change") in page
    assert reverse("accounts:api_tokens") in page


def test_the_profile_of_a_user_without_a_role_or_device(db: None, signed_in: SignedIn) -> None:
    user = UserFactory()
    response = signed_in(user, verified=False).get("/accounts/profile/")
    assert response.status_code == 200  # no role: two-factor is recommended, not required
    assert not response.context["has_device"] and not response.context["requires_2fa"]
    assert list(response.context["memberships"]) == []
