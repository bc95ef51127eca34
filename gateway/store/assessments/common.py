"""What the assessment writers share: their errors, the lock rule, emitting events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Final

from sqlalchemy import Connection

from gateway.domain.lifecycle import CaseState
from gateway.errors import GatewayError, InvalidMessageError
from gateway.store import audit, outbox
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseRow, case_row
from gateway.store.outbox import OutboxMessage

#: states in which a case takes no edits through the API (closed: reopen first)
LOCKED_STATES: Final = frozenset({CaseState.CLOSED, CaseState.NULLIFIED, CaseState.DELETED})


class CaseNotFoundError(InvalidMessageError):
    code = "not_found"


class AssessmentRefusedError(GatewayError):
    """The decision cannot be recorded as asked; ``problems`` says why, one line each."""

    code = "refused"

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


def row_or_raise(conn: Connection, case_id: str, *, for_update: bool = False) -> CaseRow:
    row = case_row(conn, case_id, for_update=for_update)
    if row is None:
        raise CaseNotFoundError(f"case {case_id} does not exist")
    return row


def emit(
    conn: Connection, now: datetime, events: Iterable[OutboxMessage], entries: Iterable[AuditEntry]
) -> None:
    outbox.enqueue(conn, list(events), now)
    audit.record(conn, list(entries))


def is_locked(conn: Connection, case_id: str) -> bool:
    """True when the case takes no edits: CLOSED (reopen it first), NULLIFIED or DELETED.

    False for a case that does not exist (the caller answers 404 for that)."""
    row = case_row(conn, case_id)
    return row is not None and row.state in LOCKED_STATES
