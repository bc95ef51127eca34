"""Benchmark: full submission lifecycles per second on the embedded broker with SQLite.

One lifecycle: a partner's E2B(R3) file posted to ``/api/v1/intake/e2b`` → a case → planned
for EudraVigilance → an E2B(R3) batch in the folder hand-off → the regulator simulator's
ACK in the inbox → routed, the submission accepted. The gateway runs as ``icsr-gateway run``
(embedded broker, SQLite store); this process posts the reports and runs the simulator.

Prints lifecycles/s (first post to last acceptance) and latency percentiles from receipt
to dispatch (inbound received_at → submission dispatched_at) and from ACK file to routed
(the ACK file's modification time → the submission's acked_at).

``--source web-form`` starts each lifecycle with a web-form JSON report (``/api/v1/intake``,
a serious case from Germany) instead of a partner's E2B file. Submissions our own checks
block (reject findings) are counted and shown: they never reach the regulator.

    python -m bench.lifecycle [--reports 2000] [--concurrency 16] [--source e2b|web-form]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.gateway_process import start_gateway
from gateway.regulator import RegulatorSimulator
from gateway.store.engine import build_engine
from gateway.store.tables import acks, cases, inbound_messages, submissions

SHARED = Path(__file__).resolve().parents[2] / "shared"
SAMPLE = SHARED / "e2b" / "samples" / "fda-r3" / "FAERS2022Scenario1.xml"

DESTINATIONS = """
[[destinations]]
id = "EV"
name = "EudraVigilance"
format = "R3"
profile = "ema"
batch_receiver = "EVHUMAN"
batch_sender = "ICSRGW"
max_batch_size = 100
deadline_rules = ["EU-PM-SERIOUS-15", "EU-PM-NONSERIOUS-EEA-90"]
[destinations.transport]
kind = "folder"
outbox_dir = "{root}/ev/outbox"
inbox_dir = "{root}/ev/inbox"
"""


def report(n: int, run: str) -> bytes:
    data = SAMPLE.read_bytes()
    data = data.replace(
        b'<code code="US" codeSystem="1.0.3166.1.2.2"/>',
        b'<code code="DE" codeSystem="1.0.3166.1.2.2"/>',
    )
    data = data.replace(b"<country>US</country>", b"<country>DE</country>")
    return data.replace(b"US-APHARMA-8744554B", f"DE-APHARMA-{run}-{n}".encode())


def web_form(n: int, run: str) -> bytes:
    """A serious web-form report from Germany (its own report id: no duplicate)."""
    return json.dumps(
        {
            "report_id": f"WEB-{run}-{n}",
            "language": "en",
            "reporter": {
                "name": "Dr Example",
                "email": "reporter@example.org",
                "qualification": "physician",
                "country": "DE",
            },
            "patient": {"initials": "AB", "age": 54, "sex": "female"},
            "products": [{"name": "Examplozole", "dose": "20 mg daily", "route": "oral"}],
            "reactions": [{"description": "hepatitis", "outcome": "recovering"}],
            "seriousness": ["hospitalisation"],
            "description": "Admitted with hepatitis two weeks after starting the product.",
        }
    ).encode()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    data = sorted(values)
    return data[min(len(data) - 1, int(p / 100 * len(data)))]


async def post_all(url: str, bodies: list[bytes], concurrency: int, content_type: str) -> None:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            r = await client.post(url, content=body, headers={"Content-Type": content_type})
            if r.status_code != 202:
                raise SystemExit(f"intake refused a report: {r.status_code} {r.text[:200]}")

    async with httpx.AsyncClient(timeout=60) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))


def simulate(root: Path, stop: threading.Event) -> None:
    sim = RegulatorSimulator(root / "ev" / "outbox", root / "ev" / "inbox", profile="ema")
    while not stop.is_set():
        if not sim.process_once():
            time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--source", choices=("e2b", "web-form"), default="e2b")
    args = parser.parse_args()
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="bench-lifecycle-") as tmp:
        base = Path(tmp)
        root, data_dir = base / "regulators", base / "gw"
        data_dir.mkdir()
        destinations = base / "destinations.toml"
        destinations.write_text(DESTINATIONS.format(root=root), encoding="utf-8")
        env = {
            **os.environ,
            "ICSR_DATA_DIR": str(data_dir),
            "ICSR_HTTP_PORT": "0",
            "ICSR_SMTP_LISTEN_PORT": "off",
            "ICSR_LOG_LEVEL": "WARNING",
            "ICSR_E2B_RECEIVER_IDS": "ZZFDA,ZZFDA_PREMKT",
            "ICSR_DESTINATIONS_FILE": str(destinations),
            "ICSR_SUBMISSION_DISPATCH_INTERVAL_S": "0.05",
            "ICSR_SUBMISSION_ACK_POLL_S": "0.05",
        }
        proc, info = start_gateway(env, data_dir, base / "gateway.log")
        stop = threading.Event()
        simulator = threading.Thread(target=simulate, args=(root, stop), daemon=True)
        simulator.start()
        engine = build_engine(make_url(f"sqlite:///{data_dir / 'gateway.sqlite3'}"))
        try:
            if args.source == "e2b":
                bodies = [report(n, run) for n in range(args.reports)]
                url, content_type = info["http_url"] + "/api/v1/intake/e2b", "application/xml"
            else:
                bodies = [web_form(n, run) for n in range(args.reports)]
                url, content_type = info["http_url"] + "/api/v1/intake", "application/json"
            started = time.monotonic()
            asyncio.run(post_all(url, bodies, args.concurrency, content_type))
            posted = time.monotonic() - started
            deadline = started + args.timeout
            done = blocked = 0
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    counts: dict[str, int] = {
                        str(status): int(n)
                        for status, n in conn.execute(
                            select(submissions.c.status, func.count())
                            .where(submissions.c.status.in_(("accepted", "blocked")))
                            .group_by(submissions.c.status)
                        )
                    }
                done, blocked = counts.get("accepted", 0), counts.get("blocked", 0)
                if done + blocked >= args.reports:
                    break
                time.sleep(0.1)
            elapsed = time.monotonic() - started
            findings: Counter[str] = Counter()
            with engine.connect() as conn:
                for errors in conn.execute(
                    select(submissions.c.errors).where(submissions.c.status == "blocked")
                ).scalars():
                    findings.update(errors or ())
                dispatch = [
                    (r.dispatched_at - r.received_at).total_seconds() * 1000
                    for r in conn.execute(
                        select(submissions.c.dispatched_at, inbound_messages.c.received_at)
                        .join(cases, cases.c.id == submissions.c.case_id)
                        .join(inbound_messages, inbound_messages.c.id == cases.c.source_inbound_id)
                        .where(submissions.c.dispatched_at.is_not(None))
                    )
                ]
                routed = []
                processed = root / "ev" / "inbox" / "processed"
                for r in conn.execute(select(acks.c.source_ref, acks.c.routed_at)):
                    path = processed / str(r.source_ref)
                    if r.routed_at is not None and path.exists():
                        written = datetime.fromtimestamp(path.stat().st_mtime, UTC)
                        routed.append((r.routed_at - written).total_seconds() * 1000)
        finally:
            stop.set()
            simulator.join(5)
            proc.terminate()
            proc.wait(30)
            engine.dispose()
        load = os.getloadavg()
        print(
            f"lifecycle benchmark: {args.reports} {args.source} reports, embedded broker, SQLite"
            f" (load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}, {os.cpu_count()} cores)"
        )
        print(f"  posted in {posted:.1f} s ({args.reports / posted:.0f} reports/s accepted)")
        print(
            f"  {done} accepted in {elapsed:.1f} s: {done / elapsed:.1f} full lifecycles/s"
            + ("" if done + blocked >= args.reports else f" (TIMED OUT: {done}/{args.reports})")
        )
        if blocked:
            print(f"  {blocked} submissions blocked by our own checks (never sent):")
            for finding, n in findings.most_common(8):
                print(f"    {n:6d}  {finding[:160]}")
        print(
            "  receipt → dispatch ms: "
            f"p50 {pct(dispatch, 50):.0f}  p95 {pct(dispatch, 95):.0f}  p99 {pct(dispatch, 99):.0f}"
        )
        print(
            "  ACK file → routed ms:  "
            f"p50 {pct(routed, 50):.0f}  p95 {pct(routed, 95):.0f}  p99 {pct(routed, 99):.0f}"
        )


if __name__ == "__main__":
    main()
