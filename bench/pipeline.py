"""Benchmark: intake topic → store → outbox → case-events topic, against bare produce+consume.

Both run in one process run on the same embedded broker. The pipeline is the real gateway
(`icsr-gateway run` as a separate process, SQLite store); this process produces the intake
events and consumes the case events it causes. The baseline produces the same number of
messages of the same size to a topic and consumes them back, with the same clients.

Two phases each: a burst (throughput: events/s from first send to last receipt) and a paced
load (latency p50/p99 from send to receipt, at a rate both can sustain).

    python -m bench.pipeline [--events 20000] [--paced-events 3000] [--rate 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy.engine import make_url

from bench.gateway_process import start_gateway as start_process
from gateway.kafka.admin import ensure_topics
from gateway.kafka.embedded import EmbeddedBroker
from gateway.store.engine import build_engine
from gateway.store.migrate import upgrade
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic


@dataclass
class Result:
    name: str
    events: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]


def intake_event(codec: AvroCodec, run: str, n: int) -> bytes:
    return codec.encode(
        SchemaName.INBOUND_REPORT,
        {
            "event_id": f"bench:{run}:{n}",
            "inbound_id": f"IN-{run}-{n}",
            "channel": "UPSTREAM_EVENT",
            "source_id": f"{run}-{n}",
            "received_at": datetime.now(UTC),
            "content_type": "application/json",
            "payload": json.dumps({"safetyreportid": f"{run}-{n}", "serious": "1"}).encode(),
            "headers": {},
            "thread_key": None,
        },
    )


async def _consume_until(
    consumer: AIOKafkaConsumer,
    expected: int,
    ident: callable,
    sent: dict[str, float],
    timeout: float,
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    seen: set[str] = set()
    last = time.perf_counter()
    async with asyncio.timeout(timeout):
        while len(seen) < expected:
            batch = await consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.perf_counter()
            for records in batch.values():
                for r in records:
                    key = ident(r)
                    if key in sent and key not in seen:
                        seen.add(key)
                        latencies.append((now - sent[key]) * 1000)
                        last = now
    return last, latencies


async def run_phase(
    name: str,
    bootstrap: str,
    in_topic: str,
    out_topic: str,
    values: list[tuple[str, bytes]],
    ident: callable,
    rate: float | None,
) -> Result:
    consumer = AIOKafkaConsumer(
        out_topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="latest",
        enable_auto_commit=False,
        fetch_max_wait_ms=10,
        max_partition_fetch_bytes=4 * 1024 * 1024,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=False, linger_ms=2
    )
    await consumer.start()
    await producer.start()
    await consumer.getmany(timeout_ms=200)  # assignment settled at the log end
    sent: dict[str, float] = {}
    try:
        consume = asyncio.create_task(
            _consume_until(consumer, len(values), ident, sent, timeout=600)
        )
        start = time.perf_counter()
        for i, (key, value) in enumerate(values):
            if rate is not None:
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent[key] = time.perf_counter()
            await producer.send(in_topic, value=value, key=key.encode())
        await producer.flush()
        last, latencies = await consume
        return Result(name, len(values), last - start, latencies)
    finally:
        await producer.stop()
        await consumer.stop()


def start_gateway(
    tmp: Path, bootstrap: str, prefix: str, db_url: str, processes: int
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ICSR_KAFKA_BOOTSTRAP": bootstrap,
        "ICSR_KAFKA_TOPIC_PREFIX": prefix,
        "ICSR_DATABASE_URL": db_url,
        "ICSR_DATA_DIR": str(tmp / "gw"),
        "ICSR_HTTP_PORT": "0",
        "ICSR_SMTP_LISTEN_PORT": "0",
        "ICSR_LOG_LEVEL": "WARNING",
        "ICSR_CONSUMER_BATCH_SIZE": "1000",
        "ICSR_CONSUMER_PROCESSES": str(processes),
        "ICSR_KAFKA_GROUP_PREFIX": f"bench{processes}",
    }
    proc, _info = start_process(env, tmp / "gw", tmp / "gateway.log", timeout=30)
    return proc


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--paced-events", type=int, default=3_000)
    parser.add_argument("--rate", type=float, default=1_000.0, help="events/s of the paced phase")
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1, 2],
        help="consumer process counts to measure (ICSR_CONSUMER_PROCESSES)",
    )
    args = parser.parse_args()
    codec = AvroCodec.default()

    with tempfile.TemporaryDirectory(prefix="icsr-bench-") as tmpname:
        tmp = Path(tmpname)
        broker = EmbeddedBroker(tmp / "broker")
        await broker.start()
        db_url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(build_engine(make_url(db_url)))
        await ensure_topics(broker.bootstrap, ["bare.in"], 3, 1)
        results: list[tuple[str, Result]] = []

        def bare_ident(r: object) -> str:
            return r.key.decode()  # type: ignore[attr-defined]

        def case_ident(r: object) -> str:
            return str(codec.decode_as(SchemaName.CASE_EVENT, r.value)["source_inbound_id"])  # type: ignore[attr-defined]

        phases = (("burst", args.events, None), ("paced", args.paced_events, args.rate))
        try:
            for label, count, rate in phases:
                run = f"bare{label}{int(time.time())}"
                values = [(f"IN-{run}-{n}", intake_event(codec, run, n)) for n in range(count)]
                print(f"[{label}] bare produce+consume of {count} messages …", flush=True)
                results.append(
                    (
                        "bare",
                        await run_phase(
                            f"bare produce+consume ({label})",
                            broker.bootstrap,
                            "bare.in",
                            "bare.in",
                            values,
                            bare_ident,
                            rate,
                        ),
                    )
                )
            for processes in args.processes:
                prefix = f"bench{processes}."
                await ensure_topics(broker.bootstrap, [prefix + t for t in Topic], 3, 1)
                gateway = start_gateway(tmp, broker.bootstrap, prefix, db_url, processes)
                try:
                    for label, count, rate in phases:
                        run = f"p{processes}{label}{int(time.time())}"
                        values = [
                            (f"IN-{run}-{n}", intake_event(codec, run, n)) for n in range(count)
                        ]
                        print(
                            f"[{label}] intake → store → outbox → case events, {count} events, "
                            f"{processes} consumer process(es) …",
                            flush=True,
                        )
                        name = f"pipeline, {processes} proc ({label})"
                        results.append(
                            (
                                f"p{processes}",
                                await run_phase(
                                    name,
                                    broker.bootstrap,
                                    prefix + Topic.INTAKE_INBOUND,
                                    prefix + Topic.CASE_EVENTS,
                                    values,
                                    case_ident,
                                    rate,
                                ),
                            )
                        )
                finally:
                    gateway.terminate()
                    gateway.wait(30)
        finally:
            broker.stop()

    print()
    print(
        "intake topic → store (SQLite, WAL) → outbox → case-events topic, embedded broker, one run"
    )
    print(f"{'path':40} {'events':>7} {'events/s':>10} {'p50 ms':>8} {'p99 ms':>8}")
    for _, r in results:
        print(f"{r.name:40} {r.events:>7} {r.rate:>10.0f} {r.pct(50):>8.1f} {r.pct(99):>8.1f}")
    by = {(k, r.name.rsplit("(", 1)[1].rstrip(")")): r for k, r in results}
    print()
    for processes in args.processes:
        b, p = by[("bare", "burst")], by[(f"p{processes}", "burst")]
        bp, pp = by[("bare", "paced")], by[(f"p{processes}", "paced")]
        verdict = "met" if p.rate >= 5000 else "NOT met"
        print(
            f"{processes} consumer process(es): {p.rate:.0f} events/s, "
            f"{p.rate / b.rate:.3f} of bare produce+consume ({b.rate:.0f}/s); "
            f"paced p50 {pp.pct(50):.1f} ms vs bare {bp.pct(50):.1f} ms "
            f"({pp.pct(50) / bp.pct(50):.1f}x); target ≥ 5000/s: {verdict}"
        )
    print(
        f"machine: {os.cpu_count()} cores; latencies are send → receipt of the resulting event; "
        "the burst's latencies include queueing behind the burst"
    )


if __name__ == "__main__":
    asyncio.run(main())
