"""The outbox relay publishes every pending row once, in order, and promptly when woken."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from gateway.clock import utcnow
from gateway.store import outbox
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.outbox import OutboxMessage
from producers.outbox_relay import OutboxRelay


class RecordingPublisher:
    """Stands in for the Kafka producer: keeps what it was given, in order."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.published = asyncio.Event()
        self.during_publish: Callable[[], Awaitable[None]] | None = None

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        self.sent.extend(m.event_id for m in messages)
        self.published.set()
        if self.during_publish is not None:
            hook, self.during_publish = self.during_publish, None
            await hook()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(build_engine(make_url(f"sqlite:///{tmp_path}/store.sqlite3")))
    upgrade(store.engine)
    yield store
    store.dispose()


def enqueue(store: Store, ids: Sequence[str]) -> None:
    messages = [OutboxMessage(event_id=i, topic="t", key=None, value=b"v") for i in ids]
    store.run_sync(outbox.enqueue, messages, utcnow())


async def test_every_pending_row_is_published_once_in_order(store: Store) -> None:
    ids = [f"ev-{n:05d}" for n in range(2500)]
    enqueue(store, ids)
    publisher = RecordingPublisher()
    relay = OutboxRelay(store, publisher, batch_size=1000)  # type: ignore[arg-type]
    await relay.drain()
    assert publisher.sent == ids
    assert relay.published_total == 2500
    assert store.run_sync(outbox.count_pending) == 0


async def test_rows_enqueued_during_a_pass_go_out_without_waiting_for_the_poll(
    store: Store,
) -> None:
    publisher = RecordingPublisher()
    relay = OutboxRelay(store, publisher, poll_interval_s=30)  # type: ignore[arg-type]

    async def more_arrives() -> None:
        enqueue(store, ["second"])
        relay.wake()

    publisher.during_publish = more_arrives
    task = asyncio.create_task(relay.run())
    try:
        enqueue(store, ["first"])
        relay.wake()
        async with asyncio.timeout(5):  # far below the 30 s poll
            while publisher.sent != ["first", "second"]:
                publisher.published.clear()
                await publisher.published.wait()
    finally:
        relay.stop()
        await task  # the pass in hand is finished (marked) first
    assert publisher.sent == ["first", "second"]
    assert store.run_sync(outbox.count_pending) == 0
