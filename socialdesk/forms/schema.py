"""The schema of a form version as plain data, and the checks it must pass to be published.

A schema is a list of field dicts with the keys in `FIELD_KEYS`; skip conditions (`show_if`, see
conditions.py) and scoring rules are plain dicts too. `check_definition` is a pure function over
that data, shared by publishing, the spreadsheet import and the shipped definitions. It stores
condition values in the type of the field they test: int for whole numbers and scales, str for
decimals ("1.5"), ISO date strings, bool, and the choice value (str) for choice fields.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from typing import Any

from django.utils.translation import gettext as _

from .conditions import LIST_OPERATORS, OPERATORS, ORDERED_OPERATORS, Operator
from .models import FIELD_KEY_PATTERN, FieldType
from .values import (
    ParseError,
    decimal_text,
    number_json,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
)

FIELD_KEYS = (
    "key",
    "type",
    "label_zh",
    "label_en",
    "help_zh",
    "help_en",
    "required",
    "min",
    "max",
    "max_length",
    "choices",
    "show_if",
    "section_zh",
    "section_en",
)
CHOICE_KEYS = ("value", "label_zh", "label_en", "score")
BAND_KEYS = ("min", "max", "label_zh", "label_en")
RULE_KEYS = ("label_zh", "label_en", "fields", "bands")

NUMERIC_TYPES = frozenset({FieldType.INTEGER, FieldType.DECIMAL, FieldType.SCALE})
WHOLE_NUMBER_TYPES = frozenset({FieldType.INTEGER, FieldType.SCALE})
CHOICE_TYPES = frozenset({FieldType.CHOICE, FieldType.MULTICHOICE})
TEXT_TYPES = frozenset({FieldType.TEXT, FieldType.TEXTAREA})
ORDERED_TYPES = NUMERIC_TYPES | {FieldType.DATE}
SCORABLE_TYPES = NUMERIC_TYPES | CHOICE_TYPES | {FieldType.BOOLEAN}

# Text answers are bounded even when the definition sets no maximum.
DEFAULT_MAX_LENGTH = {FieldType.TEXT: 500, FieldType.TEXTAREA: 5000}
MAX_LENGTH_LIMIT = 20000
MAX_SCALE_STEPS = 20
MAX_FIELDS = 500
LABEL_LENGTH = 300
CHOICE_VALUE_LENGTH = 60
# Characters that separate choices and values in the spreadsheet and condition syntax.
CHOICE_VALUE_FORBIDDEN = re.compile(r"[|;,\n\r]")

HELP_LENGTH = 2000
SECTION_LENGTH = 200

_KEY_RE = re.compile(FIELD_KEY_PATTERN)


# --- Checking and normalising a definition ------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Something wrong with a definition: which field (position in the list, None for the whole
    definition), which attribute (a FIELD_KEYS name, or "scoring"), and what, translated."""

    index: int | None
    attribute: str | None
    message: str


@dataclass
class CheckedDefinition:
    """A definition after `check_definition`: normalised fields and scoring, and its problems."""

    fields: list[dict[str, Any]]
    scoring: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_valid(self) -> bool:
        return not self.problems


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, index: int | None, attribute: str | None, message: str) -> None:
        self.problems.append(Problem(index, attribute, message))


def _text(raw: Any, *, default: str = "") -> str | None:
    """A stripped string, or None when `raw` is not text."""
    if raw is None:
        return default
    if isinstance(raw, str):
        return raw.strip()
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        return str(raw)
    return None


def _check_label(
    out: _Collector,
    index: int | None,
    attribute: str,
    raw: Any,
    *,
    required: bool = True,
    limit: int = LABEL_LENGTH,
) -> str:
    text = _text(raw)
    if text is None:
        out.add(index, attribute, _("Enter text."))
        return ""
    if required and not text:
        out.add(index, attribute, _("This is required."))
    elif len(text) > limit:
        out.add(index, attribute, _("Use at most %(max)s characters.") % {"max": limit})
    return text


def _optional_number(
    out: _Collector, index: int | None, attribute: str, raw: Any
) -> Decimal | None:
    if raw is None or raw == "":
        return None
    try:
        return parse_decimal(raw)
    except ParseError as error:
        out.add(index, attribute, error.message)
        return None


def _check_choices(
    out: _Collector, index: int, raw: Any, field_type: str, bounds: tuple[Any, Any]
) -> list[dict[str, Any]]:
    if raw is None or raw == "":
        raw = []
    if not isinstance(raw, list):
        out.add(index, "choices", _("Give the choices as a list."))
        return []
    if field_type in CHOICE_TYPES and not raw:
        out.add(index, "choices", _("A choice question needs at least one choice."))
    if field_type not in CHOICE_TYPES and field_type != FieldType.SCALE and raw:
        out.add(
            index,
            "choices",
            _("Only choice, multiple-choice and scale questions have choices."),
        )
        return []
    choices: list[dict[str, Any]] = []
    seen: set[str] = set()
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping):
            out.add(index, "choices", _("Choice %(n)s is not valid.") % {"n": position})
            continue
        unknown = sorted(set(item) - set(CHOICE_KEYS))
        if unknown:
            out.add(
                index,
                "choices",
                _("Choice %(n)s has unknown attributes: %(names)s.")
                % {"n": position, "names": ", ".join(unknown)},
            )
        value = _text(item.get("value"))
        if not value:
            out.add(index, "choices", _("Choice %(n)s has no value.") % {"n": position})
            continue
        if len(value) > CHOICE_VALUE_LENGTH or CHOICE_VALUE_FORBIDDEN.search(value):
            out.add(
                index,
                "choices",
                _(
                    "The choice value “%(value)s” must be at most %(max)s characters, without "
                    "| ; , or line breaks."
                )
                % {"value": value, "max": CHOICE_VALUE_LENGTH},
            )
        if value in seen:
            out.add(
                index,
                "choices",
                _("The choice value “%(value)s” is used twice.") % {"value": value},
            )
        seen.add(value)
        label_zh = _text(item.get("label_zh")) or ""
        label_en = _text(item.get("label_en")) or ""
        if not label_zh or not label_en:
            out.add(
                index,
                "choices",
                _("The choice “%(value)s” needs a Chinese and an English label.")
                % {"value": value},
            )
        choice: dict[str, Any] = {"value": value, "label_zh": label_zh, "label_en": label_en}
        score = item.get("score")
        if score is not None and score != "":
            try:
                choice["score"] = number_json(parse_decimal(score))
            except ParseError:
                out.add(
                    index,
                    "choices",
                    _("The score of the choice “%(value)s” is not a number.") % {"value": value},
                )
        if field_type == FieldType.SCALE:
            low, high = bounds
            try:
                point = parse_integer(value)
            except ParseError:
                point = None
            if (
                point is None
                or (low is not None and point < low)
                or (high is not None and point > high)
            ):
                out.add(
                    index,
                    "choices",
                    _(
                        "The labels of a scale are for whole numbers from its minimum to its "
                        "maximum; “%(value)s” is not one."
                    )
                    % {"value": value},
                )
        choices.append(choice)
    return choices


def _coerce_condition_value(target: Any, referenced: Mapping[str, Any]) -> Any:
    """`target` in the type of the referenced field (raises ParseError)."""
    field_type = referenced["type"]
    if field_type in WHOLE_NUMBER_TYPES:
        return parse_integer(target)
    if field_type == FieldType.DECIMAL:
        return decimal_text(parse_decimal(target))
    if field_type == FieldType.DATE:
        return parse_date(target).isoformat()
    if field_type == FieldType.BOOLEAN:
        return parse_boolean(target)
    text = _text(target)
    if text is None:
        raise ParseError(_("Enter text."))
    if field_type in CHOICE_TYPES:
        values = [choice["value"] for choice in referenced["choices"]]
        if text not in values:
            raise ParseError(
                _("“%(value)s” is not a choice of “%(field)s” (choices: %(choices)s).")
                % {"value": text, "field": referenced["key"], "choices": ", ".join(values)}
            )
    return text


def _check_simple_condition(
    out: _Collector, index: int, raw: Mapping[str, Any], earlier: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    unknown = sorted(set(raw) - {"field", "op", "value"})
    if unknown:
        out.add(
            index,
            "show_if",
            _("The condition has unknown attributes: %(names)s.") % {"names": ", ".join(unknown)},
        )
        return None
    key = _text(raw.get("field")) or ""
    op = _text(raw.get("op")) or ""
    if key not in earlier:
        out.add(
            index,
            "show_if",
            _("The condition refers to “%(field)s”, which is not an earlier question.")
            % {"field": key},
        )
        return None
    if op not in OPERATORS:
        out.add(
            index,
            "show_if",
            _("“%(op)s” is not a condition operator; use one of %(ops)s.")
            % {"op": op, "ops": ", ".join(o.value for o in Operator)},
        )
        return None
    referenced = earlier[key]
    field_type = referenced["type"]
    if op in ORDERED_OPERATORS and field_type not in ORDERED_TYPES:
        out.add(
            index,
            "show_if",
            _("“%(op)s” compares numbers and dates; “%(field)s” is neither.")
            % {"op": op, "field": key},
        )
        return None
    if op in LIST_OPERATORS and field_type == FieldType.BOOLEAN:
        out.add(index, "show_if", _("Test a yes/no question with eq, ne or truthy."))
        return None
    if op == Operator.TRUTHY:
        return {"field": key, "op": op, "value": None}
    target = raw.get("value")
    try:
        if op in LIST_OPERATORS:
            items = target.split(",") if isinstance(target, str) else target
            if not isinstance(items, list | tuple) or not items:
                raise ParseError(_("Give a list of values."))
            value: Any = [_coerce_condition_value(item, referenced) for item in items]
        else:
            if target is None or target == "":
                raise ParseError(_("Give the value to compare with."))
            value = _coerce_condition_value(target, referenced)
    except ParseError as error:
        out.add(
            index,
            "show_if",
            _("The condition on “%(field)s”: %(problem)s")
            % {"field": key, "problem": error.message},
        )
        return None
    return {"field": key, "op": op, "value": value}


def _check_condition(
    out: _Collector, index: int, raw: Any, earlier: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    if raw is None or raw == "" or raw == {}:
        return None
    if not isinstance(raw, Mapping):
        out.add(index, "show_if", _("The condition is not valid."))
        return None
    for joiner in ("any", "all"):
        if joiner in raw:
            parts = raw[joiner]
            if len(raw) != 1 or not isinstance(parts, list) or not parts:
                out.add(index, "show_if", _("The condition is not valid."))
                return None
            checked = []
            for part in parts:
                if not isinstance(part, Mapping) or "any" in part or "all" in part:
                    out.add(
                        index,
                        "show_if",
                        _("Combine simple conditions only (no nested any/all)."),
                    )
                    return None
                one = _check_simple_condition(out, index, part, earlier)
                if one is None:
                    return None
                checked.append(one)
            return {joiner: checked}
    return _check_simple_condition(out, index, raw, earlier)


def _check_field(
    out: _Collector,
    index: int,
    raw: Any,
    earlier: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping):
        out.add(index, None, _("This field is not valid."))
        return None
    unknown = sorted(set(raw) - set(FIELD_KEYS))
    if unknown:
        out.add(index, None, _("Unknown attributes: %(names)s.") % {"names": ", ".join(unknown)})
    key = _text(raw.get("key")) or ""
    if not _KEY_RE.fullmatch(key):
        out.add(
            index,
            "key",
            _(
                "“%(key)s” is not a valid key: use 1–60 lower-case letters, digits and "
                "underscores, starting with a letter."
            )
            % {"key": key},
        )
    elif key in earlier:
        out.add(index, "key", _("The key “%(key)s” is used twice.") % {"key": key})
    field_type = _text(raw.get("type")) or ""
    if field_type not in FieldType.values:
        out.add(
            index,
            "type",
            _("“%(type)s” is not a field type; use one of %(types)s.")
            % {"type": field_type, "types": ", ".join(FieldType.values)},
        )
    checked: dict[str, Any] = {"key": key, "type": field_type}
    checked["label_zh"] = _check_label(out, index, "label_zh", raw.get("label_zh"))
    checked["label_en"] = _check_label(out, index, "label_en", raw.get("label_en"))
    for attribute in ("help_zh", "help_en"):
        checked[attribute] = _check_label(
            out, index, attribute, raw.get(attribute), required=False, limit=HELP_LENGTH
        )
    required = raw.get("required", False)
    try:
        checked["required"] = parse_boolean(required if required not in (None, "") else False)
    except ParseError as error:
        out.add(index, "required", error.message)
        checked["required"] = False

    low = _optional_number(out, index, "min", raw.get("min"))
    high = _optional_number(out, index, "max", raw.get("max"))
    if (low is not None or high is not None) and field_type not in NUMERIC_TYPES:
        out.add(index, "min", _("Only number and scale questions have a minimum and maximum."))
        low = high = None
    if low is not None and high is not None and low > high:
        out.add(index, "max", _("The minimum is greater than the maximum."))
    for attribute, bound in (("min", low), ("max", high)):
        if bound is not None and field_type in WHOLE_NUMBER_TYPES and bound != int(bound):
            out.add(index, attribute, _("Use a whole number."))
    if field_type == FieldType.SCALE:
        if low is None or high is None:
            out.add(index, "min", _("A scale needs a minimum and a maximum."))
        elif not 1 <= high - low <= MAX_SCALE_STEPS:
            out.add(
                index,
                "max",
                _("A scale has 2 to %(points)s points.") % {"points": MAX_SCALE_STEPS + 1},
            )
    if field_type in WHOLE_NUMBER_TYPES:
        checked["min"] = int(low) if low is not None else None
        checked["max"] = int(high) if high is not None else None
    else:
        checked["min"] = decimal_text(low) if low is not None else None
        checked["max"] = decimal_text(high) if high is not None else None

    max_length = raw.get("max_length")
    checked["max_length"] = None
    if max_length not in (None, ""):
        try:
            length = parse_integer(max_length)
        except ParseError as error:
            out.add(index, "max_length", error.message)
        else:
            if field_type not in TEXT_TYPES:
                out.add(index, "max_length", _("Only text questions have a maximum length."))
            elif not 1 <= length <= MAX_LENGTH_LIMIT:
                out.add(
                    index,
                    "max_length",
                    _("Use a maximum length from 1 to %(max)s.") % {"max": MAX_LENGTH_LIMIT},
                )
            else:
                checked["max_length"] = length

    checked["choices"] = _check_choices(
        out, index, raw.get("choices"), field_type, (checked["min"], checked["max"])
    )
    checked["show_if"] = _check_condition(out, index, raw.get("show_if"), earlier)
    for attribute in ("section_zh", "section_en"):
        checked[attribute] = _check_label(
            out, index, attribute, raw.get(attribute), required=False, limit=SECTION_LENGTH
        )
    return checked


def _check_band(out: _Collector, name: str, position: int, raw: Any) -> dict[str, Any] | None:
    where = _("Score “%(name)s”, band %(n)s") % {"name": name, "n": position}
    if not isinstance(raw, Mapping):
        out.add(None, "scoring", _("%(where)s: not valid.") % {"where": where})
        return None
    unknown = sorted(set(raw) - set(BAND_KEYS))
    if unknown:
        out.add(
            None,
            "scoring",
            _("%(where)s: unknown attributes: %(names)s.")
            % {"where": where, "names": ", ".join(unknown)},
        )
    bounds: list[Decimal | None] = []
    for attribute in ("min", "max"):
        value = raw.get(attribute)
        if value is None or value == "":
            bounds.append(None)
            continue
        try:
            bounds.append(parse_decimal(value))
        except ParseError as error:
            out.add(
                None,
                "scoring",
                _("%(where)s: %(problem)s") % {"where": where, "problem": error.message},
            )
            bounds.append(None)
    low, high = bounds
    if low is None and high is None:
        out.add(None, "scoring", _("%(where)s: give a minimum or a maximum.") % {"where": where})
    if low is not None and high is not None and low > high:
        out.add(
            None,
            "scoring",
            _("%(where)s: the minimum is greater than the maximum.") % {"where": where},
        )
    label_zh = _text(raw.get("label_zh")) or ""
    label_en = _text(raw.get("label_en")) or ""
    if not label_zh or not label_en:
        out.add(
            None,
            "scoring",
            _("%(where)s: give a Chinese and an English label.") % {"where": where},
        )
    return {
        "min": number_json(low) if low is not None else None,
        "max": number_json(high) if high is not None else None,
        "label_zh": label_zh,
        "label_en": label_en,
    }


def _check_bands_order(out: _Collector, name: str, bands: list[dict[str, Any]]) -> None:
    def low(band: Mapping[str, Any]) -> Decimal:
        return Decimal(str(band["min"])) if band["min"] is not None else Decimal("-Infinity")

    ordered = sorted(bands, key=low)
    for before, after in pairwise(ordered):
        before_high = (
            Decimal(str(before["max"])) if before["max"] is not None else Decimal("Infinity")
        )
        if before_high >= low(after):
            out.add(
                None,
                "scoring",
                _("Score “%(name)s”: its bands overlap.") % {"name": name},
            )
            return


def _check_rule(
    out: _Collector, name: Any, raw: Any, fields: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any] | None:
    if not isinstance(name, str) or not _KEY_RE.fullmatch(name):
        out.add(
            None,
            "scoring",
            _(
                "“%(name)s” is not a valid score name: use lower-case letters, digits and "
                "underscores."
            )
            % {"name": name},
        )
        return None
    if not isinstance(raw, Mapping):
        out.add(None, "scoring", _("Score “%(name)s” is not valid.") % {"name": name})
        return None
    unknown = sorted(set(raw) - set(RULE_KEYS))
    if unknown:
        out.add(
            None,
            "scoring",
            _("Score “%(name)s” has unknown attributes: %(names)s.")
            % {"name": name, "names": ", ".join(unknown)},
        )
    keys = raw.get("fields")
    if isinstance(keys, str):
        keys = [key.strip() for key in keys.split(",") if key.strip()]
    if not isinstance(keys, list) or not keys:
        out.add(None, "scoring", _("Score “%(name)s” adds up no fields.") % {"name": name})
        keys = []
    for key in keys:
        referenced = fields.get(str(key))
        if referenced is None:
            out.add(
                None,
                "scoring",
                _("Score “%(name)s” refers to “%(field)s”, which is not a question of this form.")
                % {"name": name, "field": key},
            )
        elif referenced["type"] not in SCORABLE_TYPES:
            out.add(
                None,
                "scoring",
                _(
                    "Score “%(name)s” adds up “%(field)s”, which is not a number, scale, "
                    "yes/no or choice question."
                )
                % {"name": name, "field": key},
            )
        elif referenced["type"] in CHOICE_TYPES and any(
            "score" not in choice for choice in referenced["choices"]
        ):
            out.add(
                None,
                "scoring",
                _("Score “%(name)s” adds up “%(field)s”, but not all of its choices have a score.")
                % {"name": name, "field": key},
            )
    raw_bands = raw.get("bands") or []
    if not isinstance(raw_bands, list):
        out.add(None, "scoring", _("Score “%(name)s”: give the bands as a list.") % {"name": name})
        raw_bands = []
    bands = [
        band
        for position, item in enumerate(raw_bands, start=1)
        if (band := _check_band(out, name, position, item)) is not None
    ]
    _check_bands_order(out, name, bands)
    return {
        "label_zh": _text(raw.get("label_zh")) or "",
        "label_en": _text(raw.get("label_en")) or "",
        "fields": [str(key) for key in keys],
        "bands": bands,
    }


def check_definition(fields: Sequence[Any], scoring: Any = None) -> CheckedDefinition:
    """Normalise a definition's fields and scoring rules and list every problem that stops it
    from being published: keys, types, labels, limits, choices, skip conditions that must test
    an earlier field, and scoring rules over existing number and choice fields."""
    out = _Collector()
    if not fields:
        out.add(None, None, _("The form has no questions."))
    if len(fields) > MAX_FIELDS:
        out.add(None, None, _("A form has at most %(max)s questions.") % {"max": MAX_FIELDS})
    checked_fields: list[dict[str, Any]] = []
    earlier: dict[str, dict[str, Any]] = {}
    for index, raw in enumerate(fields):
        checked = _check_field(out, index, raw, earlier)
        if checked is None:
            continue
        checked_fields.append(checked)
        if checked["key"] and checked["key"] not in earlier:
            earlier[checked["key"]] = checked
    checked_scoring: dict[str, Any] = {}
    if scoring not in (None, "", {}):
        if not isinstance(scoring, Mapping):
            out.add(None, "scoring", _("The scoring rules are not valid."))
        else:
            for name, rule in scoring.items():
                checked_rule = _check_rule(out, name, rule, earlier)
                if checked_rule is not None:
                    checked_scoring[name] = checked_rule
    return CheckedDefinition(fields=checked_fields, scoring=checked_scoring, problems=out.problems)


def describe_problem(problem: Problem, fields: Sequence[Any]) -> str:
    """A problem as one line naming the question it is about."""
    if problem.index is None:
        return problem.message
    raw = fields[problem.index] if problem.index < len(fields) else None
    key = raw.get("key") if isinstance(raw, Mapping) else None
    return _("Question %(n)s (%(key)s): %(message)s") % {
        "n": problem.index + 1,
        "key": key or "?",
        "message": problem.message,
    }
