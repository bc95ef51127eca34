"""Answers in a reply tied to the open questions: numbered, labelled, by line, by content."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from gateway.domain.codes import ReactionOutcome, Sex
from gateway.domain.followup.questions import Question
from gateway.domain.replies import map_answers, read_outcome
from gateway.domain.values import PartialDate, Quantity

RECEIVED = datetime(2024, 3, 22, 10, 0, tzinfo=UTC)
AGE_OUTCOME = [Question.PATIENT_AGE, Question.OUTCOME]


def test_numbered_answers_on_one_line_go_to_their_questions() -> None:
    answers = map_answers("1. 45 years 2) she recovered", AGE_OUTCOME, language="en")
    assert [a.question for a in answers] == AGE_OUTCOME
    assert answers[0].value == Quantity(value=Decimal(45), unit="a")
    assert answers[1].value is ReactionOutcome.RECOVERED
    assert answers[1].text == "she recovered"


def test_numbered_spanish_answers_read_yes_age_and_death() -> None:
    questions = [Question.SERIOUSNESS, Question.PATIENT_AGE, Question.OUTCOME]
    text = "1- sí, estuvo ingresada\n2- 78 años\n3- falleció el domingo"
    answers = map_answers(text, questions, language="es")
    assert [a.question for a in answers] == questions
    assert answers[0].value is True
    assert answers[1].value == Quantity(value=Decimal(78), unit="a")
    assert answers[2].value is ReactionOutcome.FATAL


def test_unnumbered_answers_one_per_line_follow_the_question_order() -> None:
    answers = map_answers("67\nstill ongoing", AGE_OUTCOME, language="en")
    assert answers[0].value == Quantity(value=Decimal(67), unit="a")
    assert answers[1].value is ReactionOutcome.NOT_RECOVERED


def test_labelled_spanish_answers_are_tied_by_their_label() -> None:
    text = "Sexo: mujer\nEdad: 52 años"
    answers = map_answers(text, [Question.PATIENT_AGE, Question.PATIENT_SEX], language="es")
    by_question = {a.question: a.value for a in answers}
    assert by_question[Question.PATIENT_SEX] is Sex.FEMALE
    assert by_question[Question.PATIENT_AGE] == Quantity(value=Decimal(52), unit="a")


def test_yes_and_no_are_read_in_english_and_spanish() -> None:
    dechallenge = [Question.DECHALLENGE]
    assert map_answers("Yes, it stopped", dechallenge, language="en")[0].value is True
    assert map_answers("No.", dechallenge, language="en")[0].value is False
    assert map_answers("Sí", dechallenge, language="es")[0].value is True
    assert map_answers("no, nunca", dechallenge, language="es")[0].value is False


def test_onset_dates_use_the_normaliser_date_reader() -> None:
    onset = [Question.ONSET_DATE]
    absolute = map_answers("It started on 12/03/2024", onset, language="en", received_at=RECEIVED)
    assert absolute[0].value == PartialDate(year=2024, month=3, day=12)
    relative = map_answers("ayer", onset, language="es", received_at=RECEIVED)
    assert relative[0].value == PartialDate(year=2024, month=3, day=21)


def test_outcomes_map_to_e2b_codes_in_both_languages() -> None:
    assert read_outcome("she recovered fully") is ReactionOutcome.RECOVERED
    assert read_outcome("still ongoing") is ReactionOutcome.NOT_RECOVERED
    assert read_outcome("getting better") is ReactionOutcome.RECOVERING
    assert read_outcome("se recuperó") is ReactionOutcome.RECOVERED
    assert read_outcome("falleció") is ReactionOutcome.FATAL
    assert read_outcome("has not recovered") is ReactionOutcome.NOT_RECOVERED
    assert read_outcome("the weather is nice") is None


def test_content_that_fits_no_open_question_stays_unassigned() -> None:
    text = "Thanks for calling me yesterday.\nShe recovered last week.\nThe nurse was kind."
    answers = map_answers(text, AGE_OUTCOME, language="en", received_at=RECEIVED)
    assigned = {a.text: a.question for a in answers}
    assert assigned["She recovered last week."] is Question.OUTCOME
    assert assigned["Thanks for calling me yesterday."] is None
    assert assigned["The nurse was kind."] is None
    assert all(a.value is None for a in answers if a.question is None)


def test_answer_spans_point_at_the_reporters_words() -> None:
    text = "1) 30 years old\n2) recovering"
    for answer in map_answers(text, AGE_OUTCOME, language="en"):
        start, end = answer.span
        assert text[start:end] == answer.text


def test_a_date_inside_an_answer_is_not_read_as_numbering() -> None:
    questions = [Question.ONSET_DATE, Question.DOSE, Question.ROUTE]
    text = "1. 12.03.2024 2. 3-5 tablets a day 3. by mouth"
    answers = map_answers(text, questions, language="en", received_at=RECEIVED)
    assert [a.question for a in answers] == questions
    assert answers[1].text == "3-5 tablets a day"
    assert answers[2].value == "oral"


def test_greeting_before_numbered_answers_is_kept_unassigned() -> None:
    answers = map_answers("Hola,\n\n1. 67 años\n2. Se recuperó", AGE_OUTCOME, language="es")
    assert [(a.question, a.text) for a in answers] == [
        (None, "Hola"),
        (Question.PATIENT_AGE, "67 años"),
        (Question.OUTCOME, "Se recuperó"),
    ]
    assert answers[2].value is ReactionOutcome.RECOVERED


def test_a_clause_answering_nothing_asked_does_not_hide_the_answers_beside_it() -> None:
    text = "She is 47 years old. Zentravia was stopped and she has fully recovered."
    answers = map_answers(text, [Question.PATIENT_AGE, Question.OUTCOME], language="en")

    by_question = {a.question: a for a in answers if a.question is not None}
    assert set(by_question) == {Question.PATIENT_AGE, Question.OUTCOME}
    assert by_question[Question.OUTCOME].value is ReactionOutcome.RECOVERED
    assert [a.text for a in answers if a.question is None] == ["Zentravia was stopped"]


def test_two_clauses_answering_the_same_question_leave_the_line_unassigned() -> None:
    text = "She recovered and she is 45, she is recovering"
    answers = map_answers(text, [Question.PATIENT_AGE, Question.OUTCOME], language="en")

    assert all(a.question is None for a in answers)
