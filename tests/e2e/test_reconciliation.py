"""The memory-only embedded broker and the gateway die together mid-flight: nothing is lost."""

from __future__ import annotations

import socket
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from channels.acceptance import InboundAcceptor
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import cases, inbound_messages
from schemas.avro import AvroCodec
from tests.integration.pipeline_support import counts, wait_until
from tests.support.gateway_process import GatewayProcess

pytestmark = pytest.mark.e2e

TOTAL = 800


def _port_open(bootstrap: str) -> bool:
    host, port = bootstrap.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
    except OSError:
        return False
    return True


def test_killing_gateway_and_embedded_broker_mid_flight_loses_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "gw"
    store = Store(build_engine(make_url(f"sqlite:///{data_dir}/gateway.sqlite3")))
    upgrade(store.engine)
    # A channel in another process: it persists before acknowledging, gateway up or not.
    acceptor = InboundAcceptor(store, AvroCodec.default())
    gateway = GatewayProcess(data_dir, {})

    def accept(numbers: range) -> None:
        for n in numbers:
            result = acceptor.accept_sync(
                channel="EMAIL",
                source_id=f"<m{n}@reporter.example>",
                payload=f"report {n}".encode(),
                content_type="message/rfc822",
            )
            assert not result.duplicate

    try:
        gateway.start()
        gateway.wait_ready()
        bootstrap = gateway_bootstrap(gateway)
        accept(range(0, 500))
        wait_until(
            lambda: counts(store.engine)["cases"] > 50, 60, "processing to begin", gateway.log
        )
        assert counts(store.engine)["cases"] < TOTAL
        # SIGKILL: the embedded broker, holding published events in memory, dies with it.
        gateway.kill()
        wait_until(lambda: not _port_open(bootstrap), 10, "the embedded broker to exit")

        accept(range(500, TOTAL))  # accepted while nothing runs: only the store has them
        assert acceptor.accept_sync(
            channel="EMAIL",
            source_id="<m1@reporter.example>",
            payload=b"again",
            content_type="message/rfc822",
        ).duplicate

        gateway.start()  # a new, empty broker: reconciliation puts the unfinished work back
        gateway.wait_ready()
        wait_until(
            lambda: counts(store.engine)["cases"] >= TOTAL,
            90,
            f"{TOTAL} cases",
            lambda: (counts(store.engine), gateway.log()),
        )
        assert gateway.terminate() == 0
    finally:
        if gateway.proc and gateway.proc.poll() is None:
            gateway.kill()

    with store.engine.connect() as conn:
        per_inbound = Counter(r[0] for r in conn.execute(select(cases.c.source_inbound_id)))
        statuses = Counter(r[0] for r in conn.execute(select(inbound_messages.c.status)))
    assert len(per_inbound) == TOTAL
    assert set(per_inbound.values()) == {1}
    assert statuses == {"processed": TOTAL}
    assert counts(store.engine)["inbound"] == TOTAL
    store.dispose()


def gateway_bootstrap(gateway: GatewayProcess) -> str:
    import json

    gateway.http_url()
    return str(json.loads(gateway.runtime_file.read_text())["bootstrap"])
