"""A closed case is reopened by new information: the reporter's reply to a follow-up
request, arriving after closure, moves the case back to IN_PROGRESS and becomes its next
version (the real intake, follow-up and reply consumers on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from gateway.domain.closure import ClosureReason, ClosureRequest
from gateway.store import assessments, followup
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import audit_log, case_versions, cases
from schemas.avro import AvroCodec
from schemas.topics import Topic
from tests.integration.followup_support import (
    FakeSender,
    FollowUpPipeline,
    ManualClock,
    load_refs,
    reply_email,
    report_email,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REPORTER = "paula.ortiz@pharmacy.example"
REPORT = (
    "Hello,\n\nI am a pharmacist. My customer, initials M.K., a woman, developed a rash on "
    "her arms after starting Zentravia 500 mg last week.\n\nKind regards,\nPaula Ortiz"
)
ANSWER = "She is 52 years old and she has fully recovered now."


@pytest.fixture
def pipeline(database_url: URL) -> Iterator[FollowUpPipeline]:
    store = Store(build_engine(database_url))
    upgrade(store.engine)
    try:
        yield FollowUpPipeline(store, load_refs(), ManualClock(T0), FakeSender())
    finally:
        store.dispose()


def _state_and_version(store: Store, case_id: str) -> tuple[str, int]:
    with store.snapshot() as conn:
        row = conn.execute(
            select(cases.c.state, cases.c.current_version).where(cases.c.id == case_id)
        ).one()
    return row.state, row.current_version


def test_a_reply_after_closure_reopens_the_case_and_becomes_its_next_version(
    pipeline: FollowUpPipeline,
) -> None:
    p = pipeline
    accepted = p.receive_email(
        report_email(REPORT, sender=f"Paula Ortiz <{REPORTER}>", sent_at=p.clock.now())
    )
    p.pump()
    with p.store.snapshot() as conn:
        case_id = conn.execute(
            select(cases.c.id).where(cases.c.source_inbound_id == accepted.inbound_id)
        ).scalar_one()
    [ours] = p.sender.emails()
    version_before = _state_and_version(p.store, case_id)[1]

    p.clock.advance(timedelta(days=1))
    with p.store.transaction() as conn:
        closure = assessments.close_case(
            conn,
            CaseWriter(AvroCodec.default(), Topic.CASE_EVENTS),
            case_id=case_id,
            request=ClosureRequest(
                reason=ClosureReason.OTHER, rationale="non-serious; nothing more expected"
            ),
            actor="user:qa",
            now=p.clock.now(),
        )
    p.pump()
    assert _state_and_version(p.store, case_id) == ("closed", version_before)
    with p.store.snapshot() as conn:
        assert assessments.is_locked(conn, case_id)
        [request] = followup.requests_of_case(conn, case_id)
    assert closure.followups_stopped == (request.id,)
    assert request.status == followup.EXHAUSTED

    p.clock.advance(timedelta(days=2))
    raw = reply_email(ours, sender=f"Paula Ortiz <{REPORTER}>", body=ANSWER, sent_at=p.clock.now())
    p.receive_email(raw, rcpt_tos=(str(ours["Reply-To"]),), mail_from=REPORTER)
    p.pump()

    state, version = _state_and_version(p.store, case_id)
    assert state != "closed"
    assert version == version_before + 1
    with p.store.snapshot() as conn:
        assert not assessments.is_locked(conn, case_id)
        [record] = assessments.closures(conn, case_id)
        new_version_state = conn.execute(
            select(case_versions.c.state).where(
                case_versions.c.case_id == case_id, case_versions.c.number == version
            )
        ).scalar_one()
        reopened_by = (
            conn.execute(
                select(audit_log.c.actor).where(
                    audit_log.c.entity_id == case_id, audit_log.c.action == "transition:in_progress"
                )
            )
            .scalars()
            .all()
        )
    assert new_version_state in ("in_progress", "valid")
    assert record.reopened_at == p.clock.now()
    assert record.reopen_reason == "new information from the reporter reopens the closed case"
    assert "consumer:followup-replies" in reopened_by
