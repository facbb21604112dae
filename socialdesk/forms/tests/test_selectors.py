"""Reads: definitions by purpose and activity, the current version of a form, one version."""

from __future__ import annotations

import pytest

from socialdesk.forms.models import FormPurpose, FormVersion
from socialdesk.forms.selectors import (
    form_definition_list,
    form_version_current,
    form_version_fields,
    form_version_get,
)
from socialdesk.forms.services import form_version_create_draft, form_version_publish
from socialdesk.forms.tests.factories import FormDefinitionFactory, draft_with_fields

pytestmark = pytest.mark.django_db


def test_definitions_are_listed_by_purpose_and_activity() -> None:
    intake = FormDefinitionFactory(code="a-intake", purpose=FormPurpose.INTAKE)
    screening = FormDefinitionFactory(code="b-screen", purpose=FormPurpose.SCREENING)
    old = FormDefinitionFactory(code="c-old", purpose=FormPurpose.SCREENING, is_active=False)
    assert list(form_definition_list()) == [intake, screening]
    assert list(form_definition_list(purpose=FormPurpose.SCREENING)) == [screening]
    assert list(form_definition_list(active_only=False)) == [intake, screening, old]


def test_the_current_version_is_the_latest_published_one() -> None:
    first = form_version_publish(version=draft_with_fields(), user=None)
    code = first.definition.code
    assert form_version_current(code=code) == first
    draft = form_version_create_draft(definition=first.definition, user=None, copy_from=first)
    assert form_version_current(code=code) == first  # a draft is not current
    form_version_publish(version=draft, user=None)
    assert form_version_current(code=code) == draft
    with pytest.raises(FormVersion.DoesNotExist):
        form_version_current(code="no-such-form")


def test_a_version_is_read_with_its_questions() -> None:
    draft = draft_with_fields()
    assert form_version_get(pk=draft.pk) == draft
    assert form_version_fields(version=draft)[0]["key"] == "name"
    published = form_version_publish(version=draft, user=None)
    assert form_version_fields(version=published) == published.schema
    with pytest.raises(FormVersion.DoesNotExist):
        form_version_get(pk=0)
