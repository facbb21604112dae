"""Outside agencies that send e-referrals through the API (schools, hospitals, bureaus…)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import BilingualNamed, TimeStampedModel


class PartnerKind(models.TextChoices):
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital or clinic")
    BUREAU = "bureau", _("Government bureau or department")
    NGO = "ngo", _("Non-governmental organisation")
    OTHER = "other", _("Other")


class ReferralPartner(BilingualNamed, TimeStampedModel):
    """An outside agency allowed to send e-referrals with its own API token (`rp_…`).

    It has no staff account and sees nothing in SocialDesk: it submits referrals and looks up
    their status with the reference and secret each submission returns. Only a hash of the
    token is kept; system administrators issue (and re-issue) it in the admin."""

    kind = models.CharField(_("kind"), max_length=20, choices=PartnerKind.choices)
    contact_email = models.EmailField(
        _("contact email"), help_text=_("Who to contact about the partner's API access.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    allowed_units = models.ManyToManyField(
        "core.ServiceUnit",
        verbose_name=_("may refer to"),
        related_name="+",
        blank=True,
        help_text=_("Leave empty to allow referrals to any active service unit."),
    )
    token_prefix = models.CharField(_("token begins"), max_length=12, blank=True, editable=False)
    token_hash = models.CharField(_("token hash"), max_length=64, blank=True, editable=False)
    token_issued_at = models.DateTimeField(
        _("token issued at"), null=True, blank=True, editable=False
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("referral partner")
        verbose_name_plural = _("referral partners")
        constraints = [
            models.UniqueConstraint(
                fields=["token_hash"],
                condition=~Q(token_hash=""),
                name="referralpartner_token_unique",
            ),
        ]

    @property
    def display_name(self) -> str:
        """Both names, as a referral records the referring organisation."""
        if self.name_zh and self.name_en:
            return f"{self.name_zh} {self.name_en}"
        return self.name_zh or self.name_en
