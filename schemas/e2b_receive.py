"""Receiving a partner's E2B file: validate it like a regulator and build the ACK we owe.

    result = receive_r3(data, profile=Profile.ICH, schemas_dir=ich_schemas, today=day,
                        our_id="ACME", ack_message_id="ACK-0001", created=now)
    result.ack_bytes   # MCCI_IN200101UV01 for the sender; result.batch holds the ICSRs that parsed

Each ICSR is validated on its own: one broken ICSR is rejected (CR) while the others load
(CA), giving a batch code AE; AA when all load; AR when the file cannot be read, is not
schema-valid, or breaks a batch-level rule (e.g. misaddressed: N.1.4 is not ``our_id``).
ACK.B.r.7 carries the REJECT findings (warnings for a loaded ICSR), cut to 250 characters.

:func:`receive` picks the format from the root element and answers in the format received
(E2B(R2) ``ichicsr`` → ``ichicsrack`` 1.1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

from gateway.errors import DecodeError
from schemas.e2b_ack import (
    R3Ack,
    ReceivedBatch,
    ReceivedMessageResult,
    ack_for_received_r3,
    ack_to_bytes,
    build_r3_ack,
    format_hl7_ts,
)
from schemas.e2b_r3.model import R3Batch
from schemas.e2b_rules import Finding, Profile, Severity, ValidationReport, inspect_file
from schemas.e2b_rules.findings import rejects
from schemas.e2b_rules.validate import R3_ROOT, MessageEntry
from schemas.xml_safety import XMLLoadError, load_xml

__all__ = [
    "R2_ROOT",
    "ReceiveResult",
    "UnsupportedFormatError",
    "receive",
    "receive_r3",
]

#: Root of an E2B(R2) ICSR message (no namespace).
R2_ROOT: Final = "ichicsr"
_UNKNOWN: Final = "UNKNOWN"


class UnsupportedFormatError(DecodeError):
    """A well-formed E2B file in a format this gateway does not receive (yet)."""

    code = "unsupported_e2b_format"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiveResult:
    """``batch``: the received batch holding the ICSRs that parsed (None when the file could
    not be read); ``report``: every finding; ``ack_bytes``: the ACK to send back."""

    batch: R3Batch | None
    report: ValidationReport
    ack_bytes: bytes
    #: N.2.r.1 of the ICSRs loaded (CA) / rejected (CR).
    accepted: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()


def _text(findings: tuple[Finding, ...]) -> tuple[str, ...]:
    return tuple(f.ack_text() for f in findings)


def _result(entry: MessageEntry, ack_message_id: str, fallback_date: str) -> ReceivedMessageResult:
    accepted = entry.accepted
    chosen = (
        tuple(f for f in entry.findings if f.severity is Severity.WARN)
        if accepted
        else rejects(entry.findings)
    )
    return ReceivedMessageResult(
        message_id=entry.message_id,
        accepted=accepted,
        errors=_text(chosen),
        local_report_number=f"{ack_message_id}-{entry.index}" if accepted else None,
        message_date=entry.message_date or fallback_date,  # ACK.B.r.5 is required
        message_sender=entry.sender_id,
        message_receiver=entry.receiver_id,
    )


def receive_r3(
    data: bytes,
    *,
    profile: Profile | str = Profile.ICH,
    schemas_dir: Path | None,
    today: date,
    our_id: str,
    ack_message_id: str,
    created: datetime,
    root: Any | None = None,
) -> ReceiveResult:
    """Validate a received ``MCCI_IN200100UV01`` file and build its R3 acknowledgement.

    ``our_id`` is our receiver identifier (the ACK's sender; N.1.4 must name it);
    ``ack_message_id`` is ACK.M.1; ``created`` (timezone-aware) is ACK.M.4. Never raises for
    bad input bytes: they yield an AR acknowledgement. ``root``: ``data`` already loaded (see
    :func:`~schemas.e2b_rules.validate.inspect_file`).
    """
    inspection = inspect_file(data, profile, schemas_dir=schemas_dir, today=today, root=root)
    report = inspection.report
    header = inspection.header
    findings = list(report.findings)
    receiver = header.get("N.1.4")
    if receiver is not None and receiver != our_id:
        findings.insert(
            0,
            Finding(
                rule_id="RECEIVE.N.1.4.receiver",
                element_id="N.1.4",
                xpath="/MCCI_IN200100UV01/receiver/device/id/@extension",
                severity=Severity.REJECT,
                message=f"batch addressed to {receiver!r}, not to this receiver {our_id!r}",
            ),
        )
        report = ValidationReport.of(tuple(findings), tuple(report.messages))
    received = ReceivedBatch(
        batch_number=header.get("N.1.2") or _UNKNOWN,
        sender=header.get("N.1.3") or _UNKNOWN,
        receiver=our_id,
        transmission_date=header.get("N.1.5") or _UNKNOWN,
    )
    batch_rejects = tuple(f for f in findings if f.is_reject and f.message_id is None)
    if batch_rejects or not inspection.entries:
        reason = "; ".join(_text(batch_rejects)) or "the batch holds no ICSR message"
        ack = ack_for_received_r3(
            received, (), ack_message_id=ack_message_id, created=created, parse_error=reason
        )
        if header.get("N.1.5") is None:  # ACK.A.3 is optional: omit rather than invent it
            ack = replace(ack, batch_transmission_date=None)
        return ReceiveResult(batch=inspection.batch, report=report, ack_bytes=_bytes(ack))
    fallback = header.get("N.1.5") or format_hl7_ts(created)
    results = tuple(_result(e, ack_message_id, fallback) for e in inspection.entries)
    ack = ack_for_received_r3(received, results, ack_message_id=ack_message_id, created=created)
    return ReceiveResult(
        batch=inspection.batch,
        report=report,
        ack_bytes=_bytes(ack),
        accepted=tuple(r.message_id for r in results if r.accepted),
        rejected=tuple(r.message_id for r in results if not r.accepted),
    )


def _bytes(ack: R3Ack) -> bytes:
    return ack_to_bytes(build_r3_ack(ack))


def receive(
    data: bytes,
    *,
    profile: Profile | str = Profile.ICH,
    schemas_dir: Path | None,
    today: date,
    our_id: str,
    ack_message_id: str,
    created: datetime,
    r2_dtd: Path | None = None,
    root: Any | None = None,
) -> ReceiveResult:
    """Receive an E2B file of either format, dispatching on its root element.

    E2B(R3) (``MCCI_IN200100UV01``) goes to :func:`receive_r3` and is answered with an R3
    ACK; E2B(R2) (``ichicsr``) to :func:`schemas.e2b_receive_r2.receive_r2`, answered with an
    ``ichicsrack`` (checked against ``r2_dtd`` when given). Bytes that cannot be loaded at all
    are answered as R3 (AR acknowledgement). ``root``: ``data`` as the caller already loaded
    it with :func:`load_xml` and the default limits, saving a second parse of a large file.
    """
    if root is None:
        try:
            root = load_xml(data, expected_roots=(R3_ROOT, R2_ROOT))
        except XMLLoadError:
            root = None
    if root is not None and root.tag == R2_ROOT:
        from schemas.e2b_receive_r2 import receive_r2

        report, ack_bytes, accepted, rejected = receive_r2(
            data,
            profile=profile,
            dtd=r2_dtd,
            today=today,
            our_id=our_id,
            ack_message_number=ack_message_id,
            created=created,
        )
        return ReceiveResult(
            batch=None, report=report, ack_bytes=ack_bytes, accepted=accepted, rejected=rejected
        )
    return receive_r3(
        data,
        profile=profile,
        schemas_dir=schemas_dir,
        today=today,
        our_id=our_id,
        ack_message_id=ack_message_id,
        created=created,
        root=root,
    )
