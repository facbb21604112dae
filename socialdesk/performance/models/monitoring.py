"""What follows from the figures: alerts (below standard, forecast to miss, overdue return) and
the Service Improvement Action Plans (SIAP) an agency owes for a unit below standard."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import ServiceUnit, TimeStampedModel, VersionedModel

from .definitions import Indicator
from .returns import ReportingPeriod


class AlertKind(models.TextChoices):
    BELOW_STANDARD = "below_standard", _("Below standard")
    FORECAST_MISS = "forecast_miss", _("Forecast to miss the standard")
    OVERDUE_RETURN = "overdue_return", _("Return overdue")


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Alert(TimeStampedModel):
    """One condition of one unit; opened once, resolved when the condition ends (or the SIAP that
    answers it is closed). At most one open alert per unit, year, indicator and kind."""

    unit = models.ForeignKey(
        ServiceUnit, verbose_name=_("service unit"), on_delete=models.CASCADE, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("financial year"))
    kind = models.CharField(_("kind"), max_length=20, choices=AlertKind.choices)
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, null=True, blank=True
    )
    period = models.ForeignKey(
        ReportingPeriod, verbose_name=_("period"), on_delete=models.CASCADE, null=True, blank=True
    )
    subject = models.CharField(
        _("subject"),
        max_length=60,
        help_text=_("What the alert is about: the indicator code, or the period of a return."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    improvement_plan = models.ForeignKey(
        "ImprovementPlan",
        verbose_name=_("improvement plan"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alerts",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "fiscal_year", "kind", "subject"],
                condition=models.Q(status="open"),
                name="performance_alert_open_once",
            )
        ]
        indexes = [models.Index(fields=["status", "kind"], name="performance_alert_st_kind")]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return f"{self.unit} {self.get_kind_display()}"


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted to SWD")
    RETURNED = "returned", _("Returned by SWD")
    ACCEPTED = "accepted", _("Accepted; being carried out")
    CLOSED = "closed", _("Closed")


class ImprovementPlan(VersionedModel):
    """A Service Improvement Action Plan (SIAP): the agency's actions for a unit below standard,
    reviewed by SWD, tracked to closure."""

    unit = models.ForeignKey(
        ServiceUnit, verbose_name=_("service unit"), on_delete=models.PROTECT, related_name="+"
    )
    fiscal_year = models.PositiveSmallIntegerField(_("financial year"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    analysis = models.TextField(_("reasons for the shortfall"), blank=True)
    due_on = models.DateField(_("plan due on"))
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    review_note = models.TextField(_("SWD's comments"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-fiscal_year", "unit"]
        verbose_name = _("service improvement action plan")
        verbose_name_plural = _("service improvement action plans")

    def __str__(self) -> str:
        return f"SIAP {self.unit} {self.fiscal_year}"


class ImprovementAction(models.Model):
    plan = models.ForeignKey(
        ImprovementPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="actions"
    )
    description = models.CharField(_("action"), max_length=500)
    owner = models.CharField(_("owner"), max_length=120)
    milestone = models.CharField(_("milestone"), max_length=200, blank=True)
    due_on = models.DateField(_("due on"))
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        ordering = ["plan", "due_on", "pk"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")

    def __str__(self) -> str:
        return self.description
