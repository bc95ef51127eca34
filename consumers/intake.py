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


def _persist_carried_payloads(conn: Connection, reports: Sequence[InboundReport]) -> dict[str, str]:
    """Store reports that carry their bytes; map each event id to the stored inbound id."""
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
        )
        for m in reports
        if m.payload is not None
    }
    stored = inbound.insert_many(conn, list(records.values())) if records else {}
    return {eid: stored[(r.channel, r.source_id)] for eid, r in records.items()}


def make_handler(
    codec: AvroCodec, topic_name: Callable[[str], str]
) -> Callable[[Connection, Sequence[Envelope[InboundReport]], HandlerContext], None]:
    case_topic = topic_name(Topic.CASE_EVENTS)

    def handle(conn: Connection, envelopes: Sequence[Envelope[InboundReport]], ctx: HandlerContext) -> None:
        reports = [e.message for e in envelopes]
        inbound_ids = _persist_carried_payloads(conn, reports)
        wanted = {m.event_id: inbound_ids.get(m.event_id, m.inbound_id) for m in reports}
        rows = {
            r.id: r
            for r in conn.execute(
                select(inbound_messages.c.id, inbound_messages.c.status, inbound_messages.c.channel,
                       inbound_messages.c.received_at)
                .where(inbound_messages.c.id.in_(set(wanted.values())))
            )
        }
        opened = []
        done: list[tuple[str, str | None]] = []
        handled: set[str] = set()
        for m in reports:
            iid = wanted[m.event_id]
            row = rows.get(iid)
            if row is None:
                raise InvalidMessageError(f"inbound record {iid} named by event {m.event_id} is not in the store")
            if row.status != inbound.ACCEPTED or iid in handled:
                continue  # already turned into a case by an earlier delivery
            handled.add(iid)
            case = open_case_for_receipt(
                case_id=new_id("C"), channel=row.channel, received_at=row.received_at,
                inbound_id=iid, actor=ACTOR,
            )
            opened.append((case, iid))
            done.append((iid, case.case_id))
            ctx.emit(_case_received_event(codec, case_topic, case.case_id, case.state.value, ctx.now, iid, row.channel))
            ctx.audit(AuditEntry(
                at=ctx.now, actor=ACTOR, action="case.received", entity_type="case",
                entity_id=case.case_id, reason=f"report received on channel {row.channel}",
                detail={"inbound_id": iid, "event_id": m.event_id},
            ))
        cases.insert_new(conn, opened)
        inbound.mark_processed(conn, done, ctx.now)

    return handle


def _case_received_event(
    codec: AvroCodec, topic: str, case_id: str, state: str, now: datetime, inbound_id: str, channel: str
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
            "reason": f"report received on channel {channel}",
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
