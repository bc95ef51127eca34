"""E2B acknowledgements: build and parse E2B(R3) ``MCCI_IN200101UV01`` and E2B(R2)
``ichicsrack`` 1.1, and a format-neutral :class:`AckSummary` for routing.

Reading an ACK from a regulator or partner::

    summary = parse_ack(data)            # R3 or R2, detected by root; hostile XML refused
    for key, item in zip(summary.correlation_keys, summary.items):
        ...                              # key = (batch_number, message_id, message_date)

Sending one for a file we received::

    ack = ack_for_received_r3(batch, results, ack_message_id=..., created=now)
    data = ack_to_bytes(build_r3_ack(ack))
"""

from __future__ import annotations

from typing import Any

from schemas.e2b_ack._common import (
    MAX_TEXT_LENGTH,
    TRUNCATION_NOTE,
    AckBatchCode,
    AckItemCode,
    InvalidAckError,
    MalformedAckError,
    format_hl7_ts,
    to_xml_bytes,
    truncate_text,
)
from schemas.e2b_ack.r2 import (
    R2_ACK_ROOT,
    R2_ACK_SYSTEM_ID,
    R2Ack,
    R2MessageAck,
    R2MessageHeader,
    R2ReportAck,
    R2ReportCode,
    R2TransmissionCode,
    build_r2_ack,
    parse_r2_ack,
)
from schemas.e2b_ack.r3 import R3_ACK_ROOT, R3Ack, R3AckItem, build_r3_ack, parse_r3_ack
from schemas.e2b_ack.respond import (
    ReceivedBatch,
    ReceivedMessageResult,
    ack_for_received_r2,
    ack_for_received_r3,
)
from schemas.e2b_ack.summary import (
    ACK_ROOTS,
    AckFormat,
    AckItemSummary,
    AckSummary,
    CorrelationKey,
    load_ack,
    parse_ack,
    summarize,
)

__all__ = [
    "ACK_ROOTS",
    "MAX_TEXT_LENGTH",
    "R2_ACK_ROOT",
    "R2_ACK_SYSTEM_ID",
    "R3_ACK_ROOT",
    "TRUNCATION_NOTE",
    "AckBatchCode",
    "AckFormat",
    "AckItemCode",
    "AckItemSummary",
    "AckSummary",
    "CorrelationKey",
    "InvalidAckError",
    "MalformedAckError",
    "R2Ack",
    "R2MessageAck",
    "R2MessageHeader",
    "R2ReportAck",
    "R2ReportCode",
    "R2TransmissionCode",
    "R3Ack",
    "R3AckItem",
    "ReceivedBatch",
    "ReceivedMessageResult",
    "ack_for_received_r2",
    "ack_for_received_r3",
    "ack_to_bytes",
    "build_r2_ack",
    "build_r3_ack",
    "format_hl7_ts",
    "load_ack",
    "parse_ack",
    "parse_r2_ack",
    "parse_r3_ack",
    "summarize",
    "truncate_text",
]


def ack_to_bytes(root: Any, *, r2_system_id: str = R2_ACK_SYSTEM_ID) -> bytes:
    """Serialise a built ACK as UTF-8 with an XML declaration.

    An R2 ``ichicsrack`` gets ``<!DOCTYPE ichicsrack SYSTEM "...">`` (pass the system id your
    partner expects, e.g. its regional DTD URL); an R3 ACK gets no DOCTYPE.
    """
    doctype = None
    if root.tag == R2_ACK_ROOT:
        doctype = f'<!DOCTYPE {R2_ACK_ROOT} SYSTEM "{r2_system_id}">'
    return to_xml_bytes(root, doctype=doctype)
