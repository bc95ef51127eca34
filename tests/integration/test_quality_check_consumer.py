"""The automated quality check runs once on every new case version and stores its results."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from consumers.case_events import CaseEvent
from consumers.envelope import Envelope, HandlerContext
from consumers.quality_check import CONSUMER, QualityChecker
from gateway.domain.case import Case, Provenance
from gateway.domain.intake import assess_text
from gateway.domain.lifecycle import CaseState
from gateway.domain.normaliser import ChannelContext
from gateway.store import audit, cases
from gateway.store.assessments import qc_runs
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import audit_log
from schemas.avro import AvroCodec
from tests.integration.followup_support import load_refs

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPORT = (
    "I am a pharmacist. My customer M.K., a 52-year-old woman, developed a rash after "
    "taking Zentravia 500 mg. She was admitted to hospital."
)


@pytest.fixture
def store(database_url: URL) -> Iterator[Store]:
    s = Store(build_engine(database_url))
    upgrade(s.engine)
    try:
        yield s
    finally:
        s.dispose()


def _event(case_id: str, version: int, event_type: str, n: int) -> Envelope[CaseEvent]:
    event = CaseEvent(
        event_id=f"EV-{case_id}-{n}",
        case_id=case_id,
        version=version,
        event_type=event_type,
        state="valid",
        occurred_at=T0,
        actor="test",
        reason="test",
        source_inbound_id=None,
        significant=False,
    )
    return Envelope(event.event_id, event, "icsr.case.events", 0, n, case_id.encode())


def _apply(store: Store, checker: QualityChecker, *envelopes: Envelope[CaseEvent]) -> None:
    """As the runner does: prepare outside the transaction, then handle and record audits."""
    prepared = checker.prepare(list(envelopes), T0)
    ctx = HandlerContext(consumer=CONSUMER, now=T0, prepared=prepared)
    with store.engine.begin() as conn:
        checker.handle(conn, list(envelopes), ctx)
        audit.record(conn, ctx.audits)


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "in-transaction"])
def test_each_new_version_is_checked_once_and_its_results_stored(
    store: Store, prepared: bool
) -> None:
    refs = load_refs()
    assessment = assess_text(
        REPORT,
        context=ChannelContext(channel="EMAIL", received_at=T0, sender_address="p@x.es"),
        refs=refs,
    )
    case = Case.open(
        "C-QC-1",
        assessment.icsr,
        Provenance(actor="test", action="received", at=T0, reason="test"),
        CaseState.VALID,
    )
    with store.engine.begin() as conn:
        cases.insert_new(conn, [(case, None)])
    checker = QualityChecker(refs.coder, at_risk_days=3, tz=UTC, store=store if prepared else None)

    _apply(store, checker, _event("C-QC-1", 1, "CASE_RECEIVED", 1))
    _apply(store, checker, _event("C-QC-1", 1, "CASE_RECEIVED", 1))  # redelivered
    with store.engine.connect() as conn:
        [first] = qc_runs(conn, "C-QC-1")
    assert first.case_version == 1
    assert first.run_by == "consumer:quality-check"
    assert {item["id"] for item in first.items} >= {"minimum_criteria", "dates.not_future"}

    writer = CaseWriter(AvroCodec.default(), "icsr.case.events")
    with store.engine.begin() as conn:
        writer.revise(
            conn,
            case_id="C-QC-1",
            icsr=assessment.icsr,
            actor="test",
            action="corrected",
            reason="test",
            now=T0 + timedelta(hours=1),
            significant=False,
        )
    _apply(
        store,
        checker,
        _event("C-QC-1", 1, "CASE_RECEIVED", 2),  # an old version's event: nothing
        _event("C-QC-1", 2, "VERSION_CREATED", 3),
        _event("C-QC-1", 2, "STATE_CHANGED", 4),  # not new content: nothing
    )
    with store.engine.connect() as conn:
        runs = qc_runs(conn, "C-QC-1")
        actions = conn.execute(
            select(audit_log.c.action).where(audit_log.c.entity_id == "C-QC-1")
        ).scalars()
        qc_audits = [a for a in actions if a == "qc_run"]
    assert [r.case_version for r in runs] == [1, 2]
    assert len(qc_audits) == 2
