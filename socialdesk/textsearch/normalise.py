"""Text normalisation: Unicode and whitespace clean-up, and Chinese folded to one script.

Traditional and Simplified Chinese are folded with OpenCC's `hk2s` configuration: `t2s` plus the
Hong Kong variant forms (衞, 粧, 敍, 糭, 衹…) that plain `t2s` leaves alone, so 衞 and 衛 and 卫
give the same key. Conversion is character by character (OpenCC's phrase tables are not used):
a name is not a phrase, and a partial query must fold exactly like the same characters inside a
full name, or its bigram keys would miss.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import opencc

# CJK Unified Ideographs, Extension A, compatibility ideographs and the supplementary extensions
# (B to J). Python's `unicodedata` has no script property, so the blocks are listed.
_CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EE5F),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x3347F),
)
# The ranges as the inside of a regular-expression character class, for other modules' patterns.
CJK_CHARACTER_CLASS = "".join(f"{chr(low)}-{chr(high)}" for low, high in _CJK_RANGES)
_NOT_CJK_RE = re.compile(f"[^{CJK_CHARACTER_CLASS}]+")
_CJK_RE = re.compile(f"[{CJK_CHARACTER_CLASS}]")

_OPENCC_CONFIG = "hk2s"
_MAX_FOLD_STEPS = 4
_converter_lock = threading.Lock()
_converter_instance: opencc.OpenCC | None = None


def _converter() -> opencc.OpenCC:
    """The one OpenCC converter of the process, created on first use (loading its data costs)."""
    global _converter_instance
    converter = _converter_instance
    if converter is None:
        with _converter_lock:
            if _converter_instance is None:
                _converter_instance = opencc.OpenCC(_OPENCC_CONFIG)
            converter = _converter_instance
    return converter


class _ScriptFold(dict[int, str]):
    """Code point → folded character for `str.translate`, filled the first time each is seen."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        folded = char
        if is_cjk(char):
            # Converted to a fixed point: a few characters take two steps (薴 → 苧 → 苎), and
            # folding must give the same result when applied again.
            for _ in range(_MAX_FOLD_STEPS):
                simplified = _converter().convert(folded)
                if simplified == folded:
                    break
                folded = simplified
        # Racing threads store the same value, so no lock is needed around the write.
        self[code] = folded
        return folded


_SCRIPT_FOLD = _ScriptFold()


def normalise(text: str) -> str:
    """NFKC, case-folded, trimmed text with runs of white space reduced to one space."""
    if text.isascii():
        return " ".join(text.split()).lower()
    # Case folding can produce decomposed letters (ǰ → j + caron), so NFKC runs again after it.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def to_search_script(text: str) -> str:
    """`normalise(text)` with Chinese folded to one script: 陳大文 and 陈大文 give the same text."""
    return normalise(text).translate(_SCRIPT_FOLD)


def is_cjk(char: str) -> bool:
    """Whether `char` is one CJK ideograph (Han character)."""
    return len(char) == 1 and _CJK_RE.match(char) is not None


def cjk_chars(text: str) -> str:
    """Only the CJK ideographs of `text`, in order (spaces, punctuation, Latin dropped)."""
    return _NOT_CJK_RE.sub("", text)


def chinese_search_chars(text: str) -> str:
    """The Chinese characters of `text` in the search script ("陳 大文 Chan" → "陈大文")."""
    return cjk_chars(to_search_script(text))
