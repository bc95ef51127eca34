"""Benchmark: report e-mails over SMTP → stored raw → intake consumer → stored case.

The gateway is the real one (`python -m gateway run` as a separate process, its embedded
broker, SQLite store at ``<data_dir>/gateway.sqlite3``). This process sends report e-mails
built from the labelled corpus (``tests/data/corpus/reports.jsonl``, the EMAIL ones; each
sent as a distinct message with its own Message-ID) over ``--concurrency`` SMTP sessions,
each session reused for many messages, and watches the store for the resulting cases.

Measured per report, client-side: SMTP send start → the case row visible in the store
(a read-only poller on the SQLite file, every ``--poll-ms``). The store's own timestamps
cannot give this: a case's ``created_at`` and its first version's ``created_at`` are the
inbound ``received_at`` by design (the case is dated from receipt), so they differ by 0.

Throughput = reports / (last case visible - first SMTP send). A short warm-up (not
measured) goes first. The latencies are those of a burst: they include queueing behind it.

    python -m bench.intake [--reports 2000] [--concurrency 8] [--processes 1 2]
                           [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/test]

``--postgres SERVER_URL`` measures the same on PostgreSQL as well (a fresh database per
run, created on that server and dropped afterwards): the target is for SQLite, the
PostgreSQL figures show how the consumer processes scale on a store with many writers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

import aiosmtplib
import sqlalchemy
from sqlalchemy.engine import make_url

from bench.gateway_process import start_gateway as start_process

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "data" / "corpus" / "reports.jsonl"
RECIPIENT = "safety@localhost"
TARGET = 300.0  # reports/s on the 2-core machine
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    store: str
    processes: int
    reports: int
    concurrency: int
    seconds: float  # first SMTP send → last case visible
    accept_seconds: float  # first SMTP send → last 250 reply
    latencies_ms: list[float]
    cpu_s: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.reports / self.seconds

    @property
    def accept_rate(self) -> float:
        return self.reports / self.accept_seconds

    def pct(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]


# -- the e-mails ------------------------------------------------------------------------------


def corpus_reports() -> list[dict[str, object]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]
    email = [r for r in rows if r.get("channel") == "EMAIL"]
    return email or rows


def build_mail(report: dict[str, object], run: str, n: int) -> tuple[str, bytes]:
    sender = report.get("sender") or {}
    assert isinstance(sender, dict)
    address = sender.get("email") or f"reporter{n}@example.org"
    msg = EmailMessage()
    msg["From"] = formataddr((sender.get("display_name") or "", address))
    msg["To"] = RECIPIENT
    msg["Subject"] = "Suspected adverse reaction"
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = f"<bench-{run}-{n}@reporter.example>"
    msg.set_content(str(report["text"]))
    return str(address), msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


# -- watching the store -------------------------------------------------------------------------


class CaseWatcher:
    """Polls ``cases`` by rowid (SQLite has one writer, so rowids grow in commit order)."""

    def __init__(self, db: Path, poll_s: float, url: str | None = None) -> None:
        """``db``: the SQLite file read by rowid; ``url``: a database read through
        SQLAlchemy instead (PostgreSQL has no rowid)."""
        self._db = db
        self._url = url
        self._poll_s = poll_s
        self.seen: dict[str, float] = {}  # source inbound id → perf_counter when first seen
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="case-watcher", daemon=True)
        self._last_rowid = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._url is not None:
            self._thread.start()
            return
        conn = sqlite3.connect(f"file:{self._db}?mode=ro", uri=True)
        try:
            self._last_rowid = conn.execute("SELECT COALESCE(MAX(rowid), 0) FROM cases").fetchone()[
                0
            ]
        finally:
            conn.close()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        if self._url is not None:
            self._run_sqlalchemy(self._url)
            return
        conn = sqlite3.connect(f"file:{self._db}?mode=ro", uri=True, check_same_thread=False)
        try:
            while not self._stop.is_set():
                rows = conn.execute(
                    "SELECT rowid, source_inbound_id FROM cases WHERE rowid > ? ORDER BY rowid",
                    (self._last_rowid,),
                ).fetchall()
                now = time.perf_counter()
                for rowid, inbound_id in rows:
                    self._last_rowid = rowid
                    if inbound_id is not None:
                        self.seen.setdefault(inbound_id, now)
                if rows and self._loop is not None:
                    self._loop.call_soon_threadsafe(self._changed.set)
                self._stop.wait(self._poll_s)
        finally:
            conn.close()

    def _run_sqlalchemy(self, url: str) -> None:
        engine = sqlalchemy.create_engine(url)
        query = sqlalchemy.text(
            "SELECT source_inbound_id FROM cases WHERE source_inbound_id IS NOT NULL"
        )
        try:
            while not self._stop.is_set():
                with engine.connect() as conn:
                    ids = [row[0] for row in conn.execute(query)]
                now = time.perf_counter()
                new = [i for i in ids if i not in self.seen]
                for inbound_id in new:
                    self.seen[inbound_id] = now
                if new and self._loop is not None:
                    self._loop.call_soon_threadsafe(self._changed.set)
                self._stop.wait(self._poll_s)
        finally:
            engine.dispose()

    async def wait_for(self, inbound_ids: set[str], timeout: float) -> float:
        """perf_counter time of the last of ``inbound_ids`` to become visible."""
        async with asyncio.timeout(timeout):
            while True:
                self._changed.clear()
                if inbound_ids <= self.seen.keys():
                    break
                await self._changed.wait()
        return max(self.seen[i] for i in inbound_ids)


# -- sending ------------------------------------------------------------------------------------


async def send_all(
    port: int, mails: list[tuple[str, bytes]], concurrency: int
) -> tuple[dict[str, float], float, float]:
    """Send every mail; return inbound id → send start, first send start, last 250."""
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for mail in mails:
        queue.put_nowait(mail)
    started: dict[str, float] = {}
    first: list[float] = []
    last = 0.0

    async def worker() -> None:
        nonlocal last
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=port, start_tls=False, timeout=120)
        await client.connect()
        try:
            while True:
                try:
                    sender, raw = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                if not first:
                    first.append(t0)
                errors, response = await client.sendmail(sender, [RECIPIENT], raw)
                last = max(last, time.perf_counter())
                if errors or "stored as" not in response:
                    raise SystemExit(f"mail refused: {errors} {response}")
                started[response.rsplit(" ", 1)[1]] = t0
        finally:
            await client.quit()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return started, first[0], last


# -- the gateway process ------------------------------------------------------------------------


def start_gateway(
    tmp: Path, processes: int, database_url: str | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICSR_")}
    if database_url is not None:
        env["ICSR_DATABASE_URL"] = database_url
    env.update(
        {
            "ICSR_DATA_DIR": str(tmp / "gw"),
            "ICSR_CATALOGUE_FILE": str(REPO / "tests" / "data" / "catalogue" / "products.json"),
            "ICSR_MEDDRA_DIR": str(REPO / "tests" / "data" / "meddra"),
            "ICSR_HTTP_PORT": "0",
            "ICSR_SMTP_LISTEN_PORT": "0",
            "ICSR_LOG_LEVEL": "WARNING",
            "ICSR_CONSUMER_PROCESSES": str(processes),
            # The corpus repeats its reporters: with follow-up requests on, a reporter's next
            # report would (rightly) be threaded as a reply to the request, not open a case.
            "ICSR_FOLLOWUP_ENABLED": "false",
        }
    )
    proc, info = start_process(env, tmp / "gw", tmp / "gateway.log", cwd=REPO)
    return proc, int(info["smtp_port"])


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out.extend(int(c) for c in task.read_text().split())
        except OSError:
            continue
    return out


def process_tree(pid: int) -> dict[int, str]:
    """pid → role: the gateway process, its consumer workers and the broker."""
    roles = {pid: "gateway"}
    for child in _children(pid):
        try:
            cmd = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        roles[child] = "worker" if b"consume" in cmd else "broker"
    return roles


def cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def cpu_by_role(roles: dict[int, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for pid, role in roles.items():
        out[role] = out.get(role, 0.0) + cpu_seconds(pid)
    return out


def start_profiles(
    roles: dict[int, str], out_dir: Path, seconds: int, gil: bool = False
) -> list[subprocess.Popen[bytes]]:
    spy = Path(sys.executable).parent / "py-spy"
    procs = []
    for pid, role in roles.items():
        if role == "broker":
            continue
        out = out_dir / f"{role}-{pid}.txt"
        procs.append(
            subprocess.Popen(
                [
                    str(spy),
                    *("record", "-p", str(pid), "-f", "raw", "-o", str(out)),
                    *("--nonblocking", "-d", str(seconds), "-r", "200"),
                    *(["--gil"] if gil else []),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    return procs


# -- one measurement ----------------------------------------------------------------------------


async def measure(
    processes: int,
    reports: int,
    concurrency: int,
    warmup: int,
    poll_s: float,
    profile_dir: Path | None,
    profile_seconds: int = 5,
    profile_gil: bool = False,
    postgres: str | None = None,
) -> Result:
    corpus = corpus_reports()
    run = f"p{processes}-{int(time.time())}"
    warm = [build_mail(corpus[n % len(corpus)], f"{run}w", n) for n in range(warmup)]
    mails = [build_mail(corpus[n % len(corpus)], run, n) for n in range(reports)]
    with tempfile.TemporaryDirectory(prefix="icsr-bench-intake-") as tmpname:
        tmp = Path(tmpname)
        database = fresh_postgres_database(postgres) if postgres else None
        gateway, port = start_gateway(tmp, processes, database)
        try:
            db = tmp / "gw" / "gateway.sqlite3"
            watcher = CaseWatcher(db, poll_s, url=database)
            watcher.start()
            try:
                if warm:
                    started, _, _ = await send_all(port, warm, concurrency)
                    await watcher.wait_for(set(started), timeout=300)
                roles = process_tree(gateway.pid)
                spies = (
                    start_profiles(roles, profile_dir, profile_seconds, profile_gil)
                    if profile_dir
                    else []
                )
                cpu_before = cpu_by_role(roles)
                bench_cpu = time.process_time()
                started, first, last_accept = await send_all(port, mails, concurrency)
                last_case = await watcher.wait_for(set(started), timeout=600)
                cpu_after = cpu_by_role(roles)
                cpu_after["bench"] = time.process_time() - bench_cpu
                for spy in spies:
                    spy.wait(30 + profile_seconds)
            finally:
                watcher.stop()
            latencies = [(watcher.seen[i] - t0) * 1000 for i, t0 in started.items()]
            return Result(
                store="postgresql" if database else "sqlite",
                processes=processes,
                reports=len(started),
                concurrency=concurrency,
                seconds=last_case - first,
                accept_seconds=last_accept - first,
                latencies_ms=latencies,
                cpu_s={k: v - cpu_before.get(k, 0.0) for k, v in cpu_after.items()},
            )
        finally:
            gateway.terminate()
            gateway.wait(30)
            if database is not None:
                drop_postgres_database(postgres or "", database)


def fresh_postgres_database(server_url: str) -> str:
    """A new, empty database on ``server_url``; its URL."""
    name = f"icsr_bench_{uuid.uuid4().hex[:12]}"
    admin = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, url: str) -> None:
    admin = sqlalchemy.create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = make_url(url).database
            conn.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="SMTP sessions")
    parser.add_argument("--warmup", type=int, default=100, help="reports sent first, unmeasured")
    parser.add_argument("--poll-ms", type=float, default=10.0, help="store poll interval")
    parser.add_argument(
        "--processes",
        type=int,
        nargs="+",
        default=[1, 2],
        help="consumer process counts to measure (ICSR_CONSUMER_PROCESSES)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="directory for py-spy raw profiles of the gateway and workers per run",
    )
    parser.add_argument(
        "--profile-seconds", type=int, default=5, help="how long each py-spy profile samples"
    )
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="sample only the thread holding the GIL (where one process's CPU goes)",
    )
    parser.add_argument(
        "--postgres",
        default=None,
        metavar="SERVER_URL",
        help="also measure on PostgreSQL (a fresh database on this server per run)",
    )
    args = parser.parse_args()

    results: list[Result] = []
    stores = [None, args.postgres] if args.postgres else [None]
    runs = [(store, processes) for store in stores for processes in args.processes]
    for postgres, processes in runs:
        print(
            f"{args.reports} report e-mails over {args.concurrency} SMTP sessions → cases, "
            f"{processes} consumer process(es), {'PostgreSQL' if postgres else 'SQLite'} …",
            flush=True,
        )
        profile_dir = None
        if args.profile is not None:
            profile_dir = args.profile / f"{'pg-' if postgres else ''}p{processes}"
            profile_dir.mkdir(parents=True, exist_ok=True)
        results.append(
            await measure(
                processes,
                args.reports,
                args.concurrency,
                args.warmup,
                args.poll_ms / 1000,
                profile_dir,
                args.profile_seconds,
                args.profile_gil,
                postgres,
            )
        )

    print()
    print(
        "SMTP → inbound_messages → intake consumer → cases, embedded broker, one run each "
        "(SQLite: WAL; the target is for SQLite)"
    )
    print(
        f"{'store':>10} {'consumer procs':>14} {'reports':>8} {'SMTP 250/s':>11} {'reports/s':>10} "
        f"{'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}  CPU s gateway/workers/broker/bench"
    )
    for r in results:
        cpu = "/".join(
            f"{r.cpu_s.get(k, 0.0):.1f}" for k in ("gateway", "worker", "broker", "bench")
        )
        print(
            f"{r.store:>10} {r.processes:>14} {r.reports:>8} {r.accept_rate:>11.0f} "
            f"{r.rate:>10.0f} {r.pct(50):>9.0f} {r.pct(99):>9.0f} {r.pct(100):>9.0f}  {cpu}"
        )
    print()
    for r in results:
        verdict = "met" if r.rate >= TARGET else "NOT met"
        gateway_cpu = sum(r.cpu_s.get(k, 0.0) for k in ("gateway", "worker", "broker"))
        gateway_side = gateway_cpu / r.reports * 1000
        line = (
            f"{r.store}, {r.processes} consumer process(es): {r.rate:.0f} reports/s, "
            f"gateway-side CPU {gateway_side:.1f} ms/report"
        )
        if r.store == "sqlite":
            line += f"; target ≥ {TARGET:.0f} reports/s: {verdict}"
        print(line)
    print(
        f"machine: {os.cpu_count()} cores; reports/s = reports / (last case visible - first "
        "SMTP send); latency = client-side SMTP send start → case row visible in the store "
        f"(polled every {args.poll_ms:g} ms), burst, so it includes queueing; "
        "CPU s = process CPU time during the measured burst (bench = this process: SMTP "
        "client and store poller)"
    )


if __name__ == "__main__":
    asyncio.run(main())
