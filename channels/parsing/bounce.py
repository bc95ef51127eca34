"""Bounces: is this inbound e-mail a delivery failure of one of our messages, and which?

Standard bounces are delivery status notifications (RFC 3464/6522): ``multipart/report;
report-type=delivery-status`` with a machine-readable ``message/delivery-status`` part and
the original message (``message/rfc822``) or its headers (``text/rfc822-headers``).
Postfix, Exchange, Gmail and most MTAs send these. Older or simpler MTAs (qmail, some
Exim and hosted set-ups) send plain text from MAILER-DAEMON with the original headers
pasted into the body; those are recognised by their sender and subject, and read with
patterns.

The original Message-ID is taken, in this order, from the attached message or headers,
an ``X-Original-Message-ID`` field (Gmail's delivery-status block, or a header), a
``Message-ID:`` line in the body, and the bounce's own In-Reply-To/References (Exchange
and Gmail set them). Never raises on malformed input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import parseaddr

_MSG_ID = re.compile(r"<[^<>\s]+@[^<>\s]+>")
_MSG_ID_LINE = re.compile(r"^[ \t]*+>?[ \t]*+Message-ID:\s*(<[^<>\s]+@[^<>\s]+>)", re.I | re.M)
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_REPLY = re.compile(r"\b([45]\d\d)[ -]+(?:#?[45]\.\d{1,3}\.\d{1,3}\b)?.*", re.I)
_BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned mail|returned to sender|delivery status notification|"
    r"delivery (?:has )?fail|mail delivery (?:failed|system)|failure notice|"
    r"non.?delivery|could not be delivered|delivery failure",
    re.I,
)
_ADDRESS = re.compile(r"<?((?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+)>?")
_DIAGNOSTIC_TYPE = re.compile(r"[A-Za-z][A-Za-z0-9-]*")  # smtp, X-Postfix, X-Exim …
_DIAGNOSTIC_MAX = 1000


@dataclass(frozen=True, slots=True)
class Bounce:
    """One bounce. ``status`` is the enhanced code (``5.1.1``); ``action`` the DSN action
    (``failed``, ``delayed`` …; None for non-standard bounces); ``diagnostic`` the remote
    server's words, as close to the SMTP reply as the bounce gives them."""

    original_message_id: str | None
    recipient: str | None
    status: str | None
    action: str | None
    diagnostic: str
    standard: bool

    @property
    def permanent(self) -> bool:
        """A delivery failure (not a delay or a success report)."""
        if self.action is not None and self.action != "failed":
            return False
        return self.status is None or self.status.startswith("5")


def parse_bounce(raw_mime: bytes) -> Bounce | None:
    """The bounce in ``raw_mime``, or None when it is not a bounce."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw_mime)
    except (TypeError, ValueError, IndexError):  # the parser is lenient; belt and braces
        return None
    if not isinstance(message, EmailMessage):
        return None
    try:
        return _standard(message) or _non_standard(message)
    except (TypeError, ValueError, IndexError, AttributeError, LookupError):
        # malformed headers or parts surface as these from the policy's lazy parsing
        return None


# -- RFC 3464 ------------------------------------------------------------------------------


def _standard(message: EmailMessage) -> Bounce | None:
    report = _find_report(message)
    if report is None:
        return None
    status_part = _first_part(report, "message/delivery-status")
    if status_part is None:
        return None
    per_message, fields = _status_fields(status_part)
    diagnostic = _diagnostic_text(fields.get("diagnostic-code", ""))
    if not diagnostic:
        diagnostic = _human_text(report)
    status = _STATUS.search(fields.get("status", ""))
    return Bounce(
        original_message_id=_original_message_id(
            report, message, reported=per_message.get("x-original-message-id")
        ),
        recipient=_address(fields.get("final-recipient") or fields.get("original-recipient")),
        status=status.group(0) if status else None,
        action=(fields.get("action") or "").strip().lower() or None,
        diagnostic=diagnostic,
        standard=True,
    )


def _find_report(message: EmailMessage) -> EmailMessage | None:
    for part in message.walk():
        if (
            isinstance(part, EmailMessage)
            and part.get_content_type() == "multipart/report"
            and str(part.get_param("report-type", "")).lower() == "delivery-status"
        ):
            return part
    return None


def _first_part(root: EmailMessage, content_type: str) -> EmailMessage | None:
    for part in root.walk():
        if part is not root and part.get_content_type() == content_type:
            return part if isinstance(part, EmailMessage) else None
    return None


def _status_fields(status_part: EmailMessage) -> tuple[dict[str, str], dict[str, str]]:
    """The per-message fields, and those of the first failed recipient (else the first)."""
    payload = status_part.get_payload()
    blocks: list[Message] = []
    if isinstance(payload, list):
        blocks = [b for b in payload if isinstance(b, Message)]
    elif isinstance(payload, str):  # some parsers leave it as text: read the blocks ourselves
        blocks = [HeaderParser().parsestr(b.strip()) for b in re.split(r"\n\s*\n", payload)]
    read = [{k.lower(): " ".join(str(v).split()) for k, v in b.items()} for b in blocks]
    per_message = read[0] if read and "final-recipient" not in read[0] else {}
    recipients = [f for f in read if "final-recipient" in f or "original-recipient" in f]
    for fields in recipients:
        if fields.get("action", "").lower() == "failed":
            return per_message, fields
    return per_message, recipients[0] if recipients else {}


def _diagnostic_text(value: str) -> str:
    # "smtp; 550 5.1.1 …": the diagnostic type is not part of the server's words
    kind, sep, rest = value.partition(";")
    text = rest if sep and _DIAGNOSTIC_TYPE.fullmatch(kind.strip()) else value
    return " ".join(text.split())[:_DIAGNOSTIC_MAX]


def _human_text(report: EmailMessage) -> str:
    for part in report.walk():
        if part.get_content_type() == "text/plain" and isinstance(part, EmailMessage):
            return _reply_line(_content(part)) or " ".join(_content(part).split())[:300]
    return ""


# -- non-standard bounces ------------------------------------------------------------------


def _non_standard(message: EmailMessage) -> Bounce | None:
    sender = parseaddr(str(message.get("From", "")))[1]
    return_path = str(message.get("Return-Path", "")).strip()
    from_daemon = bool(_BOUNCE_SENDER.match(sender)) or return_path == "<>"
    looks_like = bool(_BOUNCE_SUBJECT.search(str(message.get("Subject", ""))))
    failed_recipients = str(message.get("X-Failed-Recipients", "")).strip()
    if not (from_daemon and (looks_like or failed_recipients)):
        return None
    text = "\n".join(
        _content(part)
        for part in message.walk()
        if isinstance(part, EmailMessage) and part.get_content_type() == "text/plain"
    )
    reply = _reply_line(text)
    status = _STATUS.search(reply) or _STATUS.search(text)
    return Bounce(
        original_message_id=_original_message_id(message, message, body=text),
        recipient=_address(failed_recipients) or _address(_recipient_line(text)),
        status=status.group(0) if status else None,
        action=None,
        diagnostic=reply or " ".join(text.split())[:300],
        standard=False,
    )


def _reply_line(text: str) -> str:
    """The first SMTP reply in ``text`` ("550 5.1.1 …"), else the first line naming an
    enhanced status code (qmail: "Sorry, no mailbox here by that name. (#5.1.1)")."""
    lines = text.splitlines()
    for line in lines:
        match = _SMTP_REPLY.search(line)
        if match:
            return " ".join(match.group(0).split())[:_DIAGNOSTIC_MAX]
    for line in lines:
        if _STATUS.search(line):
            return " ".join(line.split())[:_DIAGNOSTIC_MAX]
    return ""


def _recipient_line(text: str) -> str:
    # qmail: "<user@example.org>:" on its own line; Exim: the address indented alone
    for line in text.splitlines():
        stripped = line.strip().rstrip(":")
        if _ADDRESS.fullmatch(stripped):
            return stripped
    return ""


# -- shared --------------------------------------------------------------------------------


def _original_message_id(
    root: EmailMessage, message: EmailMessage, body: str = "", reported: str | None = None
) -> str | None:
    for part in root.walk():
        content_type = part.get_content_type()
        if content_type in {"message/rfc822", "message/global"}:
            inner = part.get_payload()
            original = inner[0] if isinstance(inner, list) and inner else None
            found = _msg_id(original.get("Message-ID") if isinstance(original, Message) else None)
        elif content_type in {"text/rfc822-headers", "message/global-headers"}:
            found = _msg_id(HeaderParser().parsestr(_content(part)).get("Message-ID"))
        else:
            continue
        if found:
            return found
    found = _msg_id(reported) or _msg_id(message.get("X-Original-Message-ID"))
    if found:
        return found
    line = _MSG_ID_LINE.search(body)
    if line:
        return line.group(1)
    return _msg_id(message.get("In-Reply-To")) or _msg_id(message.get("References"))


def _msg_id(value: object) -> str | None:
    if value is None:
        return None
    match = _MSG_ID.search(str(value))
    return match.group(0) if match else None


def _address(value: str | None) -> str | None:
    if not value:
        return None
    # "rfc822; user@example.org" or "<user@example.org>"
    match = _ADDRESS.search(value.rpartition(";")[2])
    return match.group(1) if match else None


def _content(part: Message) -> str:
    try:
        if isinstance(part, EmailMessage):
            content = part.get_content()
            return content if isinstance(content, str) else ""
    except (LookupError, ValueError, AssertionError):  # unknown charset, broken encoding
        pass
    raw = part.get_payload(decode=True)
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else ""
