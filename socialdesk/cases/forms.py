"""Forms of the case pages. They parse and shape input; the services decide (their
ValidationErrors come back onto these forms, next to the field they name)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from socialdesk.core.models import District, Organisation, ServiceUnit

from .models import (
    ClosureReason,
    Consent,
    ConsentPurpose,
    HouseholdMember,
    KeyContact,
    Language,
    NoteKind,
    ServiceUserFlag,
    Sex,
    Urgency,
)

DATE_WIDGET_ATTRS = {"type": "date"}
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# Formats a datetime-local input sends (with and without seconds).
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
ATTACHMENT_ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs=DATE_WIDGET_ATTRS, format="%Y-%m-%d")


def datetime_input() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_FORMAT)


def textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class VersionField(forms.IntegerField):
    """The version of the record the page was showing; a stale one is a conflict (409)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("label", _("version"))
        super().__init__(**kwargs)


def user_label(user: Any) -> str:
    return str(getattr(user, "display_name", "") or user.get_username())


def user_choices(users: Iterable[Any], *, blank: str | None = None) -> list[tuple[str, str]]:
    choices = [("", blank)] if blank is not None else []
    return [*choices, *((str(u.pk), user_label(u)) for u in users)]


# --- Search -------------------------------------------------------------------------------------


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name, HKID, phone or case number"),
        max_length=100,
        required=False,
        help_text=_(
            "Chinese name (full or part), English name in any order, HKID number, phone number "
            "or case number."
        ),
        widget=forms.TextInput(
            attrs={"type": "search", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


# --- People -------------------------------------------------------------------------------------


def estimated_birth_date(age: int, today: date) -> date:
    """A date of birth for someone known only to be `age` today: 1 July of the year that gives
    that age (the middle of the possible range)."""
    before_july = (today.month, today.day) < (7, 1)
    return date(today.year - age - (1 if before_july else 0), 7, 1)


class PersonForm(forms.Form):
    """A person's identity and contact details (registration and editing)."""

    name_zh = forms.CharField(label=_("Chinese name"), max_length=50, required=False)
    name_en = forms.CharField(
        label=_("English name"),
        max_length=120,
        required=False,
        help_text=_("As on the identity card, e.g. CHAN Tai Man."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN, widget=forms.RadioSelect
    )
    date_of_birth = forms.DateField(label=_("Date of birth"), required=False, widget=date_input())
    age_years = forms.IntegerField(
        label=_("Age in years"),
        min_value=0,
        max_value=130,
        required=False,
        help_text=_("Only if the date of birth is not known: it is then estimated from the age."),
    )
    hkid = forms.CharField(
        label=_("HKID number"),
        max_length=20,
        required=False,
        help_text=_("E.g. A123456(3). Stored encrypted and shown masked."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    phone_alt = forms.CharField(
        label=_("Other phone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    email = forms.EmailField(label=_("Email"), required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.order_by("region", "code"),
        required=False,
        empty_label=_("Not known"),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, initial=Language.CANTONESE
    )
    flags = forms.MultipleChoiceField(
        label=_("Alerts for every worker"),
        choices=ServiceUserFlag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Shown at the top of the person's record."),
    )

    IDENTITY_FIELDS = (
        "name_zh",
        "name_en",
        "sex",
        "date_of_birth",
        "hkid",
        "phone",
        "phone_alt",
        "email",
        "address",
        "district",
        "language",
        "flags",
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("date_of_birth") and cleaned.get("age_years") is not None:
            self.add_error("age_years", _("Give either the date of birth or the age, not both."))
        return cleaned

    def person_data(self) -> dict[str, Any]:
        """The identity fields as the people services take them."""
        data = {k: self.cleaned_data.get(k) for k in self.IDENTITY_FIELDS}
        for key in ("name_zh", "name_en", "hkid", "phone", "phone_alt", "email", "address"):
            data[key] = data[key] or ""
        data["flags"] = list(data["flags"] or [])
        age = self.cleaned_data.get("age_years")
        if data["date_of_birth"] is None and age is not None:
            data["date_of_birth"] = estimated_birth_date(age, timezone.localdate())
            data["date_of_birth_estimated"] = True
        else:
            data["date_of_birth_estimated"] = False
        return data


class RegisterPersonForm(PersonForm):
    """Registration: identity, the unit that takes the person on, and why they came."""

    unit = forms.ModelChoiceField(
        label=_("Service unit"), queryset=ServiceUnit.objects.none(), empty_label=None
    )
    presenting_problem = forms.CharField(
        label=_("Presenting problem"),
        required=False,
        widget=textarea(),
        help_text=_("Why the person came or was brought to the unit, in a few sentences."),
    )
    # Set by the "register anyway" button: the candidates the worker looked at and rejected.
    acknowledge = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, units: QuerySet[ServiceUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["unit"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = units
        if len(units) == 1 and not self.is_bound:
            self.initial["unit"] = units[0].pk

    def acknowledged_ids(self) -> list[int]:
        raw = str(self.cleaned_data.get("acknowledge") or "")
        return [int(part) for part in raw.split(",") if part.strip().isdigit()]


class EditPersonForm(PersonForm):
    version = VersionField()

    def __init__(self, *args: Any, person: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if person is not None and not self.is_bound:
            for key in self.IDENTITY_FIELDS:
                self.initial[key] = getattr(person, key)
            self.initial["district"] = person.district_id
            self.initial["version"] = person.version
            # The full HKID is not put into the page: leave the field empty to keep it.
            self.initial["hkid"] = ""
        self.fields["hkid"].help_text = _(
            "Leave empty to keep the HKID number on record; type a number to replace it."
        )

    def person_data(self) -> dict[str, Any]:
        data = super().person_data()
        if not data["hkid"]:
            data.pop("hkid")
        return data


class HouseholdMemberForm(forms.ModelForm):
    class Meta:
        model = HouseholdMember
        fields = ["name", "relationship", "date_of_birth", "lives_together", "note"]
        widgets = {"date_of_birth": date_input()}


class KeyContactForm(forms.ModelForm):
    class Meta:
        model = KeyContact
        fields = ["name", "relationship", "phone", "organisation", "is_emergency_contact"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel"})}


class AliasForm(forms.Form):
    name_zh = forms.CharField(label=_("Chinese name"), max_length=50, required=False)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        help_text=_("E.g. former name, name used at school, spelling on a passport."),
    )


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=ConsentPurpose.choices, widget=forms.RadioSelect
    )
    scope = forms.CharField(
        label=_("What may be shared and with whom"),
        max_length=300,
        widget=textarea(3),
        help_text=_("In the words explained to the person."),
    )
    recipient_organisation = forms.ModelChoiceField(
        label=_("Recipient organisation"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("Any service the person is referred to"),
    )
    given_by = forms.CharField(
        label=_("Given by"),
        max_length=120,
        help_text=_("The person themself, or the name and role of a parent or guardian."),
    )
    given_on = forms.DateField(label=_("Given on"), widget=date_input())
    evidence = forms.CharField(
        label=_("Evidence"),
        max_length=200,
        help_text=_("E.g. signed form filed, verbal consent witnessed by a colleague."),
    )
    evidence_file = forms.FileField(
        label=_("Signed form (optional)"),
        required=False,
        widget=forms.FileInput(attrs={"accept": ATTACHMENT_ACCEPT}),
        help_text=_("PDF, JPEG, PNG, DOCX or XLSX, at most 10 MB."),
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["recipient_organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations
        if not self.is_bound:
            self.initial.setdefault("given_on", timezone.localdate())


class ConsentWithdrawForm(forms.Form):
    version = VersionField()
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=date_input())
    withdrawal_note = forms.CharField(
        label=_("How the withdrawal was given"), max_length=300, widget=textarea(2)
    )

    def __init__(self, *args: Any, consent: Consent | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if consent is not None and not self.is_bound:
            self.initial["version"] = consent.version
            self.initial["withdrawn_on"] = timezone.localdate()


class MergeForm(forms.Form):
    other_reference = forms.CharField(
        label=_("Reference number of the other record"),
        max_length=20,
        help_text=_(
            "E.g. P0001234. That record is merged into this one: everything moves here and the "
            "other record is kept, marked as merged."
        ),
    )
    reason = forms.CharField(label=_("Reason for the merge"), widget=textarea(3))
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)


# --- Intake -------------------------------------------------------------------------------------


class IntakeAssignForm(forms.Form):
    version = VersionField()
    assigned_worker = forms.ChoiceField(label=_("Intake worker"))

    def __init__(self, *args: Any, workers: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assigned_worker"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = user_choices(workers, blank="")


class IntakeInterviewForm(forms.Form):
    version = VersionField()
    presenting_problem = forms.CharField(
        label=_("Presenting problem"), required=False, widget=textarea(5)
    )
    interviewed_on = forms.DateField(label=_("Interviewed on"), widget=date_input())


class IntakeCloseForm(forms.Form):
    version = VersionField()
    outcome_note = forms.CharField(
        label=_("Outcome"),
        widget=textarea(3),
        help_text=_("Why no case is opened, e.g. information given, referred elsewhere."),
    )


class CaseOpenForm(forms.Form):
    version = VersionField()
    primary_worker = forms.ChoiceField(label=_("Responsible worker"))
    team = forms.ChoiceField(label=_("Team"), required=False)
    summary = forms.CharField(
        label=_("Case summary"),
        required=False,
        widget=textarea(3),
        help_text=_("Leave empty to use the presenting problem."),
    )

    def __init__(
        self,
        *args: Any,
        workers: Iterable[Any] = (),
        teams: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        worker_field = self.fields["primary_worker"]
        team_field = self.fields["team"]
        assert isinstance(worker_field, forms.ChoiceField)
        assert isinstance(team_field, forms.ChoiceField)
        worker_field.choices = user_choices(workers)
        team_field.choices = [("", _("No team")), *((str(t.pk), t.name) for t in teams)]


# --- Case work ----------------------------------------------------------------------------------


class CaseListFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("open", pgettext_lazy("case status", "Open")),
            ("closed", _("Closed")),
            ("all", _("All")),
        ],
    )


class CaseNoteForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=NoteKind.choices)
    occurred_at = forms.DateTimeField(
        label=_("Date and time"), widget=datetime_input(), input_formats=DATETIME_INPUT_FORMATS
    )
    body = forms.CharField(label=_("Note"), widget=textarea(8))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0))


class CaseNoteEditForm(CaseNoteForm):
    version = VersionField()


class AssessmentDateForm(forms.Form):
    assessed_on = forms.DateField(label=_("Assessed on"), widget=date_input())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("assessed_on", timezone.localdate())


class PlanForm(forms.Form):
    summary = forms.CharField(label=_("Plan summary"), required=False, widget=textarea(3))
    review_on = forms.DateField(label=_("Review date"), widget=date_input())


class GoalForm(forms.Form):
    description = forms.CharField(label=_("Goal"), max_length=500, required=False)
    target_on = forms.DateField(label=_("Target date"), required=False, widget=date_input())


MAX_GOALS = 8
GoalFormSet = forms.formset_factory(GoalForm, extra=4, max_num=MAX_GOALS, validate_max=True)


class VersionOnlyForm(forms.Form):
    version = VersionField()


class PlanDecisionForm(forms.Form):
    APPROVE, RETURN = "approve", "return"
    version = VersionField()
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve the plan")), (RETURN, _("Return it for changes"))],
        widget=forms.RadioSelect,
    )
    return_note = forms.CharField(
        label=_("Comment to the worker"),
        max_length=500,
        required=False,
        widget=textarea(3),
        help_text=_("Needed when you return the plan."),
    )


class CaseReviewForm(forms.Form):
    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=date_input())
    summary = forms.CharField(label=_("Review summary"), widget=textarea(5))
    next_review_on = forms.DateField(
        label=_("Next review"),
        required=False,
        widget=date_input(),
        help_text=_("Leave empty if no further review is planned."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("reviewed_on", timezone.localdate())


class CaseWorkerForm(forms.Form):
    worker = forms.ChoiceField(label=_("Worker"))
    primary = forms.BooleanField(label=_("Make them the responsible worker"), required=False)

    def __init__(self, *args: Any, workers: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["worker"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = user_choices(workers, blank="")


class CaseCloseForm(forms.Form):
    version = VersionField()
    closure_reason = forms.ChoiceField(
        label=_("Reason for closing"), choices=ClosureReason.choices, widget=forms.RadioSelect
    )
    closure_note = forms.CharField(
        label=_("Closing summary"),
        required=False,
        widget=textarea(4),
        help_text=_("Needed when the reason is “Other”."),
    )


class CloseDecisionForm(forms.Form):
    APPROVE, REJECT = "approve", "reject"
    version = VersionField()
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve the closure")), (REJECT, _("Keep the case open"))],
        widget=forms.RadioSelect,
    )
    closure_note = forms.CharField(
        label=_("Comment"),
        required=False,
        widget=textarea(3),
        help_text=_("Needed when you keep the case open."),
    )


class ReopenForm(forms.Form):
    version = VersionField()
    reason = forms.CharField(label=_("Reason for re-opening"), widget=textarea(3))


# --- Referrals ----------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input; each is checked by the attachment service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ATTACHMENT_ACCEPT, "multiple": True})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def unit_choices(units: Iterable[ServiceUnit]) -> list[tuple[Any, Any]]:
    """Units grouped by organisation for a <select> with <optgroup>s."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for unit in units:
        label = f"{unit.name} ({unit.service_type.abbreviation}, {unit.district.name})"
        groups.setdefault(unit.organisation.name, []).append((str(unit.pk), label))
    return [("", _("Choose a service unit")), *groups.items()]


class ReferralForm(forms.Form):
    from_unit = forms.ModelChoiceField(
        label=_("Referring unit"), queryset=ServiceUnit.objects.none(), empty_label=None
    )
    to_unit = forms.ChoiceField(label=_("Refer to"))
    reason = forms.CharField(
        label=_("Reason for referral"),
        widget=textarea(5),
        help_text=_("What the person needs and what has been done so far."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
    )
    consent = forms.ChoiceField(
        label=_("The person's consent"), required=False, widget=forms.RadioSelect
    )
    without_consent = forms.BooleanField(
        label=_("Refer without the person's consent"), required=False
    )
    consent_override_reason = forms.CharField(
        label=_("Why the referral cannot wait for consent"),
        required=False,
        widget=textarea(3),
        help_text=_("For example, a risk to life or of serious harm."),
    )
    attachments = MultipleFileField(
        label=_("Documents (optional)"),
        required=False,
        help_text=_("PDF, JPEG, PNG, DOCX or XLSX, at most 10 MB each."),
    )

    def __init__(
        self,
        *args: Any,
        from_units: QuerySet[ServiceUnit],
        to_units: Iterable[ServiceUnit],
        consents: Iterable[Consent],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from_field = self.fields["from_unit"]
        to_field = self.fields["to_unit"]
        consent_field = self.fields["consent"]
        assert isinstance(from_field, forms.ModelChoiceField)
        assert isinstance(to_field, forms.ChoiceField)
        assert isinstance(consent_field, forms.ChoiceField)
        from_field.queryset = from_units
        if len(from_units) == 1 and not self.is_bound:
            self.initial["from_unit"] = from_units[0].pk
        to_field.choices = unit_choices(to_units)
        consent_field.choices = [(str(c.pk), consent_label(c)) for c in consents]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("without_consent"):
            if not (cleaned.get("consent_override_reason") or "").strip():
                self.add_error(
                    "consent_override_reason",
                    _("Give the reason for referring without the person's consent."),
                )
            cleaned["consent"] = ""
        elif not cleaned.get("consent"):
            self.add_error(
                "consent",
                _(
                    "Choose the person's recorded consent, or refer without consent and give "
                    "the reason."
                ),
            )
        return cleaned


def consent_label(consent: Consent) -> str:
    recipient = (
        consent.recipient_organisation.name
        if consent.recipient_organisation_id and consent.recipient_organisation
        else _("any service")
    )
    return str(
        _("Given on %(date)s by %(given_by)s, to %(recipient)s: %(scope)s")
        % {
            "date": consent.given_on.isoformat(),
            "given_by": consent.given_by,
            "recipient": recipient,
            "scope": consent.scope,
        }
    )


class ReferralAcceptForm(forms.Form):
    NEW = "new"
    version = VersionField()
    match = forms.ChoiceField(label=_("Who is this person?"), required=False)

    def __init__(self, *args: Any, candidates: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["match"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            *((str(c.person_id), str(c.person_id)) for c in candidates),
            (self.NEW, _("A new person: register them")),
        ]


class ReferralDeclineForm(forms.Form):
    version = VersionField()
    decline_reason = forms.CharField(
        label=_("Reason for declining"),
        widget=textarea(3),
        help_text=_("The referrer sees this reason."),
    )


class ReferralWithdrawForm(forms.Form):
    version = VersionField()
    withdraw_reason = forms.CharField(label=_("Reason for withdrawing"), widget=textarea(3))


# --- Break the glass ----------------------------------------------------------------------------

BREAK_GLASS_MINUTES = [
    ("15", _("15 minutes")),
    ("30", _("30 minutes")),
    ("60", _("1 hour")),
    ("120", _("2 hours")),
    ("240", _("4 hours")),
]


class BreakGlassForm(forms.Form):
    hkid = forms.CharField(
        label=_("HKID number of the person"),
        max_length=20,
        help_text=_("The exact HKID number, e.g. A123456(3)."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    reason = forms.CharField(
        label=_("Why you need this record now"),
        widget=textarea(4),
        help_text=_("At least 10 characters. The privacy officer reads this."),
    )
    minutes = forms.ChoiceField(label=_("For how long"), choices=BREAK_GLASS_MINUTES, initial="60")
    understood = forms.BooleanField(
        label=_(
            "I understand that this access is outside my need-to-know, that it is recorded and "
            "that the privacy officer is told at once and will review it."
        ),
        error_messages={"required": _("Confirm that you understand before you continue.")},
    )


class BreakGlassReviewForm(forms.Form):
    review_note = forms.CharField(
        label=_("Outcome of your review"),
        max_length=500,
        widget=textarea(3),
        help_text=_("E.g. justified: emergency admission confirmed with the hospital."),
    )


def parse_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


__all__ = ["ValidationError"]
