"""Follow-ups written to a folder when no relay or Twilio account is configured.

Each message becomes one file, written under a temporary name and renamed into place, so
a person or a script picking files up never sees half a message: ``.eml`` (the exact MIME
an SMTP relay would have received) for e-mail, ``.json`` (the Twilio request fields) for
SMS and WhatsApp. Logs name the request and the file, never the recipient or the text.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

from channels.followup_out.email import build_email
from channels.followup_out.ports import (
    FollowUpChannel,
    OutgoingMessage,
    SendResult,
    SendStatus,
    Transport,
)
from channels.followup_out.twilio import whatsapp_address
from gateway.clock import utcnow
from gateway.logs import get_logger

log = get_logger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class FolderSender:
    """Writes follow-ups as files into ``folder`` (created when missing)."""

    def __init__(
        self,
        folder: Path,
        *,
        from_address: str = "safety@localhost",
        sms_from: str | None = None,
        whatsapp_from: str | None = None,
        whatsapp_content_sid: str | None = None,
    ) -> None:
        self.folder = folder
        self._from_address = from_address
        self._sms_from = sms_from
        self._whatsapp_from = whatsapp_from
        self._content_sid = whatsapp_content_sid

    async def send(self, msg: OutgoingMessage) -> SendResult:
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
        name = f"{stamp}-{_safe(msg.request_id)}-{msg.channel.lower()}"
        if msg.channel is FollowUpChannel.EMAIL:
            content = build_email(msg, self._from_address).as_bytes()
            file_name = f"{name}.eml"
            provider_ref: str = msg.message_id or file_name
        else:
            content = json.dumps(self._twilio_record(msg), ensure_ascii=False, indent=2).encode()
            file_name = f"{name}-{secrets.token_hex(4)}.json"
            provider_ref = f"outbox:{file_name}"
        try:
            await asyncio.to_thread(_write_atomically, self.folder, file_name, content)
        except OSError as exc:
            log.exception(
                "followup.outbox.write_failed",
                request_id=msg.request_id,
                channel=str(msg.channel),
                error=type(exc).__name__,
            )
            return SendResult(SendStatus.RETRY, None, f"{type(exc).__name__}: {exc}")
        log.info(
            "followup.outbox.written",
            request_id=msg.request_id,
            case_id=msg.case_id,
            channel=str(msg.channel),
            file=file_name,
        )
        return SendResult(SendStatus.ACCEPTED, provider_ref, "", Transport.FOLDER)

    def _twilio_record(self, msg: OutgoingMessage) -> dict[str, Any]:
        """What the Twilio API would have been asked, plus our ids."""
        whatsapp = msg.channel is FollowUpChannel.WHATSAPP
        sender = self._whatsapp_from if whatsapp else self._sms_from
        record: dict[str, Any] = {
            "request_id": msg.request_id,
            "case_id": msg.case_id,
            "channel": str(msg.channel),
            "language": msg.language,
            "to": whatsapp_address(msg.recipient) if whatsapp else msg.recipient,
            "from": (whatsapp_address(sender) if whatsapp else sender) if sender else None,
            "written_at": utcnow().isoformat(),
        }
        if whatsapp and not msg.in_window:
            record["content_sid"] = msg.template_sid or self._content_sid
            record["content_variables"] = dict(msg.template_variables)
        else:
            record["body"] = msg.body
        return record


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)[:80] or "request"


def _write_atomically(folder: Path, name: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{name}.part"
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(folder / name)
