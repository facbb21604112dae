"""Publishing: the checks a draft must pass, freezing the schema, retiring the previous version,
immutability afterwards, and old versions keeping their questions."""

from __future__ import annotations

import copy

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from socialdesk.core.models import Role
from socialdesk.core.tests.world import World
from socialdesk.forms.models import FormField, FormVersion, VersionStatus
from socialdesk.forms.runtime import validate_answers
from socialdesk.forms.services import (
    form_field_delete,
    form_field_save,
    form_version_create_draft,
    form_version_delete_draft,
    form_version_publish,
    form_version_update_scoring,
)
from socialdesk.forms.tests.factories import SAMPLE_FIELDS, draft_with_fields

pytestmark = pytest.mark.django_db


def test_publishing_freezes_the_questions_and_records_who(world: World) -> None:
    admin = world.roles[Role.SYSTEM_ADMIN]
    draft = draft_with_fields()
    version = form_version_publish(version=draft, user=admin)
    assert version.status == VersionStatus.PUBLISHED
    assert version.published_by == admin and version.published_at is not None
    assert [field["key"] for field in version.schema] == [f["key"] for f in SAMPLE_FIELDS]
    stored = FormVersion.objects.get(pk=version.pk)
    assert stored.schema == version.schema
    assert stored.scoring["total"]["fields"] == ["risk", "needs", "mood", "living_alone"]


def test_publishing_reports_every_problem_at_once() -> None:
    fields = copy.deepcopy(SAMPLE_FIELDS)
    fields[1]["min"], fields[1]["max"] = 50, 10
    fields[6]["choices"] = []
    fields[3]["show_if"] = {"field": "risk_plan", "op": "eq", "value": "x"}
    draft = draft_with_fields(fields, scoring={"total": {"fields": ["nowhere"], "bands": []}})
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        form_version_publish(version=draft, user=None)
    messages = " | ".join(caught.value.messages)
    assert "Question 2 (age): The minimum is greater than the maximum." in messages
    assert "Question 7 (risk): A choice question needs at least one choice." in messages
    assert "Question 4 (emergency_contact)" in messages and "not an earlier question" in messages
    assert "refers to “nowhere”" in messages
    draft.refresh_from_db()
    assert draft.status == VersionStatus.DRAFT and draft.schema == []


def test_publishing_retires_the_previous_version() -> None:
    first = form_version_publish(version=draft_with_fields(), user=None)
    second = form_version_create_draft(definition=first.definition, user=None, copy_from=first)
    assert second.number == 2 and second.fields.count() == len(SAMPLE_FIELDS)
    form_version_publish(version=second, user=None)
    first.refresh_from_db()
    assert first.status == VersionStatus.RETIRED
    assert first.definition.versions.filter(status=VersionStatus.PUBLISHED).get() == second


def test_old_answers_keep_their_version_after_the_form_changes() -> None:
    first = form_version_publish(version=draft_with_fields(), user=None)
    answers, _ = validate_answers(
        first.schema, {"name": "A", "age": "7", "living_alone": "no", "risk": "low"}
    )
    second = form_version_create_draft(definition=first.definition, user=None, copy_from=first)
    age = second.fields.get(key="age")
    age.label_en = "Age in years"
    age.max_value = 10
    form_field_save(field=age, user=None)
    form_field_delete(field=second.fields.get(key="name"), user=None)
    form_version_publish(version=second, user=None)

    first.refresh_from_db()
    assert first.schema[0]["key"] == "name"
    assert next(f for f in first.schema if f["key"] == "age")["label_en"] == "Age"
    assert validate_answers(first.schema, answers)[1] == {}
    second.refresh_from_db()
    assert "name" not in [f["key"] for f in second.schema]


def test_a_published_version_cannot_be_edited() -> None:
    version = form_version_publish(version=draft_with_fields(), user=None)
    row = version.fields.get(key="age")
    row.label_en = "Changed"
    with pytest.raises(ValidationError, match="can no longer be changed"):
        form_field_save(field=row, user=None)
    with pytest.raises(ValidationError):
        form_field_save(
            field=FormField(
                version=version, key="extra", field_type="text", label_zh="甲", label_en="A"
            ),
            user=None,
        )
    with pytest.raises(ValidationError):
        form_field_delete(field=row, user=None)
    with pytest.raises(ValidationError):
        form_version_update_scoring(version=version, user=None, scoring={})
    with pytest.raises(ValidationError):
        form_version_delete_draft(version=version, user=None)
    with pytest.raises(ValidationError, match="Only a draft can be published"):
        form_version_publish(version=version, user=None)
    assert FormField.objects.get(pk=row.pk).label_en == "Age"


def test_a_question_cannot_move_out_of_a_published_version() -> None:
    published = form_version_publish(version=draft_with_fields(), user=None)
    draft = form_version_create_draft(definition=published.definition, user=None)
    row = published.fields.get(key="age")
    row.version = draft
    with pytest.raises(ValidationError):
        form_field_save(field=row, user=None)


def test_only_one_draft_at_a_time_and_only_from_the_same_form() -> None:
    draft = draft_with_fields()
    with pytest.raises(ValidationError, match="still a draft"):
        form_version_create_draft(definition=draft.definition, user=None)
    other = draft_with_fields()
    form_version_delete_draft(version=draft, user=None)
    with pytest.raises(ValidationError, match="same form"):
        form_version_create_draft(definition=draft.definition, user=None, copy_from=other)


def test_a_deleted_draft_takes_its_questions_with_it() -> None:
    draft = draft_with_fields()
    form_version_delete_draft(version=draft, user=None)
    assert not FormVersion.objects.filter(pk=draft.pk).exists()
    assert not FormField.objects.filter(version_id=draft.pk).exists()


def test_publishing_normalises_the_rows_too() -> None:
    fields = copy.deepcopy(SAMPLE_FIELDS)
    fields[3]["show_if"] = {"field": "living_alone", "op": "eq", "value": "yes"}
    version = form_version_publish(version=draft_with_fields(fields), user=None)
    assert version.fields.get(key="emergency_contact").show_if["value"] is True


def test_only_system_administrators_may_publish_or_draft(world: World) -> None:
    draft = draft_with_fields()
    for role in (Role.FRONTLINE_WORKER, Role.AGENCY_ADMIN, Role.SWD_SUBVENTIONS):
        with pytest.raises(PermissionDenied):
            form_version_publish(version=draft, user=world.roles[role])
        with pytest.raises(PermissionDenied):
            form_version_delete_draft(version=draft, user=world.roles[role])
    published = form_version_publish(version=draft, user=world.roles[Role.SYSTEM_ADMIN])
    with pytest.raises(PermissionDenied):
        form_version_create_draft(
            definition=published.definition, user=world.roles[Role.UNIT_SUPERVISOR]
        )


def test_writes_are_audited(world: World) -> None:
    draft = draft_with_fields()
    form_version_publish(version=draft, user=world.roles[Role.SYSTEM_ADMIN])
    entries = LogEntry.objects.get_for_object(draft)
    assert entries.filter(action=LogEntry.Action.UPDATE).exists()
    assert LogEntry.objects.get_for_objects(FormField.objects.filter(version=draft)).count() >= len(
        SAMPLE_FIELDS
    )
    assert "schema" not in (entries.filter(action=LogEntry.Action.UPDATE).first().changes or {})
