"""A case processor's whole path through the case API of a running gateway, and nothing else.

The gateway runs as its own process (embedded broker, SQLite, its SMTP listener, HTTP) with
automatic follow-up and automatic submission off, so that every decision is the processor's:
create a case, decide the similar one that follows, ask the reporter, recode, assess and
revise causality, quality-check and release it, see it submitted and acknowledged, close it
and export the dossier. Around it, only what is outside the gateway: an SMTP relay that
captures the follow-up e-mail, the reporter answering it over SMTP, and the regulator
simulator answering the E2B file that reached the EudraVigilance-like folder.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.codes import ReactionOutcome
from gateway.kafka.embedded import EmbeddedBroker
from gateway.regulator import RegulatorSimulator
from schemas.e2b_r3 import parse_batch
from tests.e2e.case_api_support import (
    CaseApi,
    answer_by_email,
    deliver,
    processor_token,
    write_ev_destination,
)
from tests.e2e.intake_support import (
    CATALOGUE,
    MEDDRA,
    SAFETY_ADDRESS,
    RunningGateway,
    eventually,
    running_gateway,
)
from tests.support.smtp_relay import CapturedMail, CapturingRelay

pytestmark = pytest.mark.e2e

REPORTER = "lucia.romero@hospital-ejemplo.es"  # .es: a reporter in the EEA
COLLEAGUE = "jorge.vidal@farmacia-ejemplo.es"
CLOSURE_RATIONALE = "Recovered after withdrawal of Zentravia; no further information expected."
#: Naranjo answers 1-10 after the reply: earlier reports, after the drug, better on stopping,
#: no other cause, objective evidence (yes/no); the rest not known. Score 7: probable.
NARANJO = ["yes", "yes", "yes", "dont_know", "no", "dont_know", "dont_know", "dont_know",
           "dont_know", "yes"]  # fmt: skip


@dataclass
class Processor:
    """The gateway, the case processor's API client, and what lies outside the gateway."""

    gw: RunningGateway
    api: CaseApi
    relay: CapturingRelay
    regulator: RegulatorSimulator
    #: the EudraVigilance-like destination's folders (outbox: our E2B files; inbox: ACKs)
    ev: Path


@pytest.fixture
def processor(embedded_broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Processor]:
    data_dir = tmp_path / "gw"
    _, token = processor_token(data_dir)
    destinations, ev = write_ev_destination(tmp_path / "regulators")
    with CapturingRelay() as relay:
        env = {
            "ICSR_CATALOGUE_FILE": str(CATALOGUE),
            "ICSR_MEDDRA_DIR": str(MEDDRA),
            "ICSR_DESTINATIONS_FILE": str(destinations),
            "ICSR_SUBMISSION_AUTO_SUBMIT": "false",
            "ICSR_SUBMISSION_DISPATCH_INTERVAL_S": "0.2",
            "ICSR_SUBMISSION_ACK_POLL_S": "0.2",
            # the processor asks the reporter; the planner does not ask on its own
            "ICSR_FOLLOWUP_ENABLED": "false",
            "ICSR_FOLLOWUP_FROM_ADDRESS": f"Drug Safety <{SAFETY_ADDRESS}>",
            "ICSR_FOLLOWUP_SMTP_HOST": relay.host,
            "ICSR_FOLLOWUP_SMTP_PORT": str(relay.port),
            "ICSR_FOLLOWUP_SMTP_SECURITY": "none",
        }
        with running_gateway(embedded_broker.bootstrap, data_dir, env) as gw:
            api = CaseApi.connect(gw.http_url, token)
            try:
                regulator = RegulatorSimulator(ev / "outbox", ev / "inbox", profile="ema")
                yield Processor(gw, api, relay, regulator, ev)
            finally:
                api.close()


def report(reporter: dict[str, str], description: str) -> dict[str, Any]:
    """A serious report of a skin rash on Zentravia (an own catalogue product), as the web
    form has it: the patient's age and the outcome left out."""
    today = datetime.now(UTC).date()
    return {
        "language": "en",
        "reporter": {**reporter, "country": "ES"},
        "patient": {"initials": "MK", "sex": "female"},
        "products": [
            {
                "name": "Zentravia 500 mg",
                "dose": "500 mg twice daily",
                "route": "oral",
                "start_date": (today - timedelta(days=6)).isoformat(),
                "indication": "Urinary tract infection",
            }
        ],
        "reactions": [
            {
                "description": "Skin rash",
                "start_date": (today - timedelta(days=3)).isoformat(),
            }
        ],
        "seriousness": ["hospitalisation"],
        "description": description,
    }


def in_order(trail: list[str], steps: list[str]) -> bool:
    """Whether ``steps`` occur in ``trail`` in this order (other entries may lie between)."""
    rest = iter(trail)
    return all(step in rest for step in steps)


def mail_to(relay: CapturingRelay, recipient: str) -> CapturedMail:
    def probe() -> CapturedMail | None:
        return next((m for m in relay.messages if recipient in m.rcpt_tos), None)

    return eventually(probe, f"the follow-up e-mail to {recipient}", 30)


def test_a_case_processor_takes_a_case_from_creation_to_its_exported_dossier_through_the_api(
    processor: Processor,
) -> None:
    api, gw = processor.api, processor.gw
    log = gw.process.log

    # -- create: a serious EEA case on an own product, the age and the outcome missing ---------
    created = api.call(
        "POST",
        "",
        201,
        json=report(
            {"name": "Lucía Romero", "email": REPORTER, "qualification": "physician"},
            "A woman developed a skin rash over her whole body three days after starting "
            "Zentravia and was admitted to hospital.",
        ),
    )
    case = created.json()
    case_id = case["id"]
    assert created.headers["Location"] == f"/api/v1/icsr/{case_id}"
    assert (case["state"], case["valid"], case["serious"], case["version"]) == (
        "valid",
        True,
        True,
        1,
    )
    assert case["icsr"]["patient"].get("age_at_onset") is None
    [event] = case["eventos"]
    [drug] = case["icsr"]["drugs"]
    assert drug["name_as_reported"] == "Zentravia 500 mg"
    assert event["outcome"] is None
    # coded at intake from the invented dictionary: LLT Skin rash (PT Rash)
    assert (event["meddra"]["llt_code"], event["meddra"]["pt_code"]) == ("96000115", "94000052")
    [intake] = [
        e for e in api.json("GET", f"/{case_id}/audit") if e["action"] == "validity.assessed"
    ]
    # the catalogue's own product, whose listed events do not include a rash
    assert any("not listed for 'own-zentravia'" in r for r in intake["detail"]["rationale"])

    # -- a second, similar report: the processor decides it duplicates the first -----------------
    second = api.json(
        "POST",
        "",
        201,
        json=report(
            {"name": "Jorge Vidal", "email": COLLEAGUE, "qualification": "pharmacist"},
            "The hospital pharmacist reports the same patient's rash on Zentravia.",
        ),
    )
    found = api.json("GET", f"/{second['id']}/duplicates")
    assert found["decision"] is None
    [candidate] = [c for c in found["candidates"] if c["case_id"] == case_id]
    assert candidate["score"] >= 0.6
    assert candidate["exact_duplicate"] is False
    matching = {m["field"] for m in candidate["matching"]}
    assert {"patient_initials", "product", "reaction", "onset_date"} <= matching, matching
    decided = api.json(
        "PUT",
        f"/{second['id']}/dup",
        json={
            "decision": "duplicate",
            "master_case_id": case_id,
            "reason": "same patient, product, reaction and onset; reported by her pharmacist",
        },
    )
    assert (decided["decision"]["decision"], decided["decision"]["master_case_id"]) == (
        "duplicate",
        case_id,
    )
    assert len(decided["resolved_triage_items"]) == 1  # intake had flagged it for a person
    assert api.json("GET", f"/{second['id']}/duplicates")["decision"]["decision"] == "duplicate"

    # -- first causality: information still awaited ---------------------------------------------
    pair = {"drug_id": drug["id"], "reaction_id": event["id"]}
    first = api.json(
        "PUT",
        f"/{case_id}/causality",
        json={
            "assessments": [
                {
                    **pair,
                    "rationale": "Plausible timing; dechallenge and history not yet known.",
                    "who_umc": {
                        "information": "awaited",
                        "time_relationship": "plausible",
                        "other_causes": "possible",
                        "dechallenge": "unknown",
                        "rechallenge": "unknown",
                        "definitive": False,
                    },
                }
            ],
            "reason": "initial assessment",
        },
    )
    [conditional] = first["assessments"]
    assert (conditional["method"], conditional["result"]) == ("WHO-UMC", "Conditional/Unclassified")
    assert first["version"] == 2

    # -- follow-up: asked by e-mail, answered by the reporter quoting our request ---------------
    sent = api.json("POST", f"/{case_id}/followup/send", 201, json={})
    assert sent["request"]["channel"] == "EMAIL"
    assert {"patient_age", "outcome"} <= set(sent["request"]["questions"])
    ours = mail_to(processor.relay, REPORTER).message
    assert str(ours["Reply-To"]).startswith("safety+")

    def out_sent() -> list[dict[str, Any]] | None:
        messages: list[dict[str, Any]] = api.json("GET", f"/{case_id}/followup/thread")["messages"]
        return messages if [m["delivery_state"] for m in messages] == ["sent"] else None

    [out] = eventually(out_sent, "the request recorded as sent", 20, log)
    assert out["message_ref"] == str(ours["Message-ID"])
    deliver(
        gw.smtp_port,
        answer_by_email(
            ours,
            f"Lucía Romero <{REPORTER}>",
            "She is 47 years old.\nZentravia was stopped and she has fully recovered.",
        ),
        REPORTER,
        str(ours["Reply-To"]),
    )

    def answered() -> dict[str, Any] | None:
        current: dict[str, Any] = api.json("GET", f"/{case_id}")
        return current if current["version"] == 3 else None

    updated = eventually(answered, "the reply to become version 3", 30, log)
    assert updated["icsr"]["patient"]["age_at_onset"]["value"] in (47, "47")
    assert updated["eventos"][0]["outcome"] == "recovered"
    assert {r["outcome"] for r in updated["icsr"]["reactions"]} == {ReactionOutcome.RECOVERED.value}
    v3 = api.json("GET", f"/{case_id}/versions")[-1]
    assert (v3["number"], v3["actor"]) == (3, "consumer:followup-replies")
    assert v3["source_ref"]  # the reporter's e-mail as stored
    thread = api.json("GET", f"/{case_id}/followup/thread")
    assert [m["direction"] for m in thread["messages"]] == ["out", "in"]
    assert thread["messages"][1]["body"].startswith("She is 47 years old.")
    assert thread["requests"][0]["status"] == "answered"

    # -- recode the event with a rationale --------------------------------------------------------
    coding_rationale = "The narrative places the rash over the whole body: Generalised rash."
    coded = api.json(
        "PUT",
        f"/{case_id}/eventos/{event['id']}/coding",
        json={"llt_code": "96000118", "version": "27.0", "rationale": coding_rationale},
    )
    assert coded["version"] == 4
    [recoded] = coded["eventos"]
    assert (recoded["meddra"]["llt_code"], recoded["meddra"]["pt_code"]) == (
        "96000118",
        "94000053",
    )

    # -- causality revised after the reply: WHO-UMC and Naranjo ---------------------------------
    revised = api.json(
        "PUT",
        f"/{case_id}/causality",
        json={
            "assessments": [
                {
                    **pair,
                    "rationale": "Positive dechallenge reported at follow-up; no other cause.",
                    "who_umc": {
                        "information": "sufficient",
                        "time_relationship": "plausible",
                        "other_causes": "unlikely",
                        "dechallenge": "positive",
                        "rechallenge": "not_done",
                        "definitive": False,
                    },
                    "naranjo": {"answers": NARANJO},
                }
            ],
            "reason": "the reporter's follow-up answer",
        },
    )
    assert (revised["version"], revised["new_version"]) == (5, True)
    results = {r["method"]: r for r in revised["assessments"]}
    assert results["WHO-UMC"]["result"] == "Probable/Likely"
    assert results["WHO-UMC"]["supersedes"] == conditional["id"]
    assert (results["Naranjo"]["result"], results["Naranjo"]["score"]) == ("Probable", 7)
    [pair_view] = api.json("GET", f"/{case_id}/causality")["pairs"]
    assert {r["result"] for r in pair_view["current"]} == {"Probable/Likely", "Probable"}
    assert conditional["id"] in {r["id"] for r in pair_view["history"]}

    # -- quality check and sign-off ---------------------------------------------------------------
    run = api.json("POST", f"/{case_id}/qc/run", 201)
    assert run["case_version"] == 5
    assert (run["passed"], run["blocking_failures"]) == (True, 0), run["items"]
    signoff = api.json("POST", f"/{case_id}/qc/signoff", 201, json={"comment": "checked"})
    assert (signoff["qc_run_id"], signoff["state_after"]) == (run["id"], "ready_for_submission")

    # -- the gateway submits version 5; the regulator answers ----------------------------------
    def submission(status: str) -> dict[str, Any] | None:
        rows: list[dict[str, Any]] = api.json("GET", f"/{case_id}/submissions")
        return next((s for s in rows if s["status"] == status), None)

    dispatched = eventually(lambda: submission("dispatched"), "the E2B file sent to EV", 30, log)
    assert (dispatched["destination_id"], dispatched["kind"], dispatched["case_version"]) == (
        "EV",
        "initial",
        5,
    )
    [answer] = processor.regulator.process_once()
    assert (answer.batch_number, answer.batch_code) == (dispatched["batch_number"], "AA")
    [sent_file] = (processor.ev / "outbox" / "processed").glob("*.xml")
    [message] = parse_batch(sent_file.read_bytes()).messages
    assert message.message_id == dispatched["safety_report_id"]
    assert message.icsr.patient is not None
    assert message.icsr.patient.age_at_onset is not None
    assert str(message.icsr.patient.age_at_onset.value) == "47"  # what the reply added
    assert [r.term.code for r in message.icsr.reactions if r.term] == ["96000118"]

    accepted = eventually(lambda: submission("accepted"), "the ACK routed", 30, log)
    assert accepted["local_report_number"] == dict(answer.local_report_numbers)[message.message_id]
    assert accepted["deadline_met"] is True
    [ack] = api.json("GET", f"/{case_id}/acks")
    assert (ack["batch_number"], ack["batch_code"], ack["outcome"]) == (
        dispatched["batch_number"],
        "AA",
        "routed",
    )
    assert [i["code"] for i in ack["items"]] == ["CA"]
    assert api.json("GET", f"/{case_id}")["state"] == "submitted"

    # -- closed with a rationale: locked ----------------------------------------------------------
    closure = api.json(
        "POST",
        f"/{case_id}/close",
        201,
        json={"reason": "outcome_known", "rationale": CLOSURE_RATIONALE},
    )
    assert (closure["state_before"], closure["case_version"]) == ("submitted", 5)
    closed = api.json("GET", f"/{case_id}/closure")
    assert (closed["state"], closed["locked"]) == ("closed", True)

    # -- the dossier -------------------------------------------------------------------------------
    pdf = api.call("GET", f"/{case_id}/export/dossier.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert len(pdf.content) > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True, timeout=30
        ).stdout.decode()
        assert case_id in text
    page = api.call("GET", f"/{case_id}/export/dossier.html")
    assert page.headers["content-type"].startswith("text/html")
    html = unescape(page.text)
    for fact in (
        case_id,
        CLOSURE_RATIONALE,
        coding_rationale,
        "She is 47 years old.",
        "Probable (score 7)",
        accepted["local_report_number"],
        run["id"],
    ):
        assert fact in html, fact

    # -- the audit trail holds every step, in order -------------------------------------------
    trail = [e["action"] for e in api.json("GET", f"/{case_id}/audit")]
    steps = [
        "case.received",
        "validity.assessed",
        "causality_assessed",
        "followup_requested",
        "followup_sent",
        "followup_reply",
        "event.coded",
        "causality_assessed",
        "qc_run",
        "transition:ready_for_submission",
        "qc_signoff",
        "submission.planned",
        "submission.dispatched",
        "transition:submitted",
        "submission.accepted",
        "transition:closed",
        "case_closed",
    ]
    assert in_order(trail, steps), trail
    assert "duplicate.decided" in [e["action"] for e in api.json("GET", f"/{second['id']}/audit")]
