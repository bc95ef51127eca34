"""A reporter's reply applied to a case: the next version of its ICSR and what changed.

``apply_reply`` reads only the reply's *new* text (``extract_reply``), so quoted history
never reaches the case. It fills what the answers state (an answer to an asked question
may correct a value) and what the intake normaliser reads in the reply (only where the
case has nothing yet: patient age and sex, onset, outcome, seriousness criteria with
negation respected, dose and route, new reactions and suspect products), appends the
reporter's words to the narrative, then reassesses validity, seriousness, expectedness
and MedDRA coding with the same pure functions as intake.

Significant new information (GVP VI.C.6.2.2.7, ``validity.significant_changes``): a new
suspect drug or reaction, a seriousness change, death, new causality; and a case that
becomes valid. Adding an age or a recovered outcome to an assessed case is not.
``follow_up_day_zero`` turns that into the clock: a new Day 0 when the reply makes the
case valid or brings significant information, otherwise the previous one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TypeVar

from gateway.domain.catalogue import fold
from gateway.domain.classification import (
    CatalogueListedEvents,
    Classification,
    catalogue_product_id,
    classify,
)
from gateway.domain.codes import DrugRole, ReactionOutcome, SeriousnessCriterion, Sex
from gateway.domain.drug import Dosage, Drug, Indication, Substance
from gateway.domain.followup.questions import Question
from gateway.domain.icsr import ICSR
from gateway.domain.intake import DIGITAL_CHANNELS, IntakeReferences
from gateway.domain.normaliser import ChannelContext, Draft, normalise
from gateway.domain.normaliser.draft import code_reaction
from gateway.domain.normaliser.language import ISO_639_2
from gateway.domain.normaliser.model import ProductDraft, ReactionDraft
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.replies.answers import Answer
from gateway.domain.report import PrimarySource
from gateway.domain.validity import (
    Criterion,
    ValidityAssessment,
    assess_validity,
    significant_changes,
)
from gateway.domain.values import DatePrecision, MedDRATerm, NullFlavor, PartialDate, Quantity

__all__ = ["FieldChange", "ReplyUpdate", "apply_reply", "follow_up_day_zero"]

T = TypeVar("T")

#: questions whose answers are context, not events: a reaction read there is not new
_CONTEXT_QUESTIONS = frozenset(
    {
        Question.MEDICAL_HISTORY,
        Question.INDICATION,
        Question.CONCOMITANT_DRUGS,
        Question.RELEVANT_TESTS,
    }
)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One leaf of the ICSR that changed, as JSON-safe strings (None: absent)."""

    path: str  # e.g. "patient.age_at_onset", "reactions[0].outcome"
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplyUpdate:
    """The next version of a case after a reply, and the reassessment."""

    icsr: ICSR
    changes: tuple[FieldChange, ...]
    validity: ValidityAssessment
    classification: Classification
    became_valid: bool
    significant: bool
    significance_reasons: tuple[str, ...]
    answered: frozenset[Question]
    still_missing: tuple[Question, ...]
    coding_rationale: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


# --- reading the reply -------------------------------------------------------------------


def _answer(answers: Sequence[Answer], question: Question) -> Answer | None:
    return next((a for a in answers if a.question is question and a.value is not None), None)


def _value_of(answers: Sequence[Answer], question: Question, kind: type[T]) -> T | None:
    found = _answer(answers, question)
    return found.value if found is not None and isinstance(found.value, kind) else None


def _context_spans(answers: Sequence[Answer]) -> list[tuple[int, int]]:
    return [a.span for a in answers if a.question in _CONTEXT_QUESTIONS]


def _inside(span: tuple[int, int] | None, spans: list[tuple[int, int]]) -> bool:
    return span is not None and any(s <= span[0] and span[1] <= e for s, e in spans)


def _same_event(reaction: Reaction, draft: ReactionDraft) -> bool:
    old = fold(reaction.verbatim_native or "")
    new = fold(draft.verbatim.value)
    if not old or not new:
        return False
    return (
        old in new or new in old or (draft.term_hint is not None and fold(draft.term_hint) in old)
    )


# --- filling the ICSR --------------------------------------------------------------------


def _patient(patient: Patient | None, draft: Draft, answers: Sequence[Answer]) -> Patient:
    current = patient or Patient()
    age = _value_of(answers, Question.PATIENT_AGE, Quantity)
    if age is None:
        age = _value_of(answers, Question.PATIENT_IDENTIFIER, Quantity)
    if age is None and current.age_at_onset is None and draft.patient.age is not None:
        age = draft.patient.age.value
    sex = _value_of(answers, Question.PATIENT_SEX, Sex)
    if sex is None:
        sex = _value_of(answers, Question.PATIENT_IDENTIFIER, Sex)
    if sex is None and current.sex is None and draft.patient.sex is not None:
        sex = draft.patient.sex.value
    initials = current.name_or_initials
    if initials is None and draft.patient.initials is not None:
        initials = draft.patient.initials.value
    history = _value_of(answers, Question.MEDICAL_HISTORY, str)
    return replace(
        current,
        age_at_onset=age if age is not None else current.age_at_onset,
        sex=sex if sex is not None else current.sex,
        name_or_initials=initials,
        medical_history_text=(
            history
            if history is not None and current.medical_history_text is None
            else current.medical_history_text
        ),
    )


def _criteria_for(
    index: int, draft: Draft, matches: dict[int, int]
) -> frozenset[SeriousnessCriterion]:
    """Criteria the reply asserts for this reaction: those attached to a reaction of the
    reply that is this one, or attached to no reaction at all ("she was admitted")."""
    found: set[SeriousnessCriterion] = set()
    for finding in draft.seriousness:
        targets = {matches[i] for i in finding.reaction_indices if i in matches}
        if index in targets or not finding.reaction_indices:
            found.add(finding.criterion.value)
    return frozenset(found)


def _reactions(
    icsr: ICSR,
    draft: Draft,
    answers: Sequence[Answer],
    refs: IntakeReferences,
    language: str | None,
) -> tuple[tuple[Reaction, ...], list[str]]:
    context = _context_spans(answers)
    replied = [r for r in draft.reactions if not _inside(r.verbatim.span, context)]
    # reply reaction index (in draft.reactions) -> case reaction index
    matches: dict[int, int] = {}
    for d_index, d in enumerate(draft.reactions):
        if d not in replied:
            continue
        for c_index, reaction in enumerate(icsr.reactions):
            if _same_event(reaction, d):
                matches[d_index] = c_index
                break
    outcome = _value_of(answers, Question.OUTCOME, ReactionOutcome)
    onset = _value_of(answers, Question.ONSET_DATE, PartialDate)
    rationale: list[str] = []
    updated: list[Reaction] = []
    for c_index, reaction in enumerate(icsr.reactions):
        matched = [draft.reactions[d] for d, c in matches.items() if c == c_index]
        new_outcome = reaction.outcome
        if outcome is not None and reaction.outcome in (None, ReactionOutcome.UNKNOWN):
            new_outcome = outcome
        elif new_outcome is None:
            new_outcome = next((m.outcome.value for m in matched if m.outcome), None)
        start = reaction.start
        if start is None:
            start = onset or next((m.onset.value for m in matched if m.onset), None)
        criteria = reaction.seriousness.criteria | _criteria_for(c_index, draft, matches)
        if new_outcome is ReactionOutcome.FATAL:
            criteria |= {SeriousnessCriterion.DEATH}
        term, note = _recode(reaction, matched, refs)
        if note:
            rationale.append(note)
        updated.append(
            replace(
                reaction,
                outcome=new_outcome,
                start=start,
                seriousness=_seriousness(reaction.seriousness, criteria),
                term=term,
            )
        )
    next_id = _Counter("R", {r.id for r in icsr.reactions})
    for d_index, d in enumerate(draft.reactions):
        if d not in replied or d_index in matches:
            continue
        criteria = frozenset(
            f.criterion.value for f in draft.seriousness if d_index in f.reaction_indices
        )
        coded = code_reaction(d, refs.coder) if refs.coder is not None else None
        term = (
            MedDRATerm(version=_version(coded, refs), code=str(coded.llt_code))
            if coded is not None and _version(coded, refs)
            else None
        )
        updated.append(
            Reaction(
                id=next_id(),
                verbatim_native=d.verbatim.value,
                verbatim_language=ISO_639_2.get(language or draft.language.value),
                term=term,
                seriousness=Seriousness.of(*criteria),
                start=d.onset.value if d.onset else onset,
                outcome=d.outcome.value if d.outcome else outcome,
            )
        )
    return tuple(updated), rationale


def _seriousness(current: Seriousness, criteria: frozenset[SeriousnessCriterion]) -> Seriousness:
    if criteria == current.criteria:
        return current
    return Seriousness.of(*criteria)


def _version(coded: object, refs: IntakeReferences) -> str:
    for holder in (coded, refs.coder, getattr(refs.coder, "dictionary", None)):
        version = getattr(holder, "version", None) if holder is not None else None
        if isinstance(version, str):
            return version
    return ""


def _recode(
    reaction: Reaction, matched: list[ReactionDraft], refs: IntakeReferences
) -> tuple[MedDRATerm | None, str]:
    """Recode a reaction the reply describes in more detail; say why when the LLT moves."""
    if refs.coder is None:
        return reaction.term, ""
    richer = [m for m in matched if len(m.verbatim.value) > len(reaction.verbatim_native or "")]
    if not richer:
        return reaction.term, ""
    coded = code_reaction(richer[0], refs.coder)
    if coded is None or getattr(coded, "needs_review", False):
        return reaction.term, ""
    term = MedDRATerm(version=_version(coded, refs) or "", code=str(coded.llt_code))
    if reaction.term is not None and reaction.term.code == term.code:
        return reaction.term, ""
    old = reaction.term.code if reaction.term is not None else "none"
    name = getattr(coded, "llt_name", term.code)
    return term, (
        f"reaction {reaction.id}: LLT {old} -> {term.code} ({name}): the reporter's follow-up "
        f"describes the event in more detail ({richer[0].verbatim.value!r})"
    )


class _Counter:
    """Fresh local ids (``R3``, ``D2``) that do not clash with the case's own."""

    def __init__(self, prefix: str, taken: set[str]) -> None:
        self._prefix = prefix
        self._taken = taken

    def __call__(self) -> str:
        n = len(self._taken) + 1
        while f"{self._prefix}{n}" in self._taken:
            n += 1
        local_id = f"{self._prefix}{n}"
        self._taken.add(local_id)
        return local_id


def _known_product(icsr: ICSR, product: ProductDraft) -> Drug | None:
    names = {fold(n) for n, _ in product.product.names()}
    for drug in icsr.drugs:
        labels = [drug.name_as_reported or ""] + [s.name or "" for s in drug.substances]
        if any(
            fold(label) in names or any(n in fold(label) for n in names if n)
            for label in labels
            if label
        ):
            return drug
    return None


def _drugs(icsr: ICSR, draft: Draft, answers: Sequence[Answer]) -> tuple[Drug, ...]:
    context = _context_spans(answers)
    drugs = list(icsr.drugs)
    next_id = _Counter("D", {d.id for d in drugs})
    for product in draft.products:
        if _inside(product.name.span, context) or _known_product(icsr, product) is not None:
            continue
        if product.role.value not in (DrugRole.SUSPECT, DrugRole.INTERACTING):
            continue
        item = product.product
        number, country = item.authorisation()
        drugs.append(
            Drug(
                id=next_id(),
                role=product.role.value,
                name_as_reported=product.name.value,
                substances=tuple(Substance(name=s) for s in item.active_substances),
                authorisation_number=number,
                authorisation_country=country,
                authorisation_holder=item.authorisation_holder,
            )
        )
    dose = _value_of(answers, Question.DOSE, Quantity)
    dose_text = _value_of(answers, Question.DOSE, str)
    route = _value_of(answers, Question.ROUTE, str)
    batch = _value_of(answers, Question.BATCH, str)
    indication = _value_of(answers, Question.INDICATION, str)
    if not any(v is not None for v in (dose, dose_text, route, batch, indication)):
        return tuple(drugs)
    index = next((i for i, d in enumerate(drugs) if d.is_suspected), None)
    if index is None:
        return tuple(drugs)
    drug = drugs[index]
    dosage = drug.dosages[0] if drug.dosages else Dosage()
    dosage = replace(
        dosage,
        dose=dosage.dose or dose,
        text=dosage.text or dose_text,
        route=dosage.route or route,
        batch_lot=dosage.batch_lot or batch,
    )
    indications = drug.indications or (
        (Indication(text=indication),) if indication is not None else ()
    )
    drugs[index] = replace(drug, dosages=(dosage, *drug.dosages[1:]), indications=indications)
    return tuple(drugs)


def _sources(icsr: ICSR, draft: Draft, answers: Sequence[Answer]) -> tuple[PrimarySource, ...]:
    contact = _value_of(answers, Question.REPORTER_CONTACT, str)
    email = contact if contact is not None and "@" in contact else None
    phone = contact if contact is not None and "@" not in contact else None
    if email is None and draft.reporter.email is not None and draft.reporter.email.span:
        email = draft.reporter.email.value
    if phone is None and draft.reporter.phone is not None and draft.reporter.phone.span:
        phone = draft.reporter.phone.value
    if email is None and phone is None:
        return icsr.primary_sources
    sources = list(icsr.primary_sources) or [PrimarySource(primary_for_regulatory_purposes=True)]
    first = sources[0]
    sources[0] = replace(
        first,
        email=first.email if _has(first.email) else email or first.email,
        telephone=first.telephone if _has(first.telephone) else phone or first.telephone,
    )
    return tuple(sources)


def _has(value: object) -> bool:
    return value is not None and not isinstance(value, NullFlavor)


def _narrative(icsr: ICSR, reply_text: str, received_at: datetime) -> str:
    received = PartialDate.from_datetime(received_at, DatePrecision.DAY)
    entry = f"Follow-up from the reporter received {received} (reporter's words):\n{reply_text}"
    previous = icsr.narrative.case_narrative
    return f"{previous}\n\n{entry}" if previous else entry


# --- what changed ------------------------------------------------------------------------


def _render(value: object) -> str:
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Quantity):
        return f"{value.value} {value.unit}"
    if isinstance(value, Decimal | int | float | str | PartialDate):
        return str(value)
    return repr(value)


def _leaves(value: object, path: str) -> Iterator[tuple[str, str]]:
    if value is None:
        return
    if isinstance(value, tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
        return
    if dataclasses.is_dataclass(value) and not isinstance(value, type | Quantity | PartialDate):
        for f in dataclasses.fields(value):
            sub = f"{path}.{f.name}" if path else f.name
            yield from _leaves(getattr(value, f.name), sub)
        return
    if isinstance(value, dict):
        return
    yield path, _render(value)


def _diff(before: ICSR, after: ICSR) -> tuple[FieldChange, ...]:
    old = dict(_leaves(before, ""))
    new = dict(_leaves(after, ""))
    paths = sorted(set(old) | set(new))
    return tuple(
        FieldChange(path=p, old=old.get(p), new=new.get(p))
        for p in paths
        if old.get(p) != new.get(p)
    )


# --- questions answered ------------------------------------------------------------------


def _filled(icsr: ICSR, question: Question, validity: ValidityAssessment) -> bool:
    patient = icsr.patient or Patient()
    suspects = icsr.suspect_drugs()
    dosages = [d for drug in suspects for d in drug.dosages]
    match question:
        case Question.REPORTER_CONTACT:
            return Criterion.IDENTIFIABLE_REPORTER not in validity.missing
        case Question.PATIENT_IDENTIFIER:
            return Criterion.IDENTIFIABLE_PATIENT not in validity.missing
        case Question.SUSPECT_PRODUCT:
            return Criterion.SUSPECT_PRODUCT not in validity.missing
        case Question.REACTION:
            return Criterion.ADVERSE_REACTION not in validity.missing
        case Question.OUTCOME:
            return bool(icsr.reactions) and all(
                r.outcome not in (None, ReactionOutcome.UNKNOWN) for r in icsr.reactions
            )
        case Question.PATIENT_AGE:
            return patient.age_at_onset is not None or _has(patient.birth_date)
        case Question.PATIENT_SEX:
            return _has(patient.sex)
        case Question.ONSET_DATE:
            return bool(icsr.reactions) and all(_has(r.start) for r in icsr.reactions)
        case Question.SERIOUSNESS:
            return icsr.is_serious()
        case Question.DOSE:
            return any(d.dose is not None or d.text for d in dosages)
        case Question.ROUTE:
            return any(_has(d.route) for d in dosages)
        case Question.BATCH:
            return any(d.batch_lot for d in dosages)
        case Question.INDICATION:
            return any(drug.indications for drug in suspects)
        case Question.MEDICAL_HISTORY:
            return _has(patient.medical_history_text) or bool(patient.medical_history)
        case _:
            return False


# --- the entry points --------------------------------------------------------------------


def apply_reply(
    icsr: ICSR,
    reply_text: str,
    answers: Sequence[Answer],
    *,
    received_at: datetime,
    refs: IntakeReferences,
    questions: Sequence[Question] = (),
    channel: str = "EMAIL",
    language: str | None = None,
) -> ReplyUpdate:
    """The case after the reply: ``reply_text`` is the reply's new text (never the quoted
    history); ``answers`` come from ``map_answers``; ``questions`` are the open questions
    of the request (default: those the answers name)."""
    context = ChannelContext(channel=channel, received_at=received_at)
    draft = normalise(reply_text, channel=context, catalogue=refs.catalogue, language=language)
    reactions, rationale = _reactions(icsr, draft, answers, refs, language)
    received = PartialDate.from_datetime(received_at, DatePrecision.SECOND)
    after = replace(
        icsr,
        report=replace(icsr.report, most_recent_info=received),
        primary_sources=_sources(icsr, draft, answers),
        patient=_patient(icsr.patient, draft, answers),
        reactions=reactions,
        drugs=_drugs(icsr, draft, answers),
        narrative=replace(icsr.narrative, case_narrative=_narrative(icsr, reply_text, received_at)),
    )
    digital = channel in DIGITAL_CHANNELS
    before_validity = assess_validity(icsr, digital_channel=digital)
    validity = assess_validity(after, digital_channel=digital)
    classification = classify(
        after,
        listed=CatalogueListedEvents(refs.catalogue),
        product_id_of=catalogue_product_id(refs.catalogue),
    )
    became_valid = validity.valid and not before_validity.valid
    reasons = [change.reason for change in significant_changes(icsr, after)]
    if became_valid:
        reasons.append("the case became valid: the four minimum criteria are now met")
    asked = tuple(questions) or tuple(
        dict.fromkeys(a.question for a in answers if a.question is not None)
    )
    answered = frozenset(
        q for q in asked if _filled(after, q, validity) and not _filled(icsr, q, before_validity)
    ) | frozenset(a.question for a in answers if a.question is not None and a.value is not None)
    still_missing = tuple(q for q in asked if not _filled(after, q, validity) and q not in answered)
    return ReplyUpdate(
        icsr=after,
        changes=_diff(icsr, after),
        validity=validity,
        classification=classification,
        became_valid=became_valid,
        significant=bool(reasons),
        significance_reasons=tuple(reasons),
        answered=answered,
        still_missing=still_missing,
        coding_rationale=tuple(rationale),
    )


def follow_up_day_zero(
    previous: datetime | None, update: ReplyUpdate, received_at: datetime
) -> datetime | None:
    """Day 0 after this reply: its receipt when it makes the case valid or brings
    significant new information to a valid case; otherwise the previous Day 0."""
    if update.became_valid:
        return received_at
    if update.significant and update.validity.valid:
        return received_at
    return previous
