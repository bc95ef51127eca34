"""Persist before acknowledging: the one way a channel hands over what it received.

A channel calls :meth:`InboundAcceptor.accept` and answers its sender (SMTP 250, HTTP 200)
only after it returns: by then the raw bytes are in the store and the intake event is in
the outbox, in one transaction. The same (channel, source id) never creates a second record.

Concurrent accepts share transactions (group commit): what arrives while a transaction is
being written goes into the next one, so a burst of senders costs one store transaction
and one wait for the writer lock per group rather than per message. Nothing waits for a
group to fill: a lone message is written at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
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
#: most records, and raw bytes, written in one group transaction
GROUP_MAX_RECORDS = 256
GROUP_MAX_BYTES = 64 * 1024 * 1024


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


@dataclass(frozen=True, slots=True)
class _Waiting:
    """A record waiting for its group's transaction, and how its sender is answered."""

    record: InboundRecord
    intake: bool
    future: asyncio.Future[Acceptance]


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
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None

    @property
    def store(self) -> Store:
        return self._store

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
        return self._persist_many(conn, [(record, intake)])[0]

    def _persist_many(
        self, conn: Connection, items: Sequence[tuple[InboundRecord, bool]]
    ) -> list[Acceptance]:
        """Store records in order, as if one after the other: of two with the same
        (channel, source id), the first is stored and the second is its duplicate."""
        records = [
            record
            if intake
            # Stored for the record only (e.g. a delivery status callback): no intake event,
            # and already final for intake, so reconciliation never re-enqueues it either.
            else replace(record, status=inbound.PROCESSED, processed_at=record.received_at)
            for record, intake in items
        ]
        stored = inbound.insert_many(conn, records)
        results: list[Acceptance] = []
        messages: list[tuple[OutboxMessage, datetime]] = []
        for record, (_, intake) in zip(records, items, strict=True):
            stored_id = stored[(record.channel, record.source_id)]
            if stored_id != record.id:
                results.append(Acceptance(inbound_id=stored_id, duplicate=True))
                continue
            results.append(Acceptance(inbound_id=record.id, duplicate=False))
            if intake:
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
                messages.append((message, record.received_at))
        outbox.enqueue_each_at(conn, messages)
        return results

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
        loop = asyncio.get_running_loop()
        waiting = _Waiting(record, intake, loop.create_future())
        self._waiting.append(waiting)
        writer = self._writer
        if writer is None or writer.done() or writer.get_loop() is not loop:
            self._waiting = [w for w in self._waiting if w.future.get_loop() is loop]
            self._writer = loop.create_task(self._write_groups(), name="inbound-group-commit")
        # The caller may give up (a dropped connection): the write goes on regardless.
        return await asyncio.shield(waiting.future)

    async def _write_groups(self) -> None:
        """Write what is waiting, a group per transaction, until nothing is."""
        while self._waiting:
            group = self._next_group()
            try:
                results = await self._store.run(
                    self._persist_many, [(w.record, w.intake) for w in group]
                )
            except Exception:  # noqa: BLE001 - each record then fails (or not) on its own
                results = None
            except BaseException:  # cancelled (the loop is closing): no sender waits forever
                for w in (*group, *self._waiting):
                    w.future.cancel()
                raise
            if results is None:
                await self._write_one_by_one(group)
                continue
            for w, result in zip(group, results, strict=True):
                w.future.set_result(result)
            if any(w.intake and not r.duplicate for w, r in zip(group, results, strict=True)):
                self._on_enqueued()

    def _next_group(self) -> list[_Waiting]:
        size = 0
        count = 0
        for w in self._waiting:
            if count and (
                count >= GROUP_MAX_RECORDS or size + len(w.record.payload) > GROUP_MAX_BYTES
            ):
                break
            count += 1
            size += len(w.record.payload)
        group, self._waiting = self._waiting[:count], self._waiting[count:]
        return group

    async def _write_one_by_one(self, group: Sequence[_Waiting]) -> None:
        """A failed group: one record's problem must not refuse the others."""
        for w in group:
            try:
                result = await self._store.run(self._persist, w.record, w.intake)
            except Exception as exc:  # noqa: BLE001 - handed to that record's sender
                w.future.set_exception(exc)
                continue
            w.future.set_result(result)
            if w.intake and not result.duplicate:
                self._on_enqueued()

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
