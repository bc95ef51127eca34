from __future__ import annotations

import itertools

import pytest

from gateway.domain.lifecycle import TRANSITIONS, CaseState, assert_transition, can_transition
from gateway.errors import LifecycleError


def test_closed_case_cannot_move_to_submitted() -> None:
    with pytest.raises(LifecycleError, match="from CLOSED to SUBMITTED"):
        assert_transition(CaseState.CLOSED, CaseState.SUBMITTED)


def test_closed_case_reopens_to_in_progress_on_new_information() -> None:
    assert_transition(CaseState.CLOSED, CaseState.IN_PROGRESS)


@pytest.mark.parametrize("terminal", [CaseState.DELETED, CaseState.NULLIFIED])
def test_deleted_and_nullified_cases_are_terminal(terminal: CaseState) -> None:
    assert terminal.is_terminal
    for target in CaseState:
        with pytest.raises(LifecycleError, match="terminal"):
            assert_transition(terminal, target)


def test_happy_path_from_receipt_to_closure_is_allowed() -> None:
    path = [
        CaseState.RECEIVED,
        CaseState.VALID,
        CaseState.IN_PROGRESS,
        CaseState.QC_PENDING,
        CaseState.READY_FOR_SUBMISSION,
        CaseState.SUBMITTED,
        CaseState.CLOSED,
    ]
    for frm, to in itertools.pairwise(path):
        assert can_transition(frm, to), f"{frm.name} -> {to.name}"


def test_invalid_report_waits_for_follow_up_then_becomes_valid() -> None:
    assert can_transition(CaseState.RECEIVED, CaseState.INVALID_PENDING_INFO)
    assert can_transition(CaseState.INVALID_PENDING_INFO, CaseState.IN_PROGRESS)
    assert can_transition(CaseState.IN_PROGRESS, CaseState.VALID)


def test_negative_ack_requires_correction_and_resubmission() -> None:
    assert can_transition(CaseState.SUBMITTED, CaseState.CORRECTION_REQUIRED)
    assert can_transition(CaseState.CORRECTION_REQUIRED, CaseState.READY_FOR_SUBMISSION)
    assert not can_transition(CaseState.CORRECTION_REQUIRED, CaseState.CLOSED)


def test_staying_in_the_same_state_is_not_a_transition() -> None:
    for state in CaseState:
        assert not can_transition(state, state)


def test_every_state_has_a_row_in_the_transition_table() -> None:
    assert set(TRANSITIONS) == set(CaseState)


def test_states_carry_the_case_api_spanish_names() -> None:
    assert CaseState.INVALID_PENDING_INFO.display_name_es == "Pendiente"
    assert CaseState.IN_PROGRESS.display_name_es == "En progreso"
    assert all(s.display_name_es for s in CaseState)


def test_state_values_are_stable_strings() -> None:
    assert CaseState.READY_FOR_SUBMISSION.value == "ready_for_submission"
    assert CaseState("closed") is CaseState.CLOSED
