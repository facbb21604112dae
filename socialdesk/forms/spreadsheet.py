"""Reading a form definition from a spreadsheet (.xlsx) that people fill in with Excel.

Sheet "form": key/value rows (code, name_zh, name_en, purpose, description_zh, description_en).
Sheet "fields": a header row (key, type, label_zh, label_en, help_zh, help_en, required, min, max,
max_length, choices, show_if, section_zh, section_en), then one question a row. Choices are lines
"value|label_zh|label_en|score" separated by line breaks or ";"; show_if is a condition such as
`living_alone = yes`, `age >= 65` or `risk in high,medium`.
Optional sheet "scoring": header name, label_zh, label_en, fields, min, max, band_label_zh,
band_label_en; one row a band, a blank name continuing the score above.

Every problem is collected, with its sheet, row and column, before anything is refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import load_workbook  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from .models import FormPurpose
from .schema import FIELD_KEYS, MAX_FIELDS, check_definition
from .text_syntax import parse_choices_text, parse_condition_text
from .values import ParseError, parse_boolean

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# A 2 MB zip can unpack to gigabytes; refuse workbooks that would.
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_HEADER_COLUMNS = 40
ROW_LIMIT = MAX_FIELDS + 200

FORM_SHEET = "form"
FIELDS_SHEET = "fields"
SCORING_SHEET = "scoring"
FORM_KEYS = ("code", "name_zh", "name_en", "purpose", "description_zh", "description_en")
REQUIRED_FORM_KEYS = ("name_zh", "name_en", "purpose")
FIELD_COLUMNS = FIELD_KEYS
REQUIRED_FIELD_COLUMNS = ("key", "type", "label_zh", "label_en")
SCORING_COLUMNS = (
    "name",
    "label_zh",
    "label_en",
    "fields",
    "min",
    "max",
    "band_label_zh",
    "band_label_en",
)
REQUIRED_SCORING_COLUMNS = ("name", "fields")
_CODE_RE = re.compile(r"^[-a-zA-Z0-9_]{1,60}$")


@dataclass(frozen=True)
class SheetProblem:
    """One problem in a workbook, where it is (sheet, row, column) and what (translated)."""

    sheet: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        values = {
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }
        if self.row is not None and self.column:
            return _("Sheet “%(sheet)s”, row %(row)s, column %(column)s: %(message)s") % values
        if self.row is not None:
            return _("Sheet “%(sheet)s”, row %(row)s: %(message)s") % values
        return _("Sheet “%(sheet)s”: %(message)s") % values


class SpreadsheetError(ValidationError):
    """A workbook that cannot be imported, with every problem found in it."""

    def __init__(self, problems: Sequence[SheetProblem]) -> None:
        super().__init__([str(problem) for problem in problems])
        self.problems = list(problems)


@dataclass
class SpreadsheetDefinition:
    """What a valid workbook defines: the form's details and its checked fields and scoring."""

    code: str
    name_zh: str
    name_en: str
    purpose: str
    description_zh: str = ""
    description_en: str = ""
    fields: list[dict[str, Any]] = field(default_factory=list)
    scoring: dict[str, Any] = field(default_factory=dict)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _cell_number(value: Any) -> Any:
    """A number cell as it is; text as stripped text (checked later)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return _cell_text(value)


def _column_name(header: str, position: int) -> str:
    return f"{get_column_letter(position + 1)} ({header})"


def _read_bytes(file: IO[bytes] | Any) -> bytes:
    size = getattr(file, "size", None)
    if size is not None and size > MAX_UPLOAD_BYTES:
        raise _too_big()
    if hasattr(file, "seek"):
        file.seek(0)
    data: bytes = file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise _too_big()
    return data


def _too_big() -> ValidationError:
    return ValidationError(
        _("The file is larger than %(size)s MB.") % {"size": MAX_UPLOAD_BYTES // (1024 * 1024)},
        code="too_big",
    )


def _not_a_workbook() -> ValidationError:
    return ValidationError(
        _("The file is not an Excel workbook (.xlsx). Save it from Excel as “Excel Workbook”."),
        code="not_xlsx",
    )


def _open_workbook(data: bytes) -> Any:
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise _not_a_workbook()
    try:
        with zipfile.ZipFile(buffer) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_a_workbook() from exc
    if "xl/workbook.xml" not in names:
        raise _not_a_workbook()
    if unpacked > MAX_UNPACKED_BYTES:
        raise _too_big()
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for damaged files
        raise _not_a_workbook() from exc


def _sheet(workbook: Any, name: str) -> Any:
    for title in workbook.sheetnames:
        if title.strip().lower() == name:
            return workbook[title]
    return None


class _Reader:
    def __init__(self) -> None:
        self.problems: list[SheetProblem] = []

    def add(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(SheetProblem(sheet, row, column, message))

    def header(
        self, sheet: str, worksheet: Any, known: Sequence[str], required: Sequence[str]
    ) -> dict[str, int] | None:
        """Column positions by header name, or None when the header cannot be used."""
        first = next(
            worksheet.iter_rows(min_row=1, max_row=1, max_col=MAX_HEADER_COLUMNS, values_only=True),
            (),
        )
        columns: dict[str, int] = {}
        usable = True
        for position, cell in enumerate(first):
            name = re.sub(r"\s+", "_", _cell_text(cell).lower())
            if not name:
                continue
            if name not in known:
                self.add(
                    sheet,
                    1,
                    get_column_letter(position + 1),
                    _("“%(name)s” is not a known column; use %(columns)s.")
                    % {"name": name, "columns": ", ".join(known)},
                )
                usable = False
            elif name in columns:
                self.add(
                    sheet,
                    1,
                    get_column_letter(position + 1),
                    _("The column “%(name)s” appears twice.") % {"name": name},
                )
                usable = False
            else:
                columns[name] = position
        missing = [name for name in required if name not in columns]
        if missing:
            self.add(
                sheet,
                1,
                None,
                _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)},
            )
            usable = False
        return columns if usable else None

    def rows(self, sheet: str, worksheet: Any, width: int) -> list[tuple[int, tuple[Any, ...]]]:
        """Non-blank data rows with their row numbers (the header is row 1)."""
        found = []
        for number, values in enumerate(
            worksheet.iter_rows(
                min_row=2, max_row=ROW_LIMIT + 1, max_col=max(width, 1), values_only=True
            ),
            start=2,
        ):
            if any(_cell_text(value) for value in values):
                found.append((number, tuple(values)))
        if len(found) > MAX_FIELDS:
            self.add(
                sheet, None, None, _("At most %(max)s rows can be imported.") % {"max": MAX_FIELDS}
            )
            return []
        return found

    def form_details(self, worksheet: Any) -> dict[str, str]:
        details: dict[str, str] = {}
        for number, values in enumerate(
            worksheet.iter_rows(min_row=1, max_row=100, max_col=2, values_only=True), start=1
        ):
            cells = [*values, None, None]
            key = re.sub(r"\s+", "_", _cell_text(cells[0]).lower())
            value = _cell_text(cells[1])
            if not key or (number == 1 and key == "key" and value.lower() == "value"):
                continue
            if key not in FORM_KEYS:
                self.add(
                    FORM_SHEET,
                    number,
                    "A",
                    _("“%(name)s” is not a form detail; use %(keys)s.")
                    % {"name": key, "keys": ", ".join(FORM_KEYS)},
                )
                continue
            if key in details:
                self.add(FORM_SHEET, number, "A", _("“%(name)s” is given twice.") % {"name": key})
            details[key] = value
        return details


def _check_details(reader: _Reader, details: dict[str, str], code: str | None) -> None:
    for key in REQUIRED_FORM_KEYS:
        if not details.get(key):
            reader.add(FORM_SHEET, None, None, _("Give the form's %(name)s.") % {"name": key})
    given = details.get("code", "")
    if code and given and given != code:
        reader.add(
            FORM_SHEET,
            None,
            None,
            _("The workbook is for the form “%(given)s”, not “%(code)s”.")
            % {"given": given, "code": code},
        )
    if not (code or given):
        reader.add(FORM_SHEET, None, None, _("Give the form's %(name)s.") % {"name": "code"})
    elif not _CODE_RE.fullmatch(code or given):
        reader.add(
            FORM_SHEET,
            None,
            None,
            _("The code may use only letters, digits, hyphens and underscores (at most 60)."),
        )
    purpose = details.get("purpose", "")
    if purpose and purpose not in FormPurpose.values:
        reader.add(
            FORM_SHEET,
            None,
            None,
            _("“%(purpose)s” is not a purpose; use one of %(purposes)s.")
            % {"purpose": purpose, "purposes": ", ".join(FormPurpose.values)},
        )


def _read_fields(
    reader: _Reader, worksheet: Any
) -> tuple[list[dict[str, Any]], list[int], dict[str, int], set[tuple[int, str]]]:
    columns = reader.header(FIELDS_SHEET, worksheet, FIELD_COLUMNS, REQUIRED_FIELD_COLUMNS)
    if columns is None:
        return [], [], {}, set()
    fields: list[dict[str, Any]] = []
    row_numbers: list[int] = []
    reported: set[tuple[int, str]] = set()
    width = max(columns.values()) + 1
    for number, values in reader.rows(FIELDS_SHEET, worksheet, width):
        cells = {name: values[pos] if pos < len(values) else None for name, pos in columns.items()}
        index = len(fields)
        raw: dict[str, Any] = {
            name: _cell_text(cells.get(name))
            for name in ("key", "label_zh", "label_en", "help_zh", "help_en")
        }
        raw["type"] = _cell_text(cells.get("type")).lower()
        raw["section_zh"] = _cell_text(cells.get("section_zh"))
        raw["section_en"] = _cell_text(cells.get("section_en"))
        for name in ("min", "max", "max_length"):
            raw[name] = _cell_number(cells.get(name))
        problems: list[tuple[str, str]] = []
        try:
            raw["required"] = parse_boolean(_cell_text(cells.get("required")) or "no")
        except ParseError:
            problems.append(("required", _("Write yes or no (是 or 否).")))
            raw["required"] = False
        try:
            raw["choices"] = parse_choices_text(_cell_text(cells.get("choices")))
        except ParseError as error:
            problems.append(("choices", error.message))
            raw["choices"] = []
        try:
            raw["show_if"] = parse_condition_text(_cell_text(cells.get("show_if")))
        except ParseError as error:
            problems.append(("show_if", error.message))
            raw["show_if"] = None
        for attribute, message in problems:
            reader.add(FIELDS_SHEET, number, _column_name(attribute, columns[attribute]), message)
            reported.add((index, attribute))
        fields.append(raw)
        row_numbers.append(number)
    return fields, row_numbers, columns, reported


def _read_scoring(reader: _Reader, worksheet: Any) -> dict[str, Any]:
    columns = reader.header(SCORING_SHEET, worksheet, SCORING_COLUMNS, REQUIRED_SCORING_COLUMNS)
    if columns is None:
        return {}
    scoring: dict[str, Any] = {}
    current: str | None = None
    width = max(columns.values()) + 1
    for number, values in reader.rows(SCORING_SHEET, worksheet, width):
        cells = {name: values[pos] if pos < len(values) else None for name, pos in columns.items()}
        name = _cell_text(cells.get("name")) or current
        if not name:
            reader.add(
                SCORING_SHEET,
                number,
                _column_name("name", columns["name"]),
                _("Give the score's name."),
            )
            continue
        current = name
        rule = scoring.setdefault(name, {"fields": [], "bands": []})
        for label in ("label_zh", "label_en"):
            if _cell_text(cells.get(label)):
                rule[label] = _cell_text(cells.get(label))
        keys = [key.strip() for key in re.split(r"[,;\n]+", _cell_text(cells.get("fields")))]
        rule["fields"].extend(key for key in keys if key)
        band = {
            "min": _cell_number(cells.get("min")),
            "max": _cell_number(cells.get("max")),
            "label_zh": _cell_text(cells.get("band_label_zh")),
            "label_en": _cell_text(cells.get("band_label_en")),
        }
        if any(value not in (None, "") for value in band.values()):
            rule["bands"].append(band)
    return scoring


def read_definition_xlsx(
    file: IO[bytes] | Any, *, code: str | None = None
) -> SpreadsheetDefinition:
    """Read and check a workbook; raises ValidationError (a SpreadsheetError listing every
    problem with its sheet, row and column, or a single message for a file that is too big or
    not a workbook)."""
    workbook = _open_workbook(_read_bytes(file))
    try:
        reader = _Reader()
        form_sheet = _sheet(workbook, FORM_SHEET)
        fields_sheet = _sheet(workbook, FIELDS_SHEET)
        scoring_sheet = _sheet(workbook, SCORING_SHEET)
        for name, worksheet in ((FORM_SHEET, form_sheet), (FIELDS_SHEET, fields_sheet)):
            if worksheet is None:
                reader.add(name, None, None, _("The workbook has no sheet of this name."))
        details = reader.form_details(form_sheet) if form_sheet is not None else {}
        if form_sheet is not None:
            _check_details(reader, details, code)
        fields, row_numbers, columns, reported = (
            _read_fields(reader, fields_sheet) if fields_sheet is not None else ([], [], {}, set())
        )
        scoring = _read_scoring(reader, scoring_sheet) if scoring_sheet is not None else {}
    finally:
        workbook.close()

    if fields_sheet is not None and columns:
        checked = check_definition(fields, scoring)
        for problem in checked.problems:
            if problem.index is not None and (problem.index, problem.attribute or "") in reported:
                continue
            if problem.attribute == "scoring":
                reader.add(SCORING_SHEET, None, None, problem.message)
            elif problem.index is None:
                reader.add(FIELDS_SHEET, None, None, problem.message)
            else:
                attribute = problem.attribute
                column = (
                    _column_name(attribute, columns[attribute])
                    if attribute and attribute in columns
                    else attribute
                )
                reader.add(FIELDS_SHEET, row_numbers[problem.index], column, problem.message)
    else:
        checked = None

    if reader.problems or checked is None:
        raise SpreadsheetError(reader.problems)
    return SpreadsheetDefinition(
        code=code or details.get("code", ""),
        name_zh=details.get("name_zh", ""),
        name_en=details.get("name_en", ""),
        purpose=details.get("purpose", ""),
        description_zh=details.get("description_zh", ""),
        description_en=details.get("description_en", ""),
        fields=checked.fields,
        scoring=checked.scoring,
    )
