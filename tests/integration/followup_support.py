"""An in-process follow-up pipeline on the real store, without a broker.

``FollowUpPipeline`` wires the real consumers (intake with threading, follow-up planner,
sender and replies) and the follow-up ticker to one migrated store. Channels hand messages
over through the real ``InboundAcceptor``; ``pump`` then plays the outbox relay and the
consumer runner: it takes the pending outbox rows in order, marks them published, decodes
each with its consumer's ``decode`` and applies it as ``consumers.runner`` does (prepare,
then one transaction: already-processed events skipped, handle, emitted events enqueued,
audit entries recorded, events marked processed). Everything reads one ``ManualClock``,
so reminder days pass without waiting. A ``FakeSender`` stands in for SMTP and Twilio.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Connection, Table, select

from channels.acceptance import Acceptance, InboundAcceptor
from channels.email_in import CHANNEL as EMAIL_CHANNEL
from channels.email_in import CONTENT_TYPE as EMAIL_CONTENT_TYPE
from channels.email_in import describe_mail
from channels.followup_out.email import build_email, envelope_sender
from channels.followup_out.ports import (
    FollowUpChannel,
    OutgoingMessage,
    SendResult,
    SendStatus,
    Transport,
)
from channels.twilio_in import FORM_CONTENT_TYPE, TwilioKind, describe, parse_form
from consumers.envelope import ConsumerSpec, Envelope, HandlerContext
from consumers.followup_planner import PlannerConfig, followup_planner_consumer
from consumers.followup_replies import followup_replies_consumer
from consumers.followup_sender import SenderConfig, followup_sender_consumer
from consumers.intake import intake_consumer
from consumers.intake_work import E2BSettings
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.intake import IntakeReferences
from gateway.domain.meddra import MedDRACoder, load_distribution
from gateway.store import audit, followup, outbox, processed
from gateway.store.engine import Store
from gateway.store.outbox import OutboxMessage
from producers.followup_ticker import FollowUpTicker, TickerConfig, TickResult
from schemas.avro import AvroCodec
from tests.support.smtp_relay import CapturedMail
from tests.support.twilio_api import inbound_message_fields

DATA = Path(__file__).resolve().parents[1] / "data"
#: our mailbox: reports come to it, follow-ups go out from it, replies come back to it
SAFETY_MAILBOX = "safety@pv.example"
REPLY_LOCAL, REPLY_DOMAIN = "safety", "pv.example"
FROM_ADDRESS = f"Drug Safety <{SAFETY_MAILBOX}>"
MESSAGE_DOMAIN = "pv.example"
#: our Twilio number
SMS_NUMBER = "+15005550006"
TWILIO_ACCOUNT = "AC" + "0" * 31 + "1"


def load_refs() -> IntakeReferences:
    """The intake's reference data: the test catalogue and the invented MedDRA fixture."""
    records = json.loads((DATA / "catalogue" / "products.json").read_text("utf-8"))
    coder = MedDRACoder(load_distribution(DATA / "meddra"))
    return IntakeReferences(ProductCatalogue.from_records(records["products"]), coder)


def _topic(name: str) -> str:
    return name


# -- ports ------------------------------------------------------------------------------------
@dataclass
class ManualClock:
    """``gateway.clock.Clock`` that only moves when told to."""

    current: datetime

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current


@dataclass
class FakeSender:
    """A follow-up transport that records every message it is given and answers as told
    (accepted unless ``answer_next`` queued other answers). E-mail results carry our
    Message-ID as the provider id, as the SMTP sender's do; SMS ones a Twilio-like SID."""

    sent: list[OutgoingMessage] = field(default_factory=list)
    results: list[SendResult] = field(default_factory=list)
    #: run once the provider has taken a message, before the send call returns (a status
    #: callback that beats the sender's record of it)
    on_accepted: Callable[[SendResult], Awaitable[None]] | None = None
    _answers: deque[SendStatus] = field(default_factory=deque)

    def answer_next(self, *statuses: SendStatus) -> None:
        self._answers.extend(statuses)

    async def send(self, msg: OutgoingMessage) -> SendResult:
        self.sent.append(msg)
        status = self._answers.popleft() if self._answers else SendStatus.ACCEPTED
        if msg.channel is FollowUpChannel.EMAIL:
            ref, transport = msg.message_id, Transport.SMTP
        else:
            ref, transport = "SM" + secrets.token_hex(16), Transport.TWILIO
        detail = {
            SendStatus.ACCEPTED: "",
            SendStatus.RETRY: "451 4.3.0 Try again later",
            SendStatus.FAILED: "550 5.1.1 User unknown",
        }[status]
        result = SendResult(status, ref, detail, transport)
        self.results.append(result)
        if self.on_accepted is not None and result.accepted:
            await self.on_accepted(result)
        return result

    def emails(self) -> list[EmailMessage]:
        """The sent e-mails as the relay would have received them."""
        return [
            build_email(m, FROM_ADDRESS) for m in self.sent if m.channel is FollowUpChannel.EMAIL
        ]

    def captured(self, msg: OutgoingMessage) -> CapturedMail:
        """An e-mail we sent, as a capturing relay records it (for bounces)."""
        email = build_email(msg, FROM_ADDRESS)
        return CapturedMail(
            mail_from=envelope_sender(msg, FROM_ADDRESS),
            rcpt_tos=(msg.recipient,),
            content=email.as_bytes(policy=email.policy.clone(linesep="\r\n")),
        )


# -- the pipeline -----------------------------------------------------------------------------
class FollowUpPipeline:
    def __init__(
        self,
        store: Store,
        refs: IntakeReferences,
        clock: ManualClock,
        sender: FakeSender,
        ticker: TickerConfig | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.sender = sender
        codec = AvroCodec.default()
        self.acceptor = InboundAcceptor(store, codec, _topic)
        senders = {channel: sender for channel in FollowUpChannel}
        specs: list[ConsumerSpec[Any]] = [
            intake_consumer(codec, _topic, refs, E2BSettings(), store),
            followup_planner_consumer(codec, _topic, PlannerConfig(message_domain=MESSAGE_DOMAIN)),
            followup_sender_consumer(
                codec,
                _topic,
                store,
                senders,
                SenderConfig(reply_local=REPLY_LOCAL, reply_domain=REPLY_DOMAIN),
            ),
            followup_replies_consumer(codec, _topic, refs),
        ]
        self.consumers: dict[str, ConsumerSpec[Any]] = {s.topic: s for s in specs}
        self.ticker = FollowUpTicker(store, codec, _topic, ticker or TickerConfig(), clock=clock)
        #: every event the relay published, in order
        self.published: list[OutboxMessage] = []

    # -- channels
    def receive_email(
        self, raw: bytes, *, rcpt_tos: Sequence[str] = (SAFETY_MAILBOX,), mail_from: str = ""
    ) -> Acceptance:
        """Store a message as the SMTP listener does (headers copied, envelope added)."""
        facts = describe_mail(raw)
        headers = dict(facts.headers)
        headers["Envelope-From"] = mail_from
        headers["Envelope-To"] = ", ".join(rcpt_tos)
        headers["Received-Via"] = "smtp"
        return asyncio.run(
            self.acceptor.accept(
                channel=EMAIL_CHANNEL,
                source_id=facts.source_id,
                payload=raw,
                content_type=EMAIL_CONTENT_TYPE,
                headers=headers,
                thread_key=facts.thread_key,
                received_at=self.clock.now(),
            )
        )

    def receive_twilio(self, kind: TwilioKind, fields: Mapping[str, str]) -> Acceptance:
        return asyncio.run(self.receive_twilio_async(kind, fields))

    async def receive_twilio_async(self, kind: TwilioKind, fields: Mapping[str, str]) -> Acceptance:
        """Store a (verified) Twilio webhook as the HTTP app does; a status callback is
        then applied to our message's delivery state, as ``gateway.api.twilio`` does."""
        body = urlencode(fields).encode()
        params = parse_form(body)
        described = describe(kind, params)
        result = await self.acceptor.accept(
            channel=described.channel,
            source_id=described.source_id,
            payload=body,
            content_type=FORM_CONTENT_TYPE,
            headers=described.headers,
            thread_key=described.thread_key,
            received_at=self.clock.now(),
            intake=not described.is_status,
        )
        if described.is_status and not result.duplicate:
            await self.store.run(
                followup.apply_provider_status,
                params.first("MessageSid") or "",
                params.first("MessageStatus") or "",
                self.clock.now(),
            )
        return result

    def receive_sms(self, sender: str, body: str) -> Acceptance:
        return self.receive_twilio(
            TwilioKind.SMS,
            inbound_message_fields(TWILIO_ACCOUNT, sender=sender, to=SMS_NUMBER, body=body),
        )

    # -- relay and runner
    def pump(self, *, hold: Sequence[str] = (), limit: int = 200) -> list[OutboxMessage]:
        """Publish and consume until the outbox is empty; the events published, in order.
        Events of the ``hold`` topics are published but not consumed (a test delivers them)."""
        done: list[OutboxMessage] = []
        for _ in range(limit):
            with self.store.transaction() as conn:
                pending = outbox.pending(conn, 1)
                outbox.mark_published(conn, [p.id for p in pending], self.clock.now())
            if not pending:
                return done
            message = pending[0].message
            self.published.append(message)
            done.append(message)
            if message.topic in self.consumers and message.topic not in hold:
                self.deliver([message])
        raise AssertionError(f"the pipeline did not settle after {limit} events")

    def deliver(self, messages: Sequence[OutboxMessage]) -> None:
        """One consumer batch of events of one topic (a redelivery when already consumed)."""
        topics = {m.topic for m in messages}
        assert len(topics) == 1, f"one topic per batch, got {sorted(topics)}"
        spec = self.consumers[topics.pop()]
        envelopes = []
        for offset, m in enumerate(messages):
            decoded = spec.decode(m.value)
            envelopes.append(
                Envelope(
                    event_id=decoded.event_id,
                    message=decoded.message,
                    topic=m.topic,
                    partition=0,
                    offset=offset,
                    key=m.key,
                )
            )
        now = self.clock.now()
        prepared = spec.prepare(envelopes, now) if spec.prepare is not None else {}
        ctx = HandlerContext(consumer=spec.name, now=now, prepared=prepared)
        self.store.run_sync(_apply_in_transaction, spec, envelopes, ctx)
        for action in ctx.after_commit:
            action()

    def published_on(self, topic: str) -> list[OutboxMessage]:
        return [m for m in self.published if m.topic == topic]

    # -- ticker
    def tick(self) -> TickResult:
        return asyncio.run(self.ticker.tick())

    def tick_at(self, delta: timedelta) -> TickResult:
        """Move the clock, tick, and let what the tick queued flow through."""
        self.clock.advance(delta)
        result = self.tick()
        self.pump()
        return result


def _apply_in_transaction(
    conn: Connection,
    spec: ConsumerSpec[Any],
    envelopes: Sequence[Envelope[Any]],
    ctx: HandlerContext,
) -> None:
    """What ``ConsumerRunner._apply_in_transaction`` does with one batch."""
    seen = processed.already_processed(conn, spec.name, [e.event_id for e in envelopes])
    fresh: list[Envelope[Any]] = []
    for env in envelopes:
        if env.event_id not in seen:
            seen.add(env.event_id)
            fresh.append(env)
    if not fresh:
        return
    spec.handle(conn, fresh, ctx)
    outbox.enqueue(conn, ctx.emitted, ctx.now)
    audit.record(conn, ctx.audits)
    processed.mark(conn, spec.name, [e.event_id for e in fresh], ctx.now)


# -- messages reporters send ------------------------------------------------------------------
def report_email(
    body: str, *, sender: str, sent_at: datetime, subject: str = "Adverse event report"
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SAFETY_MAILBOX
    msg["Subject"] = subject
    msg["Date"] = format_datetime(sent_at)
    msg["Message-ID"] = f"<{secrets.token_hex(12)}@pharmacy.example>"
    msg.set_content(body)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def reply_email(ours: EmailMessage, *, sender: str, body: str, sent_at: datetime) -> bytes:
    """A reporter's reply as a mail client writes it: to our Reply-To, naming our
    Message-ID in In-Reply-To and References, our text quoted below."""
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(ours["Reply-To"])
    reply["Subject"] = "Re: " + str(ours["Subject"])
    reply["Message-ID"] = f"<{secrets.token_hex(12)}@pharmacy.example>"
    reply["Date"] = format_datetime(sent_at)
    reply["In-Reply-To"] = str(ours["Message-ID"])
    reply["References"] = str(ours["Message-ID"])
    quoted = ours.get_body(preferencelist=("plain",))
    history = str(quoted.get_content()) if quoted is not None else ""
    lines = "\n".join("> " + line for line in history.splitlines())
    reply.set_content(f"{body}\n\nOn {format_datetime(sent_at)}, {ours['From']} wrote:\n{lines}\n")
    return reply.as_bytes(policy=reply.policy.clone(linesep="\r\n"))


def status_fields(
    sid: str, status: str, *, reporter: str, ours: str = SMS_NUMBER
) -> dict[str, str]:
    """The form of Twilio's status callback for our message ``sid``."""
    return {
        "AccountSid": TWILIO_ACCOUNT,
        "ApiVersion": "2010-04-01",
        "From": ours,
        "MessageSid": sid,
        "MessageStatus": status,
        "SmsSid": sid,
        "SmsStatus": status,
        "To": reporter,
    }


# -- reading the store ------------------------------------------------------------------------
def rows(
    store: Store,
    table: Table,
    *where: ColumnElement[bool],
    order_by: Sequence[Any] = (),
) -> list[dict[str, Any]]:
    with store.snapshot() as conn:
        q = select(table).where(*where)
        if order_by:
            q = q.order_by(*order_by)
        return [dict(r._mapping) for r in conn.execute(q)]
