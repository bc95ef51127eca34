"""Closure rules: the reason must fit the facts, the lifecycle must allow it, and pending
submissions need a stated reason."""

from __future__ import annotations

import pytest

from gateway.domain.closure import (
    ClosureFacts,
    ClosureReason,
    ClosureRequest,
    FollowUpFact,
    SubmissionFact,
    decide_closure,
)
from gateway.domain.codes import ReactionOutcome
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import TRANSITIONS, CaseState
from gateway.domain.reaction import Reaction


def icsr(*outcomes: ReactionOutcome | None) -> ICSR:
    return ICSR(
        reactions=tuple(
            Reaction(id=f"R{i}", verbatim_native=f"event {i}", outcome=o)
            for i, o in enumerate(outcomes, start=1)
        )
    )


def facts(
    *,
    state: CaseState = CaseState.IN_PROGRESS,
    outcomes: tuple[ReactionOutcome | None, ...] = (ReactionOutcome.RECOVERED,),
    valid: bool | None = True,
    followups: tuple[str, ...] = (),
    submissions: tuple[str, ...] = (),
) -> ClosureFacts:
    return ClosureFacts(
        case_id="C1",
        state=state,
        icsr=icsr(*outcomes),
        valid=valid,
        followups=tuple(
            FollowUpFact(request_id=f"F{i}", status=s) for i, s in enumerate(followups)
        ),
        submissions=tuple(
            SubmissionFact(submission_id=f"S{i}", destination_id="EMA", status=s)
            for i, s in enumerate(submissions)
        ),
    )


def ask(reason: ClosureReason, **kw: str) -> ClosureRequest:
    return ClosureRequest(reason=reason, rationale=kw.pop("rationale", "documented"), **kw)


def test_outcome_known_closes_when_every_reaction_has_an_outcome() -> None:
    decision = decide_closure(
        ask(ClosureReason.OUTCOME_KNOWN),
        facts(outcomes=(ReactionOutcome.RECOVERED, ReactionOutcome.FATAL)),
    )
    assert decision.allowed
    assert decision.refusals == ()


@pytest.mark.parametrize("missing", [None, ReactionOutcome.UNKNOWN])
def test_outcome_known_is_refused_when_an_outcome_is_unknown(
    missing: ReactionOutcome | None,
) -> None:
    decision = decide_closure(
        ask(ClosureReason.OUTCOME_KNOWN), facts(outcomes=(ReactionOutcome.RECOVERED, missing))
    )
    assert not decision.allowed
    assert decision.refusals == ("the outcome is not known for: 'event 2'",)


def test_blank_rationale_is_refused() -> None:
    decision = decide_closure(ask(ClosureReason.OUTCOME_KNOWN, rationale="  "), facts())
    assert not decision.allowed
    assert "rationale is required" in decision.refusals[0]


def test_follow_up_exhausted_needs_an_unanswered_request_and_none_open() -> None:
    reason = ask(ClosureReason.FOLLOW_UP_EXHAUSTED)
    assert decide_closure(reason, facts(followups=("answered", "exhausted"))).allowed
    assert decide_closure(reason, facts(followups=("opted_out",))).allowed
    assert "no follow-up was ever requested" in decide_closure(reason, facts()).refusals[0]
    still = decide_closure(reason, facts(followups=("exhausted", "open")))
    assert "follow-up is still running (open requests: F1)" in still.refusals[0]
    answered = decide_closure(reason, facts(followups=("answered",)))
    assert "every follow-up request was answered" in answered.refusals[0]


def test_invalid_after_attempts_needs_an_invalid_case_and_finished_follow_up() -> None:
    reason = ask(ClosureReason.INVALID_AFTER_ATTEMPTS)
    ok = facts(state=CaseState.INVALID_PENDING_INFO, valid=False, followups=("exhausted",))
    assert decide_closure(reason, ok).allowed
    valid_case = decide_closure(reason, facts(valid=True, followups=("exhausted",)))
    assert "the case is valid" in valid_case.refusals[0]
    never_asked = decide_closure(reason, facts(valid=False))
    assert "no follow-up was attempted" in never_asked.refusals[0]


def test_duplicate_needs_a_master_case_other_than_itself() -> None:
    assert decide_closure(ask(ClosureReason.DUPLICATE, duplicate_of="C0"), facts()).allowed
    assert "master case id" in decide_closure(ask(ClosureReason.DUPLICATE), facts()).refusals[0]
    own = decide_closure(ask(ClosureReason.DUPLICATE, duplicate_of="C1"), facts())
    assert "duplicate of itself" in own.refusals[0]


def test_other_reason_closes_on_its_rationale_alone() -> None:
    assert decide_closure(ask(ClosureReason.OTHER), facts(outcomes=(None,))).allowed


@pytest.mark.parametrize("state", list(CaseState))
def test_closing_follows_the_lifecycle_table(state: CaseState) -> None:
    decision = decide_closure(ask(ClosureReason.OTHER), facts(state=state))
    assert decision.allowed is (CaseState.CLOSED in TRANSITIONS[state])
    if not decision.allowed:
        assert decision.lifecycle_refused


def test_an_already_closed_case_is_not_closed_again() -> None:
    decision = decide_closure(ask(ClosureReason.OTHER), facts(state=CaseState.CLOSED))
    assert decision.lifecycle_refused
    assert "already closed" in decision.refusals[0]


@pytest.mark.parametrize(
    "status",
    [
        "planned",
        "built",
        "dispatched",
        "delivered",
        "correction_required",
        "batch_rejected",
        "blocked",
    ],
)
def test_a_submission_not_yet_accepted_refuses_closure_without_a_reason(status: str) -> None:
    decision = decide_closure(
        ask(ClosureReason.OUTCOME_KNOWN), facts(state=CaseState.SUBMITTED, submissions=(status,))
    )
    assert not decision.allowed
    assert "open_submissions_reason" in decision.refusals[0]
    assert decision.open_submissions == (f"S0 to EMA ({status})",)


def test_a_stated_reason_lets_the_case_close_with_open_submissions() -> None:
    decision = decide_closure(
        ask(ClosureReason.OUTCOME_KNOWN, open_submissions_reason="the regulator withdrew it"),
        facts(state=CaseState.SUBMITTED, submissions=("accepted", "dispatched")),
    )
    assert decision.allowed
    assert decision.open_submissions == ("S1 to EMA (dispatched)",)


def test_accepted_superseded_and_cancelled_submissions_do_not_hold_the_case_open() -> None:
    decision = decide_closure(
        ask(ClosureReason.OUTCOME_KNOWN),
        facts(state=CaseState.SUBMITTED, submissions=("accepted", "superseded", "cancelled")),
    )
    assert decision.allowed
    assert decision.open_submissions == ()


def test_open_follow_up_requests_are_stopped_when_closing_for_another_reason() -> None:
    decision = decide_closure(
        ask(ClosureReason.OUTCOME_KNOWN), facts(followups=("open", "answered", "open"))
    )
    assert decision.allowed
    assert decision.followups_to_stop == ("F0", "F2")


def test_a_refused_closure_stops_nothing() -> None:
    decision = decide_closure(
        ask(ClosureReason.OUTCOME_KNOWN), facts(outcomes=(None,), followups=("open",))
    )
    assert not decision.allowed
    assert decision.followups_to_stop == ()


def test_every_reason_has_a_readable_label() -> None:
    assert {r.label for r in ClosureReason} >= {
        "outcome known",
        "follow-up exhausted",
        "invalid after follow-up attempts",
    }
