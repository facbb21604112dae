"""Case work in a unit: intake (首次接見), cases, workers and teams, assessments, plans, notes,
reviews, closure, and the work items (tasks and reminders) they create."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from socialdesk.core.models import BilingualNamed, TimeStampedModel, VersionedModel

from .people import ServiceUser


class Team(BilingualNamed, TimeStampedModel):
    """A team of workers in a unit; a case assigned to a team is visible to all its members."""

    unit = models.ForeignKey(
        "core.ServiceUnit",
        verbose_name=_("service unit"),
        on_delete=models.PROTECT,
        related_name="teams",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("members"), related_name="case_teams", blank=True
    )

    class Meta:
        ordering = ["unit", "name_en"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.unit.organisation_id}


class IntakeSource(models.TextChoices):
    WALK_IN = "walk_in", _("Walk-in or phone enquiry")
    REFERRAL = "referral", _("Referral from a unit in SocialDesk")
    E_REFERRAL = "e_referral", _("Electronic referral from an outside agency")
    ONLINE_APPLICATION = "online_application", _("Online application or enquiry")
    OUTREACH = "outreach", _("Outreach")


class IntakeStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for intake")
    IN_PROGRESS = "in_progress", _("Intake in progress")
    CASE_OPENED = "case_opened", _("Case opened")
    NO_CASE = "no_case", _("Closed without a case")


class Intake(VersionedModel):
    """The first interview (首次接見) of a person in a unit; it ends by opening a case or not."""

    person = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="intakes",
    )
    unit = models.ForeignKey(
        "core.ServiceUnit",
        verbose_name=_("service unit"),
        on_delete=models.PROTECT,
        related_name="intakes",
    )
    source = models.CharField(_("source"), max_length=20, choices=IntakeSource.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=IntakeStatus.choices, default=IntakeStatus.PENDING
    )
    referral = models.ForeignKey(
        "cases.Referral",
        verbose_name=_("referral"),
        on_delete=models.PROTECT,
        related_name="intakes",
        null=True,
        blank=True,
    )
    assigned_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("intake worker"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    presenting_problem = models.TextField(_("presenting problem"), blank=True)
    form_version = models.ForeignKey(
        "forms.FormVersion",
        verbose_name=_("intake form"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    interviewed_on = models.DateField(_("interviewed on"), null=True, blank=True)
    outcome_note = models.TextField(_("outcome"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("intake")
        verbose_name_plural = _("intakes")
        indexes = [models.Index(fields=["unit", "status"], name="intake_unit_status")]

    def __str__(self) -> str:
        return f"{self.person} · {self.unit}"

    @property
    def is_open(self) -> bool:
        return self.status in (IntakeStatus.PENDING, IntakeStatus.IN_PROGRESS)

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.unit.organisation_id, "service_user": self.person_id}


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("case status", "Open")
    CLOSURE_PENDING = "closure_pending", _("Closure awaiting approval")
    CLOSED = "closed", _("Closed")


class ClosureReason(models.TextChoices):
    GOALS_ACHIEVED = "goals_achieved", _("Goals achieved")
    REFERRED_ELSEWHERE = "referred_elsewhere", _("Referred to another service")
    TRANSFERRED = "transferred", _("Transferred to another unit")
    SERVICE_DECLINED = "service_declined", _("Service user declined further service")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    MOVED_AWAY = "moved_away", _("Moved out of the service area")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class Case(VersionedModel):
    """A person's case (個案) in one unit, from opening to closure; it may be re-opened."""

    number = models.CharField(_("case number"), max_length=20, unique=True)
    person = models.ForeignKey(
        ServiceUser, verbose_name=_("service user"), on_delete=models.PROTECT, related_name="cases"
    )
    unit = models.ForeignKey(
        "core.ServiceUnit",
        verbose_name=_("service unit"),
        on_delete=models.PROTECT,
        related_name="cases",
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        related_name="cases",
        null=True,
        blank=True,
    )
    intake = models.ForeignKey(
        Intake,
        verbose_name=_("intake"),
        on_delete=models.PROTECT,
        related_name="cases",
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    opened_on = models.DateField(_("opened on"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    summary = models.TextField(_("case summary"), blank=True)
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    closure_reason = models.CharField(
        _("closure reason"), max_length=30, choices=ClosureReason.choices, blank=True
    )
    closure_note = models.TextField(_("closure note"), blank=True)
    closure_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closure requested by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    reopened_count = models.PositiveSmallIntegerField(_("times re-opened"), default=0)

    class Meta:
        ordering = ["-opened_on", "-pk"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["unit", "status"], name="case_unit_status"),
            models.Index(fields=["person", "status"], name="case_person_status"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status != CaseStatus.CLOSED

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.unit.organisation_id, "service_user": self.person_id}


class CaseWorker(TimeStampedModel):
    """A worker assigned to a case; one of them is the responsible (primary) worker."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="workers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="case_assignments",
    )
    is_primary = models.BooleanField(_("responsible worker"), default=False)

    class Meta:
        ordering = ["-is_primary", "pk"]
        verbose_name = _("case worker")
        verbose_name_plural = _("case workers")
        constraints = [
            models.UniqueConstraint(fields=["case", "user"], name="caseworker_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.case} · {self.user}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"service_user": self.case.person_id}


class Assessment(VersionedModel):
    """An assessment (評估) on a data-defined form; answers keep the form version they used."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="assessments"
    )
    form_version = models.ForeignKey(
        "forms.FormVersion", verbose_name=_("form"), on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(_("answers"), default=dict)
    score = models.JSONField(_("score"), default=dict, blank=True)
    assessed_on = models.DateField(_("assessed on"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assessed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-assessed_on", "-pk"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.case} · {self.assessed_on:%Y-%m-%d}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.case.unit.organisation_id, "service_user": self.case.person_id}


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PENDING_APPROVAL = "pending_approval", _("Awaiting supervisor approval")
    APPROVED = "approved", _("Approved")
    SUPERSEDED = "superseded", _("Superseded")


class CasePlan(VersionedModel):
    """A case plan (個案計劃): goals and the date it is reviewed."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="plans"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    summary = models.TextField(_("plan summary"), blank=True)
    review_on = models.DateField(_("review date"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    return_note = models.CharField(_("supervisor's comment"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case plan")
        verbose_name_plural = _("case plans")

    def __str__(self) -> str:
        return f"{self.case} · {self.get_status_display()}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.case.unit.organisation_id, "service_user": self.case.person_id}


class PlanGoal(models.Model):
    """One goal of a case plan, with its target date and progress."""

    class Progress(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        IN_PROGRESS = "in_progress", _("In progress")
        ACHIEVED = "achieved", _("Achieved")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(
        CasePlan, verbose_name=_("case plan"), on_delete=models.CASCADE, related_name="goals"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    description = models.CharField(_("goal"), max_length=500)
    target_on = models.DateField(_("target date"), null=True, blank=True)
    progress = models.CharField(
        _("progress"), max_length=20, choices=Progress.choices, default=Progress.NOT_STARTED
    )

    class Meta:
        ordering = ["plan", "order", "pk"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")

    def __str__(self) -> str:
        return self.description


class NoteKind(models.TextChoices):
    CONTACT = "contact", _("Contact")
    HOME_VISIT = "home_visit", _("Home visit")
    CASE_CONFERENCE = "case_conference", _("Case conference")
    PHONE = "phone", _("Phone call")
    OFFICE_INTERVIEW = "office_interview", _("Office interview")
    COLLATERAL = "collateral", _("Collateral contact")
    OTHER = "other", _("Other")


class CaseNote(VersionedModel):
    """A case note (個案紀錄) of one contact, visit, conference or call."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="notes"
    )
    kind = models.CharField(_("type"), max_length=20, choices=NoteKind.choices)
    occurred_at = models.DateTimeField(_("date and time"))
    body = models.TextField(_("note"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")

    def __str__(self) -> str:
        return f"{self.case} · {self.get_kind_display()} · {self.occurred_at:%Y-%m-%d}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.case.unit.organisation_id, "service_user": self.case.person_id}


class CaseReview(TimeStampedModel):
    """A review of the case against its plan, setting the next review date."""

    case = models.ForeignKey(
        Case, verbose_name=_("case"), on_delete=models.PROTECT, related_name="reviews"
    )
    reviewed_on = models.DateField(_("reviewed on"))
    summary = models.TextField(_("review summary"))
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-reviewed_on", "-pk"]
        verbose_name = _("case review")
        verbose_name_plural = _("case reviews")

    def __str__(self) -> str:
        return f"{self.case} · {self.reviewed_on:%Y-%m-%d}"

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.case.unit.organisation_id, "service_user": self.case.person_id}


class WorkItemKind(models.TextChoices):
    PLAN_REVIEW = "plan_review", _("Case plan review")
    CASE_REVIEW = "case_review", _("Case review")
    PLAN_APPROVAL = "plan_approval", _("Case plan to approve")
    CLOSURE_APPROVAL = "closure_approval", _("Case closure to approve")
    REFERRAL_RESPONSE = "referral_response", _("Referral to answer")
    INTAKE = "intake", _("Intake to complete")
    FOLLOW_UP = "follow_up", _("Follow-up")


class WorkItem(TimeStampedModel):
    """A task with a due date for a worker or a unit (tasks and reminders, "my work")."""

    kind = models.CharField(_("kind"), max_length=30, choices=WorkItemKind.choices)
    unit = models.ForeignKey(
        "core.ServiceUnit",
        verbose_name=_("service unit"),
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        on_delete=models.PROTECT,
        related_name="work_items",
        null=True,
        blank=True,
        help_text=_("Empty: anyone in the unit may take it (e.g. the duty worker)."),
    )
    for_supervisor = models.BooleanField(_("for the unit supervisor"), default=False)
    case = models.ForeignKey(
        Case,
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="work_items",
        null=True,
        blank=True,
    )
    intake = models.ForeignKey(
        Intake,
        verbose_name=_("intake"),
        on_delete=models.CASCADE,
        related_name="work_items",
        null=True,
        blank=True,
    )
    referral = models.ForeignKey(
        "cases.Referral",
        verbose_name=_("referral"),
        on_delete=models.CASCADE,
        related_name="work_items",
        null=True,
        blank=True,
    )
    plan = models.ForeignKey(
        CasePlan,
        verbose_name=_("case plan"),
        on_delete=models.CASCADE,
        related_name="work_items",
        null=True,
        blank=True,
    )
    due_on = models.DateField(_("due on"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    overdue_alerted_on = models.DateField(_("overdue alert sent on"), null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        indexes = [
            models.Index(fields=["assignee", "done_at", "due_on"], name="workitem_assignee_due"),
            models.Index(fields=["unit", "done_at", "due_on"], name="workitem_unit_due"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.due_on:%Y-%m-%d}"


class UnitCaseSettings(TimeStampedModel):
    """How a unit runs its cases: which steps need a supervisor's approval."""

    unit = models.OneToOneField(
        "core.ServiceUnit",
        verbose_name=_("service unit"),
        on_delete=models.CASCADE,
        related_name="case_settings",
    )
    plan_approval_required = models.BooleanField(
        _("case plans need supervisor approval"), default=True
    )
    closure_approval_required = models.BooleanField(
        _("case closure needs supervisor approval"), default=True
    )
    referral_reply_days = models.PositiveSmallIntegerField(
        _("days to answer a referral"), default=7
    )

    class Meta:
        verbose_name = _("unit case settings")
        verbose_name_plural = _("unit case settings")

    def __str__(self) -> str:
        return str(self.unit)

    def get_additional_data(self) -> dict[str, Any]:
        return {"organisation": self.unit.organisation_id}
