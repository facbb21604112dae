"""SWD's records beside the statistics: field assessments of a unit (and their follow-up),
complaints about a unit (and their outcome), and an agency's financial figures for a year. Every
write goes through the records' policies; edits are version-checked (ConflictError if stale);
a ValidationError names the field it is about."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.concurrency import update_versioned
from socialdesk.core.models import Organisation, ServiceUnit

from ..models import (
    AssessmentOutcome,
    Complaint,
    ComplaintStatus,
    FieldAssessment,
    FinancialYearFigures,
)
from ..periods import fiscal_year_of
from ..selectors.records import finance_organisation_list_for

# A year's figure above this is a typing error (no agency's whole year comes near it).
MAX_AMOUNT = Decimal("10000000000")
CENT = Decimal("0.01")
FIRST_FISCAL_YEAR = 2001  # the Lump Sum Grant subvention system began in 2001-02

ASSESSMENT_FIELDS = (
    "visited_on",
    "assessor",
    "outcome",
    "findings",
    "follow_up",
    "follow_up_due_on",
)
COMPLAINT_FIELDS = ("received_on", "channel", "subject", "summary")
CONCLUDED = (
    ComplaintStatus.SUBSTANTIATED,
    ComplaintStatus.PARTLY,
    ComplaintStatus.UNSUBSTANTIATED,
    ComplaintStatus.WITHDRAWN,
)
NEEDS_IMPROVEMENT = (ComplaintStatus.SUBSTANTIATED, ComplaintStatus.PARTLY)
INCOME_FIELDS = (
    "lsg_income",
    "other_subvention_income",
    "lotteries_fund_income",
    "fees_income",
    "donations_income",
)
AMOUNT_FIELDS = (*INCOME_FIELDS, "operating_expenditure", "lsg_reserve")
REQUIRED_AMOUNTS = frozenset({"lsg_income", "operating_expenditure", "lsg_reserve"})
FIGURES_FIELDS = (*AMOUNT_FIELDS, "notes")


def _text(value: Any) -> str:
    return str(value or "").strip()


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError({name: [message] for name, message in errors.items()})


def _not_after_today(value: date | None, name: str, errors: dict[str, str]) -> None:
    if value is not None and value > timezone.localdate():
        errors.setdefault(name, _("This date cannot be in the future."))


# --- Field assessments ----------------------------------------------------------------------


def _assessment_values(values: dict[str, Any]) -> dict[str, Any]:
    """The assessment's fields cleaned and checked together (ValidationError by field)."""
    cleaned = {
        **values,
        "assessor": _text(values.get("assessor")),
        "findings": _text(values.get("findings")),
        "follow_up": _text(values.get("follow_up")),
    }
    errors: dict[str, str] = {}
    visited_on = cleaned.get("visited_on")
    if visited_on is None:
        errors["visited_on"] = _("Enter the date of the visit.")
    _not_after_today(visited_on, "visited_on", errors)
    if not cleaned["assessor"]:
        errors["assessor"] = _("Enter who assessed the unit.")
    if cleaned.get("outcome") not in AssessmentOutcome.values:
        errors["outcome"] = _("Choose the outcome of the assessment.")
    if not cleaned["findings"]:
        errors["findings"] = _("Record what the assessment found.")
    due_on = cleaned.get("follow_up_due_on")
    if cleaned["follow_up"]:
        if due_on is None:
            errors["follow_up_due_on"] = _("Enter the date the follow-up is due.")
        elif visited_on is not None and due_on < visited_on:
            errors["follow_up_due_on"] = _("The follow-up cannot be due before the visit.")
    elif cleaned.get("outcome") in (AssessmentOutcome.PARTLY, AssessmentOutcome.NOT_MET):
        errors["follow_up"] = _("Say what the unit must do to follow up.")
    elif due_on is not None:
        errors["follow_up"] = _("Describe the follow-up, or clear its due date.")
    _raise(errors)
    return cleaned


def _may_record_on(user: Any, model: type[Any], unit_id: Any) -> ServiceUnit:
    """The unit (404 if the user may not see it), if the user may add `model` records on it."""
    unit = policy_for(ServiceUnit).get(user, unit_id)
    if policy_for(model).scope(actor_for(user), Action.ADD) is None:
        raise PermissionDenied
    return unit


@transaction.atomic
def field_assessment_record(
    *,
    user: Any,
    unit_id: Any,
    visited_on: date | None,
    assessor: str,
    outcome: str,
    findings: str,
    follow_up: str = "",
    follow_up_due_on: date | None = None,
) -> FieldAssessment:
    """Record an SWD field-assessment visit to a unit (SWD subventions officers)."""
    unit = _may_record_on(user, FieldAssessment, unit_id)
    values = _assessment_values(
        {
            "visited_on": visited_on,
            "assessor": assessor,
            "outcome": outcome,
            "findings": findings,
            "follow_up": follow_up,
            "follow_up_due_on": follow_up_due_on,
        }
    )
    assessment = FieldAssessment(unit=unit, recorded_by=user, **values)
    assessment.full_clean()
    assessment.save()
    return assessment


@transaction.atomic
def field_assessment_update(
    *, user: Any, assessment_id: Any, expected_version: int, data: Mapping[str, Any]
) -> FieldAssessment:
    """Correct a field assessment; only its own fields are taken from `data`."""
    assessment = policy_for(FieldAssessment).get(user, assessment_id, Action.CHANGE)
    current = {name: getattr(assessment, name) for name in ASSESSMENT_FIELDS}
    values = _assessment_values(
        {**current, **{k: v for k, v in data.items() if k in ASSESSMENT_FIELDS}}
    )
    changes = {name: value for name, value in values.items() if value != current[name]}
    if not values["follow_up"]:
        changes["follow_up_done_on"] = None
    return update_versioned(assessment, expected_version=expected_version, changes=changes)


@transaction.atomic
def field_assessment_follow_up_done(
    *, user: Any, assessment_id: Any, expected_version: int, done_on: date | None = None
) -> FieldAssessment:
    """Mark the follow-up an assessment asked for as done (today unless `done_on`)."""
    assessment = policy_for(FieldAssessment).get(user, assessment_id, Action.CHANGE)
    if not assessment.follow_up:
        raise ValidationError(_("This assessment asks for no follow-up."))
    if assessment.follow_up_done_on is not None:
        raise ValidationError(_("The follow-up is already marked as done."))
    done_on = done_on or timezone.localdate()
    errors: dict[str, str] = {}
    _not_after_today(done_on, "follow_up_done_on", errors)
    if done_on < assessment.visited_on:
        errors["follow_up_done_on"] = _("The follow-up cannot be done before the visit.")
    _raise(errors)
    return update_versioned(
        assessment, expected_version=expected_version, changes={"follow_up_done_on": done_on}
    )


# --- Complaints -----------------------------------------------------------------------------


def _complaint_values(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {
        **values,
        "channel": _text(values.get("channel")),
        "subject": _text(values.get("subject")),
        "summary": _text(values.get("summary")),
    }
    errors: dict[str, str] = {}
    if cleaned.get("received_on") is None:
        errors["received_on"] = _("Enter the date the complaint was received.")
    _not_after_today(cleaned.get("received_on"), "received_on", errors)
    if not cleaned["subject"]:
        errors["subject"] = _("Enter what the complaint is about.")
    _raise(errors)
    return cleaned


@transaction.atomic
def complaint_record(
    *,
    user: Any,
    unit_id: Any,
    received_on: date | None,
    subject: str,
    channel: str = "",
    summary: str = "",
) -> Complaint:
    """Record a complaint about a unit's service (SWD subventions officers); it is open until
    concluded."""
    unit = _may_record_on(user, Complaint, unit_id)
    values = _complaint_values(
        {"received_on": received_on, "subject": subject, "channel": channel, "summary": summary}
    )
    complaint = Complaint(unit=unit, status=ComplaintStatus.OPEN, **values)
    complaint.full_clean()
    complaint.save()
    return complaint


@transaction.atomic
def complaint_update(
    *, user: Any, complaint_id: Any, expected_version: int, data: Mapping[str, Any]
) -> Complaint:
    """Correct a complaint's date, channel, subject or summary (its outcome is concluded)."""
    complaint = policy_for(Complaint).get(user, complaint_id, Action.CHANGE)
    current = {name: getattr(complaint, name) for name in COMPLAINT_FIELDS}
    values = _complaint_values(
        {**current, **{k: v for k, v in data.items() if k in COMPLAINT_FIELDS}}
    )
    errors: dict[str, str] = {}
    if complaint.concluded_on and values["received_on"] > complaint.concluded_on:
        errors["received_on"] = _("A complaint cannot be received after it was concluded.")
    _raise(errors)
    changes = {name: value for name, value in values.items() if value != current[name]}
    return update_versioned(complaint, expected_version=expected_version, changes=changes)


@transaction.atomic
def complaint_conclude(
    *,
    user: Any,
    complaint_id: Any,
    expected_version: int,
    status: str,
    concluded_on: date | None,
    improvement: str = "",
) -> Complaint:
    """Record the outcome of an open complaint; a substantiated one needs the improvement made."""
    complaint = policy_for(Complaint).get(user, complaint_id, Action.CHANGE)
    if complaint.status != ComplaintStatus.OPEN:
        raise ValidationError(_("This complaint has already been concluded."))
    improvement = _text(improvement)
    errors: dict[str, str] = {}
    if status not in CONCLUDED:
        errors["status"] = _("Choose the outcome of the complaint.")
    if concluded_on is None:
        errors["concluded_on"] = _("Enter the date the complaint was concluded.")
    else:
        _not_after_today(concluded_on, "concluded_on", errors)
        if concluded_on < complaint.received_on:
            errors["concluded_on"] = _("A complaint cannot be concluded before it was received.")
    if status in NEEDS_IMPROVEMENT and not improvement:
        errors["improvement"] = _("Say what the unit has improved.")
    _raise(errors)
    return update_versioned(
        complaint,
        expected_version=expected_version,
        changes={"status": status, "concluded_on": concluded_on, "improvement": improvement},
    )


# --- Financial figures ----------------------------------------------------------------------


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(value) from None


def _figures_values(values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The figures checked one by one: none negative, none a typing error (over HK$10 billion),
    to the cent; the three the reserve is measured by are required, other income defaults to 0.
    Problems go into `errors` by field."""
    cleaned: dict[str, Any] = {"notes": _text(values.get("notes"))}
    for name in AMOUNT_FIELDS:
        try:
            amount = _amount(values.get(name))
        except ValueError:
            errors[name] = _("Enter an amount in Hong Kong dollars, e.g. 1234567.89.")
            continue
        if amount is None:
            if name in REQUIRED_AMOUNTS:
                errors[name] = _("Enter this figure (0 if there is none).")
                continue
            amount = Decimal(0)
        if not amount.is_finite():
            errors[name] = _("Enter an amount in Hong Kong dollars, e.g. 1234567.89.")
        elif amount < 0:
            errors[name] = _("A figure cannot be negative.")
        elif amount > MAX_AMOUNT:
            errors[name] = _("More than HK$10,000,000,000: check this figure for a typing error.")
        elif amount != amount.quantize(CENT):
            errors[name] = _("Enter the amount to the cent (at most 2 decimal places).")
        else:
            cleaned[name] = amount.quantize(CENT)
    return cleaned


def _fiscal_year(value: Any, errors: dict[str, str]) -> int:
    try:
        year = int(value)
    except (TypeError, ValueError):
        year = 0
    latest = fiscal_year_of(timezone.localdate())
    if not FIRST_FISCAL_YEAR <= year <= latest:
        errors["fiscal_year"] = _(
            "Enter a financial year from %(first)s to %(latest)s (the year it starts in April)."
        ) % {"first": FIRST_FISCAL_YEAR, "latest": latest}
    return year


@transaction.atomic
def financial_figures_enter(
    *, user: Any, organisation_id: Any, fiscal_year: Any, data: Mapping[str, Any]
) -> FinancialYearFigures:
    """Enter an agency's figures for a financial year (the agency's administrators and finance
    officers for their own agency, SWD subventions officers for any)."""
    organisation = policy_for(Organisation).get(user, organisation_id)
    if (
        not finance_organisation_list_for(user=user, action=Action.ADD)
        .filter(pk=organisation.pk)
        .exists()
    ):
        raise PermissionDenied
    errors: dict[str, str] = {}
    year = _fiscal_year(fiscal_year, errors)
    values = _figures_values(dict(data), errors)
    if (
        "fiscal_year" not in errors
        and FinancialYearFigures.objects.filter(
            organisation=organisation, fiscal_year=year
        ).exists()
    ):
        errors["fiscal_year"] = _(
            "The figures for this year are already entered: correct them instead."
        )
    _raise(errors)
    figures = FinancialYearFigures(organisation=organisation, fiscal_year=year, **values)
    figures.full_clean()
    figures.save()
    return figures


@transaction.atomic
def financial_figures_update(
    *, user: Any, figures_id: Any, expected_version: int, data: Mapping[str, Any]
) -> FinancialYearFigures:
    """Correct a year's figures (the agency and year stay); only the figures and notes are taken
    from `data`."""
    figures = policy_for(FinancialYearFigures).get(user, figures_id, Action.CHANGE)
    current = {name: getattr(figures, name) for name in FIGURES_FIELDS}
    errors: dict[str, str] = {}
    values = _figures_values(
        {**current, **{k: v for k, v in data.items() if k in FIGURES_FIELDS}}, errors
    )
    _raise(errors)
    changes = {name: value for name, value in values.items() if value != current[name]}
    return update_versioned(figures, expected_version=expected_version, changes=changes)
