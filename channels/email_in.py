"""Inbound e-mail: SMTP and LMTP listeners that persist the raw MIME before answering 250.

The listeners are aiosmtpd protocol instances served by ``loop.create_server`` inside the
gateway's own event loop (no extra thread). Every message goes through
:meth:`channels.acceptance.InboundAcceptor.accept` as raw bytes; nothing is parsed here
beyond a tolerant look at a few headers (dedupe key, threading hints). Malformed MIME is
stored as it came: the intake consumer parses it later.

Replies (RFC 5321 / RFC 3463 enhanced codes):

- ``550 5.1.1`` at RCPT: the recipient is not one of ``smtp_recipients``;
- ``552 5.3.4`` at MAIL FROM (declared ``SIZE``) or after DATA (actual size): too large;
- ``451 4.3.0`` after DATA: the store could not take the message; the sender retries;
- ``421 4.3.2`` after DATA while the gateway is shutting down (the sender retries);
- ``250 2.0.0`` after DATA only once the raw message and its intake event are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import logging
import re
import socket
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any, Literal

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP

from channels.acceptance import InboundAcceptor
from gateway.errors import ConfigurationError, PayloadTooLargeError
from gateway.logs import get_logger

log = get_logger(__name__)

CHANNEL = "EMAIL"
CONTENT_TYPE = "message/rfc822"

REPLY_OK = "250 2.0.0 OK: message stored as {inbound_id}"
REPLY_DUPLICATE = "250 2.0.0 OK: message already stored as {inbound_id}"
REPLY_RCPT_OK = "250 2.1.5 OK"
REPLY_UNKNOWN_RECIPIENT = "550 5.1.1 Recipient address rejected: no such mailbox here"
REPLY_TOO_BIG = "552 5.3.4 Message size exceeds fixed maximum message size"
REPLY_STORE_FAILED = "451 4.3.0 Message could not be stored; please try again later"
REPLY_SHUTTING_DOWN = "421 4.3.2 Service shutting down; please try again later"

#: headers copied into the intake event (values unfolded and decoded, never the body)
COPIED_HEADERS = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Date",
)
_MAX_HEADER_CHARS = 4000
_MAX_ID_CHARS = 400  # Message-ID part of the source id (column holds 512)
_MAX_THREAD_KEY_CHARS = 500
_MSG_ID = re.compile(r"<[^<>\s]+>")


# -- recipients ---------------------------------------------------------------------------


class RecipientPolicy:
    """Which envelope recipients the gateway accepts mail for.

    Matching is case-insensitive. For a configured ``local@domain``, plus-addressed
    ``local+token@domain`` is accepted too (reply tokens such as ``pv-reply+TOKEN@…``).
    """

    def __init__(self, addresses: Iterable[str]) -> None:
        self._accepted: set[tuple[str, str]] = set()
        for address in addresses:
            parts = _split(address)
            if parts is None:
                raise ValueError(f"{address!r} is not an address local@domain")
            self._accepted.add(parts)

    def accepts(self, address: str) -> bool:
        parts = _split(address)
        if parts is None:
            return False
        local, domain = parts
        if (local, domain) in self._accepted:
            return True
        base, plus, token = local.partition("+")
        return bool(plus and base and token) and (base, domain) in self._accepted


def _split(address: str) -> tuple[str, str] | None:
    text = address.strip().removeprefix("<").removesuffix(">").strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain:
        return None
    return local.lower(), domain.lower().rstrip(".")


# -- what is read from the raw message ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MailFacts:
    source_id: str
    headers: dict[str, str]
    thread_key: str | None
    sha256: str


def describe_mail(raw: bytes) -> MailFacts:
    """Dedupe key, copied headers and thread key of a raw message; never raises."""
    digest = hashlib.sha256(raw).hexdigest()
    headers = _read_headers(raw)
    message_id = headers.get("Message-ID", "").strip()
    ids = _MSG_ID.findall(message_id)
    if ids:
        message_id = ids[0]
    message_id = message_id[:_MAX_ID_CHARS]
    source_id = f"{message_id}#{digest[:16]}" if message_id else digest
    return MailFacts(
        source_id=source_id,
        headers=headers,
        thread_key=_thread_key(headers, message_id),
        sha256=digest,
    )


def _header_block(raw: bytes) -> bytes:
    """The header section with the blank line that ends it: all the header parser reads of
    a message (the body would only be split into lines and kept as the payload)."""
    ends = [i + len(sep) for sep in (b"\r\n\r\n", b"\n\n") if (i := raw.find(sep)) >= 0]
    return raw[: min(ends)] if ends else raw


def _read_headers(raw: bytes) -> dict[str, str]:
    try:
        parsed: Message = BytesHeaderParser(policy=compat32).parsebytes(_header_block(raw))
    except Exception:  # noqa: BLE001 - malformed mail must be stored, never crash the listener
        return {}
    headers: dict[str, str] = {}
    for name in COPIED_HEADERS:
        try:
            value = parsed.get(name)
        except Exception:  # noqa: BLE001 - same: a header we cannot read is left out
            value = None
        if value is None:
            continue
        text = _header_text(value, decode=name not in {"Message-ID", "In-Reply-To", "References"})
        if text:
            headers[name] = text
    return headers


def _header_text(value: Any, *, decode: bool) -> str:
    text = str(value)
    if decode:
        try:
            text = str(make_header(decode_header(text)))
        except Exception:  # noqa: BLE001 - badly encoded words: keep the raw text
            text = str(value)
    try:
        clean = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        clean = text.encode("utf-8", "replace").decode("utf-8", "replace")
    return " ".join(clean.split())[:_MAX_HEADER_CHARS]  # unfold and strip


def _thread_key(headers: dict[str, str], message_id: str) -> str | None:
    """The thread root: the first References id, else In-Reply-To, else the message itself."""
    for name in ("References", "In-Reply-To"):
        ids = _MSG_ID.findall(headers.get(name, ""))
        if ids:
            return str(ids[0])[:_MAX_THREAD_KEY_CHARS]
    return message_id[:_MAX_THREAD_KEY_CHARS] or None


# -- the aiosmtpd handler --------------------------------------------------------------------


class InboundMailHandler:
    """aiosmtpd handler: recipient check at RCPT, persist-before-250 at DATA."""

    def __init__(
        self,
        acceptor: InboundAcceptor,
        recipients: RecipientPolicy,
        max_bytes: int,
        *,
        lmtp: bool = False,
    ) -> None:
        self._acceptor = acceptor
        self._recipients = recipients
        self._max_bytes = max_bytes
        self._lmtp = lmtp
        self._listener = "lmtp" if lmtp else "smtp"
        self.inflight = 0
        self.closing = False
        self.idle = asyncio.Event()
        self.idle.set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if not self._recipients.accepts(address):
            log.info("mail recipient refused", listener=self._listener)
            return REPLY_UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return REPLY_RCPT_OK

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.inflight += 1
        self.idle.clear()
        try:
            status = await self._store(envelope)
        finally:
            self.inflight -= 1
            if not self.inflight:
                self.idle.set()
        if self._lmtp:  # LMTP answers once per accepted recipient (RFC 2033 4.2)
            return "\r\n".join(status for _ in envelope.rcpt_tos) or status
        return status

    async def _store(self, envelope: Any) -> str:
        if self.closing:
            return REPLY_SHUTTING_DOWN
        raw: bytes = envelope.original_content or b""
        if len(raw) > self._max_bytes:
            log.info("mail refused: too large", listener=self._listener, size=len(raw))
            return REPLY_TOO_BIG
        facts = describe_mail(raw)
        headers = dict(facts.headers)
        headers["Envelope-From"] = _header_text(envelope.mail_from or "", decode=False)
        headers["Envelope-To"] = _header_text(", ".join(envelope.rcpt_tos), decode=False)
        headers["Received-Via"] = self._listener
        try:
            result = await self._acceptor.accept(
                channel=CHANNEL,
                source_id=facts.source_id,
                payload=raw,
                content_type=CONTENT_TYPE,
                headers=headers,
                thread_key=facts.thread_key,
            )
        except PayloadTooLargeError:
            return REPLY_TOO_BIG
        except Exception as exc:  # noqa: BLE001 - any store failure: the sender must retry
            log.warning(
                "mail not stored; sender told to retry",
                listener=self._listener,
                error_type=type(exc).__name__,
            )
            return REPLY_STORE_FAILED
        log.info(
            "mail accepted",
            listener=self._listener,
            inbound_id=result.inbound_id,
            duplicate=result.duplicate,
            size=len(raw),
        )
        template = REPLY_DUPLICATE if result.duplicate else REPLY_OK
        return template.format(inbound_id=result.inbound_id)


def _enhanced(status: Any) -> Any:
    """aiosmtpd's own size refusals carry no enhanced status code: give them 5.3.4."""
    if isinstance(status, str) and status.startswith("552 Error"):
        return REPLY_TOO_BIG
    return status


#: (command argument, local-part limit) → aiosmtpd's parse of it; bounded, shared
_ADDRESSES: dict[tuple[str, int], tuple[str | None, str | None]] = {}
_ADDRESSES_MAX = 10_000


def _cached_getaddr(protocol: SMTP, arg: str, parse: Any) -> tuple[str | None, str | None]:
    """aiosmtpd parses a MAIL/RCPT address with the full RFC 5322 header parser, slowly;
    the answer depends only on the argument and the local-part limit, so it is kept."""
    key = (arg, protocol.local_part_limit)
    try:
        return _ADDRESSES[key]
    except KeyError:
        pass
    if len(_ADDRESSES) >= _ADDRESSES_MAX:
        _ADDRESSES.clear()
    found: tuple[str | None, str | None] = parse(arg)
    _ADDRESSES[key] = found
    return found


class _GatewaySMTP(SMTP):
    async def push(self, status: Any) -> None:
        await super().push(_enhanced(status))

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        return _cached_getaddr(self, arg, super()._getaddr)


class _GatewayLMTP(LMTP):
    async def push(self, status: Any) -> None:
        await super().push(_enhanced(status))

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        return _cached_getaddr(self, arg, super()._getaddr)


# -- the listener ---------------------------------------------------------------------------


def bind_listener_socket(host: str, port: int, setting: str) -> socket.socket:
    """Bind early so a taken port stops the start with one clear line naming the setting."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ConfigurationError(
                setting,
                f"{host}:{port} is already in use; stop what holds it, choose another port "
                "or set it to off",
            ) from None
        raise ConfigurationError(
            setting, f"cannot listen on {host}:{port}: {exc.strerror}"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    sock.set_inheritable(False)
    return sock


class MailListener:
    """One SMTP or LMTP listener served by the running event loop."""

    def __init__(
        self,
        kind: Literal["smtp", "lmtp"],
        host: str,
        port: int,
        handler: InboundMailHandler,
        max_bytes: int,
        *,
        setting: str,
        timeout: float = 300,
    ) -> None:
        self.kind = kind
        self._host = host
        self._requested_port = port
        self._handler = handler
        self._max_bytes = max_bytes
        self._setting = setting
        self._timeout = timeout
        self._sock: socket.socket | None = None
        self._server: asyncio.Server | None = None
        self._protocols: weakref.WeakSet[Any] = weakref.WeakSet()
        self._hostname = socket.gethostname() or "icsr-gateway"

    def bind(self) -> None:
        if self._sock is None:
            self._sock = bind_listener_socket(self._host, self._requested_port, self._setting)

    @property
    def port(self) -> int | None:
        if self._sock is None:
            return None
        return int(self._sock.getsockname()[1])

    @property
    def serving(self) -> bool:
        return self._server is not None and self._server.is_serving()

    def _protocol(self) -> Any:
        cls = _GatewayLMTP if self.kind == "lmtp" else _GatewaySMTP
        protocol = cls(
            self._handler,
            data_size_limit=self._max_bytes,
            enable_SMTPUTF8=True,
            hostname=self._hostname,
            timeout=self._timeout,
            loop=asyncio.get_running_loop(),
        )
        self._protocols.add(protocol)
        return protocol

    async def start(self) -> None:
        # aiosmtpd logs envelope addresses at INFO through the standard library: keep it quiet.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.bind()
        assert self._sock is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, sock=self._sock)
        log.info(f"{self.kind} listener started", host=self._host, port=self.port)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop accepting, let messages being stored finish, then close open sessions."""
        self._handler.closing = True
        if self._server is not None:
            self._server.close()
        elif self._sock is not None:
            self._sock.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._handler.idle.wait(), timeout=grace)
        for protocol in list(self._protocols):
            transport = getattr(protocol, "transport", None)
            if transport is not None:
                with contextlib.suppress(RuntimeError, OSError):
                    transport.close()
        if self._server is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), timeout=grace)
            self._server = None
        self._sock = None


def build_mail_listener(
    kind: Literal["smtp", "lmtp"],
    acceptor: InboundAcceptor,
    *,
    host: str,
    port: int,
    recipients: Sequence[str],
    max_bytes: int,
) -> MailListener:
    handler = InboundMailHandler(
        acceptor, RecipientPolicy(recipients), max_bytes, lmtp=kind == "lmtp"
    )
    setting = "ICSR_LMTP_LISTEN_PORT" if kind == "lmtp" else "ICSR_SMTP_LISTEN_PORT"
    return MailListener(kind, host, port, handler, max_bytes, setting=setting)
