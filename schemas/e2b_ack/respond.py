"""Build the acknowledgement a receiver sends back for an E2B file it received.

The E2B receiving side decides, per ICSR, whether it was loaded; these helpers turn that
into the ACK in the sender's format (a partner expects its ACK in the format it sent):

* no results and a ``parse_error``: the file could not be read (R3 AR / R2 03), no items;
* every ICSR accepted: AA / 01; otherwise AE / 02 with CR / 02 for the rejected ones.

Error and warning texts are joined with ``"; "`` and cut to 250 characters. The inputs are
plain dataclasses so the helpers do not depend on any particular E2B parser.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from schemas.e2b_ack._common import AckBatchCode, format_hl7_ts, truncate_text
from schemas.e2b_ack.r2 import (
    R2Ack,
    R2MessageAck,
    R2MessageHeader,
    R2ReportAck,
    R2TransmissionCode,
)
from schemas.e2b_ack.r3 import R3Ack, R3AckItem

__all__ = [
    "BATCH_TEXTS",
    "ReceivedBatch",
    "ReceivedMessageResult",
    "ack_for_received_r2",
    "ack_for_received_r3",
]

#: Default ACK.A.5 texts for accepted batches and batches with rejected ICSRs.
BATCH_TEXTS: Final[dict[AckBatchCode, str]] = {
    "AA": "All ICSR messages loaded successfully",
    "AE": "Some ICSR message(s) need further action",
    "AR": "Batch rejected: it could not be parsed",
}
_REJECTED_TEXT: Final = "ICSR message not loaded"
_R2_TRANSMISSION_CODES: Final[dict[AckBatchCode, R2TransmissionCode]] = {
    "AA": "01",
    "AE": "02",
    "AR": "03",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedBatch:
    """The header of the received file.

    R3: N.1.2 batch number, N.1.3 sender, N.1.4 receiver, N.1.5 date (HL7 TS).
    R2: M.1.4 messagenumb, M.1.5 sender, M.1.6 receiver, M.1.7b date (CCYYMMDDHHMMSS).
    """

    batch_number: str
    sender: str
    receiver: str
    transmission_date: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedMessageResult:
    """What the receiver made of one ICSR of the file."""

    #: R3 N.2.r.1 (= C.1.1) / R2 safetyreportid.
    message_id: str
    #: True if the ICSR was loaded (CA / 01).
    accepted: bool
    #: Error texts (rejected) or warnings (accepted); joined and cut to 250 characters.
    errors: tuple[str, ...] = ()
    #: The receiver's own number for the report (ACK.B.r.2 / B.1.3).
    local_report_number: str | None = None
    #: R3 N.2.r.4 date of message creation, echoed as ACK.B.r.5 (required for R3).
    message_date: str | None = None
    #: R3 N.2.r.2 / N.2.r.3 message sender and receiver; default to the batch's.
    message_sender: str | None = None
    message_receiver: str | None = None
    #: R2 only: echoed report identification (B.1.1, B.1.4, B.1.5, B.1.7b).
    safety_report_version: str | None = None
    authority_number: str | None = None
    company_number: str | None = None
    receipt_date: str | None = None

    @property
    def text(self) -> str | None:
        joined = "; ".join(e.strip() for e in self.errors if e.strip())
        if not joined and not self.accepted:
            joined = _REJECTED_TEXT
        return truncate_text(joined)


def _batch_code(
    results: tuple[ReceivedMessageResult, ...], parse_error: str | None
) -> AckBatchCode:
    if parse_error is not None:
        if results:
            raise ValueError("a batch that could not be parsed has no per-ICSR results")
        return "AR"
    if not results:
        raise ValueError("no per-ICSR results: pass parse_error to reject the whole file")
    return "AA" if all(r.accepted for r in results) else "AE"


def ack_for_received_r3(
    batch: ReceivedBatch,
    results: Iterable[ReceivedMessageResult],
    *,
    ack_message_id: str,
    created: datetime,
    local_message_number: str | None = None,
    parse_error: str | None = None,
    batch_text: str | None = None,
) -> R3Ack:
    """The E2B(R3) ACK for a received batch (build it with :func:`build_r3_ack`).

    ``ack_message_id`` is ACK.M.1, ``created`` (timezone-aware) ACK.M.4. The ACK goes from
    the batch's receiver back to its sender.
    """
    items = tuple(results)
    code = _batch_code(items, parse_error)
    missing = [r.message_id for r in items if r.message_date is None]
    if missing:
        raise ValueError(f"ACK.B.r.5 needs the N.2.r.4 message date of {', '.join(missing)}")
    text = parse_error if code == "AR" else batch_text or BATCH_TEXTS[code]
    return R3Ack(
        message_id=ack_message_id,
        creation_time=format_hl7_ts(created),
        sender=batch.receiver,
        receiver=batch.sender,
        batch_number=batch.batch_number,
        local_message_number=local_message_number,
        batch_transmission_date=batch.transmission_date,
        code=code,
        text=truncate_text(text),
        items=tuple(
            R3AckItem(
                message_id=r.message_id,
                local_report_number=r.local_report_number,
                ack_receiver=r.message_sender or batch.sender,
                ack_sender=r.message_receiver or batch.receiver,
                message_date=r.message_date or "",
                code="CA" if r.accepted else "CR",
                text=r.text,
            )
            for r in items
        ),
    )


def ack_for_received_r2(
    batch: ReceivedBatch,
    results: Iterable[ReceivedMessageResult],
    *,
    ack_message_number: str,
    created: datetime,
    local_message_number: str | None = None,
    parse_error: str | None = None,
) -> R2Ack:
    """The E2B(R2) ``ichicsrack`` for a received message (build it with :func:`build_r2_ack`).

    ``ack_message_number`` is M.1.4; ``created`` (timezone-aware) gives M.1.7b in its own
    timezone (R2 dates carry no offset).
    """
    reports = tuple(results)
    code = _batch_code(reports, parse_error)
    if created.tzinfo is None or created.utcoffset() is None:
        raise ValueError("an acknowledgement time must be timezone-aware")
    return R2Ack(
        header=R2MessageHeader(
            message_number=ack_message_number,
            sender=batch.receiver,
            receiver=batch.sender,
            message_date=created.strftime("%Y%m%d%H%M%S"),
        ),
        acknowledgment=R2MessageAck(
            icsr_message_number=batch.batch_number,
            local_message_number=local_message_number,
            icsr_message_sender=batch.sender,
            icsr_message_receiver=batch.receiver,
            icsr_message_date=batch.transmission_date,
            code=_R2_TRANSMISSION_CODES[code],
            parsing_error_message=truncate_text(parse_error),
        ),
        reports=tuple(
            R2ReportAck(
                safety_report_id=r.message_id,
                safety_report_version=r.safety_report_version,
                local_report_number=r.local_report_number,
                authority_number=r.authority_number,
                company_number=r.company_number,
                receipt_date=r.receipt_date,
                code="01" if r.accepted else "02",
                error_message=r.text,
            )
            for r in reports
        ),
    )
