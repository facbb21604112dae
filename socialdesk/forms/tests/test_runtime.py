"""Using a schema: checking answers (required, ranges, choices, skip logic, unknown keys), the
Django form built from it and its template, and answers shown read-only, in both languages."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation

from socialdesk.forms.runtime import (
    build_django_form,
    describe_condition,
    render_answers,
    validate_answers,
)
from socialdesk.forms.schema import check_definition
from socialdesk.forms.tests.factories import SAMPLE_FIELDS, SAMPLE_SCORING

SCHEMA = check_definition(copy.deepcopy(SAMPLE_FIELDS), SAMPLE_SCORING).fields

GOOD: dict[str, Any] = {
    "name": " 陳大文 ",
    "age": "70",
    "living_alone": "no",
    "income": "1234.50",
    "visit_date": "2025-03-04",
    "risk": "low",
    "needs": ["housing", "food"],
    "mood": 3,
    "elderly_note": "uses a walking stick",
}


def _validate(data: dict[str, Any], language: str = "en") -> tuple[dict[str, Any], dict[str, Any]]:
    with translation.override(language):
        return validate_answers(SCHEMA, data)


def test_good_answers_come_back_typed_for_json() -> None:
    cleaned, errors = _validate(GOOD)
    assert errors == {}
    assert cleaned == {
        "name": "陳大文",
        "age": 70,
        "living_alone": False,
        "income": "1234.50",
        "visit_date": "2025-03-04",
        "risk": "low",
        "needs": ["food", "housing"],  # in the order of the choices
        "mood": 3,
        "elderly_note": "uses a walking stick",
    }


def test_required_questions_must_be_answered() -> None:
    cleaned, errors = _validate({"name": "  ", "living_alone": "yes"})
    assert errors == {
        "name": ["This question is required."],
        "age": ["This question is required."],
        "emergency_contact": ["This question is required."],
        "risk": ["This question is required."],
    }
    assert cleaned == {"living_alone": True}


def test_errors_are_in_the_active_language() -> None:
    _, english = _validate({}, "en")
    _, chinese = _validate({}, "zh-hant")
    assert english["name"] == ["This question is required."]
    assert set(chinese) == set(english)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("age", "121", "Enter a number of at most 120."),
        ("age", "-1", "Enter a number of at least 0."),
        ("age", "7.5", "Enter a whole number."),
        ("age", True, "Enter a whole number."),
        ("income", "100000", "Enter a number of at most 99999.99."),
        ("income", "abc", "Enter a number."),
        ("visit_date", "04/03/2025", "Enter a date as YYYY-MM-DD."),
        ("living_alone", "maybe", "Answer yes or no."),
        ("risk", "extreme", "“extreme” is not one of the options."),
        ("needs", ["food", "pets"], "“pets” is not one of the options."),
        ("mood", 5, "Choose a point from 0 to 4."),
        ("name", "x" * 21, "Enter at most 20 characters (you entered 21)."),
        ("name", 12, "Enter text."),
    ],
)
def test_ranges_lengths_types_and_choices_are_checked(key: str, value: Any, message: str) -> None:
    cleaned, errors = _validate({**GOOD, key: value})
    assert errors == {key: [message]}
    assert key not in cleaned


def test_unknown_keys_are_refused() -> None:
    _, errors = _validate({**GOOD, "salary": "1", "age ": "3"})
    assert errors == {
        "salary": ["This question is not on the form."],
        "age ": ["This question is not on the form."],
    }


def test_a_hidden_question_is_not_required_and_its_answer_is_dropped() -> None:
    data = {**GOOD, "age": "30", "elderly_note": "should go", "emergency_contact": "Mr Chan"}
    cleaned, errors = _validate(data)
    assert errors == {}
    assert "elderly_note" not in cleaned  # age < 65
    assert "emergency_contact" not in cleaned  # not living alone


def test_a_shown_conditional_question_becomes_required() -> None:
    cleaned, errors = _validate({**GOOD, "living_alone": "yes", "risk": "high"})
    assert errors == {
        "emergency_contact": ["This question is required."],
        "risk_plan": ["This question is required."],
    }
    cleaned, errors = _validate(
        {
            **GOOD,
            "living_alone": "yes",
            "emergency_contact": "Ms Lee",
            "risk": "high",
            "risk_plan": "Daily calls",
        }
    )
    assert errors == {}
    assert cleaned["emergency_contact"] == "Ms Lee" and cleaned["risk_plan"] == "Daily calls"


def test_an_invalid_answer_hides_the_questions_that_depend_on_it() -> None:
    _, errors = _validate({**GOOD, "living_alone": "perhaps"})
    assert set(errors) == {"living_alone"}  # emergency_contact is not also reported missing


def test_a_query_dict_gives_every_ticked_box() -> None:
    data = QueryDict(mutable=True)
    for key, value in GOOD.items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = str(value)
    cleaned, errors = validate_answers(SCHEMA, data)
    assert errors == {}
    assert cleaned["needs"] == ["food", "housing"]


def test_decimal_answers_keep_their_digits_and_integers_accept_full_width() -> None:
    cleaned, _ = _validate({**GOOD, "income": Decimal("10.10"), "age": "７０"})
    assert cleaned["income"] == "10.10" and cleaned["age"] == 70


# --- The Django form ----------------------------------------------------------------------------


def _post(data: dict[str, Any], prefix: str | None = None) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in data.items():
        name = f"{prefix}-{key}" if prefix else key
        if isinstance(value, list):
            query.setlist(name, value)
        else:
            query[name] = str(value)
    return query


def test_the_form_labels_follow_the_language() -> None:
    with translation.override("zh-hant"):
        form = build_django_form(SCHEMA)
        assert form.fields["age"].label == "年齡"
        assert [s.heading for s in form.sections()][:2] == ["基本資料", ""]
    with translation.override("en"):
        form = build_django_form(SCHEMA)
        assert form.fields["age"].label == "Age"
        assert form.fields["risk"].widget.choices[2] == ("high", "High")


def test_the_form_validates_through_validate_answers() -> None:
    with translation.override("en"):
        form = build_django_form(SCHEMA, data=_post({**GOOD, "age": "30", "living_alone": "yes"}))
        assert not form.is_valid()
        assert form.errors == {"emergency_contact": ["This question is required."]}
        form = build_django_form(SCHEMA, data=_post(GOOD))
        assert form.is_valid(), form.errors
        assert form.answers["needs"] == ["food", "housing"]
        assert form.cleaned_data == form.answers


def test_a_prefixed_form_and_initial_answers() -> None:
    form = build_django_form(SCHEMA, data=_post(GOOD, prefix="en"), prefix="en")
    assert form.is_valid(), form.errors
    initial = build_django_form(SCHEMA, initial={"living_alone": True, "needs": ["food"]})
    html = str(initial["living_alone"])
    assert 'value="yes"' in html and "checked" in html.split('value="yes"')[1].split(">")[0]


def test_the_form_carries_the_skip_conditions_for_the_script() -> None:
    with translation.override("en"):
        form = build_django_form(SCHEMA)
        html = render_to_string("forms/includes/form_fields.html", {"form": form})
    assert "data-skip-logic" in html
    condition = "{&quot;field&quot;: &quot;living_alone&quot;"
    assert f'data-form-field="emergency_contact" data-show-if="{condition}' in html
    assert 'data-field-key="age"' in html and 'data-field-type="integer"' in html
    assert "Answer only if “Lives alone” is “Yes”." in html  # for use without JavaScript
    assert "<script" not in html and "style=" not in html  # the CSP allows neither


def test_the_template_renders_accessibly() -> None:
    with translation.override("en"):
        form = build_django_form(SCHEMA, data=_post({**GOOD, "age": "200"}))
        form.is_valid()
        html = render_to_string("forms/includes/form_fields.html", {"form": form})
    assert '<fieldset class="form-section">' in html
    assert '<h2 class="form-section-heading">Basic details</h2>' in html
    assert '<label for="id_age">Age' in html
    assert 'aria-invalid="true"' in html and "Enter a number of at most 120." in html
    assert "error-summary" in html and 'href="#id_age"' in html
    assert "<legend>Risk" in html  # a choice group is a fieldset with a legend
    assert 'aria-describedby="id_income_helptext' not in html  # no help, no dangling reference
    assert " required" not in html.replace("(required)", "")  # hidden questions must not block


def test_conditions_are_described_in_both_languages() -> None:
    condition = {
        "any": [
            {"field": "risk", "op": "in", "value": ["medium", "high"]},
            {"field": "age", "op": "gte", "value": 65},
        ]
    }
    with translation.override("en"):
        assert describe_condition(condition, SCHEMA) == (
            "“Risk” is one of: Medium, High or “Age” is at least 65"
        )
    with translation.override("zh-hant"):
        chinese = describe_condition(condition, SCHEMA)
    assert "風險" in chinese and "年齡" in chinese and "65" in chinese


# --- Showing answers ----------------------------------------------------------------------------


def test_answers_are_shown_with_labels_in_the_active_language() -> None:
    cleaned, _ = _validate(GOOD)
    with translation.override("en"):
        lines = render_answers(SCHEMA, cleaned)
    shown = {line.label: line.value for line in lines}
    assert shown["Lives alone"] == "No"
    assert shown["Risk"] == "Low"
    assert shown["Needs"] == "Food, Housing"
    assert shown["Mood"] == "3"
    assert "Emergency contact" not in shown and "Risk plan" not in shown  # hidden
    assert lines[0].section == "Basic details"
    with translation.override("zh-hant"):
        chinese = {line.label: line.value for line in render_answers(SCHEMA, cleaned)}
    assert chinese["風險"] == "低"
    assert chinese["家訪日期"].startswith("2025")


def test_unanswered_shown_questions_say_so() -> None:
    with translation.override("en"):
        lines = render_answers(SCHEMA, {"name": "A", "age": 3, "living_alone": True})
    shown = {line.label: line.value for line in lines}
    assert shown["Emergency contact"] == "Not answered"
    assert "Elder note" not in shown
