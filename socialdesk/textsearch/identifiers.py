"""Hong Kong identifiers in free text: HKID numbers, phone numbers and case numbers.

Every parser accepts what staff type or paste (full-width characters, spaces, brackets, the +852
prefix, lower case) and returns one canonical string, or None when the shape is wrong, so that the
same identifier always gives the same index key.

HKID check digit (GLOSSARY.md): letters count A=10 … Z=35 and a missing first letter counts 36;
the two letter places are weighted 9 and 8 and the six digits 7 … 2; the check is
(11 − sum mod 11) mod 11, with 10 written "A". A123456(3) is the usual worked example.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

type PhoneKind = Literal["landline", "mobile"]

_HKID_RE = re.compile(r"([A-Z]{1,2})([0-9]{6})\(?([0-9A])\)?")
_HKID_BODY_RE = re.compile(r"([A-Z]{1,2})([0-9]{6})")
_HKID_DIGIT_WEIGHTS = (7, 6, 5, 4, 3, 2)
_HKID_MISSING_LETTER = 36
_CASE_NUMBER_RE = re.compile(r"([A-Z]{1,3})-?([0-9]{4})-?([0-9]{6})")
# Separators people put inside phone numbers; white space is removed separately.
_PHONE_PUNCTUATION = str.maketrans("", "", "-().")
_LANDLINE_FIRST_DIGITS = frozenset("23")
# 4–9: mobile (4 and 7 also for newer mobile blocks, 7 for pagers); 1 is for special services.
_PHONE_FIRST_DIGITS = frozenset("23456789")


def _compact_upper(raw: str) -> str:
    """`raw` in NFKC (full-width → ASCII), upper case, without any white space."""
    if not raw.isascii():
        raw = unicodedata.normalize("NFKC", raw)
    return "".join(raw.split()).upper()


def _letter_value(letter: str) -> int:
    return ord(letter) - ord("A") + 10


def _check_char(letters: str, digits: str) -> str:
    first, second = (letters[0], letters[1]) if len(letters) == 2 else (None, letters[0])
    total = (_HKID_MISSING_LETTER if first is None else _letter_value(first)) * 9
    total += _letter_value(second) * 8
    total += sum(int(d) * w for d, w in zip(digits, _HKID_DIGIT_WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


def hkid_check_digit(prefix_and_digits: str) -> str:
    """The check character ("0"–"9" or "A") for an HKID's letters and six digits ("A123456")."""
    match = _HKID_BODY_RE.fullmatch(_compact_upper(prefix_and_digits))
    if match is None:
        raise ValueError("An HKID body is one or two letters followed by six digits")
    return _check_char(match[1], match[2])


def hkid_normalise(raw: str) -> str | None:
    """Canonical HKID ("A1234563", "AB123456A") from a typed one, or None when the shape is wrong.

    Only the shape is checked here; `hkid_is_valid` also checks the check digit.
    """
    match = _HKID_RE.fullmatch(_compact_upper(raw))
    if match is None:
        return None
    return match[1] + match[2] + match[3]


def hkid_complete(raw: str) -> str | None:
    """Canonical HKID from a full number, or from letters and six digits with the check computed.

    Staff often type an HKID without its bracketed check digit; the body determines the check
    digit, so the one number it can be is known.
    """
    compact = _compact_upper(raw)
    body = _HKID_BODY_RE.fullmatch(compact)
    if body is not None:
        return body[1] + body[2] + _check_char(body[1], body[2])
    return hkid_normalise(compact)


def hkid_is_valid(raw: str) -> bool:
    """Whether `raw` is an HKID of the right shape whose check digit is correct."""
    canonical = hkid_normalise(raw)
    if canonical is None:
        return False
    return hkid_check_digit(canonical[:-1]) == canonical[-1]


def _canonical_or_error(raw: str) -> str:
    canonical = hkid_normalise(raw)
    if canonical is None:
        raise ValueError("Not an HKID number")
    return canonical


def hkid_format(canonical: str) -> str:
    """An HKID as printed on the card: "A123456(3)"."""
    canonical = _canonical_or_error(canonical)
    return f"{canonical[:-1]}({canonical[-1]})"


def hkid_mask(canonical: str) -> str:
    """An HKID with only its letters and first three digits shown: "A123***(*)"."""
    canonical = _canonical_or_error(canonical)
    letters = len(canonical) - 7
    return f"{canonical[: letters + 3]}***(*)"


def phone_normalise(raw: str) -> str | None:
    """The eight digits of a Hong Kong phone number ("+852 9123-4567" → "91234567"), or None."""
    digits = _compact_upper(raw).translate(_PHONE_PUNCTUATION)
    if digits.startswith("+852"):
        digits = digits[4:]
    elif digits.startswith("00852"):
        digits = digits[5:]
    elif len(digits) == 11 and digits.startswith("852"):
        digits = digits[3:]
    if len(digits) == 8 and digits.isascii() and digits.isdigit():
        if digits[0] in _PHONE_FIRST_DIGITS:
            return digits
    return None


def phone_kind(digits: str) -> PhoneKind:
    """Whether a normalised phone number is a landline (2, 3) or a mobile/pager number."""
    if phone_normalise(digits) != digits:
        raise ValueError("Not a normalised Hong Kong phone number")
    return "landline" if digits[0] in _LANDLINE_FIRST_DIGITS else "mobile"


def case_number_normalise(raw: str) -> str | None:
    """Canonical case number ("c2026000123" → "C-2026-000123"), or None when the shape is wrong."""
    match = _CASE_NUMBER_RE.fullmatch(_compact_upper(raw))
    if match is None:
        return None
    return f"{match[1]}-{match[2]}-{match[3]}"


def looks_like_hkid(query: str) -> bool:
    """Whether a search query is an HKID number, with or without its check digit."""
    return hkid_complete(query) is not None


def looks_like_phone(query: str) -> bool:
    """Whether a search query is a Hong Kong phone number."""
    return phone_normalise(query) is not None


def looks_like_case_number(query: str) -> bool:
    """Whether a search query is a case number such as C-2026-000123."""
    return case_number_normalise(query) is not None
