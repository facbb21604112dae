"""Forms of the public referral pages (no sign-in): a professional's referral, a member of the
public's application or enquiry, and the status look-up."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import District, ServiceType, ServiceUnit

from . import selectors
from .models import Language, Sex, Urgency

MAX_FILES = 5


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the content checks are the attachment service's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,.docx,.xlsx"})
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        cleaned = [single(item, initial) for item in files if item]
        if len(cleaned) > MAX_FILES:
            raise ValidationError(
                _("Attach at most %(count)s files.") % {"count": MAX_FILES}, code="too_many"
            )
        return cleaned


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ServiceUnit) -> str:
        return f"{obj.name} · {obj.service_type.abbreviation} · {obj.district.name}"


class SubmissionForm(forms.Form):
    """A form whose every rendering carries a one-time submission id: sending the same page
    twice (a double click, a reload) records the referral once."""

    submission = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission"] = uuid.uuid4().hex

    def idempotency_key(self, channel: str) -> str:
        submission = "".join(ch for ch in self.cleaned_data.get("submission", "") if ch.isalnum())
        return f"{channel}:{submission}" if len(submission) >= 16 else ""

    def add_service_errors(self, exc: ValidationError, names: dict[str, str]) -> None:
        """Show the service's refusals beside the fields they concern."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, messages in exc.message_dict.items():
            target = names.get(field, field)
            self.add_error(target if target in self.fields else None, messages)


class ProfessionalReferralForm(SubmissionForm):
    """A referral from a professional outside SocialDesk (school, hospital, NGO, bureau)."""

    referrer_organisation = forms.CharField(label=_("Your organisation"), max_length=200)
    referrer_name = forms.CharField(label=_("Your name and post"), max_length=120)
    referrer_phone = forms.CharField(label=_("Your phone"), max_length=20, required=False)
    referrer_email = forms.EmailField(label=_("Your email"), required=False)
    to_unit = UnitChoiceField(
        label=_("Refer to"),
        queryset=ServiceUnit.objects.none(),
        empty_label=_("Choose a service unit"),
        help_text=_("The service unit, its type and district."),
    )
    name_zh = forms.CharField(label=_("Chinese name"), max_length=50, required=False)
    name_en = forms.CharField(
        label=_("English name"),
        max_length=120,
        required=False,
        help_text=_("As on the identity card."),
    )
    sex = forms.ChoiceField(
        label=_("Sex"), choices=Sex.choices, initial=Sex.UNKNOWN, widget=forms.RadioSelect
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    hkid = forms.CharField(
        label=_("HKID number"),
        max_length=20,
        required=False,
        help_text=_("If known, e.g. A123456(3). It helps find the person's existing record."),
    )
    phone = forms.CharField(label=_("The person's phone"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    language = forms.ChoiceField(
        label=_("Preferred language"), choices=Language.choices, initial=Language.CANTONESE
    )
    reason = forms.CharField(
        label=_("Reason for referral"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What is the concern, what has been done, what help is asked for."),
    )
    urgency = forms.ChoiceField(
        label=_("Urgency"), choices=Urgency.choices, initial=Urgency.ROUTINE
    )
    consent_evidence = forms.CharField(
        label=_("How was consent obtained?"),
        max_length=300,
        help_text=_("E.g. written consent signed on 3 May, or verbal consent given to the nurse."),
    )
    consent_confirmed = forms.BooleanField(
        label=_(
            "The person (or their parent or guardian) agreed to this referral and to their "
            "information being passed to the service unit."
        )
    )
    attachments = MultipleFileField(
        label=_("Documents"),
        required=False,
        help_text=_("Up to 5 files: PDF, JPEG, PNG, Word (DOCX) or Excel (XLSX), 10 MB each."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["to_unit"]
        assert isinstance(field, UnitChoiceField)
        field.queryset = selectors.referral_target_units()

    def person_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        keys = ("name_zh", "name_en", "sex", "date_of_birth", "hkid", "phone", "address")
        return {**{key: data.get(key) for key in keys}, "language": data.get("language")}

    def referrer(self) -> dict[str, str]:
        data = self.cleaned_data
        return {
            "organisation": data["referrer_organisation"],
            "name": data["referrer_name"],
            "email": data.get("referrer_email") or "",
            "phone": data.get("referrer_phone") or "",
        }


def _offered_service_types() -> QuerySet[ServiceType]:
    units = selectors.referral_target_units().values("service_type")
    return ServiceType.objects.filter(pk__in=units, holds_personal_data=True).order_by("code")


class PublicApplicationForm(SubmissionForm):
    """A member of the public applies for, or asks about, a service; it goes to the unit of
    that service in their district."""

    service_type = forms.ModelChoiceField(
        label=_("Which service?"),
        queryset=ServiceType.objects.none(),
        empty_label=_("Choose a service"),
    )
    district = forms.ModelChoiceField(
        label=_("Your district"),
        queryset=District.objects.order_by("region", "code"),
        empty_label=_("Choose your district"),
    )
    unit = UnitChoiceField(
        label=_("Which centre?"),
        queryset=ServiceUnit.objects.none(),
        required=False,
        empty_label=_("Choose a centre"),
        help_text=_("More than one centre offers this service in your district."),
    )
    name_zh = forms.CharField(label=_("Chinese name"), max_length=50, required=False)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    help_needed = forms.CharField(
        label=_("What help do you need?"),
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("A few sentences are enough; a social worker will contact you."),
    )
    consent = forms.BooleanField(
        label=_(
            "I agree that the information I give here is passed to the service unit so that it "
            "can contact me about my application."
        )
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service_type"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = _offered_service_types()
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, UnitChoiceField)
        unit_field.queryset = selectors.referral_target_units()  # narrowed in clean()
        self.receiving_unit: ServiceUnit | None = None
        self.unit_choices: list[ServiceUnit] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        service_type, district = data.get("service_type"), data.get("district")
        if service_type is None or district is None:
            return data
        units = selectors.referral_target_units().filter(
            service_type=service_type, district=district
        )
        self.unit_choices = list(units)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, UnitChoiceField)
        unit_field.queryset = units
        chosen = data.get("unit")
        if not self.unit_choices:
            self.add_error(
                "district",
                _(
                    "No centre offers this service in your district online yet. Please call "
                    "the Social Welfare Department hotline 2343 2255."
                ),
            )
        elif len(self.unit_choices) == 1:
            self.receiving_unit = self.unit_choices[0]
        elif chosen is not None and chosen in self.unit_choices:
            self.receiving_unit = chosen
        else:
            self.add_error("unit", _("Choose the centre you want to contact."))
        return data

    def person_data(self) -> dict[str, Any]:
        return {
            "name_zh": self.cleaned_data.get("name_zh", ""),
            "name_en": self.cleaned_data.get("name_en", ""),
            "phone": self.cleaned_data.get("phone", ""),
        }

    def referrer(self) -> dict[str, str]:
        names = (self.cleaned_data.get("name_zh", ""), self.cleaned_data.get("name_en", ""))
        return {
            "organisation": "",
            "name": " ".join(n.strip() for n in names if n.strip()),
            "email": self.cleaned_data.get("email") or "",
            "phone": self.cleaned_data.get("phone") or "",
        }


class StatusForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"),
        max_length=20,
        help_text=_("E.g. R-2026-000123"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("Status code"),
        max_length=100,
        help_text=_("The code shown with the reference number when you sent the referral."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
