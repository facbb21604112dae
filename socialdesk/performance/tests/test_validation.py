"""The checks of a statistical return against its template (validation.py): required figures,
ranges, decimals, breakdowns, compare and outlier rules, and parsing a figure as typed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import override

from socialdesk.performance.validation import (
    ERROR,
    WARNING,
    Checked,
    Issue,
    ItemSpec,
    Key,
    RuleSpec,
    check_return,
    parse_figure,
)

D = Decimal
ONE, TWO = D(1), D(2)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Messages are compared in English unless a test switches language itself."""
    with override("en"):
        yield


def check(
    items: Sequence[ItemSpec],
    values: Mapping[Key, Decimal | None],
    rules: Sequence[RuleSpec] = (),
    history: Mapping[str, Sequence[Decimal]] | None = None,
) -> Checked:
    return check_return(items, rules, values, history)


def total(code: str, value: Decimal | int | str | None) -> dict[Key, Decimal | None]:
    return {(code, ""): None if value is None else D(value)}


def only_issue(checked: Checked) -> Issue:
    assert len(checked.issues) == 1, checked.issues
    return checked.issues[0]


SERVED = ItemSpec("served", "Cases served")
NEW = ItemSpec("new", "New cases")


# --- Required figures, signs and ranges -------------------------------------------------------


def test_a_missing_required_figure_is_an_error() -> None:
    issue = only_issue(check([SERVED], {}))
    assert issue.key == ("served", "")
    assert issue.severity == ERROR
    assert issue.message == "Enter this figure (0 if there were none)."
    assert issue.rule == ""


def test_a_figure_given_as_none_counts_as_missing() -> None:
    issue = only_issue(check([SERVED], total("served", None)))
    assert issue.message == "Enter this figure (0 if there were none)."


def test_a_missing_optional_figure_is_fine() -> None:
    optional = ItemSpec("volunteers", "Volunteers", required=False)
    assert check([optional], {}).issues == []


def test_zero_is_a_figure() -> None:
    assert check([SERVED], total("served", 0)).issues == []


def test_a_negative_figure_is_an_error() -> None:
    issue = only_issue(check([SERVED], total("served", -1)))
    assert (issue.key, issue.severity) == (("served", ""), ERROR)
    assert issue.message == "A figure cannot be negative."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("4", ["The figure must be at least 5."]),
        ("5", []),
        ("50", []),
        ("100", []),
        ("101", ["The figure must be at most 100."]),
    ],
)
def test_minimum_and_maximum(value: str, expected: list[str]) -> None:
    item = ItemSpec("sessions", "Sessions", min_value=D("5"), max_value=D("100"))
    checked = check([item], total("sessions", value))
    assert [issue.message for issue in checked.issues] == expected
    assert all(issue.severity == ERROR for issue in checked.issues)


def test_range_limits_are_shown_without_trailing_zeros() -> None:
    item = ItemSpec("rate", "Rate", min_value=D("1.50"), max_value=D("2.500"), decimal_places=2)
    low = only_issue(check([item], total("rate", "1.2")))
    high = only_issue(check([item], total("rate", "3")))
    assert low.message == "The figure must be at least 1.5."
    assert high.message == "The figure must be at most 2.5."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", []),
        ("100", []),
        ("100.5", ["A percentage cannot be more than 100."]),
        ("101", ["A percentage cannot be more than 100."]),
    ],
)
def test_a_percentage_is_at_most_100(value: str, expected: list[str]) -> None:
    item = ItemSpec("satisfied", "Users satisfied (%)", measure="percent", decimal_places=1)
    assert [i.message for i in check([item], total("satisfied", value)).issues] == expected


def test_a_count_over_100_is_not_a_percentage_error() -> None:
    assert check([SERVED], total("served", 250)).issues == []


def test_a_negative_figure_below_the_minimum_gets_both_errors() -> None:
    item = ItemSpec("sessions", "Sessions", min_value=D("0"))
    checked = check([item], total("sessions", -3))
    assert [i.message for i in checked.issues] == [
        "A figure cannot be negative.",
        "The figure must be at least 0.",
    ]


# --- Decimal places ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["12", "12.0", "12.000", "0", "1E+3"])
def test_a_whole_number_item_accepts_whole_numbers(value: str) -> None:
    assert check([SERVED], total("served", value)).issues == []


@pytest.mark.parametrize("value", ["12.5", "0.1", "12.01"])
def test_a_whole_number_item_refuses_decimals(value: str) -> None:
    issue = only_issue(check([SERVED], total("served", value)))
    assert (issue.key, issue.severity) == (("served", ""), ERROR)
    assert issue.message == "Enter a whole number."


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", []),
        ("12.5", []),
        ("12.50", []),  # a trailing zero is not a second decimal place
        ("12.55", ["Enter at most 1 decimal places."]),
        ("0.05", ["Enter at most 1 decimal places."]),
    ],
)
def test_an_item_with_one_decimal_place(value: str, expected: list[str]) -> None:
    item = ItemSpec("hours", "Hours of service", decimal_places=1)
    assert [i.message for i in check([item], total("hours", value)).issues] == expected


# --- Breakdowns -------------------------------------------------------------------------------

BY_SEX = ItemSpec("served", "Cases served", breakdowns=(("sex", ("F", "M")),))
BY_SEX_AND_AGE = ItemSpec(
    "served",
    "Cases served",
    breakdowns=(("sex", ("F", "M")), ("age", ("0-17", "18-64", "65+"))),
)


def test_a_breakdown_that_adds_up_is_fine() -> None:
    values = {("served", ""): D(10), ("served", "sex:F"): D(6), ("served", "sex:M"): D(4)}
    assert check([BY_SEX], values).issues == []


def test_an_empty_breakdown_is_fine() -> None:
    assert check([BY_SEX], total("served", 10)).issues == []


def test_a_breakdown_given_as_all_none_is_fine() -> None:
    values = {("served", ""): D(10), ("served", "sex:F"): None, ("served", "sex:M"): None}
    assert check([BY_SEX], values).issues == []


def test_a_partly_filled_breakdown_is_an_error_on_the_missing_category() -> None:
    values = {("served", ""): D(10), ("served", "sex:F"): D(10)}
    issue = only_issue(check([BY_SEX], values))
    assert issue.key == ("served", "sex:M")
    assert issue.severity == ERROR
    assert issue.message == "Fill in every category of the breakdown, or none."


def test_a_partly_filled_breakdown_names_the_first_missing_category() -> None:
    values = {("served", ""): D(10), ("served", "age:18-64"): D(10)}
    issue = only_issue(check([BY_SEX_AND_AGE], values))
    assert issue.key == ("served", "age:0-17")


def test_a_breakdown_that_does_not_add_up_is_an_error_on_the_total() -> None:
    values = {("served", ""): D(10), ("served", "sex:F"): D(6), ("served", "sex:M"): D(5)}
    issue = only_issue(check([BY_SEX], values))
    assert issue.key == ("served", "")
    assert issue.severity == ERROR
    assert "11" in issue.message
    assert "10" in issue.message
    assert issue.message == "The breakdown adds up to 11, not to the total 10."


def test_a_breakdown_with_decimals_is_shown_without_trailing_zeros() -> None:
    item = ItemSpec("hours", "Hours", decimal_places=1, breakdowns=(("sex", ("F", "M")),))
    values = {("hours", ""): D("10.0"), ("hours", "sex:F"): D("6.5"), ("hours", "sex:M"): D("3.0")}
    assert only_issue(check([item], values)).message == (
        "The breakdown adds up to 9.5, not to the total 10."
    )


def test_each_breakdown_is_checked_on_its_own() -> None:
    values = {
        ("served", ""): D(10),
        ("served", "sex:F"): D(6),
        ("served", "sex:M"): D(4),
        ("served", "age:0-17"): D(1),
        ("served", "age:18-64"): D(2),
        ("served", "age:65+"): D(3),
    }
    issue = only_issue(check([BY_SEX_AND_AGE], values))
    assert issue.message == "The breakdown adds up to 6, not to the total 10."


def test_a_breakdown_without_its_total_is_not_checked_but_the_total_is_required() -> None:
    values = {("served", "sex:F"): D(6), ("served", "sex:M"): D(4)}
    issue = only_issue(check([BY_SEX], values))
    assert issue.key == ("served", "")
    assert issue.message == "Enter this figure (0 if there were none)."


# --- Compare rules ----------------------------------------------------------------------------


def compare(
    operator: str,
    *,
    right: str = "",
    constant: Decimal | None = None,
    factor: Decimal = ONE,
    severity: str = ERROR,
    message_en: str = "",
    message_zh: str = "",
) -> RuleSpec:
    return RuleSpec(
        code="R1",
        kind="compare",
        severity=severity,
        left="new",
        operator=operator,
        right=right,
        constant=constant,
        factor=factor,
        message_en=message_en,
        message_zh=message_zh,
    )


NEW_AT_MOST_SERVED = compare("<=", right="served")


@pytest.mark.parametrize(("new", "served"), [(0, 0), (5, 10), (10, 10)])
def test_new_cases_within_cases_served_is_fine(new: int, served: int) -> None:
    values = total("new", new) | total("served", served)
    assert check([NEW, SERVED], values, [NEW_AT_MOST_SERVED]).issues == []


def test_new_cases_above_cases_served_is_an_error_on_the_left_figure() -> None:
    values = total("new", 11) | total("served", 10)
    issue = only_issue(check([NEW, SERVED], values, [NEW_AT_MOST_SERVED]))
    assert issue.key == ("new", "")
    assert issue.severity == ERROR
    assert issue.rule == "R1"
    assert issue.message == "New cases must be <= Cases served."


@pytest.mark.parametrize(
    ("operator", "left", "right", "passes"),
    [
        ("<=", 10, 10, True),
        ("<=", 11, 10, False),
        ("<", 9, 10, True),
        ("<", 10, 10, False),
        (">=", 10, 10, True),
        (">=", 9, 10, False),
        (">", 11, 10, True),
        (">", 10, 10, False),
        ("==", 10, 10, True),
        ("==", 9, 10, False),
    ],
)
def test_compare_operators(operator: str, left: int, right: int, passes: bool) -> None:
    values = total("new", left) | total("served", right)
    checked = check([NEW, SERVED], values, [compare(operator, right="served")])
    assert (checked.issues == []) is passes


def test_an_unknown_operator_is_ignored() -> None:
    values = total("new", 11) | total("served", 10)
    assert check([NEW, SERVED], values, [compare("!=", right="served")]).issues == []


@pytest.mark.parametrize(("new", "passes"), [(5, True), (D("5.0"), True), (6, False)])
def test_compare_with_a_factor_of_the_other_figure(new: int | Decimal, passes: bool) -> None:
    """New cases at most half the cases served (10 × 0.5 = 5)."""
    rule = compare("<=", right="served", factor=D("0.5"))
    values = total("new", new) | total("served", 10)
    checked = check([NEW, SERVED], values, [rule])
    assert (checked.issues == []) is passes
    assert all(issue.rule == "R1" for issue in checked.issues)


@pytest.mark.parametrize(("new", "passes"), [(0, True), (200, True), (201, False)])
def test_compare_with_a_constant(new: int, passes: bool) -> None:
    rule = compare("<=", constant=D("200"))
    checked = check([NEW], total("new", new), [rule])
    assert (checked.issues == []) is passes


def test_the_default_message_of_a_constant_rule_shows_the_constant() -> None:
    rule = compare("<=", constant=D("200.00"))
    issue = only_issue(check([NEW], total("new", 201), [rule]))
    assert issue.message == "New cases must be <= 200."


def test_a_rule_against_a_missing_right_figure_is_skipped() -> None:
    optional_served = ItemSpec("served", "Cases served", required=False)
    checked = check([NEW, optional_served], total("new", 11), [NEW_AT_MOST_SERVED])
    assert checked.issues == []


def test_a_rule_without_right_figure_or_constant_is_skipped() -> None:
    assert check([NEW], total("new", 11), [compare("<=")]).issues == []


def test_a_rule_with_a_missing_left_figure_is_skipped() -> None:
    """Only the required-figure error is reported, not the rule as well."""
    values = total("served", 10)
    issue = only_issue(check([NEW, SERVED], values, [compare(">=", right="served")]))
    assert issue.key == ("new", "")
    assert issue.rule == ""
    assert issue.message == "Enter this figure (0 if there were none)."


def test_the_default_message_without_the_template_names_uses_code_and_value() -> None:
    """Indicators not in the template: the left one by its code, the right one by its value."""
    rule = compare("<=", right="served", factor=D("0.5"))
    values = total("new", 11) | total("served", 10)
    issue = only_issue(check([], values, [rule]))
    assert issue.message == "new must be <= 5."


def test_the_default_message_of_a_rule_with_a_factor_shows_the_factor() -> None:
    """With a factor the message gives the computed limit, not the other figure's name."""
    rule = compare("<=", right="served", factor=D("0.5"))
    values = total("new", 6) | total("served", 10)
    issue = only_issue(check([NEW, SERVED], values, [rule]))
    assert "0.5" in issue.message or "5" in issue.message


@pytest.mark.parametrize("severity", [ERROR, WARNING])
def test_a_rule_reports_with_its_own_severity(severity: str) -> None:
    rule = compare("<=", right="served", severity=severity)
    values = total("new", 11) | total("served", 10)
    assert only_issue(check([NEW, SERVED], values, [rule])).severity == severity


# --- Rule messages by language ----------------------------------------------------------------

BILINGUAL = compare(
    "<=",
    right="served",
    message_en="New cases cannot exceed cases served.",
    message_zh="新個案數目不可多於服務個案數目。",
)
OVER = total("new", 11) | total("served", 10)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "New cases cannot exceed cases served."),
        ("zh-hant", "新個案數目不可多於服務個案數目。"),
    ],
)
def test_the_rules_own_message_follows_the_active_language(language: str, expected: str) -> None:
    with override(language):
        assert only_issue(check([NEW, SERVED], OVER, [BILINGUAL])).message == expected


@pytest.mark.parametrize("language", ["en", "zh-hant"])
def test_a_rule_message_in_one_language_only_is_used_in_both(language: str) -> None:
    english_only = compare("<=", right="served", message_en="Too many new cases.")
    chinese_only = compare("<=", right="served", message_zh="新個案太多。")
    with override(language):
        assert only_issue(check([NEW, SERVED], OVER, [english_only])).message == (
            "Too many new cases."
        )
        assert only_issue(check([NEW, SERVED], OVER, [chinese_only])).message == "新個案太多。"


def test_the_rule_message_property_directly() -> None:
    with override("en"):
        assert BILINGUAL.message == "New cases cannot exceed cases served."
    with override("zh-hant"):
        assert BILINGUAL.message == "新個案數目不可多於服務個案數目。"
    assert compare("<=").message == ""


def test_built_in_messages_are_given_in_chinese_too() -> None:
    """No zh-Hant translation of all these messages yet: only check they are real text."""
    capped = ItemSpec("capped", "Capped", min_value=D(5), max_value=D(10), measure="percent")
    hours = ItemSpec("hours", "Hours", decimal_places=1)
    with override("zh-hant"):
        issues = [
            *check([SERVED], {}).issues,  # missing
            *check([NEW], total("new", "-1.5")).issues,  # negative, whole number
            *check([capped], total("capped", 1)).issues,  # minimum
            *check([capped], total("capped", 101)).issues,  # maximum, percentage
            *check([hours], total("hours", "1.25")).issues,  # decimal places
            *check([BY_SEX], {("served", ""): D(3), ("served", "sex:F"): D(1)}).issues,
            *check(
                [BY_SEX],
                {("served", ""): D(3), ("served", "sex:F"): D(1), ("served", "sex:M"): D(1)},
            ).issues,
            *check([NEW, SERVED], OVER, [NEW_AT_MOST_SERVED]).issues,  # compare rule
            *check([SERVED], total("served", 900), [outlier()], {"served": [D(1), D(1)]}).issues,
        ]
    assert len(issues) == 11
    assert all(isinstance(issue.message, str) and issue.message.strip() for issue in issues)


# --- Errors, warnings and comments ------------------------------------------------------------


def _mixed() -> Checked:
    rules = [
        compare("<=", right="served", severity=WARNING),
        RuleSpec("R2", "compare", WARNING, "served", "<=", constant=D(5)),
    ]
    values = total("new", D("11.5")) | total("served", 10)
    return check([NEW, SERVED], values, rules)


def test_errors_and_warnings_are_separated() -> None:
    checked = _mixed()
    assert [(i.key, i.message) for i in checked.errors] == [(("new", ""), "Enter a whole number.")]
    assert [(i.key, i.rule) for i in checked.warnings] == [
        (("new", ""), "R1"),
        (("served", ""), "R2"),
    ]
    assert len(checked.issues) == 3


def test_a_comment_on_the_figure_explains_its_warning() -> None:
    checked = _mixed()
    comments = {("new", ""): "A hotline campaign brought many new cases."}
    assert [w.key for w in checked.unexplained_warnings(comments)] == [("served", "")]


@pytest.mark.parametrize("blank", ["", "   ", "\n\t"])
def test_a_blank_comment_does_not_explain_a_warning(blank: str) -> None:
    checked = _mixed()
    assert len(checked.unexplained_warnings({("new", ""): blank})) == 2


def test_a_comment_on_another_category_does_not_explain_a_warning() -> None:
    checked = _mixed()
    comments = {("new", "sex:F"): "Explained.", ("served", ""): "Explained."}
    assert [w.key for w in checked.unexplained_warnings(comments)] == [("new", "")]


def test_errors_never_count_as_unexplained_warnings() -> None:
    checked = check([SERVED], {})
    assert checked.errors
    assert checked.unexplained_warnings({}) == []


def test_an_empty_checked_has_nothing() -> None:
    checked = Checked()
    assert (checked.errors, checked.warnings, checked.unexplained_warnings({})) == ([], [], [])


# --- Outlier rules ----------------------------------------------------------------------------


def outlier(factor: Decimal = TWO, severity: str = WARNING, message_en: str = "") -> RuleSpec:
    return RuleSpec("O1", "outlier", severity, "served", factor=factor, message_en=message_en)


def served_with_history(value: int | str, earlier: Sequence[int | str]) -> Checked:
    return check(
        [SERVED],
        total("served", value),
        [outlier()],
        {"served": [D(e) for e in earlier]},
    )


@pytest.mark.parametrize(
    ("value", "flagged"),
    [
        (100, False),  # the median itself
        (200, False),  # twice the median: still usual
        (201, True),  # more than twice
        (50, False),  # half the median: still usual
        (49, True),  # less than half
        (0, True),
    ],
)
def test_a_figure_far_from_the_median_of_history(value: int, flagged: bool) -> None:
    checked = served_with_history(value, [90, 100, 130])
    assert bool(checked.issues) is flagged
    if flagged:
        issue = only_issue(checked)
        assert (issue.key, issue.severity, issue.rule) == (("served", ""), WARNING, "O1")
        assert issue.message == (
            "This figure is far from this unit's usual figure (median 100 of the last periods). "
            "Check it, or explain it in a comment."
        )


def test_the_median_of_an_even_number_of_figures_is_the_mean_of_the_middle_two() -> None:
    issue = only_issue(served_with_history(1000, [10, 20, 30, 100]))
    assert "median 25 " in issue.message


@pytest.mark.parametrize("earlier", [[], [100]])
def test_outliers_need_at_least_two_earlier_figures(earlier: list[int]) -> None:
    assert served_with_history(10_000, earlier).issues == []


def test_no_history_at_all_means_no_outlier_check() -> None:
    assert check([SERVED], total("served", 10_000), [outlier()]).issues == []
    assert check([SERVED], total("served", 10_000), [outlier()], {}).issues == []


def test_a_median_of_zero_gives_no_outlier() -> None:
    assert served_with_history(500, [0, 0, 3]).issues == []


@pytest.mark.parametrize(
    ("value", "flagged"),
    [(300, False), (301, True), (D("33.4"), False), (D("33.3"), True)],
)
def test_the_rules_factor_sets_how_far_is_too_far(value: int | Decimal, flagged: bool) -> None:
    rule = outlier(factor=D(3))
    history = {"served": [D(100), D(100)]}
    item = ItemSpec("served", "Cases served", decimal_places=1)
    checked = check([item], total("served", value), [rule], history)
    assert bool(checked.warnings) is flagged


@pytest.mark.parametrize("factor", [D(1), D("0.5"), D(0)])
def test_a_factor_of_one_or_less_falls_back_to_two(factor: Decimal) -> None:
    history = {"served": [D(100), D(100)]}
    near = check([SERVED], total("served", 150), [outlier(factor=factor)], history)
    far = check([SERVED], total("served", 201), [outlier(factor=factor)], history)
    assert near.issues == []
    assert len(far.issues) == 1


def test_an_outlier_rule_uses_its_own_message_and_severity() -> None:
    rule = outlier(severity=ERROR, message_en="Far above the usual number of cases.")
    checked = check([SERVED], total("served", 900), [rule], {"served": [D(100), D(100)]})
    issue = only_issue(checked)
    assert (issue.severity, issue.message) == (ERROR, "Far above the usual number of cases.")


def test_an_outlier_rule_with_a_missing_figure_is_skipped() -> None:
    optional = ItemSpec("served", "Cases served", required=False)
    assert check([optional], {}, [outlier()], {"served": [D(1), D(1)]}).issues == []


def test_the_outlier_rule_looks_at_its_own_indicators_history() -> None:
    history = {"new": [D(1), D(1), D(1)]}
    assert check([SERVED], total("served", 900), [outlier()], history).issues == []


def test_an_unknown_rule_kind_is_ignored() -> None:
    rule = RuleSpec("X", "something-else", ERROR, "served", "<=", constant=D(0))
    assert check([SERVED], total("served", 900), [rule]).issues == []


# --- Parsing a figure -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (" 12 ", D("12")),
        ("12", D("12")),
        ("12.5", D("12.5")),
        ("-3", D("-3")),
        ("1,200", D("1200")),
        ("1,200.50", D("1200.50")),
        (12, D("12")),
        (0, D("0")),
        (12.5, D("12.5")),
        (0.1, D("0.1")),  # from the float's text, not its binary value
        (D("12.50"), D("12.50")),
    ],
)
def test_parse_figure_accepts_numbers(raw: Any, expected: Decimal | None) -> None:
    parsed = parse_figure(raw)
    assert parsed == expected
    if expected is not None:
        assert isinstance(parsed, Decimal)
        assert str(parsed) == str(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "twelve",
        "12 cases",
        "12abc",
        "NaN",
        "nan",
        "sNaN",
        "Infinity",
        "-Infinity",
        "inf",
        "1,2",
        "1,,200",
        "12,00",
        True,
        False,
    ],
)
def test_parse_figure_refuses_what_is_not_a_number(raw: Any) -> None:
    with pytest.raises(ValueError, match="not a number"):
        parse_figure(raw)


@pytest.mark.parametrize("raw", [float("nan"), float("inf"), D("NaN"), D("Infinity")])
def test_parse_figure_refuses_non_finite_floats_and_decimals(raw: Any) -> None:
    """NaN and Infinity are no figures, whatever type they arrive as."""
    with pytest.raises(ValueError, match="not a number"):
        parse_figure(raw)


def test_parsed_figures_check_cleanly() -> None:
    """The figures of a form, parsed then checked: the usual path of an upload."""
    raw = {("served", ""): "1,200", ("new", ""): " 35 "}
    values = {key: parse_figure(value) for key, value in raw.items()}
    assert check([SERVED, NEW], values, [NEW_AT_MOST_SERVED]).issues == []
