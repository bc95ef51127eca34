"""What a submission is (its kind) and where it stands (its status). Values are stored."""

from __future__ import annotations

from enum import StrEnum

from gateway.domain.codes import NullificationAmendment

__all__ = [
    "AWAITING_CORRECTION",
    "HOLDING",
    "INACTIVE",
    "SubmissionKind",
    "SubmissionStatus",
]


class SubmissionKind(StrEnum):
    INITIAL = "initial"
    FOLLOW_UP = "follow_up"  # significant new information: new Day 0
    AMENDMENT = "amendment"  # C.1.11.1 = 2: corrected content, no new information
    NULLIFICATION = "nullification"  # C.1.11.1 = 1, with C.1.11.2 reason

    @property
    def nullification_amendment(self) -> NullificationAmendment | None:
        """The C.1.11.1 value the message carries (None for initial and follow-up)."""
        if self is SubmissionKind.NULLIFICATION:
            return NullificationAmendment.NULLIFICATION
        if self is SubmissionKind.AMENDMENT:
            return NullificationAmendment.AMENDMENT
        return None


class SubmissionStatus(StrEnum):
    """Where one submission (one case version to one destination) stands."""

    PLANNED = "planned"  # decided, not yet sent
    BLOCKED = "blocked"  # the built E2B has a reject finding: not sent, triage item open
    DISPATCHED = "dispatched"  # handed to the transport; no receipt yet
    DELIVERED = "delivered"  # transport receipt (AS2 MDN or HTTP 2xx); business ACK awaited
    ACCEPTED = "accepted"  # ACK CA (R2: 01)
    CORRECTION_REQUIRED = "correction_required"  # ACK CR (R2: 02): fix and resend
    BATCH_REJECTED = "batch_rejected"  # ACK AR (R2: 03): the whole batch is resent
    SUPERSEDED = "superseded"  # replaced by a later version's submission before sending
    CANCELLED = "cancelled"  # will not be sent (e.g. case nullified before sending)


#: the destination holds the case, or will once this submission is through
HOLDING: frozenset[SubmissionStatus] = frozenset(
    {
        SubmissionStatus.PLANNED,
        SubmissionStatus.DISPATCHED,
        SubmissionStatus.DELIVERED,
        SubmissionStatus.ACCEPTED,
    }
)
#: the submission must be sent again, with a later case version, before the same due date
AWAITING_CORRECTION: frozenset[SubmissionStatus] = frozenset(
    {
        SubmissionStatus.BLOCKED,
        SubmissionStatus.CORRECTION_REQUIRED,
        SubmissionStatus.BATCH_REJECTED,
    }
)
#: history rows that no longer count
INACTIVE: frozenset[SubmissionStatus] = frozenset(
    {SubmissionStatus.SUPERSEDED, SubmissionStatus.CANCELLED}
)
