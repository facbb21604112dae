"""Audit log search form."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .selectors import AuditFilter, audited_model_choices

ACTION_CHOICES = [
    ("", _("Any action")),
    (str(LogEntry.Action.CREATE), _("Create")),
    (str(LogEntry.Action.UPDATE), _("Update")),
    (str(LogEntry.Action.DELETE), _("Delete")),
    (str(LogEntry.Action.ACCESS), _("Read")),
]


class AuditSearchForm(forms.Form):
    user = forms.CharField(label=_("Username"), required=False, max_length=150)
    model = forms.ChoiceField(label=_("Record type"), required=False)
    object_pk = forms.CharField(label=_("Record ID"), required=False, max_length=64)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=ACTION_CHOICES)
    date_from = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [  # type: ignore[attr-defined]
            ("", _("Any record type")),
            *audited_model_choices(),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return data

    def to_filter(self) -> AuditFilter:
        data = self.cleaned_data
        return AuditFilter(
            user=data.get("user") or "",
            model=data.get("model") or "",
            object_pk=(data.get("object_pk") or "").strip(),
            action=int(data["action"]) if data.get("action") else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
