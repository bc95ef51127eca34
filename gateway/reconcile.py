"""Reconciliation: work that is in the store but unfinished is put back on its topic.

The store is the source of truth. Anything accepted but not yet processed (because the
memory-only embedded broker restarted, a publish was lost, or a consumer died before its
transaction) is re-enqueued through the outbox with its original event id, so the consumer's
processed-event check makes a second delivery harmless.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Connection, select, update

from channels.acceptance import inbound_report_message
from gateway.logs import get_logger
from gateway.store import inbound, outbox, processed
from gateway.store.tables import dead_letters
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

    def republish_unconsumed(
        self,
        conn: Connection,
        consumers: Mapping[str, Sequence[str]],
        since: datetime,
    ) -> int:
        """After the memory-only embedded broker started afresh: events published since
        ``since`` that a consumer of their topic has not handled (nor dead-lettered) are
        published again; the consumers drop what they had already done.

        ``consumers``: topic -> names of the consumers reading it. Intake records are left
        to ``reenqueue_unfinished`` (their own state says what is unfinished).
        """
        again: list[int] = []
        for topic, names in consumers.items():
            if topic == self._intake_topic or not names:
                continue
            rows = conn.execute(
                select(outbox_table.c.id, outbox_table.c.event_id, outbox_table.c.value).where(
                    outbox_table.c.topic == topic,
                    outbox_table.c.published_at.is_not(None),
                    outbox_table.c.published_at >= since,
                )
            ).all()
            if not rows:
                continue
            # the outbox id of a re-enqueued event carries "#<stamp>" after the event's id
            base = {r.id: r.event_id.split("#", 1)[0] for r in rows}
            for name in names:
                done = processed.already_processed(conn, name, sorted(set(base.values())))
                dead = set(
                    conn.execute(
                        select(dead_letters.c.original_value).where(
                            dead_letters.c.consumer == name,
                            dead_letters.c.original_topic == topic,
                        )
                    ).scalars()
                )
                again.extend(r.id for r in rows if base[r.id] not in done and r.value not in dead)
        ids = sorted(set(again))
        for start in range(0, len(ids), 500):
            conn.execute(
                update(outbox_table)
                .where(outbox_table.c.id.in_(ids[start : start + 500]))
                .values(published_at=None)
            )
        if ids:
            log.info("reconciliation republishes events no consumer handled", count=len(ids))
        return len(ids)
