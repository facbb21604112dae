"""Staff accounts, their language preference, and personal API tokens."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A member of staff who signs in to SocialDesk."""

    display_name_zh = models.CharField(_("name (Chinese)"), max_length=100, blank=True)
    phone = models.CharField(_("work phone"), max_length=20, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=10, choices=settings.LANGUAGES, default="zh-hant"
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(
        _("demo account"),
        default=False,
        help_text=_("Created by the demo data loader; may skip two-factor only in development."),
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name

    def get_additional_data(self) -> dict[str, Any] | None:
        """auditlog hook: the organisation the staff member works for (their first active role),
        so that organisation's privacy officer sees changes to and reads of this record."""
        organisation_id = (
            self.memberships.filter(is_active=True)
            .order_by("pk")
            .values_list("organisation_id", flat=True)
            .first()
            if self.pk
            else None
        )
        return {"organisation": organisation_id} if organisation_id else None

    @property
    def display_name(self) -> str:
        english = self.get_full_name()
        if self.display_name_zh and english:
            return f"{self.display_name_zh} {english}"
        return self.display_name_zh or english or self.username


class ApiToken(models.Model):
    """A personal API token for a system acting as its owner; only a hash of the secret is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="api_tokens",
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > timezone.now()
