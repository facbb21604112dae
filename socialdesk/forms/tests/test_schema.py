"""The definition checks, the text syntax of choices and conditions, the value parsers and the
skip-condition evaluator (hypothesis for the parsers and the evaluator)."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from socialdesk.forms.conditions import evaluate
from socialdesk.forms.schema import check_definition, describe_problem
from socialdesk.forms.tests.factories import SAMPLE_FIELDS, SAMPLE_SCORING
from socialdesk.forms.text_syntax import (
    format_choices_text,
    format_condition_text,
    parse_choices_text,
    parse_condition_text,
)
from socialdesk.forms.values import (
    ParseError,
    parse_boolean,
    parse_date,
    parse_decimal,
    parse_integer,
)


def _messages(fields: list[dict[str, Any]], scoring: Any = None) -> list[str]:
    with translation.override("en"):
        checked = check_definition(fields, scoring)
        return [describe_problem(problem, fields) for problem in checked.problems]


def _fields() -> list[dict[str, Any]]:
    return copy.deepcopy(SAMPLE_FIELDS)


# --- check_definition ---------------------------------------------------------------------------


def test_the_sample_definition_is_valid_and_normalised() -> None:
    checked = check_definition(_fields(), SAMPLE_SCORING)
    assert checked.problems == []
    by_key = {field["key"]: field for field in checked.fields}
    assert by_key["income"]["max"] == "99999.99"
    assert by_key["age"]["min"] == 0 and by_key["age"]["max"] == 120
    assert by_key["name"]["help_zh"] == "" and by_key["name"]["show_if"] is None
    assert by_key["emergency_contact"]["show_if"] == {
        "field": "living_alone",
        "op": "eq",
        "value": True,
    }


def test_condition_values_take_the_type_of_the_field_they_test() -> None:
    fields = _fields()
    fields[3]["show_if"] = {"field": "living_alone", "op": "eq", "value": "是"}
    fields[-1]["show_if"] = {"field": "age", "op": "gte", "value": "６５"}
    checked = check_definition(fields)
    assert checked.problems == []
    assert checked.fields[3]["show_if"]["value"] is True
    assert checked.fields[-1]["show_if"]["value"] == 65


def test_a_duplicate_key_is_refused() -> None:
    fields = _fields()
    fields[1]["key"] = "name"
    assert any("used twice" in message for message in _messages(fields))


def test_a_choice_question_without_choices_is_refused() -> None:
    fields = _fields()
    fields[6]["choices"] = []
    messages = _messages(fields)
    assert any("at least one choice" in message for message in messages)


def test_a_condition_must_test_an_earlier_question() -> None:
    fields = _fields()
    fields[0]["show_if"] = {"field": "age", "op": "gt", "value": 3}
    messages = _messages(fields)
    assert any("Question 1 (name)" in m and "not an earlier question" in m for m in messages)


def test_a_condition_needs_a_known_operator_and_a_fitting_value() -> None:
    fields = _fields()
    fields[3]["show_if"] = {"field": "living_alone", "op": "like", "value": True}
    fields[7]["show_if"] = {"field": "risk", "op": "in", "value": ["medium", "severe"]}
    fields[-1]["show_if"] = {"field": "name", "op": "gt", "value": 3}
    messages = " | ".join(_messages(fields))
    assert "“like” is not a condition operator" in messages
    assert "“severe” is not a choice of “risk”" in messages
    assert "compares numbers and dates" in messages


def test_the_minimum_may_not_exceed_the_maximum() -> None:
    fields = _fields()
    fields[1]["min"], fields[1]["max"] = 10, 5
    assert any("greater than the maximum" in m for m in _messages(fields))


def test_a_scale_needs_both_ends_and_whole_numbers() -> None:
    fields = _fields()
    fields[9]["max"] = None
    fields[1]["min"] = "1.5"
    messages = " | ".join(_messages(fields))
    assert "A scale needs a minimum and a maximum" in messages
    assert "Use a whole number" in messages


def test_limits_on_the_wrong_kind_of_question_are_refused() -> None:
    fields = _fields()
    fields[0]["min"] = 1
    fields[1]["max_length"] = 10
    fields[0]["choices"] = [{"value": "a", "label_zh": "甲", "label_en": "A"}]
    messages = " | ".join(_messages(fields))
    assert "Only number and scale questions have a minimum" in messages
    assert "Only text questions have a maximum length" in messages
    assert "Only choice, multiple-choice and scale questions have choices" in messages


def test_scoring_must_add_up_existing_numeric_or_choice_questions() -> None:
    scoring = copy.deepcopy(SAMPLE_SCORING)
    scoring["total"]["fields"] = ["risk", "name", "nothing"]
    messages = " | ".join(_messages(_fields(), scoring))
    assert "refers to “nothing”, which is not a question" in messages
    assert "adds up “name”, which is not a number" in messages


def test_scored_choices_need_a_score_each_and_bands_may_not_overlap() -> None:
    fields = _fields()
    del fields[6]["choices"][0]["score"]
    scoring = copy.deepcopy(SAMPLE_SCORING)
    scoring["total"]["bands"][1]["min"] = 3
    messages = " | ".join(_messages(fields, scoring))
    assert "not all of its choices have a score" in messages
    assert "its bands overlap" in messages


def test_unknown_attributes_and_bad_keys_are_reported_all_at_once() -> None:
    fields = _fields()
    fields[0]["lable_zh"] = "typo"
    fields[1]["key"] = "Age!"
    fields[2]["type"] = "yesno"
    fields[4]["label_en"] = ""
    messages = _messages(fields)
    assert len(messages) >= 4
    joined = " | ".join(messages)
    assert "Unknown attributes: lable_zh" in joined
    assert "“Age!” is not a valid key" in joined
    assert "“yesno” is not a field type" in joined
    assert "Question 5 (income): This is required." in joined


def test_problems_are_described_in_the_active_language() -> None:
    fields = _fields()
    fields[1]["key"] = "name"
    with translation.override("zh-hant"):
        checked = check_definition(fields)
        text = describe_problem(checked.problems[0], fields)
    assert "name" in text
    assert text  # the zh-Hant catalogue translates it once merged; the key is always named


def test_an_empty_form_is_refused() -> None:
    assert _messages([]) == ["The form has no questions."]


# --- Text syntax --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("living_alone = yes", {"field": "living_alone", "op": "eq", "value": "yes"}),
        ("age >= 65", {"field": "age", "op": "gte", "value": "65"}),
        ("age<3", {"field": "age", "op": "lt", "value": "3"}),
        ("risk in high,medium", {"field": "risk", "op": "in", "value": ["high", "medium"]}),
        ("risk not in low", {"field": "risk", "op": "not_in", "value": ["low"]}),
        ("consent != yes", {"field": "consent", "op": "ne", "value": "yes"}),
        ("phone", {"field": "phone", "op": "truthy"}),
        ("phone is answered", {"field": "phone", "op": "truthy"}),
        (
            "a = yes or b = yes",
            {
                "any": [
                    {"field": "a", "op": "eq", "value": "yes"},
                    {"field": "b", "op": "eq", "value": "yes"},
                ]
            },
        ),
        (
            "a > 1 and b <= 2",
            {
                "all": [
                    {"field": "a", "op": "gt", "value": "1"},
                    {"field": "b", "op": "lte", "value": "2"},
                ]
            },
        ),
        ("", None),
    ],
)
def test_conditions_are_read_from_text(text: str, expected: Any) -> None:
    assert parse_condition_text(text) == expected


@pytest.mark.parametrize("text", ["age >=", "a = 1 or b = 2 and c = 3", "= 3", "phone truthy x"])
def test_unreadable_conditions_are_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse_condition_text(text)


def test_conditions_and_choices_survive_a_round_trip_through_text() -> None:
    checked = check_definition(_fields(), SAMPLE_SCORING)
    for field in checked.fields:
        text = format_condition_text(field["show_if"])
        reparsed = check_definition(
            [
                *checked.fields[: checked.fields.index(field)],
                {**field, "show_if": parse_condition_text(text)},
            ]
        )
        assert reparsed.fields[-1]["show_if"] == field["show_if"]
        choices = parse_choices_text(format_choices_text(field["choices"]))
        assert (
            check_definition([{**field, "show_if": None, "choices": choices}]).fields[0]["choices"]
            == field["choices"]
        )


def test_choices_are_read_from_lines_or_semicolons() -> None:
    assert parse_choices_text("a|甲|A|1;b|乙|B") == [
        {"value": "a", "label_zh": "甲", "label_en": "A", "score": "1"},
        {"value": "b", "label_zh": "乙", "label_en": "B"},
    ]
    assert len(parse_choices_text("a|甲|A\r\nb|乙|B\n\n")) == 2
    with pytest.raises(ParseError):
        parse_choices_text("a|甲")


# --- Value parsers (hypothesis) -----------------------------------------------------------------

FULL_WIDTH = str.maketrans("0123456789+-.", "０１２３４５６７８９＋－．")


@given(st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_integers_parse_from_ints_and_from_ascii_and_full_width_text(number: int) -> None:
    assert parse_integer(number) == number
    assert parse_integer(str(number)) == number
    assert parse_integer(f"  {number} ") == number
    assert parse_integer(str(number).translate(FULL_WIDTH)) == number
    assert parse_integer(Decimal(number)) == number


@given(st.text(max_size=20))
def test_integer_parsing_never_fails_other_than_with_a_parse_error(text: str) -> None:
    try:
        value = parse_integer(text)
    except ParseError:
        return
    assert isinstance(value, int) and abs(value) < 10**15


@given(st.one_of(st.booleans(), st.floats(allow_nan=True), st.none(), st.lists(st.integers())))
def test_integers_refuse_booleans_fractions_and_other_things(value: Any) -> None:
    if isinstance(value, float) and value == value and value not in (float("inf"), float("-inf")):
        if value.is_integer() and abs(value) < 10**15:
            assert parse_integer(value) == int(value)
            return
    with pytest.raises(ParseError):
        parse_integer(value)


@given(
    st.decimals(
        min_value=Decimal("-999999999999999.999999"),
        max_value=Decimal("999999999999999.999999"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_decimals_keep_their_exact_value(number: Decimal) -> None:
    assert parse_decimal(number) == number
    assert parse_decimal(format(number, "f")) == number
    assert parse_decimal(format(number, "f").translate(FULL_WIDTH)) == number


@given(st.text(max_size=30))
def test_decimal_parsing_never_fails_other_than_with_a_parse_error(text: str) -> None:
    try:
        value = parse_decimal(text)
    except ParseError:
        return
    assert value.is_finite()


@pytest.mark.parametrize(
    "value", ["1e5", "NaN", "Infinity", "1.2.3", "", "1,000", "1.1234567", "1" * 16, True, None]
)
def test_decimals_refuse_what_is_not_a_plain_number(value: Any) -> None:
    with pytest.raises(ParseError):
        parse_decimal(value)


def test_dates_and_yes_no() -> None:
    assert parse_date("2024-02-29") == date(2024, 2, 29)
    for bad in ("2023-02-29", "29/02/2024", "20240229", 20240229):
        with pytest.raises(ParseError):
            parse_date(bad)
    assert parse_boolean("是") is True and parse_boolean("否") is False
    assert parse_boolean("YES") is True and parse_boolean(0) is False
    with pytest.raises(ParseError):
        parse_boolean("maybe")


# --- The skip-condition evaluator (hypothesis) --------------------------------------------------

numbers = st.one_of(
    st.integers(min_value=-1000, max_value=1000),
    st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
)


@given(numbers, numbers)
def test_ordering_operators_compare_numbers(answer: Any, target: Any) -> None:
    answers = {"x": answer}
    wire = target if isinstance(target, int) else format(target, "f")  # as stored in a schema

    def ev(op: str) -> bool:
        return evaluate({"field": "x", "op": op, "value": wire}, answers)

    assert ev("gt") == (answer > target)
    assert ev("gte") == (answer >= target)
    assert ev("lt") == (answer < target)
    assert ev("lte") == (answer <= target)
    assert ev("eq") == (answer == target)
    assert ev("ne") == (answer != target)


@given(
    st.sampled_from(["a", "b", "c"]), st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1)
)
def test_in_and_not_in_are_complements_on_an_answer(answer: str, targets: list[str]) -> None:
    answers = {"x": answer}
    found = evaluate({"field": "x", "op": "in", "value": targets}, answers)
    assert found == (answer in targets)
    assert evaluate({"field": "x", "op": "not_in", "value": targets}, answers) is not found


@given(
    st.lists(st.sampled_from(["a", "b", "c"]), unique=True),
    st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1),
)
def test_multiple_choice_answers_match_any_chosen_value(
    chosen: list[str], targets: list[str]
) -> None:
    answers = {"x": chosen}
    hit = bool(set(chosen) & set(targets))
    assert evaluate({"field": "x", "op": "in", "value": targets}, answers) == hit
    assert evaluate({"field": "x", "op": "not_in", "value": targets}, answers) == (
        bool(chosen) and not hit
    )
    assert evaluate({"field": "x", "op": "eq", "value": targets[0]}, answers) == (
        targets[0] in chosen
    )


@given(st.sampled_from(["eq", "ne", "in", "not_in", "gt", "gte", "lt", "lte", "truthy"]), numbers)
def test_a_condition_on_an_unanswered_question_is_false(op: str, target: Any) -> None:
    condition = {"field": "x", "op": op, "value": [target] if op in ("in", "not_in") else target}
    for answers in ({}, {"x": None}, {"x": ""}, {"x": []}):
        assert evaluate(condition, answers) is False


@given(st.lists(st.booleans(), min_size=1, max_size=5))
def test_any_and_all_combine_simple_conditions(values: list[bool]) -> None:
    answers = {f"q{i}": value for i, value in enumerate(values)}
    parts = [{"field": f"q{i}", "op": "eq", "value": True} for i in range(len(values))]
    assert evaluate({"any": parts}, answers) == any(values)
    assert evaluate({"all": parts}, answers) == all(values)
    assert evaluate(None, answers) is True


def test_truthy_and_typed_comparisons() -> None:
    assert evaluate({"field": "x", "op": "truthy"}, {"x": False}) is False
    assert evaluate({"field": "x", "op": "truthy"}, {"x": 0}) is False
    assert evaluate({"field": "x", "op": "truthy"}, {"x": "text"}) is True
    assert evaluate({"field": "d", "op": "lt", "value": "2024-01-01"}, {"d": date(2023, 5, 1)})
    assert evaluate({"field": "b", "op": "eq", "value": True}, {"b": True})
    assert not evaluate({"field": "b", "op": "eq", "value": "nonsense"}, {"b": True})
    assert evaluate({"field": "b", "op": "ne", "value": "nonsense"}, {"b": True})
