"""Personal API tokens: created on /accounts/tokens/ with the secret shown once, stored only as a
hash, usable on the API until revoked or expired."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta

from auditlog.models import LogEntry
from django.db import connection
from django.test import Client
from django.utils import timezone

from socialdesk.accounts.models import ApiToken
from socialdesk.accounts.services import hash_token
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World

SignedIn = Callable[..., Client]

TOKENS = "/accounts/tokens/"


def _create(client: Client, name: str = "Case system", days: str = "30") -> tuple[ApiToken, str]:
    response = client.post(TOKENS, {"name": name, "expires_in_days": days})
    assert response.status_code == 200
    secret = response.context["new_secret"]
    assert secret and secret.startswith("sd_")
    assert secret in response.content.decode()
    return ApiToken.objects.get(name=name), secret


def _me(secret: str) -> int:
    return Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(
    world: World, signed_in: SignedIn
) -> None:
    worker = world.roles[Role.FRONTLINE_WORKER]
    client = signed_in(worker)

    token, secret = _create(client)

    assert token.user == worker
    assert token.token_hash == hash_token(secret) != secret
    assert secret.startswith(token.prefix) and len(token.prefix) < len(secret) // 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apitoken WHERE id = %s", [token.pk])
        row = [str(value) for value in cursor.fetchone()]
    assert not any(secret in value or secret[len(token.prefix) :] in value for value in row)
    # The list shows the token by name and prefix, never the secret again.
    listing = client.get(TOKENS)
    page = listing.content.decode()
    assert listing.context["new_secret"] is None
    assert "Case system" in page and token.prefix in page
    assert secret not in page


def test_the_audit_log_records_the_new_token_without_its_secret_or_hash(
    world: World, signed_in: SignedIn
) -> None:
    token, secret = _create(signed_in(world.roles[Role.FRONTLINE_WORKER]))
    entries = LogEntry.objects.get_for_object(token)
    assert entries.count() == 1
    logged = json.dumps([entry.changes for entry in entries])
    assert "Case system" in logged
    assert secret not in logged and token.token_hash not in logged


def test_a_new_token_works_on_the_api_until_it_is_revoked(
    world: World, signed_in: SignedIn
) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    token, secret = _create(client)
    assert _me(secret) == 200

    response = client.post(f"/accounts/tokens/{token.pk}/revoke/")

    assert response.status_code == 302 and response["Location"] == TOKENS
    token.refresh_from_db()
    assert token.revoked_at is not None and not token.is_active
    assert _me(secret) == 401
    page = client.get(TOKENS).content.decode()
    assert f"/accounts/tokens/{token.pk}/revoke/" not in page  # nothing left to revoke
    # Revoking again is harmless and keeps the first revocation time.
    revoked_at = token.revoked_at
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at == revoked_at


def test_the_expiry_choice_sets_the_expiry_date(world: World, signed_in: SignedIn) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    yearly, _secret = _create(client, name="yearly", days="365")
    forever, _secret = _create(client, name="forever", days="")
    assert yearly.expires_at is not None
    assert abs(yearly.expires_at - (timezone.now() + timedelta(days=365))) < timedelta(minutes=1)
    assert forever.expires_at is None


def test_an_expired_token_no_longer_works(world: World, signed_in: SignedIn) -> None:
    token, secret = _create(signed_in(world.roles[Role.FRONTLINE_WORKER]))
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _me(secret) == 401


def test_a_token_needs_a_name_and_a_listed_expiry(world: World, signed_in: SignedIn) -> None:
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    for data in ({"name": "   ", "expires_in_days": "30"}, {"name": "x", "expires_in_days": "7"}):
        response = client.post(TOKENS, data)
        assert response.status_code == 200
        assert response.context["form"].errors, data
        assert response.context["new_secret"] is None
    assert not ApiToken.objects.filter(user=world.roles[Role.FRONTLINE_WORKER], name="x").exists()


def test_the_token_page_lists_only_the_users_own_tokens(world: World, signed_in: SignedIn) -> None:
    page = signed_in(world.roles[Role.FRONTLINE_WORKER]).get(TOKENS).content.decode()
    assert world.tokens[Role.FRONTLINE_WORKER].name in page
    assert world.tokens[Role.UNIT_SUPERVISOR].name not in page
    assert world.token_b is not None and world.token_b.name not in page


def test_nobody_revokes_someone_elses_token(world: World, signed_in: SignedIn) -> None:
    assert world.token_b is not None
    for role in (Role.FRONTLINE_WORKER, Role.SYSTEM_ADMIN):
        response = signed_in(world.roles[role]).post(f"/accounts/tokens/{world.token_b.pk}/revoke/")
        assert response.status_code == 404, role
    world.token_b.refresh_from_db()
    assert world.token_b.revoked_at is None


def test_revoking_is_post_only(world: World, signed_in: SignedIn) -> None:
    token = world.tokens[Role.FRONTLINE_WORKER]
    client = signed_in(world.roles[Role.FRONTLINE_WORKER])
    assert client.get(f"/accounts/tokens/{token.pk}/revoke/").status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None
