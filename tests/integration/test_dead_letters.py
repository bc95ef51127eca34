"""Poison messages go to the dead-letter topic with their reason, and can be replayed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import Connection, select
from typer.testing import CliRunner

from consumers.envelope import ConsumerSpec, Decoded, Envelope, HandlerContext
from consumers.intake import intake_consumer
from consumers.policy import RetryPolicy
from consumers.runner import ConsumerRunner, RunnerConfig
from gateway.cli import app
from gateway.kafka.admin import ensure_topics
from gateway.kafka.embedded import EmbeddedBroker
from gateway.store import dead_letters
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import audit_log, cases
from producers.outbox_relay import OutboxRelay
from producers.publisher import EventPublisher
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic
from tests.integration.pipeline_support import publish, upstream_event

pytestmark = pytest.mark.integration


@dataclass
class Pipeline:
    store: Store
    codec: AvroCodec
    relay: OutboxRelay
    bootstrap: str
    prefix: str

    def topic(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def runner(self, spec: ConsumerSpec[object], attempts: int = 3) -> ConsumerRunner:
        config = RunnerConfig(
            bootstrap=self.bootstrap,
            group_id=f"{self.prefix}{spec.name}",
            dlq_topic=self.topic(Topic.DEAD_LETTER),
            batch_size=100,
            policy=RetryPolicy(max_attempts=attempts, backoff_initial_s=0.01, backoff_max_s=0.05),
        )
        return ConsumerRunner(spec, config, self.store, self.codec, on_emitted=self.relay.wake)


@pytest.fixture
async def pipeline(
    embedded_broker: EmbeddedBroker, tmp_path: Path, unique_prefix: str
) -> AsyncIterator[Pipeline]:
    store = Store(build_engine(build_engine_url(tmp_path)))
    upgrade(store.engine)
    await ensure_topics(embedded_broker.bootstrap, [f"{unique_prefix}{t}" for t in Topic], 3, 1)
    publisher = EventPublisher(embedded_broker.bootstrap)
    await publisher.start()
    relay = OutboxRelay(store, publisher, poll_interval_s=0.02)
    task = asyncio.create_task(relay.run())
    try:
        yield Pipeline(store, AvroCodec.default(), relay, embedded_broker.bootstrap, unique_prefix)
    finally:
        relay.stop()
        await task
        await publisher.stop()
        store.dispose()


def build_engine_url(tmp_path: Path) -> str:
    from sqlalchemy.engine import make_url

    return make_url(f"sqlite:///{tmp_path}/store.sqlite3")  # type: ignore[return-value]


async def read_topic(bootstrap: str, topic: str, count: int, timeout: float = 20) -> list[object]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[object] = []
    try:
        async with asyncio.timeout(timeout):
            while len(records) < count:
                batch = await consumer.getmany(timeout_ms=200)
                for recs in batch.values():
                    records.extend(recs)
    finally:
        await consumer.stop()
    return records


async def run_until(runner: ConsumerRunner, condition: object, timeout: float = 30) -> None:
    task = asyncio.create_task(runner.run())
    try:
        async with asyncio.timeout(timeout):
            while not condition():  # type: ignore[operator]
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
    finally:
        runner.stop()
        await task


@dataclass(frozen=True)
class Note:
    n: int


def flaky_spec(topic: str, fail_on: set[int], seen: list[int]) -> ConsumerSpec[Note]:
    """A consumer that fails (with an unexpected error) on the numbers in ``fail_on``."""

    def decode(data: bytes) -> Decoded[Note]:
        n = int(data.decode())
        return Decoded(event_id=f"note-{n}", message=Note(n))

    def handle(
        _conn: Connection, envelopes: Sequence[Envelope[Note]], _ctx: HandlerContext
    ) -> None:
        for env in envelopes:
            if env.message.n in fail_on:
                raise RuntimeError(f"cannot handle note {env.message.n}")
        seen.extend(env.message.n for env in envelopes)

    return ConsumerSpec(name="notes", topic=topic, decode=decode, handle=handle)


async def test_poison_event_is_dead_lettered_after_retries_without_blocking_the_events_behind_it(
    pipeline: Pipeline,
) -> None:
    topic = pipeline.topic("notes")
    seen: list[int] = []
    fail_on = {3}
    runner = pipeline.runner(flaky_spec(topic, fail_on, seen), attempts=3)
    # One key: one partition, so events 4..9 sit behind the poison event 3.
    await publish(pipeline.bootstrap, topic, [(b"same-key", str(n).encode()) for n in range(10)])

    await run_until(runner, lambda: len(seen) == 9 and runner.dead_lettered_total == 1)

    assert sorted(seen) == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    letters = pipeline.store.run_sync(dead_letters.list_letters)
    assert len(letters) == 1
    letter = letters[0]
    assert (letter.consumer, letter.attempts, letter.original_value) == ("notes", 3, b"3")
    assert letter.error_type == "RuntimeError"
    assert "cannot handle note 3" in letter.error_message

    [record] = await read_topic(pipeline.bootstrap, pipeline.topic(Topic.DEAD_LETTER), 1)
    headers = dict(record.headers)  # type: ignore[attr-defined]
    assert headers["x-consumer"] == b"notes"
    assert headers["x-attempts"] == b"3"
    assert headers["x-error-type"] == b"RuntimeError"
    assert headers["x-original-topic"] == topic.encode()
    body = pipeline.codec.decode_as(SchemaName.DEAD_LETTER, record.value)  # type: ignore[attr-defined]
    assert body["original_value"] == b"3"
    assert body["original_key"] == b"same-key"
    assert body["attempts"] == 3

    # The fault is fixed; `icsr-gateway dlq replay` puts the letter back and it goes through.
    fail_on.clear()
    result = CliRunner().invoke(
        app, ["dlq", "replay"], env={"ICSR_DATABASE_URL": str(pipeline.store.engine.url)}
    )
    assert result.exit_code == 0, result.output
    assert "1 dead letter(s) put back" in result.output
    replay_runner = pipeline.runner(flaky_spec(topic, fail_on, seen))
    await run_until(replay_runner, lambda: 3 in seen)
    assert sorted(seen) == list(range(10))
    assert pipeline.store.run_sync(dead_letters.count_pending) == 0
    with pipeline.store.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit_log.c.action))]
    assert actions == ["dead_letter.replayed"]


async def test_unknown_fingerprint_is_dead_lettered_at_once_with_a_clear_reason(
    pipeline: Pipeline,
) -> None:
    topic = pipeline.topic(Topic.INTAKE_INBOUND)
    runner = pipeline.runner(intake_consumer(pipeline.codec, pipeline.topic))
    good = upstream_event(pipeline.codec, 1, "fp")
    forged = b"\xc3\x01" + bytes.fromhex("0123456789abcdef") + good[10:]
    not_avro = b'{"safetyreportid": "x"}'
    await publish(pipeline.bootstrap, topic, [(b"k", forged), (b"k", not_avro), (b"k", good)])

    await run_until(
        runner,
        lambda: runner.dead_lettered_total == 2 and pipeline.store.run_sync(_case_count) == 1,
    )

    letters = sorted(
        pipeline.store.run_sync(dead_letters.list_letters), key=lambda d: d.original_offset
    )
    assert [d.error_type for d in letters] == ["UnknownSchemaError", "UndecodablePayloadError"]
    assert [d.attempts for d in letters] == [1, 1]  # not retried: bad bytes stay bad
    assert "0123456789abcdef" in letters[0].error_message
    assert letters[0].original_value == forged
    assert "not Avro single-object encoding" in letters[1].error_message


async def test_event_naming_a_missing_inbound_record_is_dead_lettered_not_retried(
    pipeline: Pipeline,
) -> None:
    topic = pipeline.topic(Topic.INTAKE_INBOUND)
    runner = pipeline.runner(intake_consumer(pipeline.codec, pipeline.topic))
    from datetime import UTC, datetime

    dangling = pipeline.codec.encode(
        SchemaName.INBOUND_REPORT,
        {
            "event_id": "inbound:missing",
            "inbound_id": "IN-missing",
            "channel": "EMAIL",
            "source_id": "<missing@example.org>",
            "received_at": datetime.now(UTC),
            "content_type": "message/rfc822",
            "payload": None,
            "headers": {},
            "thread_key": None,
        },
    )
    await publish(
        pipeline.bootstrap,
        topic,
        [(b"k", dangling), (b"k", upstream_event(pipeline.codec, 2, "dg"))],
    )
    await run_until(
        runner,
        lambda: runner.dead_lettered_total == 1 and pipeline.store.run_sync(_case_count) == 1,
    )
    [letter] = pipeline.store.run_sync(dead_letters.list_letters)
    assert letter.error_type == "InvalidMessageError"
    assert letter.attempts == 1
    assert "IN-missing" in letter.error_message


def _case_count(conn: Connection) -> int:
    return len(conn.execute(select(cases.c.id)).all())
