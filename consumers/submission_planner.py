"""Submission planner: for every case version, the submissions each regulator needs, once.

Listens to the case-events topic. On a new case, a new version, a reopened case, a move to
READY_FOR_SUBMISSION or a nullification, it loads the case, builds the scheduler's snapshot
(``gateway.domain.submissions.schedule``) and records what ``plan_submissions`` decides as
``planned`` submission rows, each with a PLANNED submission event and an audit entry, in the
consumer's transaction. The unique (case, version, destination, kind) key and the
scheduler's own check of earlier submissions make a redelivered event plan nothing new.

With ``auto_submit`` off, a case is planned only once a person has moved it past quality
check (READY_FOR_SUBMISSION or later).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import Connection

from consumers.envelope import ConsumerSpec, Decoded, Envelope, HandlerContext
from gateway.domain.classification import (
    CatalogueListedEvents,
    catalogue_product_id,
    classify,
)
from gateway.domain.icsr import ICSR
from gateway.domain.intake import IntakeReferences
from gateway.domain.lifecycle import CaseState
from gateway.domain.submissions.destinations import Destination
from gateway.domain.submissions.schedule import (
    CaseSnapshot,
    PlannedSubmission,
    PriorSubmission,
    plan_submissions,
)
from gateway.logs import get_logger
from gateway.store import submissions as store
from gateway.store import triage
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import case_row
from gateway.store.triage import TriageItem
from producers.submission_events import event_about
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

CONSUMER = "submission-planner"
ACTOR = "consumer:submission-planner"
log = get_logger(__name__)

#: events that may need submissions; the others (closing, deleting…) never do
_PLANNING_EVENTS = frozenset({"CASE_RECEIVED", "VERSION_CREATED", "CASE_REOPENED"})
#: before this, a case has not been through quality check (matters without auto-submit)
_BEFORE_QC = frozenset({CaseState.VALID, CaseState.IN_PROGRESS, CaseState.QC_PENDING})


@dataclass(frozen=True, slots=True)
class CaseEventMessage:
    event_id: str
    case_id: str
    version: int
    event_type: str
    state: str
    significant: bool
    occurred_at: datetime


def decoder(codec: AvroCodec) -> Callable[[bytes], Decoded[CaseEventMessage]]:
    def decode(data: bytes) -> Decoded[CaseEventMessage]:
        r = codec.decode_as(SchemaName.CASE_EVENT, data)
        msg = CaseEventMessage(
            event_id=r["event_id"],
            case_id=r["case_id"],
            version=r["version"],
            event_type=r["event_type"],
            state=r["state"],
            significant=bool(r.get("significant", False)),
            occurred_at=r["occurred_at"],
        )
        return Decoded(event_id=msg.event_id, message=msg)

    return decode


def snapshot_of(
    case_id: str,
    version: int,
    icsr: ICSR,
    state: CaseState,
    day_zero: datetime | None,
    significant: bool,
    refs: IntakeReferences,
) -> CaseSnapshot:
    """The scheduler's view of a case version: classified as intake classifies it."""
    product_id = catalogue_product_id(refs.catalogue)
    c = classify(icsr, listed=CatalogueListedEvents(refs.catalogue), product_id_of=product_id)
    source = icsr.primary_source_for_regulatory_purposes()
    reporter_country = source.country if source is not None else None
    occurrence = next((r.country for r in icsr.reactions if r.country), None)
    return CaseSnapshot(
        case_id=case_id,
        version=version,
        icsr=icsr,
        state=state,
        day_zero=day_zero,
        serious=c.serious,
        unexpected=c.unexpected_any,
        fatal_or_life_threatening=c.fatal_or_life_threatening,
        study=c.study,
        own_product=any(product_id(d) is not None for d in icsr.suspect_drugs()),
        occurrence_country=occurrence,
        reporter_country=reporter_country if isinstance(reporter_country, str) else None,
        significant=significant,
        adr=c.adr,
        deadline_inputs=c.inputs,
    )


def prior_of(row: store.SubmissionRow) -> PriorSubmission | None:
    if row.day_zero is None:
        return None
    return PriorSubmission(
        destination_id=row.destination_id,
        case_version=row.case_version,
        kind=row.kind,  # type: ignore[arg-type]  # checked by PriorSubmission
        status=store.domain_status(row.status),
        due_date=row.due_date,
        day_zero=row.day_zero,
        rule_id=row.rule_id,
    )


class SubmissionPlanner:
    def __init__(
        self,
        codec: AvroCodec,
        topic_name: Callable[[str], str],
        destinations: Sequence[Destination],
        refs: Callable[[], IntakeReferences],
        *,
        tz: tzinfo,
        auto_submit: bool,
    ) -> None:
        self._codec = codec
        self._topic = topic_name(Topic.SUBMISSION_EVENTS)
        self._destinations = tuple(destinations)
        self._refs = refs
        self._tz = tz
        self._auto_submit = auto_submit

    def _wanted(self, m: CaseEventMessage) -> bool:
        if m.event_type in _PLANNING_EVENTS:
            return True
        if m.event_type != "STATE_CHANGED":
            return False
        if m.state == CaseState.NULLIFIED.value:
            return True
        return not self._auto_submit and m.state == CaseState.READY_FOR_SUBMISSION.value

    def handle(
        self,
        conn: Connection,
        envelopes: Sequence[Envelope[CaseEventMessage]],
        ctx: HandlerContext,
    ) -> None:
        wanted = [e.message for e in envelopes if self._wanted(e.message)]
        if not wanted or not self._destinations:
            return
        history = store.for_cases(conn, {m.case_id for m in wanted})
        planned: list[tuple[store.NewSubmission, PlannedSubmission]] = []
        for m in wanted:
            row = case_row(conn, m.case_id)
            if row is None:
                continue  # deleted or not ours: nothing to submit
            if not self._auto_submit and row.state in _BEFORE_QC:
                continue
            version = min(m.version, row.current_version)
            icsr = store.version_icsr(conn, m.case_id, version)
            snapshot = snapshot_of(
                m.case_id,
                version,
                icsr,
                row.state,
                row.day_zero,
                m.significant or m.event_type == "CASE_RECEIVED",
                self._refs(),
            )
            rows = history.get(m.case_id, [])
            previous = [p for p in (prior_of(r) for r in rows) if p is not None]
            try:
                decided = plan_submissions(snapshot, self._destinations, previous, tz=self._tz)
            except ValueError as exc:  # e.g. a nullification without a reason
                ctx.audit(
                    AuditEntry(
                        at=ctx.now,
                        actor=ACTOR,
                        action="submission.not_planned",
                        entity_type="case",
                        entity_id=m.case_id,
                        reason=str(exc),
                        detail={"version": version},
                    )
                )
                triage.open_items(
                    conn,
                    [
                        TriageItem(
                            kind="submission_not_planned",
                            reason=str(exc),
                            created_at=ctx.now,
                            case_id=m.case_id,
                            detail={"version": version},
                        )
                    ],
                )
                continue
            ids = _case_ids(rows)
            for p in decided:
                prior_id = _awaiting(rows, p.destination_id, p.case_version)
                new = store.NewSubmission(
                    case_id=m.case_id,
                    case_version=p.case_version,
                    destination_id=p.destination_id,
                    kind=p.kind.value,
                    due_date=p.due_date,
                    day_zero=p.day_zero,
                    rule_id=p.rule_id,
                    reason=p.reason,
                    retransmission_of=prior_id,
                    safety_report_id=ids[0],
                    worldwide_case_id=ids[1],
                )
                planned.append((new, p))
                # Later events of this batch for the same case see what this one planned.
                history.setdefault(m.case_id, []).append(_as_row(new, ctx.now))
        inserted = {n.id for n in store.insert_planned(conn, [n for n, _ in planned], ctx.now)}
        superseded: list[str] = []
        for new, p in planned:
            if new.id not in inserted:
                continue
            if new.retransmission_of is not None:
                superseded.append(new.retransmission_of)
            ctx.emit(
                event_about(
                    self._codec,
                    self._topic,
                    new,
                    "PLANNED",
                    ctx.now,
                    due_date=new.due_date,
                    detail=p.reason,
                )
            )
            ctx.audit(
                AuditEntry(
                    at=ctx.now,
                    actor=ACTOR,
                    action="submission.planned",
                    entity_type="case",
                    entity_id=new.case_id,
                    reason=p.reason,
                    detail={
                        "submission_id": new.id,
                        "destination": new.destination_id,
                        "kind": new.kind,
                        "version": new.case_version,
                        "due_date": new.due_date.isoformat() if new.due_date else None,
                        "day_zero": new.day_zero.isoformat() if new.day_zero else None,
                        "retransmission_of": new.retransmission_of,
                    },
                )
            )
        # The corrected version carries the rejected one: it is not sent again by itself.
        store.set_status(
            conn,
            [
                r.id
                for r in store.by_ids(conn, superseded)
                if r.status in (store.PLANNED, store.BLOCKED)
            ],
            store.SUPERSEDED,
            ctx.now,
        )
        if inserted:
            log.info("submissions planned", count=len(inserted))


def _case_ids(rows: Sequence[store.SubmissionRow]) -> tuple[str | None, str | None]:
    """C.1.1 and C.1.8.1 already used for the case: they never change once sent."""
    for r in rows:
        if r.safety_report_id:
            return r.safety_report_id, r.worldwide_case_id
    return None, None


def _awaiting(rows: Sequence[store.SubmissionRow], destination_id: str, version: int) -> str | None:
    """The submission a new version retransmits (the destination's latest, when it awaits
    correction), for the record."""
    candidates = [
        r for r in rows if r.destination_id == destination_id and r.case_version < version
    ]
    if not candidates:
        return None
    latest = max(candidates, key=lambda r: (r.case_version, r.planned_at))
    awaiting = {store.BLOCKED, store.CORRECTION_REQUIRED, store.BATCH_REJECTED}
    return latest.id if latest.status in awaiting else None


def _as_row(new: store.NewSubmission, now: datetime) -> store.SubmissionRow:
    return store.SubmissionRow(
        id=new.id,
        case_id=new.case_id,
        case_version=new.case_version,
        destination_id=new.destination_id,
        kind=new.kind,
        status=store.PLANNED,
        rule_id=new.rule_id,
        reason=new.reason,
        due_date=new.due_date,
        day_zero=new.day_zero,
        safety_report_id=new.safety_report_id,
        worldwide_case_id=new.worldwide_case_id,
        message_id=None,
        message_date=None,
        batch_number=None,
        transmission_id=None,
        retransmission_of=new.retransmission_of,
        local_report_number=None,
        errors=(),
        deadline_met=None,
        transmissions=0,
        planned_at=now,
        dispatched_at=None,
        acked_at=None,
        overdue_at=None,
        updated_at=now,
    )


def submission_planner(
    codec: AvroCodec,
    topic_name: Callable[[str], str],
    destinations: Sequence[Destination],
    refs: Callable[[], IntakeReferences],
    *,
    tz: tzinfo,
    auto_submit: bool,
) -> ConsumerSpec[CaseEventMessage]:
    planner = SubmissionPlanner(
        codec, topic_name, destinations, refs, tz=tz, auto_submit=auto_submit
    )
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.CASE_EVENTS),
        decode=decoder(codec),
        handle=planner.handle,
    )
