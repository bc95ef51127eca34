"""Nullifying a case: the version that withdraws it from every regulator that received it.

GVP VI.App.4: a case sent in error (a duplicate, an invalid report) is withdrawn with a
nullification report, C.1.11.1 = 1 and the reason in C.1.11.2. ``nullify_case`` writes that
version through the case-update path (``CaseWriter``), moves the case to NULLIFIED in the
same step, and cancels submissions that were never sent (there is nothing to withdraw at
their receivers). The submission planner, reading the VERSION_CREATED event, then plans one
NULLIFICATION submission per destination that was sent the case.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from gateway.domain.codes import NullificationAmendment
from gateway.domain.lifecycle import CaseState, assert_transition
from gateway.errors import InvalidMessageError, LifecycleError
from gateway.store import audit, outbox
from gateway.store import submissions as store
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter, case_row, current_icsr

__all__ = ["Nullified", "nullify_case"]

#: the destination may hold the case (BUILT: the file may already be on its way)
_SENT = frozenset({store.BUILT, store.DISPATCHED, store.DELIVERED, store.ACCEPTED})
#: owed but never taken by the receiver: cancelled, a nullification replaces them
_UNSENT = frozenset({store.PLANNED, store.BLOCKED, store.CORRECTION_REQUIRED, store.BATCH_REJECTED})
#: C.1.11.2 is at most 2000 characters
_REASON_MAX = 2000


@dataclass(frozen=True, slots=True)
class Nullified:
    case_id: str
    version: int
    #: destinations that were sent the case: each gets a nullification
    destinations: tuple[str, ...]
    #: submissions cancelled because they were never sent
    cancelled: tuple[str, ...]


def nullify_case(
    conn: Connection,
    writer: CaseWriter,
    *,
    case_id: str,
    reason: str,
    actor: str,
    now: datetime,
) -> Nullified:
    """Write the nullification version of ``case_id`` and its event, in ``conn``'s transaction.

    Raises ``InvalidMessageError`` for an unknown case or an empty reason, and
    ``LifecycleError`` when the case cannot be nullified (never sent to a regulator: delete
    it instead; or its state does not allow it).
    """
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidMessageError("a nullification needs a reason (C.1.11.2)")
    if len(reason) > _REASON_MAX:
        raise InvalidMessageError(f"the reason is longer than {_REASON_MAX} characters (C.1.11.2)")
    row = case_row(conn, case_id, for_update=True)
    if row is None:
        raise InvalidMessageError(f"case {case_id} does not exist")
    subs = store.for_case(conn, case_id)
    sent = tuple(sorted({s.destination_id for s in subs if s.status in _SENT}))
    if not sent and row.state is not CaseState.NULLIFIED:
        raise LifecycleError(
            f"case {case_id} was never sent to a regulator, so there is nothing to nullify; "
            "delete it instead"
        )
    assert_transition(row.state, CaseState.NULLIFIED)
    icsr = current_icsr(conn, case_id, row.current_version)
    report = dataclasses.replace(
        icsr.report,
        nullification_amendment=NullificationAmendment.NULLIFICATION,
        nullification_amendment_reason=reason,
    )
    revised = writer.revise(
        conn,
        case_id=case_id,
        icsr=dataclasses.replace(icsr, report=report),
        actor=actor,
        action="case.nullified",
        reason=f"nullified (C.1.11.1 = 1): {reason}",
        now=now,
        significant=False,
        state=CaseState.NULLIFIED,
        detail={"destinations": list(sent)},
    )
    cancelled = tuple(s.id for s in subs if s.status in _UNSENT)
    store.set_status(conn, list(cancelled), store.CANCELLED, now)
    entries = [revised.audit]
    entries.extend(
        AuditEntry(
            at=now,
            actor=actor,
            action="submission.cancelled",
            entity_type="case",
            entity_id=case_id,
            reason="case nullified before this submission was taken by its receiver",
            detail={"submission_id": s.id, "destination": s.destination_id, "from": s.status},
        )
        for s in subs
        if s.id in cancelled
    )
    outbox.enqueue(conn, [revised.event], now)
    audit.record(conn, entries)
    return Nullified(
        case_id=case_id,
        version=revised.version.number,
        destinations=sent,
        cancelled=cancelled,
    )
