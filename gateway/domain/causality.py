"""Causality of one suspect drug for one event: WHO-UMC and the Naranjo algorithm.

Both methods take what the assessor found and compute the category, so the category
always follows from recorded answers and can be checked later by an inspector.

**WHO-UMC** (Uppsala Monitoring Centre, "The use of the WHO-UMC system for standardised
case causality assessment"). The criteria, top down:

* information insufficient or contradictory and it cannot be supplemented -> Unassessable
* more data needed and being sought -> Conditional
* the time relationship makes a link improbable -> Unlikely
* plausible time, other causes ruled out, positive dechallenge, the event pharmacologically
  or phenomenologically definitive, rechallenge satisfactory if done -> Certain
* plausible time, other causes unlikely (or ruled out), positive dechallenge -> Probable
* plausible time otherwise (disease or other drugs could explain it; withdrawal
  information lacking or unclear) -> Possible

A negative rechallenge counts against a link: it caps the category at Possible.

**Naranjo** (Naranjo et al., Clin Pharmacol Ther 1981): ten questions answered yes, no or
don't know, each answer scoring the points of ``NARANJO_QUESTIONS``; the total gives the
category: >= 9 Definite, 5-8 Probable, 1-4 Possible, <= 0 Doubtful.

In E2B(R3) each result is one G.k.9.i.2.r row: source (who assessed), method, result
(the category name). ``with_assessment`` puts it into the drug-reaction matrix, replacing
only the row of the same source and method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TypeVar

from gateway.domain.drug import CausalityAssessment, Drug, DrugReactionAssessment
from gateway.domain.icsr import ICSR
from gateway.errors import InvalidMessageError

__all__ = [
    "COMPANY_SOURCE",
    "METHOD_NARANJO",
    "METHOD_WHO_UMC",
    "NARANJO_QUESTIONS",
    "Dechallenge",
    "InformationStatus",
    "NaranjoAnswer",
    "NaranjoCategory",
    "NaranjoQuestion",
    "NaranjoResult",
    "OtherCauses",
    "Rechallenge",
    "TimeRelationship",
    "WhoUmcCategory",
    "WhoUmcCriteria",
    "WhoUmcResult",
    "assess_naranjo",
    "assess_who_umc",
    "causality_pairs",
    "naranjo_answers_from",
    "naranjo_category",
    "with_assessment",
]

#: G.k.9.i.2.r.1 source for the company's own assessment
COMPANY_SOURCE = "Sender"
METHOD_WHO_UMC = "WHO-UMC"
METHOD_NARANJO = "Naranjo"
_E2B_TEXT_MAX = 60  # G.k.9.i.2.r.1-3 are 60-character free text
_E = TypeVar("_E", bound=StrEnum)


# -- WHO-UMC ---------------------------------------------------------------------------------
class WhoUmcCategory(StrEnum):
    """The six WHO-UMC categories (values are stored and sent as G.k.9.i.2.r.3)."""

    CERTAIN = "Certain"
    PROBABLE = "Probable/Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    CONDITIONAL = "Conditional/Unclassified"
    UNASSESSABLE = "Unassessable/Unclassifiable"


class InformationStatus(StrEnum):
    SUFFICIENT = "sufficient"
    AWAITED = "awaited"  # more data needed and being sought (follow-up open)
    INSUFFICIENT = "insufficient"  # insufficient or contradictory; cannot be supplemented


class TimeRelationship(StrEnum):
    PLAUSIBLE = "plausible"  # event follows intake in a plausible time
    IMPROBABLE = "improbable"  # the timing makes a link improbable (not impossible)
    UNKNOWN = "unknown"


class OtherCauses(StrEnum):
    """Could disease or other drugs explain the event?"""

    RULED_OUT = "ruled_out"  # cannot be explained by disease or other drugs
    UNLIKELY = "unlikely"  # unlikely to be attributed to disease or other drugs
    POSSIBLE = "possible"  # could also be explained by disease or other drugs


class Dechallenge(StrEnum):
    """Response to withdrawal (or dose reduction)."""

    POSITIVE = "positive"  # improved: clinically/pharmacologically plausible
    NEGATIVE = "negative"  # did not improve
    NOT_DONE = "not_done"
    UNKNOWN = "unknown"


class Rechallenge(StrEnum):
    POSITIVE = "positive"  # recurred on re-administration
    NEGATIVE = "negative"  # did not recur
    NOT_DONE = "not_done"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class WhoUmcCriteria:
    """What the assessor found, criterion by criterion."""

    information: InformationStatus
    time_relationship: TimeRelationship
    other_causes: OtherCauses
    dechallenge: Dechallenge
    rechallenge: Rechallenge
    #: the event is pharmacologically or phenomenologically definitive (an objective,
    #: specific disorder or a recognised pharmacological phenomenon)
    definitive: bool

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> WhoUmcCriteria:
        """Read criteria from plain values (API, store); names the field that is wrong."""
        definitive = data.get("definitive", False)
        if not isinstance(definitive, bool):
            raise InvalidMessageError("who_umc.definitive must be true or false")
        return cls(
            information=_member(InformationStatus, data, "information"),
            time_relationship=_member(TimeRelationship, data, "time_relationship"),
            other_causes=_member(OtherCauses, data, "other_causes"),
            dechallenge=_member(Dechallenge, data, "dechallenge"),
            rechallenge=_member(Rechallenge, data, "rechallenge"),
            definitive=definitive,
        )

    def as_mapping(self) -> dict[str, object]:
        return {
            "information": self.information.value,
            "time_relationship": self.time_relationship.value,
            "other_causes": self.other_causes.value,
            "dechallenge": self.dechallenge.value,
            "rechallenge": self.rechallenge.value,
            "definitive": self.definitive,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class WhoUmcResult:
    category: WhoUmcCategory
    criteria: WhoUmcCriteria
    #: why this category: the deciding criteria, in words
    basis: tuple[str, ...]


def assess_who_umc(criteria: WhoUmcCriteria) -> WhoUmcResult:
    """The WHO-UMC category the criteria lead to (see the module docstring)."""
    c = criteria
    if c.information is InformationStatus.INSUFFICIENT:
        return _who(c, WhoUmcCategory.UNASSESSABLE, "information insufficient or contradictory")
    if c.information is InformationStatus.AWAITED:
        return _who(c, WhoUmcCategory.CONDITIONAL, "more data are needed and being sought")
    if c.time_relationship is TimeRelationship.UNKNOWN:
        # Without the timing nothing can be judged; the information is not in fact sufficient.
        return _who(
            c, WhoUmcCategory.UNASSESSABLE, "the time relationship to drug intake is unknown"
        )
    if c.time_relationship is TimeRelationship.IMPROBABLE:
        return _who(
            c,
            WhoUmcCategory.UNLIKELY,
            "the time relationship makes a causal link improbable",
            *(
                ["disease or other drugs could explain the event"]
                if c.other_causes is OtherCauses.POSSIBLE
                else []
            ),
        )
    basis = ["plausible time relationship to drug intake"]
    if c.rechallenge is Rechallenge.NEGATIVE:
        basis.append("the event did not recur on rechallenge")
        return _who(c, WhoUmcCategory.POSSIBLE, *basis)
    if c.other_causes is OtherCauses.POSSIBLE:
        basis.append("disease or other drugs could also explain the event")
        return _who(c, WhoUmcCategory.POSSIBLE, *basis)
    if c.dechallenge is not Dechallenge.POSITIVE:
        basis.append(f"response to withdrawal {_dechallenge_words(c.dechallenge)}")
        return _who(c, WhoUmcCategory.POSSIBLE, *basis)
    if c.other_causes is OtherCauses.RULED_OUT and c.definitive:
        basis += [
            "disease and other drugs ruled out",
            "clinically plausible response to withdrawal",
            "event pharmacologically or phenomenologically definitive",
            "positive rechallenge"
            if c.rechallenge is Rechallenge.POSITIVE
            else "rechallenge not needed",
        ]
        return _who(c, WhoUmcCategory.CERTAIN, *basis)
    basis += [
        "disease and other drugs ruled out"
        if c.other_causes is OtherCauses.RULED_OUT
        else "unlikely to be due to disease or other drugs",
        "clinically reasonable response to withdrawal",
    ]
    if not c.definitive:
        basis.append("event not pharmacologically or phenomenologically definitive")
    return _who(c, WhoUmcCategory.PROBABLE, *basis)


def _dechallenge_words(d: Dechallenge) -> str:
    return {
        Dechallenge.NEGATIVE: "absent (no improvement)",
        Dechallenge.NOT_DONE: "not known (drug not withdrawn)",
        Dechallenge.UNKNOWN: "lacking or unclear",
        Dechallenge.POSITIVE: "plausible",
    }[d]


def _who(criteria: WhoUmcCriteria, category: WhoUmcCategory, *basis: str) -> WhoUmcResult:
    return WhoUmcResult(category=category, criteria=criteria, basis=tuple(basis))


# -- Naranjo ---------------------------------------------------------------------------------
class NaranjoAnswer(StrEnum):
    YES = "yes"
    NO = "no"
    DONT_KNOW = "dont_know"


class NaranjoCategory(StrEnum):
    DEFINITE = "Definite"
    PROBABLE = "Probable"
    POSSIBLE = "Possible"
    DOUBTFUL = "Doubtful"


@dataclass(frozen=True, slots=True)
class NaranjoQuestion:
    number: int
    text: str
    yes: int
    no: int
    dont_know: int = 0

    def points(self, answer: NaranjoAnswer) -> int:
        if answer is NaranjoAnswer.YES:
            return self.yes
        if answer is NaranjoAnswer.NO:
            return self.no
        return self.dont_know


NARANJO_QUESTIONS: tuple[NaranjoQuestion, ...] = (
    NaranjoQuestion(1, "Are there previous conclusive reports on this reaction?", 1, 0),
    NaranjoQuestion(
        2, "Did the adverse event appear after the suspected drug was administered?", 2, -1
    ),
    NaranjoQuestion(
        3,
        "Did the adverse reaction improve when the drug was discontinued or a specific "
        "antagonist was administered?",
        1,
        0,
    ),
    NaranjoQuestion(
        4, "Did the adverse reaction reappear when the drug was readministered?", 2, -1
    ),
    NaranjoQuestion(
        5,
        "Are there alternative causes (other than the drug) that could on their own have "
        "caused the reaction?",
        -1,
        2,
    ),
    NaranjoQuestion(6, "Did the reaction reappear when a placebo was given?", -1, 1),
    NaranjoQuestion(
        7,
        "Was the drug detected in the blood (or other fluids) in concentrations known to be toxic?",
        1,
        0,
    ),
    NaranjoQuestion(
        8,
        "Was the reaction more severe when the dose was increased, or less severe when the "
        "dose was decreased?",
        1,
        0,
    ),
    NaranjoQuestion(
        9,
        "Did the patient have a similar reaction to the same or similar drugs in any "
        "previous exposure?",
        1,
        0,
    ),
    NaranjoQuestion(10, "Was the adverse event confirmed by any objective evidence?", 1, 0),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NaranjoResult:
    answers: tuple[NaranjoAnswer, ...]  # question 1 to 10
    points: tuple[int, ...]  # per question, in the same order
    score: int
    category: NaranjoCategory


def naranjo_category(score: int) -> NaranjoCategory:
    if score >= 9:
        return NaranjoCategory.DEFINITE
    if score >= 5:
        return NaranjoCategory.PROBABLE
    if score >= 1:
        return NaranjoCategory.POSSIBLE
    return NaranjoCategory.DOUBTFUL


def assess_naranjo(answers: tuple[NaranjoAnswer, ...] | list[NaranjoAnswer]) -> NaranjoResult:
    """Score the ten answers (question 1 first) and categorise the total."""
    if len(answers) != len(NARANJO_QUESTIONS):
        raise InvalidMessageError(
            f"the Naranjo questionnaire has {len(NARANJO_QUESTIONS)} questions; "
            f"{len(answers)} answers were given"
        )
    checked = tuple(NaranjoAnswer(a) for a in answers)
    points = tuple(q.points(a) for q, a in zip(NARANJO_QUESTIONS, checked, strict=True))
    score = sum(points)
    return NaranjoResult(
        answers=checked, points=points, score=score, category=naranjo_category(score)
    )


def naranjo_answers_from(values: object) -> tuple[NaranjoAnswer, ...]:
    """Answers from a list of ten strings, naming the one that is not yes/no/dont_know."""
    if not isinstance(values, list | tuple):
        raise InvalidMessageError("naranjo.answers must be a list of ten answers")
    found: list[NaranjoAnswer] = []
    for index, value in enumerate(values, start=1):
        try:
            found.append(NaranjoAnswer(str(value)))
        except ValueError:
            allowed = ", ".join(a.value for a in NaranjoAnswer)
            raise InvalidMessageError(
                f"naranjo answer {index} is {value!r}; expected one of {allowed}"
            ) from None
    return tuple(found)


# -- the case's drug-reaction matrix ---------------------------------------------------------
def causality_pairs(icsr: ICSR) -> tuple[tuple[Drug, str], ...]:
    """Every (suspect or interacting drug, reaction id) pair that needs an assessment."""
    return tuple((d, r.id) for d in icsr.suspect_drugs() for r in icsr.reactions)


def with_assessment(
    icsr: ICSR,
    *,
    drug_id: str,
    reaction_id: str,
    method: str,
    result: str,
    source: str = COMPANY_SOURCE,
) -> ICSR:
    """The ICSR with G.k.9.i.2.r (source, method, result) set for one drug x reaction.

    An existing row of the same source and method is replaced (a revision); rows of other
    sources (the reporter's own opinion) are kept as they were.
    """
    for text, name in ((source, "source"), (method, "method"), (result, "result")):
        if not text.strip() or len(text) > _E2B_TEXT_MAX:
            raise InvalidMessageError(
                f"G.k.9.i.2.r {name} must be 1-{_E2B_TEXT_MAX} characters, got {text!r}"
            )
    drug = icsr.drug_by_id(drug_id)
    if drug is None:
        raise InvalidMessageError(f"the case has no drug {drug_id!r}")
    if not drug.is_suspected:
        raise InvalidMessageError(f"drug {drug_id!r} is not suspect or interacting (G.k.1)")
    if icsr.reaction_by_id(reaction_id) is None:
        raise InvalidMessageError(f"the case has no reaction {reaction_id!r}")
    new = CausalityAssessment(source=source, method=method, result=result)
    row = drug.assessment_for(reaction_id) or DrugReactionAssessment(reaction_id=reaction_id)
    kept = tuple(
        a for a in row.assessments if not (_same(a.source, source) and _same(a.method, method))
    )
    row = replace(row, assessments=(*kept, new))
    rows = tuple(r for r in drug.reaction_assessments if r.reaction_id != reaction_id)
    drugs = tuple(
        replace(d, reaction_assessments=(*rows, row)) if d.id == drug_id else d for d in icsr.drugs
    )
    return replace(icsr, drugs=drugs)


def _same(a: str | None, b: str) -> bool:
    return (a or "").strip().casefold() == b.strip().casefold()


def _member(enum: type[_E], data: Mapping[str, object], name: str) -> _E:
    value = data.get(name)
    try:
        return enum(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidMessageError(
            f"who_umc.{name} is {value!r}; expected one of {allowed}"
        ) from None
