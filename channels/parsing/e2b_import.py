"""Importing a partner's E2B file: each ICSR validated on its own, the loaded ones become
cases, the rejected ones triage items, and the ACK a regulator would send is built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from channels.parsing.inbound import R2_ROOT, StructuredReport, TriageNote
from gateway.ids import new_id
from schemas.e2b_r2 import parse_r2
from schemas.e2b_receive import receive
from schemas.xml_safety import XMLLoadError, load_xml


@dataclass(frozen=True, slots=True)
class E2BImport:
    reports: tuple[StructuredReport, ...]
    triage: tuple[TriageNote, ...]
    ack: bytes
    sender: str | None


def import_e2b(
    data: bytes,
    *,
    received_at: datetime,
    our_id: str,
    profile: str,
    schemas_dir: Path | None,
    r2_dtd: Path | None,
) -> E2BImport:
    result = receive(
        data,
        profile=profile,
        schemas_dir=schemas_dir,
        today=received_at.date(),
        our_id=our_id,
        ack_message_id=new_id("ACK"),
        created=received_at,
        r2_dtd=r2_dtd,
    )
    triage = [
        TriageNote(
            "e2b_rejected",
            f"ICSR {message_id} was not loaded: it breaks reject rules",
            {"findings": [f.ack_text() for f in result.report.messages.get(message_id, ())]},
        )
        for message_id in result.rejected
    ]
    reports: list[StructuredReport] = []
    sender: str | None = None
    if result.batch is not None:
        sender = result.batch.sender_id
        accepted = set(result.accepted)
        for message in result.batch.messages:
            if message.message_id in accepted:
                ids = [f"e2b:{message.message_id}"]
                if message.icsr.report.worldwide_case_id:
                    ids.append(f"wwid:{message.icsr.report.worldwide_case_id}")
                reports.append(StructuredReport(message.icsr, "E2B_R3", tuple(ids)))
    elif result.accepted:
        try:
            message2 = parse_r2(load_xml(data, expected_roots={R2_ROOT}))
        except (XMLLoadError, ValueError) as exc:  # received once already: should not happen
            triage.append(
                TriageNote("e2b_unreadable", f"E2B(R2) file could not be read again: {exc}")
            )
        else:
            sender = message2.header.sender_id
            accepted = set(result.accepted)
            for report in message2.reports:
                rid = report.icsr.report.safety_report_id
                if rid in accepted:
                    ids = [f"e2b:{rid}"]
                    if report.icsr.report.worldwide_case_id:
                        ids.append(f"wwid:{report.icsr.report.worldwide_case_id}")
                    reports.append(
                        StructuredReport(
                            report.icsr,
                            "E2B_R2",
                            tuple(ids),
                            tuple(f"{x.element_id}: {x.reason}" for x in report.not_carried),
                        )
                    )
    if not result.batch and not result.accepted and not result.rejected:
        reason = "; ".join(f.ack_text() for f in result.report.findings[:5]) or "unreadable"
        triage.append(TriageNote("e2b_unreadable", f"the E2B file could not be loaded: {reason}"))
    return E2BImport(tuple(reports), tuple(triage), result.ack_bytes, sender)
