"""A local HTTP server speaking the Twilio Messages API, and signed Twilio webhooks.

``FakeTwilioApi`` is a real HTTP server (stdlib, in a thread) answering
``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` as Twilio does: form-encoded
request, HTTP basic auth (account SID + auth token), ``201`` with the message resource
(``status: queued`` and a new ``SM…`` SID, ``MM…`` with media) or Twilio's error body.
It records every accepted message and can be told to fail the next requests.

``post_signed`` sends what Twilio would send to our webhooks (status callbacks, inbound
SMS/WhatsApp), signed with ``X-Twilio-Signature`` by the library's own validator.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

import httpx
from twilio.request_validator import RequestValidator

from gateway.clock import utcnow

API_VERSION = "2010-04-01"
_PREFIX = f"/{API_VERSION}/Accounts/"


@dataclass(frozen=True)
class SentMessage:
    """One message Twilio accepted: the posted form and the SID it was given."""

    sid: str
    account_sid: str
    form: dict[str, str]

    @property
    def to(self) -> str:
        return self.form.get("To", "")

    @property
    def status_callback(self) -> str | None:
        return self.form.get("StatusCallback")


@dataclass(frozen=True)
class TwilioError:
    status: int
    code: int
    message: str

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": f"https://www.twilio.com/docs/errors/{self.code}",
            "status": self.status,
        }


INVALID_TO = TwilioError(400, 21211, "The 'To' number is not a valid phone number.")
SERVICE_UNAVAILABLE = TwilioError(503, 20503, "Service Unavailable")
TOO_MANY_REQUESTS = TwilioError(429, 20429, "Too Many Requests")


@dataclass
class _State:
    account_sid: str
    auth_token: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: list[SentMessage] = field(default_factory=list)
    failures: deque[TwilioError] = field(default_factory=deque)
    requests: int = 0


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: test output stays readable."""

    def do_POST(self) -> None:
        state = self.server.state
        with state.lock:
            state.requests += 1
        path = self.path.split("?", 1)[0]
        if not (path.startswith(_PREFIX) and path.endswith("/Messages.json")):
            self._json(404, {"code": 20404, "message": "The requested resource was not found"})
            return
        account = path[len(_PREFIX) : -len("/Messages.json")]
        if not self._authorised(account):
            self._json(401, TwilioError(401, 20003, "Authenticate").body())
            return
        length = int(self.headers.get("Content-Length") or 0)
        form = dict(parse_qsl(self.rfile.read(length).decode("utf-8"), keep_blank_values=True))
        with state.lock:
            failure = state.failures.popleft() if state.failures else None
        if failure is not None:
            self._json(failure.status, failure.body())
            return
        problem = _invalid(form)
        if problem is not None:
            self._json(problem.status, problem.body())
            return
        prefix = "MM" if any(k.startswith("MediaUrl") for k in form) else "SM"
        sid = prefix + secrets.token_hex(16)
        with state.lock:
            state.sent.append(SentMessage(sid, account, form))
        self._json(201, _resource(sid, account, form))

    def _authorised(self, account: str) -> bool:
        state = self.server.state
        expected = base64.b64encode(f"{state.account_sid}:{state.auth_token}".encode()).decode()
        given = self.headers.get("Authorization", "")
        return account == state.account_sid and secrets.compare_digest(given, f"Basic {expected}")

    def _json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _invalid(form: dict[str, str]) -> TwilioError | None:
    to, sender = form.get("To", ""), form.get("From", "")
    if not to:
        return TwilioError(400, 21604, "A 'To' phone number is required.")
    if not sender and not form.get("MessagingServiceSid"):
        return TwilioError(400, 21603, "A 'From' phone number is required.")
    if not form.get("Body") and not form.get("ContentSid") and "MediaUrl" not in form:
        return TwilioError(400, 21619, "A text message body or media urls must be specified.")
    if to.startswith("whatsapp:") != sender.startswith("whatsapp:"):
        return TwilioError(400, 63007, "Twilio could not find a Channel with the From address")
    digits = to.removeprefix("whatsapp:")
    if not (digits.startswith("+") and digits[1:].isdigit() and 8 <= len(digits) <= 16):
        return TwilioError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if form.get("ContentVariables"):
        try:
            json.loads(form["ContentVariables"])
        except json.JSONDecodeError:
            return TwilioError(400, 21658, "Invalid ContentVariables: not valid JSON")
    return None


def _resource(sid: str, account: str, form: dict[str, str]) -> dict[str, Any]:
    now = format_datetime(utcnow())
    uri = f"/{API_VERSION}/Accounts/{account}/Messages/{sid}"
    return {
        "account_sid": account,
        "api_version": API_VERSION,
        "body": form.get("Body", ""),
        "date_created": now,
        "date_sent": None,
        "date_updated": now,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": form.get("From"),
        "messaging_service_sid": form.get("MessagingServiceSid"),
        "num_media": str(sum(k.startswith("MediaUrl") for k in form)),
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": form.get("To"),
        "uri": f"{uri}.json",
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        super().__init__(address, _Handler)
        self.state = state


class FakeTwilioApi:
    """The fake API on a free loopback port; ``base_url`` goes into the sender's settings."""

    def __init__(
        self,
        account_sid: str = "AC" + "0" * 31 + "1",
        auth_token: str = "fake-twilio-auth-token",
        host: str = "127.0.0.1",
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._state = _State(account_sid, auth_token)
        self._server = _Server((host, 0), self._state)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll interval
            name="fake-twilio-api",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeTwilioApi:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeTwilioApi:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def fail_next(self, error: TwilioError = SERVICE_UNAVAILABLE, times: int = 1) -> None:
        """Answer the next ``times`` authorised requests with ``error``."""
        with self._state.lock:
            self._state.failures.extend([error] * times)

    @property
    def sent(self) -> list[SentMessage]:
        with self._state.lock:
            return list(self._state.sent)

    @property
    def requests(self) -> int:
        """Every request received, failed ones included."""
        with self._state.lock:
            return self._state.requests

    def message(self, sid: str) -> SentMessage:
        for sent in self.sent:
            if sent.sid == sid:
                return sent
        raise KeyError(sid)

    async def report_status(
        self, sid: str, status: str, *, error_code: int | None = None, url: str | None = None
    ) -> httpx.Response:
        """Post the signed status callback Twilio sends for ``sid`` (``sent``, ``delivered``,
        ``read``, ``failed``, ``undelivered``) to the message's StatusCallback (or ``url``)."""
        sent = self.message(sid)
        target = url or sent.status_callback
        if not target:
            raise ValueError(f"{sid} was sent without a StatusCallback")
        return await post_signed(
            target, status_callback_fields(sent, status, error_code), self.auth_token
        )


def status_callback_fields(
    sent: SentMessage, status: str, error_code: int | None = None
) -> dict[str, str]:
    fields = {
        "AccountSid": sent.account_sid,
        "ApiVersion": API_VERSION,
        "From": sent.form.get("From", ""),
        "MessageSid": sent.sid,
        "MessageStatus": status,
        "SmsSid": sent.sid,
        "SmsStatus": status,
        "To": sent.to,
    }
    if sent.to.startswith("whatsapp:"):
        fields["ChannelPrefix"] = "whatsapp"
        fields["ChannelToAddress"] = sent.to.removeprefix("whatsapp:")
    if error_code is not None:
        fields["ErrorCode"] = str(error_code)
    return fields


def inbound_message_fields(
    account_sid: str,
    *,
    sender: str,
    to: str,
    body: str,
    replied_to_sid: str | None = None,
    profile_name: str | None = None,
) -> dict[str, str]:
    """The form of an inbound SMS or (``whatsapp:`` addresses) WhatsApp message webhook;
    ``replied_to_sid`` is the SID of our message the reporter replied to (WhatsApp)."""
    sid = "SM" + secrets.token_hex(16)
    fields = {
        "AccountSid": account_sid,
        "ApiVersion": API_VERSION,
        "Body": body,
        "From": sender,
        "MessageSid": sid,
        "NumMedia": "0",
        "NumSegments": "1",
        "SmsMessageSid": sid,
        "SmsSid": sid,
        "SmsStatus": "received",
        "To": to,
    }
    if sender.startswith("whatsapp:"):
        fields["WaId"] = sender.removeprefix("whatsapp:+")
        fields["MessageType"] = "text"
        fields["ProfileName"] = profile_name or "Reporter"
        if replied_to_sid:
            fields["OriginalRepliedMessageSid"] = replied_to_sid
            fields["OriginalRepliedMessageSender"] = to
    return fields


def signature(url: str, fields: dict[str, str], auth_token: str) -> str:
    return str(RequestValidator(auth_token).compute_signature(url, fields))


async def post_signed(
    url: str, fields: dict[str, str], auth_token: str, *, signed_url: str | None = None
) -> httpx.Response:
    """POST ``fields`` form-encoded to ``url`` with a valid ``X-Twilio-Signature``.

    The signature covers the webhook's *public* URL: ``signed_url`` when the gateway is
    reached at another address than the one it publishes, else ``url``."""
    headers = {
        "X-Twilio-Signature": signature(signed_url or url, fields, auth_token),
        "User-Agent": "TwilioProxy/1.1",
    }
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url, data=fields, headers=headers)
