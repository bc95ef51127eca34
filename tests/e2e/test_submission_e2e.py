"""Regulatory submission end to end: a gateway process, its folder hand-offs to EudraVigilance
(E2B(R3)) and a national authority (E2B(R2)), and the regulator simulator answering them.

Reports enter as partner E2B files over HTTP (complete ICSRs: an FDA sample moved to the
country the test needs). The simulator runs in the test process; the fix of a rejected case
goes through the case-update path (``CaseWriter.revise``) on the gateway's own store.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Connection, select

from gateway.kafka.embedded import EmbeddedBroker
from gateway.regulator import RegulatorSimulator
from gateway.store import audit, outbox
from gateway.store.case_updates import CaseWriter, current_icsr
from gateway.store.engine import Store
from gateway.store.tables import audit_log, cases, submissions, transmissions
from schemas.avro import AvroCodec
from schemas.e2b_r3 import parse_batch
from schemas.topics import Topic
from tests.e2e.intake_support import eventually, open_store
from tests.support.gateway_process import GatewayProcess

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLE = SHARED / "e2b" / "samples" / "fda-r3" / "FAERS2022Scenario1.xml"
R2_DTD = SHARED / "e2b" / "ich-r2" / "icsr21xml.dtd"

DESTINATIONS = """
[[destinations]]
id = "EV"
name = "EudraVigilance"
format = "R3"
profile = "ema"
batch_receiver = "EVHUMAN"
batch_sender = "ICSRGW"
deadline_rules = ["EU-PM-SERIOUS-15", "EU-PM-NONSERIOUS-EEA-90"]
[destinations.transport]
kind = "folder"
outbox_dir = "{root}/ev/outbox"
inbox_dir = "{root}/ev/inbox"

[[destinations]]
id = "NCA"
name = "A national authority on E2B(R2)"
format = "R2"
profile = "ich"
batch_receiver = "NCAHUMAN"
batch_sender = "ICSRGW"
deadline_rules = ["EU-PM-SERIOUS-15"]
[destinations.criteria]
countries = ["FR"]
[destinations.transport]
kind = "folder"
outbox_dir = "{root}/nca/outbox"
inbox_dir = "{root}/nca/inbox"
"""


def partner_file(country: str) -> tuple[bytes, str]:
    """A partner's E2B(R3) file for a serious case occurring in ``country``; its C.1.1."""
    data = SAMPLE.read_bytes()
    data = data.replace(
        b'<code code="US" codeSystem="1.0.3166.1.2.2"/>',
        f'<code code="{country}" codeSystem="1.0.3166.1.2.2"/>'.encode(),
    )
    data = data.replace(b"<country>US</country>", f"<country>{country}</country>".encode())
    c11 = f"{country}-APHARMA-{uuid.uuid4().hex[:8]}"
    return data.replace(b"US-APHARMA-8744554B", c11.encode()), c11


def gateway_env(root: Path, bootstrap: str, run: str) -> dict[str, str]:
    destinations = root / "destinations.toml"
    destinations.parent.mkdir(parents=True, exist_ok=True)
    destinations.write_text(DESTINATIONS.format(root=root), encoding="utf-8")
    return {
        "ICSR_KAFKA_BOOTSTRAP": bootstrap,
        "ICSR_KAFKA_TOPIC_PREFIX": f"t{run}.",
        "ICSR_KAFKA_GROUP_PREFIX": f"g-{run}",
        "ICSR_E2B_RECEIVER_IDS": "ZZFDA,ZZFDA_PREMKT",
        "ICSR_E2B_R2_DTD": str(R2_DTD),
        "ICSR_DESTINATIONS_FILE": str(destinations),
        "ICSR_SUBMISSION_DISPATCH_INTERVAL_S": "0.2",
        "ICSR_SUBMISSION_ACK_POLL_S": "0.2",
        "ICSR_SMTP_LISTEN_PORT": "off",
    }


class Submitting:
    """A running gateway with its regulators' folders and read access to its store."""

    def __init__(self, process: GatewayProcess, root: Path, store: Store, prefix: str) -> None:
        self.process = process
        self.root = root
        self.store = store
        self.prefix = prefix
        self.http_url = process.http_url()

    def post_e2b(self, data: bytes) -> str:
        r = httpx.post(
            self.http_url + "/api/v1/intake/e2b",
            content=data,
            headers={"Content-Type": "application/xml"},
            timeout=10,
        )
        assert r.status_code == 202, r.text
        return str(r.json()["inbound_id"])

    def case_of(self, inbound_id: str) -> str:
        def probe() -> str | None:
            with self.store.engine.connect() as conn:
                return conn.execute(
                    select(cases.c.id).where(cases.c.source_inbound_id == inbound_id)
                ).scalar()

        return eventually(probe, f"a case from {inbound_id}", 30, self.process.log)

    def submissions(self, case_id: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(submissions)
                .where(submissions.c.case_id == case_id)
                .order_by(submissions.c.case_version)
            )
            return [dict(r._mapping) for r in rows]

    def wait_status(
        self, case_id: str, destination: str, status: str, version: int = 1
    ) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            for s in self.submissions(case_id):
                if (s["destination_id"], s["case_version"], s["status"]) == (
                    destination,
                    version,
                    status,
                ):
                    return s
            return None

        return eventually(
            probe,
            f"{destination} submission of {case_id} v{version} to be {status}",
            40,
            lambda: (self.submissions(case_id), self.process.log()),
        )

    def case_state(self, case_id: str) -> str:
        with self.store.engine.connect() as conn:
            return str(conn.execute(select(cases.c.state).where(cases.c.id == case_id)).scalar())

    def regulator(self, destination: str, **kw: Any) -> RegulatorSimulator:
        folder = self.root / destination.lower()
        return RegulatorSimulator(
            folder / "outbox",
            folder / "inbox",
            profile="ema" if destination == "EV" else "ich",
            r2_dtd=R2_DTD,
            **kw,
        )

    def sent_files(self, destination: str) -> list[Path]:
        folder = self.root / destination.lower() / "outbox"
        return sorted(folder.glob("*.xml")) + sorted((folder / "processed").glob("*.xml"))

    def fix(self, case_id: str) -> int:
        """The case processor corrects the case: a new version through the case-update path."""
        writer = CaseWriter(AvroCodec.default(), f"{self.prefix}{Topic.CASE_EVENTS}")

        def run(conn: Connection) -> int:
            row = conn.execute(
                select(cases.c.current_version).where(cases.c.id == case_id)
            ).scalar_one()
            now = datetime.now(UTC)
            revised = writer.revise(
                conn,
                case_id=case_id,
                icsr=current_icsr(conn, case_id, row),
                actor="user:case-processor",
                action="case.corrected",
                reason="corrected the fields EudraVigilance rejected",
                now=now,
                significant=False,
            )
            outbox.enqueue(conn, [revised.event], now)
            audit.record(conn, [revised.audit])
            return revised.version.number

        return self.store.run_sync(run)

    def audit_trail(self, case_id: str) -> list[tuple[str, datetime]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(audit_log.c.action, audit_log.c.at)
                .where(audit_log.c.entity_type == "case", audit_log.c.entity_id == case_id)
                .order_by(audit_log.c.id)
            )
            return [(r.action, r.at) for r in rows]


@pytest.fixture
def submitting(embedded_broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Submitting]:
    run = uuid.uuid4().hex[:10]
    root = tmp_path / "regulators"
    process = GatewayProcess(tmp_path / "gw", gateway_env(root, embedded_broker.bootstrap, run))
    process.start()
    store = None
    try:
        process.wait_ready(60)
        store = open_store(tmp_path / "gw")
        yield Submitting(process, root, store, f"t{run}.")
        assert process.terminate() == 0, process.log()
    finally:
        if process.proc is not None and process.proc.poll() is None:
            process.kill()
        if store is not None:
            store.dispose()


def test_a_rejected_eea_case_is_corrected_and_resubmitted_until_eudravigilance_accepts_it(
    submitting: Submitting,
) -> None:
    gw = submitting
    data, _ = partner_file("DE")
    case_id = gw.case_of(gw.post_e2b(data))

    first = gw.wait_status(case_id, "EV", "dispatched")
    [sent] = gw.sent_files("EV")
    batch = parse_batch(sent.read_bytes())
    assert batch.receiver_id == "EVHUMAN"
    assert batch.batch_id == first["batch_number"]
    [message] = batch.messages
    assert message.message_id == first["safety_report_id"]
    assert gw.case_state(case_id) == "submitted"

    [answer] = gw.regulator("EV", reject_rate=1.0, seed=3).process_once()
    assert (answer.batch_code, answer.rejected) == ("AE", (message.message_id,))
    rejected = gw.wait_status(case_id, "EV", "correction_required")
    assert rejected["errors"]
    assert "simulated" in rejected["errors"][0].lower()
    assert rejected["due_date"] == first["due_date"]
    eventually(
        lambda: gw.case_state(case_id) == "correction_required", "case state", 20, gw.process.log
    )

    version = gw.fix(case_id)
    again = gw.wait_status(case_id, "EV", "dispatched", version=version)
    resent = [p for p in gw.sent_files("EV") if p.name != sent.name]
    [resent_batch] = [parse_batch(p.read_bytes()) for p in resent]
    assert resent_batch.batch_id == again["batch_number"] != first["batch_number"]
    [resent_message] = resent_batch.messages
    assert resent_message.message_id == message.message_id  # the same C.1.1
    report = resent_message.icsr.report
    assert report.worldwide_case_id == message.icsr.report.worldwide_case_id  # C.1.8.1
    assert (again["due_date"], again["day_zero"]) == (first["due_date"], first["day_zero"])

    [answer] = gw.regulator("EV").process_once()
    assert answer.batch_code == "AA"
    accepted = gw.wait_status(case_id, "EV", "accepted", version=version)
    assert accepted["local_report_number"] == dict(answer.local_report_numbers)[message.message_id]
    assert accepted["deadline_met"] is True
    assert accepted["retransmission_of"] == rejected["id"]

    trail = gw.audit_trail(case_id)
    actions = [action for action, _ in trail]
    steps = (
        "submission.planned",
        "submission.dispatched",
        "submission.correction_required",
        "transition:correction_required",
        "case.corrected",
        "submission.accepted",
    )
    for step in steps:
        assert step in actions, actions
    # Each step is timestamped, and the lifecycle's steps happened in this order. (The log's
    # own order is the order of commits: consumers working side by side may commit a
    # decision taken a moment earlier after another's.)
    first_at = {action: at for action, at in reversed(trail)}
    times = [first_at[step] for step in steps]
    assert times == sorted(times), list(zip(steps, times, strict=True))


def test_an_r2_destination_receives_dtd_valid_ichicsr_and_its_r2_ack_routes_back(
    submitting: Submitting,
) -> None:
    from lxml import etree

    gw = submitting
    data, _ = partner_file("FR")
    case_id = gw.case_of(gw.post_e2b(data))

    gw.wait_status(case_id, "NCA", "dispatched")
    [sent] = gw.sent_files("NCA")
    root = etree.fromstring(sent.read_bytes())
    dtd = etree.DTD(str(R2_DTD))
    assert root.tag == "ichicsr"
    assert dtd.validate(root), dtd.error_log
    [answer] = gw.regulator("NCA").process_once()
    assert answer.format == "R2"

    accepted = gw.wait_status(case_id, "NCA", "accepted")
    assert accepted["local_report_number"]


def test_killing_the_gateway_between_sending_and_the_ack_sends_nothing_twice(
    submitting: Submitting,
) -> None:
    gw = submitting
    data, _ = partner_file("DE")
    case_id = gw.case_of(gw.post_e2b(data))
    first = gw.wait_status(case_id, "EV", "dispatched")

    gw.process.kill()  # SIGKILL: sent, no ACK yet
    gw.process.start()
    gw.process.wait_ready(60)

    [answer] = gw.regulator("EV").process_once()
    assert answer.batch_number == first["batch_number"]
    accepted = gw.wait_status(case_id, "EV", "accepted")
    assert accepted["transmissions"] == 1
    assert len(gw.sent_files("EV")) == 1
    with gw.store.engine.connect() as conn:
        sent = conn.execute(select(transmissions.c.batch_number)).scalars().all()
    assert sent == [first["batch_number"]]
