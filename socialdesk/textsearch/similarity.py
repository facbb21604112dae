"""Similarity of two names, to explain duplicate candidates ("similar Chinese name", "same
romanised name in another spelling"); re-exported by `keys`."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rapidfuzz.distance import JaroWinkler

from .normalise import chinese_search_chars
from .romanisation import canonical_tokens, split_romanised_name

# Two-character surnames (in the search script), so that similarity compares the right parts.
_COMPOUND_SURNAMES = frozenset(
    "欧阳 司徒 上官 诸葛 司马 公孙 皇甫 端木 夏侯 尉迟 东方 慕容 令狐 长孙 宇文 西门 南宫 轩辕"
    " 申屠 闻人 澹台 呼延".split()
)


def _bigrams(chars: str) -> list[str]:
    return [chars[i : i + 2] for i in range(len(chars) - 1)]


def _surname_length(chars: str) -> int:
    return 2 if len(chars) > 2 and chars[:2] in _COMPOUND_SURNAMES else 1


def _dice(a: Collection[str], b: Collection[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(set(a) & set(b)) / (len(set(a)) + len(set(b)))


def name_similarity_zh(a: str, b: str) -> float:
    """Similarity of two Chinese names, 0–1: 1.0 for the same name in either script.

    One character different: 0.85 with the same surname and a given name of two or more
    characters, 0.7 when only the surname differs, 0.5 otherwise; the same characters in another
    order with the same surname 0.75; anything else the bigram and character overlap (Dice),
    capped below those.
    """
    chars_a, chars_b = chinese_search_chars(a), chinese_search_chars(b)
    if not chars_a or not chars_b:
        return 0.0
    if chars_a == chars_b:
        return 1.0
    surname_a, surname_b = _surname_length(chars_a), _surname_length(chars_b)
    same_surname = chars_a[:surname_a] == chars_b[:surname_b]
    if len(chars_a) == len(chars_b):
        differing = [i for i, (x, y) in enumerate(zip(chars_a, chars_b, strict=True)) if x != y]
        if len(differing) == 1:
            if not same_surname:
                return 0.7
            return 0.85 if len(chars_a) - surname_a >= 2 else 0.5
        if same_surname and sorted(chars_a) == sorted(chars_b):
            return 0.75
    overlap = 0.6 * _dice(_bigrams(chars_a), _bigrams(chars_b)) + 0.4 * _dice(chars_a, chars_b)
    return min(overlap, 0.69)


def _max_matching(left: Sequence[frozenset[str]], right: Sequence[frozenset[str]]) -> list[int]:
    """For each left token the right token it is paired with (-1: none), pairing most tokens."""
    owner = [-1] * len(right)

    def augment(i: int, seen: set[int]) -> bool:
        for j, classes in enumerate(right):
            if j not in seen and not left[i].isdisjoint(classes):
                seen.add(j)
                if owner[j] == -1 or augment(owner[j], seen):
                    owner[j] = i
                    return True
        return False

    for i in range(len(left)):
        augment(i, set())
    pairs = [-1] * len(left)
    for j, i in enumerate(owner):
        if i != -1:
            pairs[i] = j
    return pairs


_FUZZY_SYLLABLE_CUTOFF = 0.8
_FUZZY_SYLLABLE_CREDIT = 0.5


def name_similarity_en(a: str, b: str) -> float:
    """Similarity of two romanised names, 0–1, ignoring order: 1.0 when every syllable matches.

    Syllables match up to romanisation variants (CHAN ≡ CHEN); a syllable left over that is
    spelled close to a left-over syllable of the other name (TAI, TAY) counts half.
    """
    tokens_a, tokens_b = split_romanised_name(a), split_romanised_name(b)
    if not tokens_a or not tokens_b:
        return 0.0
    pairs = _max_matching(canonical_tokens(a), canonical_tokens(b))
    matched = float(sum(1 for j in pairs if j != -1))
    paired = set(pairs)
    rest_b = [t for j, t in enumerate(tokens_b) if j not in paired]
    for i, token in enumerate(tokens_a):
        if pairs[i] != -1 or not rest_b:
            continue
        best = max(rest_b, key=lambda other: JaroWinkler.normalized_similarity(token, other))
        if JaroWinkler.normalized_similarity(token, best) >= _FUZZY_SYLLABLE_CUTOFF:
            matched += _FUZZY_SYLLABLE_CREDIT
            rest_b.remove(best)
    return 2 * matched / (len(tokens_a) + len(tokens_b))
