"""The Excel channel of statistical returns (spreadsheet.py, services/uploads.py), on the shipped
IFSC definitions: the workbook made for a return, a filled-in one uploaded back, and every kind of
wrong file refused with its cell or sheet named and nothing stored."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import override_settings
from django.utils.translation import gettext, override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from socialdesk.accounts.models import User
from socialdesk.core.models import ServiceType
from socialdesk.core.tests.factories import ServiceTypeFactory, ServiceUnitFactory
from socialdesk.core.tests.world import World
from socialdesk.performance import spreadsheet
from socialdesk.performance.models import (
    AgreedLevel,
    Agreement,
    Frequency,
    ReportingPeriod,
    ReturnEvent,
    ReturnStatus,
    ReturnTemplate,
    ReturnValue,
    StatisticalReturn,
    TemplateItem,
)
from socialdesk.performance.services.definitions import (
    definitions_load_shipped,
    shipped_files,
    shipped_levels,
)
from socialdesk.performance.services.returns import (
    periods_ensure,
    return_endorse,
    return_get_or_create,
    return_save,
    return_send_back,
    return_submit,
    values_of,
)
from socialdesk.performance.services.uploads import return_upload, return_workbook
from socialdesk.performance.spreadsheet import (
    figures_from_workbook,
    read_cell_figure,
    workbook_for_return,
)

D = Decimal
SERVED = ("ifsc_cases_served", "")
SERVED_F = ("ifsc_cases_served", "sex:F")
SERVED_M = ("ifsc_cases_served", "sex:M")
NEW = ("ifsc_new_cases", "")
GROUPS = ("ifsc_groups", "")
ENQUIRIES = ("ifsc_enquiries", "")
RESPONDENTS = ("ifsc_survey_respondents", "")
SATISFIED = ("ifsc_survey_satisfied", "")
FULL = {
    SERVED: 300,
    SERVED_F: 180,
    SERVED_M: 120,
    NEW: 60,
    GROUPS: 30,
    ENQUIRIES: 410,
    RESPONDENTS: 50,
    SATISFIED: 44,
}
# The generated sheet: title block, headers in rows 11-12, sections and figures from row 13.
ROWS = {
    SERVED: 14,
    SERVED_F: 15,
    SERVED_M: 16,
    NEW: 17,
    GROUPS: 18,
    ENQUIRIES: 20,
    RESPONDENTS: 22,
    SATISFIED: 23,
}


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with override("en"):
        yield


@dataclass
class Shipped:
    template: ReturnTemplate
    agreement: Agreement
    periods: list[ReportingPeriod]  # 2025-26 Q1..Q4


@pytest.fixture
def shipped(world: World) -> Shipped:
    """The shipped definitions, unit_a's 2025-26 FSA on the IFSC template with the shipped
    agreed levels, and that year's quarters."""
    for path in shipped_files():
        for template in json.loads(path.read_text("utf-8")).get("templates", []):
            ServiceTypeFactory(code=template["service_type"])
    definitions_load_shipped()
    template = ReturnTemplate.objects.get(code="ifsc-return", number=1)
    return Shipped(
        template=template,
        agreement=_agreement(world.unit_a, template, 2025),
        periods=periods_ensure(2025, Frequency.QUARTERLY),
    )


def _agreement(unit: Any, template: ReturnTemplate, year: int) -> Agreement:
    agreement = Agreement.objects.create(unit=unit, fiscal_year=year, template=template)
    on_template = set(template.items.values_list("indicator__code", flat=True))
    for code, level in shipped_levels().items():
        if code in on_template:
            indicator = template.items.get(indicator__code=code).indicator
            AgreedLevel.objects.create(agreement=agreement, indicator=indicator, level=level)
    return agreement


@pytest.fixture
def ret(world: World, worker: User, shipped: Shipped) -> StatisticalReturn:
    """unit_a's 2025-26 Q1 return, a draft with no figures yet."""
    return return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=shipped.periods[0])


def cell(key: tuple[str, str], column: str = "G") -> str:
    return f"{column}{ROWS[key]}"


def edit(data: bytes, change: Callable[[Any], None] | dict[str, Any]) -> bytes:
    """The workbook with its figures sheet changed (a dict: cell → value) and saved again."""
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    if isinstance(change, dict):
        for ref, value in change.items():
            sheet[ref] = value
    else:
        change(sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def filled(data: bytes, figures: dict[tuple[str, str], Any]) -> bytes:
    return edit(data, {cell(key): value for key, value in figures.items()})


def upload(user: User, statistical_return: StatisticalReturn, data: bytes) -> StatisticalReturn:
    return return_upload(
        user=user, return_id=statistical_return.pk, data=data, filename="a-ifsc-q1.xlsx"
    )


def sheet_of(data: bytes, name: str | None = None) -> Any:
    book = load_workbook(io.BytesIO(data))
    return book[name] if name else book.worksheets[0]


def _state(statistical_return: StatisticalReturn) -> tuple[Any, ...]:
    stored = StatisticalReturn.objects.get(pk=statistical_return.pk)
    comments = dict(
        ReturnValue.objects.filter(statistical_return=stored).values_list(
            "indicator__code", "comment"
        )
    )
    return (
        values_of(stored),
        comments,
        stored.version,
        ReturnEvent.objects.filter(statistical_return=stored).count(),
    )


def refused(
    user: User, statistical_return: StatisticalReturn, data: bytes
) -> dict[str, list[tuple[str, str]]]:
    """The upload's errors as {place: [(code, message)]}; asserts nothing was stored."""
    before = _state(statistical_return)
    with pytest.raises(ValidationError) as exc:
        upload(user, statistical_return, data)
    assert _state(statistical_return) == before
    return {
        place: [(error.code or "", " ".join(error.messages)) for error in errors]
        for place, errors in exc.value.error_dict.items()
    }


# --- The workbook ----------------------------------------------------------------------------


def test_round_trip_stores_the_figures_through_the_excel_channel(
    worker: User, ret: StatisticalReturn
) -> None:
    """Download → fill in with Excel (openpyxl here) → upload: every figure and comment stored,
    one "saved" event on the "excel" channel listing the changes."""
    data = filled(workbook_for_return(ret), {**FULL, SERVED: "1,200", SERVED_F: 700})
    data = edit(data, {cell(SERVED_M): 500.0, cell(NEW, "H"): "Two new estates."})
    saved = upload(worker, ret, data)
    assert values_of(saved) == {
        **{key: D(value) for key, value in FULL.items()},
        SERVED: D(1200),
        SERVED_F: D(700),
        SERVED_M: D(500),
    }
    assert ReturnValue.objects.get(statistical_return=ret, category="", **_code(NEW)).comment == (
        "Two new estates."
    )
    event = ReturnEvent.objects.get(statistical_return=ret)
    assert (event.action, event.channel, event.actor) == ("saved", "excel", worker)
    assert {change["field"] for change in event.changes} == {
        "ifsc_cases_served",
        "ifsc_cases_served[sex:F]",
        "ifsc_cases_served[sex:M]",
        "ifsc_new_cases",
        "ifsc_groups",
        "ifsc_enquiries",
        "ifsc_survey_respondents",
        "ifsc_survey_satisfied",
    }
    assert saved.version == ret.version + 1

    # The same file again changes nothing; a new download is filled in with the stored figures.
    again = upload(worker, saved, data)
    assert ReturnEvent.objects.filter(statistical_return=ret).count() == 1
    assert sheet_of(workbook_for_return(again))[cell(SERVED)].value == 1200


def _code(key: tuple[str, str]) -> dict[str, str]:
    return {"indicator__code": key[0]}


def test_workbook_rows_previous_period_and_agreed_level(
    world: World, worker: User, shipped: Shipped, ret: StatisticalReturn
) -> None:
    """A title block, then one row per figure in template order under its section, with the
    unit's figure of the previous period (2024-25 Q4) and the agreed level of the year."""
    q4 = periods_ensure(2024, Frequency.QUARTERLY)[3]
    earlier = StatisticalReturn.objects.create(
        unit=world.unit_a,
        period=q4,
        template=shipped.template,
        status=ReturnStatus.ACCEPTED,
        due_on=q4.ends_on,
        grace_until=q4.ends_on,
    )
    for key, value in ((SERVED, 280), (SERVED_F, 150), (NEW, 55)):
        indicator = shipped.template.items.get(indicator__code=key[0]).indicator
        ReturnValue.objects.create(
            statistical_return=earlier, indicator=indicator, category=key[1], value=D(value)
        )
    ret = return_save(
        user=worker,
        return_id=ret.pk,
        expected_version=ret.version,
        values={GROUPS: "31"},
        comments={GROUPS: "Summer programme."},
    )

    sheet = sheet_of(workbook_for_return(ret))
    assert sheet["A1"].value == "IFSC quarterly statistical return"
    assert sheet["B3"].value == "Agency A Centre 甲中心 (a-ifsc)"
    assert sheet["B4"].value.startswith("2025-26 Q1")
    assert sheet["B5"].value.endswith("(ifsc-return v1)")
    codes = [sheet[f"A{row}"].value for row in range(13, 24)]
    assert codes == [
        None,  # section "Output"
        "ifsc_cases_served",
        "ifsc_cases_served[sex:F]",
        "ifsc_cases_served[sex:M]",
        "ifsc_new_cases",
        "ifsc_groups",
        None,  # "Other statistics"
        "ifsc_enquiries",
        None,  # "Outcome"
        "ifsc_survey_respondents",
        "ifsc_survey_satisfied",
    ]
    assert (sheet["B13"].value, sheet["C13"].value) == ("Output", "服務量")
    assert (sheet["B15"].value, sheet["C15"].value) == ("Sex: Female", "性別：女")
    assert sheet["E11"].value == "Previous period (2024-25 Q4)"
    assert [sheet[cell(key, "E")].value for key in (SERVED, SERVED_F, SERVED_M, NEW)] == [
        280,
        150,
        None,
        55,
    ]
    assert [sheet[cell(key, "F")].value for key in (SERVED, SERVED_F, NEW, GROUPS)] == [
        900,
        None,  # levels are for totals
        250,
        120,
    ]
    assert sheet[cell(GROUPS)].value == 31
    assert sheet[cell(GROUPS, "H")].value == "Summer programme."
    assert sheet[cell(SERVED)].value is None


def test_workbook_locks_all_but_figures_and_comments(ret: StatisticalReturn) -> None:
    """Protected sheet (no password), open figure and comment cells with Excel's checks, frozen
    headers, and a "veryHidden" meta sheet naming the return with a fingerprint of its codes."""
    data = workbook_for_return(ret)
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    assert sheet.protection.sheet and not sheet.protection.password
    assert book.security.lockStructure
    assert not sheet[cell(SERVED)].protection.locked
    assert not sheet[cell(SERVED, "H")].protection.locked
    for ref in ("A14", "B14", "E14", "F14", "G13", "G11", "A1"):
        assert sheet[ref].protection.locked, ref
    assert sheet.freeze_panes == "C13"
    assert sheet[cell(SERVED)].number_format == "#,##0"
    rules = {
        (dv.type, dv.operator, dv.formula1): str(dv.sqref)
        for dv in sheet.data_validations.dataValidation
    }
    assert "G14" in rules[("decimal", "greaterThanOrEqual", "0")]
    assert "H14" in rules[("textLength", "lessThanOrEqual", "500")]

    meta = book["meta"]
    assert meta.sheet_state == "veryHidden"
    settings_rows = {row[0]: row[1] for row in meta.iter_rows(max_row=16, values_only=True)}
    assert settings_rows["return_id"] == str(ret.pk)
    assert settings_rows["unit"] == "a-ifsc"
    assert (settings_rows["fiscal_year"], settings_rows["frequency"], settings_rows["period"]) == (
        "2025",
        "quarterly",
        "1",
    )
    assert (settings_rows["template"], settings_rows["template_version"]) == ("ifsc-return", "1")
    assert settings_rows["fingerprint"] == spreadsheet.fingerprint(spreadsheet.lines_of(ret))
    assert len(settings_rows["fingerprint"]) == 64


def test_headers_in_the_users_language_then_the_other(ret: StatisticalReturn) -> None:
    """Row 11 in the language asked for, row 12 in the other; names likewise."""
    english = sheet_of(workbook_for_return(ret, language="en"))
    chinese = sheet_of(workbook_for_return(ret, language="zh-hant"))

    def headers(sheet: Any, row: int) -> list[str]:
        return [sheet.cell(row=row, column=column).value for column in range(1, 9)]

    assert headers(english, 11)[0] == "Code"
    assert headers(english, 11)[6] == "Figure (2025-26 Q1)"
    # Column C holds the names in the other language: "Indicator (Chinese)" in an English
    # workbook. Otherwise row 11 of one workbook is row 12 of the other.
    assert headers(english, 11)[2] == "Indicator (Chinese)"
    assert headers(chinese, 12)[2] == "Indicator (English)"
    for ours, theirs in (
        (headers(english, 11), headers(chinese, 12)),
        (headers(chinese, 11), headers(english, 12)),
    ):
        assert ours[:2] + ours[3:] == theirs[:2] + theirs[3:]
    with override("zh-hant"):
        assert headers(chinese, 11)[7] == str(gettext("Comment"))
    assert (english["B14"].value, english["C14"].value) == (
        "Number of cases served",
        "處理個案數目",
    )
    assert (chinese["B14"].value, chinese["C14"].value) == (
        "處理個案數目",
        "Number of cases served",
    )
    assert chinese["A1"].value == "綜合家庭服務中心季度統計報表"
    # A workbook in Chinese uploads the same way.
    assert figures_from_workbook(ret, filled(workbook_for_return(ret, language="zh-hant"), FULL))[
        0
    ] == {key: D(value) for key, value in FULL.items()}


def test_return_workbook_names_the_file(worker: User, ret: StatisticalReturn) -> None:
    name, data = return_workbook(user=worker, return_id=ret.pk)
    assert name == "a-ifsc-2025-26-Q1-ifsc-return.xlsx"
    assert data.startswith(b"PK")


# --- Files that are not the return's workbook -------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"code,value\nifsc_cases_served,12\n", "csv"),
        ("代碼,數值\nifsc_cases_served,12\n".encode("big5"), "csv"),
        ("代碼\tifsc_cases_served\n".encode("utf-16"), "csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "xls"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not_xlsx"),
        (b"PK\x03\x04 truncated zip", "damaged"),
        (_zip({"word/document.xml": b"<w/>", "[Content_Types].xml": b"<x/>"}), "not_xlsx"),
        (_zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), "ods"),
        (_zip({"xl/workbook.xml": b"<not a workbook", "[Content_Types].xml": b"<"}), "damaged"),
    ],
    ids=[
        "csv",
        "csv-big5",
        "utf16-text",
        "xls",
        "png",
        "bad-zip",
        "docx-like",
        "ods",
        "damaged-xlsx",
    ],
)
def test_a_file_that_is_not_an_xlsx_is_refused(
    worker: User, ret: StatisticalReturn, content: bytes, code: str
) -> None:
    errors = refused(worker, ret, content)
    assert list(errors) == ["file"]
    [(found_code, message)] = errors["file"]
    assert found_code == code
    assert message.startswith("“a-ifsc-q1.xlsx”: ")


def test_truncated_workbook_is_damaged(worker: User, ret: StatisticalReturn) -> None:
    data = filled(workbook_for_return(ret), FULL)
    errors = refused(worker, ret, data[: len(data) // 2])
    assert [code for code, _message in errors["file"]] == ["damaged"]


def test_too_large_file_is_refused_before_parsing(
    worker: User, ret: StatisticalReturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = filled(workbook_for_return(ret), FULL)
    monkeypatch.setattr(spreadsheet, "load_workbook", _never)
    with override_settings(SOCIALDESK_PERFORMANCE_UPLOAD_MAX_BYTES=len(data) - 1):
        errors = refused(worker, ret, data)
    [(code, message)] = errors["file"]
    assert code == "too_large"
    assert "the largest accepted is" in message


def _never(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the file was parsed")


def test_zip_bomb_is_refused_from_the_zip_directory(
    worker: User, ret: StatisticalReturn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small file that would unpack to more than the limit never reaches openpyxl."""
    monkeypatch.setattr(spreadsheet, "MAX_UNPACKED_BYTES", 1024 * 1024)
    monkeypatch.setattr(spreadsheet, "load_workbook", _never)
    bomb = _zip({"xl/workbook.xml": b"<a/>", "xl/worksheets/sheet1.xml": b" " * (2 * 1024 * 1024)})
    assert len(bomb) < 20_000
    errors = refused(worker, ret, bomb)
    assert [code for code, _message in errors["file"]] == ["unpacks_too_large"]


def test_a_workbook_that_is_not_a_socialdesk_return_is_refused(
    worker: User, ret: StatisticalReturn
) -> None:
    book = Workbook()
    book.active.append(["ifsc_cases_served", 12])
    buffer = io.BytesIO()
    book.save(buffer)
    errors = refused(worker, ret, buffer.getvalue())
    assert list(errors) == ["meta"]
    assert errors["meta"][0][0] == "not_a_return"
    assert "“meta” sheet" in errors["meta"][0][1]


def test_the_template_of_another_service_is_refused(
    world: World, worker: User, ret: StatisticalReturn
) -> None:
    """A DECC centre's half-yearly workbook uploaded to an IFSC return: template, unit and
    period are all named."""
    decc = ServiceUnitFactory(
        organisation=world.ngo_a,
        service_type=ServiceType.objects.get(code="decc"),
        district=world.district,
        code="a-decc",
    )
    template = ReturnTemplate.objects.get(code="decc-return")
    _agreement(decc, template, 2025)
    half = periods_ensure(2025, Frequency.HALF_YEARLY)[0]
    other = StatisticalReturn.objects.create(
        unit=decc, period=half, template=template, due_on=half.ends_on, grace_until=half.ends_on
    )
    errors = refused(worker, ret, workbook_for_return(other))
    assert errors["template"][0][0] == "other_template"
    assert "decc-return v1" in errors["template"][0][1]
    assert "ifsc-return v1" in errors["template"][0][1]
    assert errors["unit"][0][0] == "other_unit"
    assert errors["period"][0] == (
        "other_period",
        "This workbook is for the period 2025-26 H1, not for 2025-26 Q1.",
    )


def test_an_older_template_version_is_refused(
    worker: User, shipped: Shipped, ret: StatisticalReturn
) -> None:
    data = filled(workbook_for_return(ret), FULL)
    newer = ReturnTemplate.objects.create(
        code="ifsc-return",
        number=2,
        name_zh=shipped.template.name_zh,
        name_en=shipped.template.name_en,
        service_type=shipped.template.service_type,
        frequency=Frequency.QUARTERLY,
        first_year=2025,
    )
    for item in shipped.template.items.all():
        TemplateItem.objects.create(template=newer, indicator=item.indicator, order=item.order)
    StatisticalReturn.objects.filter(pk=ret.pk).update(template=newer)
    ret.refresh_from_db()
    errors = refused(worker, ret, data)
    assert list(errors) == ["template"]
    assert errors["template"][0] == (
        "old_template",
        "This workbook is an older version of the template (ifsc-return v1); this return uses "
        "ifsc-return v2. Download the current template.",
    )


def test_the_workbook_of_another_unit_is_refused(
    world: World, worker: User, staff_b: User, shipped: Shipped, ret: StatisticalReturn
) -> None:
    _agreement(world.unit_b, shipped.template, 2025)
    theirs = return_get_or_create(user=staff_b, unit_id=world.unit_b.pk, period=shipped.periods[0])
    errors = refused(worker, ret, filled(workbook_for_return(theirs), FULL))
    assert list(errors) == ["unit"]
    assert errors["unit"][0] == (
        "other_unit",
        "This workbook is for the unit b-ifsc, not for Agency A Centre (a-ifsc). Download the "
        "template of this unit's return.",
    )


def test_the_workbook_of_another_period_is_refused(
    world: World, worker: User, shipped: Shipped, ret: StatisticalReturn
) -> None:
    q2 = return_get_or_create(user=worker, unit_id=world.unit_a.pk, period=shipped.periods[1])
    errors = refused(worker, ret, filled(workbook_for_return(q2), FULL))
    assert list(errors) == ["period"]
    assert errors["period"][0][0] == "other_period"
    assert "2025-26 Q2" in errors["period"][0][1]


# --- Edited layout -----------------------------------------------------------------------------


def _swap_rows(first: int, second: int) -> Callable[[Any], None]:
    def change(sheet: Any) -> None:
        for column in "ABCDEFGH":
            a, b = sheet[f"{column}{first}"], sheet[f"{column}{second}"]
            a.value, b.value = b.value, a.value

    return change


@pytest.mark.parametrize(
    ("change", "place", "code", "words"),
    [
        ({"G11": "Cases"}, "G11", "header_changed", ["G11 is a header", "“Cases”"]),
        ({"A17": "ifsc_new_case"}, "A17", "code_changed", ["A17", "“ifsc_new_case”"]),
        ({"A18": None}, "A18", "code_changed", ["A18", "“ifsc_groups”", "empty"]),
        (lambda sheet: sheet.insert_rows(16), "A16", "row_moved", ["row 16", "row 17"]),
        (lambda sheet: sheet.delete_rows(15), "A15", "row_deleted", ["row 15", "was deleted"]),
        (_swap_rows(17, 18), "A17", "row_moved", ["“ifsc_new_cases”", "row 18"]),
        ({"G30": 5}, "G30", "outside_table", ["G30", "“5”"]),
        ({"G19": 5}, "G19", "outside_table", ["G19"]),
    ],
    ids=["header", "code", "code-cleared", "inserted", "deleted", "moved", "below", "section"],
)
def test_edited_headers_codes_and_rows_are_named(
    worker: User,
    ret: StatisticalReturn,
    change: Any,
    place: str,
    code: str,
    words: list[str],
) -> None:
    errors = refused(worker, ret, edit(filled(workbook_for_return(ret), FULL), change))
    assert place in errors, errors
    found_code, message = errors[place][0]
    assert found_code == code
    for word in words:
        assert word in message


def test_rows_inserted_above_the_table_are_named_once(worker: User, ret: StatisticalReturn) -> None:
    """One message for the headers, one for the figures: not one for every shifted cell."""
    errors = refused(
        worker, ret, edit(workbook_for_return(ret), lambda sheet: sheet.insert_rows(5, 2))
    )
    assert sorted(errors) == ["A11", "A14"]
    assert errors["A11"][0][0] == "header_changed"
    assert errors["A14"][0][0] == "row_moved"
    assert "is in row 16" in errors["A14"][0][1]


def test_an_inserted_column_is_named_at_its_header(worker: User, ret: StatisticalReturn) -> None:
    errors = refused(
        worker, ret, edit(workbook_for_return(ret), lambda sheet: sheet.insert_cols(5))
    )
    assert errors["E11"][0][0] == "header_changed"
    assert "Previous period (2024-25 Q4)" in errors["E11"][0][1]


# --- Figure cells --------------------------------------------------------------------------------


def test_text_in_number_cells_is_named(worker: User, ret: StatisticalReturn) -> None:
    data = filled(workbook_for_return(ret), {**FULL, SERVED: "twelve", NEW: "12 cases"})
    errors = refused(worker, ret, data)
    assert errors == {
        "G14": [
            (
                "not_a_number",
                "G14 (ifsc_cases_served) holds “twelve”, which is not a number. Type the figure "
                "only, e.g. 12.",
            )
        ],
        "G17": [
            (
                "not_a_number",
                "G17 (ifsc_new_cases) holds “12 cases”, which is not a number. Type the figure "
                "only, e.g. 12.",
            )
        ],
    }


def test_negative_figures_dates_and_long_comments_are_named(
    worker: User, ret: StatisticalReturn
) -> None:
    from datetime import datetime

    data = filled(
        workbook_for_return(ret),
        {**FULL, GROUPS: -3, ENQUIRIES: datetime(2025, 1, 2), RESPONDENTS: 10**12},
    )
    data = edit(data, {cell(NEW, "H"): "x" * 501})
    errors = refused(worker, ret, data)
    assert errors["G18"] == [
        ("negative", "G18 (ifsc_groups) holds -3: a figure cannot be negative.")
    ]
    assert errors["G22"][0][0] == "too_large_number"
    assert errors["G20"][0][0] == "date"
    assert "2025-01-02" in errors["G20"][0][1]
    assert errors["H17"][0][0] == "comment_too_long"
    assert "501" in errors["H17"][0][1]


def test_formula_without_a_saved_result_is_refused(worker: User, ret: StatisticalReturn) -> None:
    """openpyxl (like any script) writes formulas without their result: refused, named."""
    data = filled(workbook_for_return(ret), {**FULL, SERVED: "=G15+G16"})
    errors = refused(worker, ret, data)
    assert errors["G14"][0][0] == "formula"
    assert "G14 (ifsc_cases_served) holds a formula (=G15+G16)" in errors["G14"][0][1]


def _with_saved_result(data: bytes, ref: str, result: str) -> bytes:
    """The workbook as Excel saves it: the formula of `ref` with its result."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                pattern = rf'(<c r="{ref}"[^>]*>)<f>([^<]*)</f>(<v\s*/>|<v></v>)?'
                text, count = re.subn(pattern, rf"\1<f>\2</f><v>{result}</v>", text)
                assert count == 1
                content = text.encode()
            target.writestr(info, content)
    return buffer.getvalue()


def test_formula_with_a_saved_result_counts(worker: User, ret: StatisticalReturn) -> None:
    data = filled(workbook_for_return(ret), {**FULL, SERVED: "=G15+G16"})
    saved = upload(worker, ret, _with_saved_result(data, "G14", "300"))
    assert values_of(saved)[SERVED] == D(300)


def test_empty_cells_store_nothing(worker: User, ret: StatisticalReturn) -> None:
    """Blank figures of a new draft are not stored as empty rows; one figure is enough."""
    saved = upload(worker, ret, filled(workbook_for_return(ret), {GROUPS: 7}))
    assert values_of(saved) == {GROUPS: D(7)}


# --- The review and concurrent edits -----------------------------------------------------------


def test_a_returned_return_accepts_only_the_reopened_figures(
    worker: User, supervisor: User, agency_admin: User, swd: User, ret: StatisticalReturn
) -> None:
    ret = return_save(user=worker, return_id=ret.pk, expected_version=ret.version, values=FULL)
    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    ret = return_endorse(user=agency_admin, return_id=ret.pk, expected_version=ret.version)
    ret = return_send_back(
        user=swd,
        return_id=ret.pk,
        expected_version=ret.version,
        reason="Please check the new cases.",
        fields={NEW: "Does not match the case records."},
    )
    data = workbook_for_return(ret)
    sheet = sheet_of(data)
    assert not sheet[cell(NEW)].protection.locked
    assert sheet[cell(NEW)].comment.text == "Does not match the case records."
    assert sheet[cell(SERVED)].protection.locked
    assert sheet[cell(SERVED, "H")].protection.locked is False

    errors = refused(worker, ret, filled(data, {SERVED: 310, NEW: 61}))
    assert errors == {
        "G14": [
            (
                "refused",
                "G14 (ifsc_cases_served): Only the figures returned for correction can be changed.",
            )
        ]
    }
    saved = upload(worker, ret, filled(data, {NEW: 61}))
    assert saved.status == ReturnStatus.RETURNED
    assert values_of(saved)[NEW] == D(61)
    assert values_of(saved)[SERVED] == D(300)


def test_a_figure_changed_in_socialdesk_since_the_download(
    worker: User, ret: StatisticalReturn
) -> None:
    """Kept when the file leaves it as it was; refused, named, when the file changes it too."""
    ret = return_save(user=worker, return_id=ret.pk, expected_version=ret.version, values=FULL)
    data = workbook_for_return(ret)
    ret = return_save(
        user=worker, return_id=ret.pk, expected_version=ret.version, values={SERVED: 320}
    )
    errors = refused(worker, ret, filled(data, {SERVED: 330}))
    assert errors["G14"][0][0] == "changed_since_download"
    assert "from 300 to 320" in errors["G14"][0][1]
    assert "to 330" in errors["G14"][0][1]

    saved = upload(worker, ret, filled(data, {NEW: 65}))
    assert values_of(saved)[SERVED] == D(320)
    assert values_of(saved)[NEW] == D(65)


def test_a_submitted_return_refuses_uploads(
    worker: User, supervisor: User, ret: StatisticalReturn
) -> None:
    ret = return_save(user=worker, return_id=ret.pk, expected_version=ret.version, values=FULL)
    data = workbook_for_return(ret)
    ret = return_submit(user=supervisor, return_id=ret.pk, expected_version=ret.version)
    assert sheet_of(workbook_for_return(ret))[cell(SERVED)].protection.locked
    errors = refused(worker, ret, filled(data, {NEW: 61}))
    assert errors == {"return": [("refused", "This return can no longer be changed.")]}


def test_another_organisation_cannot_upload(staff_b: User, ret: StatisticalReturn) -> None:
    with pytest.raises(Http404):
        upload(staff_b, ret, workbook_for_return(ret))


# --- Reading one cell ------------------------------------------------------------------------


def test_a_cell_reads_as_excel_shows_it() -> None:
    """No binary noise from a calculated result; Excel's error values named as such."""
    assert read_cell_figure(0.1 + 0.2, None)[0] == D("0.3")
    assert read_cell_figure("#DIV/0!", "=G22/G23")[1] == "excel_error"
    assert read_cell_figure(None, "=G22/G23")[1] == "formula"
    assert read_cell_figure(" 1,200 ", None)[0] == D(1200)
    assert read_cell_figure(True, None)[1] == "not_a_number"


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False))
def test_numbers_read_back_whether_typed_as_number_or_text(number: Decimal) -> None:
    assert read_cell_figure(number, None)[0] == number
    assert read_cell_figure(float(number), None)[0] == number
    assert read_cell_figure(str(number), None)[0] == number
    assert read_cell_figure(f"{number:,}", None)[0] == number


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.one_of(st.text(max_size=20), st.floats(), st.integers(), st.booleans(), st.none()))
def test_any_cell_is_a_figure_or_a_named_problem(raw: Any) -> None:
    value, code, message = read_cell_figure(raw, None)
    if value is None:
        assert bool(code) == bool(message)
        if message:
            assert "%(cell)s" in message
    else:
        assert not code and D(0) <= value < spreadsheet.TOO_LARGE
