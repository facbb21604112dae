"""HKID, phone and case-number parsing."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.textsearch.identifiers import (
    case_number_normalise,
    hkid_check_digit,
    hkid_complete,
    hkid_format,
    hkid_is_valid,
    hkid_mask,
    hkid_normalise,
    looks_like_case_number,
    looks_like_hkid,
    looks_like_phone,
    phone_kind,
    phone_normalise,
)

letters = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=2)
six_digits = st.text(alphabet="0123456789", min_size=6, max_size=6)


# HKID ----------------------------------------------------------------------------------------


def test_the_standard_example_a123456_3_is_valid() -> None:
    # 36×9 + 10×8 + 1×7 + 2×6 + 3×5 + 4×4 + 5×3 + 6×2 = 481; 481 mod 11 = 8; 11 − 8 = 3
    assert hkid_check_digit("A123456") == "3"
    assert hkid_is_valid("A123456(3)")


@pytest.mark.parametrize(
    ("body", "check"),
    [
        # 10×9 + 11×8 + 9×7 + 8×6 + 7×5 + 6×4 + 5×3 + 4×2 = 371; 371 mod 11 = 8 → 3
        ("AB987654", "3"),
        # 36×9 + 35×8 = 604; 604 mod 11 = 10 → 1
        ("Z000000", "1"),
        # 36×9 + 10×8 + 2×2 = 408; 408 mod 11 = 1 → 10, written A
        ("A000002", "A"),
        # 36×9 + 10×8 + 7×2 = 418; 418 mod 11 = 0 → (11 − 0) mod 11 = 0
        ("A000007", "0"),
    ],
)
def test_check_digits_follow_the_glossary_rule(body: str, check: str) -> None:
    assert hkid_check_digit(body) == check
    assert hkid_is_valid(f"{body}({check})")


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("A123456(3)", "A1234563"),
        ("a1234563", "A1234563"),
        ("A 123456 (3)", "A1234563"),
        ("Ａ１２３４５６（３）", "A1234563"),  # full-width, as typed with a Chinese input method
        ("AB 123456 (A)", "AB123456A"),
        ("ab123456a", "AB123456A"),
        (" A123456(3) ", "A1234563"),
    ],
)
def test_hkid_spellings_normalise_to_one_canonical_form(raw: str, canonical: str) -> None:
    assert hkid_normalise(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    ["", "123456(7)", "A12345(6)", "ABC123456(7)", "A1234567(8)", "A123456(B)", "A123456", "陳"],
)
def test_hkid_of_the_wrong_shape_is_refused(raw: str) -> None:
    assert hkid_normalise(raw) is None
    assert not hkid_is_valid(raw)


def test_a_wrong_check_digit_is_invalid_though_well_shaped() -> None:
    assert hkid_normalise("A123456(4)") == "A1234564"
    assert not hkid_is_valid("A123456(4)")


def test_hkid_is_printed_with_brackets_and_masked_after_three_digits() -> None:
    assert hkid_format("A1234563") == "A123456(3)"
    assert hkid_format("AB123456A") == "AB123456(A)"
    assert hkid_mask("A1234563") == "A123***(*)"
    assert hkid_mask("AB123456A") == "AB123***(*)"


def test_formatting_something_that_is_not_an_hkid_is_an_error() -> None:
    with pytest.raises(ValueError, match="HKID"):
        hkid_format("A12")
    with pytest.raises(ValueError, match="HKID"):
        hkid_mask("12345678")
    with pytest.raises(ValueError, match="HKID"):
        hkid_check_digit("A12345")


def test_an_hkid_typed_without_its_check_digit_is_completed() -> None:
    assert hkid_complete("A123456") == "A1234563"
    assert hkid_complete("a123456(3)") == "A1234563"
    assert hkid_complete("A12345") is None


@settings(max_examples=60, deadline=None)
@given(letters, six_digits)
def test_any_body_with_its_computed_check_digit_validates_and_round_trips(
    prefix: str, digits: str
) -> None:
    canonical = prefix + digits + hkid_check_digit(prefix + digits)
    assert hkid_is_valid(canonical)
    printed = hkid_format(canonical)
    assert hkid_normalise(printed) == canonical
    assert hkid_normalise(printed.lower()) == canonical
    assert hkid_is_valid(printed)
    assert hkid_mask(canonical).startswith(prefix + digits[:3])


@settings(max_examples=60, deadline=None)
@given(letters, six_digits, st.integers(0, 5), st.integers(1, 9))
def test_any_single_digit_change_invalidates_the_hkid(
    prefix: str, digits: str, position: int, shift: int
) -> None:
    check = hkid_check_digit(prefix + digits)
    changed = digits[:position] + str((int(digits[position]) + shift) % 10) + digits[position + 1 :]
    assert not hkid_is_valid(prefix + changed + check)


@settings(max_examples=40, deadline=None)
@given(letters, six_digits, st.sampled_from("0123456789A"))
def test_only_the_computed_check_character_validates(prefix: str, digits: str, check: str) -> None:
    assert hkid_is_valid(prefix + digits + check) == (check == hkid_check_digit(prefix + digits))


# Phones --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("+852 9123-4567", "91234567"),
        ("91234567", "91234567"),
        ("9123 4567", "91234567"),
        ("(852) 2345 6789", "23456789"),
        ("852-3123-4567", "31234567"),
        ("85291234567", "91234567"),
        ("00852 5123 4567", "51234567"),
        ("＋８５２ ６１２３ ４５６７", "61234567"),
        ("8123.4567", "81234567"),
    ],
)
def test_hong_kong_phone_numbers_normalise_to_eight_digits(raw: str, digits: str) -> None:
    assert phone_normalise(raw) == digits


@pytest.mark.parametrize(
    "raw",
    ["1234 5678", "9123456", "912345678", "+86 138 0013 8000", "", "phone", "0123 4567", "999"],
)
def test_other_numbers_are_not_hong_kong_phones(raw: str) -> None:
    assert phone_normalise(raw) is None


def test_phone_kind_is_landline_for_2_and_3_and_mobile_otherwise() -> None:
    assert phone_kind("23456789") == "landline"
    assert phone_kind("31234567") == "landline"
    assert phone_kind("91234567") == "mobile"
    assert phone_kind("41234567") == "mobile"
    with pytest.raises(ValueError, match="phone"):
        phone_kind("9123 4567")


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from("23456789"),
    st.text(alphabet="0123456789", min_size=7, max_size=7),
    st.sampled_from(["", "+852 ", "852", "(852) ", "+852-"]),
    st.sampled_from(["", " ", "-"]),
)
def test_any_formatting_of_a_phone_number_gives_its_eight_digits(
    first: str, rest: str, prefix: str, separator: str
) -> None:
    digits = first + rest
    assert phone_normalise(prefix + digits[:4] + separator + digits[4:]) == digits


# Case numbers and query shapes ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["C-2026-000123", "c-2026-000123", "c2026000123", "C-2026000123", " C 2026 000123 "]
)
def test_case_numbers_normalise_with_dashes_and_upper_case(raw: str) -> None:
    assert case_number_normalise(raw) == "C-2026-000123"


@pytest.mark.parametrize("raw", ["C-26-000123", "C-2026-00123", "2026-000123", "CASE-2026-000123"])
def test_malformed_case_numbers_are_refused(raw: str) -> None:
    assert case_number_normalise(raw) is None


def test_query_shapes_are_recognised() -> None:
    assert looks_like_hkid("A123456(3)")
    assert looks_like_hkid("a123456")
    assert not looks_like_hkid("Chan Tai Man")
    assert looks_like_phone("9123 4567")
    assert not looks_like_phone("1234 5678")
    assert looks_like_case_number("c2026000123")
    assert not looks_like_case_number("A123456(3)")
