"""After the embedded broker started afresh, events it lost are published again — only those
some consumer of their topic never handled (nor dead-lettered)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from gateway.reconcile import Reconciler
from gateway.store import dead_letters, outbox, processed
from gateway.store.dead_letters import DeadLetterRecord
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import outbox as outbox_table
from schemas.avro import AvroCodec

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)
CASES = "icsr.case.events"
INTAKE = "icsr.intake.inbound"


@pytest.fixture
def store(database_url: URL) -> Iterator[Store]:
    s = Store(build_engine(database_url))
    upgrade(s.engine)
    try:
        yield s
    finally:
        s.dispose()


def _publish(store: Store, event_id: str, topic: str, at: datetime) -> None:
    message = OutboxMessage(
        event_id=event_id, topic=topic, key=b"k", value=f"value-{event_id}".encode()
    )
    with store.engine.begin() as conn:
        outbox.enqueue(conn, [message], at)
        [pending] = [p for p in outbox.pending(conn, 100) if p.message.event_id == event_id]
        outbox.mark_published(conn, [pending.id], at)


def _pending(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(outbox_table.c.event_id).where(outbox_table.c.published_at.is_(None))
        )
        return {r[0] for r in rows}


def test_only_events_a_consumer_never_handled_are_published_again(store: Store) -> None:
    for event_id in ("EV-done", "EV-half", "EV-dead", "EV-none", "EV-again#20260504"):
        _publish(store, event_id, CASES, T0)
    _publish(store, "EV-old", CASES, T0 - timedelta(days=30))
    _publish(store, "inbound:IN1", INTAKE, T0)
    with store.engine.begin() as conn:
        processed.mark(conn, "planner", ["EV-done", "EV-half", "EV-dead", "EV-again"], T0)
        processed.mark(conn, "qc", ["EV-done", "EV-again"], T0)
        dead_letters.record(
            conn,
            [
                DeadLetterRecord(
                    id="DL1",
                    original_topic=CASES,
                    original_partition=0,
                    original_offset=7,
                    original_key=b"k",
                    original_value=b"value-EV-dead",
                    original_headers=(),
                    error_type="InvalidMessageError",
                    error_message="broken",
                    consumer="qc",
                    attempts=1,
                    failed_at=T0,
                )
            ],
        )

    reconciler = Reconciler(AvroCodec.default())
    with store.engine.begin() as conn:
        count = reconciler.republish_unconsumed(
            conn, {CASES: ["planner", "qc"], INTAKE: ["intake"]}, T0 - timedelta(days=7)
        )

    # EV-half: qc never handled it; EV-none: nobody did. EV-dead went to qc's dead letters,
    # EV-old is outside the window, the intake record has its own reconciliation.
    assert count == 2
    assert _pending(store) == {"EV-half", "EV-none"}
