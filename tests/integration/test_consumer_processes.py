"""Extra consumer processes share the partitions; a killed one is restarted; nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from gateway.kafka.embedded import EmbeddedBroker
from gateway.store.engine import build_engine
from gateway.store.migrate import upgrade
from schemas.avro import AvroCodec
from tests.integration.pipeline_support import counts, publish, upstream_event, wait_until
from tests.support.gateway_process import GatewayProcess

pytestmark = pytest.mark.integration

TOTAL = 1500


def _worker_pids(parent: int) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(parent), "-f", "gateway consume"],
        capture_output=True,
        text=True,
        check=False,
    )
    return [int(p) for p in found.stdout.split()]


async def test_a_sigkilled_consumer_process_is_restarted_and_every_event_lands_once(
    embedded_broker: EmbeddedBroker, tmp_path: Path, unique_prefix: str
) -> None:
    database_url = URL.create("sqlite", database=str(tmp_path / "store.sqlite3"))
    engine = build_engine(database_url)
    upgrade(engine)
    codec = AvroCodec.default()
    run = uuid.uuid4().hex[:8]
    gateway = GatewayProcess(
        tmp_path / "gw",
        {
            "ICSR_KAFKA_BOOTSTRAP": embedded_broker.bootstrap,
            "ICSR_KAFKA_TOPIC_PREFIX": unique_prefix,
            "ICSR_KAFKA_GROUP_PREFIX": f"g-{run}",
            "ICSR_DATABASE_URL": database_url.render_as_string(hide_password=False),
            "ICSR_CONSUMER_PROCESSES": "2",
            "ICSR_CONSUMER_BATCH_SIZE": "50",
        },
    )
    events = [(f"k{n}".encode(), upstream_event(codec, n, run)) for n in range(TOTAL)]
    try:
        gateway.start()
        gateway.wait_ready()
        assert gateway.proc is not None
        [worker] = _worker_pids(gateway.proc.pid)
        await publish(embedded_broker.bootstrap, f"{unique_prefix}icsr.intake.inbound", events)
        wait_until(lambda: counts(engine)["cases"] > 100, 60, "processing to begin", gateway.log)
        os.kill(worker, signal.SIGKILL)
        wait_until(
            lambda: [p for p in _worker_pids(gateway.proc.pid) if p != worker] != [],  # type: ignore[union-attr]
            30,
            "the worker to be restarted",
            gateway.log,
        )
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
    assert counts(engine) == {
        "cases": TOTAL,
        "inbound": TOTAL,
        "processed": TOTAL,
        "case_events": TOTAL,
    }
    assert "consumer worker exited; restarting" in gateway.log()
    engine.dispose()
