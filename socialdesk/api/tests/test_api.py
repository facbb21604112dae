"""The API as a whole: health, authentication by token and by session, the one error shape with
messages in the caller's language, and the OpenAPI page and schema."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from socialdesk.accounts.models import ApiToken, User
from socialdesk.accounts.tests.factories import make_token
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World

SignedIn = Callable[..., Client]

NOT_AUTHENTICATED = "Sign in, or send a valid API token in the Authorization header."
NOT_FOUND = "The record does not exist or you may not see it."
INVALID = "Some of the data sent is not valid."


@pytest.fixture(autouse=True)
def keep_active_language() -> Iterator[None]:
    """The language middleware activates a language for the thread; put the old one back."""
    previous = translation.get_language()
    yield
    translation.activate(previous)


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return gettext(message)


def _bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def _token_of(user: User) -> dict[str, str]:
    _token, raw = make_token(user)
    return _bearer(raw)


def _patch(client: Client, path: str, body: Any, **extra: str) -> HttpResponse:
    data = body if isinstance(body, str) else json.dumps(body)
    return client.patch(path, data=data, content_type="application/json", **extra)  # type: ignore[return-value]


def _error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the one error shape with this status and code; returns the error."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert list(body) == ["error"]
    error: dict[str, Any] = body["error"]
    assert set(error) <= {"code", "message", "details"} and {"code", "message"} <= set(error)
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    return error


# --- Health ---


def test_health_answers_without_authentication(db: None) -> None:
    response = Client().get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "version": "1"}


# --- Who is calling ---


def test_me_with_a_bearer_token_describes_the_caller_and_their_roles(world: World) -> None:
    supervisor = world.roles[Role.UNIT_SUPERVISOR]
    response = Client().get("/api/v1/me", **_token_of(supervisor))
    assert response.status_code == 200
    assert response.json() == {
        "username": "supervisor",
        "display_name": supervisor.display_name,
        "language": "zh-hant",
        "roles": [
            {
                "role": "unit_supervisor",
                "role_label": _in("zh-hant", "Unit supervisor"),
                "organisation": "ngo-a",
                "service_unit": "a-ifsc",
            }
        ],
    }


def test_me_with_a_verified_browser_session(world: World, signed_in: SignedIn) -> None:
    response = signed_in(world.roles[Role.SYSTEM_ADMIN]).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["username"] == "sysadmin"


def test_a_session_still_owing_its_second_factor_is_refused(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER], verified=False)
    error = _error(client.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en"), 401, "two_factor_required")
    assert error["message"] == "Verify your sign-in with your authenticator app first."


def test_a_session_that_needs_no_second_factor_is_accepted(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.AGENCY_FINANCE], verified=False)
    assert client.get("/api/v1/me").status_code == 200


def test_without_credentials_the_answer_is_401_in_the_error_shape(world: World) -> None:
    error = _error(Client().get("/api/v1/me"), 401, "not_authenticated")
    assert error == {"code": "not_authenticated", "message": _in("zh-hant", NOT_AUTHENTICATED)}


@pytest.mark.parametrize(
    "presented",
    ["revoked", "expired", "inactive user", "unknown", "not a SocialDesk token", "too long"],
)
def test_a_token_that_is_no_longer_valid_is_refused(world: World, presented: str) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    token, raw = make_token(worker)
    if presented == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    elif presented == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(1))
    elif presented == "inactive user":
        User.objects.filter(pk=worker.pk).update(is_active=False)
    elif presented == "unknown":
        raw = raw[:-4] + "abcd"
    elif presented == "not a SocialDesk token":
        raw = raw.removeprefix("sd_")
    else:
        raw += "x" * 200
    client = Client(enforce_csrf_checks=True)  # as a real system calling the API
    _error(client.get("/api/v1/me", **_bearer(raw)), 401, "not_authenticated")
    unit = world.unit_a.pk
    patch = _patch(client, f"/api/v1/units/{unit}", {"version": 1}, **_bearer(raw))
    _error(patch, 401, "not_authenticated")


def test_using_a_token_records_when_it_was_last_used(world: World) -> None:
    token, raw = make_token(world.roles[Role.FRONTLINE_WORKER])
    assert token.last_used_at is None
    Client().get("/api/v1/me", **_bearer(raw))
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert timezone.now() - token.last_used_at < timedelta(minutes=1)


# --- Errors in the caller's language ---


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("zh-Hant", "zh-hant"),
        ("zh-hant-HK,zh;q=0.9", "zh-hant"),
        ("fr-FR", "zh-hant"),  # not offered: the default
        ("", "zh-hant"),
    ],
)
def test_error_messages_follow_accept_language(
    world: World, accept_language: str, language: str
) -> None:
    headers = {"HTTP_ACCEPT_LANGUAGE": accept_language} if accept_language else {}
    response = Client().get("/api/v1/me", **headers)
    error = _error(response, 401, "not_authenticated")
    assert error["message"] == _in(language, NOT_AUTHENTICATED)
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]


def test_the_two_languages_really_differ() -> None:
    assert _in("zh-hant", NOT_AUTHENTICATED) != NOT_AUTHENTICATED
    assert _in("en", NOT_AUTHENTICATED) == NOT_AUTHENTICATED


def test_a_token_callers_messages_follow_the_owners_language(world: World) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    User.objects.filter(pk=worker.pk).update(preferred_language="en")
    headers = _token_of(worker)
    missing = Client().get("/api/v1/units/999999", **headers)
    assert _error(missing, 404, "not_found")["message"] == NOT_FOUND
    # An explicit Accept-Language still wins.
    chinese = Client().get("/api/v1/units/999999", HTTP_ACCEPT_LANGUAGE="zh-Hant", **headers)
    assert _error(chinese, 404, "not_found")["message"] == _in("zh-hant", NOT_FOUND)


# --- Error codes ---


def test_a_unit_outside_the_callers_scope_is_404_like_a_missing_one(world: World) -> None:
    headers = {**_token_of(world.roles[Role.FRONTLINE_WORKER]), "HTTP_ACCEPT_LANGUAGE": "en"}
    other_agency = Client().get(f"/api/v1/units/{world.unit_b.pk}", **headers)
    missing = Client().get("/api/v1/units/999999", **headers)
    assert _error(other_agency, 404, "not_found") == _error(missing, 404, "not_found")
    assert world.unit_b.name_en not in other_agency.content.decode()


def test_an_unknown_api_address_is_404_in_the_error_shape(world: World) -> None:
    response = Client().get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")
    assert _error(response, 404, "not_found")["message"] == NOT_FOUND


def test_a_malformed_path_or_query_value_is_422_with_the_field(world: World) -> None:
    headers = {**_token_of(world.roles[Role.AGENCY_ADMIN]), "HTTP_ACCEPT_LANGUAGE": "en"}
    by_path = _error(Client().get("/api/v1/units/abc", **headers), 422, "validation_error")
    assert by_path["message"] == INVALID
    assert [d["field"] for d in by_path["details"]] == ["unit_id"]
    by_query = _error(Client().get("/api/v1/units?page=abc", **headers), 422, "validation_error")
    assert [d["field"] for d in by_query["details"]] == ["page"]


def test_a_body_missing_a_required_field_is_422_with_the_field(world: World) -> None:
    headers = _token_of(world.roles[Role.AGENCY_ADMIN])
    response = _patch(
        Client(), f"/api/v1/units/{world.unit_a.pk}", {"phone": "21234567"}, **headers
    )
    error = _error(response, 422, "validation_error")
    assert error["message"] == _in("zh-hant", INVALID)
    assert [d["field"] for d in error["details"]] == ["payload.version"]
    world.unit_a.refresh_from_db()
    assert world.unit_a.phone == "21110001"


def test_a_value_the_model_refuses_is_422_with_the_field(world: World) -> None:
    headers = _token_of(world.roles[Role.AGENCY_ADMIN])
    body = {"version": 1, "name_en": ""}
    error = _error(
        _patch(Client(), f"/api/v1/units/{world.unit_a.pk}", body, **headers),
        422,
        "validation_error",
    )
    assert [d["field"] for d in error["details"]] == ["name_en"]
    assert all(d["message"] for d in error["details"])


def test_a_body_that_is_not_json_is_400_in_the_callers_language(world: World) -> None:
    headers = {**_token_of(world.roles[Role.AGENCY_ADMIN]), "HTTP_ACCEPT_LANGUAGE": "zh-Hant"}
    response = _patch(Client(), f"/api/v1/units/{world.unit_a.pk}", "{not json", **headers)
    error = _error(response, 400, "bad_request")
    assert error["message"] == _in("zh-hant", "The request could not be understood.")


def test_a_stale_version_is_409_with_the_current_version(world: World) -> None:
    headers = _token_of(world.roles[Role.AGENCY_ADMIN])
    path = f"/api/v1/units/{world.unit_a.pk}"
    first = _patch(Client(), path, {"version": 1, "phone": "2123 4567"}, **headers)
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = _patch(Client(), path, {"version": 1, "phone": "2999 0000"}, **headers)
    error = _error(stale, 409, "conflict")
    assert error["details"] == {"current_version": 2}
    world.unit_a.refresh_from_db()
    assert world.unit_a.phone == "2123 4567"


def test_seeing_a_unit_but_not_being_allowed_to_change_it_is_403(world: World) -> None:
    headers = _token_of(world.roles[Role.FRONTLINE_WORKER])
    path = f"/api/v1/units/{world.unit_a.pk}"
    assert Client().get(path, **headers).status_code == 200
    response = _patch(Client(), path, {"version": 1, "phone": "2999 0000"}, **headers)
    error = _error(response, 403, "permission_denied")
    assert error["message"] == _in("zh-hant", "You do not have permission to do this.")
    world.unit_a.refresh_from_db()
    assert world.unit_a.version == 1


def test_an_unexpected_failure_is_500_in_the_error_shape_and_logged(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from socialdesk.core import selectors

    def explode(**kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "membership_list_for_user", explode)
    headers = {**_token_of(world.roles[Role.FRONTLINE_WORKER]), "HTTP_ACCEPT_LANGUAGE": "en"}
    with caplog.at_level(logging.ERROR, logger="socialdesk.api"):
        response = Client().get("/api/v1/me", **headers)
    error = _error(response, 500, "server_error")
    assert error["message"] == "Something went wrong on the server. It has been logged."
    assert "boom" not in response.content.decode()
    assert any(record.exc_info for record in caplog.records if record.name == "socialdesk.api")


# --- The browser session writes with CSRF protection ---


def test_a_session_write_needs_the_csrf_token(world: World) -> None:
    from socialdesk.core.tests.world import sign_in

    client = sign_in(Client(enforce_csrf_checks=True), world.roles[Role.AGENCY_ADMIN])
    path = f"/api/v1/units/{world.unit_a.pk}"
    refused = _patch(client, path, {"version": 1, "phone": "2123 4567"})
    error = _error(refused, 403, "permission_denied")
    assert error["message"] == _in("zh-hant", "You do not have permission to do this.")
    world.unit_a.refresh_from_db()
    assert world.unit_a.version == 1

    client.get("/")  # a page sets the CSRF cookie; the page's script sends it back as a header
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value
    accepted = _patch(client, path, {"version": 1, "phone": "2123 4567"}, HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 200 and accepted.json()["phone"] == "2123 4567"


# --- Documentation ---


def test_the_api_docs_page_and_schema_are_reachable_without_signing_in(db: None) -> None:
    docs = Client().get("/api/docs")
    assert docs.status_code == 200 and b"SocialDesk API" in docs.content
    schema = Client().get("/api/openapi.json")
    assert schema.status_code == 200
    spec = schema.json()
    assert spec["info"]["title"] == "SocialDesk API"
    assert {"/api/v1/health", "/api/v1/me", "/api/v1/units", "/api/v1/units/{unit_id}"} <= set(
        spec["paths"]
    )
    assert "security" not in spec["paths"]["/api/v1/health"]["get"]  # health needs no token
    assert spec["paths"]["/api/v1/me"]["get"]["security"]
    assert {"TokenAuth", "VerifiedSessionAuth"} <= set(spec["components"]["securitySchemes"])
