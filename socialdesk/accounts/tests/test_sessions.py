"""The idle timeout and the maximum session age (IdleTimeoutMiddleware). Time passing is
simulated by moving the timestamps the middleware keeps in the session."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from socialdesk.accounts.middleware import LAST_ACTIVITY_KEY, STARTED_KEY
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World

SignedIn = Callable[..., Client]

IDLE_NOTICE = "You were signed out because the session was idle. Sign in again to continue."


def _active_client(world: World, signed_in: SignedIn) -> Client:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    assert client.get("/").status_code == 200  # the middleware notes the activity
    assert LAST_ACTIVITY_KEY in client.session and STARTED_KEY in client.session
    return client


def _age_session(client: Client, *, idle: int = 0, since_start: int = 0) -> None:
    """Pretend the last request was `idle` seconds ago and sign-in `since_start` seconds ago."""
    now = int(time.time())
    session = client.session
    session[LAST_ACTIVITY_KEY] = now - idle
    session[STARTED_KEY] = now - max(since_start, idle)
    session.save()


def test_the_configured_timeouts() -> None:
    assert settings.SOCIALDESK_IDLE_TIMEOUT == 30 * 60
    assert settings.SOCIALDESK_SESSION_MAX_AGE == 10 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_an_idle_session_is_signed_out_and_the_next_page_asks_to_sign_in(
    world: World, signed_in: SignedIn
) -> None:
    client = _active_client(world, signed_in)
    _age_session(client, idle=settings.SOCIALDESK_IDLE_TIMEOUT + 1)

    response = client.get("/units/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/units/"
    assert SESSION_KEY not in client.session
    login = client.get(response["Location"])
    with translation.override("zh-hant"):
        notice = gettext(IDLE_NOTICE)
    assert notice != IDLE_NOTICE and notice in login.content.decode()
    # The notice is shown once; afterwards the user is simply signed out.
    assert notice not in client.get("/accounts/login/").content.decode()
    assert client.get("/").status_code == 302


def test_a_session_used_within_the_timeout_stays_signed_in(
    world: World, signed_in: SignedIn
) -> None:
    client = _active_client(world, signed_in)
    _age_session(client, idle=settings.SOCIALDESK_IDLE_TIMEOUT - 60)
    assert client.get("/units/").status_code == 200
    # That request counts as activity, so the clock starts again.
    assert int(time.time()) - client.session[LAST_ACTIVITY_KEY] < 5
    assert client.get("/units/").status_code == 200


def test_activity_is_written_at_most_once_a_minute(world: World, signed_in: SignedIn) -> None:
    client = _active_client(world, signed_in)
    _age_session(client, idle=30)
    noted = client.session[LAST_ACTIVITY_KEY]
    client.get("/")
    assert client.session[LAST_ACTIVITY_KEY] == noted
    _age_session(client, idle=61)
    client.get("/")
    assert client.session[LAST_ACTIVITY_KEY] > noted


def test_no_session_outlives_the_maximum_age_even_when_active(
    world: World, signed_in: SignedIn
) -> None:
    client = _active_client(world, signed_in)
    _age_session(client, idle=0, since_start=settings.SOCIALDESK_SESSION_MAX_AGE + 1)
    response = client.get("/units/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert SESSION_KEY not in client.session


def test_an_idle_htmx_request_is_redirected_by_htmx(world: World, signed_in: SignedIn) -> None:
    client = _active_client(world, signed_in)
    _age_session(client, idle=settings.SOCIALDESK_IDLE_TIMEOUT + 1)
    response = client.get("/units/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/accounts/login/"


def test_an_idle_api_session_gets_401_session_expired(world: World, signed_in: SignedIn) -> None:
    client = _active_client(world, signed_in)
    _age_session(client, idle=settings.SOCIALDESK_IDLE_TIMEOUT + 1)
    response = client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "session_expired", "message": "Your session has expired."}
    }
    assert client.get("/api/v1/me").json()["error"]["code"] == "not_authenticated"
