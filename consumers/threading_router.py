"""Threading in intake: is an inbound message a reply to one of our follow-up requests?

The intake consumer asks this router about every e-mail, SMS and WhatsApp message before
turning it into a new case. The rules are the domain's (``gateway.domain.threading``):
e-mail by References (right to left), In-Reply-To, the plus-address token, the subject tag;
WhatsApp by the replied-to message or the button payload; SMS by the reporter's open
request. A reply goes on the follow-up-inbound topic for its case; a message that could
answer several requests becomes a triage item (never a guess); anything else is a new
report. Messages with no mark of ours, from a sender with no open request, are new reports
without a lookup of their own (one query per batch finds the senders with open requests).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses

from sqlalchemy import Connection, select

from gateway.domain.followup.templates import find_subject_tag
from gateway.domain.threading.markers import (
    normalise_address,
    parse_message_ids,
    plus_token,
)
from gateway.domain.threading.model import (
    Ambiguous,
    InboundFacts,
    Matched,
    NewReport,
    ThreadDecision,
)
from gateway.domain.threading.resolver import resolve
from gateway.ids import new_id
from gateway.store import followup
from gateway.store.audit import AuditEntry
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import followup_requests
from gateway.store.threading import StoreThreadLookup
from gateway.store.triage import TriageItem
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

ACTOR = "consumer:intake"
THREAD_CHANNELS = frozenset({"EMAIL", "SMS", "WHATSAPP"})


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """What the router needs of an intake record (from the intake event)."""

    event_id: str
    inbound_id: str
    channel: str
    received_at: datetime
    headers: dict[str, str]


@dataclass(frozen=True, slots=True)
class Routed:
    """A record threading took: a reply (``decision`` Matched) or an ambiguous one."""

    facts: InboundFacts
    decision: Matched | Ambiguous


def facts_of(message: InboundMessage) -> InboundFacts | None:
    h = message.headers
    if message.channel == "EMAIL":
        sender = getaddresses([h.get("From", "")])
        if not sender or "@" not in sender[0][1]:
            return None
        to = tuple(
            a
            for _, a in getaddresses([h.get("Envelope-To", ""), h.get("To", ""), h.get("Cc", "")])
            if a
        )
        try:
            references = parse_message_ids(h.get("References"))
            in_reply_to = parse_message_ids(h.get("In-Reply-To"))
        except ValueError:
            references, in_reply_to = (), ()
        return InboundFacts(
            channel="EMAIL",
            from_address=sender[0][1],
            to_addresses=to,
            message_ref=h.get("Message-ID"),
            in_reply_to=in_reply_to[0] if in_reply_to else None,
            references=references,
            subject=h.get("Subject"),
            received_at=message.received_at,
        )
    sender_phone = h.get("From", "").strip()
    if not sender_phone:
        return None
    return InboundFacts(
        channel=message.channel,
        from_address=sender_phone,
        to_addresses=(h["To"],) if h.get("To") else (),
        message_ref=h.get("MessageSid") or h.get("SmsSid"),
        replied_message_ref=h.get("OriginalRepliedMessageSid") or None,
        button_payload=h.get("ButtonPayload") or None,
        received_at=message.received_at,
    )


def _has_marks(facts: InboundFacts) -> bool:
    return bool(
        facts.references
        or facts.in_reply_to
        or facts.replied_message_ref
        or facts.button_payload
        or any(plus_token(a) for a in facts.to_addresses)
        or find_subject_tag(facts.subject)
    )


class ThreadRouter:
    def __init__(self, codec: AvroCodec, topic_name: Callable[[str], str]) -> None:
        self._codec = codec
        self._topic = topic_name(Topic.FOLLOWUP_INBOUND)

    def route(self, conn: Connection, messages: Sequence[InboundMessage]) -> dict[str, Routed]:
        """The records threading takes, by event id (the others are new reports)."""
        candidates: list[tuple[InboundMessage, InboundFacts]] = []
        for m in messages:
            if m.channel not in THREAD_CHANNELS:
                continue
            facts = facts_of(m)
            if facts is not None:
                candidates.append((m, facts))
        if not candidates:
            return {}
        senders = {normalise_address(f.from_address) for _, f in candidates}
        with_open = set(
            conn.execute(
                select(followup_requests.c.recipient).where(
                    followup_requests.c.recipient.in_(sorted(senders)),
                    followup_requests.c.status == followup.OPEN,
                )
            ).scalars()
        )
        lookup = StoreThreadLookup(conn)
        routed: dict[str, Routed] = {}
        for m, facts in candidates:
            if not _has_marks(facts) and normalise_address(facts.from_address) not in with_open:
                continue
            decision: ThreadDecision = resolve(facts, lookup)
            if isinstance(decision, NewReport):
                continue
            routed[m.event_id] = Routed(facts, decision)
        return routed

    def apply(
        self,
        conn: Connection,
        message: InboundMessage,
        routed: Routed,
        now: datetime,
        emit: Callable[[OutboxMessage], None],
        audit: Callable[[AuditEntry], None],
    ) -> tuple[str | None, TriageItem | None]:
        """Write what threading decided; returns the case the record belongs to (if one)
        and a triage item to open (if any)."""
        decision = routed.decision
        if isinstance(decision, Ambiguous):
            return None, TriageItem(
                kind="ambiguous_reply",
                created_at=now,
                inbound_id=message.inbound_id,
                reason=decision.reason,
                detail={
                    "candidates": [
                        {"case_id": c.case_id, "request_id": c.request_id}
                        for c in decision.candidates
                    ]
                },
            )
        request = decision.request
        facts = routed.facts
        earlier = (
            followup.received_with_ref(conn, request.case_id, facts.message_ref)
            if facts.message_ref
            else None
        )
        if earlier is not None and earlier.inbound_id != message.inbound_id:
            # The same reply again under another record (a second relay adds its own
            # Received lines, so the bytes and the dedupe key differ): applied once only.
            audit(
                AuditEntry(
                    at=now,
                    actor=ACTOR,
                    action="reply_repeated",
                    entity_type="case",
                    entity_id=request.case_id,
                    reason="a copy of a reply already received (same message id); not "
                    "applied again",
                    detail={
                        "inbound_id": message.inbound_id,
                        "first_inbound_id": earlier.inbound_id,
                        "request_id": request.request_id,
                    },
                )
            )
            return request.case_id, None
        followup.add_messages(
            conn,
            [
                followup.MessageRow(
                    id=f"IN-{message.inbound_id}",
                    case_id=request.case_id,
                    request_id=request.request_id,
                    direction="in",
                    kind="reply",
                    channel=message.channel,
                    body="",  # the reply consumer fills in the reporter's new text
                    subject=facts.subject,
                    delivery_state="received",
                    created_at=message.received_at,
                    state_at=now,
                    message_ref=facts.message_ref,
                    inbound_id=message.inbound_id,
                )
            ],
        )
        audit(
            AuditEntry(
                at=now,
                actor=ACTOR,
                action="reply_threaded",
                entity_type="case",
                entity_id=request.case_id,
                reason=f"the message answers follow-up request {request.request_id} "
                f"(matched by {decision.via})"
                + (
                    "; sent by someone other than the reporter asked"
                    if decision.third_party
                    else ""
                ),
                detail={
                    "inbound_id": message.inbound_id,
                    "request_id": request.request_id,
                    "via": decision.via,
                    "third_party": decision.third_party,
                    "request_open": request.open,
                },
            )
        )
        emit(self._event(message, facts, decision))
        return request.case_id, None

    def _event(self, message: InboundMessage, facts: InboundFacts, m: Matched) -> OutboxMessage:
        event_id = new_id("EV")
        value = self._codec.encode(
            SchemaName.FOLLOWUP_INBOUND,
            {
                "event_id": event_id,
                "inbound_id": message.inbound_id,
                "channel": message.channel,
                "received_at": message.received_at,
                "from_address": facts.from_address,
                "to_address": facts.to_addresses[0] if facts.to_addresses else "",
                "message_ref": facts.message_ref or message.inbound_id,
                "in_reply_to": facts.in_reply_to,
                "references": list(facts.references),
                "replied_message_ref": facts.replied_message_ref,
                "button_payload": facts.button_payload,
                "subject": facts.subject,
                "body_text": "",
                "case_id": m.request.case_id,
                "request_id": m.request.request_id,
            },
        )
        return OutboxMessage(
            event_id=event_id, topic=self._topic, key=m.request.case_id.encode(), value=value
        )
