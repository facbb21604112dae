"""What the API keeps between requests: the first answer to each idempotent write."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialdesk.core.crypto import EncryptedTextField


class IdempotencyRecord(models.Model):
    """The first answer to an API write sent with an `Idempotency-Key`, replayed to a repeat of
    the same request by the same caller for 24 hours (see `socialdesk.api.idempotency`).

    The answer may hold personal data (a registered person, a referral), so it is kept
    encrypted like any other sensitive field and deleted when the key expires."""

    caller = models.CharField(_("caller"), max_length=100)
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = EncryptedTextField(_("response body"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["caller", "key"], name="idempotency_caller_key"),
        ]

    def __str__(self) -> str:
        return f"{self.caller} {self.method} {self.path}"
