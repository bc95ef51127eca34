"""Pieces shared by the E2B(R3) and E2B(R2) acknowledgement modules."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final, Literal

from lxml import etree

from gateway.errors import DecodeError, InvalidMessageError

__all__ = [
    "MAX_TEXT_LENGTH",
    "TRUNCATION_NOTE",
    "AckBatchCode",
    "AckItemCode",
    "InvalidAckError",
    "MalformedAckError",
    "clean_text",
    "element_text",
    "format_hl7_ts",
    "to_xml_bytes",
    "truncate_text",
]

#: ACK.A.5, ACK.B.r.7 and the R2 parsingerrormessage / errormessagecomment are 250 AN.
MAX_TEXT_LENGTH: Final = 250
#: Appended to a text cut to :data:`MAX_TEXT_LENGTH` characters.
TRUNCATION_NOTE: Final = "... [truncated]"

#: Batch (transmission) acknowledgement code, ACK.A.4: accepted / error / rejected.
AckBatchCode = Literal["AA", "AE", "AR"]
#: Per-ICSR acknowledgement code, ACK.B.r.6: loaded (commit accept) / rejected.
AckItemCode = Literal["CA", "CR"]

# Characters XML 1.0 does not allow (lxml refuses to serialise them).
_NOT_XML_CHARS: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class MalformedAckError(DecodeError):
    """Well-formed XML, but not a usable acknowledgement (wrong root, element missing)."""

    code = "malformed_ack"


class InvalidAckError(InvalidMessageError):
    """An acknowledgement with a value outside what E2B allows (e.g. an unknown ACK code)."""

    code = "invalid_ack"


def clean_text(text: str | None) -> str | None:
    """Strip surrounding whitespace and characters XML cannot carry; ``""`` becomes ``None``."""
    if text is None:
        return None
    cleaned = _NOT_XML_CHARS.sub("", text).strip()
    return cleaned or None


def truncate_text(text: str | None, limit: int = MAX_TEXT_LENGTH) -> str | None:
    """``text`` cleaned and, when longer than ``limit``, cut with :data:`TRUNCATION_NOTE`."""
    cleaned = clean_text(text)
    if cleaned is None or len(cleaned) <= limit:
        return cleaned
    return cleaned[: limit - len(TRUNCATION_NOTE)].rstrip() + TRUNCATION_NOTE


def format_hl7_ts(moment: datetime) -> str:
    """HL7 TS with seconds and UTC offset (``20220811135030-0400``) of an aware datetime."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("an acknowledgement time must be timezone-aware")
    return moment.strftime("%Y%m%d%H%M%S%z")


def to_xml_bytes(root: Any, *, doctype: str | None = None) -> bytes:
    """UTF-8 bytes with an XML declaration (and ``doctype`` when given)."""
    data = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True, doctype=doctype
    )
    assert isinstance(data, bytes)
    return data


def element_text(el: Any) -> str | None:
    """The XPath string value of ``el`` (text without comments), cleaned; ``None`` if empty."""
    if el is None:
        return None
    return clean_text(str(el.xpath("string()")))
