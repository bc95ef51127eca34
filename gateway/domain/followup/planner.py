"""What to ask the reporter next: ``plan_followup``.

Priority: the missing minimum criteria first (the case is not reportable without them),
then the questions of the case's track (``PlannerRules``): serious or expedited cases get
the full list, non-serious *valid* cases a short one, non-serious invalid cases only the
criteria. Of those, only what the ICSR does not already hold is asked, and nothing the
reporter was already asked. At most ``max_questions`` go in one request; the rest is
kept in ``FollowUpPlan.deferred`` for a later one.

What counts as present (decisions):

* a value counts when it is there, or when its nullFlavor is ``MSK`` (known, masked) or
  ``ASKU`` (we asked; the reporter did not know): asking again would not help;
* per-reaction data (outcome, onset date) must be present for *every* reaction; an
  outcome of ``UNKNOWN`` (E.i.7 = 0) counts as missing;
* per-product data (dose, route, indication, batch, dechallenge, rechallenge) must be
  present for every suspect or interacting drug;
* questions about a reaction or product are not asked while the reaction or product
  itself is missing (its minimum-criterion question covers it), nor age and sex while
  the patient is not identified at all (``PATIENT_IDENTIFIER`` asks for them);
* rechallenge is not asked of a drug whose dose was not changed or for which withdrawal
  does not apply (there was no dechallenge to follow).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass

from gateway.domain.codes import ActionTaken, DrugRole, ReactionOutcome
from gateway.domain.drug import Drug
from gateway.domain.followup.questions import Question
from gateway.domain.followup.rules import DEFAULT_RULES, PlannerRules, ProductRules
from gateway.domain.icsr import ICSR
from gateway.domain.validity import Criterion
from gateway.domain.values import NullFlavor

__all__ = [
    "DEFAULT_RULES",
    "QUESTION_FOR_CRITERION",
    "FollowUpPlan",
    "PlannerRules",
    "ProductRules",
    "plan_followup",
    "present_questions",
]

QUESTION_FOR_CRITERION: dict[Criterion, Question] = {
    Criterion.IDENTIFIABLE_REPORTER: Question.REPORTER_CONTACT,
    Criterion.IDENTIFIABLE_PATIENT: Question.PATIENT_IDENTIFIER,
    Criterion.SUSPECT_PRODUCT: Question.SUSPECT_PRODUCT,
    Criterion.ADVERSE_REACTION: Question.REACTION,
}

_KNOWN_NULL_FLAVORS = frozenset({NullFlavor.MSK, NullFlavor.ASKU})
_NO_DECHALLENGE = frozenset({ActionTaken.DOSE_NOT_CHANGED, ActionTaken.NOT_APPLICABLE})
_REACTION_QUESTIONS = frozenset(
    {Question.OUTCOME, Question.ONSET_DATE, Question.DECHALLENGE, Question.RECHALLENGE}
)
_PRODUCT_QUESTIONS = frozenset(
    {
        Question.DOSE,
        Question.ROUTE,
        Question.INDICATION,
        Question.BATCH,
        Question.DECHALLENGE,
        Question.RECHALLENGE,
    }
)
_PATIENT_QUESTIONS = frozenset({Question.PATIENT_AGE, Question.PATIENT_SEX})


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpPlan:
    """The questions for the next request, in priority order.

    ``deferred``: wanted but over ``max_questions``, for a later request.
    ``track``: ``"serious"`` (serious or expedited) or ``"non_serious"``.
    ``missing_criteria``: the minimum criteria the case still lacks (invalid case).
    """

    questions: tuple[Question, ...]
    deferred: tuple[Question, ...] = ()
    track: str
    missing_criteria: tuple[Criterion, ...] = ()

    def __post_init__(self) -> None:
        if not self.questions:
            raise ValueError("a follow-up plan asks at least one question")

    @property
    def completes_validity(self) -> bool:
        """True when the request asks for every missing minimum criterion."""
        wanted = {QUESTION_FOR_CRITERION[c] for c in self.missing_criteria}
        return bool(wanted) and wanted <= set(self.questions)


def _known(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, NullFlavor):
        return value in _KNOWN_NULL_FLAVORS
    if isinstance(value, str):
        return bool(value.strip())
    return True


def _every_suspect(icsr: ICSR, has: Callable[[Drug], bool]) -> bool:
    suspects = icsr.suspect_drugs()
    return bool(suspects) and all(has(d) for d in suspects)


def _has_dose(drug: Drug) -> bool:
    return any(d.dose is not None or _known(d.text) for d in drug.dosages)


def _has_route(drug: Drug) -> bool:
    return any(_known(d.route) or d.route_term is not None for d in drug.dosages)


def _has_batch(drug: Drug) -> bool:
    return any(_known(d.batch_lot) for d in drug.dosages)


def _has_indication(drug: Drug) -> bool:
    return any(_known(i.text) or i.term is not None for i in drug.indications)


def _has_dechallenge(drug: Drug) -> bool:
    return drug.action_taken is not None and drug.action_taken is not ActionTaken.UNKNOWN


def _has_rechallenge(drug: Drug) -> bool:
    if drug.action_taken in _NO_DECHALLENGE:
        return True  # nothing was withdrawn, so there is nothing to re-introduce
    return any(a.recurrence is not None for a in drug.reaction_assessments)


def _present(icsr: ICSR, question: Question) -> bool:
    patient = icsr.patient
    reactions = icsr.reactions
    match question:
        case Question.OUTCOME:
            return bool(reactions) and all(
                r.outcome is not None and r.outcome is not ReactionOutcome.UNKNOWN
                for r in reactions
            )
        case Question.ONSET_DATE:
            return bool(reactions) and all(_known(r.start) for r in reactions)
        case Question.PATIENT_AGE:
            return patient is not None and (
                patient.age_at_onset is not None
                or _known(patient.birth_date)
                or patient.age_group is not None
                or patient.gestation_period_at_onset is not None
            )
        case Question.PATIENT_SEX:
            return patient is not None and _known(patient.sex)
        case Question.SERIOUSNESS:
            return icsr.is_serious()
        case Question.DOSE:
            return _every_suspect(icsr, _has_dose)
        case Question.ROUTE:
            return _every_suspect(icsr, _has_route)
        case Question.INDICATION:
            return _every_suspect(icsr, _has_indication)
        case Question.BATCH:
            return _every_suspect(icsr, _has_batch)
        case Question.MEDICAL_HISTORY:
            return patient is not None and (
                bool(patient.medical_history) or _known(patient.medical_history_text)
            )
        case Question.CONCOMITANT_DRUGS:
            return bool(icsr.drugs_with_role(DrugRole.CONCOMITANT))
        case Question.RELEVANT_TESTS:
            return bool(icsr.tests)
        case Question.DECHALLENGE:
            return _every_suspect(icsr, _has_dechallenge)
        case Question.RECHALLENGE:
            return _every_suspect(icsr, _has_rechallenge)
        case _:
            # minimum criteria: decided by the validity assessment, not here
            return False


def present_questions(icsr: ICSR) -> frozenset[Question]:
    """The non-criterion questions whose answer the ICSR already holds (for audit/UI)."""
    return frozenset(q for q in Question if not q.is_minimum_criterion and _present(icsr, q))


def _product_keys(icsr: ICSR, product_ids: Collection[str]) -> Iterator[str]:
    """Keys a per-product rule may name: catalogue ids, then what each suspect carries."""
    yield from product_ids
    for drug in icsr.suspect_drugs():
        for coded in (drug.mpid, drug.phpid):
            if coded is not None:
                yield coded.code
        if drug.name_as_reported:
            yield drug.name_as_reported
        for substance in drug.substances:
            if substance.name:
                yield substance.name


def _check_validity_inputs(valid: bool, missing: tuple[Criterion, ...]) -> None:
    if valid and missing:
        names = ", ".join(c.value for c in missing)
        raise ValueError(f"a valid case cannot miss minimum criteria (got {names})")
    if not valid and not missing:
        raise ValueError("an invalid case must name the minimum criteria it misses")


def plan_followup(
    icsr: ICSR,
    *,
    valid: bool,
    missing_criteria: Collection[Criterion],
    serious: bool,
    expedited: bool,
    rules: PlannerRules = DEFAULT_RULES,
    already_asked: Collection[Question] = (),
    max_questions: int = 4,
    product_ids: Collection[str] = (),
) -> FollowUpPlan | None:
    """The next follow-up request's questions, or None when nothing is worth asking.

    ``valid``/``missing_criteria`` come from ``assess_validity``; ``serious`` and
    ``expedited`` from classification. ``product_ids``: catalogue ids of the suspect
    products, when the caller knows them (per-product rules may be keyed by them).
    """
    if max_questions < 1:
        raise ValueError(f"max_questions must be at least 1, got {max_questions}")
    missing = tuple(c for c in Criterion if c in set(missing_criteria))
    _check_validity_inputs(valid, missing)
    asked = frozenset(already_asked)

    wanted: list[Question] = [QUESTION_FOR_CRITERION[c] for c in missing]
    serious_track = serious or expedited
    if serious_track or valid:
        skip: set[Question] = set()
        if Criterion.ADVERSE_REACTION in missing:
            skip |= _REACTION_QUESTIONS
        if Criterion.SUSPECT_PRODUCT in missing:
            skip |= _PRODUCT_QUESTIONS
        if Criterion.IDENTIFIABLE_PATIENT in missing:
            skip |= _PATIENT_QUESTIONS
        keys = _product_keys(icsr, product_ids)
        for question in rules.questions_for(keys, serious=serious_track):
            if question not in skip and question not in wanted and not _present(icsr, question):
                wanted.append(question)

    wanted = [q for q in wanted if q not in asked]
    if not wanted:
        return None
    return FollowUpPlan(
        questions=tuple(wanted[:max_questions]),
        deferred=tuple(wanted[max_questions:]),
        track="serious" if serious_track else "non_serious",
        missing_criteria=missing,
    )
