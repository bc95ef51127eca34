"""Transactional outbox: rows written with the state change, published later by the relay."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select, update

from gateway.store.sql import insert_ignoring_conflicts
from gateway.store.tables import outbox


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    event_id: str
    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, str], ...] = field(default=())

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "topic": self.topic,
            "key": self.key,
            "value": self.value,
            "headers": [list(h) for h in self.headers],
            "created_at": now,
            "published_at": None,
            "attempts": 0,
        }


@dataclass(frozen=True, slots=True)
class PendingMessage:
    id: int
    message: OutboxMessage


def enqueue(conn: Connection, messages: Sequence[OutboxMessage], now: datetime) -> int:
    """Add messages; an event id already in the outbox is not added twice."""
    return insert_ignoring_conflicts(conn, outbox, [m.row(now) for m in messages])


def enqueue_each_at(conn: Connection, messages: Sequence[tuple[OutboxMessage, datetime]]) -> int:
    """``enqueue``, each message with its own creation time."""
    if not messages:
        return 0
    return insert_ignoring_conflicts(conn, outbox, [m.row(at) for m, at in messages])


def pending(conn: Connection, limit: int) -> list[PendingMessage]:
    rows = conn.execute(
        select(
            outbox.c.id,
            outbox.c.event_id,
            outbox.c.topic,
            outbox.c.key,
            outbox.c.value,
            outbox.c.headers,
        )
        .where(outbox.c.published_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [
        PendingMessage(
            id=r.id,
            message=OutboxMessage(
                event_id=r.event_id,
                topic=r.topic,
                key=r.key,
                value=r.value,
                headers=tuple((str(k), str(v)) for k, v in r.headers),
            ),
        )
        for r in rows
    ]


def mark_published(conn: Connection, ids: Sequence[int], at: datetime) -> None:
    if not ids:
        return
    conn.execute(
        update(outbox).where(outbox.c.id == bindparam("b_id")).values(published_at=at),
        [{"b_id": i} for i in ids],
    )


def publish_again(conn: Connection, outbox_id: int) -> bool:
    """Put a published (or refused) row back in the queue; False when there is no such row."""
    result = conn.execute(update(outbox).where(outbox.c.id == outbox_id).values(published_at=None))
    return bool(result.rowcount)


def count_pending(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
        ).scalar_one()
    )


def requeue_published_since(conn: Connection, since: datetime) -> int:
    """Mark messages published at or after ``since`` as pending again.

    Used after the memory-only embedded broker restarts: what it held is gone, so what
    was published to it since it started is published again (consumers dedupe).
    """
    result = conn.execute(
        update(outbox).where(outbox.c.published_at >= since).values(published_at=None)
    )
    return int(result.rowcount or 0)
