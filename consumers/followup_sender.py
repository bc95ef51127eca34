"""Follow-up sender: sends each follow-up message once, and records what happened.

Reads the follow-up-outbound topic. Sending happens in ``prepare`` (outside the store
transaction; the request, its reply token and our Message-ID were persisted by the planner
before the event existed). The transaction then records the outcome: the provider's id
(Twilio SID, outbox file) on the thread message, the request's send time, the case moving
from "Pendiente" to "En progreso" once the reporter has been contacted, and the audit entry.

A message whose thread record is no longer ``queued`` is not sent again (a redelivery after
the outcome was recorded). A crash between the provider accepting a message and the record
being written sends it again on redelivery: e-mail carries the same Message-ID, so the
reporter's client shows one message; SMS may arrive twice (at least once, never lost).
A permanent refusal (SMTP 5xx, an invalid number) is a failed delivery with a triage item;
a transient one is marked deferred and sent again by the follow-up ticker after a backoff,
until its attempts run out (then a failed delivery with a triage item).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select

from channels.followup_out.ports import (
    FollowUpChannel,
    OutgoingMessage,
    Sender,
    SendResult,
    SendStatus,
    reply_to_address,
)
from consumers.envelope import ConsumerSpec, Decoded, Envelope, HandlerContext
from consumers.followup_planner import outbound_message_id
from gateway.domain.lifecycle import CaseState
from gateway.errors import TransientError
from gateway.logs import get_logger
from gateway.store import followup, triage
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store
from gateway.store.tables import cases, followup_messages, inbound_messages
from gateway.store.triage import TriageItem
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

CONSUMER = "followup-sender"
ACTOR = "consumer:followup-sender"
WHATSAPP_WINDOW = timedelta(hours=24)
#: delivery state of a message the transport could not take yet (sent again later)
DEFERRED = "deferred"
log = get_logger(__name__)


class FollowUpSendError(TransientError):
    """The transport could not take the message now; it is retried with backoff."""

    code = "followup_send_retry"


@dataclass(frozen=True, slots=True)
class OutboundRequest:
    event_id: str
    case_id: str
    request_id: str
    channel: str
    recipient: str
    subject: str | None
    body_text: str
    language: str
    template_sid: str | None
    created_at: datetime
    attempt: int


def decoder(codec: AvroCodec) -> Callable[[bytes], Decoded[OutboundRequest]]:
    def decode(data: bytes) -> Decoded[OutboundRequest]:
        r = codec.decode_as(SchemaName.FOLLOWUP_OUTBOUND, data)
        msg = OutboundRequest(
            event_id=r["event_id"],
            case_id=r["case_id"],
            request_id=r["request_id"],
            channel=r["channel"],
            recipient=r["recipient"],
            subject=r["subject"],
            body_text=r["body_text"],
            language=r["language"],
            template_sid=r["template_sid"],
            created_at=r["created_at"],
            attempt=r["attempt"],
        )
        return Decoded(event_id=msg.event_id, message=msg)

    return decode


@dataclass(frozen=True, slots=True)
class SenderConfig:
    reply_local: str = "followup"
    reply_domain: str = "icsr-gateway.localhost"


@dataclass(frozen=True, slots=True)
class _Outcome:
    message_id: str
    result: SendResult | None  # None: not sent (already sent, or the request is closed)
    note: str = ""


class FollowUpSender:
    def __init__(
        self,
        store: Store,
        senders: Mapping[FollowUpChannel, Sender],
        writer: CaseWriter,
        config: SenderConfig | None = None,
    ) -> None:
        self._store = store
        self._senders = senders
        self._writer = writer
        self._config = config or SenderConfig()

    # -- before the transaction: send ------------------------------------------------------
    def prepare(
        self, envelopes: Sequence[Envelope[OutboundRequest]], now: datetime
    ) -> dict[str, _Outcome]:
        work: list[tuple[str, str, OutgoingMessage | None, str]] = []
        events: set[str] = set()
        messages: set[str] = set()
        with self._store.snapshot() as conn:
            for e in envelopes:
                if e.event_id in events:
                    continue  # a redelivery inside the batch: its first copy is the one sent
                events.add(e.event_id)
                message_id, outgoing, note = self._outgoing(conn, e.message, now)
                if outgoing is not None and message_id in messages:
                    # Two events for one thread message (a retry beside its original): both
                    # see it queued in the snapshot, so only the first may send it.
                    outgoing, note = None, "sent by another event of this batch"
                messages.add(message_id)
                work.append((e.event_id, message_id, outgoing, note))

        async def send_all() -> list[SendResult | None]:
            async def one(msg: OutgoingMessage | None) -> SendResult | None:
                if msg is None:
                    return None
                return await self._senders[msg.channel].send(msg)

            return list(await asyncio.gather(*(one(m) for _, _, m, _ in work)))

        results = asyncio.run(send_all())
        return {
            event_id: _Outcome(message_id, result, note)
            for (event_id, message_id, _, note), result in zip(work, results, strict=True)
        }

    def _outgoing(
        self, conn: Connection, m: OutboundRequest, now: datetime
    ) -> tuple[str, OutgoingMessage | None, str]:
        message_id = outbound_message_id(m.request_id, m.attempt)
        row = followup.message(conn, message_id)
        request = followup.request(conn, m.request_id)
        if row is None or request is None:
            return message_id, None, "no thread record"
        if row.delivery_state != "queued":
            return message_id, None, f"already {row.delivery_state}"
        if request.status != followup.OPEN:
            return message_id, None, f"request {request.status}"
        first = followup.message(conn, outbound_message_id(m.request_id, 1))
        cfg = self._config
        outgoing = OutgoingMessage(
            request_id=m.request_id,
            case_id=m.case_id,
            channel=FollowUpChannel(m.channel),
            recipient=m.recipient,
            body=m.body_text,
            subject=m.subject,
            language=m.language,
            message_id=row.message_ref,
            reply_to=reply_to_address(cfg.reply_local, request.token, cfg.reply_domain)
            if m.channel == "EMAIL"
            else None,
            in_reply_to=first.message_ref if first is not None and m.attempt > 1 else None,
            in_window=_in_whatsapp_window(conn, m.case_id, now)
            if m.channel == "WHATSAPP"
            else True,
            template_sid=m.template_sid,
            template_variables={"1": request.subject_tag.strip("[]")},
        )
        return message_id, outgoing, ""

    # -- in the transaction: record --------------------------------------------------------
    def handle(
        self,
        conn: Connection,
        envelopes: Sequence[Envelope[OutboundRequest]],
        ctx: HandlerContext,
    ) -> None:
        outcomes: Mapping[str, _Outcome] = ctx.prepared
        for e in envelopes:
            outcome = outcomes.get(e.event_id)
            if outcome is None:  # not prepared: the runner retries the batch with prepare
                raise FollowUpSendError(f"follow-up {e.message.request_id} was not sent yet")
            if outcome.result is None:
                continue
            self._record(conn, e.message, outcome.message_id, outcome.result, ctx)

    def _record(
        self,
        conn: Connection,
        m: OutboundRequest,
        message_id: str,
        result: SendResult,
        ctx: HandlerContext,
    ) -> None:
        if result.status is SendStatus.RETRY:
            # Not raised: a raise would roll back the others of the batch, already sent.
            # The follow-up ticker sends a deferred message again after a backoff.
            followup.set_delivery(
                conn,
                message_id,
                DEFERRED,
                ctx.now,
                detail=result.detail or "transport busy",
                deferred=True,
            )
            return
        if result.status is SendStatus.FAILED:
            followup.set_delivery(
                conn,
                message_id,
                "failed",
                ctx.now,
                provider_ref=result.provider_ref,
                detail=result.detail,
            )
            triage.open_items(
                conn,
                [
                    TriageItem(
                        kind="followup_delivery_failed",
                        created_at=ctx.now,
                        case_id=m.case_id,
                        reason=f"the {m.channel} follow-up could not be delivered: "
                        f"{result.detail[:300]}",
                        detail={"request_id": m.request_id, "attempt": m.attempt},
                    )
                ],
            )
            ctx.audit(
                AuditEntry(
                    at=ctx.now,
                    actor=ACTOR,
                    action="followup_delivery_failed",
                    entity_type="case",
                    entity_id=m.case_id,
                    reason=result.detail[:500] or "refused by the transport",
                    detail={"request_id": m.request_id, "transport": result.transport.value},
                )
            )
            return
        followup.set_delivery(conn, message_id, "sent", ctx.now, provider_ref=result.provider_ref)
        if result.provider_ref and m.channel != "EMAIL":
            # A status callback may have beaten this record: it is stored, apply it now.
            for status in followup.reported_statuses(conn, result.provider_ref):
                try:
                    followup.apply_provider_status(conn, result.provider_ref, status, ctx.now)
                except ValueError:  # an inbound or unknown status: it changes nothing
                    continue
        followup.mark_sent(conn, m.request_id, ctx.now, reminder=m.attempt > 1)
        ctx.audit(
            AuditEntry(
                at=ctx.now,
                actor=ACTOR,
                action="followup_sent" if m.attempt == 1 else "followup_reminder_sent",
                entity_type="case",
                entity_id=m.case_id,
                reason=f"{m.channel.lower()} to the reporter through {result.transport.value}",
                detail={"request_id": m.request_id, "attempt": m.attempt},
            )
        )
        state = conn.execute(select(cases.c.state).where(cases.c.id == m.case_id)).scalar()
        if state == CaseState.INVALID_PENDING_INFO.value:
            moved = self._writer.move(
                conn,
                case_id=m.case_id,
                to=CaseState.IN_PROGRESS,
                actor=ACTOR,
                reason="the reporter was contacted for the missing information",
                now=ctx.now,
                source_ref=m.request_id,
            )
            if moved is not None:
                ctx.emit(moved[0])
                ctx.audit(moved[1])


def _in_whatsapp_window(conn: Connection, case_id: str, now: datetime) -> bool:
    """The 24-hour session is open when the reporter wrote to us in the last 24 hours: the
    original report or a reply of theirs."""
    last_reply = conn.execute(
        select(func.max(followup_messages.c.created_at)).where(
            followup_messages.c.case_id == case_id, followup_messages.c.direction == "in"
        )
    ).scalar()
    report = conn.execute(
        select(inbound_messages.c.received_at)
        .select_from(
            cases.join(inbound_messages, cases.c.source_inbound_id == inbound_messages.c.id)
        )
        .where(cases.c.id == case_id)
    ).scalar()
    latest = max((t for t in (last_reply, report) if t is not None), default=None)
    return latest is not None and now - latest < WHATSAPP_WINDOW


def followup_sender_consumer(
    codec: AvroCodec,
    topic_name: Callable[[str], str],
    store: Store,
    senders: Mapping[FollowUpChannel, Sender],
    config: SenderConfig | None = None,
) -> ConsumerSpec[OutboundRequest]:
    sender = FollowUpSender(
        store, senders, CaseWriter(codec, topic_name(Topic.CASE_EVENTS)), config
    )
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.FOLLOWUP_OUTBOUND),
        decode=decoder(codec),
        handle=sender.handle,
        prepare=sender.prepare,
    )
