"""Inbound SMS and WhatsApp through Twilio webhooks: signature check, then persist raw.

Twilio posts ``application/x-www-form-urlencoded`` forms. A request is believed only when
``X-Twilio-Signature`` is the HMAC (auth token key) of the *public* URL plus every posted
field, as :class:`twilio.request_validator.RequestValidator` computes it. The public URL is
rebuilt from the configured ``public_base_url`` and the request path, never from Host or
X-Forwarded-* headers (a client controls those).

A message is stored once per ``MessageSid`` (the acceptor's source id). Status callbacks
(``MessageStatus``) are stored once per (MessageSid, status), but they are not reports: they
are stored without an intake event, so they never open a case (delivery-state handling is
a later step that reads them from the store).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from twilio.request_validator import RequestValidator, get_signature_algorithm

from channels.acceptance import Acceptance, InboundAcceptor

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SIGNATURE_HEADER = "X-Twilio-Signature"
SIGNATURE_SETTINGS_HEADER = "X-Twilio-Webhooks-Signature-Settings"

_MAX_FIELDS = 200
_MAX_FIELD_CHARS = 2000
_SID = re.compile(r"^[A-Za-z]{2}[0-9A-Za-z]{10,100}$")


class TwilioKind(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    STATUS = "status"


class TwilioRequestError(ValueError):
    """A webhook that is signed correctly but cannot be stored as posted (400)."""

    def __init__(self, message: str, fields: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = dict(fields or {})


# -- signature ----------------------------------------------------------------------------


class FormParams:
    """Posted fields as the validator wants them: iterable names, ``getlist`` for values."""

    def __init__(self, pairs: Sequence[tuple[str, str]]) -> None:
        self._pairs = list(pairs)

    def __iter__(self) -> Iterator[str]:
        return iter([name for name, _ in self._pairs])

    def __len__(self) -> int:
        return len(self._pairs)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self._pairs if key == name]

    def first(self, name: str) -> str | None:
        for key, value in self._pairs:
            if key == name:
                return value
        return None

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(self._pairs)


# WHATWG URL percent-encode sets (what Twilio's Node stack hashes): a URL configured with a
# raw apostrophe or space is also tried in that normalised form.
_QUERY_SAFE = "!$%&()*+,-./:;=?@[\\]^_`{|}~"
_PATH_SAFE = "!$%&'()*+,-./:;=@[\\]^_|~"


def whatwg_normalised(url: str) -> str:
    """The URL with path and query percent-encoded as a WHATWG URL parser does."""
    parts = urlsplit(url)
    path = quote(parts.path, safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def signature_valid(
    auth_token: str,
    url: str,
    params: FormParams | Mapping[str, Any] | str | None,
    signature: str | None,
    signature_settings: str | None = None,
) -> bool:
    """Judge ``X-Twilio-Signature`` for a request Twilio made to ``url``.

    ``params`` are the posted form fields (all of them), or the raw body for JSON webhooks
    (whose URL then carries ``bodySHA256``). A missing signature is never valid.
    """
    if not signature or not auth_token:
        return False
    if isinstance(params, str) and "bodySHA256" not in urlsplit(url).query:
        return False  # a raw body is only signed through its hash in the URL
    validator = RequestValidator(auth_token)
    algorithm = get_signature_algorithm(signature_settings)
    candidates = [url]
    normalised = whatwg_normalised(url)
    if normalised != url:
        candidates.append(normalised)
    for candidate in candidates:
        try:
            if validator.validate(candidate, params, signature, algorithm):
                return True
        except (TypeError, ValueError, KeyError, AttributeError):
            return False
    return False


def public_url(base_url: str, path: str, query: str = "") -> str:
    """The URL Twilio was configured with: ``public_base_url`` + request path (+ query)."""
    url = base_url.rstrip("/") + path
    return f"{url}?{query}" if query else url


def parse_form(body: bytes) -> FormParams:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise TwilioRequestError("the form body is not UTF-8") from None
    try:
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=_MAX_FIELDS
        )
    except ValueError:
        raise TwilioRequestError(f"the form has more than {_MAX_FIELDS} fields") from None
    return FormParams(pairs)


# -- what is stored --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TwilioInbound:
    channel: str
    source_id: str
    headers: dict[str, str]
    thread_key: str | None
    is_status: bool


def describe(kind: TwilioKind, params: FormParams) -> TwilioInbound:
    """Channel, dedupe key, headers (every field but Body) and conversation key."""
    sid = params.first("MessageSid") or params.first("SmsSid") or ""
    if not _SID.match(sid):
        raise TwilioRequestError(
            "MessageSid is missing or malformed", {"MessageSid": "required, a Twilio SID"}
        )
    sender = params.first("From") or ""
    recipient = params.first("To") or ""
    headers: dict[str, str] = {}
    for name, value in params.pairs:
        if name == "Body" or name in headers:
            continue
        headers[name[:100]] = value[:_MAX_FIELD_CHARS]
    if kind is TwilioKind.STATUS:
        status = (params.first("MessageStatus") or params.first("SmsStatus") or "").strip()
        if not status or not status.replace("-", "").replace("_", "").isalnum():
            raise TwilioRequestError(
                "MessageStatus is missing", {"MessageStatus": "required on a status callback"}
            )
        whatsapp = sender.startswith("whatsapp:") or recipient.startswith("whatsapp:")
        # Our own message: From is our number, To the reporter; the conversation key is
        # written reporter|ours, the same way as the reporter's inbound messages.
        return TwilioInbound(
            channel="WHATSAPP" if whatsapp else "SMS",
            source_id=f"{sid}#{status.lower()}",
            headers=headers,
            thread_key=_conversation(recipient, sender),
            is_status=True,
        )
    return TwilioInbound(
        channel="WHATSAPP" if kind is TwilioKind.WHATSAPP else "SMS",
        source_id=sid,
        headers=headers,
        thread_key=_conversation(sender, recipient),
        is_status=False,
    )


def _conversation(reporter: str, ours: str) -> str | None:
    if not reporter and not ours:
        return None
    return f"{reporter}|{ours}"[:500]


async def accept_webhook(
    acceptor: InboundAcceptor, kind: TwilioKind, body: bytes, params: FormParams
) -> tuple[TwilioInbound, Acceptance]:
    """Store a verified webhook's form body; duplicates (same MessageSid) are harmless."""
    inbound = describe(kind, params)
    result = await acceptor.accept(
        channel=inbound.channel,
        source_id=inbound.source_id,
        payload=body,
        content_type=FORM_CONTENT_TYPE,
        headers=inbound.headers,
        thread_key=inbound.thread_key,
        intake=not inbound.is_status,
    )
    return inbound, result
