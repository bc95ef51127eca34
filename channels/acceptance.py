"""Persist before acknowledging: the one way a channel hands over what it received.

A channel calls :meth:`InboundAcceptor.accept` and answers its sender (SMTP 250, HTTP 200)
only after it returns: by then the raw bytes are in the store and the intake event is in
the outbox, in one transaction. The same (channel, source id) never creates a second record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection

from gateway.clock import utcnow
from gateway.errors import PayloadTooLargeError
from gateway.ids import new_id
from gateway.store import inbound, outbox
from gateway.store.engine import Store
from gateway.store.inbound import InboundRecord
from gateway.store.outbox import OutboxMessage
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

DEFAULT_MAX_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Acceptance:
    inbound_id: str
    duplicate: bool


def inbound_event_id(inbound_id: str) -> str:
    """The intake event's id is derived from the record: re-enqueueing it is deduplicated."""
    return f"inbound:{inbound_id}"


def inbound_report_message(
    codec: AvroCodec,
    topic: str,
    *,
    inbound_id: str,
    channel: str,
    source_id: str,
    received_at: datetime,
    content_type: str,
    headers: Mapping[str, str],
    thread_key: str | None,
    outbox_id: str | None = None,
) -> OutboxMessage:
    """The intake event for a stored record; the raw bytes stay in the store (payload null)."""
    event_id = inbound_event_id(inbound_id)
    value = codec.encode(
        SchemaName.INBOUND_REPORT,
        {
            "event_id": event_id,
            "inbound_id": inbound_id,
            "channel": channel,
            "source_id": source_id,
            "received_at": received_at,
            "content_type": content_type,
            "payload": None,
            "headers": dict(headers),
            "thread_key": thread_key,
            "attributes": {},
        },
    )
    key = (thread_key or inbound_id).encode()
    return OutboxMessage(event_id=outbox_id or event_id, topic=topic, key=key, value=value)


class InboundAcceptor:
    def __init__(
        self,
        store: Store,
        codec: AvroCodec,
        topic_name: Callable[[str], str] = str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._codec = codec
        self._topic = topic_name(Topic.INTAKE_INBOUND)
        self._max_bytes = max_bytes
        self._on_enqueued = on_enqueued

    def _record(
        self,
        channel: str,
        source_id: str,
        payload: bytes,
        content_type: str,
        headers: Mapping[str, str] | None,
        thread_key: str | None,
        received_at: datetime | None,
    ) -> InboundRecord:
        if len(payload) > self._max_bytes:
            raise PayloadTooLargeError(
                f"{channel} message of {len(payload)} bytes is over the limit "
                f"of {self._max_bytes} bytes"
            )
        if not source_id:
            raise ValueError("source_id is required: it is what makes redelivery harmless")
        return InboundRecord(
            id=new_id("IN"),
            channel=channel,
            source_id=source_id,
            received_at=received_at or utcnow(),
            content_type=content_type,
            headers=dict(headers or {}),
            payload=payload,
            thread_key=thread_key,
        )

    def _persist(self, conn: Connection, record: InboundRecord, intake: bool = True) -> Acceptance:
        if not intake:
            # Stored for the record only (e.g. a delivery status callback): no intake event,
            # and already final for intake, so reconciliation never re-enqueues it either.
            record = replace(record, status=inbound.PROCESSED, processed_at=record.received_at)
        stored = inbound.insert_many(conn, [record])[(record.channel, record.source_id)]
        if stored != record.id:
            return Acceptance(inbound_id=stored, duplicate=True)
        if not intake:
            return Acceptance(inbound_id=record.id, duplicate=False)
        message = inbound_report_message(
            self._codec,
            self._topic,
            inbound_id=record.id,
            channel=record.channel,
            source_id=record.source_id,
            received_at=record.received_at,
            content_type=record.content_type,
            headers=record.headers,
            thread_key=record.thread_key,
        )
        outbox.enqueue(conn, [message], record.received_at)
        return Acceptance(inbound_id=record.id, duplicate=False)

    async def accept(
        self,
        *,
        channel: str,
        source_id: str,
        payload: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        thread_key: str | None = None,
        received_at: datetime | None = None,
        intake: bool = True,
    ) -> Acceptance:
        """Store the raw message and its intake event; return once both are durable.

        ``intake=False`` stores the record without an intake event (it never opens a case):
        for channel traffic that is not a report, such as delivery status callbacks.
        """
        record = self._record(
            channel, source_id, payload, content_type, headers, thread_key, received_at
        )
        result = await self._store.run(self._persist, record, intake)
        if intake and not result.duplicate:
            self._on_enqueued()
        return result

    def accept_sync(
        self,
        *,
        channel: str,
        source_id: str,
        payload: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        thread_key: str | None = None,
        received_at: datetime | None = None,
    ) -> Acceptance:
        record = self._record(
            channel, source_id, payload, content_type, headers, thread_key, received_at
        )
        return self._store.run_sync(self._persist, record)
