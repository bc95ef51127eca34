"""Follow-up e-mails through an SMTP relay (aiosmtplib).

Headers and why:

- ``Message-ID``: ours, created and stored by the caller before sending; replies name it
  in In-Reply-To/References and bounces carry it, so both find their request.
- ``Reply-To`` and the envelope sender (MAIL FROM) are the plus-address
  ``local+token@domain``: a reply whose client drops the threading headers still carries
  the token, and bounces (sent to the envelope sender) reach our listener with it.
- ``Auto-Submitted: auto-generated`` (RFC 3834) and ``X-Auto-Response-Suppress: OOF,
  AutoReply`` (Exchange): these silence *automatic* responders only — vacation notices
  that would otherwise be threaded as the reporter's answer. A person's reply is not an
  automatic response and is not affected. Delivery reports are deliberately not
  suppressed (no ``DR``/``NDR`` in the Exchange list): bounces are how a failed delivery
  becomes visible.

A transient failure (4xx, connection, timeout) is retried here with backoff; a 5xx refusal
of the recipient or the message is ``failed`` with the relay's reply as detail; a refusal
that is ours to fix (login, sender address, TLS) is ``retry`` without local retries, so
the caller's retry limit and dead-letter topic make it visible instead of marking the
reporter unreachable.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from enum import Enum
from typing import Literal

import aiosmtplib
from pydantic import SecretStr

from channels.followup_out.ports import (
    FollowUpChannel,
    OutgoingMessage,
    SendResult,
    SendStatus,
    Transport,
)
from gateway.clock import utcnow

SmtpSecurity = Literal["auto", "starttls", "tls", "none"]

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SmtpRelay:
    host: str
    port: int
    security: SmtpSecurity = "auto"
    username: str | None = None
    password: SecretStr | None = None
    timeout_s: float = 30.0


def build_email(msg: OutgoingMessage, from_address: str) -> EmailMessage:
    """The follow-up as a MIME message, exactly as the relay (or the outbox folder) gets it."""
    if msg.channel is not FollowUpChannel.EMAIL or msg.message_id is None:
        raise ValueError("only e-mail follow-ups become e-mails")
    email = EmailMessage()
    email["From"] = from_address
    email["To"] = msg.recipient
    if msg.reply_to:
        email["Reply-To"] = msg.reply_to
    # A subject comes from templates and case data: one line, whatever it held.
    email["Subject"] = _SPACES.sub(" ", msg.subject or "").strip()
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = msg.message_id
    if msg.in_reply_to:
        email["In-Reply-To"] = msg.in_reply_to
        email["References"] = msg.in_reply_to
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    email.set_content(msg.body, charset="utf-8")
    email["Content-Language"] = msg.language  # after set_content, which drops Content-*
    return email


def envelope_sender(msg: OutgoingMessage, from_address: str) -> str:
    return parseaddr(msg.reply_to or from_address)[1]


class _Kind(Enum):
    ACCEPTED = "accepted"
    PERMANENT = "permanent"  # the recipient or this message is refused: failed
    TRANSIENT = "transient"  # try again soon
    OURS = "ours"  # configuration: retrying now will not help


@dataclass(frozen=True, slots=True)
class _Outcome:
    kind: _Kind
    detail: str = ""


Sleep = Callable[[float], Awaitable[None]]


class SmtpSender:
    """Sends e-mail follow-ups through one relay; one SMTP session per message."""

    def __init__(
        self,
        relay: SmtpRelay,
        from_address: str,
        *,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._relay = relay
        self._from = from_address
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._sleep = sleep

    async def send(self, msg: OutgoingMessage) -> SendResult:
        email = build_email(msg, self._from)
        sender = envelope_sender(msg, self._from)
        outcome = _Outcome(_Kind.TRANSIENT)
        for attempt in range(1, self._attempts + 1):
            outcome = await self._deliver(email, sender, msg.recipient)
            if outcome.kind is not _Kind.TRANSIENT:
                status = {
                    _Kind.ACCEPTED: SendStatus.ACCEPTED,
                    _Kind.PERMANENT: SendStatus.FAILED,
                    _Kind.OURS: SendStatus.RETRY,
                }[outcome.kind]
                return SendResult(status, msg.message_id, outcome.detail, Transport.SMTP, attempt)
            if attempt < self._attempts:
                await self._sleep(self._backoff_s * 2 ** (attempt - 1))
        return SendResult(
            SendStatus.RETRY, msg.message_id, outcome.detail, Transport.SMTP, self._attempts
        )

    async def _deliver(self, email: EmailMessage, sender: str, recipient: str) -> _Outcome:
        relay = self._relay
        try:
            await aiosmtplib.send(
                email,
                sender=sender,
                recipients=[recipient],
                hostname=relay.host,
                port=relay.port,
                username=relay.username,
                password=relay.password.get_secret_value() if relay.password else None,
                timeout=relay.timeout_s,
                use_tls=relay.security == "tls",
                start_tls={"auto": None, "starttls": True}.get(relay.security, False),
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refusal = exc.recipients[0]
            return _Outcome(_by_code(refusal.code), _reply(refusal.code, refusal.message))
        except aiosmtplib.SMTPAuthenticationError as exc:
            return _Outcome(_Kind.OURS, f"relay refused the login: {_reply(exc.code, exc.message)}")
        except aiosmtplib.SMTPSenderRefused as exc:
            kind = _Kind.TRANSIENT if exc.code < 500 else _Kind.OURS
            return _Outcome(kind, f"relay refused the sender: {_reply(exc.code, exc.message)}")
        except aiosmtplib.SMTPDataError as exc:
            return _Outcome(_by_code(exc.code), _reply(exc.code, exc.message))
        except aiosmtplib.SMTPResponseException as exc:
            kind = _Kind.TRANSIENT if exc.code < 500 else _Kind.OURS
            return _Outcome(kind, _reply(exc.code, exc.message))
        except aiosmtplib.SMTPNotSupported as exc:
            return _Outcome(_Kind.OURS, f"relay does not support what is configured: {exc}")
        except (aiosmtplib.SMTPException, OSError) as exc:
            # connection refused or dropped, timeouts, TLS handshake failures
            return _Outcome(_Kind.TRANSIENT, f"{type(exc).__name__}: {exc}")
        return _Outcome(_Kind.ACCEPTED)


def _by_code(code: int) -> _Kind:
    return _Kind.PERMANENT if code >= 500 else _Kind.TRANSIENT


def _reply(code: int, message: str) -> str:
    return f"{code} {' '.join(message.split())}"


def default_port(security: SmtpSecurity) -> int:
    return 465 if security == "tls" else 587
