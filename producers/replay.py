"""Replaying dead letters: their original bytes and headers go back on the original topic."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Connection

from gateway.clock import utcnow
from gateway.store import audit, dead_letters, outbox
from gateway.store.audit import AuditEntry
from gateway.store.outbox import OutboxMessage


def replay_dead_letters(
    conn: Connection,
    consumer: str | None = None,
    ids: Sequence[str] | None = None,
    actor: str = "cli",
) -> int:
    now = utcnow()
    letters = dead_letters.list_letters(conn, dead_letters.PENDING, consumer, limit=100_000)
    if ids is not None:
        wanted = set(ids)
        letters = [d for d in letters if d.id in wanted]
    stamp = now.strftime("%Y%m%dT%H%M%S%f")
    messages = [
        OutboxMessage(
            event_id=f"replay:{d.id}:{stamp}",
            topic=d.original_topic,
            key=d.original_key,
            value=d.original_value,
            headers=(
                *(
                    (k, v.decode("utf-8", "replace"))
                    for k, v in d.original_headers
                    if v is not None
                ),
                ("x-replayed-from", d.id),
            ),
        )
        for d in letters
    ]
    outbox.enqueue(conn, messages, now)
    dead_letters.mark_replayed(conn, [d.id for d in letters], now)
    audit.record(
        conn,
        [
            AuditEntry(
                at=now,
                actor=actor,
                action="dead_letter.replayed",
                entity_type="dead_letter",
                entity_id=d.id,
                reason="replay requested",
                detail={"topic": d.original_topic, "consumer": d.consumer},
            )
            for d in letters
        ],
    )
    return len(messages)
