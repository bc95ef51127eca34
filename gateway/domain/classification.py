"""Classification of a case: seriousness, ADR or not, expectedness, and expedited reporting.

Rules (each decision is also written to ``Classification.rationale`` for the audit trail):

* **Seriousness** comes from the E.i.3.2a-f flags of the reactions; a reaction with outcome
  fatal (E.i.7 = 5) counts as "results in death" even when the flag was not set (noted in
  the rationale: the flag should be fixed before submission).
* **ADR** (suspected causal relationship, ICH E2A/E2D, GVP VI.A.2.1.1): a *spontaneous*
  report implies causality, so it is an ADR unless the primary source explicitly excludes
  a causal link. For other reports (studies, solicited) a reaction is an ADR when any
  causality assessment (reporter's or sender's) leaves a reasonable possibility; with no
  assessment at all it is treated as suspected (conservative) and the rationale says so.
  Only "not related / unrelated / unlikely / excluded / doubtful" (or a Naranjo score <= 0)
  exclude a link; "unassessable" or "conditional" do not.
* **Expectedness** per (suspected drug, reaction) against the product's listed events
  (reference safety information): ``True`` listed, ``False`` not listed, ``None`` unknown
  (no RSI given, product or term unidentified). A listed event with a fatal outcome is
  unexpected (ICH E2A: greater severity than labelled) unless ``fatal_listed_is_unexpected``
  is switched off. Unknown expectedness is treated as *unexpected* for reporting.
* **Expedited**: whether any expedited (<= 15 days) rule of the rule table in
  ``gateway.domain.deadlines`` applies. The region rules live there, not here: e.g. EU
  post-authorisation submits every serious case in 15 days whatever its expectedness,
  the US only serious *unexpected* ones. The rules are evaluated per reaction, so
  "serious", "unexpected" and "fatal" must hold for the same reaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from gateway.domain.codes import (
    DrugRole,
    ReactionOutcome,
    ReportType,
    SeriousnessCriterion,
    StudyType,
    TermHighlighted,
)
from gateway.domain.deadlines import (
    DEFAULT_RULES,
    DeadlineInputs,
    DeadlineRule,
    applicable_rules,
    is_eea,
)
from gateway.domain.drug import CausalityAssessment, Drug
from gateway.domain.icsr import ICSR
from gateway.domain.reaction import Reaction

__all__ = [
    "CatalogueListedEvents",
    "Classification",
    "ListedEvents",
    "ProductFinder",
    "ProductLookup",
    "catalogue_product_id",
    "classify",
    "default_product_id",
    "default_reaction_terms",
    "excludes_causality",
    "reaction_criteria",
]

_FATAL_OR_LT = frozenset({SeriousnessCriterion.DEATH, SeriousnessCriterion.LIFE_THREATENING})
_SUSPECTED = frozenset({DrugRole.SUSPECT, DrugRole.INTERACTING})


class ListedEvents(Protocol):
    """The reference safety information: is this event listed for this product?

    Wrap a ``gateway.domain.catalogue.ProductCatalogue`` in ``CatalogueListedEvents`` and
    resolve drugs with ``catalogue_product_id(catalogue)``; anything with this method
    will do (a dict-backed fake in tests).
    """

    def is_listed(self, product_id: str, pt_code_or_name: str) -> bool: ...


class _ListsEvents(Protocol):
    def lists_event(self, term: str) -> bool: ...


class ProductLookup(Protocol):
    """A catalogue that finds a product by id (``ProductCatalogue.get``)."""

    def get(self, product_id: str) -> _ListsEvents | None: ...


@dataclass(frozen=True, slots=True)
class CatalogueListedEvents:
    """``ListedEvents`` over a product catalogue whose products answer ``lists_event``."""

    catalogue: ProductLookup

    def is_listed(self, product_id: str, pt_code_or_name: str) -> bool:
        product = self.catalogue.get(product_id)
        return product is not None and product.lists_event(pt_code_or_name)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


class _FoundProduct(Protocol):
    @property
    def product(self) -> _HasId: ...


class ProductFinder(Protocol):
    """A catalogue that recognises product names in text (``find_products``)."""

    def find_products(self, text: str) -> Sequence[_FoundProduct]: ...


def catalogue_product_id(finder: ProductFinder) -> Callable[[Drug], str | None]:
    """A ``product_id_of`` resolver: the catalogue product named by the drug's reported
    name, else by one of its substances (brands, synonyms and substances all resolve)."""

    def resolve(drug: Drug) -> str | None:
        names = [drug.name_as_reported, *(s.name for s in drug.substances)]
        for name in names:
            if name and name.strip() and (found := finder.find_products(name)):
                return found[0].product.id
        return None

    return resolve


def default_product_id(drug: Drug) -> str | None:
    """The key used to look up a drug's listed events: MPID, PhPID, name, or substance.

    Callers with a product catalogue pass a resolver that maps a drug to the catalogue's
    product id (brand and substance synonyms) instead.
    """
    for coded in (drug.mpid, drug.phpid):
        if coded is not None:
            return coded.code
    if drug.name_as_reported and drug.name_as_reported.strip():
        return drug.name_as_reported.strip()
    for substance in drug.substances:
        if substance.name and substance.name.strip():
            return substance.name.strip()
    return None


def default_reaction_terms(reaction: Reaction) -> tuple[str, ...]:
    """Terms to look up in the listed events: the MedDRA code, then the verbatims.

    The code is the LLT (E.i.2.1b); a caller with MedDRA loaded passes a function that
    adds the PT code and name, which is what reference safety information lists.
    """
    terms: list[str] = []
    if reaction.term is not None:
        terms.append(reaction.term.code)
    for text in (reaction.verbatim_translation, reaction.verbatim_native):
        if text and text.strip():
            terms.append(text.strip())
    return tuple(dict.fromkeys(terms))


_NEGATIVE = re.compile(
    r"\b(not related|unrelated|not suspected|unlikely|excluded|doubtful|not reasonably"
    r"|no reasonable possibility|not drug related|no causal)\b"
)


#: "a causal relationship cannot be excluded" leaves a reasonable possibility
_NOT_EXCLUDED = re.compile(
    r"\b(cannot|can't|can not|not) be (excluded|ruled out)\b|\bnot excluded\b"
)


def excludes_causality(assessment: CausalityAssessment) -> bool:
    """True when the result rules a causal link out (WHO-UMC unlikely, Naranjo <= 0, ...)."""
    result = (assessment.result or "").strip().lower()
    if not result:
        return False
    method = (assessment.method or "").strip().lower()
    if "naranjo" in method or re.fullmatch(r"[+-]?\d+", result):
        try:
            return int(result) <= 0
        except ValueError:
            pass
    if _NOT_EXCLUDED.search(result):
        return False
    return result in {"no", "none"} or _NEGATIVE.search(result) is not None


def _from_primary_source(assessment: CausalityAssessment) -> bool:
    source = (assessment.source or "").lower()
    return "primary" in source or "reporter" in source


def reaction_criteria(reaction: Reaction) -> frozenset[SeriousnessCriterion]:
    """The reaction's seriousness criteria, with death added for a fatal outcome."""
    criteria = reaction.seriousness.criteria
    if reaction.outcome is ReactionOutcome.FATAL:
        criteria = criteria | {SeriousnessCriterion.DEATH}
    return criteria


@dataclass(frozen=True, slots=True, kw_only=True)
class Classification:
    """The outcome of ``classify``; ``expected`` is keyed by (drug id, reaction id)."""

    serious: bool
    criteria: frozenset[SeriousnessCriterion]
    adr: bool
    expected: Mapping[tuple[str, str], bool | None] = field(default_factory=dict, hash=False)
    unexpected_any: bool
    fatal_or_life_threatening: bool
    expedited: bool
    rationale: tuple[str, ...]
    study: bool = False
    eea_occurrence: bool = True
    #: the per-reaction facts the deadline rules were evaluated on
    inputs: tuple[DeadlineInputs, ...] = ()
    #: rules of the table that apply, shortest deadline first
    rules: tuple[DeadlineRule, ...] = ()

    def expectedness(self, drug_id: str, reaction_id: str) -> bool | None:
        return self.expected.get((drug_id, reaction_id))

    def rules_for(self, region: str) -> tuple[DeadlineRule, ...]:
        return tuple(r for r in self.rules if r.region == region)


def _is_study(icsr: ICSR, report_type: ReportType | None, rationale: list[str]) -> bool:
    if report_type is not ReportType.STUDY:
        return False
    study_type = icsr.study.study_type if icsr.study is not None else None
    if study_type is None:
        rationale.append("report from a study of unknown type: treated as a clinical trial")
        return True
    return study_type is StudyType.CLINICAL_TRIAL


def _occurrence_in_eea(
    icsr: ICSR, reaction: Reaction, override: bool | None, rationale: list[str]
) -> bool:
    if override is not None:
        return override
    if (found := is_eea(reaction.country)) is not None:
        return found
    source = icsr.primary_source_for_regulatory_purposes()
    country = source.country if source is not None else None
    if isinstance(country, str) and (found := is_eea(country)) is not None:
        return found
    rationale.append(
        f"reaction {reaction.id!r}: country of occurrence unknown, treated as EEA "
        "(conservative: a non-serious EEA case is still submitted)"
    )
    return True


def _reaction_adr(
    reaction: Reaction,
    suspects: Iterable[Drug],
    *,
    spontaneous: bool,
    rationale: list[str],
) -> bool:
    assessments = [
        a
        for drug in suspects
        if (row := drug.assessment_for(reaction.id)) is not None
        for a in row.assessments
        if a.result
    ]
    if spontaneous:
        from_reporter = [a for a in assessments if _from_primary_source(a)]
        if from_reporter and all(excludes_causality(a) for a in from_reporter):
            rationale.append(
                f"reaction {reaction.id!r}: the reporter excludes a causal link, so this "
                "spontaneous report is not a suspected adverse reaction"
            )
            return False
        return True
    if not assessments:
        rationale.append(
            f"reaction {reaction.id!r}: no causality assessment; treated as a suspected "
            "adverse reaction until assessed"
        )
        return True
    if all(excludes_causality(a) for a in assessments):
        rationale.append(
            f"reaction {reaction.id!r}: every causality assessment excludes a causal link "
            "(adverse event, not a suspected adverse reaction)"
        )
        return False
    return True


def _expectedness(
    drug: Drug,
    reaction: Reaction,
    *,
    listed: ListedEvents | None,
    product_id_of: Callable[[Drug], str | None],
    reaction_terms: Callable[[Reaction], tuple[str, ...]],
    fatal_listed_is_unexpected: bool,
    rationale: list[str],
) -> bool | None:
    if listed is None:
        return None
    product = product_id_of(drug)
    terms = reaction_terms(reaction)
    pair = f"drug {drug.id!r} x reaction {reaction.id!r}"
    if product is None or not terms:
        what = "product" if product is None else "reaction term"
        rationale.append(f"{pair}: expectedness unknown ({what} not identified)")
        return None
    hit = next((t for t in terms if listed.is_listed(product, t)), None)
    if hit is None:
        rationale.append(f"{pair}: unexpected ({', '.join(terms)} not listed for {product!r})")
        return False
    if fatal_listed_is_unexpected and SeriousnessCriterion.DEATH in reaction_criteria(reaction):
        rationale.append(
            f"{pair}: {hit!r} is listed but the outcome is fatal: unexpected (ICH E2A, "
            "greater severity than the reference safety information)"
        )
        return False
    rationale.append(f"{pair}: expected ({hit!r} listed for {product!r})")
    return True


def classify(
    icsr: ICSR,
    *,
    listed: ListedEvents | None,
    report_type: ReportType | None = None,
    study: bool | None = None,
    eea_occurrence: bool | None = None,
    rules: Iterable[DeadlineRule] = DEFAULT_RULES,
    product_id_of: Callable[[Drug], str | None] = default_product_id,
    reaction_terms: Callable[[Reaction], tuple[str, ...]] = default_reaction_terms,
    fatal_listed_is_unexpected: bool = True,
) -> Classification:
    """Classify a case; see the module docstring for each rule.

    ``report_type`` defaults to C.1.3 of the ICSR (missing: treated as spontaneous).
    ``study`` (interventional clinical trial) defaults to C.1.3 = 2 with C.5.4 = 1 (or no
    study type). ``eea_occurrence`` defaults to each reaction's E.i.9 country, else the
    primary source's C.2.r.3 country, else EEA.
    """
    rationale: list[str] = []
    rtype = report_type if report_type is not None else icsr.report.report_type
    spontaneous = rtype in (ReportType.SPONTANEOUS, None)
    if rtype is None:
        rationale.append("report type not given: treated as spontaneous")
    in_study = study if study is not None else _is_study(icsr, rtype, rationale)

    reactions = [r for r in icsr.reactions if r.verbatim_native or r.verbatim_translation or r.term]
    suspects = [d for d in icsr.drugs if d.role in _SUSPECTED]

    # Seriousness.
    criteria: set[SeriousnessCriterion] = set()
    for reaction in reactions:
        own = reaction_criteria(reaction)
        criteria |= own
        if own:
            rationale.append(
                f"reaction {reaction.id!r} serious: "
                + ", ".join(sorted(c.name.lower() for c in own))
            )
        if SeriousnessCriterion.DEATH in own - reaction.seriousness.criteria:
            rationale.append(
                f"reaction {reaction.id!r}: outcome fatal without the death flag "
                "(E.i.3.2a): counted as death; set the flag"
            )
        if not own and reaction.term_highlighted in (
            TermHighlighted.YES_SERIOUS,
            TermHighlighted.NO_SERIOUS,
        ):
            rationale.append(
                f"reaction {reaction.id!r}: E.i.3.1 says serious but no criterion is set: "
                "ask which criterion applies"
            )
    serious = bool(criteria)
    if not serious:
        rationale.append("no seriousness criterion: non-serious")
    died = icsr.patient is not None and icsr.patient.death is not None
    if died and SeriousnessCriterion.DEATH not in criteria:
        rationale.append("the patient died (D.9) but no reaction is fatal: check")

    # Causality and expectedness, per reaction.
    expected: dict[tuple[str, str], bool | None] = {}
    inputs: list[DeadlineInputs] = []
    adr_any = False
    for reaction in reactions:
        adr = _reaction_adr(reaction, suspects, spontaneous=spontaneous, rationale=rationale)
        adr_any = adr_any or adr
        pairs = [
            _expectedness(
                drug,
                reaction,
                listed=listed,
                product_id_of=product_id_of,
                reaction_terms=reaction_terms,
                fatal_listed_is_unexpected=fatal_listed_is_unexpected,
                rationale=rationale,
            )
            for drug in suspects
        ]
        for drug, value in zip(suspects, pairs, strict=True):
            expected[(drug.id, reaction.id)] = value
        own = reaction_criteria(reaction)
        inputs.append(
            DeadlineInputs(
                serious=bool(own),
                unexpected=not pairs or any(v is not True for v in pairs),
                fatal_or_life_threatening=bool(own & _FATAL_OR_LT),
                study=in_study,
                eea_occurrence=_occurrence_in_eea(icsr, reaction, eea_occurrence, rationale),
                adr=adr,
            )
        )
    if listed is None:
        rationale.append("no reference safety information given: expectedness unknown")
    if any(v is None for v in expected.values()) or (reactions and not suspects):
        rationale.append("unknown expectedness is treated as unexpected for reporting")
    unexpected_any = any(i.unexpected for i in inputs)

    found = applicable_rules(inputs, rules)
    expedited = any(r.expedited for r in found)
    for rule in found:
        rationale.append(f"rule {rule.id}: {rule.label}")
    if not found:
        rationale.append("no reporting rule applies (e.g. non-serious non-EEA: not submitted)")

    return Classification(
        serious=serious,
        criteria=frozenset(criteria),
        adr=adr_any,
        expected=MappingProxyType(expected),
        unexpected_any=unexpected_any,
        fatal_or_life_threatening=bool(criteria & _FATAL_OR_LT),
        expedited=expedited,
        rationale=tuple(rationale),
        study=in_study,
        eea_occurrence=any(i.eea_occurrence for i in inputs),
        inputs=tuple(inputs),
        rules=found,
    )
