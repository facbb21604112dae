"""Fixtures for the account tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def keep_active_language() -> Iterator[None]:
    """The language middleware activates a language for the thread; put the old one back so
    the next test starts from the same language."""
    previous = translation.get_language()
    yield
    translation.activate(previous)
