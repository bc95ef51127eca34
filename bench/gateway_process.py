"""Starting the gateway as a separate process for a benchmark, and waiting until it is ready."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def start_gateway(
    env: dict[str, str], data_dir: Path, log: Path, *, cwd: Path | None = None, timeout: float = 60
) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    """`python -m gateway run` with ``env``; returns the process and its runtime.json."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    deadline = time.monotonic() + timeout
    runtime = data_dir / "runtime.json"
    while time.monotonic() < deadline:
        if runtime.exists():
            info: dict[str, Any] = json.loads(runtime.read_text())
            try:
                if httpx.get(info["http_url"] + "/readyz", timeout=1).status_code == 200:
                    return proc, info
            except httpx.HTTPError:
                pass
        if proc.poll() is not None:
            raise SystemExit(f"gateway exited: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"gateway not ready in {timeout:.0f} s")
