"""Accounts whose changes are audited (secrets excluded)."""

from auditlog.registry import auditlog

from .models import ApiToken, User

auditlog.register(User, exclude_fields=["password", "last_login"])
auditlog.register(ApiToken, exclude_fields=["token_hash", "last_used_at"])
