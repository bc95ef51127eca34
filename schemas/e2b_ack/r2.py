"""E2B(R2) acknowledgement: ICH M2 ``ichicsrack`` 1.1 (DTD ``ichicsrack11xml.dtd``).

Element names and order follow the DTD::

    ichicsrack @lang
      ichicsrmessageheader                                      M.1
        messagetype (ichicsrack), messageformatversion (1.1), messageformatrelease (1.0)
        messagenumb, messagesenderidentifier, messagereceiveridentifier
        messagedateformat (204), messagedate (CCYYMMDDHHMMSS)
      acknowledgment
        messageacknowledgment                                   A.1
          icsrmessagenumb, localmessagenumb?, icsrmessagesenderidentifier,
          icsrmessagereceiveridentifier, icsrmessagedateformat (204), icsrmessagedate,
          transmissionacknowledgmentcode (01 all loaded / 02 not all / 03 parse error),
          parsingerrormessage?
        reportacknowledgment*                                   B.1
          safetyreportversion?, safetyreportid, localreportnumb?, authoritynumb?,
          companynumb?, receiptdateformat? (102), receiptdate?,
          reportacknowledgmentcode (01 loaded / 02 not loaded), errormessagecomment?

Values are kept as the strings found in the file. The date format fields are written as the
DTD prescribes (204, 102) and not kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Literal, cast, get_args

from lxml import etree

from schemas.e2b_ack._common import (
    InvalidAckError,
    MalformedAckError,
    element_text,
    truncate_text,
)

__all__ = [
    "R2_ACK_ROOT",
    "R2_ACK_SYSTEM_ID",
    "R2Ack",
    "R2MessageAck",
    "R2MessageHeader",
    "R2ReportAck",
    "R2ReportCode",
    "R2TransmissionCode",
    "build_r2_ack",
    "parse_r2_ack",
]

#: Root element of an E2B(R2) acknowledgement (no namespace).
R2_ACK_ROOT: Final = "ichicsrack"
#: System identifier written in the DOCTYPE of a serialised R2 ACK (the ICH DTD's name).
R2_ACK_SYSTEM_ID: Final = "ich-icsrack-v1.1.dtd"

#: A.1.6: 01 all reports loaded / 02 not all loaded (see B) / 03 parsing error, nothing loaded.
R2TransmissionCode = Literal["01", "02", "03"]
#: B.1.8: 01 report loaded / 02 report not loaded.
R2ReportCode = Literal["01", "02"]

_TRANSMISSION_CODES: Final[tuple[str, ...]] = get_args(R2TransmissionCode)
_REPORT_CODES: Final[tuple[str, ...]] = get_args(R2ReportCode)


@dataclass(frozen=True, slots=True, kw_only=True)
class R2MessageHeader:
    """M.1 header of the acknowledgement message itself."""

    #: M.1.4 messagenumb: the ACK's own message number.
    message_number: str
    #: M.1.5 messagesenderidentifier: who sends the ACK.
    sender: str
    #: M.1.6 messagereceiveridentifier: who receives the ACK.
    receiver: str
    #: M.1.7b messagedate, CCYYMMDDHHMMSS (format 204).
    message_date: str


@dataclass(frozen=True, slots=True, kw_only=True)
class R2MessageAck:
    """A.1 messageacknowledgment: the verdict on the acknowledged ICSR message."""

    #: A.1.1 icsrmessagenumb: the acknowledged message's number (our M.1.4).
    icsr_message_number: str
    #: A.1.2 localmessagenumb: the receiver's number for our message.
    local_message_number: str | None = None
    #: A.1.3 icsrmessagesenderidentifier: the acknowledged message's sender (us).
    icsr_message_sender: str
    #: A.1.4 icsrmessagereceiveridentifier: the acknowledged message's receiver.
    icsr_message_receiver: str
    #: A.1.5b icsrmessagedate: our M.1.7b, CCYYMMDDHHMMSS (format 204).
    icsr_message_date: str
    #: A.1.6 transmissionacknowledgmentcode.
    code: R2TransmissionCode
    #: A.1.7 parsingerrormessage (<= 250 when built).
    parsing_error_message: str | None = None

    def __post_init__(self) -> None:
        if self.code not in _TRANSMISSION_CODES:
            raise ValueError(f"A.1.6 must be one of {_TRANSMISSION_CODES}, not {self.code!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class R2ReportAck:
    """B.1 reportacknowledgment: the verdict on one safety report."""

    #: B.1.2 safetyreportid: the report's id (C.1.1 / A.1.0.1).
    safety_report_id: str
    #: B.1.1 safetyreportversion.
    safety_report_version: str | None = None
    #: B.1.3 localreportnumb: the receiver's number for the report (store it).
    local_report_number: str | None = None
    #: B.1.4 authoritynumb (A.1.10.1).
    authority_number: str | None = None
    #: B.1.5 companynumb (A.1.10.2).
    company_number: str | None = None
    #: B.1.7b receiptdate (A.1.7), CCYYMMDD (format 102).
    receipt_date: str | None = None
    #: B.1.8 reportacknowledgmentcode.
    code: R2ReportCode
    #: B.1.9 errormessagecomment (<= 250 when built).
    error_message: str | None = None

    def __post_init__(self) -> None:
        if self.code not in _REPORT_CODES:
            raise ValueError(f"B.1.8 must be one of {_REPORT_CODES}, not {self.code!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class R2Ack:
    """An E2B(R2) acknowledgement message (``ichicsrack`` 1.1)."""

    header: R2MessageHeader
    acknowledgment: R2MessageAck
    reports: tuple[R2ReportAck, ...] = ()


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------


def _text(el: Any, name: str) -> str | None:
    return element_text(el.find(name))


def _required(el: Any, name: str, element: str) -> str:
    value = _text(el, name)
    if value is None:
        raise MalformedAckError(f"E2B(R2) ACK: {element} is missing ({el.tag}/{name})")
    return value


def _required_child(el: Any, name: str) -> Any:
    child = el.find(name)
    if child is None:
        raise MalformedAckError(f"E2B(R2) ACK: {el.tag}/{name} is missing")
    return child


def _code(el: Any, name: str, allowed: tuple[str, ...], element: str) -> str:
    code = _required(el, name, element)
    if code not in allowed:
        raise InvalidAckError(
            f"E2B(R2) ACK: {element} ({name}) is {code!r}, expected one of {', '.join(allowed)}"
        )
    return code


def _parse_report(el: Any, position: int) -> R2ReportAck:
    where = f"of reportacknowledgment #{position}"
    return R2ReportAck(
        safety_report_id=_required(el, "safetyreportid", f"B.1.2 {where}"),
        safety_report_version=_text(el, "safetyreportversion"),
        local_report_number=_text(el, "localreportnumb"),
        authority_number=_text(el, "authoritynumb"),
        company_number=_text(el, "companynumb"),
        receipt_date=_text(el, "receiptdate"),
        code=cast(R2ReportCode, _code(el, "reportacknowledgmentcode", _REPORT_CODES, "B.1.8")),
        error_message=_text(el, "errormessagecomment"),
    )


def parse_r2_ack(el: Any) -> R2Ack:
    """Read an ``ichicsrack`` element (from :func:`schemas.xml_safety.load_xml`).

    Raises :class:`MalformedAckError` when a required element is missing and
    :class:`InvalidAckError` for an acknowledgement code the DTD does not define.
    """
    if getattr(el, "tag", None) != R2_ACK_ROOT:
        raise MalformedAckError(
            f"E2B(R2) ACK: root element is {getattr(el, 'tag', el)!r}, expected {R2_ACK_ROOT!r}"
        )
    header = _required_child(el, "ichicsrmessageheader")
    acknowledgment = _required_child(el, "acknowledgment")
    message = _required_child(acknowledgment, "messageacknowledgment")
    return R2Ack(
        header=R2MessageHeader(
            message_number=_required(header, "messagenumb", "M.1.4"),
            sender=_required(header, "messagesenderidentifier", "M.1.5"),
            receiver=_required(header, "messagereceiveridentifier", "M.1.6"),
            message_date=_required(header, "messagedate", "M.1.7b"),
        ),
        acknowledgment=R2MessageAck(
            icsr_message_number=_required(message, "icsrmessagenumb", "A.1.1"),
            local_message_number=_text(message, "localmessagenumb"),
            icsr_message_sender=_required(message, "icsrmessagesenderidentifier", "A.1.3"),
            icsr_message_receiver=_required(message, "icsrmessagereceiveridentifier", "A.1.4"),
            icsr_message_date=_required(message, "icsrmessagedate", "A.1.5b"),
            code=cast(
                R2TransmissionCode,
                _code(message, "transmissionacknowledgmentcode", _TRANSMISSION_CODES, "A.1.6"),
            ),
            parsing_error_message=_text(message, "parsingerrormessage"),
        ),
        reports=tuple(
            _parse_report(report, position)
            for position, report in enumerate(
                acknowledgment.findall("reportacknowledgment"), start=1
            )
        ),
    )


# --------------------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------------------


def _add(parent: Any, name: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, name).text = value


def build_r2_ack(ack: R2Ack, *, lang: str = "en") -> Any:
    """The ``ichicsrack`` element for ``ack``; texts over 250 characters are cut.

    Serialise with :func:`schemas.e2b_ack.ack_to_bytes` (which adds the DOCTYPE).
    """
    root = etree.Element(R2_ACK_ROOT, lang=lang)
    header = etree.SubElement(root, "ichicsrmessageheader")
    _add(header, "messagetype", "ichicsrack")
    _add(header, "messageformatversion", "1.1")
    _add(header, "messageformatrelease", "1.0")
    _add(header, "messagenumb", ack.header.message_number)
    _add(header, "messagesenderidentifier", ack.header.sender)
    _add(header, "messagereceiveridentifier", ack.header.receiver)
    _add(header, "messagedateformat", "204")
    _add(header, "messagedate", ack.header.message_date)

    acknowledgment = etree.SubElement(root, "acknowledgment")
    message = etree.SubElement(acknowledgment, "messageacknowledgment")
    m = ack.acknowledgment
    _add(message, "icsrmessagenumb", m.icsr_message_number)
    _add(message, "localmessagenumb", m.local_message_number)
    _add(message, "icsrmessagesenderidentifier", m.icsr_message_sender)
    _add(message, "icsrmessagereceiveridentifier", m.icsr_message_receiver)
    _add(message, "icsrmessagedateformat", "204")
    _add(message, "icsrmessagedate", m.icsr_message_date)
    _add(message, "transmissionacknowledgmentcode", m.code)
    _add(message, "parsingerrormessage", truncate_text(m.parsing_error_message))

    for r in ack.reports:
        report = etree.SubElement(acknowledgment, "reportacknowledgment")
        _add(report, "safetyreportversion", r.safety_report_version)
        _add(report, "safetyreportid", r.safety_report_id)
        _add(report, "localreportnumb", r.local_report_number)
        _add(report, "authoritynumb", r.authority_number)
        _add(report, "companynumb", r.company_number)
        if r.receipt_date is not None:
            _add(report, "receiptdateformat", "102")
            _add(report, "receiptdate", r.receipt_date)
        _add(report, "reportacknowledgmentcode", r.code)
        _add(report, "errormessagecomment", truncate_text(r.error_message))
    return root
