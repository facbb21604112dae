"""The spreadsheet import: the shipped forms as workbooks, every problem listed with its sheet,
row and column, files that are not workbooks or too big, and nothing written on error."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from socialdesk.core.models import Role
from socialdesk.core.tests.world import World
from socialdesk.forms.models import FormDefinition, FormField, FormVersion, VersionStatus
from socialdesk.forms.schema import check_definition
from socialdesk.forms.services import (
    form_definition_import_xlsx,
    form_version_publish,
    shipped_definition_paths,
)
from socialdesk.forms.spreadsheet import MAX_UPLOAD_BYTES, SpreadsheetError
from socialdesk.forms.tests.workbooks import workbook_bytes

pytestmark = pytest.mark.django_db

SHIPPED = {
    path.stem: json.loads(path.read_text(encoding="utf-8")) for path in shipped_definition_paths()
}
HEADER = ["key", "type", "label_zh", "label_en", "required", "min", "max", "choices", "show_if"]


def _upload(data: bytes, name: str = "form.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _counts() -> tuple[int, int, int]:
    return FormDefinition.objects.count(), FormVersion.objects.count(), FormField.objects.count()


@pytest.mark.parametrize("name", ["intake", "risk_screening", "carer_stress"])
def test_the_shipped_forms_import_from_workbooks_unchanged(name: str) -> None:
    definition = SHIPPED[name]
    version = form_definition_import_xlsx(file=_upload(workbook_bytes(definition)), user=None)
    assert version.status == VersionStatus.DRAFT and version.number == 1
    assert version.definition.code == definition["code"]
    assert version.definition.name_zh == definition["name_zh"]
    published = form_version_publish(version=version, user=None)
    expected = check_definition(definition["fields"], definition.get("scoring"))
    assert published.schema == expected.fields
    assert published.scoring == expected.scoring


def test_importing_an_existing_form_adds_a_draft_version_and_updates_its_details(
    world: World,
) -> None:
    admin = world.roles[Role.SYSTEM_ADMIN]
    definition = copy.deepcopy(SHIPPED["carer_stress"])
    first = form_definition_import_xlsx(file=_upload(workbook_bytes(definition)), user=admin)
    form_version_publish(version=first, user=admin)
    definition["name_en"] = "Carer strain screening"
    definition["fields"][2]["max"] = 120
    second = form_definition_import_xlsx(
        file=_upload(workbook_bytes(definition)), user=admin, code="carer_stress"
    )
    assert second.number == 2 and second.definition_id == first.definition_id
    assert second.fields.get(key="care_hours_per_week").max_value == 120
    second.definition.refresh_from_db()
    assert second.definition.name_en == "Carer strain screening"
    assert second.definition.version == 2


BAD_ROWS: list[list[Any]] = [
    ["name", "text", "姓名", "Name", "yes", None, None, None, None],  # row 2: fine
    [
        "age",
        "integer",
        "年齡",
        "",
        "maybe",
        10,
        5,
        None,
        None,
    ],  # row 3: label_en, required, min>max
    ["name", "choice", "重複", "Duplicate", "no", None, None, "a|甲", None],  # row 4: key, choices
    ["risk", "choice", "風險", "Risk", "no", None, None, "low|低|Low;high|高|High", "age >="],  # 5
    ["note", "textarea", "備註", "Note", "no", None, None, None, "later = yes"],  # row 6: show_if
    ["colour", "colour", "顏色", "Colour", "no", None, None, None, None],  # row 7: type
]


def test_a_bad_workbook_lists_every_problem_with_sheet_row_and_column() -> None:
    data = workbook_bytes(
        {"code": "bad-form", "name_zh": "壞表", "name_en": "", "purpose": "wishful"},
        header=HEADER,
        fields_rows=BAD_ROWS,
    )
    before = _counts()
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        form_definition_import_xlsx(file=_upload(data), user=None)
    problems = {(p.sheet, p.row, p.column): p.message for p in caught.value.problems}
    messages = caught.value.messages
    assert ("form", None, None) in problems  # name_en and purpose
    assert any("name_en" in m for m in messages) and any(
        "“wishful” is not a purpose" in m for m in messages
    )
    assert problems[("fields", 3, "D (label_en)")] == "This is required."
    assert problems[("fields", 3, "E (required)")] == "Write yes or no (是 or 否)."
    assert problems[("fields", 3, "G (max)")] == "The minimum is greater than the maximum."
    assert problems[("fields", 4, "A (key)")] == "The key “name” is used twice."
    assert "value|Chinese label|English label" in problems[("fields", 4, "H (choices)")]
    assert "has no value to compare with" in problems[("fields", 5, "I (show_if)")]
    assert "not an earlier question" in problems[("fields", 6, "I (show_if)")]
    assert "“colour” is not a field type" in problems[("fields", 7, "B (type)")]
    assert "Sheet “fields”, row 3, column D (label_en): This is required." in messages
    assert len(messages) >= 10
    assert _counts() == before


def test_problems_are_listed_in_the_users_language() -> None:
    data = workbook_bytes(
        {"code": "bad-form", "name_zh": "壞表", "name_en": "Bad", "purpose": "intake"},
        header=HEADER,
        fields_rows=[["a", "colour", "甲", "A", "no", None, None, None, None]],
    )
    with translation.override("zh-hant"), pytest.raises(SpreadsheetError) as chinese:
        form_definition_import_xlsx(file=_upload(data), user=None)
    with translation.override("en"), pytest.raises(SpreadsheetError) as english:
        form_definition_import_xlsx(file=_upload(data), user=None)
    assert english.value.messages[0].startswith("Sheet “fields”, row 2, column B (type)")
    assert chinese.value.problems[0].row == 2


def test_a_missing_sheet_or_column_is_reported() -> None:
    data = workbook_bytes(
        {"code": "x", "name_zh": "甲", "name_en": "A", "purpose": "other"},
        header=["key", "type", "label_zh", "colour"],
        fields_rows=[["a", "text", "甲", "red"]],
    )
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        form_definition_import_xlsx(file=_upload(data), user=None)
    text = " | ".join(caught.value.messages)
    assert "“colour” is not a known column" in text
    assert "Missing columns: label_en." in text


def test_a_file_that_is_not_a_workbook_is_refused_clearly() -> None:
    for data in (b"key,type\nname,text\n", b"%PDF-1.7 ...", b""):
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            form_definition_import_xlsx(file=_upload(data, "form.xlsx"), user=None)
        assert caught.value.messages == [
            "The file is not an Excel workbook (.xlsx). Save it from Excel as “Excel Workbook”."
        ]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("word/document.xml", "<w/>")
    with pytest.raises(ValidationError, match="not an Excel workbook"):
        form_definition_import_xlsx(file=_upload(archive.getvalue()), user=None)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as zipped:
        zipped.writestr("xl/workbook.xml", "<not-a-workbook")
    with pytest.raises(ValidationError, match="not an Excel workbook"):
        form_definition_import_xlsx(file=_upload(broken.getvalue()), user=None)


def test_a_file_that_is_too_big_is_refused_before_it_is_read() -> None:
    data = workbook_bytes(SHIPPED["intake"]) + b"\0" * MAX_UPLOAD_BYTES
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        form_definition_import_xlsx(file=_upload(data), user=None)
    assert caught.value.messages == ["The file is larger than 2 MB."]
    with pytest.raises(ValidationError, match="larger than"):
        form_definition_import_xlsx(file=io.BytesIO(data), user=None)


def test_a_zip_bomb_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("xl/workbook.xml", "<workbook/>")
        zipped.writestr("xl/worksheets/sheet1.xml", " " * (60 * 1024 * 1024))
    assert len(archive.getvalue()) < MAX_UPLOAD_BYTES
    with pytest.raises(ValidationError, match="larger than"):
        form_definition_import_xlsx(file=_upload(archive.getvalue()), user=None)


def test_nothing_is_written_when_the_import_fails_late(tmp_path: Path) -> None:
    definition = copy.deepcopy(SHIPPED["intake"])
    form_definition_import_xlsx(file=_upload(workbook_bytes(definition)), user=None)
    before = _counts()
    definition["name_en"] = "Renamed"
    # A second import while version 1 is still a draft is refused after the details were read.
    with pytest.raises(ValidationError, match="still a draft"):
        form_definition_import_xlsx(file=_upload(workbook_bytes(definition)), user=None)
    assert _counts() == before
    assert FormDefinition.objects.get(code="intake").name_en == "Intake form"


def test_the_code_given_must_match_the_workbook() -> None:
    with translation.override("en"), pytest.raises(SpreadsheetError) as caught:
        form_definition_import_xlsx(
            file=_upload(workbook_bytes(SHIPPED["intake"])), user=None, code="other"
        )
    assert "The workbook is for the form “intake”, not “other”." in caught.value.messages[0]


def test_only_system_administrators_may_import(world: World) -> None:
    before = _counts()
    with pytest.raises(PermissionDenied):
        form_definition_import_xlsx(
            file=_upload(workbook_bytes(SHIPPED["intake"])),
            user=world.roles[Role.AGENCY_ADMIN],
        )
    assert _counts() == before
