"""Settings for the whole unit/integration suite (not the browser tests under e2e/)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings


@pytest.fixture(scope="session", autouse=True)
def _test_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Job result files go to a temporary directory rather than var/; WhiteNoise looks static
    files up on demand instead of indexing every app's files for each new test client."""
    with override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("media"), WHITENOISE_AUTOREFRESH=True
    ):
        yield
