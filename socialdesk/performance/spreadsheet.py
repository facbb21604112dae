"""The Excel channel of statistical returns: a workbook made for one return (one unit, one
period), filled in offline and uploaded back.

The sheet holds a title block, two header rows (the user's language, then the other one) and one
row per figure (each indicator's total and each category of its breakdowns, in template order,
under section headings). Only the figure and comment cells are unlocked (a guard against
accidental edits, not security: the protection has no password). A "veryHidden" sheet `meta`
names the return (unit, period, template code and version, a fingerprint of the ordered codes),
keeps the header texts, and a snapshot of the figures as they were when the workbook was made,
so that an upload can tell what the file changed from what changed in SocialDesk meanwhile.

Reading refuses a file, naming the cell or the sheet, when it is too large (checked before
parsing) or unpacks to too much (checked in the zip directory before openpyxl sees it: Python's
zipfile never inflates an entry beyond its declared size), is not an .xlsx, is not a SocialDesk
return, is for another template, template version, unit or period, has edited headers or codes or
inserted, deleted or moved rows, or holds something other than a figure in a figure cell.

Formulas: a formula cell with a result saved in the file (Excel and LibreOffice always save one)
counts with that result, so `=G14+G15` typed in Excel works; a formula without a saved result
(a file written by a script) is refused: we do not evaluate formulas.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop, override
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook  # type: ignore[import-untyped]
from openpyxl.comments import Comment  # type: ignore[import-untyped]
from openpyxl.styles import (  # type: ignore[import-untyped]
    Alignment,
    Border,
    Font,
    PatternFill,
    Protection,
    Side,
)
from openpyxl.workbook.protection import WorkbookProtection  # type: ignore[import-untyped]
from openpyxl.worksheet.datavalidation import DataValidation  # type: ignore[import-untyped]

from .models import (
    AgreedLevel,
    Direction,
    Frequency,
    Measure,
    ReportingPeriod,
    ReturnStatus,
    ReturnValue,
    StatisticalReturn,
    TemplateItem,
)
from .services.returns import field_label
from .validation import Key, parse_figure

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAX_UNPACKED_BYTES = 40 * 1024 * 1024
MAX_ZIP_ENTRIES = 500
MAX_COMMENT = 500
MAX_REPORTED = 30  # problems listed before "… and N more"
TOO_LARGE = Decimal(10) ** 10  # the figures' column holds 14 digits, 4 after the point
EXTRA_ROWS_CHECKED = 200  # rows below the table read to catch figures typed there

FORMAT = "socialdesk.performance.return"
FORMAT_VERSION = "1"
META_SHEET = "meta"
SNAPSHOT_MARKER = "figures"
LANGUAGES = ("zh-hant", "en")

# Rows and columns of the figures sheet.
HEADER_ROW = 11  # the user's language; HEADER_ROW + 1 the other language
FIRST_ROW = 13
COLUMNS = ("A", "B", "C", "D", "E", "F", "G", "H")
CODE, NAME, NAME_OTHER, MEASURE, PREVIOUS, AGREED, VALUE, COMMENT = COLUMNS
WIDTHS = {CODE: 30, NAME: 44, NAME_OTHER: 44, MEASURE: 14, PREVIOUS: 16, AGREED: 16, VALUE: 16}
WIDTHS[COMMENT] = 48
EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!", "#SPILL!")

_THIN = Side(style="thin", color="A6A6A6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="EDEDED")
_REOPENED_FILL = PatternFill("solid", fgColor="FFF2CC")
_CLOSED_FILL = PatternFill("solid", fgColor="F2F2F2")
_UNLOCKED = Protection(locked=False)

INSTRUCTIONS = gettext_noop(
    "Fill in only the figures (column %(value)s) and comments (column %(comment)s). Do not "
    "insert, delete or move rows or columns or change the codes: the upload is checked "
    "against them."
)
RETURNED_INSTRUCTIONS = gettext_noop(
    "Returned for correction: only the highlighted figures can be changed (the reviewer's "
    "reason is in the note of each)."
)


@dataclass(frozen=True)
class Line:
    """One row of the figures table: a section heading (no key) or one figure."""

    key: Key | None
    name_zh: str
    name_en: str
    measure: str = ""
    decimal_places: int = 0

    def name(self, language: str) -> str:
        return self.name_en if language == "en" else self.name_zh


@dataclass
class UploadedFigures:
    """What an uploaded workbook holds: its figures and comments, the same as they were when it
    was made (None for a file without that snapshot) and the cell of each figure and comment."""

    values: dict[Key, Decimal | None]
    comments: dict[Key, str]
    downloaded_values: dict[Key, Decimal | None] | None
    downloaded_comments: dict[Key, str] | None
    value_cells: dict[Key, str]
    comment_cells: dict[Key, str]


def lines_of(statistical_return: StatisticalReturn) -> list[Line]:
    """The table's rows for the return's template, in template order (as `template_spec`)."""
    lines: list[Line] = []
    section: tuple[str, str] | None = None
    items = (
        TemplateItem.objects.filter(template_id=statistical_return.template_id)
        .select_related("indicator")
        .prefetch_related("indicator__disaggregations")
        .order_by("order", "pk")
    )
    for item in items:
        heading = (item.section_zh, item.section_en)
        if any(heading) and heading != section:
            lines.append(Line(None, heading[0] or heading[1], heading[1] or heading[0]))
        section = heading
        indicator = item.indicator
        measure, places = indicator.measure, indicator.decimal_places
        lines.append(
            Line((indicator.code, ""), indicator.name_zh, indicator.name_en, measure, places)
        )
        for dimension in indicator.disaggregations.all():
            for category in dimension.categories:
                lines.append(
                    Line(
                        (indicator.code, f"{dimension.code}:{category['code']}"),
                        f"{dimension.name_zh}：{category.get('name_zh') or category['code']}",
                        f"{dimension.name_en}: {category.get('name_en') or category['code']}",
                        measure,
                        places,
                    )
                )
    return lines


def fingerprint(lines: list[Line]) -> str:
    """sha256 of the ordered figure codes: the same for two workbooks with the same rows."""
    codes = "\n".join(field_label(line.key) for line in lines if line.key is not None)
    return hashlib.sha256(codes.encode()).hexdigest()


def _language(language: str | None) -> str:
    code = (language or get_language() or settings.LANGUAGE_CODE).lower()
    return "en" if code.startswith("en") else "zh-hant"


def _other(language: str) -> str:
    return "zh-hant" if language == "en" else "en"


def _previous_period(period: ReportingPeriod) -> ReportingPeriod:
    """The period before (unsaved when only its label is needed)."""
    count = 4 if period.frequency == Frequency.QUARTERLY else 2
    if period.number > 1:
        year, number = period.fiscal_year, period.number - 1
    else:
        year, number = period.fiscal_year - 1, count
    return ReportingPeriod(fiscal_year=year, frequency=period.frequency, number=number)


def _headers(period: ReportingPeriod, language: str, rendered_in: str) -> list[str]:
    """The header texts of a workbook in `language`, in the language `rendered_in`."""
    with override(rendered_in):
        return [
            _("Code"),
            _("Indicator"),
            _("Indicator (English)") if language != "en" else _("Indicator (Chinese)"),
            _("Measure"),
            _("Previous period (%(period)s)") % {"period": _previous_period(period).label},
            _("Agreed level (%(year)s, whole year)") % {"year": period.year_label},
            _("Figure (%(period)s)") % {"period": period.label},
            _("Comment"),
        ]


def _both(language: str, message: str) -> str:
    """A label in the workbook's language, then in the other: "服務單位 / Service unit"."""
    with override(language):
        first = _(message)
    with override(_other(language)):
        second = _(message)
    return first if first == second else f"{first} / {second}"


def _number_format(decimal_places: int, direction: str = "") -> str:
    places = f".{'0' * decimal_places}" if decimal_places else ""
    prefix = '"≤ "' if direction == Direction.AT_MOST else ""
    return f"{prefix}#,##0{places}"


def _text(value: Decimal | None) -> str:
    return "" if value is None else format(value.normalize(), "f")


def workbook_for_return(
    statistical_return: StatisticalReturn, *, language: str | None = None
) -> bytes:
    """An .xlsx to fill in the return offline, in `language` (default: the active one)."""
    language = _language(language)
    with override(language):
        book = _build(statistical_return, language)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _build(statistical_return: StatisticalReturn, language: str) -> Any:
    period = statistical_return.period
    lines = lines_of(statistical_return)
    current = {
        (figure.indicator.code, figure.category): figure
        for figure in ReturnValue.objects.filter(
            statistical_return=statistical_return
        ).select_related("indicator")
    }
    book = Workbook()
    sheet = book.active
    sheet.title = _("Return")[:31]
    _title_block(sheet, statistical_return, language)
    headers = (
        _headers(period, language, language),
        _headers(period, language, _other(language)),
    )
    for column, texts in enumerate(zip(*headers, strict=True), start=1):
        for offset, text in enumerate(texts):
            cell = sheet.cell(row=HEADER_ROW + offset, column=column, value=text)
            cell.font = Font(bold=True) if offset == 0 else Font(italic=True, color="595959")
            cell.fill, cell.border = _HEADER_FILL, _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center")
    figure_rows = _table(sheet, statistical_return, lines, current, language)
    _validate(sheet, figure_rows)
    for letter, width in WIDTHS.items():
        sheet.column_dimensions[letter].width = width
    sheet.row_dimensions[HEADER_ROW].height = 32
    sheet.freeze_panes = f"{NAME_OTHER}{FIRST_ROW}"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False  # widening a column does no harm
    sheet.protection.formatRows = False
    _write_meta(book, statistical_return, lines, sheet.title, language, headers, current)
    book.security = WorkbookProtection(lockStructure=True)  # no adding, renaming, unhiding
    book.properties.creator = "SocialDesk"
    book.properties.title = f"{statistical_return.template.code} {statistical_return}"
    book.active = 0
    return book


def _title_block(sheet: Any, statistical_return: StatisticalReturn, language: str) -> None:
    """Rows 1-9: the template's names, unit, period, template, due date, status, instructions."""
    unit, period, template = (
        statistical_return.unit,
        statistical_return.period,
        statistical_return.template,
    )
    english = language == "en"
    sheet["A1"] = template.name_en if english else template.name_zh
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = template.name_zh if english else template.name_en
    sheet["A2"].font = Font(italic=True, color="595959")
    names = (unit.name_en, unit.name_zh) if english else (unit.name_zh, unit.name_en)
    returned = statistical_return.status == ReturnStatus.RETURNED
    status = statistical_return.get_status_display()
    if returned and statistical_return.return_reason:
        status = f"{status}: {statistical_return.return_reason}"
    block = (
        (gettext_noop("Service unit"), f"{names[0]} {names[1]} ({unit.code})"),
        (
            gettext_noop("Period"),
            f"{period.label} ({period.starts_on:%Y-%m-%d} – {period.ends_on:%Y-%m-%d})",
        ),
        (gettext_noop("Template"), f"{sheet['A1'].value} ({template.code} v{template.number})"),
        (gettext_noop("Due on"), statistical_return.due_on),
        (gettext_noop("Status"), status),
    )
    for row, (label, value) in enumerate(block, start=3):
        sheet.cell(row=row, column=1, value=_both(language, label)).font = Font(bold=True)
        cell = sheet.cell(row=row, column=2, value=value)
        cell.alignment = Alignment(horizontal="left")
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
    message = RETURNED_INSTRUCTIONS if returned else INSTRUCTIONS
    for row, rendered_in in ((8, language), (9, _other(language))):
        with override(rendered_in):
            sheet[f"A{row}"] = _(message) % {"value": VALUE, "comment": COMMENT}
        sheet.merge_cells(f"A{row}:{COMMENT}{row}")
        sheet[f"A{row}"].alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[row].height = 32
    sheet["A9"].font = Font(italic=True, color="595959")


def _table(
    sheet: Any,
    statistical_return: StatisticalReturn,
    lines: list[Line],
    current: dict[Key, ReturnValue],
    language: str,
) -> list[tuple[int, Line]]:
    """The section and figure rows from FIRST_ROW; returns the figure rows. Previous period:
    the unit's return of the period before, whatever its status."""
    period, other = statistical_return.period, _other(language)
    before = _previous_period(period)
    previous = {
        (code, category): value
        for code, category, value in ReturnValue.objects.filter(
            statistical_return__unit_id=statistical_return.unit_id,
            statistical_return__period__fiscal_year=before.fiscal_year,
            statistical_return__period__frequency=before.frequency,
            statistical_return__period__number=before.number,
        ).values_list("indicator__code", "category", "value")
    }
    agreed = {
        level.indicator.code: level
        for level in AgreedLevel.objects.filter(
            agreement__unit_id=statistical_return.unit_id,
            agreement__fiscal_year=period.fiscal_year,
        ).select_related("indicator")
    }
    returned = statistical_return.status == ReturnStatus.RETURNED
    editable = statistical_return.is_editable
    figure_rows: list[tuple[int, Line]] = []
    for row, line in enumerate(lines, start=FIRST_ROW):
        if line.key is None:
            sheet[f"{NAME}{row}"] = line.name(language)
            sheet[f"{NAME_OTHER}{row}"] = line.name(other)
            for letter in COLUMNS:
                sheet[f"{letter}{row}"].fill = _SECTION_FILL
                sheet[f"{letter}{row}"].font = Font(bold=True)
            continue
        figure_rows.append((row, line))
        code, category = line.key
        figure = current.get(line.key)
        level = agreed.get(code) if not category else None
        measure = Measure(line.measure).label if line.measure in Measure.values else ""
        values: dict[str, Any] = {
            CODE: field_label(line.key),
            NAME: line.name(language),
            NAME_OTHER: line.name(other),
            MEASURE: str(measure),
            PREVIOUS: previous.get(line.key),
            AGREED: level.level if level else None,
            VALUE: figure.value if figure else None,
            COMMENT: (figure.comment if figure else "") or None,
        }
        for letter, content in values.items():
            cell = sheet[f"{letter}{row}"]
            cell.value, cell.border = content, _BORDER
            if letter in (PREVIOUS, AGREED, VALUE):
                direction = level.direction if level and letter == AGREED else ""
                cell.number_format = _number_format(line.decimal_places, direction)
            elif letter in (NAME, NAME_OTHER) and category:
                cell.alignment = Alignment(indent=2)
        value_cell, comment_cell = sheet[f"{VALUE}{row}"], sheet[f"{COMMENT}{row}"]
        if editable and (not returned or (figure is not None and figure.reopened)):
            value_cell.protection = _UNLOCKED
            if returned:
                value_cell.fill = _REOPENED_FILL
                if figure is not None and figure.return_reason:
                    value_cell.comment = Comment(figure.return_reason, _("Reviewer"))
        else:
            value_cell.fill = _CLOSED_FILL
        if editable:
            comment_cell.protection = _UNLOCKED
        comment_cell.alignment = Alignment(wrap_text=True, vertical="top")
    return figure_rows


def _validate(sheet: Any, figure_rows: list[tuple[int, Line]]) -> None:
    """Excel's own checks on the open cells: figures ≥ 0 (percentages up to 100), comments up to
    the length SocialDesk keeps."""
    figure = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Not a figure")[:32],
        error=_("Type a number that is 0 or more.")[:255],
    )
    percent = DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2="100",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Not a percentage")[:32],
        error=_("Type a percentage from 0 to 100.")[:255],
    )
    comment = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1=str(MAX_COMMENT),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Comment too long")[:32],
        error=(_("A comment can be at most %(max)s characters.") % {"max": MAX_COMMENT})[:255],
    )
    for validation in (figure, percent, comment):
        sheet.add_data_validation(validation)
    for row, line in figure_rows:
        (percent if line.measure == Measure.PERCENT else figure).add(f"{VALUE}{row}")
        comment.add(f"{COMMENT}{row}")


def _write_meta(
    book: Any,
    statistical_return: StatisticalReturn,
    lines: list[Line],
    sheet_title: str,
    language: str,
    headers: tuple[list[str], list[str]],
    current: dict[Key, ReturnValue],
) -> None:
    """The hidden sheet that identifies the workbook on upload, and the figures it was made with
    (below the row "figures": code, value, comment)."""
    meta = book.create_sheet(META_SHEET)
    period, template = statistical_return.period, statistical_return.template
    rows: list[tuple[str, Any]] = [
        ("format", FORMAT),
        ("format_version", FORMAT_VERSION),
        ("return_id", statistical_return.pk),
        ("return_version", statistical_return.version),
        ("unit", statistical_return.unit.code),
        ("fiscal_year", period.fiscal_year),
        ("frequency", period.frequency),
        ("period", period.number),
        ("template", template.code),
        ("template_version", template.number),
        ("fingerprint", fingerprint(lines)),
        ("language", language),
        ("sheet", sheet_title),
        ("headers", json.dumps(headers[0], ensure_ascii=False)),
        ("headers_other", json.dumps(headers[1], ensure_ascii=False)),
        ("generated_at", timezone.now().isoformat(timespec="seconds")),
    ]
    for key, value in rows:
        meta.append([key, str(value)])
    meta.append([SNAPSHOT_MARKER])
    for line in lines:
        if line.key is not None:
            figure = current.get(line.key)
            meta.append(
                [
                    field_label(line.key),
                    _text(figure.value) if figure else "",
                    figure.comment if figure else "",
                ]
            )
    meta.protection.sheet = True
    meta.sheet_state = "veryHidden"


# --- Reading ---------------------------------------------------------------------------------


class _Problems:
    """Problems found so far, by place (a cell such as "G14", or "file", "unit", …)."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str, str]] = []

    def add(self, place: str, code: str, message: str) -> None:
        self.found.append((place, code, message))

    def __bool__(self) -> bool:
        return bool(self.found)

    def error(self) -> ValidationError:
        errors: dict[str, list[ValidationError]] = {}
        for place, code, message in self.found[:MAX_REPORTED]:
            errors.setdefault(place, []).append(ValidationError(message, code=code))
        if len(self.found) > MAX_REPORTED:
            more = _("… and %(count)s more problems.") % {"count": len(self.found) - MAX_REPORTED}
            errors.setdefault("file", []).append(ValidationError(more, code="more"))
        return ValidationError(errors)


def _refuse(place: str, code: str, message: str) -> ValidationError:
    return ValidationError({place: [ValidationError(message, code=code)]})


def max_upload_bytes() -> int:
    return int(getattr(settings, "SOCIALDESK_PERFORMANCE_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _check_container(data: bytes) -> None:
    """Size, kind of file and zip directory, before any parsing."""
    limit = max_upload_bytes()
    if len(data) > limit:
        raise _refuse(
            "file",
            "too_large",
            _("The file is %(size)s; the largest accepted is %(max)s.")
            % {"size": filesizeformat(len(data)), "max": filesizeformat(limit)},
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .xls of Excel 97-2003
        raise _refuse(
            "file",
            "xls",
            _(
                "This is an Excel 97–2003 workbook (.xls), not an .xlsx. Upload the .xlsx "
                "template downloaded from SocialDesk, or save the file in Excel as “Excel "
                "Workbook (.xlsx)”."
            ),
        )
    if not data.startswith(b"PK"):
        if _looks_like_text(data):
            raise _refuse(
                "file",
                "csv",
                _(
                    "This is a text (CSV) file, not an Excel workbook. Upload the .xlsx "
                    "template downloaded from SocialDesk."
                ),
            )
        raise _not_xlsx()
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            unpacked = sum(entry.file_size for entry in entries)
            if len(entries) > MAX_ZIP_ENTRIES or unpacked > MAX_UNPACKED_BYTES:
                raise _refuse(
                    "file",
                    "unpacks_too_large",
                    _("The workbook unpacks to %(size)s, more than a return can hold (%(max)s).")
                    % {"size": filesizeformat(unpacked), "max": filesizeformat(MAX_UNPACKED_BYTES)},
                )
            names = {entry.filename for entry in entries}
            mimetype = b""
            if "mimetype" in names:
                with archive.open("mimetype") as entry:
                    mimetype = entry.read(100)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise _damaged() from exc
    if b"opendocument" in mimetype:
        raise _refuse(
            "file",
            "ods",
            _(
                "This is an OpenDocument spreadsheet (.ods). Save it as “Excel Workbook "
                "(.xlsx)” and upload that."
            ),
        )
    if "xl/workbook.xml" not in names:
        raise _not_xlsx()


def _looks_like_text(data: bytes) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text" (UTF-16)
        return True
    sample = data[:4096]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not just a character cut at the sample's end
            try:
                sample.decode("big5")
            except UnicodeDecodeError:
                return False
    return True


def _not_xlsx() -> ValidationError:
    return _refuse(
        "file",
        "not_xlsx",
        _(
            "This file is not an Excel workbook (.xlsx). Upload the template downloaded from "
            "SocialDesk."
        ),
    )


def _damaged() -> ValidationError:
    return _refuse(
        "file",
        "damaged",
        _(
            "This workbook is damaged and cannot be opened. Save it again in Excel, or download "
            "a new template."
        ),
    )


def _open(data: bytes, *, formulas: bool) -> Any:
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=not formulas)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise _damaged() from exc


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def _read_meta(book: Any, rows_expected: int) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """The meta sheet's settings and its snapshot of the figures (label → value, comment)."""
    not_a_return = _refuse(
        META_SHEET,
        "not_a_return",
        _(
            "This workbook is not a SocialDesk statistical return (it has no “meta” sheet). "
            "Download the template of this return and fill that in."
        ),
    )
    if META_SHEET not in book.sheetnames:
        raise not_a_return
    settings_rows: dict[str, str] = {}
    snapshot: dict[str, tuple[str, str]] = {}
    in_snapshot = False
    for row in book[META_SHEET].iter_rows(
        min_row=1, max_row=rows_expected + 40, max_col=3, values_only=True
    ):
        cells = [_cell_text(value) for value in (*row, None, None, None)[:3]]
        if not any(cells):
            break
        if not in_snapshot and cells[0] == SNAPSHOT_MARKER:
            in_snapshot = True
        elif in_snapshot:
            snapshot[cells[0]] = (cells[1], cells[2])
        else:
            settings_rows[cells[0]] = cells[1]
    if settings_rows.get("format") != FORMAT:
        raise not_a_return
    required = ("unit", "fiscal_year", "frequency", "period", "template", "template_version")
    if any(not settings_rows.get(key) for key in (*required, "fingerprint", "sheet")):
        raise _refuse(
            META_SHEET,
            "meta_incomplete",
            _(
                "The hidden “meta” sheet of this workbook is incomplete, so the workbook cannot "
                "be matched to a return. Download a new template."
            ),
        )
    return settings_rows, snapshot


def _check_identity(
    statistical_return: StatisticalReturn, meta: dict[str, str], lines: list[Line]
) -> None:
    """The workbook is for this return: template and version, unit, period, rows."""
    problems = _Problems()
    template, unit, period = (
        statistical_return.template,
        statistical_return.unit,
        statistical_return.period,
    )
    found_template = f"{meta['template']} v{meta['template_version']}"
    expected_template = f"{template.code} v{template.number}"
    if meta["template"] != template.code:
        problems.add(
            "template",
            "other_template",
            _(
                "This workbook is the template %(found)s, but this return is made on "
                "%(expected)s (another kind of service). Download the template of this return."
            )
            % {"found": found_template, "expected": expected_template},
        )
    elif meta["template_version"] != str(template.number):
        older = meta["template_version"].isdigit() and int(meta["template_version"]) < int(
            template.number
        )
        message = (
            _(
                "This workbook is an older version of the template (%(found)s); this return "
                "uses %(expected)s. Download the current template."
            )
            if older
            else _(
                "This workbook is another version of the template (%(found)s); this return "
                "uses %(expected)s. Download the template of this return."
            )
        )
        problems.add(
            "template",
            "old_template" if older else "other_template_version",
            message % {"found": found_template, "expected": expected_template},
        )
    if meta["unit"] != unit.code:
        problems.add(
            "unit",
            "other_unit",
            _(
                "This workbook is for the unit %(found)s, not for %(expected)s. Download the "
                "template of this unit's return."
            )
            % {"found": meta["unit"], "expected": f"{unit.name} ({unit.code})"},
        )
    found_period = (meta["fiscal_year"], meta["frequency"], meta["period"])
    if found_period != (str(period.fiscal_year), period.frequency, str(period.number)):
        try:
            label = ReportingPeriod(
                fiscal_year=int(found_period[0]),
                frequency=found_period[1],
                number=int(found_period[2]),
            ).label
        except ValueError:
            label = " ".join(found_period)
        problems.add(
            "period",
            "other_period",
            _("This workbook is for the period %(found)s, not for %(expected)s.")
            % {"found": label, "expected": period.label},
        )
    if not problems and meta["fingerprint"] != fingerprint(lines):
        problems.add(
            "template",
            "layout_changed",
            _(
                "The figures of this workbook are not those of the return's template (the "
                "template changed after the workbook was made). Download a new template."
            ),
        )
    if problems:
        raise problems.error()


def _check_layout(
    problems: _Problems,
    rows: dict[int, tuple[Any, ...]],
    meta: dict[str, str],
    lines: list[Line],
) -> None:
    """Headers as written, every code in its row, nothing typed outside the table's cells."""
    for offset, key in ((0, "headers"), (1, "headers_other")):
        # Only the first header cell that differs: an inserted column or row shifts all after it.
        try:
            expected = [str(text).strip() for text in json.loads(meta.get(key) or "[]")]
        except (ValueError, TypeError):
            expected = []
        texts = [_cell_text(text) for text in rows.get(HEADER_ROW + offset, ())]
        wrong = [i for i, text in enumerate(expected[: len(COLUMNS)]) if texts[i] != text]
        if wrong:
            cell = f"{COLUMNS[wrong[0]]}{HEADER_ROW + offset}"
            problems.add(
                cell,
                "header_changed",
                _(
                    "%(cell)s is a header and should read “%(expected)s”, but it reads "
                    "“%(found)s”. Rows or columns were inserted, deleted or moved, or the "
                    "header was edited: download a new template."
                )
                % {"cell": cell, "expected": expected[wrong[0]], "found": texts[wrong[0]]},
            )
            break
    expected_rows = {
        FIRST_ROW + index: field_label(line.key)
        for index, line in enumerate(lines)
        if line.key is not None
    }
    labels = set(expected_rows.values())
    code_index = COLUMNS.index(CODE)
    where: dict[str, int] = {}
    for number, values in rows.items():
        if number >= FIRST_ROW:
            where.setdefault(_cell_text(values[code_index]), number)
    last_row = FIRST_ROW + len(lines) - 1
    shifted = False
    for number, label in expected_rows.items():
        found = _cell_text(rows.get(number, (None,))[code_index])
        if found == label:
            continue
        cell = f"{CODE}{number}"
        place: dict[str, Any] = {"cell": cell, "row": number, "expected": label, "found": found}
        elsewhere = where.get(label)
        if elsewhere is not None and elsewhere != number:
            place["found_row"] = elsewhere
            problems.add(
                cell,
                "row_moved",
                _(
                    "Rows were inserted, deleted or moved: the figure “%(expected)s” belongs in "
                    "row %(row)s but is in row %(found_row)s. Undo the change or download a new "
                    "template."
                )
                % place,
            )
            shifted = True
            break
        if found in labels:
            problems.add(
                cell,
                "row_deleted",
                _(
                    "The row of the figure “%(expected)s” (row %(row)s) was deleted: %(cell)s "
                    "now holds “%(found)s”. Undo the change or download a new template."
                )
                % place,
            )
            shifted = True
            break
        if not found:
            message = _("%(cell)s should hold the code “%(expected)s”, but it is empty.")
        else:
            message = _(
                "%(cell)s should hold the code “%(expected)s”, but it holds “%(found)s”. The "
                "codes identify the figures: do not change them."
            )
        problems.add(cell, "code_changed", message % place)
    if shifted:
        return
    loose = [number for number in rows if number >= FIRST_ROW and number not in expected_rows]
    for number in sorted(loose):
        values_in_row = rows[number]
        for column in (CODE, VALUE, COMMENT):
            if number <= last_row and column == CODE:
                continue  # a section heading's empty code cell
            text = _cell_text(values_in_row[COLUMNS.index(column)])
            if text:
                cell = f"{column}{number}"
                problems.add(
                    cell,
                    "outside_table",
                    _(
                        "%(cell)s holds “%(found)s”, but it is not a figure or comment cell of "
                        "the return: nothing may be typed there."
                    )
                    % {"cell": cell, "found": text[:40]},
                )


def read_cell_figure(raw: Any, formula: Any) -> tuple[Decimal | None, str, str]:
    """A figure cell's value (with its formula, if any, from a formulas-kept reading): the
    figure, or None and a problem (code, message with %(cell)s, %(code)s and %(found)s)."""
    if isinstance(formula, str) and formula.startswith("=") and raw is None:
        return (
            None,
            "formula",
            _(
                "%(cell)s (%(code)s) holds a formula (%(found)s) whose result is not saved in "
                "the file. Type the figure, or open the file in Excel and save it again."
            ),
        )
    if formula is not None and not isinstance(formula, str | int | float) and raw is None:
        return None, "formula", _("%(cell)s (%(code)s) holds a formula: type the figure.")
    if isinstance(raw, datetime | date | time):
        return (
            None,
            "date",
            _(
                "%(cell)s (%(code)s) holds a date (%(found)s), not a number. Type the figure "
                "only; format the cell as a number if Excel turns it into a date."
            ),
        )
    if isinstance(raw, float) and math.isfinite(raw):
        raw = Decimal(format(raw, ".15g"))  # as Excel shows it: 15 digits, no binary noise
    if isinstance(raw, str) and raw.strip().upper() in EXCEL_ERRORS:
        return None, "excel_error", _("%(cell)s (%(code)s) holds the error %(found)s.")
    try:
        value = parse_figure(raw)
    except ValueError:
        return (
            None,
            "not_a_number",
            _(
                "%(cell)s (%(code)s) holds “%(found)s”, which is not a number. Type the figure "
                "only, e.g. 12."
            ),
        )
    if value is None:
        return None, "", ""
    if value < 0:
        return (
            None,
            "negative",
            _("%(cell)s (%(code)s) holds %(found)s: a figure cannot be negative."),
        )
    if value >= TOO_LARGE:
        return (
            None,
            "too_large_number",
            _("%(cell)s (%(code)s) holds %(found)s, too large a figure."),
        )
    return value, "", ""


def read_workbook(statistical_return: StatisticalReturn, data: bytes) -> UploadedFigures:
    """Read an uploaded workbook made for `statistical_return`; raises ValidationError keyed by
    cell ("G14"), sheet ("meta") or subject ("file", "template", "unit", "period")."""
    _check_container(data)
    lines = lines_of(statistical_return)
    figures_count = sum(1 for line in lines if line.key is not None)
    book = _open(data, formulas=False)
    try:
        meta, snapshot = _read_meta(book, figures_count)
        _check_identity(statistical_return, meta, lines)
        if meta["sheet"] not in book.sheetnames:
            raise _refuse(
                meta["sheet"],
                "sheet_missing",
                _("The sheet “%(sheet)s” is missing: it was renamed or deleted.")
                % {"sheet": meta["sheet"]},
            )
        last_row = FIRST_ROW + len(lines) - 1
        rows = _rows(book[meta["sheet"]], last_row)
    finally:
        book.close()
    problems = _Problems()
    _check_layout(problems, rows, meta, lines)
    if problems:
        raise problems.error()

    value_index, comment_index = COLUMNS.index(VALUE), COLUMNS.index(COMMENT)
    formulas: dict[int, Any] = {}
    figure_rows = [
        (number, line.key)
        for number, line in enumerate(lines, start=FIRST_ROW)
        if line.key is not None
    ]
    if any(rows[number][value_index] is None for number, _key in figure_rows):
        # An empty value may be a formula never calculated: look at the formulas themselves.
        formula_book = _open(data, formulas=True)
        try:
            formula_rows = _rows(formula_book[meta["sheet"]], last_row)
        finally:
            formula_book.close()
        formulas = {number: values[value_index] for number, values in formula_rows.items()}

    uploaded = UploadedFigures({}, {}, None, None, {}, {})
    for number, key in figure_rows:
        label = field_label(key)
        raw = rows[number][value_index]
        value, code, message = read_cell_figure(raw, formulas.get(number))
        value_cell, comment_cell = f"{VALUE}{number}", f"{COMMENT}{number}"
        if code:
            found = formulas.get(number) if code == "formula" else _cell_text(raw)
            problems.add(
                value_cell,
                code,
                message % {"cell": value_cell, "code": label, "found": found},
            )
        uploaded.values[key] = value
        uploaded.value_cells[key] = value_cell
        uploaded.comment_cells[key] = comment_cell
        comment = _cell_text(rows[number][comment_index])
        if len(comment) > MAX_COMMENT:
            problems.add(
                comment_cell,
                "comment_too_long",
                _("%(cell)s: a comment can be at most %(max)s characters; this one has %(length)s.")
                % {"cell": comment_cell, "max": MAX_COMMENT, "length": len(comment)},
            )
        uploaded.comments[key] = comment
    if problems:
        raise problems.error()
    if snapshot:
        uploaded.downloaded_values, uploaded.downloaded_comments = {}, {}
        for key in uploaded.values:
            text, comment = snapshot.get(field_label(key), ("", ""))
            try:
                uploaded.downloaded_values[key] = parse_figure(text)
            except ValueError:
                uploaded.downloaded_values[key] = None
            uploaded.downloaded_comments[key] = comment
    return uploaded


def _rows(sheet: Any, last_row: int) -> dict[int, tuple[Any, ...]]:
    """The header rows and the table (and rows below it), padded to the table's columns."""
    width = len(COLUMNS)
    rows: dict[int, tuple[Any, ...]] = {}
    for number, values in enumerate(
        sheet.iter_rows(
            min_row=HEADER_ROW,
            max_row=last_row + EXTRA_ROWS_CHECKED,
            max_col=width,
            values_only=True,
        ),
        start=HEADER_ROW,
    ):
        rows[number] = (*values, *([None] * width))[:width]
    for number in range(HEADER_ROW, last_row + 1):
        rows.setdefault(number, (None,) * width)
    return rows


def figures_from_workbook(
    statistical_return: StatisticalReturn, data: bytes
) -> tuple[dict[Key, Any], dict[Key, str]]:
    """The figures and comments of an uploaded workbook made for `statistical_return`, keyed
    (indicator code, category); ValidationError naming the cell or sheet of every problem."""
    uploaded = read_workbook(statistical_return, data)
    return uploaded.values, uploaded.comments
