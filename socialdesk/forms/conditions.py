"""Skip conditions: whether a question is shown, given the answers before it.

A condition is `{"field": key, "op": op, "value": v}` on an earlier question, or
`{"any": [conditions]}` / `{"all": [conditions]}`. The value is stored in the type of the question
it tests (see `schema.check_definition`). static/forms/skip_logic.js applies the same rules in the
browser; this module is the authority.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext as _

from .values import ParseError, parse_boolean, parse_date, parse_decimal


class Operator(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    TRUTHY = "truthy"


OPERATORS = frozenset(op.value for op in Operator)
ORDERED_OPERATORS = frozenset({Operator.GT, Operator.GTE, Operator.LT, Operator.LTE})
LIST_OPERATORS = frozenset({Operator.IN, Operator.NOT_IN})


def is_unanswered(value: Any) -> bool:
    return value is None or value == "" or value == []


def _coerce_like(answer: Any, target: Any) -> Any:
    """`target` in the type of `answer` (raises ParseError when it cannot be)."""
    if isinstance(answer, bool):
        return parse_boolean(target)
    if isinstance(answer, int | Decimal):
        return parse_decimal(target)
    if isinstance(answer, date):
        return parse_date(target)
    if isinstance(target, bool) or not isinstance(target, str | int):
        raise ParseError(_("Enter text."))
    return str(target)


def _equals(answer: Any, target: Any) -> bool:
    try:
        return bool(answer == _coerce_like(answer, target))
    except ParseError:
        return False


def _compare(answer: Any, op: str, target: Any) -> bool:
    if isinstance(answer, bool) or not isinstance(answer, int | Decimal | date):
        return False
    try:
        other = _coerce_like(answer, target)
    except ParseError:
        return False
    if op == Operator.GT:
        return bool(answer > other)
    if op == Operator.GTE:
        return bool(answer >= other)
    if op == Operator.LT:
        return bool(answer < other)
    return bool(answer <= other)


def _targets(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def evaluate(condition: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether a field with this skip condition is shown, given the typed answers of the fields
    shown before it (int, Decimal, date, bool, str, or a list of str for multiple choices).

    No condition: shown. A condition on an unanswered (or hidden) field is false whatever the
    operator. On a multiple-choice answer, eq/ne test whether the value is among those chosen and
    in/not_in whether any of the values is; ordering operators are false. `truthy` is true for an
    answer other than no, 0 and nothing chosen.
    """
    if condition is None:
        return True
    if "any" in condition:
        return any(evaluate(part, answers) for part in condition["any"])
    if "all" in condition:
        return all(evaluate(part, answers) for part in condition["all"])
    answer = answers.get(str(condition.get("field")))
    if is_unanswered(answer):
        return False
    op = condition.get("op")
    target = condition.get("value")
    if op == Operator.TRUTHY:
        return bool(answer)
    if isinstance(answer, list):
        chosen = {str(item) for item in answer}
        if op in (Operator.EQ, Operator.NE):
            found = isinstance(target, str | int) and str(target) in chosen
            return found if op == Operator.EQ else not found
        if op in LIST_OPERATORS:
            found = any(str(item) in chosen for item in _targets(target))
            return found if op == Operator.IN else not found
        return False
    if op == Operator.EQ:
        return _equals(answer, target)
    if op == Operator.NE:
        return not _equals(answer, target)
    if op in LIST_OPERATORS:
        found = any(_equals(answer, item) for item in _targets(target))
        return found if op == Operator.IN else not found
    if op in ORDERED_OPERATORS:
        return _compare(answer, str(op), target)
    return False


def condition_fields(condition: Mapping[str, Any] | None) -> list[str]:
    """The keys of the fields a condition tests."""
    if not condition:
        return []
    if "any" in condition or "all" in condition:
        parts = condition.get("any") or condition.get("all") or []
        return [key for part in parts for key in condition_fields(part)]
    return [str(condition.get("field"))]
