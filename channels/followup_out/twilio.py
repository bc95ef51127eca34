"""Follow-up SMS and WhatsApp messages through the Twilio Messages API (official client).

The client is ``twilio.rest.Client`` with an async HTTP client of ours that (a) sends each
request to the configured API base URL — the library builds ``https://api.twilio.com/…``
URLs and has no setting for another host — and (b) opens one short aiohttp session per
request, closed whatever happens, so a sender needs no lifecycle (follow-ups are few).

WhatsApp accepts free text only within 24 hours of the reporter's last message; outside
that window an approved template is sent (``content_sid`` + JSON ``content_variables``).

Errors: Twilio 4xx (e.g. 21211 invalid 'To' number, 63016 outside the window) are
``failed`` with code and message; 5xx, 429 and connection failures are retried here with
backoff and then handed back as ``retry``. The Messages API has no idempotency key, so a
request that timed out after Twilio took it can, when retried, send a second copy; that
is the price of never dropping a follow-up.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from pydantic import SecretStr
from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from channels.followup_out.ports import (
    FollowUpChannel,
    OutgoingMessage,
    SendResult,
    SendStatus,
    Transport,
)
from gateway.logs import get_logger

TWILIO_API = "https://api.twilio.com"
WHATSAPP_PREFIX = "whatsapp:"

#: HTTP statuses worth another try: rate limited, or Twilio's side failed
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
#: ours to fix (credentials, account): retrying now will not help, failing blames the reporter
_OURS_STATUSES = frozenset({401, 403})

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TwilioAccount:
    account_sid: str
    auth_token: SecretStr
    api_base_url: str = TWILIO_API
    timeout_s: float = 30.0


class BaseUrlHttpClient(AsyncHttpClient):  # type: ignore[misc]  # twilio is untyped
    """The twilio library's async HTTP client contract, sending to ``base_url``."""

    def __init__(self, base_url: str = TWILIO_API, timeout: float | None = 30.0) -> None:
        super().__init__(log, True, timeout)
        base = urlsplit(base_url)
        if base.scheme not in {"http", "https"} or not base.netloc:
            raise ValueError(f"{base_url!r} is not an http(s) base URL")
        self._base = base

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        path = self._base.path.rstrip("/") + parts.path
        return urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, ""))

    async def request(
        self,
        method: str,
        url: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        limit = aiohttp.ClientTimeout(total=timeout if timeout is not None else self.timeout)
        headers = dict(headers or {})
        if auth is not None:
            # a header, not aiohttp.BasicAuth (deprecated in the aiohttp twilio pulls in)
            pair = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {pair}"
        async with (
            aiohttp.ClientSession(timeout=limit) as session,
            session.request(
                method.upper(),
                self.rewrite(url),
                params=params,
                data=data,
                headers=headers,
                allow_redirects=allow_redirects,
            ) as response,
        ):
            return Response(response.status, await response.text(), response.headers)


Sleep = Callable[[float], Awaitable[None]]


class TwilioSender:
    """Sends SMS and WhatsApp follow-ups from the configured numbers."""

    def __init__(
        self,
        account: TwilioAccount,
        *,
        sms_from: str | None = None,
        whatsapp_from: str | None = None,
        whatsapp_content_sid: str | None = None,
        status_callback_url: str | None = None,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._client = Client(
            account.account_sid,
            account.auth_token.get_secret_value(),
            http_client=BaseUrlHttpClient(account.api_base_url, account.timeout_s),
        )
        self._from = {
            FollowUpChannel.SMS: sms_from,
            FollowUpChannel.WHATSAPP: whatsapp_address(whatsapp_from) if whatsapp_from else None,
        }
        self._content_sid = whatsapp_content_sid
        self._status_callback = status_callback_url
        self._attempts = attempts
        self._backoff_s = backoff_s
        self._sleep = sleep

    def request_fields(self, msg: OutgoingMessage) -> dict[str, Any]:
        """The keyword arguments of ``messages.create_async`` for this message."""
        sender = self._from.get(msg.channel)
        if sender is None:
            raise _Ours(f"no Twilio sender number is configured for {msg.channel}")
        fields: dict[str, Any] = {"from_": sender}
        if self._status_callback:
            fields["status_callback"] = self._status_callback
        if msg.channel is FollowUpChannel.WHATSAPP:
            fields["to"] = whatsapp_address(msg.recipient)
            if not msg.in_window:
                content_sid = msg.template_sid or self._content_sid
                if not content_sid:
                    raise _Ours(
                        "the WhatsApp 24-hour window is closed and no approved template "
                        "(ICSR_FOLLOWUP_WHATSAPP_CONTENT_SID) is configured"
                    )
                fields["content_sid"] = content_sid
                if msg.template_variables:
                    fields["content_variables"] = json.dumps(
                        dict(msg.template_variables), ensure_ascii=False
                    )
                return fields
        else:
            fields["to"] = msg.recipient
        fields["body"] = msg.body
        return fields

    async def send(self, msg: OutgoingMessage) -> SendResult:
        if msg.channel is FollowUpChannel.EMAIL:
            raise ValueError("e-mail follow-ups are not sent through Twilio")
        try:
            fields = self.request_fields(msg)
        except _Ours as exc:
            return SendResult(SendStatus.RETRY, None, str(exc), Transport.TWILIO)
        detail = ""
        for attempt in range(1, self._attempts + 1):
            status, sid, detail = await self._create(fields)
            if status is not None:
                return SendResult(status, sid, detail, Transport.TWILIO, attempt)
            if attempt < self._attempts:
                await self._sleep(self._backoff_s * 2 ** (attempt - 1))
        return SendResult(SendStatus.RETRY, None, detail, Transport.TWILIO, self._attempts)

    async def _create(self, fields: dict[str, Any]) -> tuple[SendStatus | None, str | None, str]:
        """(status, SID, detail); status None = transient, try again."""
        try:
            message = await self._client.messages.create_async(**fields)
        except TwilioRestException as exc:
            return _by_http_status(exc.status), None, _twilio_detail(exc.code, exc.msg)
        except TwilioServiceException as exc:
            text = exc.detail or exc.title
            return _by_http_status(exc.status), None, _twilio_detail(exc.code, text)
        except (aiohttp.ClientError, TimeoutError) as exc:
            return None, None, f"{type(exc).__name__}: {exc}".rstrip(": ")
        return SendStatus.ACCEPTED, str(message.sid), ""


class _Ours(Exception):
    """A configuration gap: the message is handed back for a later retry, not failed."""


def _by_http_status(status: int) -> SendStatus | None:
    if status in _RETRY_STATUSES or status >= 500:
        return None
    if status in _OURS_STATUSES:
        return SendStatus.RETRY
    return SendStatus.FAILED


def _twilio_detail(code: object, text: object) -> str:
    message = " ".join(str(text or "").split()).removeprefix("Unable to create record: ")
    return f"twilio {code}: {message}"


def whatsapp_address(number: str) -> str:
    """``whatsapp:+E164`` whether or not the prefix was given."""
    number = number.strip()
    return number if number.startswith(WHATSAPP_PREFIX) else f"{WHATSAPP_PREFIX}{number}"
