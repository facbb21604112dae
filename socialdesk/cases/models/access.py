"""Search index keys, break-the-glass access and number sequences."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .people import ServiceUser


class SearchKey(models.Model):
    """One normalised search key of a person (name bigram, romanised name, phone, HKID hash…).

    Search and duplicate detection look keys up through the (key, person) index: an exact
    B-tree lookup per key on SQLite and PostgreSQL alike, instead of scanning names."""

    person = models.ForeignKey(ServiceUser, on_delete=models.CASCADE, related_name="search_keys")
    key = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("search key")
        verbose_name_plural = _("search keys")
        indexes = [models.Index(fields=["key", "person"], name="searchkey_key_person")]
        constraints = [
            models.UniqueConstraint(fields=["person", "key"], name="searchkey_unique"),
        ]

    def __str__(self) -> str:
        return self.key


class BreakGlassAccess(models.Model):
    """Emergency access to one person outside need-to-know: with a reason, for a limited time,
    and announced to the privacy officer."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="break_glass_accesses",
    )
    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="break_glass_accesses",
    )
    reason = models.TextField(_("reason"))
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.CharField(_("review note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-granted_at"]
        verbose_name = _("break-the-glass access")
        verbose_name_plural = _("break-the-glass accesses")
        indexes = [
            models.Index(fields=["user", "expires_at"], name="breakglass_user_expires"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.person} ({self.granted_at:%Y-%m-%d %H:%M})"

    @property
    def is_active(self) -> bool:
        return self.ended_at is None and self.expires_at > timezone.now()

    def get_additional_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"service_user": self.person_id, "break_glass": True}
        if self.person.registered_unit is not None:
            data["organisation"] = self.person.registered_unit.organisation_id
        return data


class Sequence(models.Model):
    """A named counter for human-readable numbers (C-2026-000123), taken under a row lock."""

    name = models.CharField(max_length=40, unique=True)
    value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
