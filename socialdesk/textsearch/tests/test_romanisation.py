"""Romanised names: the variant table, syllable classes and name splitting."""

import re

import pytest

from socialdesk.textsearch.romanisation import (
    CANTONESE_SYLLABLES,
    SYLLABLE_CLASSES,
    canonical_syllables,
    canonical_tokens,
    split_romanised_name,
)

# The table --------------------------------------------------------------------------------------


def test_class_ids_are_unique_and_the_table_is_of_the_planned_size() -> None:
    ids = [spellings[0] for spellings in SYLLABLE_CLASSES]
    assert len(ids) == len(set(ids))
    assert 80 <= len(SYLLABLE_CLASSES) <= 150


def test_every_spelling_is_upper_case_ascii_letters_and_listed_once_per_class() -> None:
    for spellings in SYLLABLE_CLASSES:
        assert len(spellings) == len(set(spellings)), spellings
        for spelling in (*spellings,):
            assert re.fullmatch(r"[A-Z]+", spelling), spelling
    for syllable in CANTONESE_SYLLABLES:
        assert re.fullmatch(r"[A-Z]+", syllable), syllable


# Classes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spellings",
    [
        ("Chan", "Chen", "CHAN"),
        ("Wong", "Wang", "Huang", "Vong"),
        ("Cheung", "Zhang", "Cheong", "Chang"),
        ("Lau", "Liu", "Lao"),
        ("Leung", "Liang", "Leong"),
        ("Yeung", "Yang", "Ieong"),
        ("Kwok", "Guo", "Kuok"),
        ("Tse", "Xie", "Hsieh"),
        ("Chow", "Chau", "Zhou"),
        ("Kei", "Kee", "Ki"),
        ("Tsz", "Chi", "Tze"),
        ("Yee", "Yi"),
        ("Sze", "Si", "See"),
    ],
)
def test_variant_spellings_share_a_class(spellings: tuple[str, ...]) -> None:
    classes = [canonical_syllables(spelling) for spelling in spellings]
    shared = frozenset.intersection(*classes)
    assert shared, classes


def test_lee_and_li_share_the_lee_class_and_li_may_also_be_lai() -> None:
    assert canonical_syllables("Lee") == {"LEE"}
    assert canonical_syllables("LI") == {"LEE", "LAI"}
    assert canonical_syllables("Lai") == {"LAI"}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("CHAN", "CHUN"),  # 陳 and 秦/俊 are different syllables
        ("FAI", "FEI"),  # 輝 and 飛
        ("KONG", "HUNG"),  # 江 and 洪: KONG is not listed as Pinyin of 孔
        ("TANG", "TONG"),  # 鄧 and 唐
        ("WONG", "WAN"),
    ],
)
def test_different_syllables_do_not_share_a_class(a: str, b: str) -> None:
    assert canonical_syllables(a).isdisjoint(canonical_syllables(b))


def test_an_ambiguous_spelling_belongs_to_every_class_it_may_mean() -> None:
    assert canonical_syllables("XU") == {"HUI", "TSUI"}
    assert canonical_syllables("YAN") == {"YAN", "NGAN", "YIM"}
    assert canonical_syllables("LO") == {"LO", "LOU"}


def test_an_unknown_spelling_is_its_own_class() -> None:
    assert canonical_syllables("Peter") == {"PETER"}


# Splitting --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["CHAN Tai-man", "Chan, Tai Man", "chan taiman", "CHAN TAI MAN", "  chan   tai-MAN "],
)
def test_names_split_into_the_same_syllables(name: str) -> None:
    assert split_romanised_name(name) == ["CHAN", "TAI", "MAN"]


def test_name_order_is_kept() -> None:
    assert split_romanised_name("Tai Man CHAN") == ["TAI", "MAN", "CHAN"]


@pytest.mark.parametrize(
    ("name", "syllables"),
    [
        ("Kaman", ["KA", "MAN"]),
        ("Chiman", ["CHI", "MAN"]),  # CHI MAN rather than CHIM AN
        ("Hokin", ["HO", "KIN"]),
        ("Wingyan", ["WING", "YAN"]),
        ("AUYEUNG Kaman", ["AU", "YEUNG", "KA", "MAN"]),
        ("Au-Yeung Ka Man", ["AU", "YEUNG", "KA", "MAN"]),
        ("Szeto", ["SZE", "TO"]),
        ("Xiaoming", ["XIAO", "MING"]),
    ],
)
def test_run_together_given_names_and_compound_surnames_are_split(
    name: str, syllables: list[str]
) -> None:
    assert split_romanised_name(name) == syllables


@pytest.mark.parametrize("name", ["Susan", "Simon", "Peter", "Karen", "Daisy", "Leon", "Mandy"])
def test_english_given_names_are_not_split(name: str) -> None:
    assert split_romanised_name(name) == [name.upper()]


def test_accents_apostrophes_digits_and_chinese_characters_are_dropped() -> None:
    assert split_romanised_name("José O'Neil") == ["JOSE", "ONEIL"]
    assert split_romanised_name("陳大文 CHAN Tai Man 2") == ["CHAN", "TAI", "MAN"]
    assert split_romanised_name("") == []


def test_canonical_tokens_give_each_syllables_classes() -> None:
    assert canonical_tokens("Chen Tai-man") == [{"CHAN"}, {"TAI"}, {"MAN"}]
    assert canonical_tokens("Li Siu Ming") == [{"LEE", "LAI"}, {"SIU"}, {"MING"}]
