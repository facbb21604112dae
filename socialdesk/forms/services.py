"""Writes about form definitions: drafts, publishing (which freezes the schema), editing draft
questions, the spreadsheet import and the definitions shipped with SocialDesk.

`user=None` means the system itself (management commands, the shipped-definition loader);
otherwise the user must be allowed by the forms policies (system administrators).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.concurrency import update_versioned

from .models import FormDefinition, FormField, FormPurpose, FormVersion, VersionStatus
from .schema import check_definition, describe_problem
from .selectors import form_version_fields
from .spreadsheet import read_definition_xlsx

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"
DEFINITION_DETAILS = ("name_zh", "name_en", "purpose", "description_zh", "description_en")
FIELD_ORDER_STEP = 10


def _require(user: Any, model: type[models.Model], action: Action) -> None:
    if user is None:
        return
    if policy_for(model).scope(actor_for(user), action) is None:
        raise PermissionDenied


def _fetch_version(user: Any, version: FormVersion, action: Action) -> FormVersion:
    """The version re-read and locked for writing, after the policy check."""
    if user is not None:
        policy_for(FormVersion).get(user, version.pk, action)
    return FormVersion.objects.select_for_update().select_related("definition").get(pk=version.pk)


def _refuse_unless_draft(version: FormVersion) -> None:
    if not version.is_draft:
        raise ValidationError(
            _(
                "Version %(number)s is %(status)s: its questions and scoring can no longer be "
                "changed. Create a new draft from it instead."
            )
            % {"number": version.number, "status": version.get_status_display()},
            code="not_draft",
        )


def _number(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def _create_field_rows(version: FormVersion, fields: list[dict[str, Any]]) -> None:
    """One FormField row per schema field, saved one by one so each is audited."""
    for position, spec in enumerate(fields, start=1):
        row = FormField(
            version=version,
            order=position * FIELD_ORDER_STEP,
            key=spec["key"],
            field_type=spec["type"],
            label_zh=spec.get("label_zh") or "",
            label_en=spec.get("label_en") or "",
            help_zh=spec.get("help_zh") or "",
            help_en=spec.get("help_en") or "",
            required=bool(spec.get("required")),
            min_value=_number(spec.get("min")),
            max_value=_number(spec.get("max")),
            max_length=spec.get("max_length"),
            choices=spec.get("choices") or [],
            show_if=spec.get("show_if") or None,
            section_zh=spec.get("section_zh") or "",
            section_en=spec.get("section_en") or "",
        )
        row.full_clean(exclude=["version"])
        row.save()


@transaction.atomic
def form_version_create_draft(
    *, definition: FormDefinition, user: Any, copy_from: FormVersion | None = None
) -> FormVersion:
    """Start the next version of a form as a draft, empty or copied from one of its versions."""
    if user is not None:
        policy_for(FormDefinition).get(user, definition.pk, Action.CHANGE)
    _require(user, FormVersion, Action.ADD)
    # Locking the definition serialises version numbering and the one-draft rule.
    locked = FormDefinition.objects.select_for_update().get(pk=definition.pk)
    draft = locked.versions.filter(status=VersionStatus.DRAFT).first()
    if draft is not None:
        raise ValidationError(
            _(
                "Version %(number)s of this form is still a draft. Publish or delete it before "
                "starting another."
            )
            % {"number": draft.number},
            code="draft_exists",
        )
    if copy_from is not None and copy_from.definition_id != locked.pk:
        raise ValidationError(
            _("A draft can only be copied from a version of the same form."), code="other_form"
        )
    highest = locked.versions.aggregate(highest=Max("number"))["highest"] or 0
    version = FormVersion(
        definition=locked,
        number=highest + 1,
        status=VersionStatus.DRAFT,
        scoring=dict(copy_from.scoring) if copy_from is not None else {},
    )
    version.save()
    if copy_from is not None:
        _create_field_rows(version, form_version_fields(version=copy_from))
    return version


@transaction.atomic
def form_version_publish(*, version: FormVersion, user: Any) -> FormVersion:
    """Check a draft, freeze its questions into `schema` and make it the form's current version;
    the previously published version is retired (its answers keep pointing at it)."""
    version = _fetch_version(user, version, Action.CHANGE)
    if not version.is_draft:
        raise ValidationError(
            _("Only a draft can be published; version %(number)s is %(status)s.")
            % {"number": version.number, "status": version.get_status_display()},
            code="not_draft",
        )
    raw_fields = form_version_fields(version=version)
    checked = check_definition(raw_fields, version.scoring)
    if checked.problems:
        raise ValidationError(
            [describe_problem(problem, raw_fields) for problem in checked.problems],
            code="invalid_definition",
        )
    # The rows take the normalised values too, so the frozen schema and the rows agree.
    for row, spec in zip(version.fields.order_by("order", "pk"), checked.fields, strict=True):
        if row.choices != spec["choices"] or (row.show_if or None) != spec["show_if"]:
            row.choices = spec["choices"]
            row.show_if = spec["show_if"]
            row.save(update_fields=["choices", "show_if"])
    previous = FormVersion.objects.select_for_update().filter(
        definition_id=version.definition_id, status=VersionStatus.PUBLISHED
    )
    for old in previous:
        old.status = VersionStatus.RETIRED
        old.save(update_fields=["status", "updated_at"])
    version.schema = checked.fields
    version.scoring = checked.scoring
    version.status = VersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.published_by = user
    version.save()
    return version


@transaction.atomic
def form_version_update_scoring(
    *, version: FormVersion, user: Any, scoring: dict[str, Any]
) -> FormVersion:
    """Replace the scoring rules of a draft (checked when it is published)."""
    version = _fetch_version(user, version, Action.CHANGE)
    _refuse_unless_draft(version)
    version.scoring = scoring or {}
    version.save(update_fields=["scoring", "updated_at"])
    return version


@transaction.atomic
def form_version_delete_draft(*, version: FormVersion, user: Any) -> None:
    """Delete a draft and its questions; published and retired versions are kept for ever."""
    version = _fetch_version(user, version, Action.DELETE)
    _refuse_unless_draft(version)
    for row in version.fields.all():
        row.delete()
    version.delete()


@transaction.atomic
def form_field_save(*, field: FormField, user: Any) -> FormField:
    """Add or change a question of a draft; refused once the version is published."""
    version = _fetch_version(user, FormVersion(pk=field.version_id), Action.CHANGE)
    _refuse_unless_draft(version)
    if field.pk is not None:
        stored = FormField.objects.filter(pk=field.pk).values_list("version_id", flat=True).first()
        if stored is not None and stored != version.pk:
            stored_version = FormVersion.objects.get(pk=stored)
            _refuse_unless_draft(stored_version)
            raise ValidationError(_("A question cannot move to another version."))
    field.full_clean()
    field.save()
    return field


@transaction.atomic
def form_field_delete(*, field: FormField, user: Any) -> None:
    """Remove a question from a draft; refused once the version is published."""
    version = _fetch_version(user, FormVersion(pk=field.version_id), Action.CHANGE)
    _refuse_unless_draft(version)
    field.delete()


def _save_definition_details(
    *, user: Any, code: str, details: dict[str, str]
) -> tuple[FormDefinition, bool]:
    """The definition with this code with `details` applied, created if new."""
    definition = FormDefinition.objects.filter(code=code).first()
    if definition is None:
        _require(user, FormDefinition, Action.ADD)
        definition = FormDefinition(code=code, **details)
        definition.full_clean()
        definition.save()
        return definition, True
    if user is not None:
        policy_for(FormDefinition).get(user, definition.pk, Action.CHANGE)
    changes = {name: value for name, value in details.items() if getattr(definition, name) != value}
    if changes:
        definition = update_versioned(
            definition, expected_version=definition.version, changes=changes
        )
    return definition, False


@transaction.atomic
def form_definition_import_xlsx(
    *, file: IO[bytes] | Any, user: Any, code: str | None = None
) -> FormVersion:
    """Import a form from a spreadsheet as a new draft version (creating the definition if it is
    new); every problem in the workbook is reported at once and nothing is saved."""
    parsed = read_definition_xlsx(file, code=code)
    details = {name: getattr(parsed, name) for name in DEFINITION_DETAILS}
    definition, _created = _save_definition_details(user=user, code=parsed.code, details=details)
    version = form_version_create_draft(definition=definition, user=user)
    _create_field_rows(version, parsed.fields)
    version.scoring = parsed.scoring
    version.save(update_fields=["scoring", "updated_at"])
    return version


def _read_shipped(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValidationError(f"{path.name}: not a JSON object")
    missing = [name for name in ("code", "name_zh", "name_en", "purpose") if not data.get(name)]
    if missing:
        raise ValidationError(f"{path.name}: missing {', '.join(missing)}")
    if data["purpose"] not in FormPurpose.values:
        raise ValidationError(f"{path.name}: unknown purpose {data['purpose']!r}")
    unknown = set(data) - {"code", *DEFINITION_DETAILS, "fields", "scoring"}
    if unknown:
        raise ValidationError(f"{path.name}: unknown keys {sorted(unknown)}")
    return data


def shipped_definition_paths() -> list[Path]:
    """The JSON definitions shipped in socialdesk/forms/definitions/."""
    return sorted(DEFINITIONS_DIR.glob("*.json"))


@transaction.atomic
def form_definitions_load_shipped(*, user: Any = None) -> dict[str, str]:
    """Create or bring up to date the forms shipped with SocialDesk; safe to run again.

    A new form gets version 1, published. A form whose shipped questions or scoring differ from
    its current published version gets a new published version; otherwise nothing changes.
    Returns {code: "created" | "updated" | "unchanged"}.
    """
    outcomes: dict[str, str] = {}
    for path in shipped_definition_paths():
        data = _read_shipped(path)
        checked = check_definition(data.get("fields") or [], data.get("scoring") or {})
        if checked.problems:
            raw = data.get("fields") or []
            raise ValidationError(
                [f"{path.name}: {describe_problem(problem, raw)}" for problem in checked.problems]
            )
        details = {name: str(data.get(name) or "") for name in DEFINITION_DETAILS}
        definition, created = _save_definition_details(
            user=user, code=str(data["code"]), details=details
        )
        current = (
            definition.versions.filter(status=VersionStatus.PUBLISHED).order_by("-number").first()
        )
        if (
            current is not None
            and current.schema == checked.fields
            and (current.scoring or {}) == checked.scoring
        ):
            outcomes[definition.code] = "unchanged"
            continue
        draft = form_version_create_draft(definition=definition, user=user)
        _create_field_rows(draft, checked.fields)
        draft.scoring = checked.scoring
        draft.save(update_fields=["scoring", "updated_at"])
        form_version_publish(version=draft, user=user)
        outcomes[definition.code] = "created" if created or current is None else "updated"
    return outcomes
