"""What the dispatcher records of a send: the transport took the file (submissions
``dispatched``, cases SUBMITTED, the ACK clock started), refused it, or failed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta, tzinfo

from sqlalchemy import Connection

from channels.regulator_transport import Delivery
from gateway.domain.lifecycle import CaseState
from gateway.domain.submissions.destinations import Destination
from gateway.domain.submissions.monitor import ack_deadline
from gateway.logs import get_logger
from gateway.store import audit, outbox, triage
from gateway.store import submissions as store
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter
from gateway.store.outbox import OutboxMessage
from gateway.store.triage import TriageItem
from producers.case_state import move_case
from producers.dispatch.batches import Prepared
from producers.dispatch.settings import ACTOR, DispatchSettings
from producers.submission_events import event_about
from schemas.avro import AvroCodec

log = get_logger(__name__)


def record_failed(
    conn: Connection, prepared: Prepared, error: str, now: datetime, cfg: DispatchSettings
) -> None:
    """The transport did not take the file within the pass: a later pass tries again."""
    tx = store.transmission(conn, prepared.transmission_id)
    attempts = (tx.attempts if tx else 0) + 1
    store.update_transmission(
        conn,
        prepared.transmission_id,
        status=store.FAILED,
        attempts=attempts,
        last_error=error[:2000],
        next_attempt_at=now + timedelta(seconds=cfg.backoff(attempts + 1)),
    )


def record_refused(conn: Connection, prepared: Prepared, error: str, now: datetime) -> None:
    """The transport refused the file for good: its submissions are batch-rejected."""
    store.update_transmission(
        conn, prepared.transmission_id, status="refused", last_error=error[:2000]
    )
    subs = store.in_batch(conn, prepared.batch_number)
    store.set_status(
        conn,
        [s.id for s in subs],
        store.BATCH_REJECTED,
        now,
        errors=[f"transport refused the file: {error[:500]}"],
    )
    triage.open_items(
        conn,
        [
            TriageItem(
                kind="transmission_refused",
                reason=f"{prepared.destination_id} refused {prepared.file_name}: {error}",
                created_at=now,
                detail={
                    "batch_number": prepared.batch_number,
                    "submissions": [s.id for s in subs],
                },
            )
        ],
    )
    log.error(
        "transmission refused by the transport",
        destination=prepared.destination_id,
        batch_number=prepared.batch_number,
    )


def ack_due(destination: Destination, sent_at: datetime, tz: tzinfo) -> datetime:
    """The moment an ACK for a batch sent at ``sent_at`` becomes overdue (UTC)."""
    last_day = ack_deadline(sent_at, destination.ack_timeout_business_days, tz=tz)
    return datetime.combine(last_day + timedelta(days=1), time(0), tz).astimezone(UTC)


def record_sent(
    conn: Connection,
    prepared: Prepared,
    delivery: Delivery,
    now: datetime,
    destinations: Mapping[str, Destination],
    tz: tzinfo,
    codec: AvroCodec,
    topic: str,
    writer: CaseWriter,
) -> int:
    """The transport took the file: record it, announce it; how many events were queued
    (0 when it was already recorded)."""
    tx = store.transmission(conn, prepared.transmission_id)
    if tx is None or tx.status == store.SENT:
        return 0
    destination = destinations[prepared.destination_id]
    receipt_timeout = getattr(destination.transport, "receipt_timeout_s", 3600.0)
    store.update_transmission(
        conn,
        prepared.transmission_id,
        status=store.SENT,
        attempts=tx.attempts + 1,
        sent_at=now,
        next_attempt_at=None,
        last_error=None,
        receipt_state="received" if delivery.receipt else "pending",
        receipt_at=now if delivery.receipt else None,
        receipt_due_at=None if delivery.receipt else now + timedelta(seconds=receipt_timeout),
        ack_state="pending",
        ack_due_at=ack_due(destination, now, tz),
    )
    subs = [s for s in store.in_batch(conn, prepared.batch_number) if s.status == store.BUILT]
    status = store.DELIVERED if delivery.receipt else store.DISPATCHED
    store.update_many(
        conn,
        {
            s.id: {
                "status": status,
                "dispatched_at": now,
                "transmissions": s.transmissions + 1,
                "updated_at": now,
            }
            for s in subs
        },
    )
    events: list[OutboxMessage] = []
    audits: list[AuditEntry] = []
    batch_number = prepared.batch_number
    for s in subs:
        detail = f"batch {batch_number} as {prepared.file_name} (sha256 {tx.sha256[:16]}…)"
        events.append(
            event_about(
                codec,
                topic,
                s,
                "DISPATCHED",
                now,
                due_date=s.due_date,
                batch_number=batch_number,
                message_id=s.message_id,
                detail=detail,
            )
        )
        if delivery.receipt:
            events.append(
                event_about(
                    codec,
                    topic,
                    s,
                    "TRANSPORT_RECEIPT",
                    now,
                    batch_number=batch_number,
                    message_id=s.message_id,
                    detail=delivery.detail,
                )
            )
        audits.append(
            AuditEntry(
                at=now,
                actor=ACTOR,
                action="submission.dispatched",
                entity_type="case",
                entity_id=s.case_id,
                reason=f"{s.kind} of version {s.case_version} sent to {s.destination_id}",
                detail={
                    "submission_id": s.id,
                    "destination": s.destination_id,
                    "batch_number": batch_number,
                    "message_id": s.message_id,
                    "file_name": prepared.file_name,
                    "sha256": tx.sha256,
                    "sent_at": now.isoformat(),
                    "transport": delivery.detail,
                },
            )
        )
    for case_id in sorted({s.case_id for s in subs}):
        moved_events, moved_audits, _ = move_case(
            writer,
            conn,
            case_id=case_id,
            to=CaseState.SUBMITTED,
            actor=ACTOR,
            reason=f"sent to {prepared.destination_id} in batch {batch_number}",
            now=now,
            source_ref=batch_number,
        )
        events.extend(moved_events)
        audits.extend(moved_audits)
    outbox.enqueue(conn, events, now)
    audit.record(conn, audits)
    return len(events)
