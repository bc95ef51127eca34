"""The E2B we send: a case version's ICSR completed as its sender must, then built as an
E2B(R3) batch or an E2B(R2) ``ichicsr`` message and checked the way the receiver will.

Intake keeps what the reporter said; a regulator also needs the sender's identification
(section C): our C.1.1 (the same for every version and retransmission of the case), C.1.8.1
(kept when a previous sender set it), C.1.2 = the message's creation time (N.2.r.4), C.3 =
us, C.1.11 for amendments and nullifications. Local reaction / drug ids become stable UUIDs
(an E2B II root must be one).
"""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from gateway.domain.codes import FirstSender, SenderType
from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import DatePrecision, PartialDate
from gateway.domain.report import Sender
from gateway.domain.submissions.destinations import Destination, E2BFormat
from gateway.domain.submissions.kinds import SubmissionKind
from gateway.domain.values import NullFlavor
from schemas.e2b_convert import r3_to_r2
from schemas.e2b_r2 import build_r2, serialize_r2
from schemas.e2b_r3 import R3Batch, R3Message, build_batch, serialize
from schemas.e2b_rules import Finding, Severity, is_country, validate_batch
from schemas.xml_safety import load_dtd, load_xsd, validate_dtd, validate_xsd

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_OID = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")
_ORG = re.compile(r"[^A-Za-z0-9]+")
R3_BATCH_XSD = Path("multicacheschemas") / "MCCI_IN200100UV01.xsd"


@dataclass(frozen=True, slots=True)
class OutboundItem:
    """One submission's ICSR as it goes into a batch."""

    submission_id: str
    case_id: str
    kind: SubmissionKind
    icsr: ICSR  # the case version's content, as stored
    safety_report_id: str  # C.1.1 = N.2.r.1
    worldwide_case_id: str  # C.1.8.1
    day_zero: datetime | None
    due_date: date | None
    reason: str | None  # C.1.11.2 for amendments and nullifications


@dataclass(frozen=True, slots=True)
class BuiltBatch:
    """A batch ready to send: its bytes and what the receiver will key its ACK on."""

    batch_number: str
    file_name: str
    data: bytes
    #: submission id → (N.2.r.1, message date as correlated: CCYYMMDDHHMMSS)
    messages: dict[str, tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of checking a batch before sending: what may go, what is blocked."""

    sendable: tuple[OutboundItem, ...]
    #: submission id → its reject findings
    blocked: dict[str, tuple[Finding, ...]]
    batch_findings: tuple[Finding, ...]
    #: the checked batch as built (``MCCI_IN200100UV01``): sent as it is when nothing is blocked
    root: Any = None


def correlation_date(text: str | None) -> str:
    """A message date reduced to CCYYMMDDHHMMSS: R3 writes a zone, R2 does not."""
    return re.sub(r"\D", "", text or "")[:14]


def safety_report_id_for(icsr: ICSR, case_id: str, organisation: str) -> str:
    """Our C.1.1, ``CC-ORG-CASE``: the country of the primary source (else of occurrence)."""
    country: str | None = None
    source = icsr.primary_source_for_regulatory_purposes()
    if source is not None and isinstance(source.country, str):
        country = source.country.strip().upper()
    if not country or not is_country(country):
        country = next(
            (r.country.upper() for r in icsr.reactions if r.country and is_country(r.country)),
            None,
        )
    org = _ORG.sub("", organisation).upper() or "ORG"
    return f"{country or 'EU'}-{org}-{case_id}"[:100]


def _stable_id(case_id: str, kind: str, local_id: str) -> str:
    if _UUID.match(local_id) or _OID.match(local_id):
        return local_id
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:icsr-gateway:{case_id}:{kind}:{local_id}"))


def with_e2b_ids(icsr: ICSR, case_id: str) -> ICSR:
    """Reaction and drug ids as UUIDs (stable per case), the drug-reaction matrix kept."""
    renamed = {r.id: _stable_id(case_id, "reaction", r.id) for r in icsr.reactions}
    if all(k == v for k, v in renamed.items()) and all(
        _stable_id(case_id, "drug", d.id) == d.id for d in icsr.drugs
    ):
        return icsr
    return dataclasses.replace(
        icsr,
        reactions=tuple(dataclasses.replace(r, id=renamed[r.id]) for r in icsr.reactions),
        drugs=tuple(
            dataclasses.replace(
                d,
                id=_stable_id(case_id, "drug", d.id),
                reaction_assessments=tuple(
                    dataclasses.replace(a, reaction_id=renamed.get(a.reaction_id, a.reaction_id))
                    for a in d.reaction_assessments
                ),
            )
            for d in icsr.drugs
        ),
    )


def complete_icsr(item: OutboundItem, created: PartialDate, organisation: str) -> ICSR:
    """The ICSR with section C as we send it (see the module docstring)."""
    icsr = with_e2b_ids(item.icsr, item.case_id)
    rep = icsr.report
    day_zero = (
        PartialDate.from_date(item.day_zero.date(), DatePrecision.DAY)
        if item.day_zero is not None
        else None
    )
    expedited = (
        item.due_date is not None
        and item.day_zero is not None
        and (item.due_date - item.day_zero.date()).days <= 15
    )
    nullification = item.kind.nullification_amendment
    reason = rep.nullification_amendment_reason or item.reason if nullification else None
    report = dataclasses.replace(
        rep,
        safety_report_id=item.safety_report_id,
        created_at=created,
        first_received=rep.first_received or day_zero,
        most_recent_info=rep.most_recent_info or rep.first_received or day_zero,
        additional_documents=rep.additional_documents
        if rep.additional_documents is not None
        else bool(rep.documents),
        fulfils_expedited_criteria=rep.fulfils_expedited_criteria
        if rep.fulfils_expedited_criteria is not None
        else expedited,
        worldwide_case_id=item.worldwide_case_id,
        first_sender=rep.first_sender or FirstSender.OTHER,
        other_case_ids_exist=rep.other_case_ids_exist
        if rep.other_case_ids_exist is not None
        else NullFlavor.NI,
        nullification_amendment=nullification,
        nullification_amendment_reason=reason[:2000] if reason else None,
    )
    sender = Sender(sender_type=SenderType.PHARMACEUTICAL_COMPANY, organisation=organisation)
    return dataclasses.replace(icsr, report=report, sender=sender)


def r3_batch(
    destination: Destination,
    items: Sequence[OutboundItem],
    batch_number: str,
    now: datetime,
    organisation: str,
) -> R3Batch:
    created = PartialDate.from_datetime(now.replace(microsecond=0), DatePrecision.SECOND)
    return R3Batch(
        batch_id=batch_number,
        sender_id=destination.batch_sender,
        receiver_id=destination.batch_receiver,
        created_at=created,
        messages=tuple(
            R3Message(
                message_id=item.safety_report_id,
                sender_id=destination.message_sender,
                receiver_id=destination.message_receiver,
                created_at=created,
                icsr=complete_icsr(item, created, organisation),
                processing_code=destination.processing_code,
            )
            for item in items
        ),
    )


def check(
    destination: Destination,
    batch: R3Batch,
    items: Sequence[OutboundItem],
    today: date,
    schemas_dir: Path | None,
) -> Checked:
    """The receiver's business rules (the destination's profile) and, when the schema folder
    is configured, the ICH XSD: a reject finding blocks its ICSR (or, batch-level, all)."""
    root = build_batch(batch)
    findings: list[Finding] = []
    if schemas_dir is not None and destination.format is E2BFormat.R3:
        schema = load_xsd(schemas_dir / R3_BATCH_XSD)
        for problem in validate_xsd(root, schema):
            findings.append(
                Finding(
                    rule_id="XSD",
                    element_id="N.1",
                    xpath="/MCCI_IN200100UV01",
                    severity=Severity.REJECT,
                    message=f"line {problem.line}: {problem.message}",
                    line=problem.line,
                )
            )
    findings.extend(validate_batch(batch, destination.profile, today=today, source=root))
    by_message: dict[str, list[Finding]] = {}
    batch_level: list[Finding] = []
    for f in findings:
        if f.message_id is None:
            batch_level.append(f)
        else:
            by_message.setdefault(f.message_id, []).append(f)
    batch_rejects = tuple(f for f in batch_level if f.is_reject)
    blocked: dict[str, tuple[Finding, ...]] = {}
    sendable: list[OutboundItem] = []
    for item in items:
        rejects = tuple(f for f in by_message.get(item.safety_report_id, ()) if f.is_reject)
        # XSD findings carry no message id: they block the whole batch, named on each ICSR.
        if rejects or batch_rejects:
            blocked[item.submission_id] = rejects + batch_rejects
        else:
            sendable.append(item)
    return Checked(
        sendable=tuple(sendable),
        blocked=blocked,
        batch_findings=tuple(batch_level),
        root=root,
    )


def encode(
    destination: Destination, batch: R3Batch, r2_dtd: Path | None, root: Any = None
) -> tuple[bytes, dict[str, str]]:
    """The file's bytes and, per N.2.r.1, the message date the ACK will quote. ``root``:
    the batch already built (by ``check``), saving a second build."""
    stamp = correlation_date(batch.created_at.format())
    dates = {m.message_id: stamp for m in batch.messages}
    if destination.format is E2BFormat.R3:
        return serialize(root if root is not None else build_batch(batch)), dates
    converted = r3_to_r2(batch).value
    root = build_r2(converted)
    if r2_dtd is not None:
        problems = validate_dtd(root, load_dtd(r2_dtd))
        if problems:
            first = problems[0]
            raise ValueError(f"built ichicsr is not DTD-valid: line {first.line}: {first.message}")
    return serialize_r2(root), dates


def file_name(destination: Destination, batch_number: str) -> str:
    """Deterministic per transmission: a resend of it writes the same name."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", batch_number)
    return f"{destination.id}_{safe}.xml"


def finding_detail(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "element": f.element_id,
        "xpath": f.xpath,
        "message": f.message,
    }
