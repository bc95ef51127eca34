"""Seriousness criteria: asserted cues count; negations and figures of speech do not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gateway.domain.codes import SeriousnessCriterion as C
from gateway.domain.normaliser import Draft

Normalise = Callable[..., Draft]


def criteria(read: Normalise, text: str) -> set[C]:
    return set(read(text).criteria)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("After amoxicillin she had a rash and was admitted to hospital.", {C.HOSPITALISATION}),
        ("Con la amoxicilina tuvo fiebre y quedó ingresada tres días.", {C.HOSPITALISATION}),
        ("He developed a rash on warfarin and died on 12 March.", {C.DEATH}),
        ("Tras el ciprofloxacino presentó diarrea y falleció.", {C.DEATH}),
        ("Rash after lamotrigine; it was life-threatening.", {C.LIFE_THREATENING}),
        ("Con la ceftriaxona tuvo urticaria, un cuadro con riesgo vital.", {C.LIFE_THREATENING}),
        ("After ciprofloxacin he has permanent nerve damage and tingling.", {C.DISABLING}),
        ("Took valproate while pregnant; the baby has spina bifida.", {C.CONGENITAL_ANOMALY}),
        ("Tras la quetiapina tuvo un rash, medically significant.", {C.OTHER_MEDICALLY_IMPORTANT}),
    ],
)
def test_asserted_criteria_are_found(read: Normalise, text: str, expected: set[C]) -> None:
    assert criteria(read, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Rash after amoxicillin. She was not hospitalised.",
        "Rash after amoxicillin, did not need hospital admission.",
        "Hospitalisation was not required for the rash after amoxicillin.",
        "Erupción con la amoxicilina. No fue hospitalizada.",
        "Erupción con la amoxicilina, sin ingreso hospitalario.",
        "Diarrea con la metformina, no hizo falta ingresar.",
    ],
)
def test_negated_hospitalisation_is_not_a_criterion(read: Normalise, text: str) -> None:
    assert criteria(read, text) == set()


@pytest.mark.parametrize(
    "text",
    [
        "I thought I would die, the headache on sertraline was so bad.",
        "Felt like dying after the Glucorel, threw up all night.",
        "Me quería morir del dolor de estómago con la metformina.",
        "Pensé que me moría con el dolor de cabeza del omeprazol.",
        "I'm bored to death of these sertraline headaches.",
        "Headache from omeprazole, should I go to hospital?",
        "If the rash from lamotrigine gets worse I will be admitted.",
        "Potentially fatal? I read that about lamotrigine rash.",
        "Con el omeprazol tengo el estómago fatal.",
    ],
)
def test_hedged_or_figurative_death_and_hospital_are_not_criteria(
    read: Normalise, text: str
) -> None:
    assert criteria(read, text) == set()


def test_important_medical_event_is_derived_other_medically_important(read: Normalise) -> None:
    draft = read("On lamotrigine she developed Stevens-Johnson syndrome.")
    (finding,) = draft.seriousness
    assert finding.criterion.value is C.OTHER_MEDICALLY_IMPORTANT
    assert finding.criterion.derived


def test_criterion_attaches_to_the_reaction_in_its_sentence(read: Normalise) -> None:
    draft = read("She had a headache on sertraline. Later she had a seizure and was admitted.")
    by_verbatim = {r.verbatim.value: r.criteria for r in draft.reactions}
    assert C.HOSPITALISATION in by_verbatim["seizure"]
    assert by_verbatim["headache"] == frozenset()


def test_cue_span_points_at_the_words(read: Normalise) -> None:
    text = "Rash on amoxicillin and she was hospitalised."
    (finding,) = read(text).seriousness
    assert finding.criterion.span is not None
    start, end = finding.criterion.span
    assert text[start:end] == "hospitalised"
