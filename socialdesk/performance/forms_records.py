"""Forms of the records pages (field assessments, complaints, agencies' financial figures). They
parse input; the services in services/records.py decide, and their ValidationErrors come back
onto these forms next to the field they name."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from socialdesk.core.models import Organisation

from .models import AssessmentOutcome, ComplaintStatus
from .models.records import RESERVE_CAP
from .periods import fiscal_year_of, year_label
from .services.records import AMOUNT_FIELDS, CONCLUDED, FIRST_FISCAL_YEAR, REQUIRED_AMOUNTS

CAP_PERCENT = int(RESERVE_CAP * 100)


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def textarea(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class VersionField(forms.IntegerField):
    """The version of the record the page was showing; a stale one is a conflict (409)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("label", _("version"))
        super().__init__(**kwargs)


class FieldAssessmentForm(forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=date_input())
    assessor = forms.CharField(
        label=_("Assessor"),
        max_length=120,
        help_text=_("The SWD officer or team who visited."),
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=AssessmentOutcome.choices, widget=forms.RadioSelect
    )
    findings = forms.CharField(label=_("Findings"), widget=textarea(5))
    follow_up = forms.CharField(
        label=_("Follow-up required"),
        required=False,
        widget=textarea(3),
        help_text=_("Needed when the requirements were not fully met."),
    )
    follow_up_due_on = forms.DateField(
        label=_("Follow-up due on"), required=False, widget=date_input()
    )


class FieldAssessmentEditForm(FieldAssessmentForm):
    version = VersionField()


class FollowUpDoneForm(forms.Form):
    version = VersionField()
    follow_up_done_on = forms.DateField(
        label=_("Follow-up done on"), required=False, widget=date_input()
    )


class ComplaintForm(forms.Form):
    received_on = forms.DateField(label=_("Received on"), widget=date_input())
    channel = forms.CharField(
        label=_("Received through"),
        max_length=60,
        required=False,
        help_text=_("For example: letter, phone, email, 1823, Legislative Council."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200)
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        widget=textarea(4),
        help_text=_("No complainant's personal data: the case file holds it."),
    )


class ComplaintEditForm(ComplaintForm):
    version = VersionField()


class ComplaintConcludeForm(forms.Form):
    version = VersionField()
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[(c.value, c.label) for c in ComplaintStatus if c in CONCLUDED],
        widget=forms.RadioSelect,
    )
    concluded_on = forms.DateField(label=_("Concluded on"), widget=date_input())
    improvement = forms.CharField(
        label=_("Improvement made"),
        required=False,
        widget=textarea(4),
        help_text=_("Needed when the complaint was substantiated, fully or partly."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("concluded_on", timezone.localdate())


class AgencyChoiceForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Agency"), queryset=Organisation.objects.none(), empty_label=_("Choose an agency")
    )

    def __init__(self, *args: Any, organisations: QuerySet[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = organisations


AMOUNT_LABELS = {
    "lsg_income": _("Lump Sum Grant income"),
    "other_subvention_income": _("Other government subventions"),
    "lotteries_fund_income": _("Lotteries Fund"),
    "fees_income": _("Fees and charges"),
    "donations_income": _("Donations and other income"),
    "operating_expenditure": _("Operating expenditure (LSG activities)"),
    "lsg_reserve": _("LSG reserve at year end"),
}


def amount_field(name: str) -> forms.DecimalField:
    """An amount in HK$ (the service checks the range: no negatives, no typing errors)."""
    return forms.DecimalField(
        label=AMOUNT_LABELS[name],
        required=name in REQUIRED_AMOUNTS,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class FinancialFiguresForm(forms.Form):
    """A year's figures; `organisation` and `fiscal_year` only when entering a new year."""

    version = VersionField(required=False)
    organisation = forms.ModelChoiceField(label=_("Agency"), queryset=Organisation.objects.none())
    fiscal_year = forms.TypedChoiceField(label=_("Financial year"), coerce=int, choices=[])
    lsg_income = amount_field("lsg_income")
    other_subvention_income = amount_field("other_subvention_income")
    lotteries_fund_income = amount_field("lotteries_fund_income")
    fees_income = amount_field("fees_income")
    donations_income = amount_field("donations_income")
    operating_expenditure = amount_field("operating_expenditure")
    lsg_reserve = amount_field("lsg_reserve")
    notes = forms.CharField(label=_("Notes"), required=False, widget=textarea(3))

    def __init__(
        self,
        *args: Any,
        organisations: QuerySet[Organisation] | None = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lsg_reserve"].help_text = _(
            "The reserve may be at most %(cap)s of the year's operating expenditure."
        ) % {"cap": f"{CAP_PERCENT}\u00a0%"}
        if editing:
            del self.fields["organisation"]
            del self.fields["fiscal_year"]
            self.fields["version"].required = True
            return
        del self.fields["version"]
        organisation_field = self.fields["organisation"]
        assert isinstance(organisation_field, forms.ModelChoiceField)
        organisation_field.queryset = (
            organisations if organisations is not None else Organisation.objects.none()
        )
        latest = fiscal_year_of(timezone.localdate())
        year_field = self.fields["fiscal_year"]
        assert isinstance(year_field, forms.TypedChoiceField)
        year_field.choices = [
            (year, year_label(year)) for year in range(latest, FIRST_FISCAL_YEAR - 1, -1)
        ]
        if not self.is_bound:
            self.initial.setdefault("fiscal_year", latest - 1)

    def figures(self) -> dict[str, Decimal | str | None]:
        """The figures and notes as the services take them."""
        names = (*AMOUNT_FIELDS, "notes")
        return {name: self.cleaned_data.get(name) for name in names}
