"""The text forms of choices and skip conditions, as written in the spreadsheet and the admin:
choices as "value|label_zh|label_en|score" lines, conditions as `age >= 65`, `risk in high,medium`,
`living_alone = yes`, joined by `or` / `and`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

from .conditions import LIST_OPERATORS, OPERATORS, Operator
from .values import ParseError

_CONDITION_RE = re.compile(
    r"^\s*(?P<field>[^\s=!<>]+)\s*"
    r"(?:(?P<op>==|=|!=|>=|<=|>|<|\bnot\s+in\b|\bin\b|\btruthy\b|\bis\s+answered\b)\s*"
    r"(?P<value>.*?))?\s*$",
    re.IGNORECASE,
)
_TEXT_OPERATORS = {
    "=": Operator.EQ,
    "==": Operator.EQ,
    "!=": Operator.NE,
    ">": Operator.GT,
    ">=": Operator.GTE,
    "<": Operator.LT,
    "<=": Operator.LTE,
    "in": Operator.IN,
    "not in": Operator.NOT_IN,
    "truthy": Operator.TRUTHY,
    "is answered": Operator.TRUTHY,
}
_OPERATOR_TEXT = {
    Operator.EQ: "=",
    Operator.NE: "!=",
    Operator.GT: ">",
    Operator.GTE: ">=",
    Operator.LT: "<",
    Operator.LTE: "<=",
    Operator.IN: "in",
    Operator.NOT_IN: "not in",
}


def parse_choices_text(text: str) -> list[dict[str, Any]]:
    """Choices from lines "value|label_zh|label_en|score" separated by line breaks or ";"."""
    choices: list[dict[str, Any]] = []
    for position, line in enumerate(
        (part.strip() for part in re.split(r"[;\n\r]+", text or "")), start=1
    ):
        if not line:
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (3, 4) or not parts[0]:
            raise ParseError(
                _("Choice %(n)s (“%(line)s”): write value|Chinese label|English label|score.")
                % {"n": position, "line": line}
            )
        choice: dict[str, Any] = {"value": parts[0], "label_zh": parts[1], "label_en": parts[2]}
        if len(parts) == 4 and parts[3]:
            choice["score"] = parts[3]
        choices.append(choice)
    return choices


def format_choices_text(choices: Sequence[Mapping[str, Any]]) -> str:
    """Choices as the lines `parse_choices_text` reads."""
    lines = []
    for choice in choices or []:
        parts = [str(choice.get(name, "")) for name in ("value", "label_zh", "label_en")]
        if choice.get("score") is not None:
            parts.append(str(choice["score"]))
        lines.append("|".join(parts))
    return "\n".join(lines)


def _parse_simple_condition(text: str) -> dict[str, Any]:
    match = _CONDITION_RE.match(text)
    if not match:
        raise ParseError(_("“%(text)s” is not a condition.") % {"text": text})
    field_key = match.group("field")
    op_text = re.sub(r"\s+", " ", (match.group("op") or "truthy").lower())
    op = _TEXT_OPERATORS[op_text]
    value_text = (match.group("value") or "").strip()
    if op == Operator.TRUTHY:
        if value_text:
            raise ParseError(_("“%(text)s” is not a condition.") % {"text": text})
        return {"field": field_key, "op": str(op)}
    if not value_text:
        raise ParseError(
            _("“%(text)s” has no value to compare with.") % {"text": text},
        )
    if op in LIST_OPERATORS:
        items = [item.strip() for item in value_text.split(",") if item.strip()]
        return {"field": field_key, "op": str(op), "value": items}
    return {"field": field_key, "op": str(op), "value": value_text}


def parse_condition_text(text: str) -> dict[str, Any] | None:
    """A skip condition from text: `living_alone = yes`, `age >= 65`, `risk in high,medium`,
    `consent != yes`, `phone` (answered), joined with `or` / `and` (not both)."""
    text = (text or "").strip()
    if not text:
        return None
    ors = re.split(r"\s+or\s+", text, flags=re.IGNORECASE)
    ands = re.split(r"\s+and\s+", text, flags=re.IGNORECASE)
    if len(ors) > 1 and len(ands) > 1:
        raise ParseError(_("Use either “and” or “or” in one condition, not both."))
    if len(ors) > 1:
        return {"any": [_parse_simple_condition(part) for part in ors]}
    if len(ands) > 1:
        return {"all": [_parse_simple_condition(part) for part in ands]}
    return _parse_simple_condition(text)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(_value_text(item) for item in value)
    return str(value)


def format_condition_text(condition: Mapping[str, Any] | None) -> str:
    """A skip condition as the text `parse_condition_text` reads."""
    if not condition:
        return ""
    for joiner in ("any", "all"):
        if joiner in condition:
            word = " or " if joiner == "any" else " and "
            return word.join(format_condition_text(part) for part in condition[joiner])
    op = condition.get("op")
    if op == Operator.TRUTHY:
        return str(condition.get("field"))
    symbol = _OPERATOR_TEXT.get(Operator(op), op) if op in OPERATORS else op
    return f"{condition.get('field')} {symbol} {_value_text(condition.get('value'))}"
