"""Transport receipts (MDNs) and the clocks of sent batches: a receipt or a business ACK
that does not come in time raises an alert (log, triage item, OVERDUE event)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, select, update

from gateway.logs import get_logger
from gateway.store import outbox, triage
from gateway.store import submissions as store
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import submissions, transmissions
from gateway.store.triage import TriageItem
from producers.submission_events import event_about
from schemas.avro import AvroCodec

log = get_logger(__name__)


def record_receipt(
    conn: Connection, file_name: str, now: datetime, codec: AvroCodec, topic: str
) -> bool:
    """A transport receipt for ``file_name``: its dispatched submissions are delivered.
    False when no transmission has that file name."""
    row = conn.execute(
        select(transmissions.c.id, transmissions.c.batch_number).where(
            transmissions.c.file_name == file_name
        )
    ).first()
    if row is None:
        return False
    store.update_transmission(conn, row.id, receipt_state="received", receipt_at=now)
    subs = [s for s in store.in_batch(conn, row.batch_number) if s.status == store.DISPATCHED]
    store.set_status(conn, [s.id for s in subs], store.DELIVERED, now)
    outbox.enqueue(
        conn,
        [
            event_about(
                codec,
                topic,
                s,
                "TRANSPORT_RECEIPT",
                now,
                batch_number=row.batch_number,
                message_id=s.message_id,
                detail=f"receipt for {file_name}",
            )
            for s in subs
        ],
        now,
    )
    return True


def check_clocks(conn: Connection, now: datetime, codec: AvroCodec, topic: str) -> int:
    """Raise each overdue transport receipt and business ACK; how many were raised."""
    raised = 0
    items: list[TriageItem] = []
    events: list[OutboxMessage] = []
    for tx in store.awaiting_receipt(conn, now):
        store.update_transmission(conn, tx.id, receipt_state="timeout")
        log.warning(
            "transport receipt overdue",
            destination=tx.destination_id,
            batch_number=tx.batch_number,
        )
        items.append(
            TriageItem(
                kind="transport_receipt_overdue",
                reason=f"no transport receipt for {tx.file_name} from {tx.destination_id}",
                created_at=now,
                detail={"batch_number": tx.batch_number, "sent_at": _iso(tx.sent_at)},
            )
        )
        raised += 1
    for tx in store.awaiting_ack(conn, now):
        store.update_transmission(conn, tx.id, ack_state="overdue")
        subs = [s for s in store.in_batch(conn, tx.batch_number) if s.status in store.IN_FLIGHT]
        for s in subs:
            conn.execute(
                update(submissions)
                .where(submissions.c.id == s.id)
                .values(overdue_at=now, updated_at=now)
            )
            events.append(
                event_about(
                    codec,
                    topic,
                    s,
                    "OVERDUE",
                    now,
                    due_date=s.due_date,
                    batch_number=tx.batch_number,
                    message_id=s.message_id,
                    detail="no acknowledgement within the destination's business days",
                )
            )
        log.error(
            "acknowledgement overdue",
            destination=tx.destination_id,
            batch_number=tx.batch_number,
            sent_at=_iso(tx.sent_at),
        )
        items.append(
            TriageItem(
                kind="ack_overdue",
                reason=f"no acknowledgement from {tx.destination_id} for batch "
                f"{tx.batch_number} sent {_iso(tx.sent_at)}",
                created_at=now,
                case_id=subs[0].case_id if len({s.case_id for s in subs}) == 1 else None,
                detail={
                    "batch_number": tx.batch_number,
                    "submissions": [s.id for s in subs],
                    "cases": sorted({s.case_id for s in subs}),
                },
            )
        )
        raised += 1
    triage.open_items(conn, items)
    outbox.enqueue(conn, events, now)
    return raised


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
