"""WHO-UMC categories from their criteria, the Naranjo score and category, and how a result
enters the drug-reaction matrix (G.k.9.i.2.r)."""

from __future__ import annotations

from itertools import product

import pytest

from gateway.domain.causality import (
    NARANJO_QUESTIONS,
    Dechallenge,
    InformationStatus,
    NaranjoAnswer,
    NaranjoCategory,
    OtherCauses,
    Rechallenge,
    TimeRelationship,
    WhoUmcCategory,
    WhoUmcCriteria,
    assess_naranjo,
    assess_who_umc,
    causality_pairs,
    naranjo_answers_from,
    naranjo_category,
    with_assessment,
)
from gateway.domain.classification import excludes_causality
from gateway.domain.codes import DrugRole
from gateway.domain.drug import CausalityAssessment, Drug, DrugReactionAssessment
from gateway.domain.icsr import ICSR
from gateway.domain.reaction import Reaction
from gateway.errors import InvalidMessageError

Y, N, DK = NaranjoAnswer.YES, NaranjoAnswer.NO, NaranjoAnswer.DONT_KNOW


def criteria(**overrides: object) -> WhoUmcCriteria:
    """A textbook 'certain' case, changed where a test says so."""
    values: dict[str, object] = {
        "information": InformationStatus.SUFFICIENT,
        "time_relationship": TimeRelationship.PLAUSIBLE,
        "other_causes": OtherCauses.RULED_OUT,
        "dechallenge": Dechallenge.POSITIVE,
        "rechallenge": Rechallenge.POSITIVE,
        "definitive": True,
    }
    values.update(overrides)
    return WhoUmcCriteria(**values)  # type: ignore[arg-type]


# -- WHO-UMC ---------------------------------------------------------------------------------
def test_who_umc_all_criteria_met_is_certain() -> None:
    result = assess_who_umc(criteria())
    assert result.category is WhoUmcCategory.CERTAIN
    assert "positive rechallenge" in result.basis


def test_who_umc_certain_does_not_need_a_rechallenge() -> None:
    result = assess_who_umc(criteria(rechallenge=Rechallenge.NOT_DONE))
    assert result.category is WhoUmcCategory.CERTAIN
    assert "rechallenge not needed" in result.basis


def test_who_umc_not_definitive_event_is_probable() -> None:
    result = assess_who_umc(criteria(definitive=False))
    assert result.category is WhoUmcCategory.PROBABLE
    assert any("not pharmacologically" in b for b in result.basis)


def test_who_umc_other_causes_unlikely_with_positive_dechallenge_is_probable() -> None:
    result = assess_who_umc(criteria(other_causes=OtherCauses.UNLIKELY))
    assert result.category is WhoUmcCategory.PROBABLE


def test_who_umc_possible_other_cause_makes_it_possible() -> None:
    result = assess_who_umc(criteria(other_causes=OtherCauses.POSSIBLE))
    assert result.category is WhoUmcCategory.POSSIBLE
    assert any("could also explain" in b for b in result.basis)


@pytest.mark.parametrize(
    "dechallenge", [Dechallenge.NEGATIVE, Dechallenge.NOT_DONE, Dechallenge.UNKNOWN]
)
def test_who_umc_lacking_dechallenge_is_possible(dechallenge: Dechallenge) -> None:
    assert assess_who_umc(criteria(dechallenge=dechallenge)).category is WhoUmcCategory.POSSIBLE


def test_who_umc_negative_rechallenge_caps_at_possible() -> None:
    result = assess_who_umc(criteria(rechallenge=Rechallenge.NEGATIVE))
    assert result.category is WhoUmcCategory.POSSIBLE
    assert "the event did not recur on rechallenge" in result.basis


def test_who_umc_improbable_time_relationship_is_unlikely_whatever_else() -> None:
    for other in OtherCauses:
        result = assess_who_umc(
            criteria(time_relationship=TimeRelationship.IMPROBABLE, other_causes=other)
        )
        assert result.category is WhoUmcCategory.UNLIKELY


def test_who_umc_information_awaited_is_conditional() -> None:
    result = assess_who_umc(criteria(information=InformationStatus.AWAITED))
    assert result.category is WhoUmcCategory.CONDITIONAL


def test_who_umc_insufficient_information_is_unassessable() -> None:
    result = assess_who_umc(criteria(information=InformationStatus.INSUFFICIENT))
    assert result.category is WhoUmcCategory.UNASSESSABLE


def test_who_umc_unknown_timing_is_unassessable() -> None:
    result = assess_who_umc(criteria(time_relationship=TimeRelationship.UNKNOWN))
    assert result.category is WhoUmcCategory.UNASSESSABLE


def test_who_umc_every_combination_gives_a_category_with_a_basis() -> None:
    seen: set[WhoUmcCategory] = set()
    for info, time, other, de, re_, definitive in product(
        InformationStatus, TimeRelationship, OtherCauses, Dechallenge, Rechallenge, (True, False)
    ):
        result = assess_who_umc(
            WhoUmcCriteria(
                information=info,
                time_relationship=time,
                other_causes=other,
                dechallenge=de,
                rechallenge=re_,
                definitive=definitive,
            )
        )
        assert result.basis
        seen.add(result.category)
        if result.category is WhoUmcCategory.CERTAIN:
            assert other is OtherCauses.RULED_OUT
            assert definitive
            assert de is Dechallenge.POSITIVE
    assert seen == set(WhoUmcCategory)


def test_who_umc_criteria_read_from_plain_values_round_trip() -> None:
    original = criteria(other_causes=OtherCauses.UNLIKELY, definitive=False)
    assert WhoUmcCriteria.from_mapping(original.as_mapping()) == original


def test_who_umc_criteria_with_an_unknown_value_name_the_field() -> None:
    data = criteria().as_mapping() | {"dechallenge": "maybe"}
    with pytest.raises(InvalidMessageError, match=r"who_umc\.dechallenge is 'maybe'"):
        WhoUmcCriteria.from_mapping(data)


def test_who_umc_category_names_fit_e2b_result_and_unlikely_excludes_causality() -> None:
    for category in WhoUmcCategory:
        assert len(category.value) <= 60
        excluded = excludes_causality(
            CausalityAssessment(source="Sender", method="WHO-UMC", result=category.value)
        )
        assert excluded is (category is WhoUmcCategory.UNLIKELY)


# -- Naranjo ---------------------------------------------------------------------------------
def test_naranjo_has_the_ten_standard_questions_with_their_points() -> None:
    assert [q.number for q in NARANJO_QUESTIONS] == list(range(1, 11))
    assert [(q.yes, q.no) for q in NARANJO_QUESTIONS] == [
        (1, 0),
        (2, -1),
        (1, 0),
        (2, -1),
        (-1, 2),
        (-1, 1),
        (1, 0),
        (1, 0),
        (1, 0),
        (1, 0),
    ]
    assert all(q.dont_know == 0 for q in NARANJO_QUESTIONS)


def test_naranjo_all_dont_know_scores_zero_doubtful() -> None:
    result = assess_naranjo([DK] * 10)
    assert result.score == 0
    assert result.category is NaranjoCategory.DOUBTFUL


def test_naranjo_maximum_score_is_thirteen_definite() -> None:
    result = assess_naranjo([Y, Y, Y, Y, N, N, Y, Y, Y, Y])
    assert result.score == 13
    assert result.category is NaranjoCategory.DEFINITE


def test_naranjo_minimum_score_is_minus_four_doubtful() -> None:
    result = assess_naranjo([N, N, N, N, Y, Y, N, N, N, N])
    assert result.score == -4
    assert result.category is NaranjoCategory.DOUBTFUL


def test_naranjo_typical_probable_case() -> None:
    # after the drug (+2), improved on withdrawal (+1), no alternative cause (+2),
    # objective evidence (+1), the rest unknown
    result = assess_naranjo([DK, Y, Y, DK, N, DK, DK, DK, DK, Y])
    assert result.points == (0, 2, 1, 0, 2, 0, 0, 0, 0, 1)
    assert result.score == 6
    assert result.category is NaranjoCategory.PROBABLE


@pytest.mark.parametrize(
    ("score", "category"),
    [
        (13, NaranjoCategory.DEFINITE),
        (9, NaranjoCategory.DEFINITE),
        (8, NaranjoCategory.PROBABLE),
        (5, NaranjoCategory.PROBABLE),
        (4, NaranjoCategory.POSSIBLE),
        (1, NaranjoCategory.POSSIBLE),
        (0, NaranjoCategory.DOUBTFUL),
        (-4, NaranjoCategory.DOUBTFUL),
    ],
)
def test_naranjo_category_boundaries(score: int, category: NaranjoCategory) -> None:
    assert naranjo_category(score) is category


def test_naranjo_needs_exactly_ten_answers() -> None:
    with pytest.raises(InvalidMessageError, match="10 questions; 9 answers"):
        assess_naranjo([Y] * 9)


def test_naranjo_answers_from_plain_values_name_the_bad_one() -> None:
    assert naranjo_answers_from(["yes", "no", "dont_know"]) == (Y, N, DK)
    with pytest.raises(InvalidMessageError, match="naranjo answer 2 is 'perhaps'"):
        naranjo_answers_from(["yes", "perhaps"])


def test_naranjo_doubtful_result_excludes_causality_for_classification() -> None:
    assert excludes_causality(CausalityAssessment(method="Naranjo", result="Doubtful"))
    assert not excludes_causality(CausalityAssessment(method="Naranjo", result="Possible"))


# -- the drug-reaction matrix ----------------------------------------------------------------
def _icsr(*assessments: DrugReactionAssessment) -> ICSR:
    return ICSR(
        drugs=(
            Drug(id="D1", role=DrugRole.SUSPECT, reaction_assessments=assessments),
            Drug(id="D2", role=DrugRole.CONCOMITANT),
            Drug(id="D3", role=DrugRole.INTERACTING),
        ),
        reactions=(Reaction(id="R1"), Reaction(id="R2")),
    )


def test_causality_pairs_are_every_suspect_or_interacting_drug_times_every_event() -> None:
    pairs = [(d.id, r) for d, r in causality_pairs(_icsr())]
    assert pairs == [("D1", "R1"), ("D1", "R2"), ("D3", "R1"), ("D3", "R2")]


def test_with_assessment_adds_a_matrix_row_when_there_is_none() -> None:
    icsr = with_assessment(
        _icsr(), drug_id="D1", reaction_id="R2", method="WHO-UMC", result="Possible"
    )
    drug = icsr.drug_by_id("D1")
    assert drug is not None
    row = drug.assessment_for("R2")
    assert row is not None
    assert row.assessments == (
        CausalityAssessment(source="Sender", method="WHO-UMC", result="Possible"),
    )
    assert icsr.validate_references() == ()


def test_with_assessment_revises_only_the_same_source_and_method() -> None:
    reporter = CausalityAssessment(source="Primary source", method="Global", result="related")
    ours = CausalityAssessment(source="Sender", method="WHO-UMC", result="Possible")
    naranjo = CausalityAssessment(source="Sender", method="Naranjo", result="Possible")
    icsr = _icsr(DrugReactionAssessment(reaction_id="R1", assessments=(reporter, ours, naranjo)))
    revised = with_assessment(
        icsr, drug_id="D1", reaction_id="R1", method="who-umc", result="Probable/Likely"
    )
    drug = revised.drug_by_id("D1")
    assert drug is not None
    row = drug.assessment_for("R1")
    assert row is not None
    assert row.assessments == (
        reporter,
        naranjo,
        CausalityAssessment(source="Sender", method="who-umc", result="Probable/Likely"),
    )


def test_with_assessment_refuses_a_concomitant_drug_or_unknown_ids() -> None:
    icsr = _icsr()
    with pytest.raises(InvalidMessageError, match="not suspect or interacting"):
        with_assessment(icsr, drug_id="D2", reaction_id="R1", method="WHO-UMC", result="Possible")
    with pytest.raises(InvalidMessageError, match="no drug 'D9'"):
        with_assessment(icsr, drug_id="D9", reaction_id="R1", method="WHO-UMC", result="Possible")
    with pytest.raises(InvalidMessageError, match="no reaction 'R9'"):
        with_assessment(icsr, drug_id="D1", reaction_id="R9", method="WHO-UMC", result="Possible")


def test_with_assessment_refuses_results_longer_than_e2b_allows() -> None:
    with pytest.raises(InvalidMessageError, match="1-60 characters"):
        with_assessment(_icsr(), drug_id="D1", reaction_id="R1", method="WHO-UMC", result="x" * 61)
