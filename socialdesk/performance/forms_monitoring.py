"""Forms of the alert and improvement plan (SIAP) pages. They parse input; the services in
services/improvement.py decide, and their ValidationErrors come back next to the field they
name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VersionField(forms.IntegerField):
    """The version of the plan the page was showing; a stale one is a conflict (409)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("label", _("version"))
        super().__init__(**kwargs)


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class SiapVersionForm(forms.Form):
    version = VersionField()


class SiapStartForm(forms.Form):
    """Which of the unit's open alerts the new plan answers."""

    alerts = forms.TypedMultipleChoiceField(
        label=_("Alerts the plan answers"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alerts"].choices = choices  # type: ignore[attr-defined]


class SiapAnalysisForm(forms.Form):
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "analysis_%s")
        super().__init__(*args, **kwargs)

    analysis = forms.CharField(
        label=_("Reasons for the shortfall"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What kept the unit below the standard, and what the actions change."),
    )


class SiapActionForm(forms.Form):
    """A new action, or the changes to one (`action` names it)."""

    version = VersionField()
    action = forms.IntegerField(widget=forms.HiddenInput, required=False)
    description = forms.CharField(label=pgettext_lazy("improvement plan", "Action"), max_length=500)
    owner = forms.CharField(label=_("Owner"), max_length=120)
    milestone = forms.CharField(label=_("Milestone"), max_length=200, required=False)
    due_on = forms.DateField(label=_("Due on"), widget=date_input())
    done_on = forms.DateField(label=_("Done on"), widget=date_input(), required=False)


class SiapActionDoneForm(forms.Form):
    version = VersionField()
    action = forms.IntegerField(widget=forms.HiddenInput)
    done_on = forms.DateField(label=_("Done on"), widget=date_input(), required=False)


class SiapReviewForm(forms.Form):
    ACCEPT, RETURN = "accept", "return"
    version = VersionField()
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(ACCEPT, _("Accept the plan")), (RETURN, _("Return it to the agency"))],
        widget=forms.RadioSelect,
    )
    comments = forms.CharField(
        label=_("Comments to the agency"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you return the plan."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "review_%s")
        super().__init__(*args, **kwargs)
