"""An outbox row the producer refuses for itself (too large to ever be published) is kept,
marked and named in a triage item; the rows behind it are published, not held up for ever.
Against the real embedded broker."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from gateway.cli import app
from gateway.clock import utcnow
from gateway.kafka.admin import ensure_topics
from gateway.kafka.embedded import EmbeddedBroker
from gateway.store import outbox, triage
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import outbox as outbox_table
from gateway.store.tables import triage_items
from producers.outbox_relay import OutboxRelay
from producers.publisher import MAX_MESSAGE_BYTES, EventPublisher
from tests.integration.test_dead_letters import read_topic

pytestmark = pytest.mark.integration


async def test_a_row_too_large_to_publish_goes_to_triage_and_the_rows_behind_it_go_out(
    embedded_broker: EmbeddedBroker, tmp_path: Path, unique_prefix: str
) -> None:
    topic = f"{unique_prefix}notes"
    await ensure_topics(embedded_broker.bootstrap, [topic], 1, 1)
    store = Store(build_engine(make_url(f"sqlite:///{tmp_path}/store.sqlite3")))
    upgrade(store.engine)
    publisher = EventPublisher(embedded_broker.bootstrap)
    await publisher.start()
    try:
        too_large = b"x" * (MAX_MESSAGE_BYTES + 1)
        rows = [
            OutboxMessage(event_id="before", topic=topic, key=b"k", value=b"1"),
            OutboxMessage(event_id="huge", topic=topic, key=b"k", value=too_large),
            OutboxMessage(event_id="after", topic=topic, key=b"k", value=b"2"),
        ]
        store.run_sync(outbox.enqueue, rows, utcnow())
        relay = OutboxRelay(store, publisher)

        await relay.drain()

        published = await read_topic(embedded_broker.bootstrap, topic, 2)
        assert [r.value for r in published] == [b"1", b"2"]  # type: ignore[attr-defined]
        assert store.run_sync(outbox.count_pending) == 0
        with store.engine.connect() as conn:
            [item] = conn.execute(select(triage_items)).mappings().all()
            kept = conn.execute(
                select(outbox_table.c.value).where(outbox_table.c.event_id == "huge")
            ).scalar_one()
        assert item["kind"] == "event_not_published"
        assert item["detail"]["event_id"] == "huge"
        assert "MessageSizeTooLargeError" in item["detail"]["error"]
        assert kept == too_large  # nothing lost: the event stays in the outbox table

        # Once the limit is raised, a person puts it back: queued again, the item resolved.
        url = store.engine.url.render_as_string(hide_password=False)
        queued = CliRunner().invoke(
            app, ["triage", "republish", item["id"]], env={"ICSR_DATABASE_URL": url}
        )
        again = CliRunner().invoke(
            app, ["triage", "republish", item["id"]], env={"ICSR_DATABASE_URL": url}
        )
        assert queued.exit_code == 0, queued.output
        assert [p.message.event_id for p in store.run_sync(outbox.pending, 10)] == ["huge"]
        assert store.run_sync(triage.list_items) == []
        assert again.exit_code == 1
        assert "is not an open event_not_published item" in again.output
    finally:
        await publisher.stop()
        store.dispose()
