"""`icsr-gateway run` as a process: the SMTP port in runtime.json, mail in, a case out."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import httpx
import pytest
from sqlalchemy.engine import make_url

from gateway.store.engine import Store, build_engine
from tests.integration.pipeline_support import counts, wait_until
from tests.support.gateway_process import GatewayProcess

pytestmark = pytest.mark.e2e


def test_gateway_process_takes_mail_over_smtp_and_makes_a_case(tmp_path: Path) -> None:
    data_dir = tmp_path / "gw"
    gateway = GatewayProcess(
        data_dir,
        {
            "ICSR_SMTP_LISTEN_PORT": "0",
            "ICSR_SMTP_RECIPIENTS": "safety@pharma.example",
            "ICSR_INTAKE_FOLDER": str(tmp_path / "drop"),
            "ICSR_INTAKE_FOLDER_POLL_S": "0.1",
        },
    )
    msg = EmailMessage()
    msg["From"] = "reporter@example.org"
    msg["To"] = "safety@pharma.example"
    msg["Subject"] = "Suspected adverse reaction"
    msg["Message-ID"] = "<process-test-1@reporter.example>"
    msg.set_content("Rash after the first dose.")
    raw = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))
    try:
        gateway.start()
        gateway.wait_ready()
        runtime = json.loads(gateway.runtime_file.read_text())
        port = runtime["smtp_port"]
        assert isinstance(port, int)
        assert port > 0
        ready = httpx.get(runtime["http_url"] + "/readyz").json()
        assert ready["checks"]["smtp"] is True
        assert ready["checks"]["intake_folder"] is True
        errors, response = asyncio.run(
            aiosmtplib.send(
                raw,
                sender="reporter@example.org",
                recipients=["safety@pharma.example"],
                hostname="127.0.0.1",
                port=port,
            )
        )
        assert errors == {}
        assert response.startswith("2.0.0 OK")
        store = Store(build_engine(make_url(f"sqlite:///{data_dir}/gateway.sqlite3")))
        try:
            wait_until(lambda: counts(store.engine)["cases"] == 1, 30, "one case", gateway.log)
            assert counts(store.engine)["inbound"] == 1
        finally:
            store.dispose()
        log = gateway.log()
        assert "reporter@example.org" not in log
        assert "safety@pharma.example" not in log
        assert gateway.terminate() == 0
        assert not gateway.runtime_file.exists()
    finally:
        if gateway.proc and gateway.proc.poll() is None:
            gateway.kill()
