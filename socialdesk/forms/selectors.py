"""Reads of form definitions and versions. Forms are reference data every signed-in staff member
may read (see policies.py), so these take no user; the pages calling them require sign-in."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from .models import FormDefinition, FormField, FormVersion, VersionStatus
from .values import number_json


def form_definition_list(
    *, purpose: str | None = None, active_only: bool = True
) -> QuerySet[FormDefinition]:
    """Form definitions, optionally of one purpose; only active ones unless asked otherwise."""
    qs = FormDefinition.objects.all()
    if purpose:
        qs = qs.filter(purpose=purpose)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("code")


def form_version_current(*, code: str) -> FormVersion:
    """The latest published version of the form with this code (the one new answers use);
    raises FormVersion.DoesNotExist when the form has none."""
    return (
        FormVersion.objects.select_related("definition")
        .filter(definition__code=code, status=VersionStatus.PUBLISHED)
        .latest("number")
    )


def form_version_get(*, pk: Any) -> FormVersion:
    """One version with its definition (raises FormVersion.DoesNotExist)."""
    return FormVersion.objects.select_related("definition").get(pk=pk)


def form_version_list(*, definition: FormDefinition) -> QuerySet[FormVersion]:
    """The versions of a definition, newest first."""
    return definition.versions.select_related("published_by").order_by("-number")


def _bound(value: Decimal | None) -> int | str | None:
    return number_json(value) if value is not None else None


def form_field_as_schema(row: FormField) -> dict[str, Any]:
    """A question row as a schema field dict (not yet checked: see schema.check_definition)."""
    return {
        "key": row.key,
        "type": row.field_type,
        "label_zh": row.label_zh,
        "label_en": row.label_en,
        "help_zh": row.help_zh,
        "help_en": row.help_en,
        "required": row.required,
        "min": _bound(row.min_value),
        "max": _bound(row.max_value),
        "max_length": row.max_length,
        "choices": row.choices or [],
        "show_if": row.show_if or None,
        "section_zh": row.section_zh,
        "section_en": row.section_en,
    }


def form_version_fields(*, version: FormVersion) -> list[dict[str, Any]]:
    """The questions of a version as schema dicts: the frozen schema once published, the
    current question rows while it is a draft."""
    if not version.is_draft:
        return [dict(field) for field in version.schema]
    return [form_field_as_schema(row) for row in version.fields.order_by("order", "pk")]
