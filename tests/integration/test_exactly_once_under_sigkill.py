"""Nothing lost, nothing twice: the consuming process is SIGKILLed mid-flight and restarted."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import URL

from gateway.kafka.embedded import EmbeddedBroker
from gateway.store.engine import build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import cases, inbound_messages, outbox
from schemas.avro import AvroCodec
from tests.integration.pipeline_support import counts, publish, upstream_event, wait_until
from tests.support.gateway_process import GatewayProcess

pytestmark = pytest.mark.integration

TOTAL = 1000


async def test_sigkilled_consumer_leaves_every_event_in_the_store_exactly_once(
    embedded_broker: EmbeddedBroker, database_url: URL, tmp_path: Path, unique_prefix: str
) -> None:
    engine = build_engine(database_url)
    upgrade(engine)
    codec = AvroCodec.default()
    run = uuid.uuid4().hex[:8]
    topic = f"{unique_prefix}icsr.intake.inbound"
    gateway = GatewayProcess(
        tmp_path / "gw",
        {
            "ICSR_KAFKA_BOOTSTRAP": embedded_broker.bootstrap,
            "ICSR_KAFKA_TOPIC_PREFIX": unique_prefix,
            "ICSR_KAFKA_GROUP_PREFIX": f"g-{run}",
            "ICSR_DATABASE_URL": database_url.render_as_string(hide_password=False),
            "ICSR_CONSUMER_BATCH_SIZE": "50",  # small batches: kills land between and inside them
        },
    )
    events = [(f"k{n % 37}".encode(), upstream_event(codec, n, run)) for n in range(TOTAL)]
    kills = 0
    try:
        gateway.start()
        gateway.wait_ready()
        for start, stop in ((0, 400), (400, 750), (750, TOTAL)):
            await publish(embedded_broker.bootstrap, topic, events[start:stop])
            if kills < 2:
                # Kill while work is still in flight: some of this slice processed, not all.
                wait_until(
                    lambda s=start: counts(engine)["cases"] > s + 20,
                    60,
                    "processing to begin",
                    gateway.log,
                )
                assert counts(engine)["cases"] < TOTAL
                gateway.kill()
                kills += 1
                gateway.start()
                gateway.wait_ready()
        wait_until(
            lambda: counts(engine)["cases"] >= TOTAL,
            120,
            f"{TOTAL} cases",
            lambda: (counts(engine), gateway.log()),
        )
        assert gateway.terminate() == 0
    finally:
        if gateway.proc and gateway.proc.poll() is None:
            gateway.kill()

    assert kills == 2
    assert gateway.starts == 3
    final = counts(engine)
    assert final == {"cases": TOTAL, "inbound": TOTAL, "processed": TOTAL, "case_events": TOTAL}
    with engine.connect() as conn:
        source_ids = Counter(r[0] for r in conn.execute(select(inbound_messages.c.source_id)))
        case_sources = Counter(r[0] for r in conn.execute(select(cases.c.source_inbound_id)))
        inbound_ids = {r[0] for r in conn.execute(select(inbound_messages.c.id))}
        statuses = Counter(r[0] for r in conn.execute(select(inbound_messages.c.status)))
        unpublished = conn.execute(select(outbox.c.id).where(outbox.c.published_at.is_(None))).all()
    assert set(source_ids) == {f"{run}-{n}" for n in range(TOTAL)}
    assert max(source_ids.values()) == 1
    assert set(case_sources) == inbound_ids
    assert max(case_sources.values()) == 1
    assert statuses == {"processed": TOTAL}
    assert unpublished == []  # the SIGTERM stop flushed the outbox
    engine.dispose()
