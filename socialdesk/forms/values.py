"""Answer values: parsing whole numbers, decimals, dates and yes/no from what people type or
APIs send (full-width digits included), and writing numbers for JSON. Errors are `ParseError`s
whose message is in the active language."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

INTEGER_DIGITS = 15
DECIMAL_PLACES = 6
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "on", "是"})
FALSE_WORDS = frozenset({"no", "n", "false", "0", "off", "否"})

_INTEGER_RE = re.compile(rf"[+-]?[0-9]{{1,{INTEGER_DIGITS}}}")
_DECIMAL_RE = re.compile(
    rf"[+-]?(?:[0-9]{{1,{INTEGER_DIGITS}}}(?:\.[0-9]{{0,{DECIMAL_PLACES}}})?"
    rf"|\.[0-9]{{1,{DECIMAL_PLACES}}})"
)
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class ParseError(ValueError):
    """A value that is not of the expected kind; `message` is in the active language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _text_of(value: str) -> str:
    # NFKC turns full-width digits and signs (typed with a Chinese input method) into ASCII.
    return unicodedata.normalize("NFKC", value).strip()


def parse_integer(value: Any) -> int:
    """A whole number from an int, an integral Decimal or float, or a string of ASCII or
    full-width digits; at most 15 digits."""
    if isinstance(value, bool):
        raise ParseError(_("Enter a whole number."))
    if isinstance(value, int):
        if abs(value) >= 10**INTEGER_DIGITS:
            raise ParseError(_("Enter a whole number."))
        return value
    if isinstance(value, float | Decimal):
        try:
            number = Decimal(str(value)) if isinstance(value, float) else value
            if not number.is_finite() or number != number.to_integral_value():
                raise ParseError(_("Enter a whole number."))
            return parse_integer(int(number))
        except (InvalidOperation, OverflowError) as exc:
            raise ParseError(_("Enter a whole number.")) from exc
    if isinstance(value, str):
        text = _text_of(value)
        if _INTEGER_RE.fullmatch(text):
            return int(text)
    raise ParseError(_("Enter a whole number."))


def parse_decimal(value: Any) -> Decimal:
    """A number with at most 15 digits before and 6 after the decimal point."""
    if isinstance(value, bool):
        raise ParseError(_("Enter a number."))
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float | Decimal):
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else value
        except InvalidOperation as exc:
            raise ParseError(_("Enter a number.")) from exc
        if not number.is_finite():
            raise ParseError(_("Enter a number."))
        text = format(number, "f")
    elif isinstance(value, str):
        text = _text_of(value)
    else:
        raise ParseError(_("Enter a number."))
    if not _DECIMAL_RE.fullmatch(text):
        if re.fullmatch(r"[+-]?[0-9]*\.?[0-9]*", text) and re.search(r"[0-9]", text):
            raise ParseError(
                _(
                    "Enter a number with at most %(digits)s digits before and %(places)s "
                    "after the decimal point."
                )
                % {"digits": INTEGER_DIGITS, "places": DECIMAL_PLACES}
            )
        raise ParseError(_("Enter a number."))
    return Decimal(text)


def parse_date(value: Any) -> date:
    """A calendar date from a date or an ISO string (YYYY-MM-DD)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        text = _text_of(value)
        if _DATE_RE.fullmatch(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
    raise ParseError(_("Enter a date as YYYY-MM-DD."))


def parse_boolean(value: Any) -> bool:
    """Yes or no from a bool, 0/1, or a word (yes/no, true/false, 是/否)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = _text_of(value).lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise ParseError(_("Answer yes or no."))


def decimal_text(value: Decimal) -> str:
    """A Decimal as a plain string without exponent ("1.50", "-3")."""
    return format(value, "f")


def number_json(value: Decimal) -> int | str:
    """A number for a schema: an int when whole, else its decimal string."""
    if value == value.to_integral_value():
        return int(value)
    return decimal_text(value.normalize())
