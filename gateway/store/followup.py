"""Follow-up requests, the thread record of each case, and opt-outs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, select, update

from gateway.domain.followup.delivery import DeliveryState, apply_status, from_twilio
from gateway.store.sql import insert_ignoring_conflicts
from gateway.store.tables import (
    followup_messages,
    followup_opt_outs,
    followup_requests,
    inbound_messages,
)

OPEN = "open"
ANSWERED = "answered"
EXHAUSTED = "exhausted"
OPTED_OUT = "opted_out"
UNDELIVERABLE = "undeliverable"  # the reporter's address refused our message
_STATES = frozenset(s.value for s in DeliveryState)


@dataclass(frozen=True, slots=True)
class RequestRow:
    id: str
    case_id: str
    case_version: int
    channel: str
    recipient: str
    our_address: str | None
    language: str
    questions: tuple[str, ...]
    token: str
    subject_tag: str
    status: str
    created_at: datetime
    sent_at: datetime | None = None
    reminders_sent: int = 0
    last_sent_at: datetime | None = None
    closed_at: datetime | None = None
    closed_reason: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_version": self.case_version,
            "channel": self.channel,
            "recipient": self.recipient,
            "our_address": self.our_address,
            "language": self.language,
            "questions": list(self.questions),
            "token": self.token,
            "subject_tag": self.subject_tag,
            "status": self.status,
            "created_at": self.created_at,
            "sent_at": self.sent_at,
            "reminders_sent": self.reminders_sent,
            "last_sent_at": self.last_sent_at,
            "closed_at": self.closed_at,
            "closed_reason": self.closed_reason,
        }


@dataclass(frozen=True, slots=True)
class MessageRow:
    id: str
    case_id: str | None
    request_id: str | None
    direction: str  # out | in
    kind: str  # request | reminder | reply | opt_out
    channel: str
    body: str
    delivery_state: str
    created_at: datetime
    state_at: datetime
    attempt: int = 1
    tries: int = 0
    message_ref: str | None = None
    provider_ref: str | None = None
    inbound_id: str | None = None
    subject: str | None = None
    delivery_detail: str | None = None

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "request_id": self.request_id,
            "direction": self.direction,
            "kind": self.kind,
            "channel": self.channel,
            "attempt": self.attempt,
            "tries": self.tries,
            "message_ref": self.message_ref,
            "provider_ref": self.provider_ref,
            "inbound_id": self.inbound_id,
            "subject": self.subject,
            "body": self.body,
            "delivery_state": self.delivery_state,
            "delivery_detail": self.delivery_detail,
            "created_at": self.created_at,
            "state_at": self.state_at,
        }


def _request(r: Any) -> RequestRow:
    return RequestRow(
        id=r.id,
        case_id=r.case_id,
        case_version=r.case_version,
        channel=r.channel,
        recipient=r.recipient,
        our_address=r.our_address,
        language=r.language,
        questions=tuple(r.questions),
        token=r.token,
        subject_tag=r.subject_tag,
        status=r.status,
        created_at=r.created_at,
        sent_at=r.sent_at,
        reminders_sent=r.reminders_sent,
        last_sent_at=r.last_sent_at,
        closed_at=r.closed_at,
        closed_reason=r.closed_reason,
    )


def _message(r: Any) -> MessageRow:
    return MessageRow(
        id=r.id,
        case_id=r.case_id,
        request_id=r.request_id,
        direction=r.direction,
        kind=r.kind,
        channel=r.channel,
        body=r.body,
        delivery_state=r.delivery_state,
        created_at=r.created_at,
        state_at=r.state_at,
        attempt=r.attempt,
        tries=r.tries,
        message_ref=r.message_ref,
        provider_ref=r.provider_ref,
        inbound_id=r.inbound_id,
        subject=r.subject,
        delivery_detail=r.delivery_detail,
    )


# -- requests ----------------------------------------------------------------------------------
def insert_request(conn: Connection, request: RequestRow) -> None:
    conn.execute(followup_requests.insert(), [request.row()])


def request(conn: Connection, request_id: str) -> RequestRow | None:
    r = conn.execute(select(followup_requests).where(followup_requests.c.id == request_id)).first()
    return _request(r) if r is not None else None


def requests_of_case(conn: Connection, case_id: str) -> list[RequestRow]:
    rows = conn.execute(
        select(followup_requests)
        .where(followup_requests.c.case_id == case_id)
        .order_by(followup_requests.c.created_at, followup_requests.c.id)
    ).all()
    return [_request(r) for r in rows]


def open_requests(conn: Connection, limit: int = 10_000) -> list[RequestRow]:
    rows = conn.execute(
        select(followup_requests)
        .where(followup_requests.c.status == OPEN)
        .order_by(followup_requests.c.created_at)
        .limit(limit)
    ).all()
    return [_request(r) for r in rows]


def requests_by(conn: Connection, column: str, values: Iterable[str]) -> list[RequestRow]:
    """Requests whose ``token``, ``subject_tag``, ``recipient`` or ``id`` is one of values."""
    wanted = sorted(set(values))
    if not wanted:
        return []
    col = followup_requests.c[column]
    rows = conn.execute(select(followup_requests).where(col.in_(wanted))).all()
    return [_request(r) for r in rows]


def mark_sent(conn: Connection, request_id: str, at: datetime, *, reminder: bool) -> None:
    req = followup_requests.c
    values: dict[str, Any] = {"last_sent_at": at}
    if reminder:
        values["reminders_sent"] = req.reminders_sent + 1
    conn.execute(update(followup_requests).where(req.id == request_id).values(**values))
    conn.execute(
        update(followup_requests)
        .where(req.id == request_id, req.sent_at.is_(None))
        .values(sent_at=at)
    )


def close_request(
    conn: Connection, request_id: str, status: str, at: datetime, reason: str
) -> bool:
    """Close an open request; False when it was not open any more."""
    req = followup_requests.c
    result = conn.execute(
        update(followup_requests)
        .where(req.id == request_id, req.status == OPEN)
        .values(status=status, closed_at=at, closed_reason=reason)
    )
    return bool(result.rowcount)


# -- messages ----------------------------------------------------------------------------------
def add_messages(conn: Connection, messages: Sequence[MessageRow]) -> int:
    """Add thread messages; an id already there is not added twice."""
    return insert_ignoring_conflicts(conn, followup_messages, [m.row() for m in messages])


def message(conn: Connection, message_id: str) -> MessageRow | None:
    r = conn.execute(select(followup_messages).where(followup_messages.c.id == message_id)).first()
    return _message(r) if r is not None else None


def messages_by_ref(conn: Connection, refs: Iterable[str]) -> list[MessageRow]:
    """Outbound messages whose Message-ID or provider id (Twilio SID) is one of refs."""
    wanted = sorted({r for r in refs if r})
    if not wanted:
        return []
    m = followup_messages.c
    rows = conn.execute(
        select(followup_messages).where(
            m.direction == "out", (m.message_ref.in_(wanted)) | (m.provider_ref.in_(wanted))
        )
    ).all()
    return [_message(r) for r in rows]


def received_with_ref(conn: Connection, case_id: str, message_ref: str) -> MessageRow | None:
    """The inbound message of a case's thread carrying this Message-ID (or SID), if any."""
    m = followup_messages.c
    r = conn.execute(
        select(followup_messages)
        .where(m.case_id == case_id, m.direction == "in", m.message_ref == message_ref)
        .order_by(m.created_at, m.id)
        .limit(1)
    ).first()
    return _message(r) if r is not None else None


def thread(conn: Connection, case_id: str) -> list[MessageRow]:
    """Every message in and out of a case, in order."""
    m = followup_messages.c
    rows = conn.execute(
        select(followup_messages).where(m.case_id == case_id).order_by(m.created_at, m.id)
    ).all()
    return [_message(r) for r in rows]


def set_delivery(
    conn: Connection,
    message_id: str,
    state: str,
    at: datetime,
    *,
    provider_ref: str | None = None,
    detail: str | None = None,
    deferred: bool = False,
) -> None:
    values: dict[str, Any] = {"delivery_state": state, "state_at": at}
    if deferred:
        values["tries"] = followup_messages.c.tries + 1
    if provider_ref is not None:
        values["provider_ref"] = provider_ref
    if detail is not None:
        values["delivery_detail"] = detail[:2000]
    conn.execute(
        update(followup_messages).where(followup_messages.c.id == message_id).values(**values)
    )


# -- opt-outs ----------------------------------------------------------------------------------
def record_opt_out(
    conn: Connection, channel: str, address: str, at: datetime, inbound_id: str | None
) -> None:
    insert_ignoring_conflicts(
        conn,
        followup_opt_outs,
        [{"channel": channel, "address": address, "at": at, "inbound_id": inbound_id}],
    )


def opted_out(conn: Connection, channel: str, address: str) -> bool:
    o = followup_opt_outs.c
    found = conn.execute(
        select(o.address).where(and_(o.channel == channel, o.address == address))
    ).first()
    return found is not None


def reported_statuses(conn: Connection, provider_ref: str) -> list[str]:
    """Statuses already reported for a provider id: the stored Twilio status callbacks
    (``channels.twilio_in`` keys each as ``<MessageSid>#<status>``). A callback can arrive
    before the sender has recorded the SID; it is applied again once the SID is known."""
    if not provider_ref.isalnum():
        return []  # SIDs are letters and digits: nothing else can match a LIKE safely
    source_ids = conn.execute(
        select(inbound_messages.c.source_id).where(
            inbound_messages.c.channel.in_(("SMS", "WHATSAPP")),
            inbound_messages.c.source_id.like(f"{provider_ref}#%"),
        )
    ).scalars()
    return sorted(s.partition("#")[2] for s in source_ids)


def apply_provider_status(
    conn: Connection, provider_ref: str, status: str, at: datetime
) -> str | None:
    """Apply a delivery report (e.g. a Twilio status callback) to our outbound message with
    that provider id. States only move forward: a late ``sent`` never overwrites
    ``delivered``. Returns the state after, or None when no message of ours has that id."""
    m = followup_messages.c
    r = conn.execute(
        select(m.id, m.delivery_state).where(m.provider_ref == provider_ref, m.direction == "out")
    ).first()
    if r is None:
        return None
    incoming = DeliveryState(status) if status in _STATES else from_twilio(status)
    try:
        current = DeliveryState(r.delivery_state)
    except ValueError:  # deferred or another state of ours: not yet reported by the provider
        current = DeliveryState.QUEUED
    after = apply_status(current, incoming)
    if after is not current or r.delivery_state != after.value:
        set_delivery(conn, r.id, after.value, at)
    return after.value
