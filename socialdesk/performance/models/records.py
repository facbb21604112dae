"""What SWD also keeps on each unit and agency beside the statistics: field-assessment visits,
complaints, and the agency's financial figures for each year (Lump Sum Grant income, other
income, expenditure, the LSG reserve and its 25 % cap)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import Organisation, ServiceUnit, VersionedModel

RESERVE_CAP = Decimal("0.25")  # LSG reserve: at most 25 % of the year's operating expenditure


class AssessmentOutcome(models.TextChoices):
    MET = "met", _("Requirements met")
    PARTLY = "partly", _("Partly met: follow-up needed")
    NOT_MET = "not_met", _("Not met")


class FieldAssessment(VersionedModel):
    """An SWD visit to a unit (實地評估) and what it found against the service quality standards."""

    unit = models.ForeignKey(
        ServiceUnit, verbose_name=_("service unit"), on_delete=models.PROTECT, related_name="+"
    )
    visited_on = models.DateField(_("visited on"))
    assessor = models.CharField(_("assessor"), max_length=120)
    outcome = models.CharField(_("outcome"), max_length=10, choices=AssessmentOutcome.choices)
    findings = models.TextField(_("findings"))
    follow_up = models.TextField(_("follow-up required"), blank=True)
    follow_up_due_on = models.DateField(_("follow-up due on"), null=True, blank=True)
    follow_up_done_on = models.DateField(_("follow-up done on"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-visited_on", "unit"]
        verbose_name = _("field assessment")
        verbose_name_plural = _("field assessments")

    def __str__(self) -> str:
        return f"{self.unit} {self.visited_on}"


class ComplaintStatus(models.TextChoices):
    OPEN = "open", _("Being handled")
    SUBSTANTIATED = "substantiated", _("Substantiated")
    PARTLY = "partly", _("Partly substantiated")
    UNSUBSTANTIATED = "unsubstantiated", _("Unsubstantiated")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Complaint(VersionedModel):
    """A complaint about a unit's service (投訴) and its outcome. No complainant's personal data
    is kept here: the case file holds it."""

    unit = models.ForeignKey(
        ServiceUnit, verbose_name=_("service unit"), on_delete=models.PROTECT, related_name="+"
    )
    received_on = models.DateField(_("received on"))
    channel = models.CharField(_("received through"), max_length=60, blank=True)
    subject = models.CharField(_("subject"), max_length=200)
    summary = models.TextField(_("summary"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ComplaintStatus.choices, default=ComplaintStatus.OPEN
    )
    concluded_on = models.DateField(_("concluded on"), null=True, blank=True)
    improvement = models.TextField(_("improvement made"), blank=True)

    class Meta:
        ordering = ["-received_on", "unit"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self) -> str:
        return f"{self.unit} {self.received_on} {self.subject}"


class FinancialYearFigures(VersionedModel):
    """An agency's figures for a financial year, in HK$, from its annual financial report."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("financial year"))
    lsg_income = models.DecimalField(_("Lump Sum Grant income"), max_digits=14, decimal_places=2)
    other_subvention_income = models.DecimalField(
        _("other government subventions"), max_digits=14, decimal_places=2, default=0
    )
    lotteries_fund_income = models.DecimalField(
        _("Lotteries Fund"), max_digits=14, decimal_places=2, default=0
    )
    fees_income = models.DecimalField(
        _("fees and charges"), max_digits=14, decimal_places=2, default=0
    )
    donations_income = models.DecimalField(
        _("donations and other income"), max_digits=14, decimal_places=2, default=0
    )
    operating_expenditure = models.DecimalField(
        _("operating expenditure (LSG activities)"), max_digits=14, decimal_places=2
    )
    lsg_reserve = models.DecimalField(_("LSG reserve at year end"), max_digits=14, decimal_places=2)
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["-fiscal_year", "organisation"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fiscal_year"], name="performance_finance_once"
            )
        ]
        verbose_name = _("financial figures")
        verbose_name_plural = _("financial figures")

    def __str__(self) -> str:
        return f"{self.organisation} {self.fiscal_year}"

    @property
    def total_income(self) -> Decimal:
        return (
            self.lsg_income
            + self.other_subvention_income
            + self.lotteries_fund_income
            + self.fees_income
            + self.donations_income
        )

    @property
    def reserve_cap(self) -> Decimal:
        return (self.operating_expenditure * RESERVE_CAP).quantize(Decimal("0.01"))

    @property
    def reserve_ratio(self) -> Decimal | None:
        if not self.operating_expenditure:
            return None
        return (self.lsg_reserve / self.operating_expenditure * 100).quantize(Decimal("0.1"))

    @property
    def reserve_over_cap(self) -> Decimal:
        """The part of the reserve above the cap (to be returned to SWD), or 0."""
        return max(Decimal(0), self.lsg_reserve - self.reserve_cap)
