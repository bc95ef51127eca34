"""The gateway as a separate OS process, for tests that kill it for real."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


class GatewayProcess:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "ICSR_DATA_DIR": str(data_dir),
            "ICSR_HTTP_PORT": "0",
            "ICSR_SMTP_LISTEN_PORT": "0",
            "ICSR_LOG_FORMAT": "json",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_path = data_dir / "gateway-process.log"

    @property
    def runtime_file(self) -> Path:
        return self.data_dir / "runtime.json"

    def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.runtime_file.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gateway", "run"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1

    def http_url(self, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            if self.runtime_file.exists():
                try:
                    return str(json.loads(self.runtime_file.read_text())["http_url"])
                except (json.JSONDecodeError, KeyError):
                    pass
            time.sleep(0.05)
        raise TimeoutError(f"gateway wrote no runtime file in {timeout}s; log:\n{self.log()}")

    def wait_ready(self, timeout: float = 30) -> float:
        """Wait for GET /readyz → 200; return the seconds it took from now."""
        start = time.monotonic()
        url = self.http_url(timeout) + "/readyz"
        while time.monotonic() - start < timeout:
            self._check_alive()
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"gateway not ready in {timeout}s; log:\n{self.log()}")

    def _check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"gateway exited with {self.proc.returncode}; log:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no cleanup, no commit, no flush."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self, timeout: float = 30) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except FileNotFoundError:
            return "(no log)"
