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
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy import Connection

from channels.regulator_transport import RegulatorTransport, TransportError, TransportRefusedError
from gateway.clock import utcnow
from gateway.domain.submissions.destinations import Destination
from gateway.errors import GatewayError
from gateway.logs import get_logger
from gateway.store import submissions as store
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store
from producers.dispatch import clocks, sending
from producers.dispatch.batches import Prepared, build_batch, one_per_case, record_prepared
from producers.dispatch.settings import ACTOR, DispatchSettings
from schemas.avro import AvroCodec
from schemas.topics import Topic

__all__ = ["ACTOR", "DispatchSettings", "Dispatcher", "Prepared"]

log = get_logger(__name__)


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
                chosen = one_per_case(due, destination.max_batch_size)
                icsrs = store.version_icsrs(conn, [(s.case_id, s.case_version) for s in chosen])
            now = self._clock()
            built = build_batch(destination, chosen, icsrs, now, self._cfg)
            written = self._store.run_sync(record_prepared, destination, built, now)
            if not written:
                return None  # someone else took them (another dispatcher): next pass
            self.blocked_total += len(built.checked.blocked)
            if built.prepared is not None:
                return built.prepared

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
                await self._store.run(sending.record_refused, prepared, str(exc), self._clock())
                return 0
            except (TransportError, OSError) as exc:
                log.warning(
                    "transmission not taken; will retry",
                    batch_number=prepared.batch_number,
                    attempt=attempt,
                    error=str(exc),
                )
                if attempt >= self._cfg.send_attempts:
                    await self._store.run(
                        sending.record_failed, prepared, str(exc), self._clock(), self._cfg
                    )
                    return 0
                await asyncio.sleep(self._cfg.backoff(attempt))
                continue
            break
        emitted = await self._store.run(
            sending.record_sent,
            prepared,
            delivery,
            self._clock(),
            self._destinations,
            self._cfg.tz,
            self._codec,
            self._events,
            self._writer,
        )
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

    # -- receipts and clocks ------------------------------------------------------------

    async def record_receipt(self, file_name: str) -> bool:
        """A transport receipt (MDN) for ``file_name`` arrived; True when it matched."""
        matched = await self._store.run(
            clocks.record_receipt, file_name, self._clock(), self._codec, self._events
        )
        if matched:
            self._on_emitted()
        return matched

    async def check_clocks(self) -> int:
        """Raise what is overdue: business ACKs past the destination's business days, and
        transport receipts past their timeout. Returns how many alerts were raised."""
        raised = await self._store.run(
            clocks.check_clocks, self._clock(), self._codec, self._events
        )
        if raised:
            self._on_emitted()
        return raised
