"""Reporting periods, Funding and Service Agreements (the agreed level of each standard per unit
and year), and the statistical returns with their figures and their review history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import ServiceUnit, VersionedModel

from .definitions import Frequency, Indicator, ReturnTemplate


class ReportingPeriod(models.Model):
    """A quarter or half of a financial year (April to March)."""

    fiscal_year = models.PositiveSmallIntegerField(
        _("financial year"), help_text=_("The year starting in April, e.g. 2025 for 2025-26.")
    )
    frequency = models.CharField(_("frequency"), max_length=12, choices=Frequency.choices)
    number = models.PositiveSmallIntegerField(_("number"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))

    class Meta:
        ordering = ["fiscal_year", "frequency", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["fiscal_year", "frequency", "number"], name="performance_period_once"
            )
        ]
        verbose_name = _("reporting period")
        verbose_name_plural = _("reporting periods")

    def __str__(self) -> str:
        return self.label

    @property
    def year_label(self) -> str:
        return f"{self.fiscal_year}-{(self.fiscal_year + 1) % 100:02d}"

    @property
    def label(self) -> str:
        if self.frequency == Frequency.QUARTERLY:
            return f"{self.year_label} Q{self.number}"
        return f"{self.year_label} H{self.number}"


class Direction(models.TextChoices):
    AT_LEAST = "at_least", _("At least")
    AT_MOST = "at_most", _("At most")


class Agreement(VersionedModel):
    """A unit's Funding and Service Agreement (FSA) for one financial year: the return template it
    reports on and the agreed level of each standard."""

    unit = models.ForeignKey(
        ServiceUnit, verbose_name=_("service unit"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("financial year"))
    template = models.ForeignKey(
        ReturnTemplate, verbose_name=_("return template"), on_delete=models.PROTECT
    )
    reference = models.CharField(_("FSA reference"), max_length=60, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "fiscal_year"], name="performance_fsa_once")
        ]
        verbose_name = _("funding and service agreement")
        verbose_name_plural = _("funding and service agreements")

    def __str__(self) -> str:
        return f"{self.unit} {self.fiscal_year}"


class AgreedLevel(models.Model):
    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="levels"
    )
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT)
    level = models.DecimalField(_("agreed level"), max_digits=14, decimal_places=4)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.AT_LEAST
    )

    class Meta:
        ordering = ["agreement", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement", "indicator"], name="performance_level_once"
            )
        ]
        verbose_name = _("agreed level")
        verbose_name_plural = _("agreed levels")

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.level}"


class ReturnStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    ENDORSED = "endorsed", _("Endorsed by the agency")
    RETURNED = "returned", _("Returned for correction")
    ACCEPTED = "accepted", _("Accepted")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EXCEL = "excel", _("Excel upload")
    API = "api", _("API")


class StatisticalReturn(VersionedModel):
    """A unit's return for one period, on the template version of its FSA."""

    unit = models.ForeignKey(
        ServiceUnit, verbose_name=_("service unit"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.PROTECT, related_name="returns"
    )
    template = models.ForeignKey(
        ReturnTemplate, verbose_name=_("template"), on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ReturnStatus.choices, default=ReturnStatus.DRAFT
    )
    due_on = models.DateField(_("due on"))
    grace_until = models.DateField(_("grace period until"))
    submitted_at = models.DateTimeField(_("first submitted at"), null=True, blank=True)
    last_submitted_at = models.DateTimeField(_("last submitted at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    locked = models.BooleanField(_("locked"), default=False)
    return_reason = models.TextField(_("reason for returning"), blank=True)

    class Meta:
        ordering = ["-period__fiscal_year", "-period__number", "unit"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "period"], name="performance_return_once")
        ]
        indexes = [models.Index(fields=["period", "status"], name="performance_ret_period_st")]
        verbose_name = _("statistical return")
        verbose_name_plural = _("statistical returns")

    def __str__(self) -> str:
        return f"{self.unit} {self.period}"

    @property
    def is_editable(self) -> bool:
        return self.status in (ReturnStatus.DRAFT, ReturnStatus.RETURNED) and not self.locked


class ReturnValue(models.Model):
    """One figure of a return: an indicator's total (category "") or one category of a
    disaggregation ("sex:F"). `reopened` marks the figures SWD returned for correction."""

    statistical_return = models.ForeignKey(
        StatisticalReturn,
        verbose_name=_("return"),
        on_delete=models.CASCADE,
        related_name="values",
    )
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT)
    category = models.CharField(_("category"), max_length=60, blank=True, default="")
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=4, null=True, blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    suggested = models.DecimalField(
        _("suggested from case data"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    submitted_value = models.DecimalField(
        _("value when last submitted"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    reopened = models.BooleanField(_("returned for correction"), default=False)
    return_reason = models.CharField(_("reason for returning"), max_length=500, blank=True)

    class Meta:
        ordering = ["statistical_return", "indicator__code", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["statistical_return", "indicator", "category"],
                name="performance_value_once",
            )
        ]
        verbose_name = _("figure")
        verbose_name_plural = _("figures")

    def __str__(self) -> str:
        suffix = f" [{self.category}]" if self.category else ""
        return f"{self.indicator.code}{suffix} = {self.value}"


class ReturnAction(models.TextChoices):
    SAVED = "saved", _("Saved")
    SUBMITTED = "submitted", _("Submitted")
    ENDORSED = "endorsed", _("Endorsed")
    RETURNED = "returned", _("Returned")
    ACCEPTED = "accepted", _("Accepted")
    UNLOCKED = "unlocked", _("Unlocked")


class ReturnEvent(models.Model):
    """The review history of a return: who did what, when, why, on which figures (and, for a
    resubmission, what changed)."""

    statistical_return = models.ForeignKey(
        StatisticalReturn, verbose_name=_("return"), on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=10, choices=ReturnAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.TextField(_("reason"), blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)

    class Meta:
        ordering = ["statistical_return", "at", "pk"]
        verbose_name = _("return event")
        verbose_name_plural = _("return events")

    def __str__(self) -> str:
        return f"{self.statistical_return} {self.action}"


class AttainmentStatus(models.TextChoices):
    MET = "met", _("Meets the standard")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("Forecast to miss")
    BELOW = "below", _("Below standard")
    NO_DATA = "no_data", _("No figures yet")


class Attainment(models.Model):
    """Year-to-date attainment of one standard by one unit, recomputed when a return changes
    (what dashboards read)."""

    unit = models.ForeignKey(
        ServiceUnit, verbose_name=_("service unit"), on_delete=models.CASCADE, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("financial year"))
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE)
    agreed = models.DecimalField(_("agreed level"), max_digits=14, decimal_places=4)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    actual = models.DecimalField(
        _("year to date"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    prorated_target = models.DecimalField(
        _("pro-rated target"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    forecast = models.DecimalField(
        _("year-end forecast"), max_digits=14, decimal_places=4, null=True, blank=True
    )
    periods_reported = models.PositiveSmallIntegerField(_("periods reported"), default=0)
    periods_in_year = models.PositiveSmallIntegerField(_("periods in the year"), default=4)
    status = models.CharField(_("status"), max_length=10, choices=AttainmentStatus.choices)
    computed_at = models.DateTimeField(_("computed at"), auto_now=True)

    class Meta:
        ordering = ["fiscal_year", "unit", "indicator__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "fiscal_year", "indicator"], name="performance_attainment_once"
            )
        ]
        indexes = [models.Index(fields=["fiscal_year", "status"], name="performance_att_year_st")]
        verbose_name = _("attainment")
        verbose_name_plural = _("attainment")

    def __str__(self) -> str:
        return f"{self.unit} {self.fiscal_year} {self.indicator.code}: {self.status}"
