"""Closing a case with a reason and rationale (the case is then locked) and reopening it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from gateway.domain.closure import (
    ClosureFacts,
    ClosureReason,
    ClosureRequest,
    FollowUpFact,
    SubmissionFact,
    decide_closure,
)
from gateway.domain.lifecycle import CaseState
from gateway.errors import InvalidMessageError, LifecycleError
from gateway.ids import new_id
from gateway.store import followup
from gateway.store import submissions as submission_rows
from gateway.store.assessments.common import (
    AssessmentRefusedError,
    emit,
    row_or_raise,
)
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter, current_icsr
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import (
    audit_log,
    case_closures,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClosureRecord:
    id: str
    case_id: str
    case_version: int
    reason: ClosureReason
    rationale: str
    duplicate_of: str | None
    open_submissions_reason: str | None
    open_submissions: tuple[str, ...]
    followups_stopped: tuple[str, ...]
    state_before: CaseState
    closed_by: str
    closed_at: datetime
    #: when, by whom and why the case left CLOSED after this closure (from the audit trail)
    reopened_at: datetime | None = None
    reopened_by: str | None = None
    reopen_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_version": self.case_version,
            "reason": self.reason.value,
            "reason_label": self.reason.label,
            "rationale": self.rationale,
            "duplicate_of": self.duplicate_of,
            "open_submissions_reason": self.open_submissions_reason,
            "open_submissions": list(self.open_submissions),
            "followups_stopped": list(self.followups_stopped),
            "state_before": self.state_before.value,
            "closed_by": self.closed_by,
            "closed_at": self.closed_at.isoformat(),
            "reopened_at": self.reopened_at.isoformat() if self.reopened_at else None,
            "reopened_by": self.reopened_by,
            "reopen_reason": self.reopen_reason,
        }


def _reopenings(conn: Connection, case_id: str) -> list[tuple[datetime, str, str]]:
    """(at, actor, reason) of every move out of CLOSED, from the audit trail."""
    a = audit_log.c
    rows = conn.execute(
        select(a.at, a.actor, a.reason, a.detail)
        .where(
            a.entity_type == "case",
            a.entity_id == case_id,
            a.action.like("transition:%"),
        )
        .order_by(a.id)
    ).all()
    return [
        (r.at, r.actor, r.reason)
        for r in rows
        if isinstance(r.detail, dict) and r.detail.get("from") == CaseState.CLOSED.value
    ]


def closures(conn: Connection, case_id: str) -> list[ClosureRecord]:
    """Every closure of the case, oldest first, each with the reopening that ended it."""
    c = case_closures.c
    rows = conn.execute(
        select(case_closures).where(c.case_id == case_id).order_by(c.closed_at, c.id)
    ).all()
    reopenings = _reopenings(conn, case_id)
    found: list[ClosureRecord] = []
    for r in rows:
        reopened = next((x for x in reopenings if x[0] >= r.closed_at), None)
        if reopened is not None:
            reopenings.remove(reopened)
        found.append(
            ClosureRecord(
                id=r.id,
                case_id=r.case_id,
                case_version=r.case_version,
                reason=ClosureReason(r.reason),
                rationale=r.rationale,
                duplicate_of=r.duplicate_of,
                open_submissions_reason=r.open_submissions_reason,
                open_submissions=tuple(r.open_submissions or ()),
                followups_stopped=tuple(r.followups_stopped or ()),
                state_before=CaseState(r.state_before),
                closed_by=r.closed_by,
                closed_at=r.closed_at,
                reopened_at=reopened[0] if reopened else None,
                reopened_by=reopened[1] if reopened else None,
                reopen_reason=reopened[2] if reopened else None,
            )
        )
    return found


def close_case(
    conn: Connection,
    writer: CaseWriter,
    *,
    case_id: str,
    request: ClosureRequest,
    actor: str,
    now: datetime,
) -> ClosureRecord:
    """Close the case (CLOSED, no new version: the content is unchanged) when
    ``gateway.domain.closure.decide_closure`` allows it; open follow-up requests are stopped.

    Raises ``LifecycleError`` when the state does not allow closing and
    ``AssessmentRefusedError`` (with the reasons) when the facts do not support the reason."""
    row = row_or_raise(conn, case_id, for_update=True)
    icsr = current_icsr(conn, case_id, row.current_version)
    facts = ClosureFacts(
        case_id=case_id,
        state=row.state,
        icsr=icsr,
        valid=row.valid,
        followups=tuple(
            FollowUpFact(request_id=f.id, status=f.status)
            for f in followup.requests_of_case(conn, case_id)
        ),
        submissions=tuple(
            SubmissionFact(submission_id=s.id, destination_id=s.destination_id, status=s.status)
            for s in submission_rows.for_case(conn, case_id)
        ),
    )
    decision = decide_closure(request, facts)
    if decision.lifecycle_refused:
        raise LifecycleError(decision.refusals[0])
    if not decision.allowed:
        raise AssessmentRefusedError(
            f"case {case_id} cannot be closed as '{request.reason.label}'", decision.refusals
        )
    why = f"closed: {request.reason.label}: {request.rationale.strip()}"
    for request_id in decision.followups_to_stop:
        followup.close_request(
            conn, request_id, followup.EXHAUSTED, now, f"stopped: the case was {why}"
        )
    moved = writer.move(
        conn, case_id=case_id, to=CaseState.CLOSED, actor=actor, reason=why, now=now
    )
    record = ClosureRecord(
        id=new_id("CL"),
        case_id=case_id,
        case_version=row.current_version,
        reason=request.reason,
        rationale=request.rationale.strip(),
        duplicate_of=(request.duplicate_of or "").strip() or None,
        open_submissions_reason=(request.open_submissions_reason or "").strip() or None,
        open_submissions=decision.open_submissions,
        followups_stopped=decision.followups_to_stop,
        state_before=row.state,
        closed_by=actor,
        closed_at=now,
    )
    conn.execute(
        case_closures.insert(),
        [
            {
                "id": record.id,
                "case_id": case_id,
                "case_version": record.case_version,
                "reason": record.reason.value,
                "rationale": record.rationale,
                "duplicate_of": record.duplicate_of,
                "open_submissions_reason": record.open_submissions_reason,
                "open_submissions": list(record.open_submissions),
                "followups_stopped": list(record.followups_stopped),
                "state_before": record.state_before.value,
                "closed_by": actor,
                "closed_at": now,
            }
        ],
    )
    entries: list[AuditEntry] = []
    events: list[OutboxMessage] = []
    if moved is not None:
        events.append(moved[0])
        entries.append(moved[1])
    entries.append(
        AuditEntry(
            at=now,
            actor=actor,
            action="case_closed",
            entity_type="case",
            entity_id=case_id,
            reason=why,
            detail={
                "closure_id": record.id,
                "reason": record.reason.value,
                "version": record.case_version,
                "duplicate_of": record.duplicate_of,
                "open_submissions": list(record.open_submissions),
                "open_submissions_reason": record.open_submissions_reason,
                "followups_stopped": list(record.followups_stopped),
            },
        )
    )
    emit(conn, now, events, entries)
    return record


def reopen_case(
    conn: Connection,
    writer: CaseWriter,
    *,
    case_id: str,
    actor: str,
    reason: str,
    now: datetime,
    source_ref: str | None = None,
) -> CaseState:
    """CLOSED -> IN_PROGRESS because new information arrived; the next change is a version."""
    if not reason.strip():
        raise InvalidMessageError("reason: say what new information reopens the case")
    row = row_or_raise(conn, case_id, for_update=True)
    if row.state is not CaseState.CLOSED:
        raise LifecycleError(f"case {case_id} is {row.state.name}, not CLOSED: nothing to reopen")
    moved = writer.move(
        conn,
        case_id=case_id,
        to=CaseState.IN_PROGRESS,
        actor=actor,
        reason=f"reopened: {reason.strip()}",
        now=now,
        source_ref=source_ref,
    )
    if moved is not None:
        emit(conn, now, [moved[0]], [moved[1]])
    return CaseState.IN_PROGRESS
