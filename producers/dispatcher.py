"""The dispatcher: a periodic task that sends due submissions to their regulators.

Per destination, planned submissions are taken in due-date order into batches of at most
``max_batch_size`` ICSRs (one per case: each message's N.2.r.1 is the case's C.1.1), each
batch under a new, never reused batch number (N.1.2, unique in the store). The E2B is built
from each case version's ICSR and checked under the destination's business-rule profile
(and the ICH XSD when configured): an ICSR with a reject finding is not sent, its
submission is ``blocked`` and a triage item names the fields.

Sending is made safe against a crash at any point:

1. the transmission is recorded *prepared* (bytes, file name, checksum) with its
   submissions ``built``, in one transaction, before anything leaves;
2. the transport is called, with retries and backoff; it is idempotent for one
   transmission (deterministic file name; HTTP ``Idempotency-Key``);
3. the send is recorded (time, receipt) with the submissions ``dispatched`` and the cases
   SUBMITTED, audited and announced, in one transaction.

After a SIGKILL between 2 and 3 the prepared transmission is sent again on start, and the
transport recognises it: nothing reaches the regulator twice.

The same task watches the clocks: a transport receipt (MDN) or a business ACK that does
not come in time raises an alert (log, triage item, OVERDUE event).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from pathlib import Path

from sqlalchemy import Connection, select, update

from channels.regulator_transport import (
    Delivery,
    RegulatorTransport,
    TransportError,
    TransportRefusedError,
)
from gateway.clock import utcnow
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.submissions.destinations import Destination
from gateway.domain.submissions.kinds import SubmissionKind
from gateway.domain.submissions.monitor import ack_deadline
from gateway.errors import GatewayError
from gateway.ids import new_id
from gateway.logs import get_logger
from gateway.store import audit, outbox, triage
from gateway.store import submissions as store
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import submissions
from gateway.store.triage import TriageItem
from producers import e2b_outbound as e2b
from producers.case_state import move_case
from producers.submission_events import submission_event
from schemas.avro import AvroCodec
from schemas.topics import Topic

log = get_logger(__name__)
ACTOR = "dispatcher"


@dataclass(frozen=True, slots=True)
class DispatchSettings:
    organisation: str = "ICSRGATEWAY"  # C.3.2 and the organisation part of our C.1.1
    schemas_dir: Path | None = None  # ICH E2B(R3) XSD folder: built files are checked
    r2_dtd: Path | None = None  # ICH icsr21xml.dtd: built R2 files are checked
    interval_s: float = 1.0
    ack_check_interval_s: float = 60.0
    send_attempts: int = 3  # tries within one pass before the next pass retries
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 300.0
    tz: tzinfo = UTC


@dataclass(frozen=True, slots=True)
class Prepared:
    """A transmission recorded as prepared: what to hand to the transport."""

    transmission_id: str
    destination_id: str
    batch_number: str
    file_name: str
    data: bytes


class Dispatcher:
    def __init__(
        self,
        store_: Store,
        codec: AvroCodec,
        topic_name: Callable[[str], str],
        destinations: Sequence[Destination],
        transports: Mapping[str, RegulatorTransport],
        settings: DispatchSettings,
        *,
        on_emitted: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store_
        self._codec = codec
        self._events = topic_name(Topic.SUBMISSION_EVENTS)
        self._writer = CaseWriter(codec, topic_name(Topic.CASE_EVENTS))
        self._destinations = {d.id: d for d in destinations if d.enabled}
        self._transports = dict(transports)
        self._cfg = settings
        self._on_emitted = on_emitted
        self._clock = clock
        self._wake = asyncio.Event()
        self._last_clock_check: datetime | None = None
        self.sent_total = 0
        self.blocked_total = 0

    def wake(self) -> None:
        """Dispatch now rather than at the next interval (e.g. submissions were planned)."""
        self._wake.set()

    async def run(self) -> None:
        log.info("dispatcher started", destinations=sorted(self._destinations))
        while True:
            try:
                await self.dispatch_once()
            except GatewayError as exc:
                log.warning("dispatch pass failed; will try again", error=str(exc))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._cfg.interval_s)
            self._wake.clear()

    async def dispatch_once(self) -> int:
        """Resend what may be in flight, build and send what is due, check the clocks.

        Returns how many transmissions were sent in this pass."""
        sent = 0
        for prepared in await self._store.run(self._unsent):
            sent += await self._send(prepared)
        for destination in self._destinations.values():
            while True:
                prepared_batch = await asyncio.to_thread(self._prepare_next, destination)
                if prepared_batch is None:
                    break
                sent += await self._send(prepared_batch)
        now = self._clock()
        if (
            self._last_clock_check is None
            or (now - self._last_clock_check).total_seconds() >= self._cfg.ack_check_interval_s
        ):
            self._last_clock_check = now
            await self.check_clocks()
        return sent

    # -- building -----------------------------------------------------------------------

    def _unsent(self, conn: Connection) -> list[Prepared]:
        return [
            Prepared(t.id, t.destination_id, t.batch_number, t.file_name, t.payload)
            for t in store.unsent(conn, self._clock())
            if t.destination_id in self._transports
        ]

    def _prepare_next(self, destination: Destination) -> Prepared | None:
        """Build, check and record the next batch of ``destination``; None when none is due.

        Loops past batches whose ICSRs were all blocked."""
        while True:
            with self._store.snapshot() as conn:
                due = store.due_to_build(conn, destination.id, destination.max_batch_size * 4)
                if not due:
                    return None
                chosen = _one_per_case(due, destination.max_batch_size)
                icsrs = store.version_icsrs(conn, [(s.case_id, s.case_version) for s in chosen])
            now = self._clock()
            items = [self._item(s, icsrs[(s.case_id, s.case_version)]) for s in chosen]
            batch_number = f"{destination.batch_sender}-{new_id()}"[:100]
            batch = e2b.r3_batch(destination, items, batch_number, now, self._cfg.organisation)
            checked = e2b.check(
                destination,
                batch,
                items,
                now.astimezone(self._cfg.tz).date(),
                self._cfg.schemas_dir,
            )
            prepared: Prepared | None = None
            if checked.sendable:
                root = checked.root
                if len(checked.sendable) != len(items):
                    root = None
                    batch = e2b.r3_batch(
                        destination, checked.sendable, batch_number, now, self._cfg.organisation
                    )
                data, dates = e2b.encode(destination, batch, self._cfg.r2_dtd, root)
                prepared = Prepared(
                    new_id("TX"),
                    destination.id,
                    batch_number,
                    e2b.file_name(destination, batch_number),
                    data,
                )
                sendable = {
                    i.submission_id: (i, dates[i.safety_report_id]) for i in checked.sendable
                }
            else:
                sendable = {}
            written = self._store.run_sync(
                self._record_prepared, destination, prepared, sendable, checked, items, now
            )
            if written and prepared is not None:
                return prepared
            if not written:
                return None  # someone else took them (another dispatcher): next pass

    def _item(self, s: store.SubmissionRow, icsr: ICSR) -> e2b.OutboundItem:
        c11 = s.safety_report_id or e2b.safety_report_id_for(
            icsr, s.case_id, self._cfg.organisation
        )
        worldwide = s.worldwide_case_id or icsr.report.worldwide_case_id or c11
        return e2b.OutboundItem(
            submission_id=s.id,
            case_id=s.case_id,
            kind=SubmissionKind(s.kind),
            icsr=icsr,
            safety_report_id=c11,
            worldwide_case_id=worldwide,
            day_zero=s.day_zero,
            due_date=s.due_date,
            reason=s.reason,
        )

    def _record_prepared(
        self,
        conn: Connection,
        destination: Destination,
        prepared: Prepared | None,
        sendable: Mapping[str, tuple[e2b.OutboundItem, str]],
        checked: e2b.Checked,
        items: Sequence[e2b.OutboundItem],
        now: datetime,
    ) -> bool:
        ids = [i.submission_id for i in items]
        still = conn.execute(
            select(submissions.c.id).where(
                submissions.c.id.in_(ids), submissions.c.status == store.PLANNED
            )
        ).scalars()
        if set(still) != set(ids):
            return False
        audits: list[AuditEntry] = []
        items_by_id = {i.submission_id: i for i in items}
        for sub_id, findings in checked.blocked.items():
            item = items_by_id[sub_id]
            details = [e2b.finding_detail(f) for f in findings]
            fields = sorted({f.element_id for f in findings})
            reason = f"E2B for {destination.id} not sent: reject findings on {', '.join(fields)}"
            conn.execute(
                update(submissions)
                .where(submissions.c.id == sub_id)
                .values(
                    status=store.BLOCKED,
                    safety_report_id=item.safety_report_id,
                    worldwide_case_id=item.worldwide_case_id,
                    errors=[f"{d['rule_id']} {d['element']}: {d['message']}" for d in details],
                    updated_at=now,
                )
            )
            triage.open_items(
                conn,
                [
                    TriageItem(
                        kind="submission_blocked",
                        reason=reason,
                        created_at=now,
                        case_id=item.case_id,
                        detail={
                            "submission_id": sub_id,
                            "destination": destination.id,
                            "fields": fields,
                            "findings": details,
                        },
                    )
                ],
            )
            audits.append(
                AuditEntry(
                    at=now,
                    actor=ACTOR,
                    action="submission.blocked",
                    entity_type="case",
                    entity_id=item.case_id,
                    reason=reason,
                    detail={"submission_id": sub_id, "fields": fields},
                )
            )
        self.blocked_total += len(checked.blocked)
        if prepared is not None:
            store.insert_transmission(
                conn,
                {
                    "id": prepared.transmission_id,
                    "destination_id": destination.id,
                    "batch_number": prepared.batch_number,
                    "format": destination.format.value,
                    "file_name": prepared.file_name,
                    "sha256": hashlib.sha256(prepared.data).hexdigest(),
                    "size": len(prepared.data),
                    "payload": prepared.data,
                    "status": store.PREPARED,
                    "attempts": 0,
                    "created_at": now,
                    "receipt_state": "pending",
                    "ack_state": "pending",
                },
            )
            store.update_many(
                conn,
                {
                    sub_id: {
                        "status": store.BUILT,
                        "safety_report_id": item.safety_report_id,
                        "worldwide_case_id": item.worldwide_case_id,
                        "message_id": item.safety_report_id,
                        "message_date": message_date,
                        "batch_number": prepared.batch_number,
                        "transmission_id": prepared.transmission_id,
                        "updated_at": now,
                    }
                    for sub_id, (item, message_date) in sendable.items()
                },
            )
        audit.record(conn, audits)
        return True

    # -- sending ------------------------------------------------------------------------

    async def _send(self, prepared: Prepared) -> int:
        transport = self._transports.get(prepared.destination_id)
        if transport is None:
            return 0
        attempt = 0
        while True:
            attempt += 1
            try:
                delivery = await transport.send(
                    prepared.file_name, prepared.data, batch_number=prepared.batch_number
                )
            except TransportRefusedError as exc:
                await self._store.run(self._record_refused, prepared, str(exc), self._clock())
                return 0
            except (TransportError, OSError) as exc:
                log.warning(
                    "transmission not taken; will retry",
                    batch_number=prepared.batch_number,
                    attempt=attempt,
                    error=str(exc),
                )
                if attempt >= self._cfg.send_attempts:
                    await self._store.run(self._record_failed, prepared, str(exc), self._clock())
                    return 0
                await asyncio.sleep(self._backoff(attempt))
                continue
            break
        emitted = await self._store.run(self._record_sent, prepared, delivery, self._clock())
        if emitted:
            self._on_emitted()
        self.sent_total += 1
        log.info(
            "transmission sent",
            destination=prepared.destination_id,
            batch_number=prepared.batch_number,
            file=prepared.file_name,
            already_sent=delivery.already_sent,
        )
        return 1

    def _backoff(self, attempt: int) -> float:
        return float(
            min(self._cfg.backoff_max_s, self._cfg.backoff_initial_s * 2 ** max(0, attempt - 1))
        )

    def _record_failed(
        self, conn: Connection, prepared: Prepared, error: str, now: datetime
    ) -> None:
        tx = store.transmission(conn, prepared.transmission_id)
        attempts = (tx.attempts if tx else 0) + 1
        store.update_transmission(
            conn,
            prepared.transmission_id,
            status=store.FAILED,
            attempts=attempts,
            last_error=error[:2000],
            next_attempt_at=now + timedelta(seconds=self._backoff(attempts + 1)),
        )

    def _record_refused(
        self, conn: Connection, prepared: Prepared, error: str, now: datetime
    ) -> None:
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

    def _ack_due(self, destination: Destination, sent_at: datetime) -> datetime:
        last_day = ack_deadline(sent_at, destination.ack_timeout_business_days, tz=self._cfg.tz)
        return datetime.combine(last_day + timedelta(days=1), time(0), self._cfg.tz).astimezone(UTC)

    def _record_sent(
        self, conn: Connection, prepared: Prepared, delivery: Delivery, now: datetime
    ) -> int:
        tx = store.transmission(conn, prepared.transmission_id)
        if tx is None or tx.status == store.SENT:
            return 0
        destination = self._destinations[prepared.destination_id]
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
            ack_due_at=self._ack_due(destination, now),
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
        for s in subs:
            detail = (
                f"batch {prepared.batch_number} as {prepared.file_name} (sha256 {tx.sha256[:16]}…)"
            )
            events.append(
                submission_event(
                    self._codec,
                    self._events,
                    submission_id=s.id,
                    case_id=s.case_id,
                    case_version=s.case_version,
                    destination_id=s.destination_id,
                    event_type="DISPATCHED",
                    now=now,
                    due_date=s.due_date,
                    batch_number=prepared.batch_number,
                    message_id=s.message_id,
                    detail=detail,
                )
            )
            if delivery.receipt:
                events.append(
                    submission_event(
                        self._codec,
                        self._events,
                        submission_id=s.id,
                        case_id=s.case_id,
                        case_version=s.case_version,
                        destination_id=s.destination_id,
                        event_type="TRANSPORT_RECEIPT",
                        now=now,
                        batch_number=prepared.batch_number,
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
                        "batch_number": prepared.batch_number,
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
                self._writer,
                conn,
                case_id=case_id,
                to=CaseState.SUBMITTED,
                actor=ACTOR,
                reason=f"sent to {prepared.destination_id} in batch {prepared.batch_number}",
                now=now,
                source_ref=prepared.batch_number,
            )
            events.extend(moved_events)
            audits.extend(moved_audits)
        outbox.enqueue(conn, events, now)
        audit.record(conn, audits)
        return len(events)

    # -- receipts and clocks ------------------------------------------------------------

    async def record_receipt(self, file_name: str) -> bool:
        """A transport receipt (MDN) for ``file_name`` arrived; True when it matched."""
        matched = await self._store.run(self._record_receipt, file_name, self._clock())
        if matched:
            self._on_emitted()
        return matched

    def _record_receipt(self, conn: Connection, file_name: str, now: datetime) -> bool:
        from gateway.store.tables import transmissions

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
                submission_event(
                    self._codec,
                    self._events,
                    submission_id=s.id,
                    case_id=s.case_id,
                    case_version=s.case_version,
                    destination_id=s.destination_id,
                    event_type="TRANSPORT_RECEIPT",
                    now=now,
                    batch_number=row.batch_number,
                    message_id=s.message_id,
                    detail=f"receipt for {file_name}",
                )
                for s in subs
            ],
            now,
        )
        return True

    async def check_clocks(self) -> int:
        """Raise what is overdue: business ACKs past the destination's business days, and
        transport receipts past their timeout. Returns how many alerts were raised."""
        raised = await self._store.run(self._check_clocks, self._clock())
        if raised:
            self._on_emitted()
        return raised

    def _check_clocks(self, conn: Connection, now: datetime) -> int:
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
                    submission_event(
                        self._codec,
                        self._events,
                        submission_id=s.id,
                        case_id=s.case_id,
                        case_version=s.case_version,
                        destination_id=s.destination_id,
                        event_type="OVERDUE",
                        now=now,
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


def _one_per_case(due: Sequence[store.SubmissionRow], limit: int) -> list[store.SubmissionRow]:
    """Up to ``limit`` submissions, at most one per case (N.2.r.1 is unique in a batch and is
    the case's C.1.1); a case's versions go in version order."""
    chosen: list[store.SubmissionRow] = []
    seen: set[str] = set()
    for s in sorted(due, key=lambda r: (r.case_id, r.case_version)):
        if s.case_id not in seen:
            seen.add(s.case_id)
            chosen.append(s)
    order = {s.id: n for n, s in enumerate(due)}
    return sorted(chosen, key=lambda s: order[s.id])[:limit]
