"""The marks a reply carries back to us, and how to read them.

* Message ids: ``normalise_message_id`` (``<id@host>``, whitespace and folding removed)
  and ``parse_message_ids`` for a raw References / In-Reply-To header.
* Addresses: ``normalise_address`` (email: the lower-cased addr-spec, display name
  dropped; phone: ``+E164`` digits, the ``whatsapp:`` prefix kept since a WhatsApp
  conversation is not an SMS one).
* The plus token of a Reply-To such as ``followup+k3v9q2@pv.example.com``: ``plus_token``.
* WhatsApp quick-reply buttons: ``button_payload(token, answer)`` builds
  ``fu:<token>:<answer>``; ``parse_button_payload`` reads it back.
* Subject prefixes: ``subject_markers`` reads the leading ``Re:``/``AW:``/``Fwd:``/``RV:``
  chain (several languages), ``is_reply_subject`` / ``is_forward_subject`` look at the
  outermost (latest) one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import parseaddr

__all__ = [
    "BUTTON_PREFIX",
    "ButtonAnswer",
    "button_payload",
    "is_forward_subject",
    "is_reply_subject",
    "normalise_address",
    "normalise_message_id",
    "parse_button_payload",
    "parse_message_ids",
    "plus_token",
    "subject_markers",
]

_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_WS = re.compile(r"\s+")


def normalise_message_id(value: str) -> str:
    """``<id@host>`` with folding whitespace removed; brackets added when missing."""
    compact = _WS.sub("", value)
    match = _ANGLE_ID.search(compact)
    core = match.group(1) if match else compact.strip("<>")
    if not core:
        raise ValueError(f"not a message id: {value!r}")
    return f"<{core}>"


def parse_message_ids(header: str | None) -> tuple[str, ...]:
    """Every ``<id>`` of a References / In-Reply-To header, in order, once each.

    Comments and stray text some clients add (``<a@b> (Anna's message of ...)``) are
    ignored; a header with no brackets at all is read as one bare id.
    """
    if not header or not header.strip():
        return ()
    found = _ANGLE_ID.findall(_WS.sub(" ", header))
    if not found:
        bare = header.strip().split()[0]
        return (normalise_message_id(bare),)
    ids: list[str] = []
    for core in found:
        message_id = f"<{core}>"
        if message_id not in ids:
            ids.append(message_id)
    return tuple(ids)


_PHONE_JUNK = re.compile(r"[\s().\-/]")
_WHATSAPP = "whatsapp:"


def normalise_address(address: str) -> str:
    """The comparable form of a reporter's email address or phone number."""
    text = address.strip()
    lowered = text.lower()
    if lowered.startswith(_WHATSAPP):
        return _WHATSAPP + _phone(text[len(_WHATSAPP) :])
    if "@" in text:
        _, addr = parseaddr(text)
        return (addr or text).strip().lower()
    return _phone(text)


def _phone(number: str) -> str:
    digits = _PHONE_JUNK.sub("", number.strip())
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    return digits


_TOKEN = re.compile(r"^[A-Za-z0-9_=-]+$")


def plus_token(address: str) -> str | None:
    """``k3v9q2`` for ``followup+k3v9q2@pv.example.com`` (display name allowed), else None."""
    _, addr = parseaddr(address)
    local, at, _domain = (addr or address).rpartition("@")
    if not at or "+" not in local:
        return None
    token = local.split("+", 1)[1].strip()
    return token if token and _TOKEN.match(token) else None


BUTTON_PREFIX = "fu"


@dataclass(frozen=True, slots=True)
class ButtonAnswer:
    """A WhatsApp quick-reply: the request's token and the answer the button stands for."""

    token: str
    answer: str


def button_payload(token: str, answer: str) -> str:
    """The ButtonPayload to attach to a quick-reply button of a request."""
    for name, value in (("token", token), ("answer", answer)):
        if not _TOKEN.match(value):
            raise ValueError(f"button {name} is letters, digits, '_', '=' or '-', got {value!r}")
    return f"{BUTTON_PREFIX}:{token}:{answer}"


def parse_button_payload(payload: str | None) -> ButtonAnswer | None:
    """The token and answer of one of our payloads; None for anything else."""
    if not payload:
        return None
    parts = payload.strip().split(":")
    if len(parts) != 3 or parts[0] != BUTTON_PREFIX:
        return None
    token, answer = parts[1], parts[2]
    if not (_TOKEN.match(token) and _TOKEN.match(answer)):
        return None
    return ButtonAnswer(token=token, answer=answer)


# Reply and forward prefixes as mail clients localise them (Outlook, Gmail, Apple Mail,
# Thunderbird). "RV:" is Spanish Outlook's forward ("reenviar"), "I:" Italian ("inoltro").
_REPLY = frozenset(
    {"re", "aw", "sv", "antw", "antwort", "r", "rif", "res", "resp", "odp", "vs", "ynt", "ats"}
    | {"回复", "答复", "返信", "απ"}
)
_FORWARD = frozenset(
    {"fwd", "fw", "wg", "rv", "tr", "enc", "i", "doorst", "vb", "vl", "pd"}
    | {"转发", "轉寄", "転送", "πρθ"}
)
_PREFIX = re.compile(r"^\s*+([^\W\d_]{1,7})\s*+(?:\[\d+\]|\(\d+\))?\s*+[:\uff1a]\s*")
_BRACKET_TAG = re.compile(r"^\s*\[[^\]]*\]\s*")
_OUR_TAG = re.compile(r"^\s*\[\s*ICSR-REF\s*:", re.IGNORECASE)


def subject_markers(subject: str | None) -> tuple[str, ...]:
    """The leading reply/forward markers, outermost first: ``("reply", "forward")``.

    Corporate tags in brackets (``[EXTERNAL]``) between them are skipped; our own
    reference tag ends the prefix chain.
    """
    if not subject:
        return ()
    rest = subject
    markers: list[str] = []
    while True:
        tag = _BRACKET_TAG.match(rest)
        if tag and not _OUR_TAG.match(rest):
            rest = rest[tag.end() :]
            continue
        match = _PREFIX.match(rest)
        if not match:
            break
        word = match.group(1).casefold()
        if word in _REPLY:
            markers.append("reply")
        elif word in _FORWARD:
            markers.append("forward")
        else:
            break
        rest = rest[match.end() :]
    return tuple(markers)


def is_reply_subject(subject: str | None) -> bool:
    markers = subject_markers(subject)
    return bool(markers) and markers[0] == "reply"


def is_forward_subject(subject: str | None) -> bool:
    markers = subject_markers(subject)
    return bool(markers) and markers[0] == "forward"
