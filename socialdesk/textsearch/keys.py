"""Search-index keys for people, and the query plan that looks them up.

A person is indexed as a set of short keys (at most 64 characters, prefixed by kind):

    zf:<whole Chinese name>  zb:<Chinese bigram>  zc:<Chinese character>   (search script)
    ef:<romanised name classes, sorted>  et:<romanised syllable class>
    ph:<8 phone digits>  id:<HKID lookup hash>  db:<YYYY-MM-DD>  cn:<case number>

`plan_query` turns what was typed into a search box into a `QueryPlan`: one `QueryPart` per thing
the query names (a Chinese name, an English name, a phone number…), each a list of `KeyGroup`s
of alternative keys, and the number of groups a person must satisfy for that part to count.
The name similarity that explains duplicate candidates lives in `similarity`, re-exported here.

Ranking: a person is a result when at least one part is satisfied (so "陳大文 9123 4567" also
finds 陳大文 after a change of phone number, and the holder of that phone under another name).
Its score is the sum of the weights of every group it satisfies, in any part, plus the rank-only
groups (whole-name keys, date of birth). Identifiers weigh most (HKID, case number, phone), then
an exact whole name, then each matching bigram or syllable, so the person who matches everything
typed comes first, the exact name before a longer name that contains it.

In SQL: `plan.keys` maps every key to look up to its weight, and `plan.min_match` is the fewest
of those keys a result can hold, so `key IN plan.keys … GROUP BY person HAVING COUNT(key) >=
plan.min_match` is a cheap prefilter; `plan.matches(held)` and `plan.score(held)` on the (short)
list of each person's matched keys then decide exactly.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Final

from .identifiers import case_number_normalise, hkid_complete, hkid_normalise, phone_normalise
from .normalise import CJK_CHARACTER_CLASS, chinese_search_chars, is_cjk, normalise
from .romanisation import class_ids, split_romanised_name
from .similarity import name_similarity_en, name_similarity_zh

__all__ = [
    "MAX_KEY_LENGTH",
    "KeyGroup",
    "QueryKind",
    "QueryPart",
    "QueryPlan",
    "case_number_key",
    "chinese_name_keys",
    "dob_key",
    "english_name_keys",
    "hkid_key",
    "name_similarity_en",
    "name_similarity_zh",
    "phone_keys",
    "plan_query",
]

MAX_KEY_LENGTH: Final = 64
MAX_FULL_NAME_VARIANTS: Final = 8
HKID_HASH_CHARS: Final = 40

WEIGHT_HKID: Final = 100.0
WEIGHT_CASE_NUMBER: Final = 90.0
WEIGHT_PHONE: Final = 40.0
WEIGHT_CHINESE_FULL_NAME: Final = 30.0
WEIGHT_ENGLISH_FULL_NAME: Final = 25.0
WEIGHT_DATE_OF_BIRTH: Final = 15.0
WEIGHT_CHINESE_BIGRAM: Final = 10.0
WEIGHT_ENGLISH_SYLLABLE: Final = 6.0
WEIGHT_CHINESE_CHAR: Final = 4.0

_DIGEST_CHARS = 16
_MULTIPLE_PHONES_RE = re.compile(r"[,/;、，；]|\bor\b", re.IGNORECASE)
_QUERY_TOKEN_RE = re.compile(f"[{CJK_CHARACTER_CLASS}]+|[^\\s,;、，；{CJK_CHARACTER_CLASS}]+")
_DIGIT_RE = re.compile(r"[0-9]")
_NUMERIC_TOKEN_RE = re.compile(r"[0-9+\-()./]+")
_HKID_CHECK_TOKEN_RE = re.compile(r"\(?[0-9a]\)?")
_DATE_PATTERNS = (
    (re.compile(r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})"), (1, 2, 3)),
    # Hong Kong writes day first: 01/05/1980 is 1 May.
    (re.compile(r"([0-9]{1,2})[-/.]([0-9]{1,2})[-/.]([0-9]{4})"), (3, 2, 1)),
)


def _bounded(prefix: str, value: str) -> str:
    """`prefix + value`, or when too long a truncated value and a digest of the whole of it."""
    key = prefix + value
    if len(key) <= MAX_KEY_LENGTH:
        return key
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=_DIGEST_CHARS // 2).hexdigest()
    keep = MAX_KEY_LENGTH - len(prefix) - _DIGEST_CHARS - 1
    return f"{prefix}{value[:keep]}~{digest}"


def _bigrams(chars: str) -> list[str]:
    return [chars[i : i + 2] for i in range(len(chars) - 1)]


def chinese_name_keys(name: str) -> set[str]:
    """Index keys of a Chinese name: whole name, bigrams and characters, in the search script."""
    chars = chinese_search_chars(name)
    if not chars:
        return set()
    keys = {_bounded("zf:", chars)}
    keys.update(["zc:" + char for char in chars])
    keys.update(["zb:" + pair for pair in _bigrams(chars)])
    return keys


def _class_ids_per_token(tokens: Iterable[str]) -> list[tuple[str, ...]]:
    """Each token's class ids, in an order that does not depend on the order of the tokens."""
    return sorted(class_ids(token) for token in tokens)


def _full_name_keys(per_token: Sequence[tuple[str, ...]]) -> set[str]:
    """`ef:` keys, one per reading of the ambiguous syllables; the likeliest readings first."""
    combinations = itertools.islice(itertools.product(*per_token), MAX_FULL_NAME_VARIANTS)
    return {_bounded("ef:", ".".join(sorted(combination))) for combination in combinations}


def english_name_keys(name: str) -> set[str]:
    """Index keys of a romanised name, the same for every spelling variant and token order."""
    per_token = _class_ids_per_token(split_romanised_name(name))
    if not per_token:
        return set()
    keys = _full_name_keys(per_token)
    keys.update([_bounded("et:", class_id) for ids in per_token for class_id in ids])
    return keys


def phone_keys(raw: str) -> set[str]:
    """`ph:` keys of the Hong Kong phone numbers in a field ("2345 6789 / 9123 4567" gives two)."""
    keys: set[str] = set()
    for part in _MULTIPLE_PHONES_RE.split(raw):
        digits = phone_normalise(part)
        if digits is not None:
            keys.add("ph:" + digits)
    return keys


def hkid_key(lookup_hash: str) -> str:
    """The `id:` key of an HKID, from its keyed hash (`socialdesk.core.crypto.lookup_hash`)."""
    return "id:" + lookup_hash[:HKID_HASH_CHARS].lower()


def dob_key(born: date) -> str:
    """The `db:` key of a date of birth."""
    return f"db:{born.year:04d}-{born.month:02d}-{born.day:02d}"


def case_number_key(number: str) -> str:
    """The `cn:` key of a case number in any accepted spelling ("c2026000123")."""
    canonical = case_number_normalise(number)
    if canonical is None:
        raise ValueError("Not a case number")
    return "cn:" + canonical


class QueryKind(StrEnum):
    """What a search query, or one part of it, names."""

    EMPTY = "empty"
    HKID = "hkid"
    PHONE = "phone"
    CASE_NUMBER = "case_number"
    DATE_OF_BIRTH = "date_of_birth"
    CHINESE_NAME = "chinese_name"
    ENGLISH_NAME = "english_name"
    MIXED = "mixed"


@dataclass(frozen=True, slots=True)
class KeyGroup:
    """Alternative keys for one element of a query; a person satisfies it by holding any of them."""

    keys: frozenset[str]
    weight: float

    def is_satisfied_by(self, held: Collection[str]) -> bool:
        """Whether a person holding the keys `held` has one of this group's keys."""
        return not self.keys.isdisjoint(held)


@dataclass(frozen=True, slots=True)
class QueryPart:
    """One thing a query names: a person counts for it when `min_match` of its groups match."""

    kind: QueryKind
    groups: tuple[KeyGroup, ...]
    min_match: int

    def is_satisfied_by(self, held: Collection[str]) -> bool:
        """Whether a person holding the keys `held` satisfies enough of this part's groups."""
        matched = sum(1 for group in self.groups if group.is_satisfied_by(held))
        return matched >= self.min_match


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """How to look a search query up: the parts that qualify a person and the rank-only keys."""

    text: str
    kind: QueryKind
    parts: tuple[QueryPart, ...] = ()
    rank_groups: tuple[KeyGroup, ...] = ()
    hkid: str | None = None
    phone: str | None = None
    case_number: str | None = None
    date_of_birth: date | None = None
    chinese_name: str = ""
    english_tokens: tuple[str, ...] = ()
    unparsed: tuple[str, ...] = ()
    keys: dict[str, float] = field(init=False, compare=False, hash=False)
    min_match: int = field(init=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        weights: dict[str, float] = {}
        for group in itertools.chain(self.rank_groups, *(part.groups for part in self.parts)):
            for key in group.keys:
                weights[key] = max(weights.get(key, 0.0), group.weight)
        # Frozen dataclass: derived fields are set once here.
        object.__setattr__(self, "keys", weights)
        needed = min((_fewest_keys(part.groups) for part in self.parts), default=0)
        object.__setattr__(self, "min_match", needed)

    def matches(self, held: Collection[str]) -> bool:
        """Whether a person holding the index keys `held` is a result of this query."""
        return any(part.is_satisfied_by(held) for part in self.parts)

    def score(self, held: Collection[str]) -> float | None:
        """Ranking score of a person holding the keys `held`, or None when it is not a result."""
        if not self.matches(held):
            return None
        groups = itertools.chain(self.rank_groups, *(part.groups for part in self.parts))
        return sum(group.weight for group in groups if group.is_satisfied_by(held))


def _fewest_keys(groups: Sequence[KeyGroup]) -> int:
    """The fewest distinct keys that can satisfy every group: groups sharing a key merge."""
    merged: list[set[str]] = []
    for group in groups:
        joined = set(group.keys)
        for other in [m for m in merged if not m.isdisjoint(joined)]:
            joined |= other
            merged.remove(other)
        merged.append(joined)
    return len(merged)


def _parse_date(token: str) -> date | None:
    for pattern, (year, month, day) in _DATE_PATTERNS:
        match = pattern.fullmatch(token)
        if match is not None:
            try:
                return date(int(match[year]), int(match[month]), int(match[day]))
            except ValueError:
                return None
    return None


def _single_key_part(kind: QueryKind, key: str, weight: float) -> QueryPart:
    return QueryPart(kind, (KeyGroup(frozenset((key,)), weight),), 1)


def _chinese_name_part(chars: str) -> tuple[QueryPart, KeyGroup]:
    """The part for a Chinese name (all bigrams, or the one character) and its whole-name key."""
    groups: tuple[KeyGroup, ...]
    if len(chars) == 1:
        groups = (KeyGroup(frozenset(("zc:" + chars,)), WEIGHT_CHINESE_CHAR),)
    else:
        pairs = dict.fromkeys(_bigrams(chars))
        groups = tuple(KeyGroup(frozenset(("zb:" + p,)), WEIGHT_CHINESE_BIGRAM) for p in pairs)
    whole = KeyGroup(frozenset((_bounded("zf:", chars),)), WEIGHT_CHINESE_FULL_NAME)
    return QueryPart(QueryKind.CHINESE_NAME, groups, len(groups)), whole


def _english_name_part(tokens: Sequence[str]) -> tuple[QueryPart, KeyGroup]:
    """The part for a romanised name (every syllable's class) and its whole-name keys."""
    per_token = _class_ids_per_token(tokens)
    alternatives = dict.fromkeys(frozenset(_bounded("et:", c) for c in ids) for ids in per_token)
    groups = tuple(KeyGroup(keys, WEIGHT_ENGLISH_SYLLABLE) for keys in alternatives)
    whole = KeyGroup(frozenset(_full_name_keys(per_token)), WEIGHT_ENGLISH_FULL_NAME)
    return QueryPart(QueryKind.ENGLISH_NAME, groups, len(groups)), whole


@dataclass
class _QueryScan:
    """What the tokens of a query turned out to be."""

    chinese: list[str] = field(default_factory=list)
    latin: list[str] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)
    hkid: str | None = None
    phone: str | None = None
    case_number: str | None = None
    born: date | None = None

    def take_numbers(self, run: list[str]) -> None:
        """Phone numbers (possibly typed in two or three groups) and dates in a run of numbers."""
        i = 0
        while i < len(run):
            for width in (3, 2, 1):
                if self.phone is not None or i + width > len(run):
                    continue
                digits = phone_normalise("".join(run[i : i + width]))
                if digits is not None:
                    self.phone = digits
                    i += width
                    break
            else:
                born = _parse_date(run[i])
                if born is not None and self.born is None:
                    self.born = born
                else:
                    self.unparsed.append(run[i])
                i += 1

    def take_identifier(self, token: str, following: str | None) -> int:
        """Take an HKID or case number starting at `token`; the number of tokens used (0–2)."""
        if following is not None and _HKID_CHECK_TOKEN_RE.fullmatch(following):
            joined = hkid_normalise(token + following)
            if joined is not None and self.hkid is None:
                self.hkid = joined
                return 2
        hkid = hkid_complete(token)
        if hkid is not None and self.hkid is None:
            self.hkid = hkid
            return 1
        number = case_number_normalise(token)
        if number is not None and self.case_number is None:
            self.case_number = number
            return 1
        return 0


def _scan(cleaned: str) -> _QueryScan:
    """Sort the tokens of a normalised query into name characters, name words and identifiers."""
    scan = _QueryScan()
    tokens = _QUERY_TOKEN_RE.findall(cleaned)
    numbers: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if _NUMERIC_TOKEN_RE.fullmatch(token):
            numbers.append(token)
            i += 1
            continue
        scan.take_numbers(numbers)
        numbers = []
        if is_cjk(token[0]):
            # The token pattern keeps Chinese runs apart, so the whole token is Chinese.
            scan.chinese.append(token)
            i += 1
            continue
        if _DIGIT_RE.search(token) is None:
            # Every identifier has digits, so a word without any is part of a name.
            scan.latin.append(token)
            i += 1
            continue
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        used = scan.take_identifier(token, following)
        if not used:
            scan.unparsed.append(token)
        i += max(used, 1)
    scan.take_numbers(numbers)
    return scan


def _whole_query(cleaned: str) -> _QueryScan | None:
    """The query as one identifier typed with spaces inside ("AB 123456 (A)", "9123 4567")."""
    if _DIGIT_RE.search(cleaned) is None:
        return None
    whole = _QueryScan()
    if (hkid := hkid_complete(cleaned)) is not None:
        whole.hkid = hkid
    elif (number := case_number_normalise(cleaned)) is not None:
        whole.case_number = number
    elif (digits := phone_normalise(cleaned)) is not None:
        whole.phone = digits
    elif (born := _parse_date(cleaned.replace(" ", ""))) is not None:
        whole.born = born
    else:
        return None
    return whole


def _plan_kind(scan: _QueryScan, parts: Iterable[QueryPart]) -> QueryKind:
    kinds = {part.kind for part in parts}
    if scan.hkid is not None:
        kinds.add(QueryKind.HKID)
    if scan.born is not None:
        kinds.add(QueryKind.DATE_OF_BIRTH)
    if not kinds:
        return QueryKind.EMPTY
    return kinds.pop() if len(kinds) == 1 else QueryKind.MIXED


def plan_query(text: str, *, hkid_hasher: Callable[[str], str] | None = None) -> QueryPlan:
    """Classify a search-box query and plan its key look-ups (see the module docstring).

    An HKID in the query is looked up by its keyed hash: pass `hkid_hasher`
    (`socialdesk.core.crypto.lookup_hash`) to get its part; without it `plan.hkid` still
    carries the canonical number for the caller.
    """
    cleaned = normalise(text)
    if not cleaned:
        return QueryPlan(text=text, kind=QueryKind.EMPTY)
    scan = _whole_query(cleaned) or _scan(cleaned)
    parts: list[QueryPart] = []
    rank_groups: list[KeyGroup] = []
    if scan.hkid is not None:
        if hkid_hasher is not None:
            key = hkid_key(hkid_hasher(scan.hkid))
            parts.append(_single_key_part(QueryKind.HKID, key, WEIGHT_HKID))
    if scan.case_number is not None:
        key = "cn:" + scan.case_number
        parts.append(_single_key_part(QueryKind.CASE_NUMBER, key, WEIGHT_CASE_NUMBER))
    if scan.phone is not None:
        parts.append(_single_key_part(QueryKind.PHONE, "ph:" + scan.phone, WEIGHT_PHONE))
    chinese_name = chinese_search_chars("".join(scan.chinese))
    if chinese_name:
        part, whole = _chinese_name_part(chinese_name)
        parts.append(part)
        rank_groups.append(whole)
    english_tokens = tuple(split_romanised_name(" ".join(scan.latin)))
    if english_tokens:
        part, whole = _english_name_part(english_tokens)
        parts.append(part)
        rank_groups.append(whole)
    if scan.born is not None:
        born = _single_key_part(QueryKind.DATE_OF_BIRTH, dob_key(scan.born), WEIGHT_DATE_OF_BIRTH)
        # A date of birth alone is a search; next to a name it only ranks (it matches thousands).
        if parts or scan.hkid is not None:
            rank_groups.extend(born.groups)
        else:
            parts.append(born)
    return QueryPlan(
        text=text,
        kind=_plan_kind(scan, parts),
        parts=tuple(parts),
        rank_groups=tuple(rank_groups),
        hkid=scan.hkid,
        phone=scan.phone,
        case_number=scan.case_number,
        date_of_birth=scan.born,
        chinese_name=chinese_name,
        english_tokens=english_tokens,
        unparsed=tuple(scan.unparsed),
    )
