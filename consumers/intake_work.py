"""The work intake does for one inbound record, before the store transaction (pure): read
the format, assess each report, and build the rows of each new case and the E2B
acknowledgements owed to partners (written only once the record's transaction commits)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from channels.parsing.e2b_import import import_e2b
from channels.parsing.email_mime import Attachment
from channels.parsing.inbound import StructuredReport, TextReport, TriageNote, extract
from gateway.domain.case import Case, Provenance
from gateway.domain.duplicates import CaseFacts, blocking_keys, facts_of
from gateway.domain.intake import Assessment, IntakeReferences, assess, assess_text
from gateway.domain.normaliser import ChannelContext
from gateway.ids import new_id
from gateway.logs import get_logger
from gateway.store import cases
from gateway.store.audit import AuditEntry
from gateway.store.outbox import OutboxMessage
from schemas.avro import AvroCodec, SchemaName

log = get_logger(__name__)
ACTOR = "consumer:intake"


@dataclass(frozen=True, slots=True)
class E2BSettings:
    receiver_ids: tuple[str, ...] = ("ICSRGATEWAY",)
    profile: str = "ich"
    schemas_dir: Path | None = None
    r2_dtd: Path | None = None
    ack_partners: frozenset[str] = frozenset()
    ack_dir: Path | None = None
    max_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RawInbound:
    inbound_id: str
    channel: str
    content_type: str
    payload: bytes
    received_at: datetime


@dataclass(frozen=True, slots=True)
class NewCase:
    """A case ready to be written: rows, keys, event, audit, and what to check it against."""

    case_id: str
    rows: cases.NewCaseRows
    id_keys: frozenset[str]  # exact identifiers of the source (C.1.1, message ids …)
    blocking: frozenset[str]
    facts: CaseFacts
    #: the facts of the case as read back from the store (no source ids or contact of the
    #: channel): what duplicate search compares later cases against
    stored_facts: CaseFacts
    event: OutboxMessage
    audits: tuple[AuditEntry, ...]
    review: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AckFile:
    """An E2B acknowledgement for a partner, to be written to the ACK folder."""

    path: Path
    inbound_id: str
    data: bytes

    def write(self) -> None:
        """Write under a temporary name, then rename: a partner collecting the folder never
        sees half a file, and writing it again replaces it rather than adding one."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        partial.write_bytes(self.data)
        os.replace(partial, self.path)
        log.info("E2B acknowledgement written", inbound_id=self.inbound_id, file=self.path.name)


@dataclass(frozen=True, slots=True)
class RecordWork:
    cases: tuple[NewCase, ...] = ()
    triage: tuple[TriageNote, ...] = ()
    documents: tuple[Attachment, ...] = ()
    not_a_report: bool = False
    notes: tuple[str, ...] = field(default=())
    #: owed to partners once the record's transaction has committed, never before
    acks: tuple[AckFile, ...] = ()


def _case_event(
    codec: AvroCodec, topic: str, case: Case, now: datetime, inbound_id: str, reason: str
) -> OutboxMessage:
    event_id = new_id("EV")
    value = codec.encode(
        SchemaName.CASE_EVENT,
        {
            "event_id": event_id,
            "case_id": case.case_id,
            "version": case.current.number,
            "event_type": "CASE_RECEIVED",
            "state": case.state.value,
            "occurred_at": now,
            "actor": ACTOR,
            "reason": reason,
            "source_inbound_id": inbound_id,
            "significant": True,
        },
    )
    return OutboxMessage(event_id=event_id, topic=topic, key=case.case_id.encode(), value=value)


class IntakeWork:
    def __init__(
        self, codec: AvroCodec, case_topic: str, refs: IntakeReferences, e2b: E2BSettings
    ) -> None:
        self._codec = codec
        self._case_topic = case_topic
        self._refs = refs
        self._e2b = e2b

    def __call__(self, raw: RawInbound, now: datetime) -> RecordWork:
        extraction = extract(raw.channel, raw.content_type, raw.payload)
        if extraction.not_a_report:
            return RecordWork(not_a_report=True)
        reports: list[TextReport | StructuredReport] = list(extraction.reports)
        triage = list(extraction.triage)
        acks: list[AckFile] = []
        for n, e2b_file in enumerate(extraction.e2b_files):
            imported = import_e2b(
                e2b_file.data,
                received_at=raw.received_at,
                our_ids=self._e2b.receiver_ids,
                profile=self._e2b.profile,
                schemas_dir=self._e2b.schemas_dir,
                r2_dtd=self._e2b.r2_dtd,
            )
            reports.extend(imported.reports)
            triage.extend(imported.triage)
            ack = self._ack(raw, n, imported.sender, imported.ack)
            if ack is not None:
                acks.append(ack)
        new = tuple(self._new_case(raw, report, now) for report in reports)
        if not new and not triage and not extraction.documents:
            triage.append(
                TriageNote("no_report", "nothing in the message could be read as a report")
            )
        return RecordWork(
            cases=new, triage=tuple(triage), documents=extraction.documents, acks=tuple(acks)
        )

    def _ack(self, raw: RawInbound, n: int, sender: str | None, ack: bytes) -> AckFile | None:
        if self._e2b.ack_dir is None or sender is None or sender not in self._e2b.ack_partners:
            return None
        # A deterministic name: should it be written again, it replaces the same file.
        path = self._e2b.ack_dir / f"ack-{raw.inbound_id}-{n + 1}.xml"
        return AckFile(path=path, inbound_id=raw.inbound_id, data=ack)

    def _assess(self, raw: RawInbound, report: TextReport | StructuredReport) -> Assessment:
        if isinstance(report, TextReport):
            context = ChannelContext(
                channel=raw.channel,
                received_at=raw.received_at,
                sender_address=report.sender_address,
                sender_phone=report.sender_phone,
                display_name=report.display_name,
            )
            return assess_text(report.text, context=context, refs=self._refs)
        return assess(
            report.icsr,
            channel=raw.channel,
            received_at=raw.received_at,
            refs=self._refs,
            from_form=report.origin == "WEB_FORM",
        )

    def _new_case(
        self, raw: RawInbound, report: TextReport | StructuredReport, now: datetime
    ) -> NewCase:
        assessment = self._assess(raw, report)
        case_id = new_id("C")
        reason = f"report received on channel {raw.channel}; {assessment.summary()}"
        case = Case.open(
            case_id,
            assessment.icsr,
            Provenance(
                actor=ACTOR,
                action="case.received",
                at=raw.received_at,
                reason=reason,
                source_ref=raw.inbound_id,
            ),
            state=assessment.state,
        )
        contact = (
            report.sender_address or report.sender_phone if isinstance(report, TextReport) else None
        )
        id_keys = frozenset(f"id:{s}" for s in report.source_ids)
        facts = facts_of(
            case_id, assessment.icsr, source_ids=report.source_ids, reporter_contact=contact
        )
        validity = assessment.validity
        decision = cases.IntakeDecision(
            channel=raw.channel,
            valid=validity.valid,
            missing_criteria=tuple(c.name for c in validity.missing),
            day_zero=assessment.day_zero,
            serious=assessment.classification.serious,
            expedited=assessment.classification.expedited,
        )
        audits = [
            AuditEntry(
                at=now,
                actor=ACTOR,
                action="case.received",
                entity_type="case",
                entity_id=case_id,
                reason=f"report received on channel {raw.channel}",
                detail={"inbound_id": raw.inbound_id},
            ),
            AuditEntry(
                at=now,
                actor=ACTOR,
                action="validity.assessed",
                entity_type="case",
                entity_id=case_id,
                reason=assessment.summary(),
                detail=assessment.audit_detail(),
            ),
        ]
        if isinstance(report, StructuredReport) and report.not_carried:
            audits.append(
                AuditEntry(
                    at=now,
                    actor=ACTOR,
                    action="import.not_carried",
                    entity_type="case",
                    entity_id=case_id,
                    reason=f"{report.origin} values the case model does not carry",
                    detail={"values": list(report.not_carried)},
                )
            )
        return NewCase(
            case_id=case_id,
            rows=cases.rows_for_new([(case, raw.inbound_id)], decision),
            id_keys=id_keys,
            blocking=frozenset(blocking_keys(facts)) - id_keys,
            facts=facts,
            stored_facts=facts_of(case_id, case.current.icsr),
            event=_case_event(self._codec, self._case_topic, case, now, raw.inbound_id, reason),
            audits=tuple(audits),
            review=assessment.review,
        )


def document_row(inbound_id: str, document: Attachment, now: datetime) -> dict[str, object]:
    return {
        "id": "DOC" + hashlib.sha256(f"{inbound_id}|{document.sha256}".encode()).hexdigest()[:40],
        "inbound_id": inbound_id,
        "case_id": None,
        "filename": document.filename,
        "content_type": document.content_type,
        "sha256": document.sha256,
        "size": len(document.data),
        "data": document.data,
        "created_at": now,
    }
