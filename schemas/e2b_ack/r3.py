"""E2B(R3) acknowledgement: HL7 v3 batch ``MCCI_IN200101UV01``, one ``MCCI_IN000002UV01`` per ICSR.

The structure follows the ICH E2B(R3) implementation guide and FDA's positive and negative
sample acknowledgements element for element (and validates against the ICH schema
``multicacheschemas/MCCI_IN200101UV01.xsd``)::

    MCCI_IN200101UV01
      id @extension ................................ ACK.M.1 acknowledgement batch number
      creationTime @value .......................... ACK.M.4 date of ACK batch transmission
      responseModeCode D, interactionId MCCI_IN200101UV01
      MCCI_IN000002UV01 (one per ICSR)
        id @extension .............................. ACK.B.r.2 receiver's local report number
        creationTime, interactionId, processingCode P, processingModeCode T, acceptAckCode NE
        receiver/device/id @extension .............. ACK.B.r.3 ICSR message ACK receiver
        sender/device/id @extension ................ ACK.B.r.4 ICSR message ACK sender
        attentionLine (code 1) value @value ........ ACK.B.r.5 date of ICSR message creation
        acknowledgement @typeCode .................. ACK.B.r.6 CA / CR
          targetMessage/id @extension .............. ACK.B.r.1 ICSR message number
          acknowledgementDetail/text ............... ACK.B.r.7 error / warning (<= 250)
      receiver/device/id @extension ................ ACK.M.3 ACK batch receiver
      sender/device/id @extension .................. ACK.M.2 ACK batch sender
      attentionLine (code 2) value @extension ...... ACK.A.2 acknowledgement local message number
      attentionLine (code 3) value @value .......... ACK.A.3 date of ICSR batch transmission
      acknowledgement @typeCode .................... ACK.A.4 AA / AE / AR
        targetBatch/id @extension .................. ACK.A.1 ICSR batch number (our N.1.2)
        acknowledgementDetail/text ................. ACK.A.5 batch validation error (<= 250)

Dates are kept as the HL7 TS strings found in the file (they are correlation keys, so they
are compared as sent, never reformatted). The per-message ``creationTime`` repeats ACK.M.4
and is written from :attr:`R3Ack.creation_time`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, cast, get_args

from lxml import etree

from schemas.e2b_ack._common import (
    AckBatchCode,
    AckItemCode,
    InvalidAckError,
    MalformedAckError,
    element_text,
    truncate_text,
)

__all__ = [
    "HL7_NS",
    "R3_ACK_ROOT",
    "R3Ack",
    "R3AckItem",
    "build_r3_ack",
    "parse_r3_ack",
]

HL7_NS: Final = "urn:hl7-org:v3"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
#: Root element of an E2B(R3) acknowledgement, in Clark notation.
R3_ACK_ROOT: Final = f"{{{HL7_NS}}}MCCI_IN200101UV01"
_NSMAP: Final = {"hl7": HL7_NS}

# ICH E2B(R3) OIDs (implementation guide, appendix "OIDs"), as used in FDA's samples.
_ICH_OID: Final = "2.16.840.1.113883.3.989.2.1"
OID_ICSR_MESSAGE_NUMBER: Final = f"{_ICH_OID}.3.1"  # ACK.B.r.1
OID_ACK_MESSAGE_SENDER: Final = f"{_ICH_OID}.3.15"  # ACK.B.r.4
OID_ACK_MESSAGE_RECEIVER: Final = f"{_ICH_OID}.3.16"  # ACK.B.r.3
OID_ACK_BATCH_SENDER: Final = f"{_ICH_OID}.3.17"  # ACK.M.2
OID_ACK_BATCH_RECEIVER: Final = f"{_ICH_OID}.3.18"  # ACK.M.3
OID_LOCAL_REPORT_NUMBER: Final = f"{_ICH_OID}.3.19"  # ACK.B.r.2
OID_ACK_BATCH_NUMBER: Final = f"{_ICH_OID}.3.20"  # ACK.M.1
OID_ACK_LOCAL_MESSAGE_NUMBER: Final = f"{_ICH_OID}.3.21"  # ACK.A.2
OID_ICSR_BATCH_NUMBER: Final = f"{_ICH_OID}.3.22"  # ACK.A.1
OID_ATTENTION_KEYWORDS: Final = f"{_ICH_OID}.1.24"
OID_INTERACTION: Final = "2.16.840.1.113883.1.6"

_KW_MESSAGE_DATE: Final = ("1", "dateOfIcsrMessageCreation")  # ACK.B.r.5
_KW_LOCAL_MESSAGE_NUMBER: Final = ("2", "acknowledgementLocalMessageNumber")  # ACK.A.2
_KW_BATCH_DATE: Final = ("3", "dateOfIcsrBatchTransmission")  # ACK.A.3

_BATCH_CODES: Final[tuple[str, ...]] = get_args(AckBatchCode)
_ITEM_CODES: Final[tuple[str, ...]] = get_args(AckItemCode)


@dataclass(frozen=True, slots=True, kw_only=True)
class R3AckItem:
    """The acknowledgement of one ICSR message (``MCCI_IN000002UV01``)."""

    #: ACK.B.r.1 ICSR message number: our N.2.r.1 (= C.1.1 safety report id).
    message_id: str
    #: ACK.B.r.2 the receiver's local report number (store it; absent when not loaded).
    local_report_number: str | None = None
    #: ACK.B.r.3 ICSR message ACK receiver (the ICSR's sender, N.2.r.2).
    ack_receiver: str
    #: ACK.B.r.4 ICSR message ACK sender (the ICSR's receiver, N.2.r.3).
    ack_sender: str
    #: ACK.B.r.5 date of ICSR message creation: our N.2.r.4 (HL7 TS, as sent).
    message_date: str
    #: ACK.B.r.6 CA loaded / CR rejected. Authoritative for this ICSR.
    code: AckItemCode
    #: ACK.B.r.7 error or warning text (warnings may come with CA); <= 250 when built.
    text: str | None = None

    def __post_init__(self) -> None:
        if self.code not in _ITEM_CODES:
            raise ValueError(f"ACK.B.r.6 must be one of {_ITEM_CODES}, not {self.code!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class R3Ack:
    """An E2B(R3) batch acknowledgement (``MCCI_IN200101UV01``)."""

    #: ACK.M.1 acknowledgement batch number.
    message_id: str
    #: ACK.M.4 date of acknowledgement batch transmission (HL7 TS).
    creation_time: str
    #: ACK.M.2 acknowledgement batch sender identifier.
    sender: str
    #: ACK.M.3 acknowledgement batch receiver identifier.
    receiver: str
    #: ACK.A.1 ICSR batch number acknowledged: our N.1.2.
    batch_number: str
    #: ACK.A.2 acknowledgement local message number (the receiver's id for our batch).
    local_message_number: str | None = None
    #: ACK.A.3 date of ICSR batch transmission: our N.1.5 (HL7 TS, as sent).
    batch_transmission_date: str | None = None
    #: ACK.A.4 AA accepted / AE some ICSRs need action / AR rejected (resend everything).
    code: AckBatchCode
    #: ACK.A.5 batch validation error or comment; <= 250 when built.
    text: str | None = None
    #: ACK.B.r, one per ICSR of the batch (none when the batch was rejected).
    items: tuple[R3AckItem, ...] = ()

    def __post_init__(self) -> None:
        if self.code not in _BATCH_CODES:
            raise ValueError(f"ACK.A.4 must be one of {_BATCH_CODES}, not {self.code!r}")


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


def _q(local: str) -> str:
    return f"{{{HL7_NS}}}{local}"


def _find(el: Any, path: str) -> Any:
    return el.find(path, _NSMAP)


def _attr(el: Any, name: str) -> str | None:
    if el is None:
        return None
    value = el.get(name)
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _required_attr(el: Any, path: str, name: str, element: str) -> str:
    value = _attr(_find(el, path), name)
    if value is None:
        raise MalformedAckError(
            f"E2B(R3) ACK: {element} is missing ({path.replace('hl7:', '')}/@{name})"
        )
    return value


def _attention_lines(el: Any) -> list[tuple[str | None, str | None, Any]]:
    lines = []
    for line in el.findall("hl7:attentionLine", _NSMAP):
        keyword = _find(line, "hl7:keyWordText")
        lines.append((_attr(keyword, "code"), _attr(keyword, "displayName"), line))
    return lines


def _attention_value(el: Any, keyword: tuple[str, str], attribute: str) -> str | None:
    for code, display_name, line in _attention_lines(el):
        if code == keyword[0] or display_name == keyword[1]:
            return _attr(_find(line, "hl7:value"), attribute)
    return None


def _code(el: Any, allowed: tuple[str, ...], element: str) -> str:
    ack = _find(el, "hl7:acknowledgement")
    if ack is None:
        raise MalformedAckError(f"E2B(R3) ACK: {element} is missing (acknowledgement/@typeCode)")
    code = _attr(ack, "typeCode")
    if code is None or code not in allowed:
        raise InvalidAckError(
            f"E2B(R3) ACK: {element} is {code!r}, expected one of {', '.join(allowed)}"
        )
    return code


def _parse_item(el: Any, position: int) -> R3AckItem:
    where = f"ACK.B.r.1 of ICSR acknowledgement #{position}"
    code = _code(el, _ITEM_CODES, f"ACK.B.r.6 of ICSR acknowledgement #{position}")
    message_date = _attention_value(el, _KW_MESSAGE_DATE, "value")
    if message_date is None:
        raise MalformedAckError(
            f"E2B(R3) ACK: ACK.B.r.5 (date of ICSR message creation) is missing "
            f"in ICSR acknowledgement #{position}"
        )
    return R3AckItem(
        message_id=_required_attr(
            el, "hl7:acknowledgement/hl7:targetMessage/hl7:id", "extension", where
        ),
        local_report_number=_attr(_find(el, "hl7:id"), "extension"),
        ack_receiver=_required_attr(
            el, "hl7:receiver/hl7:device/hl7:id", "extension", f"ACK.B.r.3 of #{position}"
        ),
        ack_sender=_required_attr(
            el, "hl7:sender/hl7:device/hl7:id", "extension", f"ACK.B.r.4 of #{position}"
        ),
        message_date=message_date,
        code=cast(AckItemCode, code),
        text=element_text(_find(el, "hl7:acknowledgement/hl7:acknowledgementDetail/hl7:text")),
    )


def parse_r3_ack(el: Any) -> R3Ack:
    """Read an ``MCCI_IN200101UV01`` element (from :func:`schemas.xml_safety.load_xml`).

    Raises :class:`MalformedAckError` when a required element is missing and
    :class:`InvalidAckError` for an ACK code E2B does not define.
    """
    if getattr(el, "tag", None) != R3_ACK_ROOT:
        raise MalformedAckError(
            f"E2B(R3) ACK: root element is {getattr(el, 'tag', el)!r}, expected {R3_ACK_ROOT!r}"
        )
    items = tuple(
        _parse_item(message, position)
        for position, message in enumerate(el.findall("hl7:MCCI_IN000002UV01", _NSMAP), start=1)
    )
    return R3Ack(
        message_id=_required_attr(el, "hl7:id", "extension", "ACK.M.1"),
        creation_time=_required_attr(el, "hl7:creationTime", "value", "ACK.M.4"),
        sender=_required_attr(el, "hl7:sender/hl7:device/hl7:id", "extension", "ACK.M.2"),
        receiver=_required_attr(el, "hl7:receiver/hl7:device/hl7:id", "extension", "ACK.M.3"),
        batch_number=_required_attr(
            el, "hl7:acknowledgement/hl7:targetBatch/hl7:id", "extension", "ACK.A.1"
        ),
        local_message_number=_attention_value(el, _KW_LOCAL_MESSAGE_NUMBER, "extension"),
        batch_transmission_date=_attention_value(el, _KW_BATCH_DATE, "value"),
        code=cast(AckBatchCode, _code(el, _BATCH_CODES, "ACK.A.4")),
        text=element_text(_find(el, "hl7:acknowledgement/hl7:acknowledgementDetail/hl7:text")),
        items=items,
    )


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------


def _sub(parent: Any, local: str, **attributes: str) -> Any:
    return etree.SubElement(parent, _q(local), attributes)


def _ii(parent: Any, local: str, root: str, extension: str | None) -> Any:
    if extension is None:
        return _sub(parent, local, nullFlavor="NI")
    return _sub(parent, local, extension=extension, root=root)


def _device(parent: Any, local: str, type_code: str, oid: str, extension: str) -> None:
    party = _sub(parent, local, typeCode=type_code)
    device = _sub(party, "device", classCode="DEV", determinerCode="INSTANCE")
    _ii(device, "id", oid, extension)


def _attention_line(parent: Any, keyword: tuple[str, str], xsi_type: str, **value: str) -> None:
    line = _sub(parent, "attentionLine")
    _sub(
        line,
        "keyWordText",
        code=keyword[0],
        codeSystem=OID_ATTENTION_KEYWORDS,
        codeSystemVersion="1.0",
        displayName=keyword[1],
    )
    element = _sub(line, "value", **value)
    element.set(f"{{{XSI_NS}}}type", xsi_type)


def _acknowledgement(
    parent: Any, code: str, target: str, oid: str, target_id: str, text: str | None
) -> None:
    ack = _sub(parent, "acknowledgement", typeCode=code)
    _ii(_sub(ack, target), "id", oid, target_id)
    truncated = truncate_text(text)
    if truncated is not None:
        _sub(_sub(ack, "acknowledgementDetail"), "text").text = truncated


def _build_item(parent: Any, item: R3AckItem, creation_time: str) -> None:
    message = _sub(parent, "MCCI_IN000002UV01")
    _ii(message, "id", OID_LOCAL_REPORT_NUMBER, item.local_report_number)
    _sub(message, "creationTime", value=creation_time)
    _sub(message, "interactionId", extension="MCCI_IN000002UV01", root=OID_INTERACTION)
    _sub(message, "processingCode", code="P")
    _sub(message, "processingModeCode", code="T")
    _sub(message, "acceptAckCode", code="NE")
    _device(message, "receiver", "RCV", OID_ACK_MESSAGE_RECEIVER, item.ack_receiver)
    _device(message, "sender", "SND", OID_ACK_MESSAGE_SENDER, item.ack_sender)
    _attention_line(message, _KW_MESSAGE_DATE, "TS", value=item.message_date)
    _acknowledgement(
        message, item.code, "targetMessage", OID_ICSR_MESSAGE_NUMBER, item.message_id, item.text
    )


def build_r3_ack(ack: R3Ack) -> Any:
    """The ``MCCI_IN200101UV01`` element for ``ack``; texts over 250 characters are cut.

    Serialise with :func:`schemas.e2b_ack.ack_to_bytes`.
    """
    root = etree.Element(
        R3_ACK_ROOT, {"ITSVersion": "XML_1.0"}, nsmap={None: HL7_NS, "xsi": XSI_NS}
    )
    _ii(root, "id", OID_ACK_BATCH_NUMBER, ack.message_id)
    _sub(root, "creationTime", value=ack.creation_time)
    _sub(root, "responseModeCode", code="D")
    _sub(root, "interactionId", extension="MCCI_IN200101UV01", root=OID_INTERACTION)
    for item in ack.items:
        _build_item(root, item, ack.creation_time)
    _device(root, "receiver", "RCV", OID_ACK_BATCH_RECEIVER, ack.receiver)
    _device(root, "sender", "SND", OID_ACK_BATCH_SENDER, ack.sender)
    if ack.local_message_number is not None:
        _attention_line(
            root,
            _KW_LOCAL_MESSAGE_NUMBER,
            "II",
            extension=ack.local_message_number,
            root=OID_ACK_LOCAL_MESSAGE_NUMBER,
        )
    if ack.batch_transmission_date is not None:
        _attention_line(root, _KW_BATCH_DATE, "TS", value=ack.batch_transmission_date)
    _acknowledgement(
        root, ack.code, "targetBatch", OID_ICSR_BATCH_NUMBER, ack.batch_number, ack.text
    )
    return root
