"""Dead letters kept in the store: visible to people, and replayable after the broker restarts."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from gateway.store.sql import insert_ignoring_conflicts
from gateway.store.tables import dead_letters

PENDING = "pending"
REPLAYED = "replayed"


@dataclass(frozen=True, slots=True)
class DeadLetterRecord:
    id: str
    original_topic: str
    original_partition: int
    original_offset: int
    original_key: bytes | None
    original_value: bytes
    original_headers: tuple[tuple[str, bytes | None], ...]
    error_type: str
    error_message: str
    consumer: str
    attempts: int
    failed_at: datetime
    status: str = PENDING

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "original_topic": self.original_topic,
            "original_partition": self.original_partition,
            "original_offset": self.original_offset,
            "original_key": self.original_key,
            "original_value": self.original_value,
            "original_headers": [
                [k, base64.b64encode(v).decode("ascii") if v is not None else None]
                for k, v in self.original_headers
            ],
            "error_type": self.error_type,
            "error_message": self.error_message,
            "consumer": self.consumer,
            "attempts": self.attempts,
            "failed_at": self.failed_at,
            "status": self.status,
        }

    @classmethod
    def from_row(cls, r: Any) -> DeadLetterRecord:
        return cls(
            id=r.id,
            original_topic=r.original_topic,
            original_partition=r.original_partition,
            original_offset=r.original_offset,
            original_key=r.original_key,
            original_value=r.original_value,
            original_headers=tuple(
                (str(k), base64.b64decode(v) if v is not None else None)
                for k, v in r.original_headers
            ),
            error_type=r.error_type,
            error_message=r.error_message,
            consumer=r.consumer,
            attempts=r.attempts,
            failed_at=r.failed_at,
            status=r.status,
        )


def record(conn: Connection, letters: Sequence[DeadLetterRecord]) -> None:
    """Keep dead letters; the same (topic, partition, offset, consumer) is kept once."""
    insert_ignoring_conflicts(conn, dead_letters, [d.row() for d in letters])


def list_letters(
    conn: Connection, status: str | None = PENDING, consumer: str | None = None, limit: int = 1000
) -> list[DeadLetterRecord]:
    q = select(dead_letters).order_by(dead_letters.c.failed_at).limit(limit)
    if status is not None:
        q = q.where(dead_letters.c.status == status)
    if consumer is not None:
        q = q.where(dead_letters.c.consumer == consumer)
    return [DeadLetterRecord.from_row(r) for r in conn.execute(q)]


def mark_replayed(conn: Connection, ids: Sequence[str], at: datetime) -> None:
    if ids:
        conn.execute(
            update(dead_letters)
            .where(dead_letters.c.id.in_(list(ids)))
            .values(status=REPLAYED, replayed_at=at)
        )


def count_pending(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(dead_letters).where(dead_letters.c.status == PENDING)
        ).scalar_one()
    )
