"""A stored Twilio webhook body (form-encoded) → a typed SMS or WhatsApp message."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs


@dataclass(frozen=True, slots=True)
class TwilioMessage:
    sid: str
    whatsapp: bool
    from_number: str  # E.164, without the "whatsapp:" prefix
    to_number: str
    body: str
    media_urls: tuple[str, ...]
    profile_name: str | None
    original_replied_sid: str | None
    button_payload: str | None
    status: str | None


def _strip(value: str) -> str:
    return value.removeprefix("whatsapp:")


def parse_twilio_form(body: bytes) -> TwilioMessage:
    """Raises ValueError when the body is not a Twilio message (no MessageSid or From)."""
    fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    sid = fields.get("MessageSid") or fields.get("SmsSid")
    sender = fields.get("From")
    if not sid or not sender:
        raise ValueError("not a Twilio message: MessageSid and From are required")
    count = int(fields.get("NumMedia") or 0)
    return TwilioMessage(
        sid=sid,
        whatsapp=sender.startswith("whatsapp:"),
        from_number=_strip(sender),
        to_number=_strip(fields.get("To", "")),
        body=fields.get("Body", ""),
        media_urls=tuple(u for i in range(count) if (u := fields.get(f"MediaUrl{i}"))),
        profile_name=fields.get("ProfileName") or None,
        original_replied_sid=fields.get("OriginalRepliedMessageSid") or None,
        button_payload=fields.get("ButtonPayload") or None,
        status=fields.get("MessageStatus") or fields.get("SmsStatus") or None,
    )
