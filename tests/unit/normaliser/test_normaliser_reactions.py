"""Reactions in the reporter's words; negation; indications; onset and outcome."""

from __future__ import annotations

from collections.abc import Callable

from gateway.domain.codes import ReactionOutcome
from gateway.domain.normaliser import Draft
from gateway.domain.values import PartialDate, Quantity

Normalise = Callable[..., Draft]


def verbatims(draft: object) -> list[str]:
    return [r.verbatim.value for r in draft.reactions]  # type: ignore[attr-defined]


def test_verbatim_keeps_modifiers_and_body_site_and_its_span(read: Normalise) -> None:
    text = "After lamotrigine she developed a terrible itchy rash all over her arms."
    draft = read(text)
    (reaction,) = draft.reactions
    assert reaction.verbatim.value == "terrible itchy rash all over her arms"
    assert reaction.verbatim.span is not None
    start, end = reaction.verbatim.span
    assert text[start:end] == reaction.verbatim.value
    assert reaction.term_hint == "Rash pruritic"


def test_spanish_symptoms_in_the_reporters_words(read: Normalise) -> None:
    draft = read("Con el ibuprofeno me salió una erupción en la cara y mucho picor.")
    assert verbatims(draft) == ["erupción en la cara", "mucho picor"]


def test_negated_symptoms_are_not_reactions_in_english(read: Normalise) -> None:
    draft = read("Took amoxicillin. No rash, no fever, nausea or itching. But I had diarrhoea.")
    assert verbatims(draft) == ["diarrhoea"]


def test_negated_symptoms_are_not_reactions_in_spanish(read: Normalise) -> None:
    draft = read("Tomo omeprazol. No tuvo fiebre ni vómitos, sin picor. Pero le dio diarrea.")
    assert verbatims(draft) == ["diarrea"]


def test_did_not_develop_is_still_a_denial(read: Normalise) -> None:
    assert verbatims(read("She did not develop a rash on sertraline.")) == []


def test_indication_is_not_a_reaction(read: Normalise) -> None:
    draft = read("I took ibuprofen for my headache and got hives.")
    assert verbatims(draft) == ["hives"]
    draft = read("Tomo naproxeno para el dolor de espalda y me da acidez.")
    assert verbatims(draft) == ["acidez"]


def test_medical_history_is_not_a_reaction(read: Normalise) -> None:
    draft = read("He has a history of migraine. On sertraline he developed tremor.")
    assert verbatims(draft) == ["tremor"]


def test_a_repeated_mention_is_one_reaction(read: Normalise) -> None:
    draft = read("Itchy rash after cephalexin. The rash is still there.")
    assert verbatims(draft) == ["Itchy rash"]


def test_parenthetical_restatement_is_one_reaction(read: Normalise) -> None:
    draft = read("On azathioprine her blood test showed low white cells (leukopenia).")
    assert verbatims(draft) == ["low white cells (leukopenia)"]
    assert draft.reactions[0].term_hint == "Leukopenia"


def test_questions_about_causation_are_not_reports(read: Normalise) -> None:
    assert verbatims(read("Does Glucorel cause pancreatitis? I feel fine.")) == []


def test_latency_onset_and_outcome(read: Normalise) -> None:
    draft = read(
        "I started lamotrigine on 1 March. Two days after starting I developed a rash. "
        "It has now resolved."
    )
    (reaction,) = draft.reactions
    assert reaction.latency is not None
    assert reaction.latency.value == Quantity(value=reaction.latency.value.value, unit="d")
    assert str(reaction.latency.value.value) == "2"
    assert reaction.outcome is not None
    assert reaction.outcome.value is ReactionOutcome.RECOVERED
    assert draft.products[0].start is not None
    assert draft.products[0].start.value == PartialDate(year=2024, month=3, day=1)


def test_spanish_onset_date_and_not_recovered(read: Normalise) -> None:
    draft = read("El 3 de marzo empezó con diarrea por la metformina. Sigue con diarrea.")
    (reaction,) = draft.reactions
    assert reaction.onset is not None
    assert reaction.onset.value == PartialDate(year=2024, month=3, day=3)
    assert reaction.outcome is not None
    assert reaction.outcome.value is ReactionOutcome.NOT_RECOVERED


def test_unknown_event_after_an_event_verb_is_kept_with_low_confidence(read: Normalise) -> None:
    draft = read("After Zentravia he developed gynaecological strangeness.")
    assert verbatims(draft) == ["gynaecological strangeness"]
    assert draft.reactions[0].term_hint is None
    assert draft.reactions[0].verbatim.confidence < 0.9
