"""Coding verbatim event text to a current MedDRA LLT (and so to its PT and primary SOC).

Three tiers, first hit wins:

1. **exact**       the verbatim equals an LLT name, ignoring case: score 100
2. **normalised**  equal after ``normalise`` (accents, punctuation, spacing, British/American
   spelling, plurals): score 98; with the words in another order: score 96
3. **fuzzy**       the closest name by edit similarity, at least ``fuzzy_threshold``;
   always ``needs_review``

The fuzzy score is the mean of rapidfuzz's ``fuzz.ratio`` on the normalised, token-sorted
names and a typo similarity on their skeletons (OSA edits, an adjacent transposition
counting half, doubled letters and ph/f, rh/r, y/i ignored), so "headahce" and "diarea"
clear 88 while "hypotension" vs "hypertension" does not. A fuzzy candidate whose polarity
contradicts the verbatim (hyper/hypo, tachy/brady, increased/decreased, high/low) is
refused whatever its score.

Only current LLTs are returned: a match on a non-current LLT is replaced by the current
LLT of the same PT that ``MedDRADictionary.current_llt_for`` picks, and the result says so.
When one normalised name belongs to LLTs of different PTs the match is ambiguous: the
score drops by 10 and the note names the PTs. ``needs_review`` is set when the score is
below ``review_threshold`` or the method is fuzzy.

All indexes are built once in the constructor; the coder is language-agnostic (a Spanish
distribution simply has Spanish names).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Levenshtein

from gateway.domain.meddra.dictionary import LowestLevelTerm, MedDRADictionary
from gateway.domain.meddra.migration import Remapping, remap_noncurrent, replacement_reason
from gateway.domain.meddra.normalise import (
    exact_key,
    normalised_keys,
    skeleton,
)
from gateway.domain.values import MedDRATerm

__all__ = ["CodingResult", "MatchMethod", "MedDRACoder"]

MatchMethod = Literal["exact", "normalised", "fuzzy"]

EXACT_SCORE = 100.0
NORMALISED_SCORE = 98.0
REORDERED_SCORE = 96.0
AMBIGUITY_PENALTY = 10.0
_FUZZY_CANDIDATES = 20
_CODED_MAX = 20_000

#: polarity markers: (axis, sign); a fuzzy candidate may not flip the sign on an axis
_POLARITY_PREFIXES: tuple[tuple[str, str, int], ...] = (
    ("hyper", "hyper", +1),
    ("hiper", "hyper", +1),
    ("hypo", "hyper", -1),
    ("hipo", "hyper", -1),
    ("tachy", "rate", +1),
    ("taqui", "rate", +1),
    ("brady", "rate", -1),
    ("bradi", "rate", -1),
)
_POLARITY_WORDS: dict[str, tuple[str, int]] = {
    **dict.fromkeys(
        (
            "increased",
            "increase",
            "raised",
            "elevated",
            "high",
            "higher",
            "aumento",
            "aumentado",
            "elevado",
            "alto",
            "alta",
        ),
        ("level", +1),
    ),
    **dict.fromkeys(
        (
            "decreased",
            "decrease",
            "reduced",
            "low",
            "lower",
            "lowered",
            "disminucion",
            "disminuido",
            "descenso",
            "bajo",
            "baja",
        ),
        ("level", -1),
    ),
    "positive": ("result", +1),
    "negative": ("result", -1),
}


@dataclass(frozen=True, slots=True)
class CodingResult:
    llt_code: str
    llt_name: str
    pt_code: str
    pt_name: str
    soc_code: str
    soc_name: str
    version: str
    #: 0-100; see the module docstring for what each tier scores
    score: float
    method: MatchMethod
    needs_review: bool
    verbatim: str
    #: the non-current LLT that matched, when a current LLT of its PT replaced it
    remapped_from: str | None = None
    #: why the result is what it is (replacement, ambiguity), for the audit trail
    note: str = ""

    @property
    def term(self) -> MedDRATerm:
        """The E2B pair (E.i.2.1a version, E.i.2.1b LLT code)."""
        return MedDRATerm(version=self.version, code=self.llt_code)


@dataclass(frozen=True, slots=True)
class _Target:
    """What a matched name codes to: resolved once, when the indexes are built."""

    matched: LowestLevelTerm
    llt: LowestLevelTerm
    pt_name: str
    soc_code: str
    soc_name: str
    note: str
    ambiguous: bool


def _polarity(words: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for word in words:
        marker = _POLARITY_WORDS.get(word)
        if marker is None:
            marker = next(
                (
                    (axis, sign)
                    for prefix, axis, sign in _POLARITY_PREFIXES
                    if word.startswith(prefix)
                ),
                None,
            )
        if marker is not None:
            found[marker[0]] = marker[1]
    return found


def _contradicts(a: dict[str, int], b: dict[str, int]) -> bool:
    return any(axis in b and b[axis] != sign for axis, sign in a.items())


def _sorted_readings(readings: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(" ".join(sorted(r.split())) for r in readings))


def _typo_similarity(a: str, b: str) -> float:
    """100 * (1 - edits / longer length), an adjacent transposition costing half an edit."""
    longest = max(len(a), len(b))
    if longest == 0:
        return 100.0
    osa = OSA.distance(a, b)
    transpositions = Levenshtein.distance(a, b) - osa
    cost = osa - 0.5 * transpositions
    return max(0.0, 100.0 * (1.0 - cost / longest))


class MedDRACoder:
    """Codes verbatim text against one ``MedDRADictionary``."""

    def __init__(
        self,
        dictionary: MedDRADictionary,
        *,
        fuzzy_threshold: float = 88,
        review_threshold: float = 95,
    ) -> None:
        for name, value in (
            ("fuzzy_threshold", fuzzy_threshold),
            ("review_threshold", review_threshold),
        ):
            if not 0 <= value <= 100:
                raise ValueError(f"{name} must be between 0 and 100, got {value!r}")
        self.dictionary = dictionary
        self.fuzzy_threshold = float(fuzzy_threshold)
        self.review_threshold = float(review_threshold)
        self._targets: dict[str, _Target] = {}
        #: verbatim → its coding: the answer depends on the verbatim alone (bounded)
        self._coded: dict[str, CodingResult | None] = {}
        llts = list(dictionary.llts.values())
        readings = [normalised_keys(llt.name) for llt in llts]  # the costly step, done once
        self._exact = self._index(llts, [(exact_key(llt.name),) for llt in llts])
        self._ordered = self._index(llts, readings)
        self._sorted = self._index(llts, [_sorted_readings(r) for r in readings])
        self._fuzzy_keys = list(self._sorted)
        self._fuzzy_targets = list(self._sorted.values())
        self._fuzzy_skeletons = [skeleton(key) for key in self._fuzzy_keys]
        self._fuzzy_polarity = [_polarity(key.split()) for key in self._fuzzy_keys]

    # -- index building ------------------------------------------------------------------

    def _index(
        self, llts: list[LowestLevelTerm], keys: list[tuple[str, ...]]
    ) -> dict[str, _Target]:
        """Key -> target; a name's first reading outranks another name's second reading."""
        readings: list[dict[str, list[LowestLevelTerm]]] = [{}, {}]
        for llt, llt_keys in zip(llts, keys, strict=True):
            for reading, key in enumerate(llt_keys[:2]):
                if key:
                    readings[reading].setdefault(key, []).append(llt)
        index: dict[str, _Target] = {}
        for grouped in readings:
            for key, llts in grouped.items():
                if key in index:
                    continue
                target = self._resolve(llts)
                if target is not None:
                    index[key] = target
        return index

    def _resolve(self, llts: list[LowestLevelTerm]) -> _Target | None:
        """The target for LLTs sharing one key: current first, the PT's own LLT, lowest code."""
        ranked = sorted(llts, key=lambda t: (not t.current, t.code != t.pt_code, t.code))
        for matched in ranked:
            target = self._target(matched)
            if target is None:
                continue
            pts = sorted({t.pt_code for t in llts})
            if len(pts) == 1:
                return target
            note = f"ambiguous: the name matches LLTs of PTs {', '.join(pts)}"
            full_note = f"{target.note}; {note}" if target.note else note
            return _Target(
                target.matched,
                target.llt,
                target.pt_name,
                target.soc_code,
                target.soc_name,
                full_note,
                ambiguous=True,
            )
        return None

    def _target(self, matched: LowestLevelTerm) -> _Target | None:
        cached = self._targets.get(matched.code)
        if cached is not None:
            return cached
        d = self.dictionary
        llt = matched if matched.current else d.current_llt_for(matched.pt_code)
        pt = d.pt(matched.pt_code)
        soc = d.primary_soc(matched.pt_code)
        if llt is None or pt is None or soc is None:
            return None  # no current LLT to code with: the name cannot be used
        note = ""
        if llt is not matched:
            note = (
                f"matched non-current LLT {matched.code} '{matched.name}'; coded to current "
                f"LLT {llt.code} '{llt.name}', {replacement_reason(d, llt)} of the same PT"
            )
        target = _Target(matched, llt, pt.name, soc.code, soc.name, note, ambiguous=False)
        self._targets[matched.code] = target
        return target

    # -- coding --------------------------------------------------------------------------

    def code(self, verbatim: str) -> CodingResult | None:
        """The best current LLT for ``verbatim``, or None when nothing is close enough."""
        try:
            return self._coded[verbatim]
        except KeyError:
            pass
        if len(self._coded) >= _CODED_MAX:
            self._coded.clear()
        result = self._coded[verbatim] = self._code(verbatim)
        return result

    def _code(self, verbatim: str) -> CodingResult | None:
        key = exact_key(verbatim)
        if not key:
            return None
        target = self._exact.get(key)
        if target is not None:
            return self._result(verbatim, target, EXACT_SCORE, "exact")
        readings = normalised_keys(verbatim)
        if not readings[0]:
            return None
        for reading in readings:
            target = self._ordered.get(reading)
            if target is not None:
                return self._result(verbatim, target, NORMALISED_SCORE, "normalised")
        ordered = _sorted_readings(readings)
        for reading in ordered:
            target = self._sorted.get(reading)
            if target is not None:
                return self._result(verbatim, target, REORDERED_SCORE, "normalised")
        return self._fuzzy(verbatim, ordered[0])

    def _fuzzy(self, verbatim: str, query: str) -> CodingResult | None:
        # the mean of two scores >= threshold needs ratio >= 2 * threshold - 100
        cutoff = max(0.0, 2 * self.fuzzy_threshold - 100)
        candidates = process.extract(
            query,
            self._fuzzy_keys,
            scorer=fuzz.ratio,
            limit=_FUZZY_CANDIDATES,
            score_cutoff=cutoff,
        )
        if not candidates:
            return None
        query_skeleton = skeleton(query)
        query_polarity = _polarity(query.split())
        best: tuple[float, int] | None = None
        for _choice, ratio, index in candidates:
            if _contradicts(query_polarity, self._fuzzy_polarity[index]):
                continue
            typo = _typo_similarity(query_skeleton, self._fuzzy_skeletons[index])
            score = min((ratio + typo) / 2, 99.9)  # a fuzzy hit never scores as exact
            if score >= self.fuzzy_threshold and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            return None
        return self._result(verbatim, self._fuzzy_targets[best[1]], best[0], "fuzzy")

    def _result(
        self, verbatim: str, target: _Target, score: float, method: MatchMethod
    ) -> CodingResult:
        if target.ambiguous:
            score -= AMBIGUITY_PENALTY
        score = round(max(score, 0.0), 1)
        llt = target.llt
        return CodingResult(
            llt_code=llt.code,
            llt_name=llt.name,
            pt_code=llt.pt_code,
            pt_name=target.pt_name,
            soc_code=target.soc_code,
            soc_name=target.soc_name,
            version=self.dictionary.version,
            score=score,
            method=method,
            needs_review=method == "fuzzy" or score < self.review_threshold,
            verbatim=verbatim,
            remapped_from=None if target.matched is llt else target.matched.code,
            note=target.note,
        )

    # -- version migration ---------------------------------------------------------------

    def remap_noncurrent(self, llt_code: str, new_dictionary: MedDRADictionary) -> Remapping:
        """Recode an LLT coded with this coder's version for ``new_dictionary``."""
        return remap_noncurrent(llt_code, new_dictionary, old_dictionary=self.dictionary)
