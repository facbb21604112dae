"""The admin pages for forms, as a system administrator: import from a spreadsheet (good, bad,
not a workbook), preview in both languages, publishing and drafting actions, and questions that
are editable in a draft and read-only once published."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from socialdesk.accounts.models import User
from socialdesk.core.models import Role
from socialdesk.core.tests.world import World
from socialdesk.forms.models import FormDefinition, FormField, FormVersion, VersionStatus
from socialdesk.forms.selectors import form_version_current
from socialdesk.forms.services import (
    form_definitions_load_shipped,
    form_version_publish,
    shipped_definition_paths,
)
from socialdesk.forms.tests.factories import draft_with_fields
from socialdesk.forms.tests.workbooks import workbook_bytes

pytestmark = pytest.mark.django_db

SignedIn = Callable[..., Client]
IMPORT_URL = "/admin/forms/formdefinition/import/"
CARER = json.loads(
    next(p for p in shipped_definition_paths() if p.stem == "carer_stress").read_text("utf-8")
)


def _admin(world: World, language: str = "zh-hant") -> User:
    admin = world.roles[Role.SYSTEM_ADMIN]
    admin.preferred_language = language
    admin.save(update_fields=["preferred_language"])
    return admin


def _xlsx(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("form.xlsx", data)


def test_the_changelist_links_to_the_import(world: World, signed_in: SignedIn) -> None:
    page = signed_in(_admin(world, "en")).get("/admin/forms/formdefinition/").content.decode()
    assert f'href="{IMPORT_URL}"' in page and "Import from spreadsheet" in page


def test_a_good_workbook_becomes_a_draft(world: World, signed_in: SignedIn) -> None:
    client = signed_in(_admin(world, "en"))
    assert client.get(IMPORT_URL).status_code == 200
    response = client.post(IMPORT_URL, {"file": _xlsx(workbook_bytes(CARER)), "code": ""})
    version = FormVersion.objects.get(definition__code="carer_stress")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:forms_formversion_change", args=[version.pk])
    assert version.status == VersionStatus.DRAFT and version.fields.count() == len(CARER["fields"])


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "The workbook was not imported: 3 problems were found."), ("zh-hant", "row 2")],
)
def test_a_bad_workbook_lists_its_problems_and_saves_nothing(
    world: World, signed_in: SignedIn, language: str, expected: str
) -> None:
    data = workbook_bytes(
        {"code": "bad", "name_zh": "壞", "name_en": "Bad", "purpose": "intake"},
        header=["key", "type", "label_zh", "label_en", "required"],
        fields_rows=[["Bad Key", "colour", "甲", "A", "perhaps"]],
    )
    before = FormDefinition.objects.count()
    response = signed_in(_admin(world, language)).post(IMPORT_URL, {"file": _xlsx(data)})
    page = response.content.decode()
    assert response.status_code == 200
    assert expected in page or "第 2 列" in page  # the zh-Hant wording once the catalogue has it
    assert page.count("<li>") >= 3 and 'role="alert"' in page
    if language == "en":
        assert "Sheet “fields”, row 2, column E (required): Write yes or no (是 or 否)." in page
    assert FormDefinition.objects.count() == before


def test_a_file_that_is_not_a_workbook_is_explained(world: World, signed_in: SignedIn) -> None:
    response = signed_in(_admin(world, "en")).post(
        IMPORT_URL, {"file": SimpleUploadedFile("form.xlsx", b"name,type\n")}
    )
    assert "The file is not an Excel workbook (.xlsx)." in response.content.decode()


def test_the_preview_shows_both_languages(world: World, signed_in: SignedIn) -> None:
    form_definitions_load_shipped()
    version = form_version_current(code="intake")
    client = signed_in(_admin(world, "en"))
    change = client.get(reverse("admin:forms_formversion_change", args=[version.pk]))
    preview_url = reverse("admin:forms_formversion_preview", args=[version.pk])
    assert f'href="{preview_url}"' in change.content.decode()
    page = client.get(preview_url).content.decode()
    assert 'lang="zh-Hant"' in page and 'lang="en"' in page
    assert "居住安排" in page and "Living arrangement" in page
    assert (
        'id="id_zh_hant-living_arrangement_0"' in page and 'id="id_en-living_arrangement_0"' in page
    )
    assert "forms/skip_logic.js" in page
    assert "<script>" not in page  # no inline scripts (CSP)
    assert page.count("data-skip-logic") == 2


def test_submitting_a_preview_checks_and_scores_the_answers(
    world: World, signed_in: SignedIn
) -> None:
    form_definitions_load_shipped()
    version = form_version_current(code="carer_stress")
    client = signed_in(_admin(world, "en"))
    url = reverse("admin:forms_formversion_preview", args=[version.pk])
    items = version.scoring["total"]["fields"]
    data = {f"en-{key}": "3" for key in items} | {
        "preview_language": "en",
        "en-care_recipient_relationship": "spouse",
        "en-care_hours_per_week": "70",
        "en-other_helpers": "no",
        "en-harm_thoughts": "yes",
    }
    invalid = client.post(url, data).content.decode()
    assert "This question is required." in invalid  # harm_followup is shown and required
    data["en-harm_followup"] = "Safety plan agreed; daughter informed."
    page = client.post(url, data).content.decode()
    assert "The answers are valid" in page
    assert "Carer stress total" in page and "<td>30</td>" in page and "High strain" in page
    assert "&quot;harm_followup&quot;: &quot;Safety plan agreed" in page
    chinese = client.post(url, {**data, "preview_language": "zh-hant"}).content.decode()
    assert chinese.count("此問題必須回答。") >= 1  # the zh pane got no answers


def test_the_publish_and_draft_actions(world: World, signed_in: SignedIn) -> None:
    draft = draft_with_fields()
    client = signed_in(_admin(world, "en"))
    changelist = "/admin/forms/formversion/"
    response = client.post(
        changelist, {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )
    assert "published" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    again = client.post(
        changelist, {"action": "publish", "_selected_action": [draft.pk]}, follow=True
    )
    assert "was not published" in again.content.decode()
    client.post(changelist, {"action": "create_draft_from", "_selected_action": [draft.pk]})
    new = FormVersion.objects.get(definition=draft.definition, number=draft.number + 1)
    assert new.is_draft and new.fields.count() == draft.fields.count()
    assert "delete_selected" not in client.get(changelist).content.decode()


def test_a_version_is_published_and_copied_from_its_own_page(
    world: World, signed_in: SignedIn
) -> None:
    draft = draft_with_fields()
    client = signed_in(_admin(world, "en"))
    url = reverse("admin:forms_formversion_change", args=[draft.pk])
    page = client.get(url).content.decode()
    assert 'name="CHANGE_FORM-action"' in page and 'value="publish"' in page
    client.post(url, {"CHANGE_FORM-action": "publish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.PUBLISHED
    response = client.post(
        url, {"CHANGE_FORM-action": "create_draft_from", "_selected_action": [draft.pk]}
    )
    new = FormVersion.objects.get(definition=draft.definition, number=draft.number + 1)
    assert response["Location"] == reverse("admin:forms_formversion_change", args=[new.pk])


def test_the_definition_action_starts_a_draft(world: World, signed_in: SignedIn) -> None:
    published = form_version_publish(version=draft_with_fields(), user=None)
    client = signed_in(_admin(world, "en"))
    client.post(
        "/admin/forms/formdefinition/",
        {"action": "start_draft", "_selected_action": [published.definition_id]},
    )
    assert published.definition.versions.filter(status=VersionStatus.DRAFT).count() == 1


def _change_form_data(response: Any) -> dict[str, Any]:
    """The POST data of an admin change page as it was rendered."""
    data: dict[str, Any] = {}
    forms = [response.context["adminform"].form]
    for formset in response.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        forms.append(management)
        forms.extend(formset.formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, (list, dict)) and name == "scoring":
                value = json.dumps(value)
            data[form.add_prefix(name)] = "on" if value is True else value
    return data


def test_questions_of_a_draft_are_edited_in_the_admin(world: World, signed_in: SignedIn) -> None:
    draft = draft_with_fields()
    client = signed_in(_admin(world, "en"))
    url = reverse("admin:forms_formversion_change", args=[draft.pk])
    page = client.get(url)
    assert 'name="fields-0-key"' in page.content.decode()
    data = _change_form_data(page)
    position = next(i for i in range(20) if data.get(f"fields-{i}-key") == "risk")
    data[f"fields-{position}-label_en"] = "Risk level"
    data[f"fields-{position}-choices_text"] = "low|低|Low|0\nhigh|高|High|5"
    data[f"fields-{position}-show_if_text"] = "age >= 18"
    response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    risk = draft.fields.get(key="risk")
    assert risk.label_en == "Risk level"
    assert [c["value"] for c in risk.choices] == ["low", "high"]
    assert risk.show_if == {"field": "age", "op": "gte", "value": "18"}


def test_a_bad_condition_is_refused_in_the_admin(world: World, signed_in: SignedIn) -> None:
    draft = draft_with_fields()
    client = signed_in(_admin(world, "en"))
    url = reverse("admin:forms_formversion_change", args=[draft.pk])
    data = _change_form_data(client.get(url))
    data["fields-0-show_if_text"] = "age >="
    response = client.post(url, data)
    assert response.status_code == 200
    assert "has no value to compare with" in response.content.decode()


def test_questions_of_a_published_version_are_read_only(world: World, signed_in: SignedIn) -> None:
    version = form_version_publish(version=draft_with_fields(), user=None)
    client = signed_in(_admin(world, "en"))
    url = reverse("admin:forms_formversion_change", args=[version.pk])
    page = client.get(url).content.decode()
    assert 'name="fields-0-key"' not in page and 'name="scoring"' not in page
    assert "living_alone = yes" in page  # the condition shown as text
    data = _change_form_data(client.get(url))
    data.update({"fields-0-label_en": "Tampered", "fields-0-id": version.fields.first().pk})
    client.post(url, data)
    assert not FormField.objects.filter(label_en="Tampered").exists()
    delete = client.get(reverse("admin:forms_formversion_delete", args=[version.pk]))
    assert delete.status_code == 403


def test_a_draft_is_deleted_with_its_questions(world: World, signed_in: SignedIn) -> None:
    draft = draft_with_fields()
    client = signed_in(_admin(world, "en"))
    client.post(reverse("admin:forms_formversion_delete", args=[draft.pk]), {"post": "yes"})
    assert not FormVersion.objects.filter(pk=draft.pk).exists()
    assert not FormField.objects.filter(version_id=draft.pk).exists()


@pytest.mark.parametrize("role", [Role.FRONTLINE_WORKER, Role.AGENCY_ADMIN, Role.PRIVACY_OFFICER])
def test_other_staff_cannot_use_the_forms_admin(
    world: World, signed_in: SignedIn, role: str
) -> None:
    version = draft_with_fields()
    before = FormDefinition.objects.count()
    client = signed_in(world.roles[role])
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"file": _xlsx(workbook_bytes(CARER))}).status_code == 403
    preview = reverse("admin:forms_formversion_preview", args=[version.pk])
    assert client.get(preview).status_code == 403
    assert FormDefinition.objects.count() == before
