"""`icsr-gateway demo` (what `make run` starts) takes one report through its whole life:
intake, follow-up and the reporter's reply, E2B submission, the regulator's ACK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from gateway.store.tables import case_versions, cases, followup_requests, submissions

pytestmark = pytest.mark.e2e

REGULATOR = Path("var") / "demo" / "regulators" / "eudravigilance"


def test_demo_takes_one_report_from_email_to_an_accepted_submission(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICSR_")}
    env["ICSR_HTTP_PORT"] = "0"
    env["ICSR_SMTP_LISTEN_PORT"] = "0"
    result = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--exit"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = " ".join(result.stdout.split())  # undo terminal wrapping
    for step in (
        "e-mail report received by the SMTP listener on port",
        "state valid (Válido)",
        "reporter country: ES",
        "suspect product: Examplozole, authorisation EU/1/20/0001/001 (EU)",
        "serious: True; expedited: True; patient's age: missing",
        "follow-up e-mail written to the outbox folder (no relay configured):",
        "the reporter's reply (quoting our request) received",
        "version 2 written",
        "patient's age now: 54 years",
        "case processor: quality check passed",
        "version 2 → eudravigilance (initial)",
        "E2B(R3) file for EudraVigilance",
        "regulator simulator (ema): batch AA, ICSR CA",
        "ACK routed: submission accepted, local report number",
        'icsr_submission_on_time_ratio{destination="eudravigilance"} 1.0',
        "consumer:ack-router submission.accepted",
    ):
        assert step in out, step
    assert "ana.example@clinica-ejemplo.es" not in result.stderr  # no reporter ids in logs

    engine = create_engine(f"sqlite:///{tmp_path / 'var' / 'gateway.sqlite3'}")
    try:
        with engine.connect() as conn:
            [case] = conn.execute(select(cases)).all()
            versions = conn.execute(
                select(case_versions)
                .where(case_versions.c.case_id == case.id)
                .order_by(case_versions.c.number)
            ).all()
            [sub] = conn.execute(select(submissions)).all()
            first_request = conn.execute(
                select(followup_requests)
                .where(followup_requests.c.case_id == case.id)
                .order_by(followup_requests.c.created_at)
            ).first()
    finally:
        engine.dispose()
    assert case.state == "submitted"
    assert case.valid is True
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].icsr["patient"].get("age_at_onset") is None
    assert versions[1].icsr["patient"]["age_at_onset"]["value"] in (54, "54")
    assert first_request is not None
    assert first_request.status == "answered"
    assert (sub.case_id, sub.case_version, sub.destination_id) == (case.id, 2, "eudravigilance")
    assert (sub.kind, sub.status, sub.deadline_met) == ("initial", "accepted", True)
    assert sub.local_report_number
    sent = list((tmp_path / REGULATOR / "outbox" / "processed").glob("*.xml"))
    acks = list((tmp_path / REGULATOR / "inbox" / "processed").glob("ACK-*.xml"))
    assert [p.name for p in sent] == [f"eudravigilance_{sub.batch_number}.xml"]
    assert len(acks) == 1
    assert sub.batch_number.encode() in acks[0].read_bytes()
    followups = list((tmp_path / "var" / "outbox" / "followup").glob(f"*{first_request.id}*.eml"))
    assert len(followups) == 1
