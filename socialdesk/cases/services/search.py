"""People search and duplicate detection over the SearchKey index.

Every person has normalised keys (Chinese name, its bigrams and characters in one script;
romanised name syllables folded to their spelling class, the whole name, and every pair and
triple of its syllables; phones; keyed HKID hash; date of birth). A query or a new registration
is turned into keys by `socialdesk.textsearch`; candidates are found by exact index look-ups and
roughly scored per person in SQL (one GROUP BY over the matching index rows), the best ones are
checked against what the user may see (`visible_among`), and the short list is ranked exactly in
Python with the query plan.

Why syllable pairs and triples (`ep:`, `e3:` keys): a romanised name is a few very common
syllables (CHAN alone is one person in twelve; TAI, MAN, WAI one in thirty), so intersecting the
syllables' posting lists reads tens of thousands of index rows at a million people. A pair
(CHAN+TAI) is a hundred times rarer and a triple rarer still, so a name of two syllables is
looked up by its pair, of three or more by overlapping triples, which together imply every
syllable; only the short list is scored on the syllables themselves.

Why visibility comes after the index: whether a user may see a person is decided by the person's
own cases, intakes and break-the-glass accesses; candidates are few, so asking about theirs is an
index look-up by person, while finding every person the user may see first would read every case
of their unit.
"""

from __future__ import annotations

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Final

from django.db.models import Case as SqlCase
from django.db.models import F, IntegerField, Lookup, Max, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from socialdesk.core.access import Action, actor_for, policy_for
from socialdesk.core.crypto import lookup_hash
from socialdesk.textsearch import keys as tk
from socialdesk.textsearch.identifiers import hkid_complete, hkid_normalise, phone_normalise
from socialdesk.textsearch.romanisation import class_ids, split_romanised_name

from ..models import Case, SearchKey, ServiceUser
from ..policies import person_ways_in

REASON_LABELS = {
    "same_hkid": _("Same HKID number"),
    "same_zh_name": _("Same Chinese name"),
    "similar_zh_name": _("Similar Chinese name"),
    "same_en_name": _("Same English name"),
    "en_name_variant": _("Same romanised name in another spelling"),
    "same_phone": _("Same phone number"),
    "same_dob": _("Same date of birth"),
}
REASON_WEIGHTS = {
    "same_hkid": 100,
    "same_zh_name": 45,
    "similar_zh_name": 25,
    "same_en_name": 40,
    "en_name_variant": 35,
    "same_phone": 35,
    "same_dob": 20,
}
# A candidate needs more than a shared date of birth or one shared name bigram.
MIN_CANDIDATE_SCORE = 35
# Below this Chinese-name similarity a shared bigram is not a reason (陳大文 / 黃大文 is 0.7).
MIN_SIMILAR_ZH_NAME = 0.5

PAIR_PREFIX: Final = "ep:"
TRIPLE_PREFIX: Final = "e3:"
# Syllable pairs and triples are indexed for the first syllables of a name only (names rarely
# have more), and at most so many keys per name (spellings that read several ways multiply).
MAX_PAIR_SYLLABLES: Final = 8
MAX_TRIPLE_SYLLABLES: Final = 6
MAX_COMBINATION_KEYS: Final = 96
# How many candidates the SQL step hands to exact ranking, per result asked for.
CANDIDATES_PER_RESULT: Final = 2
# Search reads at most this many candidates from the index before checking who the user may see,
# in batches of these sizes (then the rest), best first, until enough of them are visible.
MAX_CANDIDATES: Final = 5000
VISIBILITY_BATCHES: Final = (1000,)


# --- Index keys ---


def _bounded_key(prefix: str, value: str) -> str:
    key = prefix + value
    if len(key) <= tk.MAX_KEY_LENGTH:
        return key
    digest = hashlib.blake2b(value.encode("utf-8"), digest_size=8).hexdigest()
    return f"{prefix}{value[: tk.MAX_KEY_LENGTH - len(prefix) - 17]}~{digest}"


def _combination_key(classes: Iterable[str]) -> str:
    ordered = sorted(classes)
    prefix = PAIR_PREFIX if len(ordered) == 2 else TRIPLE_PREFIX
    return _bounded_key(prefix, ".".join(ordered))


def _combination_keys(name_en: str, size: int, syllables: int) -> set[str]:
    per_token = [class_ids(t) for t in split_romanised_name(name_en)[:syllables]]
    keys: set[str] = set()
    for tokens in itertools.combinations(per_token, size):
        for classes in itertools.product(*tokens):
            keys.add(_combination_key(classes))
            if len(keys) >= MAX_COMBINATION_KEYS:
                return keys
    return keys


def english_pair_keys(name_en: str) -> set[str]:
    """`ep:` keys of a romanised name: every pair of its syllables' spelling classes, in any
    order and spelling (CHAN TAI MAN → ep:CHAN.TAI, ep:CHAN.MAN, ep:MAN.TAI)."""
    return _combination_keys(name_en, 2, MAX_PAIR_SYLLABLES)


def english_triple_keys(name_en: str) -> set[str]:
    """`e3:` keys of a romanised name: every three of its syllables' spelling classes
    (CHAN TAI MAN PETER → e3:CHAN.MAN.TAI, e3:CHAN.PETER.TAI, …)."""
    return _combination_keys(name_en, 3, MAX_TRIPLE_SYLLABLES)


@lru_cache(maxsize=65536)
def _name_keys(name_zh: str, name_en: str) -> frozenset[str]:
    """Keys of one (Chinese, English) name; cached, as the same names recur across people."""
    found: set[str] = set()
    if name_zh:
        found |= tk.chinese_name_keys(name_zh)
    if name_en:
        found |= tk.english_name_keys(name_en)
        found |= english_pair_keys(name_en)
        found |= english_triple_keys(name_en)
    return frozenset(found)


def identity_keys(
    *,
    names: Iterable[tuple[str, str]],
    phones: Iterable[str] = (),
    hkid_hash: str = "",
    date_of_birth: date | None = None,
) -> set[str]:
    """All search keys of an identity: (Chinese, English) names, phones, HKID hash, birth date.

    `person_keys` for a saved person; also used to index people loaded in bulk."""
    found: set[str] = set()
    for name_zh, name_en in names:
        found |= _name_keys(name_zh, name_en)
    for phone in phones:
        if phone:
            found |= tk.phone_keys(phone)
    if hkid_hash:
        found.add(tk.hkid_key(hkid_hash))
    if date_of_birth:
        found.add(tk.dob_key(date_of_birth))
    return {k for k in found if k}


def person_keys(person: ServiceUser, aliases: Iterable[tuple[str, str]] = ()) -> set[str]:
    """All search keys of a person (names and other names, phones, HKID hash, date of birth)."""
    return identity_keys(
        names=[(person.name_zh, person.name_en), *aliases],
        phones=(person.phone, person.phone_alt),
        hkid_hash=person.hkid_hash,
        date_of_birth=person.date_of_birth,
    )


def search_keys_rebuild(person: ServiceUser) -> None:
    """Replace the person's search keys after their identity changed."""
    aliases = list(person.aliases.values_list("name_zh", "name_en"))
    wanted = person_keys(person, aliases)
    existing = set(SearchKey.objects.filter(person=person).values_list("key", flat=True))
    SearchKey.objects.filter(person=person, key__in=existing - wanted).delete()
    SearchKey.objects.bulk_create(
        [SearchKey(person=person, key=k) for k in sorted(wanted - existing)]
    )


# --- SQL helpers ---


class _InIds(Lookup[int]):
    """`column IN (ids)` with the ids as one array parameter on PostgreSQL (`= ANY(%s)`):
    thousands of candidate ids cost one parameter instead of thousands of placeholders for the
    driver to fill in. Other databases get a plain IN list."""

    lookup_name = "in_ids"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, Any]:
        lhs, params = self.process_lhs(compiler, connection)
        ids = [int(i) for i in self.rhs]
        if connection.vendor == "postgresql":
            # An array literal as text: the driver quotes one string instead of adapting each id.
            literal = "{" + ",".join(map(str, ids)) + "}"
            return f"{lhs} = ANY(%s::bigint[])", [*params, literal]
        if not ids:
            return "1 = 0", list(params)
        return f"{lhs} IN ({', '.join(['%s'] * len(ids))})", [*params, *ids]


def _flag(keys: Iterable[str]) -> SqlCase:
    """1 when the index row's key is one of `keys`; aggregated with Max per person."""
    return SqlCase(
        When(key__in=sorted(keys), then=Value(1)), default=Value(0), output_field=IntegerField()
    )


def _weighted_sum(terms: Sequence[tuple[str, float]]) -> Any:
    """Σ weight × annotation, as an integer SQL expression (weights are small whole numbers)."""
    expression: Any = Value(0)
    for name, weight in terms:
        expression = expression + F(name) * Value(round(weight))
    return expression


# --- Duplicate detection ---


@dataclass
class DuplicateCandidate:
    """An existing record that may be the same person, with why."""

    person_id: int
    score: int
    reasons: list[str] = field(default_factory=list)

    @property
    def same_hkid(self) -> bool:
        return "same_hkid" in self.reasons

    def reason_labels(self) -> list[str]:
        return [str(REASON_LABELS[r]) for r in self.reasons]

    def as_dict(self) -> dict[str, Any]:
        return {"person_id": self.person_id, "score": self.score, "reasons": self.reasons}


def _same_spelling(a: str, b: str) -> bool:
    """Whether two romanised names have the same syllables, spelled the same (in any order,
    however run together or hyphenated: CHAN TAI-MAN = CHAN TAIMAN = TAI MAN CHAN)."""
    return sorted(split_romanised_name(a)) == sorted(split_romanised_name(b))


def duplicate_candidates(
    *,
    name_zh: str = "",
    name_en: str = "",
    date_of_birth: date | None = None,
    hkid: str = "",
    hkid_hash: str = "",
    phones: Iterable[str] = (),
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[DuplicateCandidate]:
    """Existing people who may be the person described, best first, with the reasons.

    Every person sharing a key with the description is counted in SQL (which reasons it holds
    and a rough score); the best `3 × limit` are checked in Python: a shared bigram counts only
    for a similar Chinese name, and an English name is "the same" or "another spelling"."""
    probes: dict[str, set[str]] = defaultdict(set)
    if hkid and not hkid_hash:
        canonical = hkid_normalise(hkid)
        hkid_hash = lookup_hash(canonical) if canonical else ""
    if hkid_hash:
        probes["same_hkid"].add(tk.hkid_key(hkid_hash))
    for key in tk.chinese_name_keys(name_zh) if name_zh else set():
        if key.startswith("zf:"):
            probes["same_zh_name"].add(key)
        elif key.startswith("zb:"):
            probes["similar_zh_name"].add(key)
    for key in tk.english_name_keys(name_en) if name_en else set():
        if key.startswith("ef:"):
            probes["en_name"].add(key)
    for phone in phones:
        probes["same_phone"] |= tk.phone_keys(phone)
    if date_of_birth:
        probes["same_dob"].add(tk.dob_key(date_of_birth))
    probes = {reason: keys for reason, keys in probes.items() if keys}
    if not probes:
        return []
    weights = {**REASON_WEIGHTS, "en_name": REASON_WEIGHTS["same_en_name"]}
    flags = {f"r_{reason}": Max(_flag(keys)) for reason, keys in probes.items()}
    rough = _weighted_sum([(f"r_{reason}", weights[reason]) for reason in probes])
    rows = SearchKey.objects.filter(key__in=sorted(set().union(*probes.values())))
    if exclude_id is not None:
        rows = rows.exclude(person_id=exclude_id)
    grouped: Any = rows.values("person_id")
    shortlist: list[dict[str, Any]] = list(
        grouped.annotate(**flags)
        .annotate(rough=rough)
        # The rough score is never below the final one, so nothing that qualifies is dropped.
        .filter(rough__gte=MIN_CANDIDATE_SCORE)
        .order_by("-rough", "person_id")[: limit * 3]
    )
    people = {
        person.pk: person
        for person in ServiceUser.objects.filter(
            pk__in=[row["person_id"] for row in shortlist], merged_into__isnull=True
        ).only("pk", "name_zh", "name_en")
    }
    candidates: list[DuplicateCandidate] = []
    for row in shortlist:
        person = people.get(row["person_id"])
        if person is None:
            continue
        found = {reason for reason in probes if row[f"r_{reason}"]}
        if "same_zh_name" in found:
            found.discard("similar_zh_name")
        elif (
            "similar_zh_name" in found
            and tk.name_similarity_zh(name_zh, person.name_zh) < MIN_SIMILAR_ZH_NAME
        ):
            found.discard("similar_zh_name")
        if "en_name" in found:
            found.discard("en_name")
            same = _same_spelling(name_en, person.name_en)
            found.add("same_en_name" if same else "en_name_variant")
        ordered = [r for r in REASON_WEIGHTS if r in found]
        score = sum(REASON_WEIGHTS[r] for r in ordered)
        if score >= MIN_CANDIDATE_SCORE and ordered != ["same_dob"]:
            candidates.append(DuplicateCandidate(person.pk, score, ordered))
    candidates.sort(key=lambda c: (-c.score, c.person_id))
    return candidates[:limit]


# --- Search ---


@dataclass
class SearchHit:
    """One person found, with the score the ranking used."""

    person: ServiceUser
    score: float


def _visible(user: Any) -> QuerySet[ServiceUser]:
    return policy_for(ServiceUser).queryset(user, Action.VIEW).filter(merged_into__isnull=True)


def visible_among(user: Any, person_ids: Iterable[int]) -> set[int]:
    """Which of `person_ids` (not merged into another record) the user may see.

    The person policy's ways in (`person_ways_in`: a visible case, a visible intake, an active
    break-the-glass access), each asked about the candidates' own rows only (`person_id IN
    ids`, an index look-up by person) in one query; tests check it agrees with the policy.
    Not the policy's correlated EXISTS restricted to the ids: for a thousand candidates
    PostgreSQL hashes each EXISTS over all its rows (every case of a supervisor's unit), and
    restricting the rows inside them as well inflates the estimates past the JIT thresholds
    (seconds of compiling for a 100 ms query)."""
    ids = sorted(set(person_ids))
    if not ids:
        return set()
    condition = Q(pk__in=[])
    for rows in person_ways_in(actor_for(user), Action.VIEW):
        mine = rows.filter(_InIds(F("person_id"), ids)).order_by().values("person_id")
        condition |= Q(pk__in=mine)
    people = ServiceUser.objects.filter(condition, _InIds(F("pk"), ids), merged_into__isnull=True)
    return set(people.values_list("pk", flat=True))


@dataclass(frozen=True)
class _SqlGroup:
    """A group of alternative keys evaluated in SQL, with the weight it adds to the rough score."""

    keys: frozenset[str]
    weight: float


def _english_combination_groups(groups: Sequence[tk.KeyGroup]) -> list[_SqlGroup] | None:
    """The syllable groups of an English name part as pair or triple groups that together imply
    them all (two syllables: their pair; three: their triple; more: overlapping triples), or
    None when the name is longer than the indexed combinations cover."""
    classes = [sorted(key.removeprefix("et:") for key in g.keys) for g in groups]
    count = len(classes)
    if count > MAX_TRIPLE_SYLLABLES:
        return None
    combinations: list[tuple[int, ...]]
    if count == 2:
        combinations = [(0, 1)]
    else:
        starts = list(range(0, count - 2, 2))
        if starts[-1] + 3 < count:
            starts.append(count - 3)
        combinations = [(i, i + 1, i + 2) for i in starts]
    weight = sum(g.weight for g in groups) / len(combinations)
    return [
        _SqlGroup(
            frozenset(
                _combination_key(chosen)
                for chosen in itertools.product(*(classes[i] for i in combination))
            ),
            weight,
        )
        for combination in combinations
    ]


def _sql_groups(part: tk.QueryPart) -> tuple[list[_SqlGroup], int]:
    """The groups that decide whether a person satisfies `part` in SQL, and how many must."""
    if part.kind == tk.QueryKind.ENGLISH_NAME and len(part.groups) >= 2:
        combined = _english_combination_groups(part.groups)
        if combined is not None:
            return combined, len(combined)
    return [_SqlGroup(g.keys, g.weight) for g in part.groups], part.min_match


def _candidates(
    plan: tk.QueryPlan, size: int, within: QuerySet[ServiceUser] | None = None
) -> list[int]:
    """Up to `size` people (ids) who satisfy a part of `plan` in the index, roughly best first,
    optionally only among `within`."""
    parts = [p for p in plan.parts if p.kind != tk.QueryKind.CASE_NUMBER]
    if not parts:
        return []
    flags: dict[str, Any] = {}
    satisfied: dict[str, Any] = {}
    terms: list[tuple[str, float]] = []
    conditions: list[Q] = []
    keys: set[str] = set()
    for part_index, part in enumerate(parts):
        groups, needed = _sql_groups(part)
        names = []
        for group_index, group in enumerate(groups):
            name = f"g{part_index}_{group_index}"
            flags[name] = Max(_flag(group.keys))
            terms.append((name, group.weight))
            names.append(name)
            keys |= group.keys
        satisfied[f"p{part_index}"] = _weighted_sum([(n, 1) for n in names])
        conditions.append(Q(**{f"p{part_index}__gte": needed}))
    for rank_index, rank_group in enumerate(plan.rank_groups):
        name = f"r{rank_index}"
        flags[name] = Max(_flag(rank_group.keys))
        terms.append((name, rank_group.weight))
        keys |= rank_group.keys
    condition = conditions[0]
    for other in conditions[1:]:
        condition |= other
    rows = SearchKey.objects.filter(key__in=sorted(keys))
    if within is not None:
        rows = rows.filter(person_id__in=within.values("pk"))
    return list(
        rows.values("person_id")
        .annotate(**flags)
        .annotate(**satisfied)
        .filter(condition)
        .annotate(rough=_weighted_sum(terms))
        .order_by("-rough", "person_id")
        .values_list("person_id", flat=True)[:size]
    )


def _visible_candidates(user: Any, plan: tk.QueryPlan, needed: int, wanted: int) -> list[int]:
    """Up to `wanted` candidates of `plan` the user may see, roughly best first.

    The index is read without regard to the user (bounded by MAX_CANDIDATES), then candidates
    are checked in batches of growing size, in rank order, until `needed` are visible. Only when
    the bound cut the list short of that (a query as broad as one surname) does the slower
    look-up restricted to the people the user may see run."""
    candidates = _candidates(plan, MAX_CANDIDATES)
    visible: list[int] = []
    start = 0
    for size in (*VISIBILITY_BATCHES, len(candidates)):
        batch = candidates[start : start + size]
        if not batch:
            break
        start += len(batch)
        allowed = visible_among(user, batch)
        visible += [pid for pid in batch if pid in allowed]
        if len(visible) >= needed:
            break
    if len(visible) < needed and len(candidates) >= MAX_CANDIDATES:
        seen = set(visible)
        visible += [pid for pid in _candidates(plan, wanted, _visible(user)) if pid not in seen]
    return visible[:wanted]


def search_people(*, user: Any, query: str, limit: int = 20) -> list[SearchHit]:
    """People matching the search box, among those `user` may see, best first.

    The query may be a Chinese name or part of one (either script), a romanised name in any
    order and spelling, an HKID (with or without its check digit, any format), a phone number
    (spaces, dashes, +852), a case number, a date of birth, or several of these."""
    plan = tk.plan_query(query, hkid_hasher=lookup_hash)
    if not plan.parts:
        return []
    by_case_number: set[int] = set()
    if plan.case_number:
        owners = Case.objects.filter(number=plan.case_number).values_list("person_id", flat=True)
        by_case_number = visible_among(user, owners)
    candidates = _visible_candidates(user, plan, limit, limit * CANDIDATES_PER_RESULT)
    person_ids = list(dict.fromkeys([*sorted(by_case_number), *candidates]))
    if not person_ids:
        return []
    held: dict[int, set[str]] = defaultdict(set)
    for pid, key in SearchKey.objects.filter(
        _InIds(F("person_id"), person_ids), key__in=sorted(plan.keys)
    ).values_list("person_id", "key"):
        held[pid].add(key)
    for pid in by_case_number:
        held[pid].add("cn:" + str(plan.case_number))
    scores: dict[int, float] = {}
    for pid in person_ids:
        score = plan.score(held[pid])
        if score is not None:
            scores[pid] = score
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    people = {
        p.pk: p
        for p in ServiceUser.objects.filter(pk__in=[pid for pid, _s in ranked]).select_related(
            "district"
        )
    }
    return [SearchHit(people[pid], score) for pid, score in ranked if pid in people]


def naive_search_people(*, user: Any, query: str, limit: int = 20) -> list[ServiceUser]:
    """The obvious implementation (icontains over the columns), kept for the benchmark only:
    no Simplified/Traditional folding, no spelling variants, the words in the stored order."""
    q = " ".join(query.split())
    condition = Q(name_zh__icontains=q) | Q(name_en__icontains=q)
    digits = phone_normalise(q)
    if digits:
        condition |= Q(phone__icontains=digits) | Q(phone_alt__icontains=digits)
    canonical = hkid_complete(q)
    if canonical:
        condition |= Q(hkid_hash=lookup_hash(canonical))
    return list(_visible(user).filter(condition).order_by("pk")[:limit])
