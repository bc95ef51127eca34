"""Helpers shared by the pipeline tests: publishing intake events and reading the store."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import Engine, func, select

from gateway.store.tables import cases, inbound_messages, outbox, processed_events
from schemas.avro import AvroCodec, SchemaName


def upstream_event(codec: AvroCodec, n: int, run: str) -> bytes:
    """An upstream safety database's report, published with its payload (FAERS-like JSON)."""
    payload = json.dumps({"safetyreportid": f"{run}-{n}", "serious": "1"}).encode()
    return codec.encode(
        SchemaName.INBOUND_REPORT,
        {
            "event_id": f"upstream:{run}:{n}",
            "inbound_id": "",
            "channel": "UPSTREAM_EVENT",
            "source_id": f"{run}-{n}",
            "received_at": datetime.now(UTC),
            "content_type": "application/json",
            "payload": payload,
            "headers": {},
            "thread_key": None,
        },
    )


async def publish(bootstrap: str, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=False)
    await producer.start()
    try:
        futures = [await producer.send(topic, value=v, key=k) for k, v in values]
        for f in futures:
            await f
    finally:
        await producer.stop()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            "cases": conn.execute(select(func.count()).select_from(cases)).scalar_one(),
            "inbound": conn.execute(
                select(func.count()).select_from(inbound_messages)
            ).scalar_one(),
            "processed": conn.execute(
                select(func.count())
                .select_from(processed_events)
                .where(processed_events.c.consumer == "intake")
            ).scalar_one(),
            "case_events": conn.execute(
                select(func.count())
                .select_from(outbox)
                .where(outbox.c.topic.like("%icsr.case.events"))
            ).scalar_one(),
        }


def wait_until(
    predicate: Callable[[], bool],
    timeout: float,
    what: str,
    on_timeout: Callable[[], Any] = lambda: "",
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; {on_timeout()}")
