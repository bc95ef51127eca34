"""Sending follow-up questions to reporters: e-mail (SMTP relay), SMS and WhatsApp (Twilio),
or files in an outbox folder when neither is configured."""

from channels.followup_out.email import SmtpRelay, SmtpSender, build_email
from channels.followup_out.outbox_folder import FolderSender
from channels.followup_out.ports import (
    FollowUpChannel,
    OutgoingMessage,
    Sender,
    SendResult,
    SendStatus,
    Transport,
    new_message_id,
    new_reply_token,
    reply_to_address,
    reply_token_of,
)
from channels.followup_out.transport import FollowUpTransport, build_senders, select_sender
from channels.followup_out.twilio import TwilioAccount, TwilioSender

__all__ = [
    "FolderSender",
    "FollowUpChannel",
    "FollowUpTransport",
    "OutgoingMessage",
    "SendResult",
    "SendStatus",
    "Sender",
    "SmtpRelay",
    "SmtpSender",
    "Transport",
    "TwilioAccount",
    "TwilioSender",
    "build_email",
    "build_senders",
    "new_message_id",
    "new_reply_token",
    "reply_to_address",
    "reply_token_of",
    "select_sender",
]
