"""Raw inbound messages: persisted before the channel acknowledges the sender."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select, tuple_, update

from gateway.store.sql import insert_ignoring_conflicts
from gateway.store.tables import inbound_messages

ACCEPTED = "accepted"
PROCESSED = "processed"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class InboundRecord:
    id: str
    channel: str
    source_id: str
    received_at: datetime
    content_type: str
    headers: Mapping[str, str]
    payload: bytes
    thread_key: str | None = None
    #: a record can be stored already processed, when the case it produces is made with it
    status: str = ACCEPTED
    case_id: str | None = None
    processed_at: datetime | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "channel": self.channel,
            "source_id": self.source_id,
            "received_at": self.received_at,
            "content_type": self.content_type,
            "headers": dict(self.headers),
            "payload": self.payload,
            "size": len(self.payload),
            "sha256": hashlib.sha256(self.payload).hexdigest(),
            "thread_key": self.thread_key,
            "status": self.status,
            "case_id": self.case_id,
            "processed_at": self.processed_at,
            "error": None,
        }


def insert_many(conn: Connection, records: Sequence[InboundRecord]) -> dict[tuple[str, str], str]:
    """Insert records not seen before; return (channel, source_id) → stored id for all of them.

    A source id seen before maps to the id stored first, so callers can tell a duplicate
    (returned id differs from theirs) from a new record.
    """
    inserted = insert_ignoring_conflicts(conn, inbound_messages, [r.row() for r in records])
    keys = [(r.channel, r.source_id) for r in records]
    if inserted == len(records) and len(set(keys)) == len(keys):
        return {(r.channel, r.source_id): r.id for r in records}  # all new: nothing to look up
    found: dict[tuple[str, str], str] = {}
    for chunk_start in range(0, len(keys), 500):
        chunk = keys[chunk_start : chunk_start + 500]
        rows = conn.execute(
            select(
                inbound_messages.c.channel, inbound_messages.c.source_id, inbound_messages.c.id
            ).where(tuple_(inbound_messages.c.channel, inbound_messages.c.source_id).in_(chunk))
        )
        for channel, source_id, stored_id in rows:
            found[(channel, source_id)] = stored_id
    return found


def get(conn: Connection, inbound_id: str) -> dict[str, Any] | None:
    row = conn.execute(select(inbound_messages).where(inbound_messages.c.id == inbound_id)).first()
    return dict(row._mapping) if row else None


def mark_processed(
    conn: Connection, processed: Sequence[tuple[str, str | None]], at: datetime
) -> None:
    """Mark inbound ids processed, each with the case it produced (if any)."""
    if not processed:
        return
    conn.execute(
        update(inbound_messages)
        .where(inbound_messages.c.id == _bindparam("b_id"))
        .values(status=PROCESSED, processed_at=at, case_id=_bindparam("b_case")),
        [{"b_id": i, "b_case": c} for i, c in processed],
    )


def mark_rejected(conn: Connection, inbound_id: str, error: str, at: datetime) -> None:
    conn.execute(
        update(inbound_messages)
        .where(inbound_messages.c.id == inbound_id)
        .values(status=REJECTED, processed_at=at, error=error)
    )


def unfinished(conn: Connection, older_than: datetime, limit: int = 10_000) -> list[dict[str, Any]]:
    """Accepted but not yet processed, received before ``older_than``: work to re-enqueue."""
    rows = conn.execute(
        select(inbound_messages)
        .where(
            and_(
                inbound_messages.c.status == ACCEPTED,
                inbound_messages.c.received_at < older_than,
            )
        )
        .order_by(inbound_messages.c.received_at)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def count_by_status(conn: Connection) -> dict[str, int]:
    from sqlalchemy import func

    rows = conn.execute(
        select(inbound_messages.c.status, func.count()).group_by(inbound_messages.c.status)
    )
    return {status: int(n) for status, n in rows}


def _bindparam(name: str) -> Any:
    from sqlalchemy import bindparam

    return bindparam(name)


def set_case(conn: Connection, inbound_id: str, case_id: str) -> None:
    """Name the case a processed record belongs to (a reply threaded to an existing case)."""
    conn.execute(
        update(inbound_messages).where(inbound_messages.c.id == inbound_id).values(case_id=case_id)
    )
