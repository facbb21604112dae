"""Synthetic Hong Kong service users for demo data, tests and benchmarks. NO real persons.

A fast, deterministic generator (same seed → same people, and the first N people of a larger run
are the same N people) of records that look like a Hong Kong caseload:

- Chinese names (Traditional) drawn from frequency-weighted surname and given-name character
  lists, with the given-name characters of the person's generation (金/娣/福 for those born before
  1960, 偉/玲 for the middle generation, 晴/朗/梓 for the young) and sex;
- the English name as the identity card spells it, in Hong Kong Government Cantonese
  romanisation (陳大文 → CHAN TAI MAN), sometimes with an English given name; a few people carry
  another spelling: Hanyu Pinyin (born on the Mainland: CHEN DAWEN) or Macau's (CHEONG, VONG);
  a few ethnic-minority residents have an English name only;
- sex, date of birth from 1930 to 2020 (weighted towards the elderly and the young, who make up
  most caseloads), a valid HKID number (check digit per GLOSSARY.md; single- and double-letter
  prefixes; unique in the stream; some children and a few adults have none), Hong Kong phone
  numbers (mobiles starting 5, 6, 9 and a few 4 and 7; landlines 2 and 3), a district weighted by
  population, a preferred language and a fictional address;
- near-duplicates on purpose: about 1 % of records describe an earlier person again with small
  changes (another spelling, the given name run together, a homophone character, the name typed
  in Simplified Chinese, a date of birth one day off or with day and month swapped, a new phone,
  no HKID), with `duplicate_of` naming the original, so duplicate detection can be tested.

Names are random combinations of common characters, HKID numbers and phone numbers are random
numbers of the right shape: none is taken from a real person, and any resemblance is chance.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import lru_cache
from typing import Final, Literal

import opencc

from socialdesk.textsearch.identifiers import hkid_check_digit

type Era = Literal["old", "middle", "young"]
type Spelling = Literal["hk", "pinyin", "macau", "other"]

GENERATOR_VERSION: Final = 2
BLOCK_SIZE: Final = 4096
DEFAULT_SEED: Final = 20260101

# --- Tables ---------------------------------------------------------------------------------------

# (surname, Hong Kong romanisation, Hanyu Pinyin, Macau spelling or "", weight per 1000 people).
# Frequencies approximate the order of the most common surnames in Hong Kong.
# fmt: off
SURNAMES: Final[tuple[tuple[str, str, str, str, float], ...]] = (
    ("陳", "CHAN", "CHEN", "", 80), ("李", "LEE", "LI", "LEI", 58),
    ("黃", "WONG", "HUANG", "VONG", 56), ("張", "CHEUNG", "ZHANG", "CHEONG", 42),
    ("梁", "LEUNG", "LIANG", "LEONG", 36), ("林", "LAM", "LIN", "", 32),
    ("劉", "LAU", "LIU", "LAO", 30), ("吳", "NG", "WU", "", 26), ("何", "HO", "HE", "", 25),
    ("王", "WONG", "WANG", "VONG", 22), ("鄭", "CHENG", "ZHENG", "CHEANG", 20),
    ("楊", "YEUNG", "YANG", "IEONG", 19), ("蔡", "CHOI", "CAI", "", 14),
    ("麥", "MAK", "MAI", "", 13), ("郭", "KWOK", "GUO", "KUOK", 13), ("馮", "FUNG", "FENG", "", 12),
    ("葉", "YIP", "YE", "IP", 12), ("曾", "TSANG", "ZENG", "", 12), ("羅", "LAW", "LUO", "LO", 12),
    ("周", "CHOW", "ZHOU", "CHAU", 12), ("謝", "TSE", "XIE", "", 11), ("盧", "LO", "LU", "LOU", 10),
    ("朱", "CHU", "ZHU", "", 10), ("鄧", "TANG", "DENG", "", 10), ("潘", "POON", "PAN", "", 9),
    ("余", "YU", "YU", "U", 9), ("胡", "WU", "HU", "", 9), ("蘇", "SO", "SU", "SOU", 9),
    ("鍾", "CHUNG", "ZHONG", "", 9), ("譚", "TAM", "TAN", "", 9), ("袁", "YUEN", "YUAN", "", 8),
    ("徐", "TSUI", "XU", "", 8), ("黎", "LAI", "LI", "", 8), ("莫", "MOK", "MO", "", 7),
    ("馬", "MA", "MA", "", 7), ("彭", "PANG", "PENG", "", 7), ("高", "KO", "GAO", "KOU", 7),
    ("許", "HUI", "XU", "", 6), ("陸", "LUK", "LU", "", 5), ("方", "FONG", "FANG", "", 5),
    ("孫", "SUEN", "SUN", "", 5), ("江", "KONG", "JIANG", "", 5), ("姚", "YIU", "YAO", "", 4),
    ("杜", "TO", "DU", "TOU", 4), ("唐", "TONG", "TANG", "", 4), ("區", "AU", "OU", "", 4),
    ("關", "KWAN", "GUAN", "", 4), ("甘", "KAM", "GAN", "", 3), ("韓", "HON", "HAN", "", 3),
    ("顏", "NGAN", "YAN", "", 3), ("范", "FAN", "FAN", "", 3), ("鄺", "KWONG", "KUANG", "", 3),
    ("石", "SHEK", "SHI", "", 3), ("湯", "TONG", "TANG", "", 3), ("洪", "HUNG", "HONG", "", 3),
    ("溫", "WAN", "WEN", "", 3), ("邱", "YAU", "QIU", "", 3), ("文", "MAN", "WEN", "", 3),
    ("雷", "LUI", "LEI", "", 2), ("容", "YUNG", "RONG", "", 2), ("岑", "SHUM", "CEN", "", 2),
    ("龍", "LUNG", "LONG", "", 2), ("傅", "FU", "FU", "", 2), ("霍", "FOK", "HUO", "", 2),
    ("簡", "KAN", "JIAN", "", 2), ("程", "CHING", "CHENG", "", 2), ("侯", "HAU", "HOU", "", 2),
    ("丁", "TING", "DING", "", 2), ("嚴", "YIM", "YAN", "", 2),
    ("歐陽", "AU YEUNG", "OUYANG", "", 2), ("司徒", "SZETO", "SITU", "", 1.5),
)

type _GivenChar = tuple[str, str, str, str, str, float]

# (character, Hong Kong romanisation, Hanyu Pinyin, sex it is mostly given to (M, F, or U for
# either), the generations that use it (o: born before 1960, m: 1960–1994, y: 1995 on), weight).
GIVEN_CHARS: Final[tuple[_GivenChar, ...]] = (
    ("偉", "WAI", "WEI", "M", "om", 3), ("強", "KEUNG", "QIANG", "M", "om", 2),
    ("志", "CHI", "ZHI", "M", "om", 2.5), ("明", "MING", "MING", "M", "om", 2.5),
    ("華", "WAH", "HUA", "U", "om", 2), ("國", "KWOK", "GUO", "M", "o", 2),
    ("建", "KIN", "JIAN", "M", "om", 1.5), ("榮", "WING", "RONG", "M", "o", 1.5),
    ("德", "TAK", "DE", "M", "o", 1.5), ("輝", "FAI", "HUI", "M", "om", 2),
    ("傑", "KIT", "JIE", "M", "my", 1.5), ("俊", "CHUN", "JUN", "M", "my", 2.5),
    ("豪", "HO", "HAO", "M", "my", 1.5), ("浩", "HO", "HAO", "M", "my", 2.5),
    ("軒", "HIN", "XUAN", "M", "y", 2.5), ("朗", "LONG", "LANG", "M", "y", 2),
    ("健", "KIN", "JIAN", "M", "my", 1.5), ("達", "TAT", "DA", "M", "om", 1),
    ("耀", "YIU", "YAO", "M", "om", 1), ("振", "CHUN", "ZHEN", "M", "o", 1),
    ("漢", "HON", "HAN", "M", "o", 1), ("亮", "LEUNG", "LIANG", "M", "om", 1),
    ("泰", "TAI", "TAI", "M", "o", 1), ("天", "TIN", "TIAN", "M", "omy", 1.5),
    ("海", "HOI", "HAI", "M", "o", 1), ("東", "TUNG", "DONG", "M", "o", 1),
    ("光", "KWONG", "GUANG", "M", "o", 1), ("文", "MAN", "WEN", "U", "om", 2.5),
    ("大", "TAI", "DA", "M", "o", 1.5), ("家", "KA", "JIA", "U", "my", 2.5),
    ("子", "TSZ", "ZI", "U", "my", 2.5), ("立", "LAP", "LI", "M", "om", 1),
    ("永", "WING", "YONG", "M", "om", 1.5), ("錦", "KAM", "JIN", "U", "o", 1),
    ("銘", "MING", "MING", "M", "y", 1.5), ("駿", "CHUN", "JUN", "M", "y", 1.5),
    ("峰", "FUNG", "FENG", "M", "my", 1), ("皓", "HO", "HAO", "M", "y", 1.5),
    ("凱", "HOI", "KAI", "U", "my", 1.5), ("柏", "PAK", "BAI", "M", "y", 1.5),
    ("梓", "TSZ", "ZI", "U", "y", 2), ("卓", "CHEUK", "ZHUO", "U", "y", 1.5),
    ("諾", "LOK", "NUO", "M", "y", 1), ("樂", "LOK", "LE", "U", "y", 1.5),
    ("希", "HEI", "XI", "U", "y", 1.5), ("康", "HONG", "KANG", "M", "o", 1),
    ("安", "ON", "AN", "U", "my", 1), ("智", "CHI", "ZHI", "M", "m", 1),
    ("勇", "YUNG", "YONG", "M", "o", 1), ("祖", "CHO", "ZU", "M", "o", 1),
    ("成", "SHING", "CHENG", "M", "o", 1), ("昌", "CHEONG", "CHANG", "M", "o", 1),
    ("宏", "WANG", "HONG", "M", "m", 1), ("雄", "HUNG", "XIONG", "M", "o", 1.5),
    ("坤", "KWAN", "KUN", "M", "o", 1), ("權", "KUEN", "QUAN", "M", "o", 1),
    ("發", "FAT", "FA", "M", "o", 1), ("財", "CHOI", "CAI", "M", "o", 1),
    ("富", "FU", "FU", "M", "o", 1), ("福", "FUK", "FU", "M", "o", 1),
    ("添", "TIM", "TIAN", "M", "o", 1), ("炳", "PING", "BING", "M", "o", 1),
    ("基", "KEI", "JI", "M", "om", 1), ("鴻", "HUNG", "HONG", "M", "om", 1),
    ("業", "YIP", "YE", "M", "o", 1), ("信", "SHUN", "XIN", "M", "m", 1),
    ("源", "YUEN", "YUAN", "M", "om", 1), ("鋒", "FUNG", "FENG", "M", "m", 1),
    ("晉", "CHUN", "JIN", "M", "y", 1), ("賢", "YIN", "XIAN", "M", "m", 1),
    ("裕", "YU", "YU", "M", "m", 1), ("廷", "TING", "TING", "M", "y", 1),
    ("霆", "TING", "TING", "M", "y", 1), ("少", "SIU", "SHAO", "U", "o", 1),
    ("小", "SIU", "XIAO", "U", "om", 1.5), ("思", "SZE", "SI", "U", "y", 1.5),
    ("美", "MEI", "MEI", "F", "m", 2.5), ("玲", "LING", "LING", "F", "om", 2.5),
    ("麗", "LAI", "LI", "F", "om", 2.5), ("芳", "FONG", "FANG", "F", "om", 2),
    ("慧", "WAI", "HUI", "F", "m", 2), ("敏", "MAN", "MIN", "F", "m", 2),
    ("婷", "TING", "TING", "F", "my", 2), ("詩", "SZE", "SHI", "F", "my", 2),
    ("雅", "NGA", "YA", "F", "my", 1.5), ("淑", "SHUK", "SHU", "F", "o", 1.5),
    ("儀", "YEE", "YI", "F", "m", 2), ("秀", "SAU", "XIU", "F", "o", 2),
    ("英", "YING", "YING", "F", "o", 2), ("珍", "CHUN", "ZHEN", "F", "o", 1.5),
    ("鳳", "FUNG", "FENG", "F", "o", 1.5), ("蘭", "LAN", "LAN", "F", "o", 1.5),
    ("玉", "YUK", "YU", "F", "o", 1.5), ("燕", "YIN", "YAN", "F", "o", 1.5),
    ("霞", "HA", "XIA", "F", "o", 1), ("雪", "SUET", "XUE", "F", "o", 1),
    ("琳", "LAM", "LIN", "F", "m", 1), ("欣", "YAN", "XIN", "F", "my", 2.5),
    ("怡", "YI", "YI", "F", "my", 2), ("晴", "CHING", "QING", "F", "y", 2),
    ("琪", "KEI", "QI", "F", "my", 2), ("穎", "WING", "YING", "F", "my", 2),
    ("恩", "YAN", "EN", "F", "y", 1.5), ("詠", "WING", "YONG", "F", "my", 1.5),
    ("翠", "CHUI", "CUI", "F", "o", 1), ("潔", "KIT", "JIE", "F", "m", 1),
    ("月", "YUET", "YUE", "F", "o", 1), ("妹", "MUI", "MEI", "F", "o", 1.5),
    ("好", "HO", "HAO", "F", "o", 1), ("娣", "TAI", "DI", "F", "o", 1),
    ("彩", "CHOI", "CAI", "F", "o", 1), ("群", "KWAN", "QUN", "F", "o", 1),
    ("佩", "PUI", "PEI", "F", "m", 1), ("惠", "WAI", "HUI", "F", "om", 1),
    ("碧", "PIK", "BI", "F", "o", 1), ("瑩", "YING", "YING", "F", "m", 1),
    ("嘉", "KA", "JIA", "U", "my", 2.5), ("曉", "HIU", "XIAO", "F", "my", 1.5),
    ("靜", "CHING", "JING", "F", "m", 1), ("婉", "YUEN", "WAN", "F", "m", 1),
    ("萍", "PING", "PING", "F", "o", 1), ("桂", "KWAI", "GUI", "F", "o", 1),
    ("金", "KAM", "JIN", "F", "o", 1), ("寶", "PO", "BAO", "F", "o", 1),
    ("珠", "CHU", "ZHU", "F", "o", 1), ("愛", "OI", "AI", "F", "o", 1),
    ("蓮", "LIN", "LIAN", "F", "o", 1), ("心", "SUM", "XIN", "F", "y", 1.5),
    ("晞", "HEI", "XI", "F", "y", 1.5), ("悅", "YUET", "YUE", "F", "y", 1.5),
    ("瑤", "YIU", "YAO", "F", "y", 1), ("凝", "YING", "NING", "F", "y", 1),
    ("芷", "TSZ", "ZHI", "F", "y", 1.5), ("蕙", "WAI", "HUI", "F", "m", 1),
    ("綺", "YEE", "QI", "F", "m", 1), ("紫", "TSZ", "ZI", "F", "y", 1),
    ("琛", "SUM", "CHEN", "F", "y", 1),
)

# English given names some Hong Kong people add to their Chinese name on the identity card.
ENGLISH_GIVEN_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "M": ("PETER", "JOHN", "KELVIN", "ALAN", "ERIC", "JASON", "MICHAEL", "TONY", "RAYMOND",
          "KENNETH", "DAVID", "GARY", "VINCENT", "SAMUEL", "JOSHUA", "ETHAN", "RYAN", "MARCUS"),
    "F": ("MARY", "JOYCE", "WINNIE", "IVY", "CANDY", "KAREN", "CHRISTY", "SHIRLEY", "GRACE",
          "CONNIE", "JOANNE", "FIONA", "CHLOE", "CHERRY", "VIVIAN", "ELAINE", "ZOE", "HAILEY"),
}

# Ethnic-minority residents (English name only): (surname, male given names, female given names,
# preferred language). Random combinations of common names.
MINORITY_NAMES: Final[tuple[tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], str], ...]] = (
    (("KHAN", "MALIK", "HUSSAIN", "AHMED", "SHAH", "BIBI"),
     ("MUHAMMAD", "ALI", "ABDUL RAHMAN", "IMRAN", "USMAN", "BILAL"),
     ("AYESHA", "FATIMA", "SANA", "ZAINAB", "HINA", "AMNA"), "ur"),
    (("GURUNG", "RAI", "LIMBU", "THAPA", "TAMANG", "MAGAR"),
     ("BIKASH", "SURESH", "RAJ KUMAR", "DIPAK", "PRAKASH", "SANJAY"),
     ("SITA", "GITA", "ANITA", "PRIYA", "SABINA", "RITA"), "ne"),
    (("SINGH", "KAUR", "SHARMA", "PATEL", "GILL", "VERMA"),
     ("HARPREET", "GURPREET", "AMIT", "RAHUL", "VIKRAM", "ARJUN"),
     ("SIMRAN", "NEHA", "POOJA", "MANPREET", "KIRAN", "ASHA"), "hi"),
    (("SANTOS", "REYES", "CRUZ", "GARCIA", "BAUTISTA", "MENDOZA"),
     ("JOSE", "MARK ANTHONY", "JOHN PAUL", "RAMON", "JERICHO", "ARNEL"),
     ("MARIA", "ANA MARIE", "JOCELYN", "MARICEL", "ROSALIE", "GRACE"), "tl"),
    (("WATI", "LESTARI", "PUTRI", "SARI", "RAHAYU", "HANDAYANI"),
     ("BUDI", "AGUS", "RUDI", "ANDI", "EKO", "HENDRA"),
     ("SITI", "DEWI", "SRI", "NUR", "ENDANG", "YULIANA"), "id"),
)
# fmt: on

# District code → population in the 2006 by-census (shared/data/reference/
# hk_18_districts_2006_bycensus.csv), used only as weights.
DISTRICT_WEIGHTS: Final[dict[str, int]] = {
    "islands": 137122,
    "kwai-tsing": 523300,
    "north": 280730,
    "sai-kung": 406442,
    "sha-tin": 607544,
    "tai-po": 293542,
    "tsuen-wan": 288728,
    "tuen-mun": 502035,
    "yuen-long": 534192,
    "sham-shui-po": 365540,
    "kowloon-city": 362501,
    "kwun-tong": 587423,
    "wong-tai-sin": 423521,
    "yau-tsim-mong": 280548,
    "central-western": 250064,
    "eastern": 587690,
    "southern": 275162,
    "wan-chai": 155196,
}
DISTRICT_NAMES_ZH: Final[dict[str, str]] = {
    "islands": "離島",
    "kwai-tsing": "葵涌",
    "north": "上水",
    "sai-kung": "將軍澳",
    "sha-tin": "沙田",
    "tai-po": "大埔",
    "tsuen-wan": "荃灣",
    "tuen-mun": "屯門",
    "yuen-long": "元朗",
    "sham-shui-po": "深水埗",
    "kowloon-city": "土瓜灣",
    "kwun-tong": "觀塘",
    "wong-tai-sin": "黃大仙",
    "yau-tsim-mong": "油麻地",
    "central-western": "西營盤",
    "eastern": "筲箕灣",
    "southern": "香港仔",
    "wan-chai": "灣仔",
}
# Fictional housing-estate names are built from these.
_ESTATE_FIRST: Final = "翠景安康富華怡麗祥和樂欣頌美寶恒彩德盈順"
_ESTATE_SECOND: Final = "峰園苑邨庭軒閣樓"

# Birth-year bands and their share of a caseload (elderly and the young dominate).
_BIRTH_BANDS: Final[tuple[tuple[int, int, float], ...]] = (
    (1930, 1944, 14),
    (1945, 1959, 20),
    (1960, 1974, 14),
    (1975, 1989, 14),
    (1990, 2004, 15),
    (2005, 2020, 23),
)
# HKID prefixes and their weights; double-letter prefixes are a small share.
_HKID_PREFIXES: Final[tuple[tuple[str, float], ...]] = (
    ("A", 3), ("B", 2), ("C", 4), ("D", 4), ("E", 4), ("F", 1), ("G", 3), ("H", 3), ("J", 1),
    ("K", 4), ("L", 1), ("M", 2), ("N", 1), ("P", 3), ("R", 4), ("S", 1), ("T", 1), ("V", 1),
    ("W", 1), ("Y", 5), ("Z", 5),
    ("XA", 0.5), ("XB", 0.4), ("XC", 0.3), ("XD", 0.3), ("XE", 0.2), ("XG", 0.2), ("XH", 0.2),
    ("WX", 0.4),
)  # fmt: skip
# Characters with the same Hong Kong romanisation, used to make homophone near-duplicates.
_HOMOPHONES: Final[dict[str, str]] = {
    "偉": "慧", "慧": "惠", "惠": "蕙", "蕙": "偉", "明": "銘", "銘": "明", "俊": "駿",
    "駿": "俊", "浩": "皓", "皓": "豪", "豪": "浩", "穎": "詠", "詠": "永", "永": "榮",
    "榮": "穎", "婷": "廷", "廷": "霆", "霆": "婷", "詩": "思", "思": "詩", "儀": "綺",
    "綺": "儀", "嘉": "家", "家": "嘉", "欣": "恩", "恩": "欣", "子": "梓", "梓": "紫",
    "紫": "子", "琪": "基", "基": "琪", "健": "建", "建": "健", "峰": "鋒", "鋒": "峰",
}  # fmt: skip


def _romanisation_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for zh, hk, _pinyin, _macau, _weight in SURNAMES:
        table[zh] = hk
    for char, hk, _pinyin, _sex, _eras, _weight in GIVEN_CHARS:
        table.setdefault(char, hk)
    return table


ROMANISATION: Final[dict[str, str]] = _romanisation_table()
_SURNAME_ROWS: Final = {row[0]: row for row in SURNAMES}
_SYLLABLES: Final[frozenset[str]] = frozenset(c[1] for c in GIVEN_CHARS)
_FIRST_ONLY: Final = frozenset("小少大")
_PINYIN: Final[dict[str, str]] = {
    **{zh: pinyin for zh, _hk, pinyin, _macau, _weight in SURNAMES},
    **{char: pinyin for char, _hk, pinyin, _sex, _eras, _weight in GIVEN_CHARS},
}


def romanise(name_zh: str) -> str:
    """The Hong Kong romanisation of a generated name: 陳大文 → "CHAN TAI MAN".

    Compound surnames (歐陽, 司徒) are read first; only characters in the tables are known."""
    for surname in ("歐陽", "司徒"):
        if name_zh.startswith(surname):
            return " ".join([ROMANISATION[surname], *(ROMANISATION[c] for c in name_zh[2:])])
    return " ".join(ROMANISATION[c] for c in name_zh)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(name_zh: str) -> str:
    """A name as typed on a Simplified-Chinese keyboard (陳大文 → 陈大文), with OpenCC's plain
    `t2s`, not the `hk2s` table the search folds with."""
    return _t2s().convert(name_zh)


def hkid_format_variants(canonical: str) -> tuple[str, ...]:
    """Ways staff type the same HKID: A123456(3), a1234563, A 123456 3, (A123456), A123456."""
    body, check = canonical[:-1], canonical[-1]
    return (
        f"{body}({check})",
        canonical.lower(),
        f"{body[:-6]} {body[-6:]} {check}",
        f"{body} ({check})",
        canonical,
        body,  # without the check digit: the search completes it
    )


def phone_format_variants(digits: str) -> tuple[str, ...]:
    """Ways staff type the same phone: 9123 4567, +852 91234567, +852 9123-4567, 852-9123 4567."""
    return (
        f"{digits[:4]} {digits[4:]}",
        f"+852 {digits}",
        f"+852 {digits[:4]}-{digits[4:]}",
        f"(852) {digits[:4]} {digits[4:]}",
        digits,
    )


# --- People -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyntheticPerson:
    """One generated service user. `hkid` is canonical ("A1234563") or "" when they have none;
    phones are eight digits or ""; `district` is a District code."""

    index: int
    name_zh: str
    name_en: str
    sex: str
    date_of_birth: date
    hkid: str
    phone: str
    phone_alt: str
    district: str
    language: str
    address: str
    spelling: Spelling
    duplicate_of: int | None = None

    @property
    def surname_zh(self) -> str:
        """The surname part of the Chinese name (compound surnames included)."""
        if self.name_zh[:2] in ("歐陽", "司徒"):
            return self.name_zh[:2]
        return self.name_zh[:1]

    @property
    def given_zh(self) -> str:
        return self.name_zh[len(self.surname_zh) :]


class _Weighted[T]:
    """Draws from items with fixed weights using one random number (bisect on cumulative sums)."""

    __slots__ = ("cumulative", "items", "total")

    def __init__(self, items: Sequence[T], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cumulative = list(itertools.accumulate(weights))
        self.total = self.cumulative[-1]

    def draw(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


def _era(year: int) -> Era:
    if year < 1960:
        return "old"
    if year < 1995:
        return "middle"
    return "young"


class _HkidSpace:
    """A bijection from a person's index in the stream to an HKID body (letters and six digits),
    so numbers are unique by construction, whichever block of the stream is generated where.

    Each prefix owns a range of numbers in proportion to its weight. An index is shuffled over
    all the ranges by a bijective mix of 24-bit integers (odd multipliers and xor-shifts), with
    cycle-walking to stay below their total size; its position in a range is then scrambled into
    six digits by an affine map modulo 10^6."""

    _BITS = 24
    _MASK = (1 << _BITS) - 1
    _DIGIT_MULTIPLIER = 7_919  # prime, coprime with 10^6

    def __init__(self, seed: int) -> None:
        top = max(weight for _prefix, weight in _HKID_PREFIXES)
        self.prefixes = [prefix for prefix, _weight in _HKID_PREFIXES]
        sizes = [max(1, int(weight / top * 1_000_000)) for _prefix, weight in _HKID_PREFIXES]
        self.starts = list(itertools.accumulate([0, *sizes[:-1]]))
        self.total = sum(sizes)
        if self.total > self._MASK:
            raise ValueError("the HKID ranges outgrow the index mix")
        self.salt = (seed * 0x9E3779B1) & self._MASK
        self.digit_offset = (seed * 7_777) % 1_000_000

    def _mix(self, x: int) -> int:
        mask = self._MASK
        x = (x * 0x9E3779 + self.salt) & mask
        x ^= x >> 12
        x = (x * 0xC2B2AF) & mask
        x ^= x >> 11
        x = (x * 0x27D4EB) & mask
        return x ^ (x >> 13)

    def hkid(self, index: int) -> str:
        """The HKID of person `index`, check digit included (unique for every index below
        `total`)."""
        value = self._mix(index)
        while value >= self.total:  # cycle-walk back into [0, total): still a bijection
            value = self._mix(value)
        k = bisect.bisect_right(self.starts, value) - 1
        position = value - self.starts[k]
        digits = (position * self._DIGIT_MULTIPLIER + self.digit_offset) % 1_000_000
        prefix = self.prefixes[k]
        by_prefix, by_high, by_low = _check_sums()
        weighted = by_prefix[prefix] + by_high[digits // 1000] + by_low[digits % 1000]
        return f"{prefix}{digits:06d}{_CHECK_CHARACTERS[-weighted % 11]}"


_CHECK_CHARACTERS: Final = "0123456789A"


@lru_cache(maxsize=1)
def _check_sums() -> tuple[dict[str, int], list[int], list[int]]:
    """The weighted sums (mod 11) behind the HKID check digit, per prefix and per half of the six
    digits, so that a number's check digit takes three look-ups instead of a parse.

    The check digit is (11 − sum mod 11) mod 11 of a sum that adds up character by character
    (GLOSSARY.md), so each part is read back from `hkid_check_digit` itself."""

    def weighted(body: str) -> int:
        return -_CHECK_CHARACTERS.index(hkid_check_digit(body)) % 11

    base = weighted("A000000")
    by_prefix = {prefix: weighted(prefix + "000000") for prefix, _weight in _HKID_PREFIXES}
    by_high = [(weighted(f"A{n:03d}000") - base) % 11 for n in range(1000)]
    by_low = [(weighted(f"A000{n:03d}") - base) % 11 for n in range(1000)]
    return by_prefix, by_high, by_low


class PeopleGenerator:
    """Deterministic stream of synthetic people; `people(n)` yields the next n of the stream.

    The stream is made of blocks of BLOCK_SIZE people, each drawn from its own random generator
    (seeded with the seed and the block number), so any block can be generated on its own, in
    another process: `PeopleGenerator(seed, start=k * BLOCK_SIZE)` starts at block k.
    `duplicate_rate` is the share of records that re-describe an earlier person of the same
    block with small changes. HKIDs are unique within the stream (see `_HkidSpace`)."""

    def __init__(
        self, seed: int = DEFAULT_SEED, *, duplicate_rate: float = 0.01, start: int = 0
    ) -> None:
        if start % BLOCK_SIZE:
            raise ValueError(f"start must be a multiple of {BLOCK_SIZE}")
        self.seed = seed
        self.duplicate_rate = duplicate_rate
        self._rng = random.Random(seed)  # noqa: S311 (synthetic data, not secrets)
        self._block: int | None = None
        self._hkids = _HkidSpace(seed)
        self._recent: deque[SyntheticPerson] = deque(maxlen=BLOCK_SIZE)
        self._count = start
        self._surnames = _Weighted([s for s in SURNAMES], [s[4] for s in SURNAMES])
        self._given: dict[tuple[str, Era], _Weighted[_GivenChar]] = {}
        eras: tuple[tuple[Era, str], ...] = (("old", "o"), ("middle", "m"), ("young", "y"))
        for sex in ("M", "F"):
            for era, code in eras:
                pool = [c for c in GIVEN_CHARS if c[3] in (sex, "U") and code in c[4]]
                self._given[(sex, era)] = _Weighted(pool, [c[5] for c in pool])
        self._districts = _Weighted(list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values()))
        self._bands = _Weighted(list(_BIRTH_BANDS), [b[2] for b in _BIRTH_BANDS])

    def people(self, count: int) -> Iterator[SyntheticPerson]:
        """The next `count` people of the stream."""
        for _ in range(count):
            yield self.next_person()

    def next_person(self) -> SyntheticPerson:
        index = self._count
        self._count += 1
        if index // BLOCK_SIZE != self._block:
            self._block = index // BLOCK_SIZE
            self._rng = random.Random(f"{self.seed}/{self._block}")  # noqa: S311
            self._recent.clear()
        rng = self._rng
        if self._recent and rng.random() < self.duplicate_rate:
            person = self._near_duplicate(index, rng.choice(self._recent))
        else:
            person = self._new_person(index)
        self._recent.append(person)
        return person

    # -- fresh people --

    def _new_person(self, index: int) -> SyntheticPerson:
        rng = self._rng
        low, high, _share = self._bands.draw(rng)
        born = date(low, 1, 1) + timedelta(days=rng.randrange((high - low + 1) * 365))
        sex = "F" if rng.random() < (0.56 if born.year < 1950 else 0.5) else "M"
        roll = rng.random()
        spelling: Spelling = (
            "other"
            if roll < 0.02
            else "pinyin"
            if roll < 0.07
            else "macau"
            if roll < 0.09
            else "hk"
        )
        if spelling == "other":
            name_zh, name_en, language = "", *self._minority_name(sex)
        else:
            name_zh, name_en = self._chinese_name(sex, born.year, spelling)
            language = (
                ("cmn" if rng.random() < 0.7 else "yue")
                if spelling == "pinyin"
                else ("en" if rng.random() < 0.02 else "yue")
            )
        district = self._districts.draw(rng)
        age_2025 = 2025 - born.year
        has_hkid = rng.random() < (0.3 if age_2025 < 11 else 0.97)
        mobile = self._mobile() if rng.random() < (0.6 if age_2025 >= 80 else 0.92) else ""
        landline = self._landline() if (not mobile or rng.random() < 0.25) else ""
        phone, phone_alt = (mobile, landline) if mobile else (landline, "")
        return SyntheticPerson(
            index=index,
            name_zh=name_zh,
            name_en=name_en,
            sex=sex,
            date_of_birth=born,
            hkid=self._hkid(index) if has_hkid else "",
            phone=phone,
            phone_alt=phone_alt,
            district=district,
            language=language,
            address=self._address(district),
            spelling=spelling,
        )

    def _chinese_name(self, sex: str, year: int, spelling: Spelling) -> tuple[str, str]:
        rng = self._rng
        surname, hk, pinyin, macau, _weight = self._surnames.draw(rng)
        pool = self._given[(sex, _era(year))]
        first = pool.draw(rng)
        if rng.random() < 0.1:
            while first[0] in _FIRST_ONLY:
                first = pool.draw(rng)
            given = [first]
        else:
            second = pool.draw(rng)
            # 婷婷 happens, but rarely; 小, 少 and 大 only lead a given name (小玲, 大文).
            while second[0] in _FIRST_ONLY or (second[0] == first[0] and rng.random() < 0.9):
                second = pool.draw(rng)
            given = [first, second]
        name_zh = surname + "".join(g[0] for g in given)
        if spelling == "pinyin":
            return name_zh, f"{pinyin} {''.join(g[2] for g in given)}"
        family = macau if spelling == "macau" and macau else hk
        given_en = " ".join(g[1] for g in given)
        if len(given) == 2 and rng.random() < 0.03:
            given_en = given_en.replace(" ", "-")  # older cards: CHAN TAI-MAN
        name_en = f"{family} {given_en}"
        if year >= 1950 and rng.random() < 0.12:
            name_en = f"{name_en} {rng.choice(ENGLISH_GIVEN_NAMES[sex])}"
        return name_zh, name_en

    def _minority_name(self, sex: str) -> tuple[str, str]:
        rng = self._rng
        surnames, male, female, language = rng.choice(MINORITY_NAMES)
        given = rng.choice(male if sex == "M" else female)
        return f"{rng.choice(surnames)} {given}", language

    def _hkid(self, index: int) -> str:
        return self._hkids.hkid(index)

    def _mobile(self) -> str:
        rng = self._rng
        roll = rng.random()
        first = "9" if roll < 0.4 else "6" if roll < 0.75 else "5" if roll < 0.95 else "4"
        if roll >= 0.99:
            first = "7"
        return f"{first}{rng.randrange(10_000_000):07d}"

    def _landline(self) -> str:
        rng = self._rng
        return f"{'2' if rng.random() < 0.8 else '3'}{rng.randrange(10_000_000):07d}"

    def _address(self, district: str) -> str:
        rng = self._rng
        estate = rng.choice(_ESTATE_FIRST) + rng.choice(_ESTATE_FIRST) + rng.choice(_ESTATE_SECOND)
        floor, flat = rng.randint(1, 40), rng.randint(1, 20)
        return f"{DISTRICT_NAMES_ZH[district]}{estate}{rng.randint(1, 8)}座{floor}樓{flat}室"

    # -- near-duplicates --

    def _near_duplicate(self, index: int, original: SyntheticPerson) -> SyntheticPerson:
        """The same person registered again: usually without the HKID, with one or two of the
        usual slips. The result never carries the original's HKID (that is refused outright)."""
        rng = self._rng
        name_zh, name_en = original.name_zh, original.name_en
        born, phone, phone_alt = original.date_of_birth, original.phone, original.phone_alt
        changes = rng.sample(range(7), k=rng.choice((1, 1, 2)))
        for change in changes:
            if change == 0 and name_zh:
                name_en = self._respell(original)
            elif change == 1 and name_zh:
                name_en = _run_together(name_en)
            elif change == 2 and len(name_zh) >= 2:
                position = rng.randrange(1, len(name_zh))
                swap = _HOMOPHONES.get(name_zh[position])
                if swap:
                    name_zh = name_zh[:position] + swap + name_zh[position + 1 :]
            elif change == 3 and name_zh:
                name_zh = to_simplified(name_zh)
            elif change == 4:
                if rng.random() < 0.5 and born.day <= 12 and born.day != born.month:
                    born = born.replace(month=born.day, day=born.month)
                else:
                    born += timedelta(days=rng.choice((-1, 1)))
            elif change == 5:
                phone, phone_alt = (self._mobile(), "") if rng.random() < 0.5 else ("", "")
            elif change == 6:
                name_en = " ".join(reversed(name_en.split()))  # given names typed first
        return replace(
            original,
            index=index,
            name_zh=name_zh,
            name_en=name_en,
            date_of_birth=born,
            hkid=self._hkid(index) if rng.random() < 0.05 else "",  # a wrong card read: rare
            phone=phone,
            phone_alt=phone_alt,
            address=self._address(original.district) if rng.random() < 0.5 else original.address,
            duplicate_of=original.index,
        )

    def _respell(self, person: SyntheticPerson) -> str:
        """The same name in another spelling of the surname (Pinyin or Macau for Hong Kong, the
        Hong Kong spelling for the others)."""
        row = _SURNAME_ROWS.get(person.surname_zh)
        if row is None:  # e.g. a record whose name was typed in Simplified Chinese
            return person.name_en
        family, given = person.name_en.split(" ", 1) if " " in person.name_en else ("", "")
        if row[1] == "AU YEUNG":
            given = given.removeprefix("YEUNG ")
        choices = [s for s in (row[1], row[2], row[3]) if s and s != family]
        if not choices:
            return person.name_en
        return f"{self._rng.choice(choices)} {given}".strip()


def _run_together(name_en: str) -> str:
    """The Chinese given-name syllables written as one word: CHAN TAI MAN PETER → CHAN TAIMAN
    PETER (an English given name stays apart)."""
    family, _, rest = name_en.partition(" ")
    if family == "AU" and rest.startswith("YEUNG "):
        family, rest = "AU YEUNG", rest.removeprefix("YEUNG ")
    syllables: list[str] = []
    others: list[str] = []
    for token in rest.replace("-", " ").split():
        (syllables if token in _SYLLABLES and not others else others).append(token)
    return " ".join(part for part in (family, "".join(syllables), *others) if part)


def generate_people(
    count: int, *, seed: int = DEFAULT_SEED, duplicate_rate: float = 0.01, start: int = 0
) -> list[SyntheticPerson]:
    """`count` people of the stream for `seed`, from position `start` (a block boundary)."""
    return list(PeopleGenerator(seed, duplicate_rate=duplicate_rate, start=start).people(count))
