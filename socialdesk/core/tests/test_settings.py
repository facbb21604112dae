"""Production settings refuse the development keys, and pass Django's deployment checks when the
environment is set as docs/operations.md describes. Each case runs `manage.py check` in a fresh
interpreter, since settings are read once per process; the interpreters run side by side."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings

from config.settings.base import INSECURE_FIELD_KEY, INSECURE_LOOKUP_KEY, INSECURE_SECRET_KEY

SECRET_KEY_MESSAGE = "Set DJANGO_SECRET_KEY to a random value of at least 50 characters."
FIELD_KEYS_MESSAGE = "Set SOCIALDESK_FIELD_KEYS; the development encryption key is refused."
LOOKUP_KEY_MESSAGE = "Set SOCIALDESK_LOOKUP_KEY to a random value of at least 32 characters."


def _random(length: int) -> str:
    return secrets.token_urlsafe(length)[:length]


def _fernet_key() -> str:
    return Fernet.generate_key().decode("ascii")


# Each refused case: the changes to a good production environment (None: unset) and the message.
REFUSED: dict[str, tuple[dict[str, str | None], str]] = {
    "no secret key": ({"DJANGO_SECRET_KEY": None}, SECRET_KEY_MESSAGE),
    "development secret key": ({"DJANGO_SECRET_KEY": INSECURE_SECRET_KEY}, SECRET_KEY_MESSAGE),
    "short secret key": ({"DJANGO_SECRET_KEY": _random(49)}, SECRET_KEY_MESSAGE),
    "no field keys": ({"SOCIALDESK_FIELD_KEYS": None}, FIELD_KEYS_MESSAGE),
    "development field key": ({"SOCIALDESK_FIELD_KEYS": INSECURE_FIELD_KEY}, FIELD_KEYS_MESSAGE),
    # The development key is refused anywhere in the list, not only in first place.
    "development field key second": (
        {"SOCIALDESK_FIELD_KEYS": f"{_fernet_key()},{INSECURE_FIELD_KEY}"},
        FIELD_KEYS_MESSAGE,
    ),
    "no lookup key": ({"SOCIALDESK_LOOKUP_KEY": None}, LOOKUP_KEY_MESSAGE),
    "development lookup key": ({"SOCIALDESK_LOOKUP_KEY": INSECURE_LOOKUP_KEY}, LOOKUP_KEY_MESSAGE),
    "short lookup key": ({"SOCIALDESK_LOOKUP_KEY": _random(31)}, LOOKUP_KEY_MESSAGE),
}
DEPLOY_CHECK = "deploy check with real keys"


def _production_env(changes: dict[str, str | None] | None = None) -> dict[str, str]:
    """Good values for every key prod.py checks, at the shortest lengths it accepts."""
    env: dict[str, str | None] = {
        "DJANGO_SECRET_KEY": _random(50),
        "SOCIALDESK_FIELD_KEYS": _fernet_key(),
        "SOCIALDESK_LOOKUP_KEY": _random(32),
        "DJANGO_ALLOWED_HOSTS": "socialdesk.example.org",
        **(changes or {}),
    }
    return {name: value for name, value in env.items() if value is not None}


def _manage(var_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`manage.py <args>` under config.settings.prod with only `env` of the site's variables."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("DJANGO_", "SOCIALDESK_"))
    }
    return subprocess.run(  # noqa: S603 (our own manage.py with fixed arguments)
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={
            **inherited,
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SOCIALDESK_VAR_DIR": str(var_dir),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def outcomes(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, subprocess.CompletedProcess[str]]:
    """The result of every case, run all at once."""
    var_dir = tmp_path_factory.mktemp("var")
    runs = {name: (_production_env(changes), ("check",)) for name, (changes, _m) in REFUSED.items()}
    runs[DEPLOY_CHECK] = (_production_env(), ("check", "--deploy", "--fail-level", "WARNING"))
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        futures = {
            name: pool.submit(_manage, var_dir, env, *args) for name, (env, args) in runs.items()
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", list(REFUSED))
def test_production_settings_refuse_to_start_with_a_development_or_weak_key(
    outcomes: dict[str, subprocess.CompletedProcess[str]], case: str
) -> None:
    result = outcomes[case]
    assert result.returncode != 0
    assert f"ImproperlyConfigured: {REFUSED[case][1]}" in result.stderr


def test_production_settings_pass_the_deployment_checks_with_real_keys(
    outcomes: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    result = outcomes[DEPLOY_CHECK]
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
