"""The records of threading: what we know of an inbound message, our requests, decisions.

``ThreadLookup`` is the port the store implements; its keys are normalised with the
functions in ``gateway.domain.threading.markers`` (``normalise_message_id``,
``normalise_address``) on both sides, and plus tokens are best compared
case-insensitively (some mail systems fold the local part of an address).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = [
    "THREAD_CHANNELS",
    "Ambiguous",
    "InboundFacts",
    "Matched",
    "NewReport",
    "RequestRef",
    "ThreadDecision",
    "ThreadLookup",
]

THREAD_CHANNELS = ("EMAIL", "SMS", "WHATSAPP")


def _aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def _channel(value: str, name: str) -> str:
    channel = value.strip().upper() if isinstance(value, str) else value
    if channel not in THREAD_CHANNELS:
        raise ValueError(f"{name} must be one of {', '.join(THREAD_CHANNELS)}, got {value!r}")
    return channel


@dataclass(frozen=True, slots=True, kw_only=True)
class InboundFacts:
    """What threading needs of one inbound message, decoded at the edge.

    Email: ``message_ref`` is its Message-ID, ``in_reply_to`` and ``references`` (oldest
    first) its headers, ``to_addresses`` every recipient (To, Cc, envelope).
    SMS / WhatsApp: ``message_ref`` is Twilio's MessageSid, ``from_address``/``to_addresses``
    Twilio's From/To as posted (``whatsapp:+E164``), ``replied_message_ref`` WhatsApp's
    OriginalRepliedMessageSid and ``button_payload`` its ButtonPayload.
    """

    channel: str
    from_address: str
    to_addresses: tuple[str, ...] = ()
    message_ref: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    subject: str | None = None
    replied_message_ref: str | None = None
    button_payload: str | None = None
    received_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", _channel(self.channel, "InboundFacts.channel"))
        _aware(self.received_at, "InboundFacts.received_at")
        object.__setattr__(self, "to_addresses", tuple(self.to_addresses))
        object.__setattr__(self, "references", tuple(self.references))

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> InboundFacts:
        """From a JSON-like mapping (the corpus format; ``received_at`` ISO 8601)."""
        received = record["received_at"]
        return cls(
            channel=record["channel"],
            from_address=record["from"],
            to_addresses=tuple(record.get("to", ())),
            message_ref=record.get("message_ref"),
            in_reply_to=record.get("in_reply_to"),
            references=tuple(record.get("references", ())),
            subject=record.get("subject"),
            replied_message_ref=record.get("replied_message_ref"),
            button_payload=record.get("button_payload"),
            received_at=datetime.fromisoformat(received) if isinstance(received, str) else received,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRef:
    """One follow-up request we sent, as threading sees it.

    ``recipient``: the reporter address or phone it went to (normalised), when known;
    lets a match say whether a third party answered.
    """

    request_id: str
    case_id: str
    channel: str
    open: bool
    sent_at: datetime
    recipient: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel", _channel(self.channel, "RequestRef.channel"))
        _aware(self.sent_at, "RequestRef.sent_at")


@dataclass(frozen=True, slots=True, kw_only=True)
class Matched:
    """The message answers ``request`` (which may be closed: the caller decides).

    ``via``: the evidence ("references", "in-reply-to", "plus-token", "subject-tag",
    "whatsapp-reply", "button", "sender-open-request", "sms-open-request",
    "whatsapp-open-request"). ``third_party``: the sender is not the request's recipient
    (a forward answered by a colleague, a doctor writing for the patient).
    """

    request: RequestRef
    via: str
    third_party: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class NewReport:
    """Not an answer to any request of ours: intake as a new report."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Ambiguous:
    """Could answer several requests (or be new): a person decides (triage)."""

    candidates: tuple[RequestRef, ...]
    reason: str


ThreadDecision = Matched | NewReport | Ambiguous


class ThreadLookup(Protocol):
    """What the resolver asks the store. Keys arrive normalised (see module docstring)."""

    def request_for_message_ids(self, ids: Sequence[str]) -> dict[str, RequestRef]:
        """Our outbound Message-IDs / Twilio SIDs among ``ids`` -> their request."""
        ...

    def request_for_token(self, token: str) -> RequestRef | None:
        """The request whose plus-address / button token this is."""
        ...

    def request_for_subject_tag(self, tag: str) -> RequestRef | None:
        """The request whose subject carried this tag (``[ICSR-REF:AB12CD]``)."""
        ...

    def open_requests_for(self, address: str, our_address: str | None) -> list[RequestRef]:
        """Open requests sent to this reporter address/phone (from ``our_address`` if given)."""
        ...
