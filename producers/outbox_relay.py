"""The outbox relay: publishes outbox rows in order, then marks them published.

At-least-once: a crash between publishing and marking re-publishes those rows on the next
pass; consumers dedupe on the event id, so that is harmless.

A row the producer or broker refuses for itself (too large) can never be published: it is
marked, kept in the outbox table, and named in an ``event_not_published`` triage item, so
that the rows behind it are not held up for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from sqlalchemy import Connection

from gateway.clock import utcnow
from gateway.errors import TransientError
from gateway.logs import get_logger
from gateway.store import outbox, triage
from gateway.store.engine import Store
from gateway.store.triage import TriageItem
from producers.publisher import EventPublisher, MessageRefusedError

log = get_logger(__name__)
#: the triage kind of an event that can never be published as it is
EVENT_NOT_PUBLISHED = "event_not_published"


class OutboxRelay:
    def __init__(
        self,
        store: Store,
        publisher: EventPublisher,
        batch_size: int = 1000,
        poll_interval_s: float = 0.05,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._batch_size = batch_size
        self._poll = poll_interval_s
        self._wake = asyncio.Event()
        self._stopping = False
        #: pending rows read with the last marking, published next without another read
        self._next: list[outbox.PendingMessage] | None = None
        self.published_total = 0

    def wake(self) -> None:
        """Called after a local transaction wrote outbox rows: publish without waiting to poll."""
        self._wake.set()

    async def flush_once(self) -> int:
        """Publish one batch of pending rows; return how many were published."""
        pending, self._next = self._next, None
        if not pending:
            pending = await self._store.read(outbox.pending, self._batch_size)
        if not pending:
            return 0
        try:
            await self._publisher.publish([p.message for p in pending])
        except MessageRefusedError as exc:
            await self._store.run(self._mark_refused, pending, exc.refused, utcnow())
            self.published_total += len(pending) - len(exc.refused)
            return len(pending)
        # The marking transaction also reads what is pending now: under load, one thread
        # hop and one transaction per batch rather than two.
        self._next = await self._store.run(self._mark_and_read, [p.id for p in pending], utcnow())
        self.published_total += len(pending)
        return len(pending)

    def _mark_refused(
        self,
        conn: Connection,
        pending: list[outbox.PendingMessage],
        refused: dict[int, str],
        at: datetime,
    ) -> None:
        outbox.mark_published(conn, [p.id for p in pending], at)
        items = []
        for n, reason in sorted(refused.items()):
            row = pending[n]
            log.error(
                "event refused by the broker; kept in the outbox and sent to triage",
                outbox_id=row.id,
                topic=row.message.topic,
                size=len(row.message.value),
            )
            items.append(
                TriageItem(
                    kind=EVENT_NOT_PUBLISHED,
                    reason=f"event {row.message.event_id} on {row.message.topic} could not be "
                    f"published ({reason}); it is kept in the outbox (row {row.id})",
                    created_at=at,
                    detail={
                        "outbox_id": row.id,
                        "event_id": row.message.event_id,
                        "topic": row.message.topic,
                        "bytes": len(row.message.value),
                        "error": reason,
                    },
                )
            )
        triage.open_items(conn, items)

    def _mark_and_read(
        self, conn: Connection, ids: list[int], at: datetime
    ) -> list[outbox.PendingMessage]:
        outbox.mark_published(conn, ids, at)
        return outbox.pending(conn, self._batch_size)

    async def run(self) -> None:
        backoff = self._poll
        while not self._stopping:
            # Cleared before the pass, not after: a wake-up during it means another pass.
            self._wake.clear()
            try:
                published = await self.flush_once()
                backoff = self._poll
            except TransientError as exc:
                log.warning("outbox relay will retry", error=str(exc), retry_in_s=backoff)
                self._next = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if published and self._next:
                continue  # more is waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)

    async def drain(self, timeout: float = 10.0) -> None:
        """Publish everything pending (used at shutdown and by tests)."""
        async with asyncio.timeout(timeout):
            while await self.flush_once():
                pass

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
