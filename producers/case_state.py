"""Moving a case's workflow state as submissions progress (sent → SUBMITTED, CR →
CORRECTION_REQUIRED), through the allowed transitions only.

The gateway may submit a valid case without a person moving it through QC (setting
``submission_auto_submit``): the case then walks the shortest allowed path (VALID →
QC_PENDING → READY_FOR_SUBMISSION → SUBMITTED), each step audited and announced, so the
history says exactly what happened and who did it.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime

from sqlalchemy import Connection

from gateway.domain.lifecycle import TRANSITIONS, CaseState
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter, case_row
from gateway.store.outbox import OutboxMessage


def path_to(start: CaseState, goal: CaseState) -> tuple[CaseState, ...] | None:
    """The shortest sequence of states after ``start`` that ends in ``goal`` (``()`` when
    already there, None when the lifecycle allows no way)."""
    if start is goal:
        return ()
    previous: dict[CaseState, CaseState] = {}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for nxt in sorted(TRANSITIONS[state], key=lambda s: s.value):
            if nxt in previous or nxt is start:
                continue
            previous[nxt] = state
            if nxt is goal:
                steps = [goal]
                while previous[steps[-1]] is not start:
                    steps.append(previous[steps[-1]])
                return tuple(reversed(steps))
            # Never route through a terminal or side state on the way.
            if nxt not in (CaseState.DELETED, CaseState.NULLIFIED, CaseState.CLOSED):
                queue.append(nxt)
    return None


def move_case(
    writer: CaseWriter,
    conn: Connection,
    *,
    case_id: str,
    to: CaseState,
    actor: str,
    reason: str,
    now: datetime,
    source_ref: str | None = None,
) -> tuple[list[OutboxMessage], list[AuditEntry], bool]:
    """Move the case to ``to`` along the shortest allowed path.

    Returns the events and audit entries to write, and whether the case is (now) in
    ``to``; a case with no allowed path (e.g. NULLIFIED) is left as it is.
    """
    row = case_row(conn, case_id)
    if row is None:
        return [], [], False
    steps = path_to(row.state, to)
    if steps is None:
        return [], [], False
    events: list[OutboxMessage] = []
    audits: list[AuditEntry] = []
    for step in steps:
        moved = writer.move(
            conn,
            case_id=case_id,
            to=step,
            actor=actor,
            reason=reason if step is to else f"{reason} (on the way to {to.value})",
            now=now,
            source_ref=source_ref,
        )
        if moved is not None:
            events.append(moved[0])
            audits.append(moved[1])
    return events, audits, True
