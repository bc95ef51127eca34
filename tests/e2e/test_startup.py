"""Starting the gateway: ready fast on defaults; a bad setting refused with one clear line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.e2e


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICSR_")}
    env.update(extra)
    return env


def test_gateway_with_no_configuration_is_ready_within_15_seconds(tmp_path: Path) -> None:
    """No ICSR_* variable and no file: embedded broker, SQLite under ./var, port 8080."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway", "run"],
        cwd=tmp_path,
        env=_clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        ready_after = None
        while time.monotonic() - started < 15:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                if httpx.get("http://127.0.0.1:8080/readyz", timeout=1).status_code == 200:
                    ready_after = time.monotonic() - started
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        assert ready_after is not None, "not ready within 15 s"
        body = httpx.get("http://127.0.0.1:8080/readyz").json()
        assert body == {
            "status": "ready",
            "checks": {"store": True, "broker": True, "consumers": True, "smtp": True},
        }
        assert (tmp_path / "var" / "gateway.sqlite3").exists()
    finally:
        proc.terminate()
        assert proc.wait(30) == 0


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"ICSR_DATABASE_URL": "not a url"}, "ICSR_DATABASE_URL"),
        ({"ICSR_DATABASE_URL": "mysql://x@y/z"}, "ICSR_DATABASE_URL"),
        ({"ICSR_KAFKA_BOOTSTRAP": "kafka"}, "ICSR_KAFKA_BOOTSTRAP"),
        ({"ICSR_HTTP_PORT": "eighty"}, "ICSR_HTTP_PORT"),
        ({"ICSR_KAFKA_PARTITONS": "3"}, "ICSR_KAFKA_PARTITONS"),
    ],
)
def test_bad_setting_stops_the_start_with_one_line_naming_it(
    tmp_path: Path, env: dict[str, str], setting: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "run"],
        cwd=tmp_path,
        env=_clean_env(**env),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"icsr-gateway: configuration error: {setting}:")


def test_port_in_use_stops_the_start_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gateway", "run"],
            cwd=tmp_path,
            env=_clean_env(ICSR_HTTP_PORT=str(port)),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"icsr-gateway: configuration error: ICSR_HTTP_PORT: 127.0.0.1:{port} is already in use; "
        "stop what holds it or choose another port"
    ]
