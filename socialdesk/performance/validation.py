"""The checks of a statistical return, as the template defines them: required figures, ranges,
breakdowns that must add up to their total, comparisons between figures, and outliers against
the unit's own history. Pure functions over plain data, so that the web form, the Excel upload
and the API check a return the same way (and tests need no database)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext as _

ERROR, WARNING = "error", "warning"
THOUSANDS = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$")
Key = tuple[str, str]  # (indicator code, category: "" for the total, "sex:F" for a breakdown)


@dataclass(frozen=True)
class ItemSpec:
    code: str
    name: str
    required: bool = True
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    measure: str = "count"
    decimal_places: int = 0
    # Each breakdown: (disaggregation code, its category codes).
    breakdowns: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class RuleSpec:
    code: str
    kind: str  # "compare" or "outlier"
    severity: str
    left: str
    operator: str = ""
    right: str = ""
    constant: Decimal | None = None
    factor: Decimal = Decimal(1)
    message_zh: str = ""
    message_en: str = ""

    @property
    def message(self) -> str:
        zh = (get_language() or "zh-hant").lower().startswith("zh")
        return (self.message_zh if zh else self.message_en) or self.message_en or self.message_zh


@dataclass(frozen=True)
class Issue:
    """A problem with one figure: errors block submission; warnings need a comment."""

    code: str
    category: str
    severity: str
    message: str
    rule: str = ""

    @property
    def key(self) -> Key:
        return (self.code, self.category)


@dataclass
class Checked:
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [issue for issue in self.issues if issue.severity == WARNING]

    def unexplained_warnings(self, comments: Mapping[Key, str]) -> list[Issue]:
        return [w for w in self.warnings if not (comments.get(w.key) or "").strip()]


OPERATORS = {
    "<=": lambda a, b: a <= b,
    "<": lambda a, b: a < b,
    ">=": lambda a, b: a >= b,
    ">": lambda a, b: a > b,
    "==": lambda a, b: a == b,
}


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def check_return(
    items: Sequence[ItemSpec],
    rules: Sequence[RuleSpec],
    values: Mapping[Key, Decimal | None],
    history: Mapping[str, Sequence[Decimal]] | None = None,
) -> Checked:
    """Every issue of a return's `values` (keyed by (indicator code, category)). `history`: the
    unit's earlier figures of each indicator (totals), for the outlier rules."""
    checked = Checked()
    add = checked.issues.append
    names = {item.code: item.name for item in items}
    for item in items:
        total = values.get((item.code, ""))
        if total is None:
            if item.required:
                add(Issue(item.code, "", ERROR, _("Enter this figure (0 if there were none).")))
            continue
        if total < 0:
            add(Issue(item.code, "", ERROR, _("A figure cannot be negative.")))
        if item.min_value is not None and total < item.min_value:
            add(
                Issue(
                    item.code,
                    "",
                    ERROR,
                    _("The figure must be at least %(min)s.") % {"min": _fmt(item.min_value)},
                )
            )
        if item.max_value is not None and total > item.max_value:
            add(
                Issue(
                    item.code,
                    "",
                    ERROR,
                    _("The figure must be at most %(max)s.") % {"max": _fmt(item.max_value)},
                )
            )
        if item.measure == "percent" and total > 100:
            add(Issue(item.code, "", ERROR, _("A percentage cannot be more than 100.")))
        exponent = total.normalize().as_tuple().exponent
        if isinstance(exponent, int) and -exponent > item.decimal_places:
            if item.decimal_places == 0:
                message = _("Enter a whole number.")
            else:
                message = _("Enter at most %(places)s decimal places.") % {
                    "places": item.decimal_places
                }
            add(Issue(item.code, "", ERROR, message))
        for dimension, categories in item.breakdowns:
            parts = [values.get((item.code, f"{dimension}:{c}")) for c in categories]
            if all(part is None for part in parts):
                continue
            if any(part is None for part in parts):
                add(
                    Issue(
                        item.code,
                        f"{dimension}:{categories[parts.index(None)]}",
                        ERROR,
                        _("Fill in every category of the breakdown, or none."),
                    )
                )
                continue
            breakdown_total = sum((part for part in parts if part is not None), Decimal(0))
            if breakdown_total != total:
                add(
                    Issue(
                        item.code,
                        "",
                        ERROR,
                        _("The breakdown adds up to %(sum)s, not to the total %(total)s.")
                        % {"sum": _fmt(breakdown_total), "total": _fmt(total)},
                    )
                )
    for rule in rules:
        left = values.get((rule.left, ""))
        if left is None:
            continue
        if rule.kind == "compare":
            if rule.right:
                right_value = values.get((rule.right, ""))
                if right_value is None:
                    continue
                right = right_value * rule.factor
            elif rule.constant is not None:
                right = rule.constant
            else:
                continue
            test = OPERATORS.get(rule.operator)
            if test is not None and not test(left, right):
                message = rule.message or _("%(left)s must be %(op)s %(right)s.") % {
                    "left": names.get(rule.left, rule.left),
                    "op": rule.operator,
                    "right": _fmt(right)
                    if not rule.right or rule.factor != 1
                    else names.get(rule.right, _fmt(right)),
                }
                add(Issue(rule.left, "", rule.severity, message, rule.code))
        elif rule.kind == "outlier":
            earlier = [v for v in (history or {}).get(rule.left, ()) if v is not None]
            if len(earlier) < 2:
                continue
            median = Decimal(str(statistics.median(earlier)))
            factor = rule.factor if rule.factor > 1 else Decimal(2)
            if median > 0 and (left > median * factor or left * factor < median):
                message = rule.message or _(
                    "This figure is far from this unit's usual figure (median %(median)s of "
                    "the last periods). Check it, or explain it in a comment."
                ) % {"median": _fmt(median)}
                add(Issue(rule.left, "", rule.severity, message, rule.code))
    return checked


def parse_figure(raw: Any) -> Decimal | None:
    """A figure as typed, uploaded or sent: None when empty; raises ValueError when it is not a
    number ("12", "12.5", 12, "1,200" are numbers; "twelve", "12 cases" are not)."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ValueError("not a number")
    if isinstance(raw, (int, Decimal, float)):
        value = Decimal(raw) if not isinstance(raw, float) else Decimal(str(raw))
        if not value.is_finite():
            raise ValueError("not a number")
        return value
    text = str(raw).strip()
    if not text:
        return None
    if "," in text:  # thousands separators only where they belong: "1,200", not "1,2"
        if not THOUSANDS.match(text):
            raise ValueError("not a number")
        text = text.replace(",", "")
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise ValueError("not a number") from None
    if not value.is_finite():
        raise ValueError("not a number")
    return value
