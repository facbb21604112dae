"""Service tests share one world per module (see `module_world`)."""

from __future__ import annotations

import pytest

from socialdesk.core.tests.world import World


@pytest.fixture
def world(module_world: World, db: None) -> World:
    return module_world
