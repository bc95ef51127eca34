"""Receiving a partner's E2B(R2) ``ichicsr`` file: validate, then build the R2 ACK we owe.

Each safety report is checked on its own with the same business rules as E2B(R3) (the
report is carried through the domain model into an R3 batch for that), so one broken report
is not loaded (``02``) while the others are (``01``); the transmission code is ``01`` when
every report loads, ``02`` when some do not, and ``03`` when the file cannot be read, is not
valid against the ICH DTD (when one is configured) or holds no report.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from schemas.e2b_ack import (
    ReceivedBatch,
    ReceivedMessageResult,
    ack_for_received_r2,
    ack_to_bytes,
    build_r2_ack,
)
from schemas.e2b_convert import r2_to_r3
from schemas.e2b_r2 import E2BR2Error, parse_r2
from schemas.e2b_rules import Finding, Profile, Severity, ValidationReport, validate_batch
from schemas.e2b_rules.findings import rejects
from schemas.xml_safety import XMLLoadError, load_dtd, load_xml, validate_dtd

R2_ROOT = "ichicsr"
_UNKNOWN = "UNKNOWN"

#: E2B(R3) rules about what R2 cannot express, so an R2 sender cannot break them: R2 dates
#: carry no time (format 102) and R2 has no "other case identifiers exist" flag (C.1.9.1).
R3_ONLY_RULES = frozenset(
    {
        "ICH.N.1.5.precision",
        "ICH.N.2.r.4.precision",
        "ICH.C.1.2.precision",
        "ICH.C.1.9.1.required",
        "ICH.N.2.r.1.consistency",
    }
)


def _batch_finding(rule_id: str, message: str, line: int | None = None) -> Finding:
    return Finding(
        rule_id=rule_id,
        element_id="M.1",
        xpath="/ichicsr",
        severity=Severity.REJECT,
        message=message,
        line=line,
    )


def receive_r2(
    data: bytes,
    *,
    profile: Profile | str = Profile.ICH,
    dtd: Path | None,
    today: date,
    our_id: str,
    ack_message_number: str,
    created: datetime,
) -> tuple[ValidationReport, bytes, tuple[str, ...], tuple[str, ...]]:
    """Validate an ``ichicsr`` file; return (report, ACK bytes, accepted ids, rejected ids).

    Never raises for bad input bytes: they yield a ``03`` acknowledgement.
    """

    def refuse(
        findings: tuple[Finding, ...], header: ReceivedBatch
    ) -> tuple[ValidationReport, bytes, tuple[str, ...], tuple[str, ...]]:
        reason = "; ".join(f.ack_text() for f in findings)
        ack = ack_for_received_r2(
            header,
            (),
            ack_message_number=ack_message_number,
            created=created,
            parse_error=reason,
        )
        return ValidationReport.of(findings), ack_to_bytes(build_r2_ack(ack)), (), ()

    unknown = ReceivedBatch(
        batch_number=_UNKNOWN, sender=_UNKNOWN, receiver=our_id, transmission_date=_UNKNOWN
    )
    try:
        root = load_xml(data, expected_roots={R2_ROOT})
    except XMLLoadError as exc:
        return refuse((_batch_finding("LOAD", f"XML refused: {exc}"),), unknown)
    if dtd is not None:
        problems = validate_dtd(root, load_dtd(dtd))
        if problems:
            return refuse(
                tuple(_batch_finding("DTD", msg, line) for line, msg in problems), unknown
            )
    try:
        message = parse_r2(root)
    except (E2BR2Error, ValueError) as exc:
        return refuse((_batch_finding("PARSE", str(exc)),), unknown)
    header = ReceivedBatch(
        batch_number=message.header.message_number,
        sender=message.header.sender_id,
        receiver=our_id,
        transmission_date=message.header.date.format()[:14],
    )
    if message.header.receiver_id != our_id:
        return refuse(
            (
                _batch_finding(
                    "RECEIVE.M.1.6.receiver",
                    f"message addressed to {message.header.receiver_id!r}, "
                    f"not to this receiver {our_id!r}",
                ),
            ),
            header,
        )
    converted = r2_to_r3(message).value
    findings = tuple(
        f for f in validate_batch(converted, profile, today=today) if f.rule_id not in R3_ONLY_RULES
    )
    results = []
    for n, (report, r3_message) in enumerate(
        zip(message.reports, converted.messages, strict=True), start=1
    ):
        own = tuple(f for f in findings if f.message_id == r3_message.message_id)
        bad = rejects(own)
        report_id = report.icsr.report.safety_report_id or r3_message.message_id
        results.append(
            ReceivedMessageResult(
                message_id=report_id,
                accepted=not bad,
                errors=tuple(f.ack_text() for f in (bad or own)),
                local_report_number=None if bad else f"{ack_message_number}-{n}",
            )
        )
    ack = ack_for_received_r2(
        header, results, ack_message_number=ack_message_number, created=created
    )
    return (
        ValidationReport.of(findings, tuple(m.message_id for m in converted.messages)),
        ack_to_bytes(build_r2_ack(ack)),
        tuple(r.message_id for r in results if r.accepted),
        tuple(r.message_id for r in results if not r.accepted),
    )
