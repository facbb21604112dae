"""Forms of the statistical return pages. They parse input; the services decide (their
ValidationErrors, keyed by figure — "cases_served", "cases_served[sex:F]" — come back onto the
input of that figure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import ReturnStatus
from .selectors.returns import FigureRow, ReturnFilterChoices, StartOption

Key = tuple[str, str]
FIGURES_FORM_ID = "figures-form"
SEND_BACK_FORM_ID = "send-back-form"


def upload_max_bytes() -> int:
    """The largest workbook the upload accepts (the spreadsheet module's limit)."""
    from .spreadsheet import max_upload_bytes

    return max_upload_bytes()


class VersionField(forms.IntegerField):
    """The version of the return the page was showing; a stale one is a conflict (409)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.HiddenInput)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("label", _("version"))
        super().__init__(**kwargs)


class VersionForm(forms.Form):
    """Endorse and accept: only the version the page was showing."""

    version = VersionField()


class ReasonForm(forms.Form):
    """Unlock an accepted return: the reason is recorded in its history."""

    version = VersionField()
    reason = forms.CharField(
        label=_("Reason for unlocking"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "unlock_%s")
        super().__init__(*args, **kwargs)


def _choice(value: Any) -> str:
    return "" if value is None else str(value)


class ReturnFilterForm(forms.Form):
    """The list's filters; every choice comes from the returns the user may see."""

    year = forms.TypedChoiceField(
        label=_("Financial year"), required=False, coerce=int, empty_value=None
    )
    period = forms.TypedChoiceField(label=_("Period"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Status"), required=False)
    service_type = forms.TypedChoiceField(
        label=_("Service type"), required=False, coerce=int, empty_value=None
    )
    agency = forms.TypedChoiceField(label=_("Agency"), required=False, coerce=int, empty_value=None)
    unit = forms.TypedChoiceField(
        label=_("Service unit"), required=False, coerce=int, empty_value=None
    )
    waiting = forms.BooleanField(label=_("Only those waiting for me"), required=False)

    def __init__(self, data: Any = None, *, choices: ReturnFilterChoices) -> None:
        super().__init__(data)
        field = self.fields
        field["year"].choices = [  # type: ignore[attr-defined]
            ("", _("All years")),
            *((y, f"{y}-{(y + 1) % 100:02d}") for y in choices.years),
        ]
        field["period"].choices = [  # type: ignore[attr-defined]
            ("", _("All periods")),
            *((p.pk, p.label) for p in choices.periods),
        ]
        field["status"].choices = [  # type: ignore[attr-defined]
            ("", _("All statuses")),
            *ReturnStatus.choices,
        ]
        field["service_type"].choices = [  # type: ignore[attr-defined]
            ("", _("All service types")),
            *((t.pk, f"{t.abbreviation} · {t.name}") for t in choices.service_types),
        ]
        if choices.organisations:
            field["agency"].choices = [  # type: ignore[attr-defined]
                ("", _("All agencies")),
                *((o.pk, o.name) for o in choices.organisations),
            ]
        else:
            del field["agency"]
        field["unit"].choices = [  # type: ignore[attr-defined]
            ("", _("All service units")),
            *((u.pk, u.name) for u in choices.units),
        ]

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments (empty when the filters are not valid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "fiscal_year": data.get("year"),
            "period_id": data.get("period"),
            "status": data.get("status") or "",
            "service_type_id": data.get("service_type"),
            "organisation_id": data.get("agency"),
            "unit_id": data.get("unit"),
            "waiting": bool(data.get("waiting")),
        }


class ReturnStartForm(forms.Form):
    """Start the return of one of the user's units for a period that has ended."""

    option = forms.ChoiceField(label=_("Service unit and period"))

    def __init__(self, data: Any = None, *, options: Iterable[StartOption]) -> None:
        super().__init__(data, auto_id="start_%s")
        self.options = {option.key: option for option in options}
        self.fields["option"].choices = [  # type: ignore[attr-defined]
            (key, option.label) for key, option in self.options.items()
        ]

    def chosen(self) -> StartOption:
        return self.options[self.cleaned_data["option"]]


def value_name(row: FigureRow) -> str:
    return f"value-{row.slug}"


def comment_name(row: FigureRow) -> str:
    return f"comment-{row.slug}"


def reopen_name(row: FigureRow) -> str:
    return f"reopen-{row.slug}"


def reopen_reason_name(row: FigureRow) -> str:
    return f"reopen_reason-{row.slug}"


class FigureForm(forms.Form):
    """A form with an input per figure. `add_service_errors` puts a service's ValidationError on
    it: a figure's errors next to its input (with the figure's name at the top when it has no
    input here), the others at the top."""

    figure_fields: dict[str, str]  # the services' figure label → this form's field name
    row_names: dict[str, str]  # figure label → its name, for errors shown at the top

    def add_service_errors(self, error: ValidationError) -> None:
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            name = self.figure_fields.get(key) or (key if key in self.fields else None)
            for item in errors:
                if name is None and key in self.row_names:
                    text = "; ".join(str(m) for m in item.messages)
                    self.add_error(None, f"{self.row_names[key]}: {text}")
                else:
                    self.add_error(name, item)


class ReturnFiguresForm(FigureForm):
    """The figures (and comments) the user may change: every figure of a draft, only the returned
    ones of a returned return. Save and submit post it; a figure missing from the post is left
    as it is."""

    version = VersionField()

    def __init__(self, data: Any = None, *, rows: Iterable[FigureRow], version: int) -> None:
        super().__init__(data, initial={"version": version})
        rows = list(rows)
        self.figure_fields = {}
        self.row_names = {row.label: row.full_name for row in rows}
        self.keys: dict[str, Key] = {}
        self.comment_keys: dict[str, Key] = {}
        for row in rows:
            if not row.editable:
                continue
            name = value_name(row)
            self.fields[name] = forms.CharField(
                label=row.full_name,
                required=False,
                max_length=30,
                initial=row.input_value,
                # The checks' errors are shown with this id, so the input is described by them.
                help_text=" ".join(row.errors),
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "size": 8,
                        "autocomplete": "off",
                        "form": FIGURES_FORM_ID,
                    }
                ),
            )
            self.keys[name] = row.key
            self.figure_fields[row.label] = name
            if not row.is_breakdown:
                comment = comment_name(row)
                self.fields[comment] = forms.CharField(
                    label=_("Comment"),
                    required=False,
                    max_length=500,
                    initial=row.comment,
                    help_text=" ".join(row.warnings),
                    widget=forms.TextInput(attrs={"form": FIGURES_FORM_ID}),
                )
                self.comment_keys[comment] = row.key

    def _posted(self, names: Mapping[str, Key]) -> dict[Key, str]:
        return {
            key: self.cleaned_data.get(name) or ""
            for name, key in names.items()
            if name in self.data
        }

    def values(self) -> dict[Key, str]:
        """The figures posted (as typed: the service parses them)."""
        return self._posted(self.keys)

    def comments(self) -> dict[Key, str]:
        return self._posted(self.comment_keys)

    def typed(self) -> dict[str, str]:
        """Figure label → what was typed, for the conflict table."""
        labels = {name: label for label, name in self.figure_fields.items()}
        return {
            labels[name]: str(self.data.get(name, "")) for name in self.keys if name in self.data
        }


class SendBackForm(FigureForm):
    """Return a return for correction with a reason. SWD may pick the figures to reopen, each
    with its own reason (none picked: every figure reopens); the agency returns the whole return."""

    version = VersionField()
    reason = forms.CharField(
        label=_("Reason for returning"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "form": SEND_BACK_FORM_ID}),
    )

    def __init__(
        self, data: Any = None, *, rows: Iterable[FigureRow], version: int, per_figure: bool
    ) -> None:
        super().__init__(data, initial={"version": version}, auto_id="send_back_%s")
        self.figure_fields = {}
        self.row_names = {}
        self.reopen: dict[str, tuple[Key, str]] = {}
        if not per_figure:
            return
        attrs = {"form": SEND_BACK_FORM_ID}
        for row in rows:
            self.row_names[row.label] = row.full_name
            tick, reason = reopen_name(row), reopen_reason_name(row)
            self.fields[tick] = forms.BooleanField(
                label=_("Return %(figure)s") % {"figure": row.full_name},
                required=False,
                widget=forms.CheckboxInput(attrs=attrs),
            )
            self.fields[reason] = forms.CharField(
                label=_("Reason for returning %(figure)s") % {"figure": row.full_name},
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={**attrs, "placeholder": _("Reason")}),
            )
            self.reopen[tick] = (row.key, reason)
            self.figure_fields[row.label] = reason

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for tick, (_key, reason) in self.reopen.items():
            if data.get(reason) and not data.get(tick):
                self.add_error(tick, _("Tick the figure to return it, or clear its reason."))
        return data

    def figures(self) -> dict[Key, str]:
        """The figures to reopen with their reasons (empty: all of them)."""
        return {
            key: self.cleaned_data.get(reason) or ""
            for tick, (key, reason) in self.reopen.items()
            if self.cleaned_data.get(tick)
        }


class ReturnUploadForm(forms.Form):
    """A return's Excel template, filled in."""

    file = forms.FileField(
        label=_("Filled-in Excel template (.xlsx)"),
        widget=forms.FileInput(attrs={"accept": ".xlsx"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "upload_%s")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _("At most %(size)s.") % {
            "size": filesizeformat(upload_max_bytes())
        }

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > upload_max_bytes():
            raise ValidationError(
                _("The file is larger than %(size)s.")
                % {"size": filesizeformat(upload_max_bytes())}
            )
        return upload
