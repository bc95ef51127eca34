"""Extra consumer processes: the same consumer groups on more cores.

The gateway process keeps the broker, the HTTP server, the outbox relay and reconciliation,
and runs the consumers itself; each extra process runs only the consumers, joined to the
same groups so Kafka shares the partitions among them. A worker dies with the gateway
(PR_SET_PDEATHSIG) and is restarted with a backoff if it exits on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path

from gateway.kafka.embedded import _die_with_parent
from gateway.logs import get_logger

log = get_logger(__name__)


class ConsumerWorkers:
    def __init__(self, count: int, bootstrap: str, log_dir: Path) -> None:
        self._count = count
        self._bootstrap = bootstrap
        self._log_dir = log_dir
        self._procs: list[subprocess.Popen[bytes] | None] = [None] * count
        self._stopping = False
        self.restarts = 0

    def _spawn(self, index: int) -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "ICSR_KAFKA_BOOTSTRAP": self._bootstrap,
            "ICSR_CONSUMER_PROCESSES": "1",
        }
        self._log_dir.mkdir(parents=True, exist_ok=True)
        with (self._log_dir / f"worker-{index}.log").open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "gateway", "consume"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
        log.info("consumer worker started", worker=index, pid=proc.pid)
        return proc

    def start(self) -> None:
        for i in range(self._count):
            self._procs[i] = self._spawn(i)

    @property
    def alive(self) -> bool:
        return all(p is not None and p.poll() is None for p in self._procs)

    async def supervise(self) -> None:
        """Restart a worker that exited on its own, with a growing pause."""
        backoff = 1.0
        while not self._stopping:
            await asyncio.sleep(0.5)
            for i, proc in enumerate(self._procs):
                if self._stopping or proc is None or proc.poll() is None:
                    continue
                log.error(
                    "consumer worker exited; restarting",
                    worker=i,
                    code=proc.returncode,
                    log=str(self._log_dir / f"worker-{i}.log"),
                    restart_in_s=backoff,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                if not self._stopping:
                    self._procs[i] = self._spawn(i)
                    self.restarts += 1

    async def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM: each worker finishes and commits the batch in hand, then exits."""
        self._stopping = True
        for proc in self._procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in self._procs:
            if proc is None:
                continue
            try:
                await asyncio.to_thread(proc.wait, timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await asyncio.to_thread(proc.wait, 5)
