"""`icsr-gateway demo` (what `make run` starts) takes a report through every available step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


def test_demo_takes_one_report_from_acceptance_to_a_published_case_event(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICSR_")}
    env["ICSR_HTTP_PORT"] = "0"
    env["ICSR_SMTP_LISTEN_PORT"] = "0"
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--exit"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = " ".join(result.stdout.split())  # undo terminal wrapping
    for step in (
        "e-mail accepted: raw message stored as IN",
        "intake event published on icsr.intake.inbound",
        "state valid (Válido), version 1",
        "suspect product: Examplozole (role suspect)",
        "reaction: 'generalised rash' → MedDRA LLT",
        "valid: True; Day 0: 20",
        "serious: True; expedited: True",
        "case event CASE_RECEIVED published on icsr.case.events",
        "consumer:intake case.received: report received on channel EMAIL",
        "validity.assessed: valid: the four minimum criteria are met; serious (hospitalisation)",
    ):
        assert step in out
    assert "ana.example@clinic.example" not in result.stderr  # no reporter identifiers in logs
