"""Referrals (轉介) and transfers between units and agencies, and attached documents."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import TimeStampedModel, VersionedModel

from .people import Consent, ServiceUser


class ReferralKind(models.TextChoices):
    REFERRAL = "referral", _("Referral")
    TRANSFER = "transfer", _("Case transfer")


class ReferralChannel(models.TextChoices):
    INTERNAL = "internal", _("From a unit in SocialDesk")
    API = "api", _("Outside agency, by API")
    WEB_FORM = "web_form", _("Outside agency, by web form")
    PUBLIC_APPLICATION = "public_application", _("Public enquiry or application")


class ReferralStatus(models.TextChoices):
    SENT = "sent", _("Waiting for a reply")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    PRIORITY = "priority", _("Priority")
    URGENT = "urgent", _("Urgent (same day)")


class Referral(VersionedModel):
    """A request to another unit to serve a person, or to take over a whole case (transfer).

    `shared_data` is the snapshot of personal data the receiving unit may see before it accepts;
    accepting links the person (matching an existing record) and opens an intake, or for a
    transfer moves the case."""

    reference = models.CharField(_("reference number"), max_length=20, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=ReferralKind.choices, default=ReferralKind.REFERRAL
    )
    channel = models.CharField(
        _("channel"),
        max_length=20,
        choices=ReferralChannel.choices,
        default=ReferralChannel.INTERNAL,
    )
    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="referrals",
        null=True,
        blank=True,
        help_text=_("Empty until an outside referral is matched to a person."),
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="referrals_out",
        null=True,
        blank=True,
    )
    from_unit = models.ForeignKey(
        "core.ServiceUnit",
        verbose_name=_("from unit"),
        on_delete=models.PROTECT,
        related_name="referrals_sent",
        null=True,
        blank=True,
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("referred by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    referrer_organisation = models.CharField(
        _("referring organisation"),
        max_length=200,
        blank=True,
        help_text=_("For referrals from outside SocialDesk."),
    )
    referrer_name = models.CharField(_("referrer's name"), max_length=120, blank=True)
    referrer_email = models.EmailField(_("referrer's email"), blank=True)
    referrer_phone = models.CharField(_("referrer's phone"), max_length=20, blank=True)
    to_unit = models.ForeignKey(
        "core.ServiceUnit",
        verbose_name=_("to unit"),
        on_delete=models.PROTECT,
        related_name="referrals_received",
    )
    reason = models.TextField(_("reason for referral"))
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    shared_data = models.JSONField(_("information shared"), default=dict, blank=True)
    consent = models.ForeignKey(
        Consent,
        verbose_name=_("consent"),
        on_delete=models.PROTECT,
        related_name="referrals",
        null=True,
        blank=True,
    )
    consent_evidence = models.CharField(
        _("consent evidence"),
        max_length=300,
        blank=True,
        help_text=_("For outside referrals: how the person's consent was obtained."),
    )
    consent_override_reason = models.TextField(
        _("reason for referring without consent"), blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.SENT
    )
    respond_by = models.DateField(_("reply due by"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawing"), blank=True)
    status_secret_hash = models.CharField(max_length=64, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [
            models.Index(fields=["to_unit", "status"], name="referral_to_unit_status"),
            models.Index(fields=["from_unit", "status"], name="referral_from_unit_status"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def subject_name(self) -> str:
        """The person's name as the referral gives it (before matching, from the shared data)."""
        data = self.shared_data or {}
        return " ".join(str(data.get(k, "")) for k in ("name_zh", "name_en") if data.get(k))

    def get_additional_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"organisation": self.to_unit.organisation_id}
        if self.person_id:
            data["service_user"] = self.person_id
        return data


class ScanStatus(models.TextChoices):
    NOT_SCANNED = "not_scanned", _("Not scanned (no scanner configured)")
    CLEAN = "clean", _("Clean")
    INFECTED = "infected", _("Infected")


class Attachment(TimeStampedModel):
    """A document attached to a referral, consent, case or person; checked and size-limited."""

    file = models.FileField(_("file"), upload_to="attachments/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, editable=False)
    scan_status = models.CharField(
        _("virus scan"),
        max_length=20,
        choices=ScanStatus.choices,
        default=ScanStatus.NOT_SCANNED,
    )
    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="attachments",
        null=True,
        blank=True,
    )
    referral = models.ForeignKey(
        Referral,
        verbose_name=_("referral"),
        on_delete=models.PROTECT,
        related_name="attachments",
        null=True,
        blank=True,
    )
    case = models.ForeignKey(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="attachments",
        null=True,
        blank=True,
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name

    def get_additional_data(self) -> dict[str, Any]:
        """Audit hook: a download is a read of the person's data ("who has seen this person")."""
        data: dict[str, Any] = {}
        if self.person_id:
            data["service_user"] = self.person_id
        return data
