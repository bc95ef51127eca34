"""A real SMTP relay for tests: aiosmtpd's ``Controller`` capturing every message it accepts.

It listens on a free loopback port picked first (aiosmtpd cannot use port 0), can refuse
chosen recipients (550) or the next sessions (451, to exercise retries), can check a
login, and builds the delivery status notification a relay would send back for a message.

    with CapturingRelay() as relay:
        ...send to relay.host, relay.port...
        mail = relay.wait_for(1)[0]
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import deque
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from types import TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from gateway.clock import utcnow


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class CapturedMail:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.content)
        assert isinstance(parsed, EmailMessage)
        return parsed


class _Handler:
    def __init__(self, relay: CapturingRelay) -> None:
        self.relay = relay

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        refusal = self.relay._refusal_for(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        refusal = self.relay._data_refusal()
        if refusal is not None:
            return refusal
        content = envelope.original_content or envelope.content
        self.relay._capture(
            CapturedMail(str(envelope.mail_from), tuple(envelope.rcpt_tos), bytes(content))
        )
        return "250 2.0.0 OK: queued"


class CapturingRelay:
    """The relay; ``messages`` holds what it accepted, in order."""

    def __init__(self, host: str = "127.0.0.1", *, login: tuple[str, str] | None = None) -> None:
        self.host = host
        self.port = free_port(host)
        self.login = login
        self.logins: list[str] = []
        self._lock = threading.Condition()
        self._messages: list[CapturedMail] = []
        self._refused: dict[str, str] = {}
        self._transient: deque[str] = deque()
        self._data_refusals: deque[str] = deque()
        kwargs: dict[str, Any] = {}
        if login is not None:
            kwargs = {
                "authenticator": self._authenticate,
                # Offered, not required: aiosmtpd warns on required AUTH without TLS, and
                # tests check ``logins`` instead.
                "auth_required": False,
                "auth_require_tls": False,
            }
        self._controller = Controller(
            _Handler(self), hostname=host, port=self.port, ready_timeout=10, **kwargs
        )

    # -- control
    def start(self) -> CapturingRelay:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        if not self._controller.loop.is_closed():
            self._controller.loop.close()

    def __enter__(self) -> CapturingRelay:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def refuse(self, recipient: str, reply: str = "550 5.1.1 User unknown") -> None:
        """Refuse ``recipient`` at RCPT TO with ``reply`` (every time)."""
        with self._lock:
            self._refused[recipient.lower()] = reply

    def refuse_next(self, times: int = 1, reply: str = "451 4.3.0 Try again later") -> None:
        """Refuse the next ``times`` recipients (of any session) with a transient reply."""
        with self._lock:
            self._transient.extend([reply] * times)

    def refuse_next_data(self, reply: str = "554 5.7.1 Message rejected as spam") -> None:
        with self._lock:
            self._data_refusals.append(reply)

    # -- results
    @property
    def messages(self) -> list[CapturedMail]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[CapturedMail]:
        """Block until ``count`` messages arrived; AssertionError after ``timeout``."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self._messages) >= count, timeout):
                raise AssertionError(
                    f"relay received {len(self._messages)} of {count} messages in {timeout}s"
                )
            return list(self._messages)

    async def wait_for_async(self, count: int, timeout: float = 10.0) -> list[CapturedMail]:
        return await asyncio.to_thread(self.wait_for, count, timeout)

    # -- called from the relay's thread
    def _refusal_for(self, address: str) -> str | None:
        with self._lock:
            if self._transient:
                return self._transient.popleft()
            return self._refused.get(address.lower())

    def _data_refusal(self) -> str | None:
        with self._lock:
            return self._data_refusals.popleft() if self._data_refusals else None

    def _capture(self, mail: CapturedMail) -> None:
        with self._lock:
            self._messages.append(mail)
            self._lock.notify_all()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and self.login is not None
            and (auth_data.login.decode(), auth_data.password.decode()) == self.login
        )
        if ok:
            self.logins.append(auth_data.login.decode())
        # handled=False: aiosmtpd then answers 535 itself
        return AuthResult(success=ok, handled=False, auth_data=auth_data)


def delivery_status_notification(
    original: CapturedMail,
    *,
    recipient: str | None = None,
    status: str = "5.1.1",
    diagnostic: str = "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown",
    reporting_mta: str = "relay.test",
) -> bytes:
    """The RFC 3464 bounce (Postfix layout) the relay would send to the envelope sender."""
    rcpt = recipient or original.rcpt_tos[0]
    headers_only = original.content.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    boundary = "dsn-boundary-7f3a"
    text = (
        f"From: MAILER-DAEMON@{reporting_mta} (Mail Delivery System)\r\n"
        f"To: {original.mail_from}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(utcnow())}\r\n"
        f"Message-ID: {make_msgid(domain=reporting_mta)}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Notification\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        f"This is the mail system at host {reporting_mta}.\r\n"
        "\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Delivery report\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        f"Reporting-MTA: dns; {reporting_mta}\r\n"
        f"X-Postfix-Sender: rfc822; {original.mail_from}\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\n"
        f"Original-Recipient: rfc822;{rcpt}\r\n"
        "Action: failed\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic.format(rcpt=rcpt)}\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Description: Undelivered Message Headers\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"{headers_only}\r\n"
        "\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode("utf-8")
