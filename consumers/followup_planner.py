"""Follow-up planner: on each new case version, ask the reporter for what is missing.

Reads the case-events topic. For a case version that is current, open for work and has no
open request, the planner computes the missing data (``plan_followup``), renders the
questions for the reporter's channel and language, and writes — in one transaction — the
request (with its reply token and subject tag), the outbound message of the thread record
(our e-mail Message-ID fixed here, before anything is sent), the audit entry, and a
follow-up-outbound event for the sender. Redelivered events change nothing: a case with an
open request gets no second one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import getaddresses, parseaddr

from sqlalchemy import Connection, select

from channels.followup_out.ports import new_message_id, new_reply_token
from consumers.case_events import CaseEvent, case_event_decoder
from consumers.envelope import ConsumerSpec, Envelope, HandlerContext
from gateway.domain.followup.planner import FollowUpPlan, plan_followup
from gateway.domain.followup.questions import known_questions
from gateway.domain.followup.rules import DEFAULT_RULES, PlannerRules
from gateway.domain.followup.templates import (
    DEFAULT_TEMPLATES,
    Templates,
    case_ref,
    choose_language,
    render_request,
    subject_tag,
)
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.threading.markers import normalise_address
from gateway.ids import new_id
from gateway.store import followup, triage
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import case_row, current_icsr
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import cases, inbound_messages
from gateway.store.triage import TriageItem
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

CONSUMER = "followup-planner"
ACTOR = "consumer:followup-planner"
MESSAGING_CHANNELS = frozenset({"EMAIL", "SMS", "WHATSAPP"})
#: states in which a case is still being worked on and may be followed up
_OPEN_STATES = frozenset({CaseState.INVALID_PENDING_INFO, CaseState.VALID, CaseState.IN_PROGRESS})


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    enabled: bool = True
    rules: PlannerRules = DEFAULT_RULES
    templates: Templates = DEFAULT_TEMPLATES
    max_questions: int = 4
    default_language: str = "en"
    #: the mailbox whose plus-addresses carry reply tokens, e.g. "safety@pv.example"
    reply_mailbox: str = "followup@icsr-gateway.localhost"
    #: Message-ID domain of our messages
    message_domain: str = "icsr-gateway.localhost"
    whatsapp_content_sid: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    channel: str
    recipient: str
    our_address: str | None


def reporter_contact(conn: Connection, case_id: str) -> Contact | None:
    """Where the reporter of a case can be asked: the channel and address the report came
    from (Reply-To before From for e-mail)."""
    r = conn.execute(
        select(inbound_messages.c.channel, inbound_messages.c.headers)
        .select_from(
            cases.join(inbound_messages, cases.c.source_inbound_id == inbound_messages.c.id)
        )
        .where(cases.c.id == case_id)
    ).first()
    if r is None or r.channel not in MESSAGING_CHANNELS:
        return None
    headers: dict[str, str] = dict(r.headers or {})
    if r.channel == "EMAIL":
        address = parseaddr(headers.get("Reply-To") or headers.get("From") or "")[1]
        if "@" not in address:
            return None
        ours = [a for _, a in getaddresses([headers.get("Envelope-To") or headers.get("To", "")])]
        return Contact("EMAIL", normalise_address(address), ours[0].lower() if ours else None)
    sender = (headers.get("From") or "").strip()
    if not sender:
        return None
    return Contact(r.channel, normalise_address(sender), (headers.get("To") or "").strip() or None)


def _language_hint(icsr: ICSR) -> str | None:
    for reaction in icsr.reactions:
        if reaction.verbatim_language:
            return reaction.verbatim_language
    return None


@dataclass
class FollowUpPlanner:
    codec: AvroCodec
    topic_name: Callable[[str], str]
    config: PlannerConfig = field(default_factory=PlannerConfig)

    def handle(
        self, conn: Connection, envelopes: Sequence[Envelope[CaseEvent]], ctx: HandlerContext
    ) -> None:
        if not self.config.enabled:
            return
        for e in envelopes:
            if e.message.event_type in ("CASE_RECEIVED", "VERSION_CREATED"):
                self._plan(conn, e.message, ctx)

    def _plan(self, conn: Connection, event: CaseEvent, ctx: HandlerContext) -> None:
        row = case_row(conn, event.case_id)
        if row is None or row.current_version != event.version or row.state not in _OPEN_STATES:
            return  # a later version has its own event; closed cases are not followed up
        previous = followup.requests_of_case(conn, event.case_id)
        if any(r.status == followup.OPEN for r in previous):
            return
        if any(r.status == followup.OPTED_OUT for r in previous):
            return
        icsr = current_icsr(conn, event.case_id, row.current_version)
        missing = row.missing
        plan = plan_followup(
            icsr,
            valid=bool(row.valid),
            missing_criteria=missing,
            serious=bool(row.serious),
            expedited=bool(row.expedited),
            rules=self.config.rules,
            already_asked=[q for r in previous for q in known_questions(r.questions)],
            max_questions=self.config.max_questions,
        )
        if plan is None:
            return
        contact = case_contact(conn, event.case_id, icsr)
        if contact is None:
            if not row.valid:
                triage.open_items(
                    conn,
                    [
                        TriageItem(
                            kind="followup_impossible",
                            created_at=ctx.now,
                            case_id=event.case_id,
                            reason="the case is not valid and the report came with no channel "
                            "to ask the reporter on; a person decides how to follow up",
                            detail={"questions": [q.value for q in plan.questions]},
                        )
                    ],
                )
            return
        if followup.opted_out(conn, contact.channel, contact.recipient):
            ctx.audit(
                AuditEntry(
                    at=ctx.now,
                    actor=ACTOR,
                    action="followup_not_sent",
                    entity_type="case",
                    entity_id=event.case_id,
                    reason="the reporter asked for no more messages on this channel",
                    detail={"channel": contact.channel, "version": row.current_version},
                )
            )
            return
        self._request(conn, event, row.current_version, icsr, contact, plan, ctx)

    def _request(
        self,
        conn: Connection,
        event: CaseEvent,
        version: int,
        icsr: ICSR,
        contact: Contact,
        plan: FollowUpPlan,
        ctx: HandlerContext,
    ) -> None:
        opened = open_request(
            conn,
            self.codec,
            self.topic_name,
            self.config,
            case_id=event.case_id,
            version=version,
            icsr=icsr,
            contact=contact,
            plan=plan,
            now=ctx.now,
            actor=ACTOR,
        )
        ctx.emit(opened.event)
        ctx.audit(opened.audit)


def outbound_message_id(request_id: str, attempt: int) -> str:
    """The thread-record id of a request's n-th outbound message (deterministic, so a
    redelivered event or a retried reminder run cannot add it twice)."""
    return f"{request_id}-{attempt}"


def outbound_event(
    codec: AvroCodec,
    topic: str,
    request: followup.RequestRow,
    subject: str | None,
    body: str,
    *,
    attempt: int,
    now: datetime,
    template_sid: str | None,
    retry: int = 0,
) -> OutboxMessage:
    event_id = f"{outbound_message_id(request.id, attempt)}-send" + (f"-{retry}" if retry else "")
    value = codec.encode(
        SchemaName.FOLLOWUP_OUTBOUND,
        {
            "event_id": event_id,
            "case_id": request.case_id,
            "request_id": request.id,
            "channel": request.channel,
            "recipient": request.recipient,
            "subject": subject,
            "body_text": body,
            "language": request.language,
            "template_sid": template_sid if request.channel == "WHATSAPP" else None,
            "created_at": now,
            "attempt": attempt,
        },
    )
    return OutboxMessage(event_id=event_id, topic=topic, key=request.case_id.encode(), value=value)


def contact_from_icsr(icsr: ICSR, channel: str | None = None) -> Contact | None:
    """The reporter's address as the case holds it: e-mail, else phone (SMS, or WhatsApp when
    asked); ``channel`` asks for one channel only."""
    source = icsr.primary_source_for_regulatory_purposes()
    if source is None:
        return None
    email = source.email if isinstance(source.email, str) and "@" in source.email else None
    phone = source.telephone if isinstance(source.telephone, str) else None
    if email is not None and channel in (None, "EMAIL"):
        return Contact("EMAIL", normalise_address(email), None)
    if phone is not None and phone.strip() and channel in (None, "SMS", "WHATSAPP"):
        return Contact(channel or "SMS", normalise_address(phone.strip()), None)
    return None


def case_contact(conn: Connection, case_id: str, icsr: ICSR) -> Contact | None:
    """Where to ask: the channel the report came from; for a case entered without an inbound
    message (the case API), the reporter's contact details in the case."""
    contact = reporter_contact(conn, case_id)
    if contact is not None:
        return contact
    source = conn.execute(select(cases.c.source_inbound_id).where(cases.c.id == case_id)).scalar()
    return contact_from_icsr(icsr) if source is None else None


@dataclass(frozen=True, slots=True)
class OpenedRequest:
    request: followup.RequestRow
    message: followup.MessageRow
    event: OutboxMessage
    audit: AuditEntry


def open_request(
    conn: Connection,
    codec: AvroCodec,
    topic_name: Callable[[str], str],
    config: PlannerConfig,
    *,
    case_id: str,
    version: int,
    icsr: ICSR,
    contact: Contact,
    plan: FollowUpPlan,
    now: datetime,
    actor: str,
    language: str | None = None,
) -> OpenedRequest:
    """Write a follow-up request of ``plan`` to ``contact`` and its first outbound message
    (our e-mail Message-ID fixed here, before anything is sent); the follow-up-outbound event
    for the sender and the audit entry are returned for the caller to write."""
    language = language or choose_language(_language_hint(icsr), default=config.default_language)
    token = new_reply_token()
    ref = case_ref(token)
    rendered = render_request(
        plan, channel=contact.channel, language=language, case_ref=ref, templates=config.templates
    )
    request = followup.RequestRow(
        id=new_id("FU"),
        case_id=case_id,
        case_version=version,
        channel=contact.channel,
        recipient=contact.recipient,
        our_address=contact.our_address,
        language=language,
        questions=tuple(q.value for q in rendered.questions),
        token=token,
        subject_tag=subject_tag(ref),
        status=followup.OPEN,
        created_at=now,
    )
    followup.insert_request(conn, request)
    message = followup.MessageRow(
        id=outbound_message_id(request.id, 1),
        case_id=case_id,
        request_id=request.id,
        direction="out",
        kind="request",
        channel=contact.channel,
        body=rendered.body,
        subject=rendered.subject,
        delivery_state="queued",
        created_at=now,
        state_at=now,
        attempt=1,
        # Our Message-ID is fixed before sending: a reply may beat the send call.
        message_ref=new_message_id(config.message_domain) if contact.channel == "EMAIL" else None,
    )
    followup.add_messages(conn, [message])
    event = outbound_event(
        codec,
        topic_name(Topic.FOLLOWUP_OUTBOUND),
        request,
        rendered.subject,
        rendered.body,
        attempt=1,
        now=now,
        template_sid=config.whatsapp_content_sid,
    )
    entry = AuditEntry(
        at=now,
        actor=actor,
        action="followup_requested",
        entity_type="case",
        entity_id=case_id,
        reason=f"version {version} lacks: "
        + ", ".join(q.value.replace("_", " ") for q in rendered.questions),
        detail={
            "request_id": request.id,
            "channel": contact.channel,
            "language": language,
            "questions": list(request.questions),
            "deferred": [q.value for q in plan.deferred],
            "version": version,
        },
    )
    return OpenedRequest(request=request, message=message, event=event, audit=entry)


def followup_planner_consumer(
    codec: AvroCodec, topic_name: Callable[[str], str], config: PlannerConfig | None = None
) -> ConsumerSpec[CaseEvent]:
    planner = FollowUpPlanner(codec, topic_name, config or PlannerConfig())
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.CASE_EVENTS),
        decode=case_event_decoder(codec),
        handle=planner.handle,
    )
