"""The management commands: importing a workbook (as a draft or published) and its problems."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from socialdesk.forms.models import FormVersion, VersionStatus
from socialdesk.forms.services import shipped_definition_paths
from socialdesk.forms.tests.workbooks import workbook_bytes

pytestmark = pytest.mark.django_db

INTAKE = json.loads(
    next(p for p in shipped_definition_paths() if p.stem == "intake").read_text("utf-8")
)


def test_a_workbook_is_imported_and_published(tmp_path: Path) -> None:
    path = tmp_path / "intake.xlsx"
    path.write_bytes(workbook_bytes(INTAKE))
    out = io.StringIO()
    call_command("import_form_definition", str(path), "--publish", stdout=out)
    version = FormVersion.objects.get(definition__code="intake")
    assert version.status == VersionStatus.PUBLISHED and version.published_by is None
    assert "Form 'intake': version 1 published" in out.getvalue()
    call_command("import_form_definition", str(path), stdout=out)
    assert FormVersion.objects.get(definition__code="intake", number=2).is_draft


def test_every_problem_is_printed_and_nothing_is_saved(tmp_path: Path) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(
        workbook_bytes(
            {"code": "bad", "name_zh": "壞", "name_en": "Bad", "purpose": "intake"},
            header=["key", "type", "label_zh", "label_en"],
            fields_rows=[["a", "colour", "甲", "A"], ["a", "text", "乙", ""]],
        )
    )
    with pytest.raises(CommandError) as caught:
        call_command("import_form_definition", str(path))
    message = str(caught.value)
    assert "row 2, column B (type)" in message
    assert "row 3, column A (key)" in message and "row 3, column D (label_en)" in message
    assert not FormVersion.objects.exists()
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_form_definition", str(tmp_path / "missing.xlsx"))
