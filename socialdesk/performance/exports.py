"""The dashboard on screen as a spreadsheet (openpyxl) or a PDF (fpdf2 with Noto Sans TC, so
Chinese renders on any machine). A dashboard is first laid out as a `Report` — titled tables of
plain values in the active language — and each format writes that, so both hold the same
figures as the page."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import AlertKind, AttainmentStatus, IndicatorKind, PlanStatus, ReturnStatus
from .periods import year_label
from .selectors.dashboards import (
    STATUS_ORDER,
    Dashboard,
    GroupRow,
    IndicatorDashboard,
    StandardRow,
    Timeliness,
    Trend,
    UnitDashboard,
    UnitRow,
    UnitStandard,
)

Value = str | int | Decimal | None


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    in_pdf: bool = True  # a long listing for analysis goes to the spreadsheet only


@dataclass
class Report:
    title: str
    subtitle: str
    generated_at: datetime
    tables: list[Table]


def _status_label(status: str) -> str:
    return str(AttainmentStatus(status).label)


def timeliness_labels() -> list[tuple[str, str]]:
    return [
        ("on_time", _("By the due date")),
        ("in_grace", _("Within the grace period")),
        ("late", _("Late")),
        ("missing", _("Missing")),
        ("pending", _("Not yet due or in grace")),
    ]


def _figure(value: Decimal | None, places: int = 0) -> Decimal | None:
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-max(places, 0)))


def _standard_table(standards: Sequence[StandardRow]) -> Table:
    table = Table(
        _("Attainment by standard"),
        [
            _("Code"),
            _("Standard"),
            _("Kind"),
            _("Units"),
            *(_status_label(s) for s in STATUS_ORDER),
            _("Actual"),
            _("Pro-rated target"),
            _("Agreed level"),
            _("Attainment (%)"),
        ],
    )
    for row in standards:
        places = row.decimal_places if not row.is_summed else 0
        table.rows.append(
            [
                row.code,
                row.name,
                str(IndicatorKind(row.kind).label),
                row.counts.total,
                *(row.counts.get(s) for s in STATUS_ORDER),
                _figure(row.actual, places or 1 if not row.is_summed else 0),
                _figure(row.target, places or 1 if not row.is_summed else 0),
                _figure(row.agreed, places or 1 if not row.is_summed else 0),
                row.attainment_percent,
            ]
        )
    return table


def _group_table(title: str, first: str, groups: Sequence[GroupRow]) -> Table:
    table = Table(
        title,
        [
            first,
            _("Units"),
            *(_("Units: %(status)s") % {"status": _status_label(s)} for s in STATUS_ORDER),
            _("Standards met or on track (%)"),
            _("Open alerts"),
            _("Open SIAPs"),
        ],
    )
    for group in groups:
        table.rows.append(
            [
                group.name,
                group.unit_count,
                *(group.units.get(s) for s in STATUS_ORDER),
                group.standards.meeting_percent,
                group.open_alerts,
                group.open_plans,
            ]
        )
    return table


def _timeliness_row(label: str, t: Timeliness) -> list[Value]:
    return [
        label,
        t.expected,
        t.on_time,
        t.in_grace,
        t.late,
        t.missing,
        t.pending,
        t.completeness_percent,
        t.on_time_percent,
    ]


def _timeliness_headers(first: str) -> list[str]:
    return [
        first,
        _("Returns due"),
        *(label for _key, label in timeliness_labels()),
        _("Completeness (%)"),
        _("On time (%)"),
    ]


def _trend_table(trend: Trend | None) -> Table | None:
    if trend is None or not trend.points:
        return None
    table = Table(
        _("Trend: %(standard)s") % {"standard": trend.name},
        [_("Period"), _("Figure"), _("Agreed level per period")],
    )
    for point in trend.points:
        table.rows.append([point.label, point.value, point.reference])
    return table


def _counts_table(dashboard: Dashboard) -> Table:
    table = Table(_("Summary"), [_("Measure"), _("Number")])
    rows: list[tuple[str, Value]] = [
        (_("Units with a funding and service agreement"), dashboard.unit_counts.total)
    ]
    for status in STATUS_ORDER:
        label = _("Units: %(status)s") % {"status": _status_label(status)}
        rows.append((label, dashboard.unit_counts.get(status)))
    rows.append((_("Standards met or on track (%)"), dashboard.standard_counts.meeting_percent))
    for kind, n in dashboard.open_alerts.items():
        rows.append((_("Open alerts: %(kind)s") % {"kind": AlertKind(kind).label}, n))
    for status, n in dashboard.plans.items():
        rows.append((_("SIAPs: %(status)s") % {"status": PlanStatus(status).label}, n))
    rows.append((_("SIAPs overdue"), dashboard.plans_overdue))
    table.rows = [list(row) for row in rows]
    return table


def _units_table(title: str, units: Sequence[UnitRow]) -> Table:
    table = Table(
        title,
        [
            _("Unit code"),
            _("Service unit"),
            _("Standing"),
            *(_status_label(s) for s in STATUS_ORDER),
            _("Open alerts"),
            _("Open SIAPs"),
        ],
    )
    for unit in units:
        table.rows.append(
            [
                unit.code,
                unit.name,
                _status_label(unit.worst),
                *(unit.counts.get(s) for s in STATUS_ORDER),
                unit.open_alerts,
                unit.open_plans,
            ]
        )
    return table


def dashboard_report(
    dashboard: Dashboard, *, title: str, subtitle: str, units: Sequence[UnitRow] | None = None
) -> Report:
    """The sector, service type or agency dashboard as tables; `units`: the units the page
    lists (all of them when not given; the spreadsheet always has every unit)."""
    tables = [_counts_table(dashboard), _standard_table(dashboard.standards)]
    if dashboard.organisation is None:
        tables.append(_group_table(_("Agencies"), _("Agency"), dashboard.by_organisation))
    tables.append(_group_table(_("Districts"), _("District"), dashboard.by_district))
    if dashboard.service_type is None:
        tables.append(
            _group_table(_("Service types"), _("Service type"), dashboard.by_service_type)
        )
    shown = dashboard.units if units is None else units
    tables.append(
        _units_table(_("Service units") if units is None else _("Units needing attention"), shown)
    )
    if units is not None and len(units) < len(dashboard.units):
        every = _units_table(_("All service units"), dashboard.units)
        every.in_pdf = False
        tables.append(every)
    timeliness = Table(_("Returns by period"), _timeliness_headers(_("Period")))
    for period in dashboard.timeliness_by_period:
        timeliness.rows.append(_timeliness_row(period.label, period.timeliness))
    timeliness.rows.append(_timeliness_row(_("Year to date"), dashboard.timeliness))
    tables.append(timeliness)
    if dashboard.organisation is None:
        by_agency = Table(_("Returns by agency"), _timeliness_headers(_("Agency")))
        for group in dashboard.by_organisation:
            if group.timeliness.expected:
                by_agency.rows.append(_timeliness_row(group.name, group.timeliness))
        tables.append(by_agency)
    trend = _trend_table(dashboard.trend)
    if trend is not None:
        tables.append(trend)
    return Report(title, subtitle, timezone.localtime(), tables)


def _unit_standard_table(title: str, rows: Sequence[UnitStandard], *, with_unit: bool) -> Table:
    headers = [_("Code"), _("Standard")]
    if with_unit:
        headers = [_("Unit code"), _("Service unit"), _("Agency"), _("District")]
    table = Table(
        title,
        [
            *headers,
            _("Status"),
            _("Actual"),
            _("Pro-rated target"),
            _("Agreed level"),
            _("Year-end forecast"),
            _("Periods reported"),
            _("Attainment (%)"),
        ],
    )
    for row in rows:
        first: list[Value] = [row.code, row.name]
        if with_unit:
            first = [row.unit_code, row.unit_name, row.organisation_name, row.district_name]
        table.rows.append(
            [
                *first,
                _status_label(row.status),
                row.actual,
                row.prorated_target,
                row.agreed,
                row.forecast,
                f"{row.periods_reported}/{row.periods_in_year}",
                row.attainment_percent,
            ]
        )
    return table


def unit_report(page: UnitDashboard, *, title: str, subtitle: str) -> Report:
    tables = [_unit_standard_table(_("Attainment by standard"), page.standards, with_unit=False)]
    returns = Table(
        _("Statistical returns"),
        [
            _("Period"),
            _("Due on"),
            _("Grace period until"),
            _("Status"),
            _("Submitted on"),
            _("Timeliness"),
        ],
    )
    labels = dict(timeliness_labels()) | {"not_due": _("Not yet due")}
    for row in page.returns:
        returns.rows.append(
            [
                row.label,
                row.due_on.isoformat() if row.due_on else None,
                row.grace_until.isoformat() if row.grace_until else None,
                str(ReturnStatus(row.status).label) if row.status else _("Not started"),
                row.submitted_on.isoformat() if row.submitted_on else None,
                labels.get(row.timeliness, row.timeliness),
            ]
        )
    tables.append(returns)
    alerts = Table(_("Open alerts"), [_("Kind"), _("About"), pgettext("alert", "Opened on")])
    for alert in page.alerts:
        alerts.rows.append(
            [
                alert.get_kind_display(),
                alert.indicator.name if alert.indicator else str(alert.period or alert.subject),
                timezone.localdate(alert.created_at).isoformat(),
            ]
        )
    tables.append(alerts)
    trend = _trend_table(page.trend)
    if trend is not None:
        tables.append(trend)
    return Report(title, subtitle, timezone.localtime(), tables)


def indicator_report(page: IndicatorDashboard, *, title: str, subtitle: str) -> Report:
    tables = [_unit_standard_table(_("Service units"), page.rows, with_unit=True)]
    trend = _trend_table(page.trend)
    if trend is not None:
        tables.append(trend)
    return Report(title, subtitle, timezone.localtime(), tables)


# --- Excel --------------------------------------------------------------------------------------


def _sheet_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:28].strip() or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:26]} {n}"
        n += 1
    used.add(name)
    return name


def report_xlsx(report: Report) -> bytes:
    """One sheet per table (numbers stay numbers), the title and filters above each."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    heading = Font(bold=True)
    fill = PatternFill("solid", fgColor="EAEEF2")
    for table in report.tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.append([report.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append([report.subtitle])
        sheet.append([table.title])
        sheet["A3"].font = heading
        sheet.append(table.headers)
        for cell in sheet[4]:
            cell.font = heading
            cell.fill = fill
        for row in table.rows:
            sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
        sheet.freeze_panes = "A5"
        for index, header in enumerate(table.headers, start=1):
            longest = max(
                [len(str(header))] + [len(str(r[index - 1] or "")) for r in table.rows[:200]]
            )
            sheet.column_dimensions[get_column_letter(index)].width = min(max(10, longest + 2), 48)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


# --- PDF ----------------------------------------------------------------------------------------

FONT = "NotoSansTC"


@cache
def font_path() -> str:
    """Noto Sans TC (SIL Open Font License), shipped by the pylopdf-fonts-zh-tw wheel: Traditional
    Chinese including the Hong Kong characters of district and agency names (埗, 鰂…)."""
    from pylopdf_fonts_zh_tw import sans_path

    return str(sans_path())


def _text(value: Value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value.normalize():,f}" if value == value.to_integral() else f"{value:,}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


PAGE_WIDTH = 273.0  # A4 landscape less the margins, in mm
ROW_HEIGHT = 5.0
LINE_HEIGHT = 3.6


def report_pdf(report: Report) -> bytes:
    """A4 landscape: the title, the filters and each table (headings repeated on each page).
    Only the glyphs used are embedded, with a ToUnicode map, so the text can be searched.
    Rows are drawn cell by cell (fpdf2's table layout measures every cell twice: ten times
    slower on a sector's hundreds of rows); a text too long for its column is shortened with
    "…" — the spreadsheet has it whole."""
    from fpdf import FPDF

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every glyph it subsets
    pdf = FPDF(orientation="landscape", unit="mm", format="A4")
    pdf.set_title(report.title)
    pdf.set_creator("SocialDesk")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font(FONT, fname=font_path())
    pdf.set_margins(12, 12, 12)
    pdf.add_page()
    pdf.set_font(FONT, size=15)
    pdf.multi_cell(0, 8, report.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    generated = report.generated_at.strftime("%Y-%m-%d %H:%M")
    produced = _("Produced")
    pdf.multi_cell(
        0, 5, f"{report.subtitle}\n{produced} {generated}", new_x="LMARGIN", new_y="NEXT"
    )
    for table in report.tables:
        if table.rows and table.in_pdf:
            _pdf_table(pdf, table)
    return bytes(pdf.output())


def _pdf_table(pdf: Any, table: Table) -> None:
    widths = _widths(table)
    if pdf.will_page_break(8 + 2 * ROW_HEIGHT + 12):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 6, table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=7.5)
    _pdf_header(pdf, table.headers, widths)
    for values in table.rows:
        if pdf.will_page_break(ROW_HEIGHT):
            pdf.add_page()
            _pdf_header(pdf, table.headers, widths)
        for width, value in zip(widths, values, strict=False):
            numeric = isinstance(value, int | Decimal)
            text = _fit(pdf, _text(value), width - 2)
            pdf.cell(width, ROW_HEIGHT, text, border="B", align="R" if numeric else "L")
        pdf.ln(ROW_HEIGHT)


def _pdf_header(pdf: Any, headers: list[str], widths: list[float]) -> None:
    """The headings, wrapped onto as many lines as the longest needs, on a grey band."""
    lines = [
        len(pdf.multi_cell(w, LINE_HEIGHT, h, dry_run=True, output="LINES")) or 1
        for w, h in zip(widths, headers, strict=True)
    ]
    height = max(lines) * LINE_HEIGHT + 1
    x, y = pdf.get_x(), pdf.get_y()
    pdf.set_fill_color(234, 238, 242)
    pdf.rect(x, y, sum(widths), height, style="F")
    for width, header in zip(widths, headers, strict=True):
        pdf.set_xy(x, y + 0.5)
        pdf.multi_cell(width, LINE_HEIGHT, header, align="L")
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _fit(pdf: Any, text: str, width: float) -> str:
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _widths(table: Table) -> list[float]:
    """Column widths by content, filling the page: text columns (names) get room, numbers
    stay narrow."""
    weights = []
    for index, header in enumerate(table.headers):
        column = [row[index] for row in table.rows[:200] if index < len(row)]
        texty = any(isinstance(v, str) for v in column) and not all(
            isinstance(v, str) and len(v) <= 8 for v in column
        )
        longest = max([len(_text(v)) for v in column] + [4])
        weight = min(longest, 26) * 1.6 if texty else min(max(longest, len(header) / 3), 10)
        weights.append(float(max(weight, 6)))
    scale = PAGE_WIDTH / sum(weights)
    return [w * scale for w in weights]


def safe_filename(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text).strip("-") or "x"


def report_filename(kind: str, fiscal_year: int, *parts: Any) -> str:
    stem = "-".join(safe_filename(str(p)) for p in ("performance", kind, *parts) if p)
    return f"{stem}-{year_label(fiscal_year)}"
