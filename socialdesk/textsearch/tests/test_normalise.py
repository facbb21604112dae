"""Unicode and white-space normalisation, and Chinese folded to one script."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.textsearch import normalise as normalise_module
from socialdesk.textsearch.normalise import cjk_chars, is_cjk, normalise, to_search_script

chinese_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
        st.characters(min_codepoint=0x3400, max_codepoint=0x4DBF),
        st.sampled_from(" ·、abc"),
    ),
    max_size=12,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Chan\tTai   Man \n", "chan tai man"),
        ("ＣＨＡＮ　Ｔａｉ　Ｍａｎ", "chan tai man"),  # full-width letters and ideographic space
        ("Straße", "strasse"),
        ("陳 大文", "陳 大文"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalise_applies_nfkc_trims_collapses_and_casefolds(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=40))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("陳大文", "陈大文"),
        ("黃志明", "黄志明"),
        ("衞", "衛"),  # Hong Kong standard form and the Taiwan/Mainland traditional form
        ("衞", "卫"),
        ("粧", "妆"),
        ("\uf900", "豈"),  # a CJK compatibility ideograph and its unified character
        ("  張　偉強 ", "张 伟强"),
    ],
)
def test_traditional_simplified_and_variant_forms_give_the_same_search_text(a: str, b: str) -> None:
    assert to_search_script(a) == to_search_script(b)


def test_search_script_keeps_latin_text_normalised() -> None:
    assert to_search_script("CHAN Tai Man 陳大文") == "chan tai man 陈大文"


@settings(max_examples=100, deadline=None)
@given(chinese_text)
def test_search_script_is_idempotent(text: str) -> None:
    once = to_search_script(text)
    assert to_search_script(once) == once


def test_the_opencc_converter_is_created_once() -> None:
    to_search_script("陳")
    first = normalise_module._converter()
    to_search_script("鄭嘉欣")
    assert normalise_module._converter() is first


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("陳", True),
        ("陈", True),
        ("㐀", True),  # Extension A
        ("𠝹", True),  # Extension B, used in Cantonese
        ("豈", True),  # compatibility ideograph
        ("a", False),
        ("。", False),
        ("ア", False),
        ("", False),
        ("陳大", False),
    ],
)
def test_is_cjk_recognises_single_han_characters(char: str, expected: bool) -> None:
    assert is_cjk(char) is expected


def test_cjk_chars_keeps_only_the_ideographs_in_order() -> None:
    assert cjk_chars("陳 大文 Chan, Tai Man (9123 4567)") == "陳大文"
    assert cjk_chars("Chan") == ""
    assert cjk_chars("約翰·史密斯") == "約翰史密斯"
