"""Reconciliation: work that is in the store but unfinished is put back on its topic.

The store is the source of truth. Anything accepted but not yet processed (because the
memory-only embedded broker restarted, a publish was lost, or a consumer died before its
transaction) is re-enqueued through the outbox with its original event id, so the consumer's
processed-event check makes a second delivery harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from channels.acceptance import inbound_report_message
from gateway.logs import get_logger
from gateway.store import inbound, outbox
from gateway.store.tables import outbox as outbox_table
from schemas.avro import AvroCodec
from schemas.topics import Topic

log = get_logger(__name__)


class Reconciler:
    def __init__(self, codec: AvroCodec, topic_name: Callable[[str], str] = str) -> None:
        self._codec = codec
        self._intake_topic = topic_name(Topic.INTAKE_INBOUND)

    def _pending_intake_events(self, conn: Connection) -> set[str]:
        rows = conn.execute(
            select(outbox_table.c.event_id).where(
                outbox_table.c.published_at.is_(None), outbox_table.c.topic == self._intake_topic
            )
        )
        return {r[0].split("#", 1)[0] for r in rows}

    def reenqueue_unfinished(self, conn: Connection, now: datetime, grace: timedelta) -> int:
        """Re-enqueue accepted-but-unprocessed inbound messages older than ``grace``."""
        waiting = self._pending_intake_events(conn)
        messages = []
        stamp = now.strftime("%Y%m%dT%H%M%S%f")
        for row in inbound.unfinished(conn, older_than=now - grace):
            base = f"inbound:{row['id']}"
            if base in waiting:
                continue  # still in the outbox: the relay will publish it
            messages.append(
                inbound_report_message(
                    self._codec,
                    self._intake_topic,
                    inbound_id=row["id"],
                    channel=row["channel"],
                    source_id=row["source_id"],
                    received_at=row["received_at"],
                    content_type=row["content_type"],
                    headers=row["headers"],
                    thread_key=row["thread_key"],
                    outbox_id=f"{base}#{stamp}",
                )
            )
        outbox.enqueue(conn, messages, now)
        if messages:
            log.info("reconciliation re-enqueued unfinished inbound", count=len(messages))
        return len(messages)
