"""Duplicate detection: compare the facts of two cases and explain the score.

A person decides whether a candidate is a duplicate (unique, or link to a master case);
this module only proposes candidates with a score and the fields that drove it.

* ``facts_of`` extracts comparable, normalised facts from an ICSR plus the source
  identifiers of the messages that built it (C.1.1, C.1.8.1, C.1.9.1.r case ids, email
  Message-IDs, Twilio MessageSids) and the reporter's contact.
* ``score`` compares two ``CaseFacts``. A shared source identifier means the same report
  reached us twice: an **exact duplicate**, score 1.0. Otherwise each field that is known
  on *both* sides adds its weight when it matches (part of it for a loose match) and
  subtracts a penalty when it conflicts (different sex, different date of birth ...).
  A field missing on either side adds nothing: two sparse cases never look alike by
  absence. The score is the sum, clamped to 0..1; the weights sum to 1.0.
* ``blocking_keys`` gives the keys a store indexes so that ``find_candidates`` only has to
  look at cases sharing at least one key, instead of scanning every case.

Reporter contact is match-only: the same patient is often reported by different people
(patient by email, physician through a partner), so differing contacts are no conflict.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from difflib import SequenceMatcher
from enum import Enum
from types import MappingProxyType

from gateway.domain.codes import Sex
from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import DatePrecision, PartialDate
from gateway.domain.values import Quantity

__all__ = [
    "DEFAULT_CONFIG",
    "CaseFacts",
    "DuplicateScore",
    "FieldMatch",
    "MatchKind",
    "ScoringConfig",
    "blocking_keys",
    "facts_of",
    "find_candidates",
    "normalise_contact",
    "normalise_product",
    "normalise_term",
    "score",
]


# --- normalisation ---------------------------------------------------------------------

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)
_LETTER_RUNS = re.compile(r"[^\W\d_]+", re.UNICODE)
_DOSE = re.compile(r"^\d+([.,]\d+)?[a-zµ%/]*$")
_PRODUCT_NOISE = frozenset(
    {
        "mg", "g", "mcg", "ug", "µg", "ml", "l", "iu", "ui", "units", "unit", "mmol",
        "tablet", "tablets", "tab", "tabs", "capsule", "capsules", "cap", "caps",
        "film", "coated", "filmcoated", "ec", "sr", "xr", "xl", "retard", "prolonged",
        "release", "modified", "injection", "solution", "suspension", "syrup", "cream",
        "ointment", "gel", "drops", "spray", "powder", "for", "oral", "iv", "im", "sc",
        "infusion", "concentrate", "patch", "inhaler", "vial", "pen", "prefilled",
        "syringe", "sachet", "generic", "the",
    }
)  # fmt: skip
_PHONE_DIGITS = 9  # compare the national significant number, not the prefix


def _fold(text: str) -> str:
    """Lower case without accents or trade marks: "Drüg®" -> "drug"."""
    text = text.replace("®", " ").replace("™", " ").replace("©", " ")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def normalise_product(name: str) -> str:
    """A product name without strength, dose form or punctuation: "Drug-X® 500 mg
    film-coated tablets" -> "drug x"."""
    tokens = [t for t in _NON_WORD.split(_fold(name)) if t]
    kept = [t for t in tokens if t not in _PRODUCT_NOISE and not _DOSE.match(t)]
    return " ".join(kept or tokens)


def normalise_term(text: str) -> str:
    """A verbatim reaction term in comparable form: "Skin RASH!" -> "skin rash"."""
    return " ".join(t for t in _NON_WORD.split(_fold(text)) if t)


def normalise_contact(contact: str) -> str | None:
    """``email:<lower-case address>`` or ``tel:<last 9 digits>``; None if neither."""
    text = contact.strip()
    if not text:
        return None
    if "@" in text:
        address = text.lower().removeprefix("mailto:")
        return f"email:{address}"
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 7:
        return f"tel:{digits[-_PHONE_DIGITS:]}"
    return None


def _initials(text: str) -> str | None:
    """Initials: "J.D." / "jd" / "John Doe" -> "JD" (one short token is taken as is)."""
    tokens: list[str] = _LETTER_RUNS.findall(_fold(text))
    if not tokens:
        return None
    if len(tokens) == 1 and len(tokens[0]) <= 4:
        return tokens[0].upper()
    return "".join(t[0] for t in tokens).upper()


_YEARS_PER_UNIT = {
    "a": Decimal(1),
    "{decade}": Decimal(10),
    "mo": Decimal(1) / Decimal(12),
    "wk": Decimal(7) / Decimal("365.25"),
    "d": Decimal(1) / Decimal("365.25"),
    "h": Decimal(1) / Decimal("8766"),
}


def _age_years(age: Quantity | None) -> float | None:
    if age is None:
        return None
    factor = _YEARS_PER_UNIT.get(age.unit)
    return None if factor is None else float(age.value * factor)


def _source_id(value: str) -> str | None:
    text = value.strip().strip("<>").strip()
    return text or None


# --- facts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseFacts:
    """Normalised facts of one case, as compared for duplicate detection."""

    case_id: str
    patient_initials: str | None = None
    birth_date: PartialDate | None = None
    age_years: float | None = None
    sex: Sex | None = None
    onset_dates: tuple[PartialDate, ...] = ()
    products: frozenset[str] = frozenset()
    reaction_terms: frozenset[str] = frozenset()
    reporter_contacts: frozenset[str] = frozenset()
    source_ids: frozenset[str] = frozenset()


def facts_of(
    case_id: str,
    icsr: ICSR,
    *,
    source_ids: Iterable[str] = (),
    reporter_contact: str | None = None,
    product_key: Callable[[str], str] = normalise_product,
) -> CaseFacts:
    """Extract ``CaseFacts`` from an ICSR.

    Masked or unknown values (nullFlavors) are left out: they cannot be compared.
    ``product_key`` normalises product and substance names; pass the product catalogue's
    resolver to map brands and synonyms to one key.
    """
    patient = icsr.patient
    initials = birth = sex = None
    age = None
    if patient is not None:
        if isinstance(patient.name_or_initials, str):
            initials = _initials(patient.name_or_initials)
        if isinstance(patient.birth_date, PartialDate):
            birth = patient.birth_date
        if isinstance(patient.sex, Sex):
            sex = patient.sex
        age = _age_years(patient.age_at_onset)

    onsets = tuple(r.start for r in icsr.reactions if isinstance(r.start, PartialDate))

    products: set[str] = set()
    for drug in icsr.suspect_drugs():  # concomitant drugs are noise for matching
        names = [drug.name_as_reported, *(s.name for s in drug.substances)]
        products.update(k for n in names if n and n.strip() and (k := product_key(n)))
        products.update(f"code:{c.code}" for c in (drug.mpid, drug.phpid) if c is not None)

    terms: set[str] = set()
    for reaction in icsr.reactions:
        if reaction.term is not None:
            terms.add(f"meddra:{reaction.term.code}")
        for text in (reaction.verbatim_native, reaction.verbatim_translation):
            if text and (key := normalise_term(text)):
                terms.add(key)

    contacts: set[str] = set()
    raw_contacts = [reporter_contact] if reporter_contact else []
    for source in icsr.primary_sources:
        raw_contacts.extend(v for v in (source.email, source.telephone) if isinstance(v, str))
    contacts.update(c for raw in raw_contacts if (c := normalise_contact(raw)))

    report = icsr.report
    raw_ids = [
        report.safety_report_id,
        report.worldwide_case_id,
        *(o.case_id for o in report.other_case_ids),
        *source_ids,
    ]
    ids = {i for raw in raw_ids if raw and (i := _source_id(raw))}

    return CaseFacts(
        case_id=case_id,
        patient_initials=initials,
        birth_date=birth,
        age_years=age,
        sex=sex,
        onset_dates=onsets,
        products=frozenset(products),
        reaction_terms=frozenset(terms),
        reporter_contacts=frozenset(contacts),
        source_ids=frozenset(ids),
    )


# --- scoring ---------------------------------------------------------------------------


class MatchKind(Enum):
    EXACT_ID = "exact_id"  # a shared source identifier
    MATCH = "match"
    PARTIAL = "partial"  # compatible but loose (coarse date, initials subset, age tolerance)
    CONFLICT = "conflict"  # contradicts: lowers the score


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldMatch:
    """One compared field: both values and its signed contribution to the score."""

    field: str
    a_value: str
    b_value: str
    weight: float  # > 0 added by a match, < 0 subtracted by a conflict
    kind: MatchKind = MatchKind.MATCH


@dataclass(frozen=True, slots=True, kw_only=True)
class DuplicateScore:
    score: float  # 0..1
    matching: tuple[FieldMatch, ...]  # every field that contributed, matches and conflicts
    exact_duplicate: bool

    @property
    def conflicts(self) -> tuple[FieldMatch, ...]:
        return tuple(m for m in self.matching if m.kind is MatchKind.CONFLICT)


_DEFAULT_WEIGHTS = {
    "patient_initials": 0.15,
    "birth_date_or_age": 0.15,
    "sex": 0.05,
    "onset_date": 0.15,
    "product": 0.15,
    "reaction": 0.20,
    "reporter_contact": 0.15,
}
_DEFAULT_PENALTIES = {
    "patient_initials": 0.10,
    "birth_date_or_age": 0.30,
    "sex": 0.50,
    "onset_date": 0.05,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoringConfig:
    """Weights (matches), penalties (conflicts) and tolerances of ``score``."""

    weights: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_WEIGHTS))
    )
    penalties: Mapping[str, float] = field(
        default_factory=lambda: MappingProxyType(dict(_DEFAULT_PENALTIES))
    )
    onset_tolerance_days: int = 3
    age_tolerance_years: float = 1.0
    #: similarity ratio (difflib) above which two product names count as a loose match
    product_similarity: float = 0.85


DEFAULT_CONFIG = ScoringConfig()


def _gap_days(a: PartialDate, b: PartialDate) -> float:
    """Days between two date spans, 0 when they overlap."""
    a_start, a_end = a.interval()
    b_start, b_end = b.interval()
    if a_end <= b_start:
        return (b_start - a_end).total_seconds() / 86400
    if b_end <= a_start:
        return (a_start - b_end).total_seconds() / 86400
    return 0.0


def _precise(d: PartialDate) -> bool:
    return d.precision >= DatePrecision.DAY


def _day(d: PartialDate) -> PartialDate:
    return d.truncate(DatePrecision.DAY) if d.precision > DatePrecision.DAY else d


class _Scorer:
    def __init__(self, a: CaseFacts, b: CaseFacts, config: ScoringConfig) -> None:
        self.a, self.b, self.config = a, b, config
        self.found: list[FieldMatch] = []

    def add(self, name: str, a: str, b: str, kind: MatchKind, fraction: float = 1.0) -> None:
        if kind is MatchKind.CONFLICT:
            weight = -self.config.penalties.get(name, 0.0)
        else:
            weight = self.config.weights.get(name, 0.0) * fraction
        if weight:
            self.found.append(
                FieldMatch(field=name, a_value=a, b_value=b, weight=round(weight, 4), kind=kind)
            )

    def initials(self) -> None:
        a, b = self.a.patient_initials, self.b.patient_initials
        if not a or not b:
            return
        if a == b:
            self.add("patient_initials", a, b, MatchKind.MATCH)
        elif a[0] == b[0] and a[-1] == b[-1]:  # "JD" vs "JMD": a middle initial
            self.add("patient_initials", a, b, MatchKind.PARTIAL, 0.5)
        else:
            self.add("patient_initials", a, b, MatchKind.CONFLICT)

    def sex(self) -> None:
        a, b = self.a.sex, self.b.sex
        if a is None or b is None:
            return
        kind = MatchKind.MATCH if a is b else MatchKind.CONFLICT
        self.add("sex", a.name.lower(), b.name.lower(), kind)

    def birth_date_or_age(self) -> None:
        name, tol = "birth_date_or_age", self.config.age_tolerance_years
        a, b = self.a, self.b
        if a.birth_date is not None and b.birth_date is not None:
            da, db = _day(a.birth_date), _day(b.birth_date)
            text_a, text_b = da.format(), db.format()
            if da == db and _precise(da):
                self.add(name, text_a, text_b, MatchKind.MATCH)
            elif _gap_days(da, db) == 0:
                self.add(name, text_a, text_b, MatchKind.PARTIAL, 0.5)
            else:
                self.add(name, text_a, text_b, MatchKind.CONFLICT)
            return
        age_a, age_b = self._age(a), self._age(b)
        if age_a is None or age_b is None:
            return
        text_a, text_b = f"{age_a:.1f} y", f"{age_b:.1f} y"
        derived = a.age_years is None or b.age_years is None  # one side from DOB and onset
        if abs(age_a - age_b) <= tol:
            kind = MatchKind.PARTIAL if derived else MatchKind.MATCH
            self.add(name, text_a, text_b, kind, 0.75 if derived else 1.0)
        elif abs(age_a - age_b) > tol + (1 if derived else 0):
            self.add(name, text_a, text_b, MatchKind.CONFLICT)

    @staticmethod
    def _age(facts: CaseFacts) -> float | None:
        if facts.age_years is not None:
            return facts.age_years
        if facts.birth_date is None or not facts.onset_dates:
            return None
        born: datetime = facts.birth_date.interval()[0]
        onset: datetime = min(d.interval()[0] for d in facts.onset_dates)
        return (onset - born).days / 365.25

    def onset(self) -> None:
        name = "onset_date"
        pairs = [(x, y) for x in self.a.onset_dates for y in self.b.onset_dates]
        if not pairs:
            return
        x, y = min(pairs, key=lambda p: (_gap_days(*p), not (_precise(p[0]) and _precise(p[1]))))
        gap = _gap_days(x, y)
        if gap <= self.config.onset_tolerance_days:
            precise = _precise(x) and _precise(y)
            kind = MatchKind.MATCH if precise else MatchKind.PARTIAL
            self.add(name, x.format(), y.format(), kind, 1.0 if precise else 0.5)
        else:
            self.add(name, x.format(), y.format(), MatchKind.CONFLICT)

    def products(self) -> None:
        a, b = self.a.products, self.b.products
        if not a or not b:
            return
        shared = sorted(a & b)
        if shared:
            self.add("product", ", ".join(shared), ", ".join(shared), MatchKind.MATCH)
            return
        best = max(
            ((SequenceMatcher(None, x, y).ratio(), x, y) for x in a for y in b),
            key=lambda t: t[0],
        )
        if best[0] >= self.config.product_similarity:
            self.add("product", best[1], best[2], MatchKind.PARTIAL, 0.5)

    def reactions(self) -> None:
        a, b = self.a.reaction_terms, self.b.reaction_terms
        if not a or not b:
            return
        shared = a & b
        if shared:
            fraction = len(shared) / min(len(a), len(b))
            text = ", ".join(sorted(shared))
            kind = MatchKind.MATCH if fraction == 1 else MatchKind.PARTIAL
            self.add("reaction", text, text, kind, fraction)

    def contacts(self) -> None:
        shared = sorted(self.a.reporter_contacts & self.b.reporter_contacts)
        if shared:
            text = ", ".join(shared)
            self.add("reporter_contact", text, text, MatchKind.MATCH)


def score(a: CaseFacts, b: CaseFacts, *, config: ScoringConfig = DEFAULT_CONFIG) -> DuplicateScore:
    """How likely ``a`` and ``b`` describe the same case, with the fields that say so."""
    shared_ids = sorted(a.source_ids & b.source_ids)
    if shared_ids:
        text = ", ".join(shared_ids)
        match = FieldMatch(
            field="source_id", a_value=text, b_value=text, weight=1.0, kind=MatchKind.EXACT_ID
        )
        return DuplicateScore(score=1.0, matching=(match,), exact_duplicate=True)
    scorer = _Scorer(a, b, config)
    scorer.initials()
    scorer.birth_date_or_age()
    scorer.sex()
    scorer.onset()
    scorer.products()
    scorer.reactions()
    scorer.contacts()
    total = sum(m.weight for m in scorer.found)
    return DuplicateScore(
        score=round(min(1.0, max(0.0, total)), 4),
        matching=tuple(scorer.found),
        exact_duplicate=False,
    )


def find_candidates(
    new: CaseFacts,
    index: Iterable[CaseFacts],
    threshold: float = 0.6,
    *,
    config: ScoringConfig = DEFAULT_CONFIG,
) -> list[tuple[CaseFacts, DuplicateScore]]:
    """Cases in ``index`` scoring at least ``threshold`` against ``new``, best first.

    ``new`` itself (same case id) is skipped; ties are ordered by case id.
    """
    found = [
        (other, s)
        for other in index
        if other.case_id != new.case_id
        and (s := score(new, other, config=config)).score >= threshold
    ]
    found.sort(key=lambda pair: (-pair[1].score, pair[0].case_id))
    return found


def blocking_keys(facts: CaseFacts) -> frozenset[str]:
    """Keys to index a case under; likely duplicates share at least one.

    ``id:`` every source identifier; ``patient:`` initials + sex; ``dob:`` date of birth;
    ``contact:`` reporter contact; ``product-onset:`` product + onset month;
    ``product-reaction:`` product + reaction term (catches cases without patient data).
    """
    keys = {f"id:{i}" for i in facts.source_ids}
    keys.update(f"contact:{c}" for c in facts.reporter_contacts)
    if facts.patient_initials:
        sex = facts.sex.code if facts.sex is not None else "?"
        keys.add(f"patient:{facts.patient_initials}:{sex}")
    if facts.birth_date is not None and _precise(facts.birth_date):
        keys.add(f"dob:{_day(facts.birth_date).format()}")
    months = {
        d.truncate(DatePrecision.MONTH).format()
        for d in facts.onset_dates
        if d.precision >= DatePrecision.MONTH
    }
    for product in facts.products:
        keys.update(f"product-onset:{product}:{m}" for m in months)
        keys.update(f"product-reaction:{product}:{t}" for t in facts.reaction_terms)
    return frozenset(keys)
