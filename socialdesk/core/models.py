"""Organisations, service units, districts, service types and the staff roles within them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Adds creation and modification times."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A record people edit: its version lets a stale save be refused (optimistic locking)."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class BilingualNamed(models.Model):
    """A record with Traditional Chinese and English names; `name` follows the active language."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        if language.startswith("en"):
            return self.name_en or self.name_zh
        return self.name_zh or self.name_en


class Region(models.TextChoices):
    HONG_KONG_ISLAND = "hk_island", _("Hong Kong Island")
    KOWLOON = "kowloon", _("Kowloon")
    NEW_TERRITORIES = "new_territories", _("New Territories")


class DistrictOffice(BilingualNamed, TimeStampedModel):
    """One of SWD's 11 District Social Welfare Offices (DSWO), covering one to three districts."""

    code = models.SlugField(_("code"), max_length=40, unique=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("District Social Welfare Office")
        verbose_name_plural = _("District Social Welfare Offices")


class District(BilingualNamed, TimeStampedModel):
    """One of the 18 District Council districts."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    district_office = models.ForeignKey(
        DistrictOffice,
        verbose_name=_("District Social Welfare Office"),
        on_delete=models.PROTECT,
        related_name="districts",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["region", "code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class ServiceCategory(models.TextChoices):
    FAMILY_CHILD = "family_child", _("Family and child welfare")
    YOUTH = "youth", _("Services for young people")
    ELDERLY = "elderly", _("Services for elders")
    REHABILITATION = "rehabilitation", _("Rehabilitation")
    COMMUNITY = "community", _("Community development")


class ServiceType(BilingualNamed, TimeStampedModel):
    """A kind of subvented service (IFSC, ICYSC, DECC, …); each service unit has one."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=20)
    category = models.CharField(_("category"), max_length=30, choices=ServiceCategory.choices)
    holds_personal_data = models.BooleanField(
        _("holds personal data of service users"),
        default=True,
        help_text=_("Units of this type keep case records about identifiable people."),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")


class OrganisationKind(models.TextChoices):
    NGO = "ngo", _("Non-governmental organisation")
    SWD = "swd", _("Social Welfare Department")


class Organisation(BilingualNamed, VersionedModel):
    """An agency: a subvented NGO or SWD itself."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=OrganisationKind.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    @property
    def is_swd(self) -> bool:
        return self.kind == OrganisationKind.SWD

    def get_additional_data(self) -> dict[str, Any]:
        """auditlog hook: the owning organisation, so its privacy officer sees the entry."""
        return {"organisation": self.pk}


class ServiceUnit(BilingualNamed, VersionedModel):
    """A service unit of an organisation: one service type in one district."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="service_units",
    )
    service_type = models.ForeignKey(
        ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT, related_name="units"
    )
    district = models.ForeignKey(
        District, verbose_name=_("district"), on_delete=models.PROTECT, related_name="units"
    )
    code = models.SlugField(_("unit code"), max_length=40, unique=True)
    address_zh = models.CharField(_("address (Chinese)"), max_length=300, blank=True)
    address_en = models.CharField(_("address (English)"), max_length=300, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__code", "code"]
        verbose_name = _("service unit")
        verbose_name_plural = _("service units")

    def get_additional_data(self) -> dict[str, Any]:
        """auditlog hook: the owning organisation, so its privacy officer sees the entry."""
        return {"organisation": self.organisation_id}

    @property
    def address(self) -> str:
        language = (get_language() or settings.LANGUAGE_CODE).lower()
        if language.startswith("en"):
            return self.address_en or self.address_zh
        return self.address_zh or self.address_en


class Role(models.TextChoices):
    FRONTLINE_WORKER = "frontline_worker", _("Frontline worker")
    UNIT_SUPERVISOR = "unit_supervisor", _("Unit supervisor")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    AGENCY_FINANCE = "agency_finance", _("Agency finance officer")
    SWD_SUBVENTIONS = "swd_subventions", _("SWD subventions officer")
    PRIVACY_OFFICER = "privacy_officer", _("Privacy officer")
    SYSTEM_ADMIN = "system_admin", _("System administrator")


# Roles held in a service unit; the others are held in the whole organisation.
UNIT_ROLES = frozenset({Role.FRONTLINE_WORKER, Role.UNIT_SUPERVISOR})
SWD_ONLY_ROLES = frozenset({Role.SWD_SUBVENTIONS})


class Membership(TimeStampedModel):
    """A staff member's role in an organisation, and for unit roles, in one of its service units."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="memberships",
    )
    service_unit = models.ForeignKey(
        ServiceUnit,
        verbose_name=_("service unit"),
        on_delete=models.PROTECT,
        related_name="memberships",
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__code", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "service_unit", "role"],
                condition=models.Q(service_unit__isnull=False),
                name="membership_unique_unit_role",
            ),
            models.UniqueConstraint(
                fields=["user", "organisation", "role"],
                condition=models.Q(service_unit__isnull=True),
                name="membership_unique_organisation_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.service_unit or self.organisation
        return f"{self.user} · {self.get_role_display()} · {where}"

    def get_additional_data(self) -> dict[str, Any]:
        """auditlog hook: the owning organisation, so its privacy officer sees the entry."""
        return {"organisation": self.organisation_id}

    def clean(self) -> None:
        errors: dict[str, Any] = {}
        if self.role in UNIT_ROLES and not self.service_unit_id:
            errors["service_unit"] = _("This role is held in a service unit; choose one.")
        if self.role not in UNIT_ROLES and self.service_unit_id:
            errors["service_unit"] = _(
                "This role is held in the whole organisation; leave the unit empty."
            )
        if self.service_unit_id and self.organisation_id:
            unit = ServiceUnit.objects.filter(pk=self.service_unit_id).first()
            if unit is not None and unit.organisation_id != self.organisation_id:
                errors["service_unit"] = _("The service unit belongs to another organisation.")
        if self.role in SWD_ONLY_ROLES and self.organisation_id and not self.organisation.is_swd:
            errors["role"] = _("Only Social Welfare Department staff can hold this role.")
        if errors:
            raise ValidationError(errors)


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class BackgroundJob(TimeStampedModel):
    """Progress of a long-running task that a page polls: who asked, how far, the result file."""

    kind = models.CharField(_("kind"), max_length=50)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="background_jobs",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    result_file = models.FileField(_("result file"), upload_to="jobs/%Y/%m/", blank=True)
    result_name = models.CharField(_("result file name"), max_length=200, blank=True)
    task_result_id = models.CharField(_("task id"), max_length=64, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Notification(models.Model):
    """A message to one staff member in SocialDesk (alerts, reminders); shown on the dashboard
    and, where mail is configured, also sent by email."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_recipient_read"),
        ]

    def __str__(self) -> str:
        return self.title


class ScheduledRun(models.Model):
    """One run of a scheduled job that a scheduler enqueued; the unique (job, slot) pair makes
    sure two schedulers (say on two app servers) enqueue each due run only once."""

    job_name = models.CharField(_("scheduled job"), max_length=100)
    slot = models.DateTimeField(_("scheduled for"))
    task_path = models.CharField(_("task"), max_length=200)
    task_result_id = models.CharField(_("task id"), max_length=64, blank=True)
    manual = models.BooleanField(_("started by hand"), default=False)
    enqueued_at = models.DateTimeField(_("enqueued at"), auto_now_add=True)

    class Meta:
        ordering = ["-slot", "job_name"]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [
            models.UniqueConstraint(
                fields=["job_name", "slot"], name="scheduled_run_once_per_slot"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_name} @ {timezone.localtime(self.slot):%Y-%m-%d %H:%M}"
