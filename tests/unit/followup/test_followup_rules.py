"""PlannerRules.from_mapping: rules from configuration, refused with clear messages."""

from __future__ import annotations

import tomllib

import pytest

from gateway.domain.followup.questions import Question
from gateway.domain.followup.rules import DEFAULT_NON_SERIOUS, DEFAULT_SERIOUS, PlannerRules

TOML = """
[followup.rules]
serious = ["outcome", "onset_date", "batch"]

[followup.rules.products."PRD-0042"]
serious = ["batch", "relevant_tests"]

[followup.rules.products."Adalimumab"]
non_serious = ["batch"]
"""


def test_rules_load_from_a_toml_table() -> None:
    rules = PlannerRules.from_mapping(tomllib.loads(TOML)["followup"]["rules"])
    assert rules.serious == (Question.OUTCOME, Question.ONSET_DATE, Question.BATCH)
    assert rules.non_serious == DEFAULT_NON_SERIOUS
    assert rules.questions_for(["prd-0042"], serious=True) == (
        Question.BATCH,
        Question.RELEVANT_TESTS,
    )
    # a product entry that does not name this track keeps the default of the track
    assert rules.questions_for(["adalimumab"], serious=True) == rules.serious


def test_rules_of_several_matching_products_are_merged_without_repeats() -> None:
    rules = PlannerRules.from_mapping(
        {
            "products": {
                "a": {"serious": ["batch", "dose"]},
                "b": {"serious": ["dose", "relevant_tests"]},
            }
        }
    )
    assert rules.questions_for(["a", "b"], serious=True) == (
        Question.BATCH,
        Question.DOSE,
        Question.RELEVANT_TESTS,
    )


def test_empty_mapping_gives_the_defaults() -> None:
    rules = PlannerRules.from_mapping({})
    assert rules.serious == DEFAULT_SERIOUS
    assert rules.questions_for(["anything"], serious=False) == DEFAULT_NON_SERIOUS


def test_unknown_question_name_is_refused_with_its_location() -> None:
    with pytest.raises(ValueError, match=r"unknown follow-up question 'lot_no'.*products.*serious"):
        PlannerRules.from_mapping({"products": {"X": {"serious": ["outcome", "lot_no"]}}})


def test_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match=r"unknown key.*'serios'"):
        PlannerRules.from_mapping({"serios": ["outcome"]})


def test_minimum_criterion_in_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="minimum criterion"):
        PlannerRules.from_mapping({"serious": ["reporter_contact"]})


def test_a_bare_string_instead_of_a_list_is_refused() -> None:
    with pytest.raises(ValueError, match="must be a list"):
        PlannerRules.from_mapping({"non_serious": "outcome"})


def test_duplicate_question_is_refused() -> None:
    with pytest.raises(ValueError, match="appears twice"):
        PlannerRules.from_mapping({"serious": ["outcome", "OUTCOME"]})
