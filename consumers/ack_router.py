"""ACK router: each acknowledgement back to the transmission, submissions and cases it answers.

Listens to the ACK topic (events written by the ACK intake, or published by an external AS2
gateway). The batch is found by ACK.A.1 (our N.1.2); each ICSR item by ACK.B.r.1 (our
N.2.r.1) and ACK.B.r.5 (our N.2.r.4, which tells versions apart). Then, per ICSR:

* **CA**: the submission is accepted; the regulator's local report number (ACK.B.r.2) is
  kept; whether the deadline was met is recorded (the accepted transmission's send date
  against the due date).
* **CR**: correction required, with the regulator's error text; the due date stays (a
  negative ACK does not stop the clock); the case moves to CORRECTION_REQUIRED and a
  triage item asks the case processor for the fix. The corrected version is retransmitted
  by the planner.
* **AR** (R2: 03) on the batch: every ICSR of the batch must be resent once the fault is
  fixed (``icsr-gateway submissions resend``, or a corrected version).

A second ACK for a batch already acknowledged changes nothing (recorded as a duplicate). An
ACK, or an ACK item, that matches nothing we sent opens a triage item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection

from consumers.envelope import Decoded, Envelope, HandlerContext
from gateway.domain.lifecycle import CaseState, can_transition
from gateway.ids import new_id
from gateway.logs import get_logger
from gateway.store import submissions as store
from gateway.store import triage
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter, case_row
from gateway.store.triage import TriageItem
from producers.e2b_outbound import correlation_date
from producers.submission_events import event_about
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

CONSUMER = "ack-router"
ACTOR = "consumer:ack-router"
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class AckItem:
    message_id: str
    message_date: str | None
    local_report_number: str | None
    code: str  # CA | CR
    error_text: str | None


@dataclass(frozen=True, slots=True)
class AckMessage:
    event_id: str
    ack_id: str | None  # the stored raw ACK (inbound_id), when it came through our intake
    format: str
    batch_number: str
    batch_code: str  # AA | AE | AR
    batch_text: str | None
    received_at: datetime
    items: tuple[AckItem, ...]


def decoder(codec: AvroCodec) -> Callable[[bytes], Decoded[AckMessage]]:
    def decode(data: bytes) -> Decoded[AckMessage]:
        r = codec.decode_as(SchemaName.ACKNOWLEDGEMENT_EVENT, data)
        msg = AckMessage(
            event_id=r["event_id"],
            ack_id=r.get("inbound_id"),
            format=r["format"],
            batch_number=r["batch_number"],
            batch_code=r["batch_code"],
            batch_text=r.get("batch_text"),
            received_at=r["received_at"],
            items=tuple(
                AckItem(
                    message_id=i["message_id"],
                    message_date=i.get("message_date"),
                    local_report_number=i.get("local_report_number"),
                    code=i["code"],
                    error_text=i.get("error_text"),
                )
                for i in r["items"]
            ),
        )
        return Decoded(event_id=msg.event_id, message=msg)

    return decode


class AckRouter:
    def __init__(
        self, codec: AvroCodec, topic_name: Callable[[str], str], *, tz: tzinfo = UTC
    ) -> None:
        self._codec = codec
        self._events = topic_name(Topic.SUBMISSION_EVENTS)
        self._writer = CaseWriter(codec, topic_name(Topic.CASE_EVENTS))
        self._tz = tz

    def handle(
        self, conn: Connection, envelopes: Sequence[Envelope[AckMessage]], ctx: HandlerContext
    ) -> None:
        known = store.known_ack_ids(conn, [e.message.ack_id for e in envelopes if e.message.ack_id])
        outcomes: dict[str, dict[str, Any]] = {}
        for env in envelopes:
            m = env.message
            ack_id = m.ack_id if m.ack_id in known else None
            if ack_id is None:  # published by someone else: keep our own record of it
                ack_id = new_id("ACK")
                store.insert_ack(conn, _external_row(ack_id, env, ctx.now))
            outcomes[ack_id] = self._route(conn, m, ack_id, ctx)
        store.set_ack_outcomes(conn, outcomes)

    def _route(
        self, conn: Connection, m: AckMessage, ack_id: str, ctx: HandlerContext
    ) -> dict[str, Any]:
        updates: dict[str, dict[str, Any]] = {}
        outcome = self._route_into(conn, m, ack_id, ctx, updates)
        store.update_many(conn, updates)
        return outcome

    def _route_into(
        self,
        conn: Connection,
        m: AckMessage,
        ack_id: str,
        ctx: HandlerContext,
        updates: dict[str, dict[str, Any]],
    ) -> dict[str, Any]:
        now = ctx.now
        tx = store.transmission_by_batch(conn, m.batch_number)
        if tx is None:
            self._unmatched(conn, m, ack_id, now, "names a batch number we never sent")
            return {"outcome": store.UNMATCHED, "routed_at": now}
        if tx.ack_state not in ("pending", "overdue"):
            log.info(
                "duplicate acknowledgement ignored",
                batch_number=m.batch_number,
                ack_id=ack_id,
                first=tx.ack_id,
            )
            return {"outcome": store.DUPLICATE, "duplicate": True, "routed_at": now}
        store.update_transmission(conn, tx.id, ack_state=m.batch_code, ack_at=now, ack_id=ack_id)
        if tx.receipt_state == "pending":
            # The business ACK proves delivery too; no separate receipt will be chased.
            store.update_transmission(conn, tx.id, receipt_state="implied", receipt_at=now)
        subs = [s for s in store.in_batch(conn, m.batch_number) if s.transmission_id == tx.id]
        if m.batch_code == "AR":
            self._batch_rejected(conn, m, subs, ctx, updates)
            return {"outcome": store.ROUTED, "routed_at": now}
        by_message = {s.message_id: s for s in subs}
        if not m.items and m.batch_code == "AA":
            items = [AckItem(s.message_id or "", s.message_date, None, "CA", None) for s in subs]
        else:
            items = list(m.items)
        unmatched: list[AckItem] = []
        for item in items:
            sub = by_message.get(item.message_id)
            if sub is None or (
                item.message_date
                and sub.message_date
                and correlation_date(item.message_date) != sub.message_date
            ):
                unmatched.append(item)
                continue
            if item.code == "CA":
                self._accepted(sub, item, m, ctx, updates)
            else:
                self._correction(conn, sub, item, m, ctx, updates)
        if unmatched:
            self._unmatched(
                conn,
                m,
                ack_id,
                now,
                "has ICSR items matching no message of the batch: "
                + ", ".join(sorted({i.message_id for i in unmatched})),
            )
        return {"outcome": store.ROUTED, "routed_at": now}

    # -- outcomes ---------------------------------------------------------------------

    def _accepted(
        self,
        sub: store.SubmissionRow,
        item: AckItem,
        m: AckMessage,
        ctx: HandlerContext,
        updates: dict[str, dict[str, Any]],
    ) -> None:
        now = ctx.now
        sent = sub.dispatched_at or now
        met = sub.due_date is None or sent.astimezone(self._tz).date() <= sub.due_date
        values: dict[str, Any] = {
            "status": store.ACCEPTED,
            "local_report_number": (item.local_report_number or "")[:100] or None,
            "acked_at": now,
            "deadline_met": met,
            "updated_at": now,
        }
        if item.error_text:  # a warning may come with CA
            values["errors"] = [*sub.errors, f"warning: {item.error_text}"]
        updates[sub.id] = values
        self._emit(sub, "ACKNOWLEDGED", m, ctx, item.local_report_number)
        ctx.audit(
            AuditEntry(
                at=now,
                actor=ACTOR,
                action="submission.accepted",
                entity_type="case",
                entity_id=sub.case_id,
                reason=f"{sub.destination_id} loaded the ICSR (CA"
                + (
                    f", local number {item.local_report_number})"
                    if item.local_report_number
                    else ")"
                )
                + ("; deadline met" if met else f"; deadline {sub.due_date} missed"),
                detail={
                    "submission_id": sub.id,
                    "batch_number": m.batch_number,
                    "local_report_number": item.local_report_number,
                    "deadline_met": met,
                    "due_date": sub.due_date.isoformat() if sub.due_date else None,
                    "acked_at": now.isoformat(),
                },
            )
        )

    def _correction(
        self,
        conn: Connection,
        sub: store.SubmissionRow,
        item: AckItem,
        m: AckMessage,
        ctx: HandlerContext,
        updates: dict[str, dict[str, Any]],
    ) -> None:
        now = ctx.now
        text = item.error_text or m.batch_text or "rejected without an error text"
        updates[sub.id] = {
            "status": store.CORRECTION_REQUIRED,
            "acked_at": now,
            "errors": [*sub.errors, text],
            "updated_at": now,
        }
        self._emit(sub, "CORRECTION_REQUIRED", m, ctx, text)
        reason = f"{sub.destination_id} rejected the ICSR (CR): {text}"
        ctx.audit(
            AuditEntry(
                at=now,
                actor=ACTOR,
                action="submission.correction_required",
                entity_type="case",
                entity_id=sub.case_id,
                reason=reason,
                detail={
                    "submission_id": sub.id,
                    "batch_number": m.batch_number,
                    "errors": [text],
                    "due_date": sub.due_date.isoformat() if sub.due_date else None,
                },
            )
        )
        row = case_row(conn, sub.case_id)
        if row is not None and can_transition(row.state, CaseState.CORRECTION_REQUIRED):
            moved = self._writer.move(
                conn,
                case_id=sub.case_id,
                to=CaseState.CORRECTION_REQUIRED,
                actor=ACTOR,
                reason=reason,
                now=now,
                source_ref=m.batch_number,
            )
            if moved is not None:
                ctx.emit(moved[0])
                ctx.audit(moved[1])
        triage.open_items(
            conn,
            [
                TriageItem(
                    kind="submission_correction_required",
                    reason=reason,
                    created_at=now,
                    case_id=sub.case_id,
                    detail={
                        "submission_id": sub.id,
                        "destination": sub.destination_id,
                        "errors": [text],
                        "due_date": sub.due_date.isoformat() if sub.due_date else None,
                    },
                )
            ],
        )

    def _batch_rejected(
        self,
        conn: Connection,
        m: AckMessage,
        subs: Sequence[store.SubmissionRow],
        ctx: HandlerContext,
        updates: dict[str, dict[str, Any]],
    ) -> None:
        now = ctx.now
        text = m.batch_text or "batch rejected (AR) without an error text"
        for sub in subs:
            updates[sub.id] = {
                "status": store.BATCH_REJECTED,
                "acked_at": now,
                "errors": [*sub.errors, text],
                "updated_at": now,
            }
            self._emit(sub, "RESEND_REQUIRED", m, ctx, text)
            ctx.audit(
                AuditEntry(
                    at=now,
                    actor=ACTOR,
                    action="submission.resend_required",
                    entity_type="case",
                    entity_id=sub.case_id,
                    reason=f"batch {m.batch_number} rejected (AR): {text}",
                    detail={"submission_id": sub.id, "batch_number": m.batch_number},
                )
            )
        triage.open_items(
            conn,
            [
                TriageItem(
                    kind="batch_rejected",
                    reason=f"batch {m.batch_number} rejected (AR): {text}; fix the fault, then "
                    f"`icsr-gateway submissions resend {m.batch_number}`",
                    created_at=now,
                    detail={
                        "batch_number": m.batch_number,
                        "submissions": [s.id for s in subs],
                        "cases": sorted({s.case_id for s in subs}),
                    },
                )
            ],
        )

    def _unmatched(
        self, conn: Connection, m: AckMessage, ack_id: str, now: datetime, why: str
    ) -> None:
        log.warning("acknowledgement matches nothing sent", batch_number=m.batch_number)
        triage.open_items(
            conn,
            [
                TriageItem(
                    kind="ack_unmatched",
                    reason=f"acknowledgement for batch {m.batch_number} {why}",
                    created_at=now,
                    detail={
                        "ack_id": ack_id,
                        "batch_number": m.batch_number,
                        "batch_code": m.batch_code,
                        "items": [
                            {"message_id": i.message_id, "message_date": i.message_date}
                            for i in m.items
                        ],
                    },
                )
            ],
        )

    def _emit(
        self,
        sub: store.SubmissionRow,
        event_type: str,
        m: AckMessage,
        ctx: HandlerContext,
        detail: str | None,
    ) -> None:
        ctx.emit(
            event_about(
                self._codec,
                self._events,
                sub,
                event_type,
                ctx.now,
                due_date=sub.due_date,
                batch_number=m.batch_number,
                message_id=sub.message_id,
                detail=detail,
            )
        )


def _external_row(ack_id: str, env: Envelope[AckMessage], now: datetime) -> dict[str, Any]:
    m = env.message
    return {
        "id": ack_id,
        "source": "topic",
        "source_ref": m.event_id[:512],
        "received_at": m.received_at,
        "format": m.format,
        "batch_number": m.batch_number[:100],
        "batch_code": m.batch_code,
        "parsed": {
            "batch_text": m.batch_text,
            "items": [
                {
                    "message_id": i.message_id,
                    "message_date": i.message_date,
                    "local_report_number": i.local_report_number,
                    "code": i.code,
                    "error_text": i.error_text,
                }
                for i in m.items
            ],
        },
        "outcome": store.RECEIVED,
        "duplicate": False,
    }
