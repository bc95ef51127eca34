"""The follow-up lifecycle on the real store (SQLite and PostgreSQL), with a controllable clock.

Each test runs the real intake (with threading), follow-up planner, sender, reply consumer
and ticker in process (``followup_support.FollowUpPipeline``): reports and replies enter
through the inbound acceptor, events flow through the transactional outbox, and days pass
by moving the clock. The assertions read the resulting rows: requests, the thread record,
cases and versions, opt-outs, triage items and the audit trail.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy.engine import URL

from channels.followup_out.ports import FollowUpChannel, SendResult, SendStatus
from channels.twilio_in import TwilioKind
from gateway.domain.codes import ReactionOutcome
from gateway.domain.intake import IntakeReferences
from gateway.domain.lifecycle import CaseState
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import (
    audit_log,
    case_versions,
    cases,
    followup_messages,
    followup_opt_outs,
    followup_requests,
    inbound_messages,
    triage_items,
)
from producers.followup_ticker import TickerConfig, TickResult
from schemas.topics import Topic
from tests.integration.followup_support import (
    FakeSender,
    FollowUpPipeline,
    ManualClock,
    load_refs,
    reply_email,
    report_email,
    rows,
    status_fields,
)
from tests.support.smtp_relay import delivery_status_notification

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NOTHING = TickResult()

REPORTER = "paula.ortiz@pharmacy.example"
REPORTER_PHONE = "+34600111222"
# Valid (reporter, patient initials, product, reaction) but no age and no outcome.
REPORT_MISSING_AGE_AND_OUTCOME = (
    "Hello,\n\nI am a pharmacist. My customer, initials M.K., a woman, developed a rash on "
    "her arms after starting Zentravia 500 mg last week.\n\nKind regards,\nPaula Ortiz"
)
# No suspect product: the case is not valid ("Pendiente").
REPORT_WITHOUT_PRODUCT = (
    "Hello,\n\nI am a physician. My patient M.K., a 60-year-old man, developed a severe "
    "headache last week.\n\nDr Paula Ortiz"
)
SMS_REPORT = (
    "Hi, I'm a nurse. Patient A.B., female, got a rash after Zentravia 500 mg. "
    "Call me if you need more."
)
SMS_SECOND_REPORT = (
    "Another one: patient C.D., male, 70, had a bad headache after Zentravia 250 mg yesterday."
)
ANSWER = "She is 52 years old and she has fully recovered now."


# -- fixtures ---------------------------------------------------------------------------------
@pytest.fixture
def store(database_url: URL) -> Iterator[Store]:
    s = Store(build_engine(database_url))
    upgrade(s.engine)
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture(scope="module")
def refs() -> IntakeReferences:
    return load_refs()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def sender() -> FakeSender:
    return FakeSender()


@pytest.fixture
def ticker_config() -> TickerConfig:
    return TickerConfig(deferred_backoff=timedelta(minutes=5), deferred_max_attempts=3)


@pytest.fixture
def pipeline(
    store: Store,
    refs: IntakeReferences,
    clock: ManualClock,
    sender: FakeSender,
    ticker_config: TickerConfig,
) -> FollowUpPipeline:
    return FollowUpPipeline(store, refs, clock, sender, ticker_config)


# -- reading the store ------------------------------------------------------------------------
def _case_from(p: FollowUpPipeline, inbound_id: str) -> dict[str, Any]:
    [case] = rows(p.store, cases, cases.c.source_inbound_id == inbound_id)
    return case


def _case(p: FollowUpPipeline, case_id: str) -> dict[str, Any]:
    [case] = rows(p.store, cases, cases.c.id == case_id)
    return case


def _versions(p: FollowUpPipeline, case_id: str) -> list[int]:
    found = rows(
        p.store,
        case_versions,
        case_versions.c.case_id == case_id,
        order_by=[case_versions.c.number],
    )
    return [v["number"] for v in found]


def _requests(p: FollowUpPipeline, case_id: str | None = None) -> list[dict[str, Any]]:
    where = [followup_requests.c.case_id == case_id] if case_id else []
    return rows(p.store, followup_requests, *where, order_by=[followup_requests.c.created_at])


def _thread(p: FollowUpPipeline, case_id: str) -> list[tuple[str, str, int, str]]:
    """(direction, kind, attempt, delivery state) of each message of the case, in order."""
    m = followup_messages.c
    found = rows(p.store, followup_messages, m.case_id == case_id, order_by=[m.created_at, m.id])
    return [(r["direction"], r["kind"], r["attempt"], r["delivery_state"]) for r in found]


def _out_message(p: FollowUpPipeline, case_id: str, attempt: int = 1) -> dict[str, Any]:
    m = followup_messages.c
    [row] = rows(
        p.store,
        followup_messages,
        m.case_id == case_id,
        m.direction == "out",
        m.attempt == attempt,
    )
    return row


def _triage(p: FollowUpPipeline) -> list[tuple[str, str | None]]:
    found = rows(p.store, triage_items, order_by=[triage_items.c.created_at, triage_items.c.kind])
    return [(t["kind"], t["case_id"]) for t in found]


def _actions(p: FollowUpPipeline, case_id: str) -> list[str]:
    a = audit_log.c
    found = rows(p.store, audit_log, a.entity_id == case_id, order_by=[a.id])
    return [r["action"] for r in found]


def _audit(p: FollowUpPipeline, case_id: str, action: str) -> dict[str, Any]:
    a = audit_log.c
    [row] = rows(p.store, audit_log, a.entity_id == case_id, a.action == action)
    return row


# -- driving the pipeline ---------------------------------------------------------------------
def _email_report(
    p: FollowUpPipeline, body: str = REPORT_MISSING_AGE_AND_OUTCOME, reporter: str = REPORTER
) -> str:
    """A reporter e-mails a report; the pipeline settles; the new case's id."""
    accepted = p.receive_email(
        report_email(body, sender=f"Paula Ortiz <{reporter}>", sent_at=p.clock.now())
    )
    p.pump()
    return str(_case_from(p, accepted.inbound_id)["id"])


def _sms_report(p: FollowUpPipeline, body: str = SMS_REPORT) -> str:
    accepted = p.receive_sms(REPORTER_PHONE, body)
    p.pump()
    return str(_case_from(p, accepted.inbound_id)["id"])


def _our_email(p: FollowUpPipeline, n: int = 0) -> EmailMessage:
    return p.sender.emails()[n]


def _reply(p: FollowUpPipeline, body: str = ANSWER) -> bytes:
    return reply_email(
        _our_email(p), sender=f"Paula Ortiz <{REPORTER}>", body=body, sent_at=p.clock.now()
    )


def _receive_reply(p: FollowUpPipeline, raw: bytes) -> None:
    p.receive_email(raw, rcpt_tos=(str(_our_email(p)["Reply-To"]),), mail_from=REPORTER)
    p.pump()


# -- 1. the request ---------------------------------------------------------------------------
def test_report_missing_a_criterion_gets_one_request_sent_once_and_the_case_moves_to_in_progress(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    accepted = pipeline.receive_email(
        report_email(REPORT_WITHOUT_PRODUCT, sender=f"Dr Paula Ortiz <{REPORTER}>", sent_at=T0)
    )
    pipeline.pump(hold=(Topic.CASE_EVENTS,))  # intake only: the case before follow-up
    case = _case_from(pipeline, accepted.inbound_id)
    assert CaseState(case["state"]).display_name_es == "Pendiente"
    assert (case["valid"], case["missing_criteria"]) == (False, ["SUSPECT_PRODUCT"])
    pipeline.deliver(pipeline.published_on(Topic.CASE_EVENTS))
    pipeline.pump()

    case_id = case["id"]
    [request] = _requests(pipeline, case_id)
    assert (request["status"], request["channel"], request["recipient"]) == (
        "open",
        "EMAIL",
        REPORTER,
    )
    assert request["questions"] == ["suspect_product"]
    assert (request["sent_at"], request["reminders_sent"]) == (T0, 0)
    assert _thread(pipeline, case_id) == [("out", "request", 1, "sent")]
    [sent] = sender.sent
    out = _out_message(pipeline, case_id)
    assert (sent.channel, sent.recipient, sent.message_id) == (
        FollowUpChannel.EMAIL,
        REPORTER,
        out["message_ref"],
    )
    assert sent.reply_to == f"safety+{request['token']}@pv.example"
    assert request["subject_tag"] in (sent.subject or "")
    after = _case(pipeline, case_id)
    assert after["state"] == CaseState.IN_PROGRESS.value
    assert CaseState(after["state"]).display_name_es == "En progreso"
    assert _versions(pipeline, case_id) == [1]  # a state move, not a new version
    assert _actions(pipeline, case_id) == [
        "case.received",
        "validity.assessed",
        "followup_requested",
        "followup_sent",
        "transition:in_progress",
    ]
    moved = _audit(pipeline, case_id, "transition:in_progress")
    assert moved["detail"] == {"from": "invalid_pending_info", "to": "in_progress", "version": 1}
    assert moved["actor"] == "consumer:followup-sender"
    assert _triage(pipeline) == []

    # every case event (CASE_RECEIVED, STATE_CHANGED) delivered again asks nothing more
    pipeline.deliver(pipeline.published_on(Topic.CASE_EVENTS))
    pipeline.pump()
    assert len(_requests(pipeline, case_id)) == 1
    assert len(sender.sent) == 1


# -- 2. reminders and exhaustion --------------------------------------------------------------
def test_reminders_go_on_day_7_and_14_then_follow_up_is_exhausted_with_its_rationale(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    case_id = _email_report(pipeline)
    assert len(sender.sent) == 1

    assert pipeline.tick_at(3 * DAY) == NOTHING
    assert pipeline.tick_at(4 * DAY - timedelta(seconds=1)) == NOTHING  # day 7 minus a second
    assert pipeline.tick_at(timedelta(seconds=1)) == TickResult(reminders=1)  # day 7
    assert pipeline.tick() == NOTHING  # the same instant again: nothing twice
    assert pipeline.tick_at(3 * DAY) == NOTHING  # day 10
    assert len(sender.sent) == 2

    # day 14: two ticks before the sender has run still queue one reminder
    pipeline.clock.advance(4 * DAY)
    assert pipeline.tick() == TickResult(reminders=1)
    assert pipeline.tick() == NOTHING
    pipeline.pump()
    assert len(sender.sent) == 3

    assert pipeline.tick_at(7 * DAY - timedelta(minutes=1)) == NOTHING
    assert pipeline.tick_at(timedelta(minutes=1)) == TickResult(exhausted=1)  # day 21
    assert pipeline.tick_at(DAY) == NOTHING
    assert pipeline.tick_at(30 * DAY) == NOTHING
    assert len(sender.sent) == 3

    first, second, third = sender.sent
    assert second.in_reply_to == first.message_id == third.in_reply_to
    assert second.body.startswith("Reminder 1: ")
    assert third.body.startswith("Reminder 2: ")
    assert second.reply_to == first.reply_to == third.reply_to
    [request] = _requests(pipeline, case_id)
    assert (request["status"], request["reminders_sent"]) == ("exhausted", 2)
    assert request["sent_at"] == T0
    assert request["last_sent_at"] == T0 + 14 * DAY
    assert request["closed_at"] == T0 + 21 * DAY
    rationale = (
        "Follow-up exhausted: no answer to the request sent on 2026-03-02 after 2 reminder(s) "
        "(policy: reminders on day(s) 7, 14, follow-up closed 21 days after the request, on "
        "2026-03-23)."
    )
    assert request["closed_reason"] == rationale
    assert _thread(pipeline, case_id) == [
        ("out", "request", 1, "sent"),
        ("out", "reminder", 2, "sent"),
        ("out", "reminder", 3, "sent"),
    ]
    assert [_out_message(pipeline, case_id, n)["created_at"] for n in (1, 2, 3)] == [
        T0,
        T0 + 7 * DAY,
        T0 + 14 * DAY,
    ]
    assert _triage(pipeline) == [("followup_exhausted", case_id)]
    [item] = rows(pipeline.store, triage_items)
    assert (item["reason"], item["detail"]) == (rationale, {"request_id": request["id"]})
    assert _actions(pipeline, case_id) == [
        "case.received",
        "validity.assessed",
        "followup_requested",
        "followup_sent",
        "followup_reminder_due",
        "followup_reminder_sent",
        "followup_reminder_due",
        "followup_reminder_sent",
        "followup_exhausted",
    ]
    exhausted = _audit(pipeline, case_id, "followup_exhausted")
    assert exhausted["reason"] == rationale
    assert exhausted["detail"] == {"request_id": request["id"], "reminders_sent": 2}
    assert _versions(pipeline, case_id) == [1]


# -- 3. an answer stops the reminders ---------------------------------------------------------
def test_an_answer_between_reminders_stops_them_and_the_request_is_never_exhausted(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    case_id = _email_report(pipeline)
    assert pipeline.tick_at(7 * DAY) == TickResult(reminders=1)
    pipeline.clock.advance(2 * DAY)  # day 9: the reporter answers
    _receive_reply(pipeline, _reply(pipeline))

    assert _versions(pipeline, case_id) == [1, 2]
    [request] = _requests(pipeline, case_id)
    assert (request["status"], request["closed_at"]) == ("answered", T0 + 9 * DAY)
    assert request["closed_reason"] == "the reporter replied"
    for delta in (5 * DAY, 7 * DAY, 30 * DAY):  # days 14, 21, 51
        assert pipeline.tick_at(delta) == NOTHING
    assert len(sender.sent) == 2
    assert _requests(pipeline, case_id)[0]["status"] == "answered"
    assert _thread(pipeline, case_id) == [
        ("out", "request", 1, "sent"),
        ("out", "reminder", 2, "sent"),
        ("in", "reply", 1, "received"),
    ]
    assert _triage(pipeline) == []
    [v2] = rows(
        pipeline.store,
        case_versions,
        case_versions.c.case_id == case_id,
        case_versions.c.number == 2,
    )
    assert v2["icsr"]["patient"]["age_at_onset"]["value"] in (52, "52")
    assert {r["outcome"] for r in v2["icsr"]["reactions"]} == {ReactionOutcome.RECOVERED.value}
    assert "followup_exhausted" not in _actions(pipeline, case_id)


# -- 4. opt-out -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("channel", "words"),
    [("EMAIL", "STOP"), ("SMS", "BAJA"), ("EMAIL", "Baja, por favor"), ("SMS", "Stop")],
)
def test_an_opt_out_reply_closes_the_request_and_the_reporter_is_never_asked_again(
    pipeline: FollowUpPipeline, sender: FakeSender, channel: str, words: str
) -> None:
    if channel == "EMAIL":
        case_id = _email_report(pipeline)
        pipeline.clock.advance(DAY)
        _receive_reply(pipeline, _reply(pipeline, words))
        address = REPORTER
    else:
        case_id = _sms_report(pipeline)
        pipeline.clock.advance(DAY)
        pipeline.receive_sms(REPORTER_PHONE, words)
        pipeline.pump()
        address = REPORTER_PHONE

    [request] = _requests(pipeline, case_id)
    assert (request["status"], request["closed_reason"]) == (
        "opted_out",
        "the reporter asked for no more messages",
    )
    [opt_out] = rows(pipeline.store, followup_opt_outs)
    assert (opt_out["channel"], opt_out["address"], opt_out["at"]) == (channel, address, T0 + DAY)
    assert _versions(pipeline, case_id) == [1]
    assert _actions(pipeline, case_id)[-2:] == ["reply_threaded", "followup_opt_out"]
    for delta in (7 * DAY, 7 * DAY, 7 * DAY, 30 * DAY):
        assert pipeline.tick_at(delta) == NOTHING
    assert len(sender.sent) == 1
    assert _triage(pipeline) == []

    # the same reporter reports again: a new case, and no request is planned for it
    later = (
        _email_report(pipeline, REPORT_WITHOUT_PRODUCT)
        if channel == "EMAIL"
        else _sms_report(pipeline, SMS_SECOND_REPORT)
    )
    assert later != case_id
    assert _requests(pipeline, later) == []
    assert len(sender.sent) == 1
    not_sent = _audit(pipeline, later, "followup_not_sent")
    assert not_sent["reason"] == "the reporter asked for no more messages on this channel"
    assert not_sent["detail"] == {"channel": channel, "version": 1}
    assert len(rows(pipeline.store, followup_opt_outs)) == 1


# -- 5. duplicate deliveries ------------------------------------------------------------------
def test_the_same_reply_delivered_twice_makes_one_new_case_version(
    pipeline: FollowUpPipeline,
) -> None:
    case_id = _email_report(pipeline)
    pipeline.clock.advance(DAY)
    raw = _reply(pipeline)
    rcpt = (str(_our_email(pipeline)["Reply-To"]),)
    first = pipeline.receive_email(raw, rcpt_tos=rcpt, mail_from=REPORTER)
    again = pipeline.receive_email(raw, rcpt_tos=rcpt, mail_from=REPORTER)
    assert (again.inbound_id, again.duplicate) == (first.inbound_id, True)
    pipeline.pump()
    assert _versions(pipeline, case_id) == [1, 2]

    # the intake event and the follow-up-inbound event are delivered again
    [intake_event] = [
        m for m in pipeline.published_on(Topic.INTAKE_INBOUND) if first.inbound_id in m.event_id
    ]
    [reply_event] = pipeline.published_on(Topic.FOLLOWUP_INBOUND)
    pipeline.deliver([intake_event, intake_event])
    pipeline.deliver([reply_event])
    pipeline.deliver([reply_event, reply_event])
    assert pipeline.pump() == []

    assert _versions(pipeline, case_id) == [1, 2]
    assert _case(pipeline, case_id)["current_version"] == 2
    assert _thread(pipeline, case_id) == [
        ("out", "request", 1, "sent"),
        ("in", "reply", 1, "received"),
    ]
    assert len(rows(pipeline.store, inbound_messages)) == 2
    assert _actions(pipeline, case_id).count("followup_reply") == 1
    assert _triage(pipeline) == []


def test_the_same_reply_relayed_again_with_other_transport_headers_makes_one_new_case_version(
    pipeline: FollowUpPipeline,
) -> None:
    """A second copy through another relay differs in its Received lines (another hash,
    another inbound record) but keeps its Message-ID: it is the same reply."""
    case_id = _email_report(pipeline)
    pipeline.clock.advance(DAY)
    raw = _reply(pipeline)
    rcpt = (str(_our_email(pipeline)["Reply-To"]),)
    pipeline.receive_email(raw, rcpt_tos=rcpt, mail_from=REPORTER)
    pipeline.pump()
    copy = b"Received: from mx2.pharmacy.example by mx.pv.example; Tue, 3 Mar 2026\r\n" + raw
    copied = pipeline.receive_email(copy, rcpt_tos=rcpt, mail_from=REPORTER)
    assert not copied.duplicate
    pipeline.pump()

    assert _versions(pipeline, case_id) == [1, 2]
    assert [d for d, *_ in _thread(pipeline, case_id)] == ["out", "in"]
    assert _triage(pipeline) == []
    assert _actions(pipeline, case_id)[-3:] == [
        "reply_threaded",
        "followup_reply",
        "reply_repeated",
    ]
    [stored_copy] = rows(
        pipeline.store, inbound_messages, inbound_messages.c.id == copied.inbound_id
    )
    assert (stored_copy["status"], stored_copy["case_id"]) == ("processed", case_id)


def test_the_same_followup_outbound_event_delivered_twice_sends_once(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    accepted = pipeline.receive_email(
        report_email(REPORT_MISSING_AGE_AND_OUTCOME, sender=REPORTER, sent_at=T0)
    )
    pipeline.pump(hold=(Topic.FOLLOWUP_OUTBOUND,))
    case_id = _case_from(pipeline, accepted.inbound_id)["id"]
    [event] = pipeline.published_on(Topic.FOLLOWUP_OUTBOUND)
    assert sender.sent == []

    pipeline.deliver([event, event])  # twice in one batch
    pipeline.deliver([event])  # and once more later
    pipeline.pump()

    assert len(sender.sent) == 1
    assert _thread(pipeline, case_id) == [("out", "request", 1, "sent")]
    assert _actions(pipeline, case_id).count("followup_sent") == 1
    [request] = _requests(pipeline, case_id)
    assert (request["sent_at"], request["last_sent_at"], request["reminders_sent"]) == (T0, T0, 0)


# -- 6. status callbacks out of order ---------------------------------------------------------
@pytest.mark.parametrize(
    ("callbacks", "states"),
    [
        (("delivered", "sent"), ("delivered", "delivered")),
        (("read", "delivered"), ("read", "read")),
        (("delivered", "failed"), ("delivered", "delivered")),
        (("sent", "delivered", "delivered"), ("sent", "delivered", "delivered")),
        (("undelivered", "sent", "delivered"), ("undelivered", "undelivered", "delivered")),
        (
            ("queued", "sending", "delivered", "undelivered", "read"),
            ("sent", "sent", "delivered", "delivered", "read"),
        ),
    ],
)
def test_status_callbacks_out_of_order_never_move_the_delivery_state_back(
    pipeline: FollowUpPipeline,
    sender: FakeSender,
    callbacks: tuple[str, ...],
    states: tuple[str, ...],
) -> None:
    """Twilio posts each status separately and in no guaranteed order: a positive receipt
    (delivered, read) outranks a failure, and nothing outranks read (see
    ``gateway.domain.followup.delivery``). A repeated callback is stored once."""
    case_id = _sms_report(pipeline)
    [result] = sender.results
    sid = result.provider_ref
    assert sid is not None
    out = _out_message(pipeline, case_id)
    assert (out["provider_ref"], out["delivery_state"]) == (sid, "sent")

    changed_at = T0
    seen = ["sent"]
    for status, expected in zip(callbacks, states, strict=True):
        pipeline.clock.advance(timedelta(minutes=1))
        accepted = pipeline.receive_twilio(
            TwilioKind.STATUS, status_fields(sid, status, reporter=REPORTER_PHONE)
        )
        if expected != seen[-1]:
            changed_at = pipeline.clock.now()
        seen.append(expected)
        row = _out_message(pipeline, case_id)
        assert (row["delivery_state"], row["state_at"]) == (expected, changed_at), status
        assert accepted.duplicate == (status in callbacks[: len(seen) - 2])

    assert pipeline.pump() == []  # callbacks open no case and reach no consumer
    assert len(rows(pipeline.store, cases)) == 1
    statuses = rows(
        pipeline.store,
        inbound_messages,
        inbound_messages.c.source_id.like(f"{sid}#%"),
    )
    assert sorted(r["source_id"] for r in statuses) == sorted({f"{sid}#{s}" for s in callbacks})
    assert {(r["status"], r["case_id"]) for r in statuses} == {("processed", None)}
    assert len(sender.sent) == 1


# -- 7. a transport that asks to retry --------------------------------------------------------
def test_a_deferred_message_is_sent_again_after_the_backoff_and_only_once(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    sender.answer_next(SendStatus.RETRY)
    case_id = _email_report(pipeline)
    out = _out_message(pipeline, case_id)
    assert (out["delivery_state"], out["tries"]) == ("deferred", 1)
    assert out["delivery_detail"] == "451 4.3.0 Try again later"
    [request] = _requests(pipeline, case_id)
    assert (request["status"], request["sent_at"]) == ("open", None)

    assert pipeline.tick_at(timedelta(minutes=4)) == NOTHING  # backoff not over
    assert pipeline.tick_at(timedelta(minutes=1)) == TickResult(resent=1)
    assert pipeline.tick() == NOTHING
    assert pipeline.tick_at(timedelta(minutes=10)) == NOTHING

    assert len(sender.sent) == 2
    assert sender.sent[0].message_id == sender.sent[1].message_id  # the same e-mail
    out = _out_message(pipeline, case_id)
    assert (out["delivery_state"], out["tries"]) == ("sent", 1)
    [request] = _requests(pipeline, case_id)
    assert request["sent_at"] == T0 + timedelta(minutes=5)
    assert _actions(pipeline, case_id).count("followup_sent") == 1
    assert _triage(pipeline) == []


def test_a_message_deferred_past_its_attempts_fails_with_a_triage_item(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    sender.answer_next(SendStatus.RETRY, SendStatus.RETRY, SendStatus.RETRY)
    case_id = _email_report(pipeline)
    assert pipeline.tick_at(timedelta(minutes=5)) == TickResult(resent=1)
    assert pipeline.tick_at(timedelta(minutes=5)) == TickResult(resent=1)
    assert pipeline.tick_at(timedelta(minutes=5)) == TickResult(failed=1)
    for delta in (timedelta(minutes=5), 7 * DAY, 30 * DAY):
        assert pipeline.tick_at(delta) == NOTHING

    assert len(sender.sent) == 3
    out = _out_message(pipeline, case_id)
    assert (out["delivery_state"], out["tries"]) == ("failed", 3)
    assert out["delivery_detail"] == "gave up after 3 attempts"
    assert _triage(pipeline) == [("followup_delivery_failed", case_id)]
    [item] = rows(pipeline.store, triage_items)
    assert item["reason"] == (
        "the EMAIL follow-up could not be sent after 3 attempts: 451 4.3.0 Try again later"
    )
    assert "followup_sent" not in _actions(pipeline, case_id)
    assert _actions(pipeline, case_id)[-1] == "followup_delivery_failed"


# -- 8. ambiguous SMS reply -------------------------------------------------------------------
def test_an_sms_reply_naming_neither_of_two_open_requests_goes_to_triage(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    # two reports in quick succession: both are cases before either is followed up
    first = pipeline.receive_sms(REPORTER_PHONE, SMS_REPORT)
    second = pipeline.receive_sms(REPORTER_PHONE, SMS_SECOND_REPORT)
    pipeline.pump()
    case_ids = [_case_from(pipeline, a.inbound_id)["id"] for a in (first, second)]
    requests = _requests(pipeline)
    assert sorted(r["case_id"] for r in requests) == sorted(case_ids)
    assert {(r["status"], r["channel"], r["recipient"]) for r in requests} == {
        ("open", "SMS", REPORTER_PHONE)
    }
    assert [m.recipient for m in sender.sent] == [REPORTER_PHONE, REPORTER_PHONE]
    assert _triage(pipeline) == []

    pipeline.clock.advance(DAY)
    reply = pipeline.receive_sms(REPORTER_PHONE, "She is 38. Recovered now.")
    pipeline.pump()

    assert _triage(pipeline) == [("ambiguous_reply", None)]
    [item] = rows(pipeline.store, triage_items, triage_items.c.kind == "ambiguous_reply")
    assert item["inbound_id"] == reply.inbound_id
    assert sorted(c["case_id"] for c in item["detail"]["candidates"]) == sorted(case_ids)
    assert item["reason"] == "the sender has 2 open requests and the message names none of them"
    for case_id in case_ids:
        assert _versions(pipeline, case_id) == [1]
        assert _thread(pipeline, case_id) == [("out", "request", 1, "sent")]
    assert {r["status"] for r in _requests(pipeline)} == {"open"}
    [stored] = rows(pipeline.store, inbound_messages, inbound_messages.c.id == reply.inbound_id)
    assert (stored["status"], stored["case_id"]) == ("processed", None)
    assert len(rows(pipeline.store, cases)) == 2
    assert pipeline.published_on(Topic.FOLLOWUP_INBOUND) == []


# -- 9. a bounce ------------------------------------------------------------------------------
def test_a_bounce_of_our_followup_email_marks_it_bounced_and_opens_a_triage_item(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    case_id = _email_report(pipeline)
    [ours] = sender.sent
    mail = sender.captured(ours)
    assert mail.mail_from == ours.reply_to
    pipeline.clock.advance(timedelta(minutes=3))
    dsn = delivery_status_notification(mail)
    accepted = pipeline.receive_email(dsn, rcpt_tos=(mail.mail_from,), mail_from="")
    pipeline.pump()

    out = _out_message(pipeline, case_id)
    assert (out["delivery_state"], out["state_at"]) == ("bounced", T0 + timedelta(minutes=3))
    assert _thread(pipeline, case_id) == [
        ("out", "request", 1, "bounced"),
        ("in", "bounce", 1, "received"),
    ]
    assert _versions(pipeline, case_id) == [1]
    assert _triage(pipeline) == [("followup_delivery_failed", case_id)]
    [item] = rows(pipeline.store, triage_items)
    assert item["inbound_id"] == accepted.inbound_id
    assert item["reason"].startswith("the follow-up e-mail bounced (5.1.1): ")
    assert _actions(pipeline, case_id)[-2:] == ["reply_threaded", "followup_bounced"]
    bounced = _audit(pipeline, case_id, "followup_bounced")
    assert bounced["detail"]["applied"] == "bounced"
    assert len(rows(pipeline.store, cases)) == 1
    # the address refuses mail: the request is closed, no reminder goes to it
    [request] = _requests(pipeline, case_id)
    assert request["status"] == "undeliverable"
    assert pipeline.tick_at(7 * DAY) == NOTHING
    assert len(sender.sent) == 1


def test_an_out_of_office_reply_is_kept_in_the_thread_but_does_not_answer_the_request(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    case_id = _email_report(pipeline)
    pipeline.clock.advance(timedelta(minutes=1))
    auto = email.message_from_bytes(_reply(pipeline, "I am out of the office until Monday."))
    auto["Auto-Submitted"] = "auto-replied"
    _receive_reply(pipeline, auto.as_bytes())

    assert _versions(pipeline, case_id) == [1]
    [request] = _requests(pipeline, case_id)
    assert request["status"] == "open"
    assert _thread(pipeline, case_id)[-1] == ("in", "auto_reply", 1, "received")
    assert _triage(pipeline) == []
    assert "followup_auto_reply" in _actions(pipeline, case_id)
    assert pipeline.tick_at(7 * DAY) == TickResult(reminders=1)  # reminders go on


def test_a_refused_reminder_neither_stops_the_schedule_nor_keeps_the_request_open_forever(
    pipeline: FollowUpPipeline, sender: FakeSender
) -> None:
    case_id = _email_report(pipeline)
    sender.answer_next(SendStatus.FAILED)  # the relay refuses reminder 1 for good
    assert pipeline.tick_at(7 * DAY) == TickResult(reminders=1)
    assert _triage(pipeline) == [("followup_delivery_failed", case_id)]

    assert pipeline.tick_at(7 * DAY) == TickResult(reminders=1)  # day 14: reminder 2
    assert pipeline.tick_at(7 * DAY) == TickResult(exhausted=1)  # day 21
    assert pipeline.tick_at(30 * DAY) == NOTHING

    assert len(sender.sent) == 3
    assert _thread(pipeline, case_id) == [
        ("out", "request", 1, "sent"),
        ("out", "reminder", 2, "failed"),
        ("out", "reminder", 3, "sent"),
    ]
    [request] = _requests(pipeline, case_id)
    assert (request["status"], request["reminders_sent"]) == ("exhausted", 1)
    assert _triage(pipeline) == [
        ("followup_delivery_failed", case_id),
        ("followup_exhausted", case_id),
    ]


@pytest.mark.parametrize("status", ["delivered", "undelivered"])
def test_a_status_callback_that_beats_the_senders_record_is_not_lost(
    pipeline: FollowUpPipeline, sender: FakeSender, status: str
) -> None:
    """Twilio may post a status before the sender has stored the message's SID: the stored
    callback is applied once the SID is recorded."""

    async def callback(result: SendResult) -> None:
        assert result.provider_ref is not None
        fields = status_fields(result.provider_ref, status, reporter=REPORTER_PHONE)
        await pipeline.receive_twilio_async(TwilioKind.STATUS, fields)

    sender.on_accepted = callback
    case_id = _sms_report(pipeline)

    out = _out_message(pipeline, case_id)
    assert (out["provider_ref"], out["delivery_state"]) == (sender.results[0].provider_ref, status)
    assert pipeline.tick_at(DAY) == NOTHING
    assert _out_message(pipeline, case_id)["delivery_state"] == status
