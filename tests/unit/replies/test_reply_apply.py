"""A reply turned into the next case version: fields filled, reassessment, Day 0."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.codes import ReactionOutcome, SeriousnessCriterion
from gateway.domain.followup.questions import Question
from gateway.domain.intake import IntakeReferences
from gateway.domain.replies import apply_reply, extract_reply, follow_up_day_zero, map_answers
from gateway.domain.values import Quantity
from tests.unit.replies.conftest import RECEIVED, REPLIED, Intake

REPORT = (
    "Hello, my mother took ibuprofen last week and developed a bad rash on her arms.\nMaria Lopez"
)
OPEN = [Question.PATIENT_AGE, Question.OUTCOME]

# The quoted history holds words of another report (a different drug, a seizure, a death):
# none of them may reach the case.
GMAIL_REPLY = """1. She is 67 years old
2. She recovered, the rash went away after a week.

On Wed, Mar 20, 2024 at 10:31 AM Drug Safety <pv@example.com> wrote:

> Dear reporter, thank you for your report:
> "My father took warfarin and had a seizure, he died in hospital."
> 1. How old is the patient?
> 2. What was the outcome of the reaction?
>
"""
OUTLOOK_REPLY = """Hola,

1. 67 años
2. Se recuperó

Enviado desde mi iPhone

De: Farmacovigilancia <pv@example.com>
Enviado: miércoles, 20 de marzo de 2024 10:31
Para: Maria Lopez <maria.lopez@example.com>
Asunto: Seguimiento de su notificación

Gracias por su notificación: "Mi padre tomó warfarina, tuvo una convulsión y murió en el
hospital."
1. ¿Qué edad tiene el paciente?
2. ¿Cómo evolucionó la reacción?
"""


@pytest.mark.parametrize(
    ("body", "language"),
    [(GMAIL_REPLY, "en"), (OUTLOOK_REPLY, "es")],
    ids=["gmail", "outlook-es"],
)
def test_reply_with_quoted_history_fills_outcome_and_age_only(
    intake: Intake, refs: IntakeReferences, body: str, language: str
) -> None:
    first = intake(REPORT)
    assert first.validity.valid
    assert first.icsr.patient is not None
    assert first.icsr.patient.age_at_onset is None
    assert all(r.outcome is None for r in first.icsr.reactions)

    reply = extract_reply(body)
    assert reply.quoted
    answers = map_answers(reply.text, OPEN, language=language, received_at=REPLIED)
    update = apply_reply(
        first.icsr, reply.text, answers, received_at=REPLIED, refs=refs, questions=OPEN
    )

    assert update.icsr.patient is not None
    assert update.icsr.patient.age_at_onset == Quantity(value=Decimal(67), unit="a")
    assert [r.outcome for r in update.icsr.reactions] == [ReactionOutcome.RECOVERED]
    assert update.answered == frozenset(OPEN)
    assert update.still_missing == ()
    assert not update.significant
    assert follow_up_day_zero(first.day_zero, update, REPLIED) == RECEIVED
    # Nothing from the quoted history reached the case.
    assert len(update.icsr.drugs) == len(first.icsr.drugs)
    assert len(update.icsr.reactions) == len(first.icsr.reactions)
    assert not update.icsr.is_serious()
    narrative = update.icsr.narrative.case_narrative or ""
    for quoted in ("warfarin", "warfarina", "seizure", "convulsión", "Drug Safety", "iPhone"):
        assert quoted not in narrative
    paths = {c.path for c in update.changes}
    assert {"patient.age_at_onset", "reactions[0].outcome", "narrative.case_narrative"} <= paths


def test_reply_saying_she_was_admitted_to_hospital_makes_the_case_serious(
    intake: Intake, refs: IntakeReferences
) -> None:
    first = intake(REPORT)
    assert not first.classification.serious
    reply = extract_reply("She was admitted to hospital on Friday because of the rash.")
    update = apply_reply(first.icsr, reply.text, (), received_at=REPLIED, refs=refs)

    assert update.classification.serious
    assert SeriousnessCriterion.HOSPITALISATION in update.classification.criteria
    assert update.significant
    assert any("upgraded to serious" in reason for reason in update.significance_reasons)
    assert any(c.path == "reactions[0].seriousness.hospitalisation" for c in update.changes)
    assert follow_up_day_zero(first.day_zero, update, REPLIED) == REPLIED


def test_denied_hospitalisation_leaves_the_case_non_serious(
    intake: Intake, refs: IntakeReferences
) -> None:
    first = intake(REPORT)
    update = apply_reply(
        first.icsr, "She was not hospitalised, it got better.", (), received_at=REPLIED, refs=refs
    )
    assert not update.classification.serious
    assert not update.significant
    assert follow_up_day_zero(first.day_zero, update, REPLIED) == first.day_zero


def test_reply_completing_the_patient_criterion_makes_the_case_valid(
    intake: Intake, refs: IntakeReferences
) -> None:
    first = intake("A customer took ibuprofen and developed a rash.")
    assert not first.validity.valid
    assert first.day_zero is None
    questions = [Question.PATIENT_IDENTIFIER]
    answers = map_answers("She is 34", questions, language="en", received_at=REPLIED)
    update = apply_reply(
        first.icsr, "She is 34", answers, received_at=REPLIED, refs=refs, questions=questions
    )
    assert update.validity.valid
    assert update.became_valid
    assert Question.PATIENT_IDENTIFIER in update.answered
    assert follow_up_day_zero(None, update, REPLIED) == REPLIED


def test_fatal_outcome_is_significant_new_information(
    intake: Intake, refs: IntakeReferences
) -> None:
    first = intake(REPORT)
    answers = map_answers("She died on Sunday", [Question.OUTCOME], language="en")
    update = apply_reply(first.icsr, "She died on Sunday", answers, received_at=REPLIED, refs=refs)
    assert [r.outcome for r in update.icsr.reactions] == [ReactionOutcome.FATAL]
    assert update.significant
    assert any("died" in reason for reason in update.significance_reasons)


def test_new_reaction_in_a_reply_is_coded_and_significant(
    intake: Intake, refs: IntakeReferences
) -> None:
    first = intake(REPORT)
    update = apply_reply(
        first.icsr, "She also had a terrible headache.", (), received_at=REPLIED, refs=refs
    )
    added = update.icsr.reactions[len(first.icsr.reactions) :]
    assert [r.id for r in added] == ["R2"]
    assert added[0].term is not None
    assert any("new reaction" in reason for reason in update.significance_reasons)


def test_more_specific_description_recodes_the_reaction_with_a_rationale(
    intake: Intake, refs: IntakeReferences
) -> None:
    first = intake("My mother took ibuprofen and got a rash.")
    before = first.icsr.reactions[0].term
    update = apply_reply(first.icsr, "It was an itchy rash.", (), received_at=REPLIED, refs=refs)
    after = update.icsr.reactions[0].term
    assert after is not None
    assert before is not None
    assert after.code != before.code
    assert update.coding_rationale
    assert "R1" in update.coding_rationale[0]


def test_changes_are_json_safe_strings(intake: Intake, refs: IntakeReferences) -> None:
    first = intake(REPORT)
    answers = map_answers("1. 67\n2. recovered", OPEN, language="en")
    update = apply_reply(first.icsr, "1. 67\n2. recovered", answers, received_at=REPLIED, refs=refs)
    for change in update.changes:
        assert isinstance(change.path, str)
        assert change.old is None or isinstance(change.old, str)
        assert change.new is None or isinstance(change.new, str)
