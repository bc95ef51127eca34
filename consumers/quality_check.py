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
from datetime import tzinfo

from sqlalchemy import Connection

from consumers.case_events import CaseEvent, case_event_decoder
from consumers.envelope import ConsumerSpec, Envelope, HandlerContext
from gateway.domain.lifecycle import CaseState
from gateway.domain.meddra import MedDRACoder
from gateway.store.assessments import latest_qc_run, run_quality_check
from gateway.store.case_updates import case_row
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


@dataclass(frozen=True, slots=True)
class QualityChecker:
    coder: MedDRACoder | None
    at_risk_days: int
    tz: tzinfo

    def handle(
        self, conn: Connection, envelopes: Sequence[Envelope[CaseEvent]], ctx: HandlerContext
    ) -> None:
        for e in envelopes:
            event = e.message
            if event.event_type not in ("CASE_RECEIVED", "VERSION_CREATED"):
                continue
            row = case_row(conn, event.case_id)
            if row is None or row.current_version != event.version:
                continue  # a later version has its own event
            if row.state not in _CHECKED_STATES:
                continue
            if latest_qc_run(conn, event.case_id, event.version) is not None:
                continue
            run_quality_check(
                conn,
                case_id=event.case_id,
                actor=ACTOR,
                now=ctx.now,
                coder=self.coder,
                at_risk_days=self.at_risk_days,
                tz=self.tz,
            )


def quality_check_consumer(
    codec: AvroCodec,
    topic_name: Callable[[str], str],
    coder: MedDRACoder | None,
    *,
    at_risk_days: int,
    tz: tzinfo,
) -> ConsumerSpec[CaseEvent]:
    checker = QualityChecker(coder, at_risk_days, tz)
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.CASE_EVENTS),
        decode=case_event_decoder(codec),
        handle=checker.handle,
    )
