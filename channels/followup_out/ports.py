"""What a follow-up transport is given and what it answers: the message, the result, the port.

The caller (the follow-up consumer) creates the e-mail Message-ID and the reply token and
persists them *before* calling :meth:`Sender.send`: a reply or a bounce can arrive before
the send call returns, and it must find the request it belongs to.
"""

from __future__ import annotations

import base64
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class FollowUpChannel(StrEnum):
    """The Avro ``FollowUpChannel`` symbols."""

    EMAIL = "EMAIL"
    SMS = "SMS"
    WHATSAPP = "WHATSAPP"


class SendStatus(StrEnum):
    ACCEPTED = "accepted"  # the relay or Twilio took the message (delivery comes later)
    FAILED = "failed"  # permanently refused for this message/recipient: do not resend
    RETRY = "retry"  # not sent now; sending the same message again later may work


class Transport(StrEnum):
    SMTP = "smtp"
    TWILIO = "twilio"
    FOLDER = "folder"


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One follow-up message to one reporter.

    ``recipient`` is an e-mail address, an E.164 number (SMS) or ``whatsapp:+…``.
    ``message_id`` (e-mail only, required there) is ours, from :func:`new_message_id`.
    ``in_window`` tells whether the WhatsApp 24-hour session is open; when it is not, the
    approved template (``template_sid`` or the configured one) is sent instead of ``body``.
    """

    request_id: str
    case_id: str
    channel: FollowUpChannel
    recipient: str
    body: str
    subject: str | None = None
    language: str = "en"
    message_id: str | None = None
    reply_to: str | None = None
    in_reply_to: str | None = None
    in_window: bool = True
    template_sid: str | None = None
    template_variables: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.channel is FollowUpChannel.EMAIL:
            if not self.message_id or not _is_msg_id(self.message_id):
                raise ValueError("an e-mail follow-up needs our Message-ID (<local@domain>)")
            if "@" not in self.recipient:
                raise ValueError("an e-mail follow-up needs an e-mail recipient")
        elif "@" in self.recipient:
            raise ValueError(f"a {self.channel} follow-up needs a phone number recipient")


@dataclass(frozen=True, slots=True)
class SendResult:
    """``provider_ref``: our Message-ID (e-mail), the Twilio SID, or the outbox file name.
    ``detail``: the provider's answer when not accepted (SMTP reply, Twilio code and text)."""

    status: SendStatus
    provider_ref: str | None
    detail: str = ""
    transport: Transport = Transport.FOLDER
    attempts: int = 1

    @property
    def accepted(self) -> bool:
        return self.status is SendStatus.ACCEPTED


class Sender(Protocol):
    async def send(self, msg: OutgoingMessage) -> SendResult: ...


def _is_msg_id(value: str) -> bool:
    return value.startswith("<") and value.endswith(">") and "@" in value and " " not in value


def _base32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def new_message_id(domain: str, *, now: float | None = None) -> str:
    """A short, unique Message-ID of ours: ``<fu.k3j9x2ab.m1a2b3c@domain>``.

    40 random bits plus the time in base 36: unique across processes without coordination,
    and recognisably ours (``fu.``) in the In-Reply-To of a reply."""
    stamp = int(time.time() if now is None else now)
    return f"<fu.{_base32(secrets.token_bytes(5))}.{_base36(stamp)}@{domain.strip().lower()}>"


def new_reply_token() -> str:
    """A reply token for the plus-address: 10 lowercase base32 characters (50 random bits).

    Lowercase letters and digits only, because some MTAs fold the case of local parts."""
    return _base32(secrets.token_bytes(7))[:10]


def reply_to_address(local: str, token: str, domain: str) -> str:
    """``local+token@domain``: replies and bounces to it reach our listener, which accepts
    ``local+anything@domain`` for a configured ``local@domain``."""
    if not token.isalnum():
        raise ValueError("a reply token has letters and digits only")
    return f"{local}+{token.lower()}@{domain.lower()}"


def reply_token_of(address: str, local: str) -> str | None:
    """The token of ``local+token@domain``, or None for another address."""
    mailbox, at, _ = address.strip().strip("<>").rpartition("@")
    head, plus, token = mailbox.partition("+")
    if not at or not plus or head.lower() != local.lower() or not token.isalnum():
        return None
    return token.lower()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out
