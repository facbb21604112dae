"""Using a published schema: check answers, score them, build a Django form, show answers.

Everything takes the frozen `schema` (a list of field dicts, see `schema.py`), never the editable
field rows, so answers are always read against the version they were given on.
`validate_answers` is the authority; the form's client-side skip logic (static
`forms/skip_logic.js`) only hides what the server will drop anyway.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django import forms
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .conditions import Operator, evaluate, is_unanswered
from .models import FieldType, pick_language
from .schema import CHOICE_TYPES, DEFAULT_MAX_LENGTH, NUMERIC_TYPES
from .values import (
    ParseError,
    decimal_text,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
)

Schema = Sequence[Mapping[str, Any]]


def field_label(field: Mapping[str, Any]) -> str:
    """A field's label in the active language."""
    return pick_language(str(field.get("label_zh") or ""), str(field.get("label_en") or ""))


def _choice_label(choice: Mapping[str, Any]) -> str:
    return pick_language(str(choice.get("label_zh") or ""), str(choice.get("label_en") or ""))


def _choice_values(field: Mapping[str, Any]) -> list[str]:
    return [str(choice.get("value")) for choice in field.get("choices") or []]


# --- Checking answers ---------------------------------------------------------------------------


def _check_range(field: Mapping[str, Any], number: int | Decimal) -> None:
    low, high = field.get("min"), field.get("max")
    if field.get("type") == FieldType.SCALE and low is not None and high is not None:
        if not Decimal(str(low)) <= number <= Decimal(str(high)):
            raise ParseError(
                _("Choose a point from %(min)s to %(max)s.") % {"min": low, "max": high}
            )
        return
    if low is not None and number < Decimal(str(low)):
        raise ParseError(_("Enter a number of at least %(min)s.") % {"min": low})
    if high is not None and number > Decimal(str(high)):
        raise ParseError(_("Enter a number of at most %(max)s.") % {"max": high})


def _not_an_option(value: Any) -> ParseError:
    return ParseError(_("“%(value)s” is not one of the options.") % {"value": value})


def _clean_multichoice(field: Mapping[str, Any], raw: Any) -> list[str] | None:
    if is_unanswered(raw):
        return None
    items = list(raw) if isinstance(raw, list | tuple) else [raw]
    allowed = _choice_values(field)
    chosen: set[str] = set()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise ParseError(_("Choose from the options."))
        text = str(item).strip()
        if not text:
            continue
        if text not in allowed:
            raise _not_an_option(text)
        chosen.add(text)
    return [value for value in allowed if value in chosen] or None


def clean_value(field: Mapping[str, Any], raw: Any) -> Any:
    """One answer in its type (str, int, Decimal, date, bool, list of str), or None when
    unanswered; raises ParseError with a message in the active language."""
    field_type = field.get("type")
    if field_type == FieldType.MULTICHOICE:
        return _clean_multichoice(field, raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if field_type in (FieldType.TEXT, FieldType.TEXTAREA):
        if not isinstance(raw, str):
            raise ParseError(_("Enter text."))
        text = raw.replace("\r\n", "\n").strip()
        limit = field.get("max_length") or DEFAULT_MAX_LENGTH[FieldType(field_type)]
        if len(text) > limit:
            raise ParseError(
                _("Enter at most %(max)s characters (you entered %(count)s).")
                % {"max": limit, "count": len(text)}
            )
        return text
    if field_type in (FieldType.INTEGER, FieldType.SCALE):
        number = parse_integer(raw)
        _check_range(field, number)
        return number
    if field_type == FieldType.DECIMAL:
        amount = parse_decimal(raw)
        _check_range(field, amount)
        return amount
    if field_type == FieldType.DATE:
        return parse_date(raw)
    if field_type == FieldType.BOOLEAN:
        return parse_boolean(raw)
    if field_type == FieldType.CHOICE:
        if isinstance(raw, bool) or not isinstance(raw, str | int):
            raise ParseError(_("Choose from the options."))
        value = str(raw).strip()
        if value not in _choice_values(field):
            raise _not_an_option(value)
        return value
    raise ParseError(_("This question cannot be answered."))


def to_json(value: Any) -> Any:
    """An answer as stored in JSON: Decimals as strings, dates in ISO form."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def _raw(data: Mapping[str, Any], key: str, field_type: Any) -> Any:
    getlist = getattr(data, "getlist", None)
    if field_type == FieldType.MULTICHOICE and callable(getlist):
        return getlist(key)  # a QueryDict: every ticked box
    return data.get(key)


def validate_answers(
    schema: Schema, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check answers against a schema: (cleaned answers, errors by field key).

    Cleaned answers hold only answered, shown questions, typed for JSON (ints, Decimals as
    strings, ISO dates, lists for multiple choices). A question whose skip condition is false is
    hidden: it is not required and its answer is dropped. Keys not on the form are errors.
    """
    known = {str(field.get("key")) for field in schema}
    errors: dict[str, list[str]] = {}
    for key in data:
        if key not in known:
            errors[str(key)] = [_("This question is not on the form.")]
    typed: dict[str, Any] = {}
    cleaned: dict[str, Any] = {}
    for field in schema:
        key = str(field.get("key"))
        if not evaluate(field.get("show_if"), typed):
            continue
        try:
            value = clean_value(field, _raw(data, key, field.get("type")))
        except ParseError as error:
            errors[key] = [error.message]
            continue
        if value is None:
            if field.get("required"):
                errors[key] = [_("This question is required.")]
            continue
        typed[key] = value
        cleaned[key] = to_json(value)
    return cleaned, errors


def typed_answers(schema: Schema, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Stored answers back in their types (what skip conditions test); unreadable ones left out."""
    typed: dict[str, Any] = {}
    for field in schema:
        key = str(field.get("key"))
        if key not in answers:
            continue
        try:
            value = clean_value(field, answers[key])
        except ParseError:
            continue
        if value is not None:
            typed[key] = value
    return typed


def visible_keys(schema: Schema, answers: Mapping[str, Any]) -> list[str]:
    """Keys of the questions shown for these stored answers, in form order."""
    typed = typed_answers(schema, answers)
    shown: dict[str, Any] = {}
    keys = []
    for field in schema:
        key = str(field.get("key"))
        if evaluate(field.get("show_if"), shown):
            keys.append(key)
            if key in typed:
                shown[key] = typed[key]
    return keys


# --- Scoring ------------------------------------------------------------------------------------


def _points(field: Mapping[str, Any], value: Any) -> Decimal | None:
    field_type = field.get("type")
    try:
        if field_type == FieldType.BOOLEAN:
            return Decimal(1) if parse_boolean(value) else Decimal(0)
        if field_type in NUMERIC_TYPES:
            return parse_decimal(value)
        if field_type in CHOICE_TYPES:
            chosen = value if isinstance(value, list) else [value]
            scores = {
                str(choice.get("value")): choice.get("score")
                for choice in field.get("choices") or []
            }
            total = Decimal(0)
            for item in chosen:
                score = scores.get(str(item))
                if score is not None:
                    total += parse_decimal(score)
            return total
    except ParseError:
        return None
    return None


def _band_for(bands: Sequence[Mapping[str, Any]], total: Decimal) -> Mapping[str, Any] | None:
    for band in bands:
        low, high = band.get("min"), band.get("max")
        if low is not None and total < Decimal(str(low)):
            continue
        if high is not None and total > Decimal(str(high)):
            continue
        return band
    return None


def score(
    schema: Schema, scoring: Mapping[str, Any] | None, answers: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Each scoring rule's total over stored answers, with its band, labels in the active
    language: {name: {"total": Decimal, "label", "band", "answered", "items"}}.

    Yes counts 1 and no 0; a choice counts its score; unanswered and hidden questions count
    nothing ("answered" says how many of the rule's "items" were answered). Bands include both
    ends; "band" is "" when the total falls in none.
    """
    by_key = {str(field.get("key")): field for field in schema}
    results: dict[str, dict[str, Any]] = {}
    for name, rule in (scoring or {}).items():
        keys = [str(key) for key in rule.get("fields") or []]
        total = Decimal(0)
        answered = 0
        for key in keys:
            field = by_key.get(key)
            value = answers.get(key)
            if field is None or is_unanswered(value):
                continue
            points = _points(field, value)
            if points is None:
                continue
            total += points
            answered += 1
        band = _band_for(rule.get("bands") or [], total)
        results[name] = {
            "total": total,
            "label": pick_language(str(rule.get("label_zh") or ""), str(rule.get("label_en") or ""))
            or name,
            "band": _choice_label(band) if band is not None else "",
            "answered": answered,
            "items": len(keys),
        }
    return results


# --- Describing skip conditions -----------------------------------------------------------------


def _value_label(referenced: Mapping[str, Any] | None, value: Any) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if referenced is not None and referenced.get("type") in CHOICE_TYPES | {FieldType.SCALE}:
        for choice in referenced.get("choices") or []:
            if str(choice.get("value")) == str(value):
                return _choice_label(choice)
    return str(value)


def _join(items: Sequence[str]) -> str:
    return pgettext("list separator", ", ").join(items)


def describe_condition(condition: Mapping[str, Any] | None, schema: Schema) -> str:
    """A skip condition in words, in the active language ("“Lives alone” is “Yes”")."""
    if not condition:
        return ""
    for joiner in ("any", "all"):
        if joiner in condition:
            parts = [describe_condition(part, schema) for part in condition[joiner]]
            word = _(" or ") if joiner == "any" else _(" and ")
            return word.join(parts)
    referenced = next(
        (field for field in schema if field.get("key") == condition.get("field")), None
    )
    name = field_label(referenced) if referenced is not None else str(condition.get("field"))
    op = condition.get("op")
    value = condition.get("value")
    if op == Operator.TRUTHY:
        return _("“%(field)s” is answered") % {"field": name}
    if op in (Operator.IN, Operator.NOT_IN):
        values = _join(
            [_value_label(referenced, item) for item in (value if isinstance(value, list) else [])]
        )
        template = (
            _("“%(field)s” is one of: %(values)s")
            if op == Operator.IN
            else _("“%(field)s” is none of: %(values)s")
        )
        return template % {"field": name, "values": values}
    templates = {
        Operator.EQ: _("“%(field)s” is “%(value)s”"),
        Operator.NE: _("“%(field)s” is not “%(value)s”"),
        Operator.GT: _("“%(field)s” is more than %(value)s"),
        Operator.GTE: _("“%(field)s” is at least %(value)s"),
        Operator.LT: _("“%(field)s” is less than %(value)s"),
        Operator.LTE: _("“%(field)s” is at most %(value)s"),
    }
    pattern = templates.get(Operator(op)) if op in templates else None
    if pattern is None:
        return ""
    return pattern % {"field": name, "value": _value_label(referenced, value)}


# --- The Django form ----------------------------------------------------------------------------


class _SchemaFieldMixin:
    """A form field that only collects the raw value: `validate_answers` does every check, so a
    question hidden by its skip condition is never refused for being empty."""

    schema_key: str = ""
    show_if_json: str = ""

    def validate(self, value: Any) -> None:
        return None

    def run_validators(self, value: Any) -> None:
        return None


class AnswerCharField(_SchemaFieldMixin, forms.CharField):
    """Text, numbers, dates, yes/no and single choices, as the raw submitted string."""


class AnswerMultipleField(_SchemaFieldMixin, forms.Field):
    """Multiple choices, as the list of ticked values."""

    widget = forms.CheckboxSelectMultiple

    def to_python(self, value: Any) -> list[str]:
        if not value:
            return []
        items = value if isinstance(value, list | tuple) else [value]
        return [str(item) for item in items]


@dataclass
class Section:
    """A run of consecutive questions under one heading ("" for questions without a section)."""

    heading: str
    fields: list[forms.BoundField] = dataclasses.field(default_factory=list)


class AnswerForm(forms.Form):
    """A form whose fields are built from a schema (see `build_django_form`); after validation
    `answers` holds the cleaned answers."""

    # A question may be required only when shown; the browser must not insist on hidden ones.
    use_required_attribute = False

    def __init__(self, *args: Any, schema: Schema, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schema = tuple(schema)
        self.fields = {str(spec.get("key")): _form_field(spec, self.schema) for spec in schema}
        self.answers: dict[str, Any] = {}

    def clean(self) -> dict[str, Any]:
        super().clean()
        raw = {name: self.cleaned_data.get(name) for name in self.fields}
        answers, errors = validate_answers(self.schema, raw)
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)
        self.answers = answers
        return answers

    def sections(self) -> list[Section]:
        """The bound fields grouped by section heading, in form order."""
        groups: list[Section] = []
        previous: tuple[str, str] | None = None
        for spec in self.schema:
            key = str(spec.get("key"))
            if key not in self.fields:
                continue
            heading = (str(spec.get("section_zh") or ""), str(spec.get("section_en") or ""))
            if previous != heading or not groups:
                groups.append(Section(heading=pick_language(*heading)))
                previous = heading
            groups[-1].fields.append(self[key])
        return groups


def _initial_value(spec: Mapping[str, Any], value: Any) -> Any:
    if spec.get("type") == FieldType.BOOLEAN and isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _form_field(spec: Mapping[str, Any], schema: Schema) -> forms.Field:
    key = str(spec.get("key"))
    field_type = spec.get("type")
    attrs: dict[str, Any] = {"data-field-key": key, "data-field-type": field_type}
    if spec.get("show_if"):
        attrs["data-show-if"] = json.dumps(spec["show_if"], ensure_ascii=False)
    condition = describe_condition(spec.get("show_if"), schema)
    help_parts = [pick_language(str(spec.get("help_zh") or ""), str(spec.get("help_en") or ""))]
    if condition:
        help_parts.append(_("Answer only if %(condition)s.") % {"condition": condition})
    options = [(str(c.get("value")), _choice_label(c)) for c in spec.get("choices") or []]
    label = field_label(spec)
    required = bool(spec.get("required"))
    help_text = " ".join(part for part in help_parts if part)
    widget: forms.Widget
    if field_type == FieldType.MULTICHOICE:
        form_field: forms.Field = AnswerMultipleField(
            label=label,
            help_text=help_text,
            required=required,
            widget=forms.CheckboxSelectMultiple(attrs=attrs, choices=options),
        )
    else:
        if required:
            attrs["aria-required"] = "true"
        max_length = None
        if field_type in (FieldType.TEXT, FieldType.TEXTAREA):
            max_length = spec.get("max_length") or DEFAULT_MAX_LENGTH[FieldType(field_type)]
            widget = (
                forms.Textarea(attrs={**attrs, "rows": 4})
                if field_type == FieldType.TEXTAREA
                else forms.TextInput(attrs=attrs)
            )
        elif field_type in (FieldType.INTEGER, FieldType.DECIMAL):
            number_attrs = {
                **attrs,
                "step": "1" if field_type == FieldType.INTEGER else "any",
                "inputmode": "numeric" if field_type == FieldType.INTEGER else "decimal",
            }
            for name in ("min", "max"):
                if spec.get(name) is not None:
                    number_attrs[name] = str(spec[name])
            widget = forms.NumberInput(attrs=number_attrs)
        elif field_type == FieldType.DATE:
            widget = forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d")
        elif field_type == FieldType.BOOLEAN:
            attrs.pop("aria-required", None)
            widget = forms.RadioSelect(attrs=attrs, choices=[("yes", _("Yes")), ("no", _("No"))])
        elif field_type == FieldType.SCALE:
            attrs.pop("aria-required", None)
            labels = dict(options)
            low, high = int(spec.get("min") or 0), int(spec.get("max") or 0)
            points = [
                (
                    str(point),
                    f"{point} – {labels[str(point)]}" if str(point) in labels else str(point),
                )
                for point in range(low, high + 1)
            ]
            widget = forms.RadioSelect(attrs=attrs, choices=points)
        else:  # choice
            attrs.pop("aria-required", None)
            widget = forms.RadioSelect(attrs=attrs, choices=options)
        form_field = AnswerCharField(
            label=label,
            help_text=help_text,
            required=required,
            max_length=max_length,
            widget=widget,
        )
    assert isinstance(form_field, _SchemaFieldMixin)
    form_field.schema_key = key
    form_field.show_if_json = attrs.get("data-show-if", "")
    return form_field


def build_django_form(
    schema: Schema,
    *,
    data: Mapping[str, Any] | None = None,
    initial: Mapping[str, Any] | None = None,
    prefix: str | None = None,
) -> AnswerForm:
    """A Django form for the schema, labels in the active language; its `clean()` runs
    `validate_answers` and leaves the cleaned answers in `form.answers` (and `cleaned_data`).
    Render it with `{% include "forms/includes/form_fields.html" %}`."""
    values = {
        str(spec.get("key")): _initial_value(spec, initial[str(spec.get("key"))])
        for spec in schema
        if initial and str(spec.get("key")) in initial
    }
    return AnswerForm(data=data, initial=values, prefix=prefix, schema=schema)


# --- Showing answers ----------------------------------------------------------------------------


class AnswerLine(NamedTuple):
    """One question and its answer for display: section heading, label and answer text."""

    section: str
    label: str
    value: str


def display_value(field: Mapping[str, Any], value: Any) -> str:
    """A stored answer as text in the active language."""
    if is_unanswered(value):
        return _("Not answered")
    field_type = field.get("type")
    labels = {
        str(choice.get("value")): _choice_label(choice) for choice in field.get("choices") or []
    }
    try:
        if field_type == FieldType.BOOLEAN:
            return _("Yes") if parse_boolean(value) else _("No")
        if field_type == FieldType.DATE:
            return str(formats.date_format(parse_date(value), "DATE_FORMAT"))
        if field_type == FieldType.MULTICHOICE:
            items = value if isinstance(value, list) else [value]
            return _join([labels.get(str(item), str(item)) for item in items])
        if field_type == FieldType.CHOICE:
            return labels.get(str(value), str(value))
        if field_type == FieldType.SCALE and str(value) in labels:
            return f"{value} – {labels[str(value)]}"
    except ParseError:
        pass
    return str(value)


def render_answers(schema: Schema, answers: Mapping[str, Any]) -> list[AnswerLine]:
    """The shown questions with their answers, for a read-only page in the active language;
    questions hidden by their skip conditions are left out, unanswered ones say so."""
    shown = set(visible_keys(schema, answers))
    lines = []
    for field in schema:
        key = str(field.get("key"))
        if key not in shown:
            continue
        section = pick_language(
            str(field.get("section_zh") or ""), str(field.get("section_en") or "")
        )
        lines.append(
            AnswerLine(section, field_label(field), display_value(field, answers.get(key)))
        )
    return lines
