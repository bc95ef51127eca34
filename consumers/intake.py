"""Intake consumer: every inbound report becomes a case (state RECEIVED) exactly once.

Reports reach the topic two ways: a channel adapter persisted the raw bytes and enqueued a
reference (payload null), or an upstream safety database published the report itself
(payload set), in which case it is persisted here first, deduplicated by its source id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from consumers.envelope import ConsumerSpec, Decoded, Envelope, HandlerContext
from gateway.domain.receipt import open_case_for_receipt
from gateway.errors import InvalidMessageError
from gateway.ids import new_id
from gateway.store import cases, inbound
from gateway.store.audit import AuditEntry
from gateway.store.inbound import InboundRecord
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import inbound_messages
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

CONSUMER = "intake"
ACTOR = "consumer:intake"


@dataclass(frozen=True, slots=True)
class InboundReport:
    event_id: str
    inbound_id: str
    channel: str
    source_id: str
    received_at: datetime
    content_type: str
    payload: bytes | None
    headers: dict[str, str]
    thread_key: str | None


def decoder(codec: AvroCodec) -> Callable[[bytes], Decoded[InboundReport]]:
    def decode(data: bytes) -> Decoded[InboundReport]:
        r = codec.decode_as(SchemaName.INBOUND_REPORT, data)
        msg = InboundReport(
            event_id=r["event_id"],
            inbound_id=r["inbound_id"],
            channel=r["channel"],
            source_id=r["source_id"],
            received_at=r["received_at"],
            content_type=r["content_type"],
            payload=r["payload"],
            headers=r["headers"],
            thread_key=r["thread_key"],
        )
        return Decoded(event_id=msg.event_id, message=msg)

    return decode


@dataclass(frozen=True, slots=True)
class _NewCase:
    """An inbound record about to become a case."""

    event_id: str
    inbound_id: str
    channel: str
    received_at: datetime
    case_id: str


def _store_carried(
    conn: Connection, reports: Sequence[InboundReport], now: datetime
) -> tuple[list[_NewCase], list[tuple[str, str]]]:
    """Store reports that carry their bytes, already marked with the case they produce.

    Returns the new cases to open, and (event id, inbound id) of duplicates, which are
    resolved like any reference to a stored record.
    """
    records = {
        m.event_id: InboundRecord(
            id=m.inbound_id or new_id("IN"),
            channel=m.channel,
            source_id=m.source_id,
            received_at=m.received_at,
            content_type=m.content_type,
            headers=m.headers,
            payload=m.payload,
            thread_key=m.thread_key,
            status=inbound.PROCESSED,
            case_id=new_id("C"),
            processed_at=now,
        )
        for m in reports
        if m.payload is not None
    }
    if not records:
        return [], []
    stored = inbound.insert_many(conn, list(records.values()))
    new: list[_NewCase] = []
    duplicates: list[tuple[str, str]] = []
    for event_id, rec in records.items():
        stored_id = stored[(rec.channel, rec.source_id)]
        if stored_id == rec.id:
            assert rec.case_id is not None
            new.append(_NewCase(event_id, rec.id, rec.channel, rec.received_at, rec.case_id))
        else:
            duplicates.append((event_id, stored_id))
    return new, duplicates


def _claim_referenced(
    conn: Connection, references: Sequence[tuple[str, str]], now: datetime
) -> list[_NewCase]:
    """Records a channel stored earlier: each still accepted one is claimed for a new case."""
    if not references:
        return []
    rows = {
        r.id: r
        for r in conn.execute(
            select(
                inbound_messages.c.id,
                inbound_messages.c.status,
                inbound_messages.c.channel,
                inbound_messages.c.received_at,
            ).where(inbound_messages.c.id.in_({iid for _, iid in references}))
        )
    }
    new: list[_NewCase] = []
    claimed: set[str] = set()
    for event_id, iid in references:
        row = rows.get(iid)
        if row is None:
            raise InvalidMessageError(
                f"inbound record {iid} named by event {event_id} is not in the store"
            )
        if row.status != inbound.ACCEPTED or iid in claimed:
            continue  # already turned into a case by an earlier delivery
        claimed.add(iid)
        new.append(_NewCase(event_id, iid, row.channel, row.received_at, new_id("C")))
    inbound.mark_processed(conn, [(n.inbound_id, n.case_id) for n in new], now)
    return new


def make_handler(
    codec: AvroCodec, topic_name: Callable[[str], str]
) -> Callable[[Connection, Sequence[Envelope[InboundReport]], HandlerContext], None]:
    case_topic = topic_name(Topic.CASE_EVENTS)

    def handle(
        conn: Connection, envelopes: Sequence[Envelope[InboundReport]], ctx: HandlerContext
    ) -> None:
        reports = [e.message for e in envelopes]
        new, duplicates = _store_carried(conn, reports, ctx.now)
        references = duplicates + [(m.event_id, m.inbound_id) for m in reports if m.payload is None]
        new += _claim_referenced(conn, references, ctx.now)
        opened = []
        for n in new:
            case = open_case_for_receipt(
                case_id=n.case_id,
                channel=n.channel,
                received_at=n.received_at,
                inbound_id=n.inbound_id,
                actor=ACTOR,
            )
            opened.append((case, n.inbound_id))
            reason = f"report received on channel {n.channel}"
            ctx.emit(
                _case_received_event(
                    codec, case_topic, case.case_id, case.state.value, ctx.now, n.inbound_id, reason
                )
            )
            ctx.audit(
                AuditEntry(
                    at=ctx.now,
                    actor=ACTOR,
                    action="case.received",
                    entity_type="case",
                    entity_id=case.case_id,
                    reason=reason,
                    detail={"inbound_id": n.inbound_id, "event_id": n.event_id},
                )
            )
        cases.insert_new(conn, opened)

    return handle


def _case_received_event(
    codec: AvroCodec, topic: str, case_id: str, state: str, now: datetime, inbound_id: str, reason: str
) -> OutboxMessage:
    event_id = new_id("EV")
    value = codec.encode(
        SchemaName.CASE_EVENT,
        {
            "event_id": event_id,
            "case_id": case_id,
            "version": 1,
            "event_type": "CASE_RECEIVED",
            "state": state,
            "occurred_at": now,
            "actor": ACTOR,
            "reason": reason,
            "source_inbound_id": inbound_id,
            "significant": True,
        },
    )
    return OutboxMessage(event_id=event_id, topic=topic, key=case_id.encode(), value=value)


def intake_consumer(codec: AvroCodec, topic_name: Callable[[str], str]) -> ConsumerSpec[InboundReport]:
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.INTAKE_INBOUND),
        decode=decoder(codec),
        handle=make_handler(codec, topic_name),
    )
