"""Processed events: what makes consumers idempotent under redelivery."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, and_, select

from gateway.store.sql import insert_ignoring_conflicts
from gateway.store.tables import processed_events


def already_processed(conn: Connection, consumer: str, event_ids: Sequence[str]) -> set[str]:
    seen: set[str] = set()
    for start in range(0, len(event_ids), 500):
        chunk = list(event_ids[start : start + 500])
        rows = conn.execute(
            select(processed_events.c.event_id).where(
                and_(
                    processed_events.c.consumer == consumer, processed_events.c.event_id.in_(chunk)
                )
            )
        )
        seen.update(r[0] for r in rows)
    return seen


def mark(conn: Connection, consumer: str, event_ids: Sequence[str], at: datetime) -> None:
    insert_ignoring_conflicts(
        conn,
        processed_events,
        [{"consumer": consumer, "event_id": e, "processed_at": at} for e in event_ids],
    )
