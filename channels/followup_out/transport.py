"""Which transport sends each follow-up channel, from the settings: relay or outbox folder.

Build :class:`FollowUpTransport` once at start-up (it rejects incomplete configuration with
the setting to fix) and call :func:`build_senders` (or :func:`select_sender` per channel)
once: the choice, and the folder when messages are only written to disk, is logged then.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from types import MappingProxyType

from channels.followup_out.email import SmtpRelay, SmtpSender, default_port
from channels.followup_out.outbox_folder import FolderSender
from channels.followup_out.ports import (
    FollowUpChannel,
    Sender,
    Transport,
    new_message_id,
    reply_to_address,
)
from channels.followup_out.twilio import TwilioAccount, TwilioSender
from gateway.errors import ConfigurationError
from gateway.logs import get_logger
from gateway.settings import Settings

log = get_logger(__name__)

STATUS_CALLBACK_PATH = "/webhooks/twilio/status"


@dataclass(frozen=True, slots=True)
class FollowUpTransport:
    """The follow-up part of the settings, checked and grouped."""

    from_address: str
    reply_address: str
    outbox_dir: Path
    smtp: SmtpRelay | None = None
    twilio: TwilioAccount | None = None
    sms_from: str | None = None
    whatsapp_from: str | None = None
    whatsapp_content_sid: str | None = None
    status_callback_url: str | None = None
    attempts: int = 3
    backoff_s: float = 0.5

    @classmethod
    def from_settings(cls, settings: Settings) -> FollowUpTransport:
        s = settings
        reply = (s.followup_reply_address or s.smtp_recipients[0]).strip()
        from_text = (s.followup_from_address or reply).strip()
        from_address = parseaddr(from_text)[1]
        if not _is_mailbox(from_address):
            raise ConfigurationError(
                "ICSR_FOLLOWUP_FROM_ADDRESS", "is not an e-mail address (local@domain)"
            )
        if not _is_mailbox(reply) or "+" in reply:
            raise ConfigurationError(
                "ICSR_FOLLOWUP_REPLY_ADDRESS", "is not a plain address local@domain (no +tag)"
            )
        if reply.lower() not in {r.lower() for r in s.smtp_recipients}:
            raise ConfigurationError(
                "ICSR_FOLLOWUP_REPLY_ADDRESS",
                "must be one of ICSR_SMTP_RECIPIENTS, or replies would be refused",
            )
        return cls(
            from_address=from_text,
            reply_address=reply,
            outbox_dir=s.followup_outbox_dir or s.data_dir / "outbox" / "followup",
            smtp=_smtp_relay(s),
            twilio=_twilio_account(s),
            sms_from=s.followup_sms_from,
            whatsapp_from=s.followup_whatsapp_from,
            whatsapp_content_sid=s.followup_whatsapp_content_sid,
            status_callback_url=s.followup_status_callback_url
            or (
                s.public_base_url.rstrip("/") + STATUS_CALLBACK_PATH if s.public_base_url else None
            ),
            attempts=s.followup_send_attempts,
        )

    @property
    def message_id_domain(self) -> str:
        return parseaddr(self.from_address)[1].rpartition("@")[2].lower()

    def new_message_id(self) -> str:
        return new_message_id(self.message_id_domain)

    def reply_to(self, token: str) -> str:
        local, _, domain = self.reply_address.rpartition("@")
        return reply_to_address(local, token, domain)

    def transport_for(self, channel: FollowUpChannel) -> Transport:
        if channel is FollowUpChannel.EMAIL:
            return Transport.SMTP if self.smtp else Transport.FOLDER
        number = self.sms_from if channel is FollowUpChannel.SMS else self.whatsapp_from
        return Transport.TWILIO if self.twilio and number else Transport.FOLDER


def select_sender(transport: FollowUpTransport, channel: FollowUpChannel) -> Sender:
    """The relay for ``channel`` when configured, else the outbox folder (said in the log)."""
    chosen = transport.transport_for(channel)
    if chosen is Transport.SMTP and transport.smtp is not None:
        log.info("followup.transport", channel=str(channel), transport="smtp")
        return SmtpSender(
            transport.smtp,
            transport.from_address,
            attempts=transport.attempts,
            backoff_s=transport.backoff_s,
        )
    if chosen is Transport.TWILIO and transport.twilio is not None:
        log.info("followup.transport", channel=str(channel), transport="twilio")
        return TwilioSender(
            transport.twilio,
            sms_from=transport.sms_from,
            whatsapp_from=transport.whatsapp_from,
            whatsapp_content_sid=transport.whatsapp_content_sid,
            status_callback_url=transport.status_callback_url,
            attempts=transport.attempts,
            backoff_s=transport.backoff_s,
        )
    log.warning(
        "followup.transport",
        channel=str(channel),
        transport="folder",
        folder=str(transport.outbox_dir),
        reason=_missing(transport, channel),
    )
    return FolderSender(
        transport.outbox_dir,
        from_address=transport.from_address,
        sms_from=transport.sms_from,
        whatsapp_from=transport.whatsapp_from,
        whatsapp_content_sid=transport.whatsapp_content_sid,
    )


def build_senders(transport: FollowUpTransport) -> Mapping[FollowUpChannel, Sender]:
    """One sender per channel (call once, at start-up)."""
    return MappingProxyType({c: select_sender(transport, c) for c in FollowUpChannel})


def _missing(transport: FollowUpTransport, channel: FollowUpChannel) -> str:
    if channel is FollowUpChannel.EMAIL:
        return "no SMTP relay configured (ICSR_FOLLOWUP_SMTP_HOST); e-mails are written here"
    if transport.twilio is None:
        return (
            "no Twilio account configured (ICSR_FOLLOWUP_TWILIO_ACCOUNT_SID, "
            "ICSR_TWILIO_AUTH_TOKEN); messages are written here"
        )
    setting = "SMS_FROM" if channel is FollowUpChannel.SMS else "WHATSAPP_FROM"
    return f"no sender number configured (ICSR_FOLLOWUP_{setting}); messages are written here"


def _smtp_relay(s: Settings) -> SmtpRelay | None:
    if not s.followup_smtp_host:
        return None
    if bool(s.followup_smtp_username) != bool(s.followup_smtp_password):
        raise ConfigurationError(
            "ICSR_FOLLOWUP_SMTP_USERNAME",
            "and ICSR_FOLLOWUP_SMTP_PASSWORD are needed together for the relay login",
        )
    return SmtpRelay(
        host=s.followup_smtp_host,
        port=s.followup_smtp_port or default_port(s.followup_smtp_security),
        security=s.followup_smtp_security,
        username=s.followup_smtp_username,
        password=s.followup_smtp_password,
        timeout_s=s.followup_send_timeout_s,
    )


def _twilio_account(s: Settings) -> TwilioAccount | None:
    sid = (s.followup_twilio_account_sid or "").strip()
    if not sid:
        return None
    if not (sid.startswith("AC") and sid[2:].isalnum()):
        raise ConfigurationError(
            "ICSR_FOLLOWUP_TWILIO_ACCOUNT_SID", "is not a Twilio account SID (AC…)"
        )
    if s.twilio_auth_token is None or not s.twilio_auth_token.get_secret_value():
        raise ConfigurationError(
            "ICSR_TWILIO_AUTH_TOKEN",
            "is needed to send follow-ups with ICSR_FOLLOWUP_TWILIO_ACCOUNT_SID",
        )
    return TwilioAccount(
        account_sid=sid,
        auth_token=s.twilio_auth_token,
        api_base_url=s.followup_twilio_api_base_url,
        timeout_s=s.followup_send_timeout_s,
    )


def _is_mailbox(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and " " not in address
