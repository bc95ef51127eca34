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
class _Opened:
    """A case opened for one inbound record: its rows, its event and its audit entry."""

    inbound_id: str
    rows: cases.NewCaseRows
    event: OutboxMessage
    audit: AuditEntry


@dataclass(frozen=True, slots=True)
class _Carried:
    """A report that carries its bytes: the record to store and the case it would open."""

    record: InboundRecord
    opened: _Opened


class IntakeHandler:
    def __init__(self, codec: AvroCodec, topic_name: Callable[[str], str]) -> None:
        self._codec = codec
        self._case_topic = topic_name(Topic.CASE_EVENTS)

    def _open(
        self, event_id: str, inbound_id: str, channel: str, received_at: datetime, now: datetime
    ) -> _Opened:
        case = open_case_for_receipt(
            case_id=new_id("C"),
            channel=channel,
            received_at=received_at,
            inbound_id=inbound_id,
            actor=ACTOR,
        )
        reason = f"report received on channel {channel}"
        return _Opened(
            inbound_id=inbound_id,
            rows=cases.rows_for_new([(case, inbound_id)]),
            event=_case_received_event(
                self._codec,
                self._case_topic,
                case.case_id,
                case.state.value,
                now,
                inbound_id,
                reason,
            ),
            audit=AuditEntry(
                at=now,
                actor=ACTOR,
                action="case.received",
                entity_type="case",
                entity_id=case.case_id,
                reason=reason,
                detail={"inbound_id": inbound_id, "event_id": event_id},
            ),
        )

    def _carried(self, m: InboundReport, now: datetime) -> _Carried:
        assert m.payload is not None
        inbound_id = m.inbound_id or new_id("IN")
        opened = self._open(m.event_id, inbound_id, m.channel, m.received_at, now)
        record = InboundRecord(
            id=inbound_id,
            channel=m.channel,
            source_id=m.source_id,
            received_at=m.received_at,
            content_type=m.content_type,
            headers=m.headers,
            payload=m.payload,
            thread_key=m.thread_key,
            # Stored already processed: the case it produces is written with it.
            status=inbound.PROCESSED,
            case_id=opened.rows.cases[0]["id"],
            processed_at=now,
        )
        return _Carried(record=record, opened=opened)

    def prepare(
        self, envelopes: Sequence[Envelope[InboundReport]], now: datetime
    ) -> dict[str, _Carried]:
        """Pure work, before the transaction: cases for reports that carry their bytes."""
        return {
            e.event_id: self._carried(e.message, now)
            for e in envelopes
            if e.message.payload is not None
        }

    def handle(
        self, conn: Connection, envelopes: Sequence[Envelope[InboundReport]], ctx: HandlerContext
    ) -> None:
        reports = [e.message for e in envelopes]
        carried = [
            (m.event_id, ctx.prepared.get(m.event_id) or self._carried(m, ctx.now))
            for m in reports
            if m.payload is not None
        ]
        opened: list[_Opened] = []
        references: list[tuple[str, str]] = []
        if carried:
            stored = inbound.insert_many(conn, [c.record for _, c in carried])
            for event_id, c in carried:
                stored_id = stored[(c.record.channel, c.record.source_id)]
                if stored_id == c.record.id:
                    opened.append(c.opened)
                else:  # the same source id was stored before: resolve it as a reference
                    references.append((event_id, stored_id))
        references += [(m.event_id, m.inbound_id) for m in reports if m.payload is None]
        opened += self._claim_referenced(conn, references, ctx.now)
        cases.insert_rows(conn, [o.rows for o in opened])
        for o in opened:
            ctx.emit(o.event)
            ctx.audit(o.audit)

    def _claim_referenced(
        self, conn: Connection, references: Sequence[tuple[str, str]], now: datetime
    ) -> list[_Opened]:
        """Records a channel stored earlier: each one still accepted gets its case."""
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
        opened: list[_Opened] = []
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
            opened.append(self._open(event_id, iid, row.channel, row.received_at, now))
        inbound.mark_processed(conn, [(o.inbound_id, o.rows.cases[0]["id"]) for o in opened], now)
        return opened


def _case_received_event(
    codec: AvroCodec,
    topic: str,
    case_id: str,
    state: str,
    now: datetime,
    inbound_id: str,
    reason: str,
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


def intake_consumer(
    codec: AvroCodec, topic_name: Callable[[str], str]
) -> ConsumerSpec[InboundReport]:
    handler = IntakeHandler(codec, topic_name)
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.INTAKE_INBOUND),
        decode=decoder(codec),
        handle=handler.handle,
        prepare=handler.prepare,
    )
