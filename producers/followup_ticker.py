"""Follow-up ticker: reminders, exhaustion, and messages the transport could not take yet.

Runs periodically in the gateway process, on the gateway's clock (a test moves it). For
each open request that was sent: the reminder policy says whether a reminder is due (a new
outbound message and event, written in one transaction, with a deterministic id so a second
run cannot add it twice), or the request is exhausted after its last reminder (closed with
the rationale, audited, and a triage item so a person can close or escalate the case).
A message left ``deferred`` by the sender is queued again after a backoff, until its
attempts run out; then it is a failed delivery with a triage item.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from consumers.followup_planner import outbound_event, outbound_message_id
from consumers.followup_sender import DEFERRED
from gateway.clock import Clock, SystemClock
from gateway.domain.followup.reminders import (
    DEFAULT_REMINDER_POLICY,
    Exhausted,
    ReminderPolicy,
    SendReminder,
    Step,
    next_step,
)
from gateway.errors import TransientError
from gateway.logs import get_logger
from gateway.store import followup, outbox, triage
from gateway.store.audit import AuditEntry, record
from gateway.store.engine import Store
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import followup_messages
from gateway.store.triage import TriageItem
from schemas.avro import AvroCodec
from schemas.topics import Topic

ACTOR = "followup-ticker"
#: delivery states of a message the sender still has to send
_PENDING = frozenset({"queued", DEFERRED})
log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TickerConfig:
    interval_s: float = 30.0
    policy: ReminderPolicy = DEFAULT_REMINDER_POLICY
    deferred_backoff: timedelta = timedelta(minutes=1)
    deferred_max_attempts: int = 5
    whatsapp_content_sid: str | None = None


@dataclass(frozen=True, slots=True)
class TickResult:
    reminders: int = 0
    exhausted: int = 0
    resent: int = 0
    failed: int = 0


class FollowUpTicker:
    def __init__(
        self,
        store: Store,
        codec: AvroCodec,
        topic_name: Callable[[str], str],
        config: TickerConfig | None = None,
        clock: Clock | None = None,
        on_enqueued: Callable[[], None] | None = None,
    ) -> None:
        self._store = store
        self._codec = codec
        self._topic = topic_name(Topic.FOLLOWUP_OUTBOUND)
        self._config = config or TickerConfig()
        self._clock = clock or SystemClock()
        self._on_enqueued = on_enqueued

    async def run(self) -> None:
        while True:
            try:
                result = await self.tick()
            except TransientError as exc:  # the store or broker is away: the next tick retries
                log.warning("follow-up ticker: will try again", error=str(exc))
                await asyncio.sleep(self._config.interval_s)
                continue
            if result.reminders or result.exhausted or result.resent or result.failed:
                log.info(
                    "follow-up ticker",
                    reminders=result.reminders,
                    exhausted=result.exhausted,
                    resent=result.resent,
                    failed=result.failed,
                )
            await asyncio.sleep(self._config.interval_s)

    async def tick(self) -> TickResult:
        result = await self._store.run(self._tick, self._clock.now())
        if (result.reminders or result.resent) and self._on_enqueued is not None:
            self._on_enqueued()
        return result

    def _tick(self, conn: Connection, now: datetime) -> TickResult:
        events: list[OutboxMessage] = []
        audits: list[AuditEntry] = []
        items: list[TriageItem] = []
        reminders = exhausted = 0
        for request in followup.open_requests(conn):
            if request.sent_at is None:
                continue
            step = self._step(conn, request, now)
            if step is None:
                continue  # queued by an earlier tick; the sender has not finished yet
            if isinstance(step, SendReminder):
                attempt = step.number + 1
                message_id = outbound_message_id(request.id, attempt)
                first = followup.message(conn, outbound_message_id(request.id, 1))
                body = reminder_text(
                    first.body if first is not None else "",
                    language=request.language,
                    number=step.number,
                )
                subject = first.subject if first is not None else None
                followup.add_messages(
                    conn,
                    [
                        followup.MessageRow(
                            id=message_id,
                            case_id=request.case_id,
                            request_id=request.id,
                            direction="out",
                            kind="reminder",
                            channel=request.channel,
                            body=body,
                            subject=subject,
                            delivery_state="queued",
                            created_at=now,
                            state_at=now,
                            attempt=attempt,
                            message_ref=_reminder_message_id(first, attempt),
                        )
                    ],
                )
                events.append(
                    outbound_event(
                        self._codec,
                        self._topic,
                        request,
                        subject,
                        body,
                        attempt=attempt,
                        now=now,
                        template_sid=self._config.whatsapp_content_sid,
                    )
                )
                audits.append(
                    AuditEntry(
                        at=now,
                        actor=ACTOR,
                        action="followup_reminder_due",
                        entity_type="case",
                        entity_id=request.case_id,
                        reason=f"no answer to request {request.id}: reminder {step.number}",
                        detail={"request_id": request.id, "reminder": step.number},
                    )
                )
                reminders += 1
            elif isinstance(step, Exhausted) and followup.close_request(
                conn, request.id, followup.EXHAUSTED, now, step.rationale
            ):
                audits.append(
                    AuditEntry(
                        at=now,
                        actor=ACTOR,
                        action="followup_exhausted",
                        entity_type="case",
                        entity_id=request.case_id,
                        reason=step.rationale,
                        detail={
                            "request_id": request.id,
                            "reminders_sent": request.reminders_sent,
                        },
                    )
                )
                items.append(
                    TriageItem(
                        kind="followup_exhausted",
                        created_at=now,
                        case_id=request.case_id,
                        reason=step.rationale,
                        detail={"request_id": request.id},
                    )
                )
                exhausted += 1
        resent, failed = self._deferred(conn, now, events, audits, items)
        outbox.enqueue(conn, events, now)
        record(conn, audits)
        triage.open_items(conn, items)
        return TickResult(reminders=reminders, exhausted=exhausted, resent=resent, failed=failed)

    def _step(self, conn: Connection, request: followup.RequestRow, now: datetime) -> Step | None:
        """The reminder policy's step for an open request; None while a reminder it asked for
        is still with the sender. A reminder whose delivery failed counts as made: the
        schedule goes on to the next one and to exhaustion, never stuck on it."""
        assert request.sent_at is not None
        made = request.reminders_sent
        while True:
            step = next_step(
                request.sent_at,
                made,
                answered=False,
                opted_out=False,
                now=now,
                policy=self._config.policy,
            )
            if not isinstance(step, SendReminder):
                return step
            existing = followup.message(conn, outbound_message_id(request.id, step.number + 1))
            if existing is None:
                return step
            if existing.delivery_state in _PENDING:
                return None
            made = step.number

    def _deferred(
        self,
        conn: Connection,
        now: datetime,
        events: list[OutboxMessage],
        audits: list[AuditEntry],
        items: list[TriageItem],
    ) -> tuple[int, int]:
        m = followup_messages.c
        rows = conn.execute(
            select(m.id, m.request_id, m.attempt, m.tries, m.subject, m.body, m.delivery_detail)
            .where(m.delivery_state == DEFERRED, m.state_at <= now - self._config.deferred_backoff)
            .limit(1000)
        ).all()
        resent = failed = 0
        for r in rows:
            request = followup.request(conn, r.request_id) if r.request_id else None
            if request is None:
                continue
            tries = r.tries
            if tries >= self._config.deferred_max_attempts or request.status != followup.OPEN:
                followup.set_delivery(
                    conn, r.id, "failed", now, detail=f"gave up after {tries} attempts"
                )
                if request.status == followup.OPEN:
                    items.append(
                        TriageItem(
                            kind="followup_delivery_failed",
                            created_at=now,
                            case_id=request.case_id,
                            reason=f"the {request.channel} follow-up could not be sent after "
                            f"{tries} attempts: {(r.delivery_detail or '')[:300]}",
                            detail={"request_id": request.id},
                        )
                    )
                    # the sender audits a refusal; a give-up here is a failure just the same
                    audits.append(
                        AuditEntry(
                            at=now,
                            actor=ACTOR,
                            action="followup_delivery_failed",
                            entity_type="case",
                            entity_id=request.case_id,
                            reason=f"not sent after {tries} attempts: "
                            f"{(r.delivery_detail or 'transport busy')[:400]}",
                            detail={"request_id": request.id, "attempt": r.attempt},
                        )
                    )
                failed += 1
                continue
            followup.set_delivery(conn, r.id, "queued", now, detail=f"deferral {tries + 1}")
            # A new event id per try: the earlier one was already consumed.
            events.append(
                outbound_event(
                    self._codec,
                    self._topic,
                    request,
                    r.subject,
                    r.body,
                    attempt=r.attempt,
                    now=now,
                    template_sid=self._config.whatsapp_content_sid,
                    retry=tries,
                )
            )
            resent += 1
        return resent, failed


def _reminder_message_id(first: followup.MessageRow | None, attempt: int) -> str | None:
    if first is None or not first.message_ref:
        return None
    local, _, domain = first.message_ref.strip("<>").partition("@")
    return f"<{local}.r{attempt}@{domain}>"


_REMINDER_LEAD = {
    "en": "Reminder {number}: we have not heard back from you yet. ",
    "es": "Recordatorio {number}: todavía no hemos recibido su respuesta. ",
}


def reminder_text(body: str, *, language: str, number: int) -> str:
    """The reminder: one line saying so, then the original questions."""
    lead = _REMINDER_LEAD.get(language, _REMINDER_LEAD["en"]).format(number=number)
    return lead + "\n\n" + body if body else lead.strip()
