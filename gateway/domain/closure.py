"""Closing a case: with a reason from a closed list, a written rationale, and only when the
facts support the reason. A closed case is locked; new information reopens it.

Reasons and what each needs:

* ``outcome_known``           every reaction has an outcome other than unknown
* ``follow_up_exhausted``     follow-up was asked, no request is still open, and at least one
  ended without an answer (reminders used up, or the reporter opted out)
* ``invalid_after_attempts``  the case is still not valid (a minimum criterion is missing)
  and follow-up was asked with no request still open
* ``duplicate``               names the master case it duplicates
* ``other``                   the rationale alone carries the decision

Always: the lifecycle must allow the move to CLOSED from the case's state
(``lifecycle.TRANSITIONS``), and a submission not yet accepted (planned, in flight, or
awaiting correction) refuses the closure unless ``open_submissions_reason`` says why the
case may close anyway (GVP VI: a case is not closed with a pending regulatory obligation
unless that is a documented decision). Follow-up requests still open when the case closes
for another reason are stopped (``ClosureDecision.followups_to_stop``): reminders to a
reporter about a closed case serve no one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from gateway.domain.codes import ReactionOutcome
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState, can_transition
from gateway.domain.submissions.kinds import INACTIVE, SubmissionStatus

__all__ = [
    "ClosureDecision",
    "ClosureFacts",
    "ClosureReason",
    "ClosureRequest",
    "FollowUpFact",
    "SubmissionFact",
    "decide_closure",
]

#: follow-up request statuses (gateway.store.followup): which end a request without answer
_FOLLOWUP_OPEN = "open"
_FOLLOWUP_UNANSWERED = frozenset({"exhausted", "opted_out"})


class ClosureReason(StrEnum):
    OUTCOME_KNOWN = "outcome_known"
    FOLLOW_UP_EXHAUSTED = "follow_up_exhausted"
    INVALID_AFTER_ATTEMPTS = "invalid_after_attempts"
    DUPLICATE = "duplicate"
    OTHER = "other"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ClosureReason.OUTCOME_KNOWN: "outcome known",
    ClosureReason.FOLLOW_UP_EXHAUSTED: "follow-up exhausted",
    ClosureReason.INVALID_AFTER_ATTEMPTS: "invalid after follow-up attempts",
    ClosureReason.DUPLICATE: "duplicate of another case",
    ClosureReason.OTHER: "other (see rationale)",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosureRequest:
    reason: ClosureReason
    rationale: str
    duplicate_of: str | None = None
    #: why the case may close while a submission is not yet accepted
    open_submissions_reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FollowUpFact:
    request_id: str
    status: str  # open | answered | exhausted | opted_out


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionFact:
    submission_id: str
    destination_id: str
    status: str  # a SubmissionStatus value ("built" counts as dispatched)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosureFacts:
    case_id: str
    state: CaseState
    icsr: ICSR
    valid: bool | None
    followups: Sequence[FollowUpFact] = ()
    submissions: Sequence[SubmissionFact] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosureDecision:
    allowed: bool
    #: why not, one sentence each (empty when allowed)
    refusals: tuple[str, ...]
    #: open follow-up requests to stop when the case closes
    followups_to_stop: tuple[str, ...] = ()
    #: submissions not yet accepted that the closure overrides (with its reason)
    open_submissions: tuple[str, ...] = ()
    #: True when the lifecycle refused the move (as opposed to the facts)
    lifecycle_refused: bool = False


def _open_submission(status: str) -> bool:
    if status == "built":
        return True
    current = SubmissionStatus(status)
    return current not in INACTIVE and current is not SubmissionStatus.ACCEPTED


def decide_closure(request: ClosureRequest, facts: ClosureFacts) -> ClosureDecision:
    """Whether the case may close for this reason now, and what closing it also stops."""
    refusals: list[str] = []
    if facts.state is CaseState.CLOSED:
        return ClosureDecision(
            allowed=False,
            refusals=(f"case {facts.case_id} is already closed",),
            lifecycle_refused=True,
        )
    if not can_transition(facts.state, CaseState.CLOSED):
        return ClosureDecision(
            allowed=False,
            refusals=(
                f"a case in state {facts.state.name} cannot be closed "
                "(the lifecycle allows closing from INVALID_PENDING_INFO, VALID, IN_PROGRESS, "
                "QC_PENDING and SUBMITTED)",
            ),
            lifecycle_refused=True,
        )
    if not request.rationale.strip():
        refusals.append("a written rationale is required to close a case")
    followups = list(facts.followups)
    still_open = tuple(f.request_id for f in followups if f.status == _FOLLOWUP_OPEN)
    reason = request.reason
    if reason is ClosureReason.OUTCOME_KNOWN:
        unknown = [
            r.verbatim_translation or r.verbatim_native or r.id
            for r in facts.icsr.reactions
            if r.outcome is None or r.outcome is ReactionOutcome.UNKNOWN
        ]
        if not facts.icsr.reactions:
            refusals.append("the case has no reaction whose outcome could be known")
        elif unknown:
            refusals.append("the outcome is not known for: " + ", ".join(repr(u) for u in unknown))
    elif reason is ClosureReason.FOLLOW_UP_EXHAUSTED:
        if not followups:
            refusals.append("no follow-up was ever requested for this case")
        elif still_open:
            refusals.append(
                "follow-up is still running (open requests: " + ", ".join(still_open) + ")"
            )
        elif not any(f.status in _FOLLOWUP_UNANSWERED for f in followups):
            refusals.append("every follow-up request was answered: follow-up is not exhausted")
    elif reason is ClosureReason.INVALID_AFTER_ATTEMPTS:
        if facts.valid:
            refusals.append("the case is valid: it cannot be closed as invalid")
        if not followups:
            refusals.append("no follow-up was attempted to complete the minimum criteria")
        elif still_open:
            refusals.append(
                "follow-up is still running (open requests: " + ", ".join(still_open) + ")"
            )
    elif reason is ClosureReason.DUPLICATE:
        master = (request.duplicate_of or "").strip()
        if not master:
            refusals.append("closing as a duplicate needs the master case id (duplicate_of)")
        elif master == facts.case_id:
            refusals.append("a case cannot be a duplicate of itself")
    pending = tuple(
        f"{s.submission_id} to {s.destination_id} ({s.status})"
        for s in facts.submissions
        if _open_submission(s.status)
    )
    if pending and not (request.open_submissions_reason or "").strip():
        refusals.append(
            "submissions are not yet accepted: "
            + "; ".join(pending)
            + " (give open_submissions_reason to close anyway)"
        )
    return ClosureDecision(
        allowed=not refusals,
        refusals=tuple(refusals),
        followups_to_stop=still_open if not refusals else (),
        open_submissions=pending,
    )
