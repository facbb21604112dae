"""Shared fixtures: an NGO + SWD world with one user per role, and signed-in (2FA-verified)
clients for them. The world itself is built in socialdesk/core/tests/world.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from socialdesk.accounts.models import User
from socialdesk.core.tests.world import World, build_world, sign_in


@pytest.fixture
def world(db: None) -> World:
    """NGO A (agency roles), NGO B (the "other" agency) and SWD, with one user per role,
    a finished job and an API token for each of them, and sentinel-valued records in NGO B."""
    return build_world()


@pytest.fixture
def roles(world: World) -> dict[str, User]:
    """One user per role: NGO A for agency roles, SWD for the SWD officer and system admin."""
    return world.roles


@pytest.fixture
def signed_in() -> Callable[..., Client]:
    """signed_in(user) → a new client signed in as `user` with a verified second factor."""

    def make(user: User, *, verified: bool = True, **client_kwargs: Any) -> Client:
        return sign_in(Client(**client_kwargs), user, verified=verified)

    return make
