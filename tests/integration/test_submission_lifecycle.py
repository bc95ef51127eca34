"""A case's life with the regulators beyond the first submission, on a real store (SQLite and
PostgreSQL): e-mail reports that EudraVigilance takes as they are, the one it cannot take,
nullification (the CLI included) and significant follow-up information."""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import Connection, select
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from consumers.envelope import Envelope
from consumers.submission_planner import CaseEventMessage, SubmissionPlanner
from consumers.submission_planner import decoder as case_event_decoder
from gateway.cli import app
from gateway.domain.codes import NullificationAmendment, ReportType
from gateway.domain.icsr import ICSR
from gateway.domain.intake import IntakeReferences, assess_text
from gateway.domain.meddra import MedDRACoder, load_distribution
from gateway.domain.normaliser import ChannelContext
from gateway.errors import InvalidMessageError, LifecycleError
from gateway.reference_data import load_catalogue
from gateway.store import audit, outbox
from gateway.store.nullification import nullify_case
from gateway.store.tables import case_versions
from gateway.store.tables import outbox as outbox_table
from schemas.e2b_r3 import parse_batch
from schemas.e2b_rules import validate_batch
from schemas.topics import Topic
from tests.integration.submission_support import Harness, open_harness, sample_icsr

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "examples" / "catalogue.json"
MEDDRA = REPO / "tests" / "data" / "meddra"

REPORT = (
    "Dear safety team,\n\n"
    "my patient (initials J.D., female, 54 years) developed a generalised rash and was\n"
    "hospitalised two days after starting Examplozole 20 mg daily by mouth.\n"
    "The drug was stopped and she is recovering.\n\n"
    "Dr. Ana Example, internist\n"
)


@pytest.fixture
def h(database_url: URL, tmp_path: Path) -> Iterator[Harness]:
    harness = open_harness(database_url, tmp_path)
    yield harness
    harness.store.dispose()


@pytest.fixture(scope="module")
def references() -> IntakeReferences:
    return IntakeReferences(load_catalogue(CATALOGUE), MedDRACoder(load_distribution(MEDDRA)))


def _emailed(
    refs: IntakeReferences, sender: str, text: str = REPORT
) -> tuple[ICSR, datetime | None]:
    context = ChannelContext(
        channel="EMAIL",
        received_at=datetime.now(UTC),
        sender_address=sender,
        display_name="Dr. Ana Example",
    )
    assessment = assess_text(text, context=context, refs=refs)
    return assessment.icsr, assessment.day_zero


def _outbox_files(h: Harness, destination_id: str) -> list[Path]:
    folder = h.destination(destination_id).transport.outbox_dir  # type: ignore[union-attr]
    return sorted(folder.glob("*.xml"))


def _case_events(h: Harness, case_id: str) -> list[Envelope[CaseEventMessage]]:
    """The case events the case-update path wrote, as the relay would publish them."""
    with h.store.engine.connect() as conn:
        rows = conn.execute(
            select(outbox_table.c.value)
            .where(
                outbox_table.c.topic == str(Topic.CASE_EVENTS),
                outbox_table.c.key == case_id.encode(),
            )
            .order_by(outbox_table.c.id)
        ).all()
    decode = case_event_decoder(h.codec)
    out = []
    for (value,) in rows:
        d = decode(value)
        out.append(Envelope(d.event_id, d.message, Topic.CASE_EVENTS, 0, 0, case_id.encode()))
    return out


def _accepted_case(h: Harness, icsr: ICSR | None = None) -> str:
    """A case whose initial submissions were sent and accepted."""
    case_id = h.new_case(icsr)
    h.plan(h.event(case_id, 1))
    h.dispatch()
    for destination in h.destinations:
        h.simulator(destination.id).process_once()
        h.receive_acks(destination.id)
    h.route()
    assert {s.status for s in h.submissions(case_id)} == {"accepted"}
    return case_id


# -- e-mail reports to EudraVigilance -----------------------------------------------------------


@pytest.mark.parametrize(
    "sender",
    ["ana.example@clinica.es", "ana.example@clinic.example"],
    ids=["es-mail-domain", "phone-in-signature"],
)
def test_an_emailed_report_with_a_reporter_country_and_a_catalogue_product_is_accepted_by_ev(
    h: Harness, references: IntakeReferences, sender: str
) -> None:
    text = REPORT if sender.endswith(".es") else REPORT + "Tel. +34 600 111 222\n"
    icsr, day_zero = _emailed(references, sender, text)
    assert icsr.primary_sources[0].country == "ES"
    case_id = h.new_case(icsr, day_zero=day_zero)
    h.plan(h.event(case_id, 1))

    assert h.dispatch() == 1

    [sent] = _outbox_files(h, "EV")
    batch = parse_batch(sent.read_bytes())
    [message] = batch.messages
    [drug] = message.icsr.drugs
    assert (drug.authorisation_number, drug.authorisation_country) == ("EU/1/20/0001/001", "EU")
    assert all(r.verbatim_language for r in message.icsr.reactions)
    findings = validate_batch(batch, "ema", today=h.now.date())
    assert [f for f in findings if f.is_reject] == []
    [answer] = h.simulator("EV").process_once()
    assert (answer.batch_code, len(answer.accepted)) == ("AA", 1)
    h.receive_acks("EV")
    h.route()
    [sub] = h.submissions(case_id)
    assert sub.status == "accepted"
    assert sub.local_report_number


def test_an_emailed_report_without_a_reporter_country_is_blocked_naming_c_2_r_3(
    h: Harness, references: IntakeReferences
) -> None:
    icsr, day_zero = _emailed(references, "ana.example@clinic.example")
    assert icsr.primary_sources[0].country is None
    case_id = h.new_case(icsr, day_zero=day_zero)
    h.plan(h.event(case_id, 1))

    assert h.dispatch() == 0

    [sub] = h.submissions(case_id)
    assert sub.status == "blocked"
    assert any("C.2.r.3" in e for e in sub.errors)
    [item] = h.triage("submission_blocked")
    assert item["case_id"] == case_id
    assert item["detail"]["fields"] == ["C.2.r.3"]
    assert _outbox_files(h, "EV") == []


# -- nullification --------------------------------------------------------------------------------


def _nullify(h: Harness, case_id: str, reason: str) -> int:
    def run(conn: Connection) -> int:
        done = nullify_case(
            conn, h.writer, case_id=case_id, reason=reason, actor="user:qppv", now=h.now
        )
        return done.version

    return h.store.run_sync(run)


def test_a_nullified_case_sends_c_1_11_1_1_with_its_reason_to_every_destination_that_had_it(
    h: Harness,
) -> None:
    icsr = sample_icsr(country="FR")
    report = dataclasses.replace(icsr.report, report_type=ReportType.SPONTANEOUS)
    case_id = _accepted_case(h, dataclasses.replace(icsr, report=report))
    reason = "duplicate of a case already reported by the marketing authorisation holder"

    version = _nullify(h, case_id, reason)
    *_, event = _case_events(h, case_id)
    h.plan(event)

    assert h.case_state(case_id) == "nullified"
    assert event.message.version == version
    nullifications = {
        s.destination_id: s for s in h.submissions(case_id) if s.kind == "nullification"
    }
    assert set(nullifications) == {"EV", "NCA"}
    assert all(s.due_date is None and s.case_version == version for s in nullifications.values())
    assert h.dispatch() == 2
    [r3_file] = _outbox_files(h, "EV")
    [message] = parse_batch(r3_file.read_bytes()).messages
    sent_report = message.icsr.report
    assert sent_report.nullification_amendment is NullificationAmendment.NULLIFICATION
    assert sent_report.nullification_amendment_reason == reason
    [r2_file] = _outbox_files(h, "NCA")
    r2 = etree.fromstring(r2_file.read_bytes())
    assert r2.findtext(".//casenullification") == "1"
    assert r2.findtext(".//nullificationreason") == reason
    for destination in ("EV", "NCA"):
        h.simulator(destination).process_once()
        h.receive_acks(destination)
    h.route()
    assert {s.status for s in h.submissions(case_id)} == {"accepted"}
    assert h.case_state(case_id) == "nullified"


def test_nullifying_cancels_submissions_never_sent_and_plans_none_for_their_destination(
    h: Harness,
) -> None:
    case_id = _accepted_case(h)  # sent to EV only (occurred in Germany)
    # A later correction planned for EV, not yet sent when the case is found to be a duplicate.
    version = h.revise(case_id, sample_icsr(), significant=True)
    h.plan(h.event(case_id, version, "VERSION_CREATED", significant=True))
    [follow_up] = [s for s in h.submissions(case_id) if s.kind == "follow_up"]
    assert follow_up.status == "planned"

    _nullify(h, case_id, "report withdrawn: not a real patient")
    *_, event = _case_events(h, case_id)
    h.plan(event)

    subs = {s.kind: s for s in h.submissions(case_id)}
    assert subs["follow_up"].status == "cancelled"
    assert subs["nullification"].destination_id == "EV"
    assert subs["initial"].status == "accepted"


def test_a_case_never_sent_to_a_regulator_cannot_be_nullified(h: Harness) -> None:
    case_id = h.new_case()

    with pytest.raises(LifecycleError, match="never sent to a regulator"):
        _nullify(h, case_id, "duplicate")

    assert h.case_state(case_id) == "valid"


def test_a_nullification_without_a_reason_is_refused(h: Harness) -> None:
    case_id = _accepted_case(h)

    with pytest.raises(InvalidMessageError, match=r"C\.1\.11\.2"):
        _nullify(h, case_id, "   ")

    assert h.case_state(case_id) == "submitted"


def test_the_case_nullify_command_writes_the_nullifying_version(
    h: Harness, database_url: URL, tmp_path: Path
) -> None:
    case_id = _accepted_case(h)
    env = {
        "ICSR_DATABASE_URL": database_url.render_as_string(hide_password=False),
        "ICSR_DATA_DIR": str(tmp_path / "data"),
        "ICSR_KAFKA_TOPIC_PREFIX": "",
    }

    result = CliRunner().invoke(
        app,
        ["case", "nullify", case_id, "--reason", "duplicate of another case", "--actor", "qppv"],
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert "nullification to EV" in " ".join(result.output.split())
    assert h.case_state(case_id) == "nullified"
    with h.store.engine.connect() as conn:
        icsr = conn.execute(
            select(case_versions.c.icsr).where(
                case_versions.c.case_id == case_id, case_versions.c.number == 2
            )
        ).scalar_one()
    assert icsr["report"]["nullification_amendment"] == NullificationAmendment.NULLIFICATION.value
    assert icsr["report"]["nullification_amendment_reason"] == "duplicate of another case"
    trail = h.store.run_sync(audit.trail, "case", case_id)
    assert any(e.action == "case.nullified" and e.actor == "qppv" for e in trail)
    again = CliRunner().invoke(app, ["case", "nullify", case_id, "--reason", "again"], env=env)
    assert again.exit_code == 2
    assert "NULLIFIED" in again.output


# -- significant follow-up ------------------------------------------------------------------------


def test_significant_new_information_gives_a_follow_up_due_15_days_after_the_new_day_zero(
    h: Harness,
) -> None:
    madrid = zoneinfo.ZoneInfo("Europe/Madrid")
    h.planner = SubmissionPlanner(
        h.codec, str, h.destinations, lambda: h.refs, tz=madrid, auto_submit=True
    )
    case_id = _accepted_case(h)
    # 23:30 UTC is already the next day in Madrid: the due date counts from that day.
    new_day_zero = (h.now + timedelta(days=3)).replace(hour=23, minute=30, second=0)

    def revise(conn: Connection, significant: bool, day_zero: datetime | None) -> None:
        extra = {"day_zero": day_zero} if day_zero is not None else {}
        revised = h.writer.revise(
            conn,
            case_id=case_id,
            icsr=sample_icsr(),
            actor="consumer:followup-replies",
            action="case.followup_applied",
            reason="reply from the reporter",
            now=h.now,
            significant=significant,
            **extra,  # type: ignore[arg-type]
        )
        outbox.enqueue(conn, [revised.event], h.now)

    h.store.run_sync(revise, True, new_day_zero)
    *_, event = _case_events(h, case_id)
    h.plan(event)

    [follow_up] = [s for s in h.submissions(case_id) if s.kind == "follow_up"]
    expected = new_day_zero.astimezone(madrid).date() + timedelta(days=15)
    assert new_day_zero.astimezone(madrid).date() == new_day_zero.date() + timedelta(days=1)
    assert (follow_up.destination_id, follow_up.case_version) == ("EV", 2)
    assert follow_up.due_date == expected
    assert follow_up.day_zero == new_day_zero

    h.store.run_sync(revise, False, None)
    *_, minor = _case_events(h, case_id)
    planned = h.plan(minor)

    assert minor.message.version == 3
    assert planned.emitted == []
    assert [s.case_version for s in h.submissions(case_id)] == [1, 2]
