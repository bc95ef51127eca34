"""plan_followup: which questions a follow-up request asks, in which order."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from gateway.domain.codes import ActionTaken, ReactionOutcome
from gateway.domain.followup.planner import FollowUpPlan, plan_followup, present_questions
from gateway.domain.followup.questions import Question
from gateway.domain.followup.rules import DEFAULT_SERIOUS, PlannerRules
from gateway.domain.icsr import ICSR
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.validity import Criterion, assess_validity
from gateway.domain.values import NullFlavor


def _plan_for(
    icsr: ICSR, *, serious: bool = False, expedited: bool = False, **kwargs: Any
) -> FollowUpPlan | None:
    validity = assess_validity(icsr, digital_channel=True)
    return plan_followup(
        icsr,
        valid=validity.valid,
        missing_criteria=validity.missing,
        serious=serious,
        expedited=expedited,
        **kwargs,
    )


def test_missing_minimum_criteria_come_first_in_criterion_order() -> None:
    icsr = ICSR(reactions=(Reaction(id="R1", verbatim_native="rash"),))
    plan = _plan_for(icsr, serious=True)
    assert plan is not None
    assert plan.questions[:3] == (
        Question.REPORTER_CONTACT,
        Question.PATIENT_IDENTIFIER,
        Question.SUSPECT_PRODUCT,
    )
    assert plan.missing_criteria == (
        Criterion.IDENTIFIABLE_REPORTER,
        Criterion.IDENTIFIABLE_PATIENT,
        Criterion.SUSPECT_PRODUCT,
    )
    assert plan.completes_validity


def test_invalid_serious_case_skips_questions_about_the_missing_product_and_patient() -> None:
    icsr = ICSR(reactions=(Reaction(id="R1", verbatim_native="liver failure"),))
    plan = _plan_for(icsr, serious=True, max_questions=20)
    assert plan is not None
    asked = set(plan.questions)
    assert not asked & {Question.DOSE, Question.ROUTE, Question.BATCH, Question.DECHALLENGE}
    assert not asked & {Question.PATIENT_AGE, Question.PATIENT_SEX}
    assert Question.OUTCOME in asked


def test_invalid_non_serious_case_asks_only_the_missing_criteria(bare_valid: ICSR) -> None:
    plan = _plan_for(dataclasses.replace(bare_valid, primary_sources=()))
    assert plan is not None
    assert plan.questions == (Question.REPORTER_CONTACT,)
    assert plan.track == "non_serious"


def test_serious_valid_case_asks_outcome_onset_then_product_details_up_to_the_limit(
    bare_valid: ICSR,
) -> None:
    plan = _plan_for(bare_valid, serious=True)
    assert plan is not None
    assert plan.questions == (
        Question.OUTCOME,
        Question.ONSET_DATE,
        Question.PATIENT_AGE,
        Question.PATIENT_SEX,
    )
    assert plan.deferred[:4] == (Question.DOSE, Question.ROUTE, Question.INDICATION, Question.BATCH)
    assert plan.track == "serious"


def test_expedited_non_serious_case_follows_the_serious_track(bare_valid: ICSR) -> None:
    plan = _plan_for(bare_valid, expedited=True, max_questions=20)
    assert plan is not None
    assert plan.track == "serious"
    assert Question.BATCH in plan.questions


def test_non_serious_valid_case_asks_only_age_sex_and_outcome(bare_valid: ICSR) -> None:
    plan = _plan_for(bare_valid, max_questions=20)
    assert plan is not None
    assert plan.questions == (Question.PATIENT_AGE, Question.PATIENT_SEX, Question.OUTCOME)
    assert plan.deferred == ()


def test_complete_case_has_nothing_worth_asking(complete: ICSR) -> None:
    assert _plan_for(complete, serious=True) is None
    assert present_questions(complete) >= set(DEFAULT_SERIOUS)


def test_already_asked_questions_are_not_asked_again(bare_valid: ICSR) -> None:
    plan = _plan_for(
        bare_valid,
        serious=True,
        already_asked=(Question.OUTCOME, Question.ONSET_DATE),
    )
    assert plan is not None
    assert Question.OUTCOME not in plan.questions + plan.deferred
    assert plan.questions[0] == Question.PATIENT_AGE


def test_nothing_left_after_everything_was_asked_gives_none(bare_valid: ICSR) -> None:
    assert _plan_for(bare_valid, already_asked=tuple(Question)) is None


def test_outcome_counts_only_when_every_reaction_has_a_known_outcome(complete: ICSR) -> None:
    second = Reaction(id="R2", verbatim_native="fever", outcome=ReactionOutcome.UNKNOWN)
    icsr = dataclasses.replace(complete, reactions=(*complete.reactions, second))
    plan = _plan_for(icsr, serious=True)
    assert plan is not None
    assert Question.OUTCOME in plan.questions


def test_asked_but_unknown_null_flavor_is_not_asked_again(bare_valid: ICSR) -> None:
    patient = Patient(name_or_initials="JD", sex=NullFlavor.ASKU)
    plan = _plan_for(dataclasses.replace(bare_valid, patient=patient), max_questions=20)
    assert plan is not None
    assert Question.PATIENT_SEX not in plan.questions


def test_unknown_null_flavor_counts_as_missing(bare_valid: ICSR) -> None:
    patient = Patient(name_or_initials="JD", sex=NullFlavor.UNK)
    plan = _plan_for(dataclasses.replace(bare_valid, patient=patient), max_questions=20)
    assert plan is not None
    assert Question.PATIENT_SEX in plan.questions


def test_rechallenge_is_not_asked_when_the_drug_was_never_stopped(complete: ICSR) -> None:
    drug = dataclasses.replace(
        complete.drugs[0], action_taken=ActionTaken.DOSE_NOT_CHANGED, reaction_assessments=()
    )
    icsr = dataclasses.replace(complete, drugs=(drug, complete.drugs[1]))
    assert _plan_for(icsr, serious=True) is None


def test_per_product_rules_replace_the_track_list_for_that_product(bare_valid: ICSR) -> None:
    rules = PlannerRules.from_mapping(
        {"products": {"IBUPROFEN": {"non_serious": ["batch", "outcome"]}}}
    )
    plan = _plan_for(bare_valid, rules=rules)
    assert plan is not None
    assert plan.questions == (Question.BATCH, Question.OUTCOME)


def test_per_product_rules_match_a_catalogue_product_id(bare_valid: ICSR) -> None:
    rules = PlannerRules.from_mapping({"products": {"PRD-0042": {"serious": ["relevant_tests"]}}})
    with_id = _plan_for(bare_valid, serious=True, rules=rules, product_ids=("PRD-0042",))
    without = _plan_for(bare_valid, serious=True, rules=rules)
    assert with_id is not None
    assert without is not None
    assert with_id.questions == (Question.RELEVANT_TESTS,)
    assert without.questions[0] == Question.OUTCOME


def test_inconsistent_validity_inputs_are_refused(bare_valid: ICSR) -> None:
    with pytest.raises(ValueError, match="valid case cannot miss"):
        plan_followup(
            bare_valid,
            valid=True,
            missing_criteria=[Criterion.ADVERSE_REACTION],
            serious=False,
            expedited=False,
        )
    with pytest.raises(ValueError, match="must name the minimum criteria"):
        plan_followup(bare_valid, valid=False, missing_criteria=[], serious=False, expedited=False)


def test_max_questions_below_one_is_refused(bare_valid: ICSR) -> None:
    with pytest.raises(ValueError, match="max_questions"):
        _plan_for(bare_valid, max_questions=0)
