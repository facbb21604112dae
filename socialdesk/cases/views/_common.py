"""Helpers shared by the case pages: service errors onto forms, conflicts (409), HTMX."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone

from socialdesk.core.concurrency import ConflictError


def is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form: errors naming one of the form's fields go
    next to that field, the others at the top of the form."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


def rebase_version(form: forms.BaseForm, current: Any) -> None:
    """After a conflict the form keeps what the user typed but carries the current version, so
    saving again (as the conflict message invites) applies their values."""
    prefix = form.add_prefix("version")
    data = form.data.copy()  # type: ignore[attr-defined]
    data[prefix] = str(current.version)
    form.data = data


def conflict(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    form: forms.BaseForm,
    error: ConflictError,
    rows: list[tuple[str, str, str]] | None = None,
) -> HttpResponse:
    """Re-show the page with the other person's current values and status 409."""
    form.add_error(None, str(error.message))
    rebase_version(form, error.current)
    context = {**context, "current": error.current, "conflict_rows": rows or []}
    return render(request, template, context, status=409)


def display(value: Any) -> str:
    """A value as the conflict table shows it."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, datetime):
        return str(formats.date_format(timezone.localtime(value), "Y-m-d H:i"))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def conflict_rows(
    form: forms.BaseForm, current: Any, names: Iterable[str], *, shown: dict[str, Any] | None = None
) -> list[tuple[str, str, str]]:
    """(label, what you entered, what is saved now) for the fields whose values differ.
    `shown` overrides how a saved value is shown (e.g. a masked HKID, choice labels)."""
    shown = shown or {}
    rows = []
    for name in names:
        field = form.fields[name]
        mine = form.cleaned_data.get(name) if hasattr(form, "cleaned_data") else None
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            labels = {str(k): str(v) for k, v in field.choices}  # type: ignore[union-attr,misc]
            if isinstance(mine, list):
                mine = [labels.get(str(v), v) for v in mine]
            elif mine is not None:
                mine = labels.get(str(mine), mine)
        theirs = shown[name] if name in shown else getattr(current, name, None)
        if display(mine) != display(theirs):
            rows.append((str(field.label), display(mine), display(theirs)))
    return rows


def posted(request: HttpRequest) -> Any:
    """The submitted data on a POST (even an empty one, so it is validated), else None."""
    return request.POST if request.method == "POST" else None


def posted_files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None
