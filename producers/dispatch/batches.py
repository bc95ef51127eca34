"""Building a destination's next batch: choosing the due submissions, building and checking
the E2B, and recording the transmission *prepared* (or the blocked ICSRs) before anything
leaves."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select, update

from gateway.domain.icsr import ICSR
from gateway.domain.submissions.destinations import Destination
from gateway.domain.submissions.kinds import SubmissionKind
from gateway.ids import new_id
from gateway.logs import get_logger
from gateway.store import audit, triage
from gateway.store import submissions as store
from gateway.store.audit import AuditEntry
from gateway.store.tables import submissions
from gateway.store.triage import TriageItem
from producers import e2b_outbound as e2b
from producers.dispatch.settings import ACTOR, DispatchSettings
from schemas.e2b_rules import Finding, Severity

log = get_logger(__name__)

#: what an ICSR's own data can make the E2B writer raise (a broken store or schema folder
#: is not among them: it fails the pass, which is retried)
_DATA_ERRORS = (ValueError, TypeError, LookupError, AttributeError)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A transmission recorded as prepared: what to hand to the transport."""

    transmission_id: str
    destination_id: str
    batch_number: str
    file_name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Built:
    """One built and checked batch, not yet recorded.

    ``prepared`` is None when every ICSR was blocked; ``sendable`` maps each sendable
    submission to its item and message date (N.2.r.4)."""

    items: Sequence[e2b.OutboundItem]
    checked: e2b.Checked
    prepared: Prepared | None
    sendable: Mapping[str, tuple[e2b.OutboundItem, str]]


def one_per_case(due: Sequence[store.SubmissionRow], limit: int) -> list[store.SubmissionRow]:
    """Up to ``limit`` submissions, at most one per case (N.2.r.1 is unique in a batch and is
    the case's C.1.1); a case's versions go in version order."""
    chosen: list[store.SubmissionRow] = []
    seen: set[str] = set()
    for s in sorted(due, key=lambda r: (r.case_id, r.case_version)):
        if s.case_id not in seen:
            seen.add(s.case_id)
            chosen.append(s)
    order = {s.id: n for n, s in enumerate(due)}
    return sorted(chosen, key=lambda s: order[s.id])[:limit]


def outbound_item(s: store.SubmissionRow, icsr: ICSR, organisation: str) -> e2b.OutboundItem:
    c11 = s.safety_report_id or e2b.safety_report_id_for(icsr, s.case_id, organisation)
    worldwide = s.worldwide_case_id or icsr.report.worldwide_case_id or c11
    return e2b.OutboundItem(
        submission_id=s.id,
        case_id=s.case_id,
        kind=SubmissionKind(s.kind),
        icsr=icsr,
        safety_report_id=c11,
        worldwide_case_id=worldwide,
        day_zero=s.day_zero,
        due_date=s.due_date,
        reason=s.reason,
    )


def build_batch(
    destination: Destination,
    chosen: Sequence[store.SubmissionRow],
    icsrs: Mapping[tuple[str, int], ICSR],
    now: datetime,
    cfg: DispatchSettings,
) -> Built:
    """Build the E2B of ``chosen`` under a new batch number and check it; a batch with
    blocked ICSRs is built again from the sendable ones.

    An ICSR that cannot be written at all (a value the E2B writer refuses) is blocked like
    one with reject findings, with a triage item naming the error: one bad case never
    stops the batches of a destination."""
    items = [outbound_item(s, icsrs[(s.case_id, s.case_version)], cfg.organisation) for s in chosen]
    batch_number = f"{destination.batch_sender}-{new_id()}"[:100]
    try:
        return _build(destination, items, batch_number, now, cfg, {})
    except _DATA_ERRORS:  # an ICSR's data the writer refuses: find which one(s) below
        unwritable = _unwritable(destination, items, batch_number, now, cfg)
    writable = [i for i in items if i.submission_id not in unwritable]
    built = _build(destination, writable, batch_number, now, cfg, unwritable)
    return Built(items, built.checked, built.prepared, built.sendable)


def _build(
    destination: Destination,
    items: Sequence[e2b.OutboundItem],
    batch_number: str,
    now: datetime,
    cfg: DispatchSettings,
    unwritable: Mapping[str, tuple[Finding, ...]],
) -> Built:
    if not items:
        return Built(items, e2b.Checked((), dict(unwritable), ()), None, {})
    batch = e2b.r3_batch(destination, items, batch_number, now, cfg.organisation)
    checked = e2b.check(destination, batch, items, now.astimezone(cfg.tz).date(), cfg.schemas_dir)
    if unwritable:
        checked = dataclasses.replace(checked, blocked={**checked.blocked, **unwritable})
    if not checked.sendable:
        return Built(items, checked, None, {})
    root = checked.root
    if len(checked.sendable) != len(items):
        root = None
        batch = e2b.r3_batch(destination, checked.sendable, batch_number, now, cfg.organisation)
    data, dates = e2b.encode(destination, batch, cfg.r2_dtd, root)
    prepared = Prepared(
        new_id("TX"),
        destination.id,
        batch_number,
        e2b.file_name(destination, batch_number),
        data,
    )
    sendable = {i.submission_id: (i, dates[i.safety_report_id]) for i in checked.sendable}
    return Built(items, checked, prepared, sendable)


def _unwritable(
    destination: Destination,
    items: Sequence[e2b.OutboundItem],
    batch_number: str,
    now: datetime,
    cfg: DispatchSettings,
) -> dict[str, tuple[Finding, ...]]:
    """The items that fail to build on their own, each with a finding saying why."""
    out: dict[str, tuple[Finding, ...]] = {}
    for item in items:
        try:
            _build(destination, [item], batch_number, now, cfg, {})
        except _DATA_ERRORS as exc:
            log.warning(
                "an ICSR could not be written as E2B; submission blocked",
                submission_id=item.submission_id,
                destination=destination.id,
                error_type=type(exc).__name__,
            )
            out[item.submission_id] = (
                Finding(
                    rule_id="WRITE",
                    element_id="N.2.r",
                    xpath="/MCCI_IN200100UV01/PORR_IN049016UV",
                    severity=Severity.REJECT,
                    message=f"the E2B message could not be written: {str(exc)[:500]}",
                    message_id=item.safety_report_id,
                ),
            )
    return out


def record_prepared(
    conn: Connection, destination: Destination, built: Built, now: datetime
) -> bool:
    """Record ``built``: its blocked submissions (triage, audit) and its transmission with
    the sendable submissions ``built``. False when the submissions are no longer planned
    (another dispatcher took them): nothing is written."""
    ids = [i.submission_id for i in built.items]
    still = conn.execute(
        select(submissions.c.id).where(
            submissions.c.id.in_(ids), submissions.c.status == store.PLANNED
        )
    ).scalars()
    if set(still) != set(ids):
        return False
    audits = _record_blocked(conn, destination, built, now)
    prepared = built.prepared
    if prepared is not None:
        store.insert_transmission(
            conn,
            {
                "id": prepared.transmission_id,
                "destination_id": destination.id,
                "batch_number": prepared.batch_number,
                "format": destination.format.value,
                "file_name": prepared.file_name,
                "sha256": hashlib.sha256(prepared.data).hexdigest(),
                "size": len(prepared.data),
                "payload": prepared.data,
                "status": store.PREPARED,
                "attempts": 0,
                "created_at": now,
                "receipt_state": "pending",
                "ack_state": "pending",
            },
        )
        store.update_many(
            conn,
            {
                sub_id: {
                    "status": store.BUILT,
                    "safety_report_id": item.safety_report_id,
                    "worldwide_case_id": item.worldwide_case_id,
                    "message_id": item.safety_report_id,
                    "message_date": message_date,
                    "batch_number": prepared.batch_number,
                    "transmission_id": prepared.transmission_id,
                    "updated_at": now,
                }
                for sub_id, (item, message_date) in built.sendable.items()
            },
        )
    audit.record(conn, audits)
    return True


def _record_blocked(
    conn: Connection, destination: Destination, built: Built, now: datetime
) -> list[AuditEntry]:
    """Mark each blocked submission and open its triage item; the audit entries to record."""
    audits: list[AuditEntry] = []
    items_by_id = {i.submission_id: i for i in built.items}
    for sub_id, findings in built.checked.blocked.items():
        item = items_by_id[sub_id]
        details = [e2b.finding_detail(f) for f in findings]
        fields = sorted({f.element_id for f in findings})
        reason = f"E2B for {destination.id} not sent: reject findings on {', '.join(fields)}"
        conn.execute(
            update(submissions)
            .where(submissions.c.id == sub_id)
            .values(
                status=store.BLOCKED,
                safety_report_id=item.safety_report_id,
                worldwide_case_id=item.worldwide_case_id,
                errors=[f"{d['rule_id']} {d['element']}: {d['message']}" for d in details],
                updated_at=now,
            )
        )
        triage.open_items(
            conn,
            [
                TriageItem(
                    kind="submission_blocked",
                    reason=reason,
                    created_at=now,
                    case_id=item.case_id,
                    detail={
                        "submission_id": sub_id,
                        "destination": destination.id,
                        "fields": fields,
                        "findings": details,
                    },
                )
            ],
        )
        audits.append(
            AuditEntry(
                at=now,
                actor=ACTOR,
                action="submission.blocked",
                entity_type="case",
                entity_id=item.case_id,
                reason=reason,
                detail={"submission_id": sub_id, "fields": fields},
            )
        )
    return audits
