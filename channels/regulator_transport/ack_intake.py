"""Persist before routing: every acknowledgement (file, HTTP body) is stored raw first.

In one transaction the raw bytes go to the ``acks`` table and the parsed ACK goes to the
outbox as an ACK_EVENTS event (keyed by batch number) for the ACK router. The exact same
bytes again are recorded as a duplicate and publish nothing; bytes that are not an ACK are
recorded as unreadable and open a triage item. Nothing received is dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gateway.clock import utcnow
from gateway.ids import new_id
from gateway.logs import get_logger
from gateway.store import outbox, triage
from gateway.store import submissions as store
from gateway.store.engine import Store
from gateway.store.outbox import OutboxMessage
from gateway.store.triage import TriageItem
from schemas.avro import AvroCodec, SchemaName
from schemas.e2b_ack import AckSummary, InvalidAckError, MalformedAckError, parse_ack
from schemas.topics import Topic
from schemas.xml_safety import XMLLoadError

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AckAcceptance:
    ack_id: str
    duplicate: bool
    readable: bool
    batch_number: str | None = None
    error: str | None = None


def ack_event_id(ack_id: str) -> str:
    """Derived from the stored ACK: re-enqueueing it is deduplicated by the router."""
    return f"ack:{ack_id}"


def ack_event(
    codec: AvroCodec, topic: str, ack_id: str, summary: AckSummary, received_at: datetime
) -> OutboxMessage:
    value = codec.encode(
        SchemaName.ACKNOWLEDGEMENT_EVENT,
        {
            "event_id": ack_event_id(ack_id),
            "inbound_id": ack_id,
            "format": summary.format,
            "batch_number": summary.batch_number,
            "batch_code": summary.batch_code,
            "batch_text": summary.batch_text,
            "received_at": received_at,
            "items": [
                {
                    "message_id": i.message_id,
                    "message_date": i.message_date,
                    "local_report_number": i.local_report_number,
                    "code": i.code,
                    "error_text": i.error_text,
                }
                for i in summary.items
            ],
        },
    )
    return OutboxMessage(
        event_id=ack_event_id(ack_id),
        topic=topic,
        key=summary.batch_number.encode(),
        value=value,
    )


def _parsed(summary: AckSummary) -> dict[str, Any]:
    return {
        "batch_text": summary.batch_text,
        "sender": summary.sender,
        "receiver": summary.receiver,
        "items": [
            {
                "message_id": i.message_id,
                "message_date": i.message_date,
                "local_report_number": i.local_report_number,
                "code": i.code,
                "error_text": i.error_text,
            }
            for i in summary.items
        ],
    }


class AckAcceptor:
    def __init__(
        self,
        store_: Store,
        codec: AvroCodec,
        topic_name: Callable[[str], str] = str,
        on_enqueued: Callable[[], None] = lambda: None,
        max_bytes: int = 20 * 1024 * 1024,
    ) -> None:
        self._store = store_
        self._codec = codec
        self._topic = topic_name(Topic.ACK_EVENTS)
        self._on_enqueued = on_enqueued
        self._max_bytes = max_bytes

    def _persist(
        self, conn: Connection, data: bytes, source: str, source_ref: str | None, now: datetime
    ) -> AckAcceptance:
        digest = hashlib.sha256(data).hexdigest()
        ack_id = new_id("ACK")
        row: dict[str, Any] = {
            "id": ack_id,
            "source": source,
            "source_ref": (source_ref or "")[:512] or None,
            "received_at": now,
            "sha256": digest,
            "raw": data,
            "outcome": store.RECEIVED,
            "duplicate": False,
        }
        try:
            summary = parse_ack(data, max_bytes=self._max_bytes)
        except (XMLLoadError, MalformedAckError, InvalidAckError) as exc:
            row.update(outcome=store.UNREADABLE, error=str(exc)[:2000])
            store.insert_ack(conn, row)
            triage.open_items(
                conn,
                [
                    TriageItem(
                        kind="ack_unreadable",
                        reason=f"an acknowledgement from {source} could not be read: {exc}",
                        created_at=now,
                        detail={"ack_id": ack_id, "source_ref": source_ref, "sha256": digest},
                    )
                ],
            )
            return AckAcceptance(ack_id, duplicate=False, readable=False, error=str(exc))
        row.update(
            format=summary.format,
            batch_number=summary.batch_number[:100],
            ack_message_id=(summary.ack_message_id or "")[:100] or None,
            batch_code=summary.batch_code,
            parsed=_parsed(summary),
        )
        if store.ack_seen(conn, digest) is not None:
            row.update(outcome=store.DUPLICATE, duplicate=True, routed_at=now)
            store.insert_ack(conn, row)
            return AckAcceptance(
                ack_id, duplicate=True, readable=True, batch_number=summary.batch_number
            )
        store.insert_ack(conn, row)
        outbox.enqueue(conn, [ack_event(self._codec, self._topic, ack_id, summary, now)], now)
        return AckAcceptance(
            ack_id, duplicate=False, readable=True, batch_number=summary.batch_number
        )

    def accept_sync(
        self, data: bytes, *, source: str, source_ref: str | None = None
    ) -> AckAcceptance:
        result = self._store.run_sync(self._persist, data, source, source_ref, utcnow())
        self._log(result, source)
        if result.readable and not result.duplicate:
            self._on_enqueued()
        return result

    async def accept(
        self, data: bytes, *, source: str, source_ref: str | None = None
    ) -> AckAcceptance:
        result = await self._store.run(self._persist, data, source, source_ref, utcnow())
        self._log(result, source)
        if result.readable and not result.duplicate:
            self._on_enqueued()
        return result

    def _log(self, result: AckAcceptance, source: str) -> None:
        log.info(
            "acknowledgement received",
            ack_id=result.ack_id,
            source=source,
            batch_number=result.batch_number,
            duplicate=result.duplicate,
            readable=result.readable,
        )

    def reenqueue_unrouted(self, conn: Connection, now: datetime, older_than: datetime) -> int:
        """Put stored-but-unrouted ACKs back on the topic (the broker may be new)."""
        messages = []
        for row in store.unrouted_acks(conn, older_than):
            try:
                summary = parse_ack(row["raw"], max_bytes=self._max_bytes)
            except (XMLLoadError, MalformedAckError, InvalidAckError):
                continue  # it was readable when stored; a changed parser is not our case
            message = ack_event(self._codec, self._topic, row["id"], summary, row["received_at"])
            stamp = now.strftime("%Y%m%dT%H%M%S%f")
            messages.append(
                OutboxMessage(
                    event_id=f"{message.event_id}#{stamp}",
                    topic=message.topic,
                    key=message.key,
                    value=message.value,
                )
            )
        outbox.enqueue(conn, messages, now)
        return len(messages)
