"""Submissions against a real store (SQLite and PostgreSQL): planning, batching, validation,
ACK routing, timeouts and the correction loop, with the regulator simulator on the folders."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy.engine import URL

from gateway.domain.codes import RechallengeResult, ReportType
from gateway.domain.drug import DrugReactionAssessment
from gateway.domain.reaction import Seriousness
from gateway.store.submissions import ack_rows
from schemas.e2b_r3 import parse_batch
from tests.integration.submission_support import (
    R2_DTD,
    Harness,
    destination_rows,
    open_harness,
    sample_icsr,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def h(database_url: URL, tmp_path: Path) -> Iterator[Harness]:
    harness = open_harness(database_url, tmp_path)
    yield harness
    harness.store.dispose()


def _outbox_files(h: Harness, destination_id: str) -> list[Path]:
    folder = h.destination(destination_id).transport.outbox_dir  # type: ignore[union-attr]
    return sorted(p for p in folder.glob("*.xml"))


def test_a_redelivered_case_event_plans_exactly_one_submission_per_version_and_destination(
    h: Harness,
) -> None:
    case_id = h.new_case()
    event = h.event(case_id, 1)

    first = h.plan(event)
    again = h.plan(event, h.event(case_id, 1))  # the same event, and another about version 1

    [sub] = h.submissions(case_id)
    assert (sub.destination_id, sub.kind, sub.status) == ("EV", "initial", "planned")
    assert sub.due_date == (h.now.date() + timedelta(days=15))
    assert [e.value for e in first.emitted]
    assert again.emitted == []
    assert len(h.submission_events("PLANNED")) == 1


def test_a_non_serious_non_eea_case_is_not_planned_for_eudravigilance(h: Harness) -> None:
    icsr = sample_icsr(country="US")
    reactions = tuple(dataclasses.replace(r, seriousness=Seriousness()) for r in icsr.reactions)
    case_id = h.new_case(dataclasses.replace(icsr, reactions=reactions))

    h.plan(h.event(case_id, 1))

    assert h.submissions(case_id) == []


def test_due_submissions_go_out_in_batches_under_unique_batch_numbers(
    database_url: URL, tmp_path: Path
) -> None:
    h = open_harness(database_url, tmp_path, destination_rows(tmp_path, max_batch_size=2))
    try:
        ids = [h.new_case() for _ in range(5)]
        h.plan(*(h.event(c, 1) for c in ids))

        assert h.dispatch() == 3

        files = _outbox_files(h, "EV")
        batches = [parse_batch(p.read_bytes()) for p in files]
        assert sorted(len(b.messages) for b in batches) == [1, 2, 2]
        numbers = {b.batch_id for b in batches}
        assert len(numbers) == 3
        subs = h.submissions()
        assert {s.status for s in subs} == {"dispatched"}
        assert {s.batch_number for s in subs} == numbers
        sent = {m.message_id for b in batches for m in b.messages}
        assert {s.message_id for s in subs} == sent
        assert len(sent) == 5
        assert {h.case_state(c) for c in ids} == {"submitted"}
        assert h.dispatch() == 0  # nothing sent twice
        assert len(_outbox_files(h, "EV")) == 3
    finally:
        h.store.dispose()


def test_a_reject_finding_blocks_sending_and_opens_a_triage_item_naming_the_fields(
    h: Harness,
) -> None:
    icsr = sample_icsr()
    # Documents are said to be held (C.1.6.1) but none is named (C.1.6.1.r.1).
    report = dataclasses.replace(icsr.report, additional_documents=True, documents=())
    case_id = h.new_case(dataclasses.replace(icsr, report=report))
    h.plan(h.event(case_id, 1))

    assert h.dispatch() == 0

    [sub] = h.submissions(case_id)
    assert sub.status == "blocked"
    assert any("C.1.6.1.r.1" in e for e in sub.errors)
    [item] = h.triage("submission_blocked")
    assert item["case_id"] == case_id
    assert item["detail"]["fields"] == ["C.1.6.1.r.1"]
    assert _outbox_files(h, "EV") == []


def test_a_case_the_e2b_writer_refuses_is_blocked_with_a_triage_item_and_the_rest_goes_out(
    h: Harness,
) -> None:
    icsr = sample_icsr()
    # A matrix row naming no reaction of the case, by an id no E2B II root can hold: the
    # writer refuses it rather than guess which reaction was meant.
    stray = DrugReactionAssessment(reaction_id="not-a-uuid", recurrence=RechallengeResult.RECURRED)
    first = icsr.drugs[0]
    drugs = (
        dataclasses.replace(first, reaction_assessments=(*first.reaction_assessments, stray)),
        *icsr.drugs[1:],
    )
    bad = h.new_case(dataclasses.replace(icsr, drugs=drugs))
    good = h.new_case()
    h.plan(h.event(bad, 1), h.event(good, 1))

    assert h.dispatch() == 1

    [blocked] = h.submissions(bad)
    assert blocked.status == "blocked"
    assert any("not-a-uuid" in e and e.startswith("WRITE N.2.r") for e in blocked.errors)
    [item] = h.triage("submission_blocked")
    assert item["case_id"] == bad
    assert item["detail"]["findings"][0]["rule_id"] == "WRITE"
    [sent] = h.submissions(good)
    assert sent.status == "dispatched"
    [batch] = [parse_batch(p.read_bytes()) for p in _outbox_files(h, "EV")]
    assert [m.message_id for m in batch.messages] == [sent.message_id]
    assert h.dispatch() == 0  # the blocked one is not tried again on the next pass


def test_a_positive_ack_accepts_the_submission_with_the_local_number_and_deadline_met(
    h: Harness,
) -> None:
    case_id = h.new_case()
    h.plan(h.event(case_id, 1))
    h.dispatch()
    [answer] = h.simulator("EV").process_once()
    h.receive_acks("EV")

    h.route()

    [sub] = h.submissions(case_id)
    assert answer.batch_code == "AA"
    assert sub.status == "accepted"
    assert sub.local_report_number == dict(answer.local_report_numbers)[sub.message_id]
    assert sub.deadline_met is True
    assert sub.acked_at is not None
    assert len(h.submission_events("ACKNOWLEDGED")) == 1


def test_a_negative_ack_requires_correction_keeps_the_due_date_and_moves_the_case(
    h: Harness,
) -> None:
    case_id = h.new_case()
    h.plan(h.event(case_id, 1))
    h.dispatch()
    [planned] = h.submissions(case_id)
    h.simulator("EV", reject_rate=1.0, seed=1).process_once()
    h.receive_acks("EV")

    h.route()

    [sub] = h.submissions(case_id)
    assert sub.status == "correction_required"
    assert sub.errors
    assert sub.errors[0]
    assert sub.due_date == planned.due_date
    assert h.case_state(case_id) == "correction_required"
    [item] = h.triage("submission_correction_required")
    assert item["case_id"] == case_id


def test_the_corrected_version_is_retransmitted_with_a_new_batch_number_and_the_same_ids(
    h: Harness,
) -> None:
    case_id = h.new_case()
    h.plan(h.event(case_id, 1))
    h.dispatch()
    h.simulator("EV", reject_rate=1.0, seed=1).process_once()
    h.receive_acks("EV")
    h.route()
    [rejected] = h.submissions(case_id)

    icsr = sample_icsr()
    version = h.revise(case_id, icsr)
    h.plan(h.event(case_id, version, "VERSION_CREATED", state="correction_required"))
    h.dispatch()
    h.simulator("EV").process_once()
    h.receive_acks("EV")
    h.route()

    subs = {s.case_version: s for s in h.submissions(case_id)}
    again = subs[version]
    assert again.retransmission_of == rejected.id
    assert again.status == "accepted"
    assert again.batch_number != rejected.batch_number
    assert again.safety_report_id == rejected.safety_report_id
    assert again.worldwide_case_id == rejected.worldwide_case_id
    assert (again.due_date, again.day_zero) == (rejected.due_date, rejected.day_zero)
    assert h.case_state(case_id) == "submitted"


def test_a_duplicate_ack_changes_nothing_and_is_recorded_as_a_duplicate(h: Harness) -> None:
    case_id = h.new_case()
    h.plan(h.event(case_id, 1))
    h.dispatch()
    h.simulator("EV").process_once()
    [ack] = h.ack_files("EV")
    data = ack.read_bytes()
    h.receive_acks("EV")
    h.route()
    before = h.submissions(case_id)

    again = h.acks.accept_sync(data, source="http")
    # the same ACK re-issued with other bytes (another creation time) reaches the router
    other = data.replace(b"</MCCI_IN200101UV01>", b"<!-- re-sent --></MCCI_IN200101UV01>")
    third = h.acks.accept_sync(other, source="folder")
    h.route()

    assert again.duplicate
    assert not third.duplicate
    assert h.submissions(case_id) == before
    rows = h.store.run_sync(ack_rows)
    assert [r["outcome"] for r in rows] == ["routed", "duplicate", "duplicate"]
    assert [r["duplicate"] for r in rows] == [False, True, True]


def test_an_ack_for_a_batch_never_sent_opens_a_triage_item(h: Harness) -> None:
    case_id = h.new_case()
    h.plan(h.event(case_id, 1))
    h.dispatch()
    h.simulator("EV").process_once()
    [ack] = h.ack_files("EV")
    [sub] = h.submissions(case_id)
    assert sub.batch_number is not None
    forged = ack.read_bytes().replace(sub.batch_number.encode(), b"ICSRGW-NEVER-SENT")
    ack.unlink()

    h.acks.accept_sync(forged, source="http")
    h.route()

    [item] = h.triage("ack_unmatched")
    assert "ICSRGW-NEVER-SENT" in item["reason"]
    assert h.submissions(case_id)[0].status == "dispatched"


def test_a_batch_rejected_as_a_whole_marks_every_icsr_for_resending(h: Harness) -> None:
    ids = [h.new_case() for _ in range(2)]
    h.plan(*(h.event(c, 1) for c in ids))
    h.dispatch()
    [batch_file] = _outbox_files(h, "EV")
    batch_number = parse_batch(batch_file.read_bytes()).batch_id
    # A batch-level rejection (ACK.A.4 = AR) from the receiver's gateway.
    h.simulator("EV").process_once()
    [ack] = h.ack_files("EV")
    rejected = ack.read_bytes().replace(b'typeCode="AA"', b'typeCode="AR"', 1)
    ack.unlink()
    h.acks.accept_sync(rejected, source="folder")

    h.route()

    assert {s.status for s in h.submissions()} == {"batch_rejected"}
    [item] = h.triage("batch_rejected")
    assert batch_number in item["reason"]


def test_no_ack_within_the_business_days_raises_an_alert(h: Harness) -> None:
    case_id = h.new_case()
    h.plan(h.event(case_id, 1))
    h.dispatch()

    h.later(timedelta(days=6))  # past 2 business days, whatever the weekday
    raised = asyncio.run(h.dispatcher.check_clocks())

    assert raised >= 1
    [item] = h.triage("ack_overdue")
    assert case_id in item["detail"]["cases"]
    [overdue] = h.submission_events("OVERDUE")
    assert overdue["case_id"] == case_id
    assert h.submissions(case_id)[0].overdue_at is not None


def test_an_r2_destination_gets_dtd_valid_ichicsr_and_its_r2_ack_routes_back(
    h: Harness,
) -> None:
    icsr = sample_icsr(country="FR")
    case_id = h.new_case(
        dataclasses.replace(
            icsr, report=dataclasses.replace(icsr.report, report_type=ReportType.SPONTANEOUS)
        )
    )
    h.plan(h.event(case_id, 1))
    h.dispatch()

    [r2_file] = _outbox_files(h, "NCA")
    root = etree.fromstring(r2_file.read_bytes())
    dtd = etree.DTD(str(R2_DTD))
    assert root.tag == "ichicsr"
    assert dtd.validate(root), dtd.error_log
    [answer] = h.simulator("NCA").process_once()
    assert answer.format == "R2"
    h.receive_acks("NCA")
    h.route()

    subs = {s.destination_id: s for s in h.submissions(case_id)}
    assert subs["NCA"].status == "accepted"
    assert subs["NCA"].local_report_number


def test_a_transmission_sent_but_not_recorded_before_a_crash_is_not_delivered_twice(
    h: Harness,
) -> None:
    """The process dies after the transport took the file, before the send was recorded."""
    case_id = h.new_case()
    h.plan(h.event(case_id, 1))
    [destination] = [d for d in h.destinations if d.id == "EV"]
    prepared = h.dispatcher._prepare_next(destination)
    assert prepared is not None
    transport = h.dispatcher._transports["EV"]
    asyncio.run(transport.send(prepared.file_name, prepared.data, batch_number="x"))
    h.simulator("EV").process_once()  # the regulator already took it away
    assert h.submissions(case_id)[0].status == "built"

    assert h.dispatch() == 1  # the restart resends the prepared transmission

    assert len(_outbox_files(h, "EV")) == 0  # nothing new handed over
    [sub] = h.submissions(case_id)
    assert sub.status == "dispatched"
    assert sub.batch_number == prepared.batch_number
    h.receive_acks("EV")
    h.route()
    assert h.submissions(case_id)[0].status == "accepted"
