"""Request and response schemas of the service performance API. Figures go out as decimal strings
("1200", "85.5"), never floats, and come in as JSON numbers or strings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema

from .models import Attainment, ReturnEvent, ReturnValue, StatisticalReturn

FIGURE_VALUE: dict[str, Any] = {"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}


def decimal_text(value: Decimal | None) -> str | None:
    """A stored figure as the API writes it: no trailing zeros, no exponent ("90", "85.5")."""
    return None if value is None else format(value.normalize(), "f")


# --- Requests ---


class FigureIn(Schema):
    """One figure of a return: an indicator's total, or one category of its breakdown."""

    code: str = Field(max_length=40, description="Indicator code, e.g. `cases_served`.")
    category: str = Field(
        "", max_length=60, description='Breakdown category (`"sex:F"`); empty for the total.'
    )
    value: Any = Field(
        None,
        description='A JSON number or a string (`12`, `"12.5"`, `"1,200"`); null or `""` clears '
        "the figure.",
        json_schema_extra=FIGURE_VALUE,
    )
    comment: str | None = Field(
        None,
        max_length=500,
        description="Explains a warning; left out: the stored comment stays as it is.",
    )


class ReturnPut(Schema):
    """The figures of a unit's return for a period (only those sent change)."""

    version: int | None = Field(
        None, description="The return's `version` as read; leave it out only to create the return."
    )
    figures: list[FigureIn] = Field(default_factory=list, max_length=2000)
    submit: bool = Field(False, description="Submit after saving (the unit's supervisors).")


class VersionIn(Schema):
    version: int


class ReturnedFigureIn(Schema):
    code: str = Field(max_length=40)
    category: str = Field("", max_length=60)
    reason: str = Field("", max_length=500)


class ReturnBackIn(Schema):
    """Return for correction: only the figures in `fields` reopen (all of them if none given)."""

    version: int
    reason: str = Field(max_length=2000)
    fields: list[ReturnedFigureIn] = Field(default_factory=list, max_length=2000)


class UnlockIn(Schema):
    version: int
    reason: str = Field(max_length=2000)


# --- Responses ---


class FigureOut(Schema):
    code: str
    category: str
    value: str | None
    comment: str
    reopened: bool
    return_reason: str
    submitted_value: str | None

    @staticmethod
    def resolve_code(obj: ReturnValue) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_value(obj: ReturnValue) -> str | None:
        return decimal_text(obj.value)

    @staticmethod
    def resolve_submitted_value(obj: ReturnValue) -> str | None:
        return decimal_text(obj.submitted_value)


class IssueOut(Schema):
    """A problem the checks find: errors block submission, warnings need a comment."""

    code: str
    category: str
    severity: str
    message: str
    rule: str


class ReturnEventOut(Schema):
    action: str
    by: str
    channel: str
    at: datetime
    reason: str
    changes: list[dict[str, Any]]

    @staticmethod
    def resolve_by(obj: ReturnEvent) -> str:
        return obj.actor.display_name if obj.actor else ""


class ReturnSummaryOut(Schema):
    id: int
    unit: str
    period: str
    fiscal_year: int
    period_number: int
    status: str
    version: int
    due_on: date
    grace_until: date
    submitted_at: datetime | None
    last_submitted_at: datetime | None
    accepted_at: datetime | None
    locked: bool

    @staticmethod
    def resolve_unit(obj: StatisticalReturn) -> str:
        return obj.unit.code

    @staticmethod
    def resolve_period(obj: StatisticalReturn) -> str:
        return obj.period.label

    @staticmethod
    def resolve_fiscal_year(obj: StatisticalReturn) -> int:
        return obj.period.fiscal_year

    @staticmethod
    def resolve_period_number(obj: StatisticalReturn) -> int:
        return obj.period.number


class ReturnOut(ReturnSummaryOut):
    """A return with its figures, what the checks say about them, and its review history."""

    template: str
    template_version: int
    return_reason: str
    figures: list[FigureOut]
    issues: list[IssueOut]
    events: list[ReturnEventOut]

    @staticmethod
    def resolve_template(obj: StatisticalReturn) -> str:
        return obj.template.code

    @staticmethod
    def resolve_template_version(obj: StatisticalReturn) -> int:
        return obj.template.number

    @staticmethod
    def resolve_figures(obj: StatisticalReturn) -> list[ReturnValue]:
        return list(obj.values.all())

    @staticmethod
    def resolve_issues(obj: StatisticalReturn) -> list[Any]:
        return obj.checked.issues  # type: ignore[attr-defined]

    @staticmethod
    def resolve_events(obj: StatisticalReturn) -> list[ReturnEvent]:
        return list(obj.events.all())


class AttainmentOut(Schema):
    """Year-to-date attainment of one agreed standard."""

    indicator: str
    name_zh: str
    name_en: str
    agreed: str
    direction: str
    actual: str | None
    prorated_target: str | None
    forecast: str | None
    periods_reported: int
    periods_in_year: int
    status: str
    computed_at: datetime

    @staticmethod
    def resolve_indicator(obj: Attainment) -> str:
        return obj.indicator.code

    @staticmethod
    def resolve_name_zh(obj: Attainment) -> str:
        return obj.indicator.name_zh

    @staticmethod
    def resolve_name_en(obj: Attainment) -> str:
        return obj.indicator.name_en

    @staticmethod
    def resolve_agreed(obj: Attainment) -> str:
        return decimal_text(obj.agreed) or ""

    @staticmethod
    def resolve_actual(obj: Attainment) -> str | None:
        return decimal_text(obj.actual)

    @staticmethod
    def resolve_prorated_target(obj: Attainment) -> str | None:
        return decimal_text(obj.prorated_target)

    @staticmethod
    def resolve_forecast(obj: Attainment) -> str | None:
        return decimal_text(obj.forecast)
