"""Test settings: fast hashing, tasks run immediately, the same database choice as base."""

from .base import *  # noqa: F403
from .base import VAR_DIR

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MEDIA_ROOT = VAR_DIR / "test-media"
SOCIALDESK_2FA_EXEMPT_DEMO_USERS = False
AXES_ENABLED = True
