"""A format-neutral view of an acknowledgement, for routing it back to the submission.

R3 and R2 ACKs map onto one :class:`AckSummary`:

=================  ==============================  =========================================
summary            E2B(R3)                         E2B(R2)
=================  ==============================  =========================================
batch_number       ACK.A.1 (our N.1.2)             A.1.1 icsrmessagenumb (our M.1.4)
batch_code         ACK.A.4 AA/AE/AR                A.1.6 01/02/03 -> AA/AE/AR
batch_text         ACK.A.5                         A.1.7 parsingerrormessage
item.message_id    ACK.B.r.1 (our N.2.r.1/C.1.1)   B.1.2 safetyreportid (C.1.1)
item.message_date  ACK.B.r.5 (our N.2.r.4)         A.1.5b icsrmessagedate (our M.1.7b)
item.local_...     ACK.B.r.2                       B.1.3 localreportnumb
item.code          ACK.B.r.6 CA/CR                 B.1.8 01 -> CA, anything else -> CR
item.error_text    ACK.B.r.7                       B.1.9 errormessagecomment
=================  ==============================  =========================================

The correlation key of an item is ``(batch_number, message_id, message_date)``; see
:meth:`AckSummary.correlation_keys`. The per-item code is authoritative for that ICSR.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

from schemas.e2b_ack._common import AckBatchCode, AckItemCode, MalformedAckError
from schemas.e2b_ack.r2 import R2_ACK_ROOT, R2Ack, parse_r2_ack
from schemas.e2b_ack.r3 import R3_ACK_ROOT, R3Ack, parse_r3_ack
from schemas.xml_safety import DEFAULT_MAX_BYTES, load_xml

__all__ = [
    "ACK_ROOTS",
    "AckFormat",
    "AckItemSummary",
    "AckSummary",
    "CorrelationKey",
    "load_ack",
    "parse_ack",
    "summarize",
]

AckFormat = Literal["E2B_R3", "E2B_R2"]

#: Root elements :func:`parse_ack` accepts (Clark notation).
ACK_ROOTS: Final = frozenset({R3_ACK_ROOT, R2_ACK_ROOT})

_R2_BATCH_CODES: Final[dict[str, AckBatchCode]] = {"01": "AA", "02": "AE", "03": "AR"}


class CorrelationKey(NamedTuple):
    """What ties an ACK item to the ICSR message we sent."""

    batch_number: str
    message_id: str
    message_date: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AckItemSummary:
    """The verdict on one ICSR."""

    message_id: str
    message_date: str
    local_report_number: str | None
    code: AckItemCode
    error_text: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AckSummary:
    """The verdict on one batch (R3) or message (R2), with one item per ICSR."""

    format: AckFormat
    batch_number: str
    batch_code: AckBatchCode
    batch_text: str | None
    items: tuple[AckItemSummary, ...]
    #: The ACK's own id (ACK.M.1 / M.1.4): the same id twice is the same ACK again.
    ack_message_id: str | None = None
    #: Who sent the ACK (ACK.M.2 / M.1.5) and to whom (ACK.M.3 / M.1.6).
    sender: str | None = None
    receiver: str | None = None

    def correlation_key(self, item: AckItemSummary) -> CorrelationKey:
        return CorrelationKey(self.batch_number, item.message_id, item.message_date)

    @property
    def correlation_keys(self) -> tuple[CorrelationKey, ...]:
        """``(batch_number, message_id, message_date)`` of each item, in item order."""
        return tuple(self.correlation_key(item) for item in self.items)


def _summarize_r3(ack: R3Ack) -> AckSummary:
    return AckSummary(
        format="E2B_R3",
        batch_number=ack.batch_number,
        batch_code=ack.code,
        batch_text=ack.text,
        items=tuple(
            AckItemSummary(
                message_id=item.message_id,
                message_date=item.message_date,
                local_report_number=item.local_report_number,
                code=item.code,
                error_text=item.text,
            )
            for item in ack.items
        ),
        ack_message_id=ack.message_id,
        sender=ack.sender,
        receiver=ack.receiver,
    )


def _summarize_r2(ack: R2Ack) -> AckSummary:
    message = ack.acknowledgment
    return AckSummary(
        format="E2B_R2",
        batch_number=message.icsr_message_number,
        batch_code=_R2_BATCH_CODES[message.code],
        batch_text=message.parsing_error_message,
        items=tuple(
            AckItemSummary(
                message_id=report.safety_report_id,
                message_date=message.icsr_message_date,
                local_report_number=report.local_report_number,
                code="CA" if report.code == "01" else "CR",
                error_text=report.error_message,
            )
            for report in ack.reports
        ),
        ack_message_id=ack.header.message_number,
        sender=ack.header.sender,
        receiver=ack.header.receiver,
    )


def summarize(ack: R3Ack | R2Ack) -> AckSummary:
    """The format-neutral view of a parsed R3 or R2 acknowledgement."""
    if isinstance(ack, R3Ack):
        return _summarize_r3(ack)
    return _summarize_r2(ack)


def load_ack(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> R3Ack | R2Ack:
    """Parse untrusted ACK bytes (R3 or R2, told apart by the root element) in full detail.

    Raises the :mod:`schemas.xml_safety` errors for unsafe or malformed XML (including
    :class:`~schemas.xml_safety.UnexpectedRootError` for a document that is not an ACK) and
    :class:`MalformedAckError` / :class:`InvalidAckError` for an unusable ACK.
    """
    root = load_xml(data, max_bytes=max_bytes, expected_roots=ACK_ROOTS)
    if root.tag == R3_ACK_ROOT:
        return parse_r3_ack(root)
    if root.tag == R2_ACK_ROOT:
        return parse_r2_ack(root)
    raise MalformedAckError(f"not an acknowledgement: root {root.tag!r}")  # pragma: no cover


def parse_ack(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> AckSummary:
    """Parse untrusted ACK bytes (R3 or R2, detected by root element) into an AckSummary."""
    return summarize(load_ack(data, max_bytes=max_bytes))
