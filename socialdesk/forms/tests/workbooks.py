"""Build .xlsx workbooks in tests with openpyxl (no binary files in the repository)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from openpyxl import Workbook

from socialdesk.forms.spreadsheet import FIELD_COLUMNS, SCORING_COLUMNS
from socialdesk.forms.text_syntax import format_choices_text, format_condition_text

FORM_DETAILS = ("code", "name_zh", "name_en", "purpose", "description_zh", "description_en")


def _cell(field: dict[str, Any], column: str) -> Any:
    value = field.get(column)
    if column == "choices":
        return format_choices_text(value or [])
    if column == "show_if":
        return format_condition_text(value)
    if column == "required":
        return "是" if value else "否"
    return value


def workbook_bytes(
    definition: dict[str, Any],
    *,
    fields_rows: Sequence[Sequence[Any]] | None = None,
    header: Sequence[str] | None = None,
    form_rows: Sequence[Sequence[Any]] | None = None,
) -> bytes:
    """A workbook for a definition in the shipped JSON shape (code, names, fields, scoring);
    `fields_rows` / `header` / `form_rows` replace the generated sheets' rows."""
    book = Workbook()
    form = book.active
    form.title = "form"
    form.append(["key", "value"])
    for row in (
        form_rows
        if form_rows is not None
        else [(name, definition.get(name, "")) for name in FORM_DETAILS]
    ):
        form.append(list(row))
    fields = book.create_sheet("fields")
    columns = list(header or FIELD_COLUMNS)
    fields.append(columns)
    if fields_rows is not None:
        for row in fields_rows:
            fields.append(list(row))
    else:
        for field in definition.get("fields", []):
            fields.append([_cell(field, column) for column in columns])
    scoring = definition.get("scoring") or {}
    if scoring:
        sheet = book.create_sheet("scoring")
        sheet.append(list(SCORING_COLUMNS))
        for name, rule in scoring.items():
            bands = rule.get("bands") or [{}]
            for position, band in enumerate(bands):
                first = position == 0
                sheet.append(
                    [
                        name if first else None,
                        rule.get("label_zh") if first else None,
                        rule.get("label_en") if first else None,
                        ",".join(rule["fields"]) if first else None,
                        band.get("min"),
                        band.get("max"),
                        band.get("label_zh"),
                        band.get("label_en"),
                    ]
                )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
