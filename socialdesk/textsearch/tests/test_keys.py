"""Index keys, query plans and name similarity."""

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socialdesk.textsearch.keys import (
    MAX_FULL_NAME_VARIANTS,
    MAX_KEY_LENGTH,
    QueryKind,
    case_number_key,
    chinese_name_keys,
    dob_key,
    english_name_keys,
    hkid_key,
    name_similarity_en,
    name_similarity_zh,
    phone_keys,
    plan_query,
)
from socialdesk.textsearch.romanisation import SYLLABLE_CLASSES


def fake_hash(value: str) -> str:
    """Stands in for crypto.lookup_hash, which needs settings."""
    return (value.encode().hex() * 8)[:64]


def full_name_keys(keys: set[str]) -> set[str]:
    return {key for key in keys if key.startswith("ef:")}


# Chinese names ----------------------------------------------------------------------------------


def test_chinese_name_keys_hold_the_name_its_bigrams_and_characters() -> None:
    assert chinese_name_keys("陳大文") == {
        "zf:陈大文",
        "zb:陈大",
        "zb:大文",
        "zc:陈",
        "zc:大",
        "zc:文",
    }


def test_traditional_and_simplified_names_give_the_same_keys() -> None:
    assert chinese_name_keys("陳大文") == chinese_name_keys("陈大文")
    assert chinese_name_keys("衞嘉欣") == chinese_name_keys("衛嘉欣")


def test_chinese_keys_ignore_everything_but_the_characters() -> None:
    assert chinese_name_keys("陳 大文 (Chan)") == chinese_name_keys("陳大文")
    assert chinese_name_keys("Chan Tai Man") == set()
    assert chinese_name_keys("") == set()


# English names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Chan Tai Man", "CHEN Tai-man", "Tai Man Chan", "chan taiman", "CHAN, Tai Man"]
)
def test_spelling_variants_and_token_order_give_the_same_english_keys(name: str) -> None:
    assert english_name_keys(name) == {"ef:CHAN.MAN.TAI", "et:CHAN", "et:TAI", "et:MAN"}


def test_wong_and_wang_and_lee_and_li_share_full_name_keys() -> None:
    assert english_name_keys("Wong Siu Ming") == english_name_keys("WANG Siu-ming")
    lee, li = english_name_keys("Lee Siu Ming"), english_name_keys("Li Siu Ming")
    assert "ef:LEE.MING.SIU" in full_name_keys(lee) & full_name_keys(li)
    assert "ef:LAI.MING.SIU" in li  # 黎 is also spelled LI in Pinyin


def test_ambiguous_names_expand_to_at_most_eight_full_name_keys() -> None:
    keys = english_name_keys("Li Xu Lo Yan Lu")
    assert len(full_name_keys(keys)) == MAX_FULL_NAME_VARIANTS
    # The likeliest reading (each spelling's own class or first listed class) is kept.
    assert "ef:HUI.LEE.LO.LOU.YAN" in keys


def test_an_empty_or_non_latin_name_has_no_english_keys() -> None:
    assert english_name_keys("") == set()
    assert english_name_keys("陳大文") == set()


@st.composite
def romanised_names(draw: st.DrawFn) -> list[str]:
    spellings = [s for spellings in SYLLABLE_CLASSES for s in spellings]
    words = st.one_of(
        st.sampled_from(spellings), st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1)
    )
    return draw(st.lists(words, min_size=1, max_size=5))


@settings(max_examples=60, deadline=None)
@given(romanised_names(), st.randoms(use_true_random=False))
def test_english_keys_do_not_depend_on_token_order_or_case(words: list[str], random) -> None:  # type: ignore[no-untyped-def]
    shuffled = words[:]
    random.shuffle(shuffled)
    recased = [word.swapcase() if i % 2 else word.lower() for i, word in enumerate(shuffled)]
    assert english_name_keys(" ".join(words)) == english_name_keys(" ".join(recased))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=150))
def test_every_key_fits_the_index_column(text: str) -> None:
    keys = chinese_name_keys(text) | english_name_keys(text) | phone_keys(text)
    assert all(len(key) <= MAX_KEY_LENGTH for key in keys)


def test_very_long_names_get_bounded_distinct_keys() -> None:
    long_a = "陳" + "大" * 80
    long_b = "陳" + "大" * 79 + "文"
    key_a = next(k for k in chinese_name_keys(long_a) if k.startswith("zf:"))
    key_b = next(k for k in chinese_name_keys(long_b) if k.startswith("zf:"))
    assert len(key_a) <= MAX_KEY_LENGTH
    assert key_a != key_b
    assert all(len(k) <= MAX_KEY_LENGTH for k in english_name_keys("Wolfeschlegelstein" * 5))


# Other keys -------------------------------------------------------------------------------------


def test_identifier_keys() -> None:
    assert phone_keys("+852 9123-4567") == {"ph:91234567"}
    assert phone_keys("2345 6789 / 9123 4567") == {"ph:23456789", "ph:91234567"}
    assert phone_keys("1234 5678") == set()
    assert hkid_key("AB" * 32) == "id:" + "ab" * 20
    assert dob_key(date(1980, 5, 1)) == "db:1980-05-01"
    assert case_number_key("c2026000123") == "cn:C-2026-000123"
    with pytest.raises(ValueError, match="case number"):
        case_number_key("Chan")


# Query plans ------------------------------------------------------------------------------------


def test_a_full_chinese_name_needs_every_bigram_and_ranks_the_whole_name() -> None:
    plan = plan_query("陳大文")
    assert plan.kind is QueryKind.CHINESE_NAME
    (part,) = plan.parts
    assert [set(group.keys) for group in part.groups] == [{"zb:陈大"}, {"zb:大文"}]
    assert part.min_match == 2
    assert {key for group in plan.rank_groups for key in group.keys} == {"zf:陈大文"}
    assert plan.keys == {"zb:陈大": 10.0, "zb:大文": 10.0, "zf:陈大文": 30.0}
    assert plan.min_match == 2


def test_a_single_chinese_character_is_looked_up_as_a_character() -> None:
    plan = plan_query("陳")
    assert [set(group.keys) for group in plan.parts[0].groups] == [{"zc:陈"}]


def test_a_latin_query_needs_every_syllable_class() -> None:
    plan = plan_query("Li Siu-ming")
    assert plan.kind is QueryKind.ENGLISH_NAME
    (part,) = plan.parts
    assert part.min_match == 3
    assert {frozenset(group.keys) for group in part.groups} == {
        frozenset({"et:LEE", "et:LAI"}),
        frozenset({"et:SIU"}),
        frozenset({"et:MING"}),
    }
    assert "ef:LEE.MING.SIU" in plan.keys
    assert plan.min_match == 3


def test_syllables_that_may_share_a_class_need_fewer_distinct_keys() -> None:
    # A person named "Lee" holds et:LEE only, which satisfies both syllables of "Li Lee".
    plan = plan_query("Li Lee")
    assert plan.parts[0].min_match == 2
    assert plan.min_match == 1
    assert plan.matches({"et:LEE"})


@pytest.mark.parametrize(
    ("query", "kind", "attribute", "value"),
    [
        ("A123456(3)", QueryKind.HKID, "hkid", "A1234563"),
        ("AB 123456 (A)", QueryKind.HKID, "hkid", "AB123456A"),
        ("a123456", QueryKind.HKID, "hkid", "A1234563"),
        ("+852 9123-4567", QueryKind.PHONE, "phone", "91234567"),
        ("9123 4567", QueryKind.PHONE, "phone", "91234567"),
        ("c-2026-000123", QueryKind.CASE_NUMBER, "case_number", "C-2026-000123"),
        ("1980-05-01", QueryKind.DATE_OF_BIRTH, "date_of_birth", date(1980, 5, 1)),
        ("01/05/1980", QueryKind.DATE_OF_BIRTH, "date_of_birth", date(1980, 5, 1)),
    ],
)
def test_identifier_queries_are_classified(
    query: str, kind: QueryKind, attribute: str, value: object
) -> None:
    plan = plan_query(query, hkid_hasher=fake_hash)
    assert plan.kind is kind
    assert getattr(plan, attribute) == value
    assert len(plan.parts) == 1


def test_an_hkid_is_looked_up_by_the_callers_hash() -> None:
    plan = plan_query("A123456(3)", hkid_hasher=fake_hash)
    assert plan.keys == {hkid_key(fake_hash("A1234563")): 100.0}
    unhashed = plan_query("A123456(3)")
    assert unhashed.hkid == "A1234563"
    assert unhashed.parts == ()


def test_a_mixed_query_has_a_name_part_and_a_phone_part() -> None:
    plan = plan_query("陳大文 9123 4567")
    assert plan.kind is QueryKind.MIXED
    assert plan.phone == "91234567"
    assert plan.chinese_name == "陈大文"
    assert {part.kind for part in plan.parts} == {QueryKind.CHINESE_NAME, QueryKind.PHONE}
    assert plan.min_match == 1  # the phone alone, or both bigrams, make a result


def test_a_mixed_query_with_an_hkid_split_by_a_space() -> None:
    plan = plan_query("Chan A123456 (3)", hkid_hasher=fake_hash)
    assert plan.kind is QueryKind.MIXED
    assert plan.hkid == "A1234563"
    assert plan.english_tokens == ("CHAN",)


def test_a_date_of_birth_beside_a_name_only_ranks() -> None:
    plan = plan_query("陳大文 1980-05-01")
    assert [part.kind for part in plan.parts] == [QueryKind.CHINESE_NAME]
    assert "db:1980-05-01" in plan.keys
    assert plan.kind is QueryKind.MIXED


def test_empty_and_unparseable_queries() -> None:
    assert plan_query("  ").kind is QueryKind.EMPTY
    assert plan_query("").keys == {}
    assert plan_query("").min_match == 0
    plan = plan_query("1234 5678")
    assert plan.kind is QueryKind.EMPTY
    assert plan.unparsed == ("1234", "5678")


PEOPLE = {
    "exact": ("陳大文", "CHAN Tai Man", "9123 4567", date(1980, 5, 1)),
    "pinyin": ("陈大文", "CHEN Da Wen", "", date(1981, 1, 1)),
    "longer": ("陳大文明", "CHAN Tai Man Ming", "", None),
    "other_chan": ("陳小明", "CHAN Siu Ming", "", None),
    "phone_only": ("黃美玲", "WONG Mei Ling", "+852 9123 4567", None),
}


def index_of(people: dict[str, tuple[str, str, str, date | None]]) -> dict[str, set[str]]:
    index = {}
    for person, (name_zh, name_en, phone, born) in people.items():
        keys = chinese_name_keys(name_zh) | english_name_keys(name_en) | phone_keys(phone)
        if born is not None:
            keys.add(dob_key(born))
        index[person] = keys
    return index


def search(query: str) -> list[str]:
    plan = plan_query(query)
    scored = [(plan.score(keys), person) for person, keys in index_of(PEOPLE).items()]
    return [person for score, person in sorted(scored, key=lambda s: -(s[0] or 0)) if score]


def test_search_ranks_the_exact_name_before_a_longer_name_that_contains_it() -> None:
    assert search("陳大文") == ["exact", "pinyin", "longer"]


def test_search_by_romanised_name_finds_every_spelling() -> None:
    assert search("Chen Taiman") == ["exact", "longer"]


def test_search_by_name_and_phone_puts_the_person_matching_both_first() -> None:
    assert search("陳大文 9123 4567") == ["exact", "pinyin", "phone_only", "longer"]


def test_search_by_name_and_date_of_birth_ranks_by_the_date() -> None:
    assert search("陳大文 1.1.1981")[0] == "pinyin"


def test_plan_scores_none_for_a_person_who_is_not_a_result() -> None:
    plan = plan_query("陳大文")
    assert plan.score({"zb:陈大"}) is None
    assert not plan.matches({"zb:陈大"})
    assert plan.keys["zf:陈大文"] > plan.keys["zb:大文"]


# Similarity -------------------------------------------------------------------------------------


def test_chinese_name_similarity() -> None:
    assert name_similarity_zh("陳大文", "陈大文") == 1.0
    one_char = name_similarity_zh("陳大文", "陳大民")
    other_surname = name_similarity_zh("陳大文", "林大文")
    reordered = name_similarity_zh("陳大文", "陳文大")
    unrelated = name_similarity_zh("陳大文", "陳小明")
    assert one_char > reordered > other_surname > unrelated
    assert one_char >= 0.8
    assert unrelated < 0.3
    assert name_similarity_zh("歐陽大文", "歐陽大明") == one_char
    assert name_similarity_zh("陳大文", "") == 0.0


def test_english_name_similarity() -> None:
    assert name_similarity_en("Chan Tai Man", "CHEN Tai-man") == 1.0
    assert name_similarity_en("Chan Tai Man", "Tai Man Chan") == 1.0
    assert name_similarity_en("Wong Siu Ming", "Wang Siuming") == 1.0
    near = name_similarity_en("Chan Tai Man", "Chan Tay Man")
    extra = name_similarity_en("Chan Tai Man", "Chan Tai Man Peter")
    other = name_similarity_en("Chan Tai Man", "Lee Siu Ming")
    assert 0.7 < near < 1.0
    assert 0.8 < extra < 1.0
    assert other == 0.0
    assert name_similarity_en("", "Chan") == 0.0
