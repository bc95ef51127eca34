"""Quality check on every case version: the automated checklist runs and its results are
stored, before any person looks at the case.

Reads the case-events topic. For the current version of a case still being worked on, the
checklist of ``gateway.domain.quality`` (completeness for the seriousness, MedDRA codes
current and consistent with the verbatim text, plausible dates, consistent identifiers,
deadline status) is run once per version and stored with its audit entry
(``gateway.store.assessments.run_quality_check``); a person signs off through the case API.
A redelivered event, or a version already checked, changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Connection, select

from consumers.case_events import CaseEvent, case_event_decoder
from consumers.envelope import ConsumerSpec, Envelope, HandlerContext
from gateway.domain.intake import DIGITAL_CHANNELS
from gateway.domain.lifecycle import CaseState
from gateway.domain.meddra import MedDRACoder
from gateway.domain.quality import QualityContext, run_checklist
from gateway.ids import new_id
from gateway.store.assessments import QcRunRecord, record_qc_run, run_quality_check
from gateway.store.assessments.quality import submission_clocks
from gateway.store.engine import Store
from gateway.store.submissions import version_icsrs
from gateway.store.tables import cases, qc_runs
from schemas.avro import AvroCodec
from schemas.topics import Topic

CONSUMER = "quality-check"
ACTOR = "consumer:quality-check"
_CHECKED_STATES = frozenset(
    {
        CaseState.INVALID_PENDING_INFO,
        CaseState.VALID,
        CaseState.IN_PROGRESS,
        CaseState.QC_PENDING,
        CaseState.READY_FOR_SUBMISSION,
        CaseState.SUBMITTED,
        CaseState.CORRECTION_REQUIRED,
    }
)
_CHECKED_STATE_VALUES = frozenset(s.value for s in _CHECKED_STATES)
_CONTENT_EVENTS = frozenset({"CASE_RECEIVED", "VERSION_CREATED"})


@dataclass(frozen=True, slots=True)
class _Planned:
    """A checklist computed before the transaction, for one case version."""

    record: QcRunRecord
    failed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class QualityChecker:
    coder: MedDRACoder | None
    at_risk_days: int
    tz: tzinfo
    store: Store | None = None

    # -- before the transaction: read and compute, outside the store's write lock ---------
    def prepare(
        self, envelopes: Sequence[Envelope[CaseEvent]], now: datetime
    ) -> dict[str, _Planned]:
        if self.store is None:
            return {}
        with self.store.snapshot() as conn:
            wanted = self._wanted(conn, envelopes)
            if not wanted:
                return {}
            keys = [(e.message.case_id, e.message.version) for e in wanted.values()]
            icsrs = version_icsrs(conn, keys + [(c, v - 1) for c, v in keys if v > 1])
            channels: dict[str, str | None] = {
                r.id: r.channel
                for r in conn.execute(
                    select(cases.c.id, cases.c.channel).where(cases.c.id.in_({c for c, _ in keys}))
                )
            }
            clocks = {case_id: submission_clocks(conn, case_id) for case_id, _ in keys}
        planned: dict[str, _Planned] = {}
        for event_id, e in wanted.items():
            case_id, version = e.message.case_id, e.message.version
            icsr = icsrs.get((case_id, version))
            if icsr is None:
                continue
            report = run_checklist(
                icsr,
                QualityContext(
                    now=now,
                    coder=self.coder,
                    digital_channel=(channels.get(case_id) or "").upper() in DIGITAL_CHANNELS,
                    previous=icsrs.get((case_id, version - 1)),
                    submissions=clocks[case_id],
                    at_risk_days=self.at_risk_days,
                    tz=self.tz,
                ),
            )
            planned[event_id] = _Planned(
                QcRunRecord(
                    id=new_id("QC"),
                    case_id=case_id,
                    case_version=version,
                    run_at=now,
                    run_by=ACTOR,
                    passed=report.passed,
                    blocking_failures=len(report.blocking_failures),
                    warnings=len(report.warnings),
                    meddra_version=report.meddra_version,
                    items=tuple(i.as_mapping() for i in report.items),
                ),
                tuple(i.id for i in report.items if i.result.value == "fail"),
            )
        return planned

    def _wanted(
        self, conn: Connection, envelopes: Sequence[Envelope[CaseEvent]]
    ) -> dict[str, Envelope[CaseEvent]]:
        """The events naming the current version of a case under work, not yet checked."""
        events = [e for e in envelopes if e.message.event_type in _CONTENT_EVENTS]
        if not events:
            return {}
        ids = {e.message.case_id for e in events}
        current = {
            r.id: (r.current_version, r.state)
            for r in conn.execute(
                select(cases.c.id, cases.c.current_version, cases.c.state).where(
                    cases.c.id.in_(ids)
                )
            )
        }
        checked = {
            (r.case_id, r.case_version)
            for r in conn.execute(
                select(qc_runs.c.case_id, qc_runs.c.case_version).where(qc_runs.c.case_id.in_(ids))
            )
        }
        wanted: dict[str, Envelope[CaseEvent]] = {}
        seen: set[tuple[str, int]] = set()
        for e in events:
            key = (e.message.case_id, e.message.version)
            version, state = current.get(key[0], (None, None))
            if version != key[1] or state not in _CHECKED_STATE_VALUES:
                continue  # a later version has its own event; closed cases are not checked
            if key in checked or key in seen:
                continue
            seen.add(key)
            wanted[e.event_id] = e
        return wanted

    # -- in the transaction: write what was computed --------------------------------------
    def handle(
        self, conn: Connection, envelopes: Sequence[Envelope[CaseEvent]], ctx: HandlerContext
    ) -> None:
        planned: dict[str, _Planned] = dict(ctx.prepared)
        wanted = self._wanted(conn, envelopes)  # again: the view may have moved since
        for event_id, e in wanted.items():
            run = planned.get(event_id)
            if run is None:  # not prepared (no store given, or read before it existed)
                run_quality_check(
                    conn,
                    case_id=e.message.case_id,
                    actor=ACTOR,
                    now=ctx.now,
                    coder=self.coder,
                    at_risk_days=self.at_risk_days,
                    tz=self.tz,
                )
                continue
            record_qc_run(conn, run.record, run.failed, ctx.audit)


def quality_check_consumer(
    codec: AvroCodec,
    topic_name: Callable[[str], str],
    coder: MedDRACoder | None,
    *,
    at_risk_days: int,
    tz: tzinfo,
    store: Store | None = None,
) -> ConsumerSpec[CaseEvent]:
    checker = QualityChecker(coder, at_risk_days, tz, store)
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.CASE_EVENTS),
        decode=case_event_decoder(codec),
        handle=checker.handle,
        prepare=checker.prepare if store is not None else None,
    )
