"""The consumer runner: fetch a batch, apply it in one store transaction, then commit offsets.

Order per key is kept because messages are keyed by case or thread and one partition is
handled sequentially. A batch is applied in one transaction; if that fails, its messages
are applied one by one so a single poison message is retried and dead-lettered alone and
does not block the messages behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from aiokafka.structs import OffsetAndMetadata
from sqlalchemy import Connection

from consumers.envelope import ConsumerSpec, Envelope, HandlerContext
from consumers.policy import DeadLetter, RetryPolicy
from gateway.clock import utcnow
from gateway.errors import DecodeError, GatewayError
from gateway.logs import get_logger
from gateway.store import audit, dead_letters, outbox, processed
from gateway.store.engine import Store
from producers.dead_letter import dead_letter_message, dead_letter_record
from schemas.avro import AvroCodec

log = get_logger(__name__)

#: the interpreter's GIL switch interval while consumers run (CPython's default is 5 ms)
SWITCH_INTERVAL_S = 0.0005


def share_the_interpreter() -> None:
    """Let the event loop in within half a millisecond of a consumer thread's computing.

    A consumer applies its batches on a worker thread, and intake's ``prepare`` is pure
    Python for milliseconds per record. Each time the event loop (SMTP sessions, Kafka) or
    a store thread wakes up meanwhile, it waits up to the switch interval for the GIL: at
    the default 5 ms, a burst of mail spends most of its time in those waits, and the 250
    replies (hence the senders) slow to the pace of the consumer. Only ever lowered."""
    if sys.getswitchinterval() > SWITCH_INTERVAL_S:
        sys.setswitchinterval(SWITCH_INTERVAL_S)


@dataclass(frozen=True, slots=True)
class RunnerConfig:
    bootstrap: str
    group_id: str
    dlq_topic: str
    batch_size: int = 500
    session_timeout_ms: int = 2000
    heartbeat_interval_ms: int = 500
    fetch_max_wait_ms: int = 20
    policy: RetryPolicy = field(default_factory=RetryPolicy)


class ConsumerRunner:
    def __init__(
        self,
        spec: ConsumerSpec[Any],
        config: RunnerConfig,
        store: Store,
        codec: AvroCodec,
        on_emitted: Callable[[], None] = lambda: None,
    ) -> None:
        self.spec = spec
        self._cfg = config
        self._store = store
        self._codec = codec
        self._on_emitted = on_emitted
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self.started = asyncio.Event()
        self.handled_total = 0
        self.dead_lettered_total = 0

    # -- lifecycle
    async def run(self) -> None:
        share_the_interpreter()
        consumer = AIOKafkaConsumer(
            self.spec.topic,
            bootstrap_servers=self._cfg.bootstrap,
            group_id=self._cfg.group_id,
            client_id=f"icsr-gateway.{self.spec.name}",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=self._cfg.session_timeout_ms,
            heartbeat_interval_ms=self._cfg.heartbeat_interval_ms,
            max_poll_records=self._cfg.batch_size,
            # The embedded broker holds a fetch for the whole wait when little is flowing;
            # a short wait keeps a quiet pipeline's latency in milliseconds.
            fetch_max_wait_ms=self._cfg.fetch_max_wait_ms,
            max_partition_fetch_bytes=4 * 1024 * 1024,
        )
        self._consumer = consumer
        await consumer.start()
        self.started.set()
        log.info("consumer started", consumer=self.spec.name, topic=self.spec.topic)
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=200, max_records=self._cfg.batch_size)
                if not batches:
                    continue
                # All partitions of a poll in one transaction; within a partition, in order.
                with structlog.contextvars.bound_contextvars(
                    consumer=self.spec.name,
                    topic=self.spec.topic,
                    offsets={
                        f"{tp.partition}": [r[0].offset, r[-1].offset] for tp, r in batches.items()
                    },
                ):
                    await self._handle_records([r for recs in batches.values() for r in recs])
                await self._commit(
                    consumer,
                    {
                        tp: OffsetAndMetadata(records[-1].offset + 1, "")
                        for tp, records in batches.items()
                    },
                )
        finally:
            with contextlib.suppress(KafkaError):
                await consumer.stop()
            log.info("consumer stopped", consumer=self.spec.name)

    def stop(self) -> None:
        """Stop fetching; the batch in hand is finished and committed first."""
        self._stopping.set()

    async def _commit(
        self, consumer: AIOKafkaConsumer, offsets: dict[TopicPartition, OffsetAndMetadata]
    ) -> None:
        try:
            await consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # Redelivery after a rebalance is harmless: processed events are deduplicated.
            log.warning("offset commit failed", consumer=self.spec.name, error=str(exc))

    # -- processing
    async def _handle_records(self, records: Sequence[ConsumerRecord[bytes, bytes]]) -> None:
        envelopes: list[Envelope[Any]] = []
        for record in records:
            try:
                decoded = self.spec.decode(record.value)
            except DecodeError as exc:
                await self._dead_letter(record, exc, attempts=1)
                continue
            envelopes.append(
                Envelope(
                    event_id=decoded.event_id,
                    message=decoded.message,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    key=record.key,
                )
            )
        if not envelopes:
            return
        try:
            await self._apply(envelopes)
        except Exception:  # noqa: BLE001 - fall back to one by one; each failure is handled there
            log.info(
                "batch failed, applying one by one", consumer=self.spec.name, size=len(envelopes)
            )
            by_position = {(r.topic, r.partition, r.offset): r for r in records}
            for env in envelopes:
                await self._apply_with_retries(
                    env, by_position[(env.topic, env.partition, env.offset)]
                )

    async def _apply(self, envelopes: Sequence[Envelope[Any]]) -> None:
        emitted = await asyncio.to_thread(self._prepare_and_apply, envelopes)
        self.handled_total += len(envelopes)
        if emitted:
            self._on_emitted()

    def _prepare_and_apply(self, envelopes: Sequence[Envelope[Any]]) -> int:
        now = utcnow()
        prepared = self.spec.prepare(envelopes, now) if self.spec.prepare is not None else {}
        ctx = HandlerContext(consumer=self.spec.name, now=now, prepared=prepared)
        emitted = self._store.run_sync(self._apply_in_transaction, envelopes, ctx)
        self._after_commit(ctx)
        return emitted

    def _after_commit(self, ctx: HandlerContext) -> None:
        """The batch is stored: what must not happen for an uncommitted one happens now. A
        failure here cannot undo the batch, so it is logged, not raised."""
        for action in ctx.after_commit:
            try:
                action()
            except Exception:  # the transaction stands regardless: log, do not raise
                log.exception("action after commit failed", consumer=self.spec.name)

    def _apply_in_transaction(
        self, conn: Connection, envelopes: Sequence[Envelope[Any]], ctx: HandlerContext
    ) -> int:
        seen = processed.already_processed(conn, self.spec.name, [e.event_id for e in envelopes])
        fresh: list[Envelope[Any]] = []
        for env in envelopes:  # also drops repeats inside one batch
            if env.event_id not in seen:
                seen.add(env.event_id)
                fresh.append(env)
        if not fresh:
            return 0
        now = ctx.now
        self.spec.handle(conn, fresh, ctx)
        outbox.enqueue(conn, ctx.emitted, now)
        audit.record(conn, ctx.audits)
        processed.mark(conn, self.spec.name, [e.event_id for e in fresh], now)
        return len(ctx.emitted)

    async def _apply_with_retries(
        self, env: Envelope[Any], record: ConsumerRecord[bytes, bytes]
    ) -> None:
        with structlog.contextvars.bound_contextvars(
            event_id=env.event_id, partition=env.partition, offset=env.offset
        ):
            await self._retry_loop(env, record)

    async def _retry_loop(self, env: Envelope[Any], record: ConsumerRecord[bytes, bytes]) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                await self._apply([env])
            except Exception as exc:
                decision = self._cfg.policy.decide(exc, attempt)
                if isinstance(decision, DeadLetter):
                    await self._dead_letter(record, exc, attempts=attempt)
                    return
                log.warning(
                    "handler failed, will retry",
                    consumer=self.spec.name,
                    event_id=env.event_id,
                    attempt=attempt,
                    error_type=type(exc).__name__,
                    retry_in_s=decision.delay_s,
                )
                if self._stopping.is_set() and isinstance(exc, GatewayError) and exc.retriable:
                    raise  # shutting down: leave it uncommitted for the next start
                await asyncio.sleep(decision.delay_s)
            else:
                return

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], error: BaseException, attempts: int
    ) -> None:
        letter = dead_letter_record(
            consumer=self.spec.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            key=record.key,
            value=record.value,
            headers=list(record.headers),
            error=error,
            attempts=attempts,
            at=utcnow(),
        )
        message = dead_letter_message(letter, self._cfg.dlq_topic, self._codec)

        def write(conn: Connection) -> None:
            dead_letters.record(conn, [letter])
            outbox.enqueue(conn, [message], letter.failed_at)

        await self._store.run(write)
        self.dead_lettered_total += 1
        self._on_emitted()
        log.error(
            "message dead-lettered",
            consumer=self.spec.name,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            attempts=attempts,
            error_type=letter.error_type,
            reason=letter.error_message[:300],
        )
