"""Importing a partner's E2B file: each ICSR validated on its own, the loaded ones become
cases, the rejected ones triage items, and the ACK a regulator would send is built."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from channels.parsing.inbound import R2_ROOT, R3_ROOT, StructuredReport, TriageNote
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


def _addressee(data: bytes) -> str | None:
    """N.1.4 (R3) or M.1.6 (R2) of a file, when it can be read at all."""
    try:
        root = load_xml(data, expected_roots={R3_ROOT, R2_ROOT})
    except XMLLoadError:
        return None
    if root.tag == R2_ROOT:
        value = root.findtext("ichicsrmessageheader/messagereceiveridentifier")
    else:
        found = root.find("{urn:hl7-org:v3}receiver/{urn:hl7-org:v3}device/{urn:hl7-org:v3}id")
        value = found.get("extension") if found is not None else None
    return value.strip() if value else None


def _report_key(sender: str | None, report_id: str | None, created: object) -> str:
    """The exact identity of one report version: the sender's C.1.1 at its C.1.2.

    C.1.1 stays the same across a sender's follow-ups, so it is paired with the creation
    date; message ids alone are not unique across senders (and FDA's samples reuse one).
    """
    return f"e2b:{sender or '?'}:{report_id or '?'}@{created}"


def import_e2b(
    data: bytes,
    *,
    received_at: datetime,
    our_ids: tuple[str, ...],
    profile: str,
    schemas_dir: Path | None,
    r2_dtd: Path | None,
) -> E2BImport:
    addressee = _addressee(data)
    our_id = addressee if addressee in our_ids else our_ids[0]
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
                report_id = message.icsr.report.safety_report_id or message.message_id
                created = message.icsr.report.created_at or message.created_at
                key = _report_key(sender, report_id, created)
                # C.1.8.1 is shared by follow-ups: a blocking key for the duplicate search
                # (a person decides), not an exact identity.
                reports.append(StructuredReport(message.icsr, "E2B_R3", (key,)))
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
                    created = report.icsr.report.created_at or message2.header.date
                    reports.append(
                        StructuredReport(
                            report.icsr,
                            "E2B_R2",
                            (_report_key(sender, rid, created),),
                            tuple(f"{x.element_id}: {x.reason}" for x in report.not_carried),
                        )
                    )
    # Refused as a whole (unreadable, or a batch-level reject such as a misaddressed N.1.4,
    # where the batch was read): no ICSR was loaded or rejected, so say why.
    if not result.accepted and not result.rejected:
        reason = "; ".join(f.ack_text() for f in result.report.findings[:5]) or "unreadable"
        triage.append(TriageNote("e2b_unreadable", f"the E2B file could not be loaded: {reason}"))
    return E2BImport(tuple(reports), tuple(triage), result.ack_bytes, sender)
