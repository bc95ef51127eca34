"""Quality-check runs of case versions and the sign-off by a person."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any, Final

from sqlalchemy import Connection, select

from gateway.domain.icsr import ICSR
from gateway.domain.intake import DIGITAL_CHANNELS
from gateway.domain.lifecycle import CaseState
from gateway.domain.meddra.coder import MedDRACoder
from gateway.domain.quality import QualityContext, SubmissionClock, run_checklist
from gateway.errors import LifecycleError
from gateway.ids import new_id
from gateway.store import audit
from gateway.store import submissions as submission_rows
from gateway.store.assessments.common import (
    LOCKED_STATES,
    AssessmentRefusedError,
    emit,
    row_or_raise,
)
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter, current_icsr
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import qc_runs as qc_runs_table
from gateway.store.tables import qc_signoffs as qc_signoffs_table

#: states from which a QC sign-off first moves the case into QC_PENDING
_ENTER_QC: Final = frozenset(
    {CaseState.VALID, CaseState.IN_PROGRESS, CaseState.CORRECTION_REQUIRED}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class QcRunRecord:
    id: str
    case_id: str
    case_version: int
    run_at: datetime
    run_by: str
    passed: bool
    blocking_failures: int
    warnings: int
    meddra_version: str | None
    items: tuple[dict[str, Any], ...]  # CheckItem.as_mapping() each

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_version": self.case_version,
            "run_at": self.run_at.isoformat(),
            "run_by": self.run_by,
            "passed": self.passed,
            "blocking_failures": self.blocking_failures,
            "warnings": self.warnings,
            "meddra_version": self.meddra_version,
            "items": list(self.items),
        }


def _qc_run(r: Any) -> QcRunRecord:
    return QcRunRecord(
        id=r.id,
        case_id=r.case_id,
        case_version=r.case_version,
        run_at=r.run_at,
        run_by=r.run_by,
        passed=r.passed,
        blocking_failures=r.blocking_failures,
        warnings=r.warnings,
        meddra_version=r.meddra_version,
        items=tuple(r.items),
    )


def submission_clocks(conn: Connection, case_id: str) -> tuple[SubmissionClock, ...]:
    """The case's submissions as the checklist's deadline check sees them."""
    found: list[SubmissionClock] = []
    for s in submission_rows.for_case(conn, case_id):
        status = submission_rows.domain_status(s.status)
        accepted = s.status == submission_rows.ACCEPTED
        found.append(
            SubmissionClock(
                destination_id=s.destination_id,
                kind=s.kind,
                status=status.value,
                due_date=s.due_date,
                # compliance counts the receipt of the accepted transmission (monitor.py)
                accepted_at=(s.dispatched_at or s.acked_at) if accepted else None,
                safety_report_id=s.safety_report_id,
                worldwide_case_id=s.worldwide_case_id,
            )
        )
    return tuple(found)


def run_quality_check(
    conn: Connection,
    *,
    case_id: str,
    actor: str,
    now: datetime,
    coder: MedDRACoder | None,
    at_risk_days: int = 3,
    tz: tzinfo = UTC,
) -> QcRunRecord:
    """Run the checklist on the current version and store every item."""
    row = row_or_raise(conn, case_id)
    icsr = current_icsr(conn, case_id, row.current_version)
    previous: ICSR | None = (
        current_icsr(conn, case_id, row.current_version - 1) if row.current_version > 1 else None
    )
    report = run_checklist(
        icsr,
        QualityContext(
            now=now,
            coder=coder,
            digital_channel=(row.channel or "").upper() in DIGITAL_CHANNELS,
            previous=previous,
            submissions=submission_clocks(conn, case_id),
            at_risk_days=at_risk_days,
            tz=tz,
        ),
    )
    record = QcRunRecord(
        id=new_id("QC"),
        case_id=case_id,
        case_version=row.current_version,
        run_at=now,
        run_by=actor,
        passed=report.passed,
        blocking_failures=len(report.blocking_failures),
        warnings=len(report.warnings),
        meddra_version=report.meddra_version,
        items=tuple(i.as_mapping() for i in report.items),
    )
    failed = [i.id for i in report.items if i.result.value == "fail"]
    record_qc_run(conn, record, failed, lambda entry: audit.record(conn, [entry]))
    return record


def record_qc_run(
    conn: Connection,
    record: QcRunRecord,
    failed: Sequence[str],
    add_audit: Callable[[AuditEntry], None],
) -> None:
    """Store a computed run and hand over its audit entry."""
    conn.execute(
        qc_runs_table.insert(),
        [
            {
                "id": record.id,
                "case_id": record.case_id,
                "case_version": record.case_version,
                "run_at": record.run_at,
                "run_by": record.run_by,
                "passed": record.passed,
                "blocking_failures": record.blocking_failures,
                "warnings": record.warnings,
                "meddra_version": record.meddra_version,
                "items": list(record.items),
            }
        ],
    )
    add_audit(
        AuditEntry(
            at=record.run_at,
            actor=record.run_by,
            action="qc_run",
            entity_type="case",
            entity_id=record.case_id,
            reason=f"quality check of version {record.case_version}: "
            + ("passed" if record.passed else f"{record.blocking_failures} blocking failure(s)")
            + f", {record.warnings} warning(s)",
            detail={"qc_run_id": record.id, "version": record.case_version, "failed": list(failed)},
        )
    )


def qc_runs(conn: Connection, case_id: str) -> list[QcRunRecord]:
    """Every QC run of the case, oldest first."""
    q = qc_runs_table.c
    rows = conn.execute(
        select(qc_runs_table).where(q.case_id == case_id).order_by(q.run_at, q.id)
    ).all()
    return [_qc_run(r) for r in rows]


def latest_qc_run(conn: Connection, case_id: str, version: int | None = None) -> QcRunRecord | None:
    """The latest run of the case (of ``version`` when given)."""
    runs = [r for r in qc_runs(conn, case_id) if version is None or r.case_version == version]
    return runs[-1] if runs else None


@dataclass(frozen=True, slots=True, kw_only=True)
class QcSignoffRecord:
    id: str
    case_id: str
    case_version: int
    qc_run_id: str
    signed_by: str
    signed_at: datetime
    comment: str | None
    override_reason: str | None
    state_before: CaseState
    state_after: CaseState

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_version": self.case_version,
            "qc_run_id": self.qc_run_id,
            "signed_by": self.signed_by,
            "signed_at": self.signed_at.isoformat(),
            "comment": self.comment,
            "override_reason": self.override_reason,
            "state_before": self.state_before.value,
            "state_after": self.state_after.value,
        }


def _signoff(r: Any) -> QcSignoffRecord:
    return QcSignoffRecord(
        id=r.id,
        case_id=r.case_id,
        case_version=r.case_version,
        qc_run_id=r.qc_run_id,
        signed_by=r.signed_by,
        signed_at=r.signed_at,
        comment=r.comment,
        override_reason=r.override_reason,
        state_before=CaseState(r.state_before),
        state_after=CaseState(r.state_after),
    )


def qc_signoffs(conn: Connection, case_id: str) -> list[QcSignoffRecord]:
    s = qc_signoffs_table.c
    rows = conn.execute(
        select(qc_signoffs_table).where(s.case_id == case_id).order_by(s.signed_at, s.id)
    ).all()
    return [_signoff(r) for r in rows]


def sign_off_qc(
    conn: Connection,
    writer: CaseWriter,
    *,
    case_id: str,
    actor: str,
    now: datetime,
    comment: str | None = None,
    override_reason: str | None = None,
) -> QcSignoffRecord:
    """A person signs off the latest QC run of the current version.

    Refused without a run of the current version, and when a blocking check failed unless
    ``override_reason`` says why. The case moves to READY_FOR_SUBMISSION (through
    QC_PENDING when it was VALID, IN_PROGRESS or CORRECTION_REQUIRED); a SUBMITTED case
    keeps its state (a post-submission QC)."""
    row = row_or_raise(conn, case_id, for_update=True)
    if row.state in LOCKED_STATES:
        raise LifecycleError(f"case {case_id} is {row.state.name}: it takes no QC sign-off")
    run = latest_qc_run(conn, case_id, row.current_version)
    if run is None:
        raise AssessmentRefusedError(
            f"no quality check of version {row.current_version} to sign off: run it first"
        )
    override = (override_reason or "").strip() or None
    if not run.passed and override is None:
        failing = [
            f"{i['id']}: {i['message']}"
            for i in run.items
            if i["result"] == "fail" and i["severity"] == "blocking"
        ]
        raise AssessmentRefusedError(
            f"the quality check of version {run.case_version} has blocking failures; "
            "fix them or give override_reason",
            failing,
        )
    path: list[CaseState] = []
    if row.state in _ENTER_QC:
        path = [CaseState.QC_PENDING, CaseState.READY_FOR_SUBMISSION]
    elif row.state is CaseState.QC_PENDING:
        path = [CaseState.READY_FOR_SUBMISSION]
    elif row.state not in (CaseState.READY_FOR_SUBMISSION, CaseState.SUBMITTED):
        raise LifecycleError(
            f"case {case_id} is {row.state.name}: a QC sign-off needs a valid case"
        )
    why = f"QC sign-off of version {run.case_version} (run {run.id})" + (
        f"; blocking failures overridden: {override}" if override else ""
    )
    events: list[OutboxMessage] = []
    entries: list[AuditEntry] = []
    for to in path:
        moved = writer.move(conn, case_id=case_id, to=to, actor=actor, reason=why, now=now)
        if moved is not None:
            events.append(moved[0])
            entries.append(moved[1])
    record = QcSignoffRecord(
        id=new_id("QS"),
        case_id=case_id,
        case_version=run.case_version,
        qc_run_id=run.id,
        signed_by=actor,
        signed_at=now,
        comment=(comment or "").strip() or None,
        override_reason=override,
        state_before=row.state,
        state_after=path[-1] if path else row.state,
    )
    conn.execute(
        qc_signoffs_table.insert(),
        [
            {
                "id": record.id,
                "case_id": case_id,
                "case_version": record.case_version,
                "qc_run_id": run.id,
                "signed_by": actor,
                "signed_at": now,
                "comment": record.comment,
                "override_reason": override,
                "state_before": record.state_before.value,
                "state_after": record.state_after.value,
            }
        ],
    )
    entries.append(
        AuditEntry(
            at=now,
            actor=actor,
            action="qc_signoff",
            entity_type="case",
            entity_id=case_id,
            reason=why + (f"; comment: {record.comment}" if record.comment else ""),
            detail={
                "signoff_id": record.id,
                "qc_run_id": run.id,
                "version": run.case_version,
                "override": override is not None,
            },
        )
    )
    emit(conn, now, events, entries)
    return record
