"""Follow-up end to end: a running gateway asks reporters for missing data and turns their
replies into new case versions.

Real servers on every side: the gateway process (embedded broker, SQLite, its own SMTP
listener and HTTP webhooks), an aiosmtpd relay capturing the follow-up e-mails it sends, and
a local HTTP server speaking the Twilio Messages API for SMS and WhatsApp. Replies are sent
as reporters' clients would send them (Gmail and Outlook quoting, Twilio-signed webhooks).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import select

from gateway.domain.codes import ReactionOutcome
from gateway.kafka.embedded import EmbeddedBroker
from gateway.store.tables import case_versions, cases, followup_messages, followup_requests
from tests.e2e.intake_support import (
    CATALOGUE,
    MEDDRA,
    PUBLIC_BASE_URL,
    SAFETY_ADDRESS,
    TWILIO_TOKEN,
    RunningGateway,
    eventually,
    mail,
    running_gateway,
)
from tests.support.smtp_relay import CapturedMail, CapturingRelay
from tests.support.twilio_api import (
    FakeTwilioApi,
    SentMessage,
    inbound_message_fields,
    status_callback_fields,
)

pytestmark = pytest.mark.e2e

SMS_NUMBER = "+15005550006"
WHATSAPP_NUMBER = "+15005550007"

# Valid (reporter, patient initials, product, reaction) but no age and no outcome.
REPORT_MISSING_AGE_AND_OUTCOME = (
    "Hello,\n\nI am a pharmacist. My customer, initials M.K., a woman, developed a rash on "
    "her arms after starting Zentravia 500 mg last week.\n\nKind regards,\nPaula Ortiz"
)


@pytest.fixture(scope="module")
def relay() -> Iterator[CapturingRelay]:
    with CapturingRelay() as r:
        yield r


@pytest.fixture(scope="module")
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi(auth_token=TWILIO_TOKEN) as api:
        yield api


@pytest.fixture(scope="module")
def gw(
    embedded_broker: EmbeddedBroker,
    tmp_path_factory: pytest.TempPathFactory,
    relay: CapturingRelay,
    twilio_api: FakeTwilioApi,
) -> Iterator[RunningGateway]:
    data_dir = tmp_path_factory.mktemp("followup-e2e") / "gw"
    env = {
        "ICSR_CATALOGUE_FILE": str(CATALOGUE),
        "ICSR_MEDDRA_DIR": str(MEDDRA),
        "ICSR_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "ICSR_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "ICSR_FOLLOWUP_FROM_ADDRESS": f"Drug Safety <{SAFETY_ADDRESS}>",
        "ICSR_FOLLOWUP_REPLY_ADDRESS": SAFETY_ADDRESS,
        "ICSR_FOLLOWUP_SMTP_HOST": relay.host,
        "ICSR_FOLLOWUP_SMTP_PORT": str(relay.port),
        "ICSR_FOLLOWUP_SMTP_SECURITY": "none",
        "ICSR_FOLLOWUP_TWILIO_ACCOUNT_SID": twilio_api.account_sid,
        "ICSR_FOLLOWUP_TWILIO_API_BASE_URL": twilio_api.base_url,
        "ICSR_FOLLOWUP_SMS_FROM": SMS_NUMBER,
        "ICSR_FOLLOWUP_WHATSAPP_FROM": WHATSAPP_NUMBER,
    }
    with running_gateway(embedded_broker.bootstrap, data_dir, env) as gw:
        yield gw


# -- reading the store --------------------------------------------------------------------------


def _case_of(gw: RunningGateway, inbound_id: str) -> dict[str, Any]:
    def probe() -> dict[str, Any] | None:
        found = gw.cases_from(inbound_id)
        return found[0] if found else None

    return eventually(probe, f"a case from {inbound_id}", 30, gw.process.log)


def _case(gw: RunningGateway, case_id: str) -> dict[str, Any]:
    with gw.store.engine.connect() as conn:
        return dict(conn.execute(select(cases).where(cases.c.id == case_id)).one()._mapping)


def _version(gw: RunningGateway, case_id: str, number: int) -> dict[str, Any] | None:
    with gw.store.engine.connect() as conn:
        row = conn.execute(
            select(case_versions).where(
                case_versions.c.case_id == case_id, case_versions.c.number == number
            )
        ).first()
    return dict(row._mapping) if row is not None else None


def _wait_version(gw: RunningGateway, case_id: str, number: int) -> dict[str, Any]:
    return eventually(
        lambda: _version(gw, case_id, number),
        f"version {number} of {case_id}",
        30,
        gw.process.log,
    )


def _requests(gw: RunningGateway, case_id: str) -> list[dict[str, Any]]:
    with gw.store.engine.connect() as conn:
        rows = conn.execute(
            select(followup_requests).where(followup_requests.c.case_id == case_id)
        ).all()
    return [dict(r._mapping) for r in rows]


def _thread(gw: RunningGateway, case_id: str) -> list[dict[str, Any]]:
    with gw.store.engine.connect() as conn:
        rows = conn.execute(
            select(followup_messages)
            .where(followup_messages.c.case_id == case_id)
            .order_by(followup_messages.c.created_at)
        ).all()
    return [dict(r._mapping) for r in rows]


def _mail_to(relay: CapturingRelay, recipient: str) -> CapturedMail:
    def probe() -> CapturedMail | None:
        for m in relay.messages:
            if recipient in m.rcpt_tos:
                return m
        return None

    return eventually(probe, f"a follow-up e-mail to {recipient}", 30)


def _sms_to(api: FakeTwilioApi, recipient: str) -> SentMessage:
    def probe() -> SentMessage | None:
        for m in api.sent:
            if m.to == recipient:
                return m
        return None

    return eventually(probe, f"a Twilio message to {recipient}", 30)


def _reply(ours: EmailMessage, *, sender: str, body: str, in_reply_to: bool = True) -> bytes:
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = ours["Reply-To"]
    reply["Subject"] = "Re: " + str(ours["Subject"])
    reply["Message-ID"] = f"<{uuid.uuid4().hex}@mail.example>"
    reply["Date"] = format_datetime(datetime.now(UTC))
    if in_reply_to:
        reply["In-Reply-To"] = ours["Message-ID"]
        reply["References"] = ours["Message-ID"]
    reply.set_content(body)
    return reply.as_bytes(policy=reply.policy.clone(linesep="\r\n"))


def _quoted(ours: EmailMessage) -> str:
    text = ours.get_body(preferencelist=("plain",))
    assert text is not None
    return str(text.get_content())


# -- e-mail -------------------------------------------------------------------------------------


def _email_report(
    gw: RunningGateway, relay: CapturingRelay, reporter: str
) -> tuple[str, EmailMessage]:
    inbound_id = gw.send_mail(
        mail(REPORT_MISSING_AGE_AND_OUTCOME, sender=f"Paula Ortiz <{reporter}>"), sender=reporter
    )
    case = _case_of(gw, inbound_id)
    assert case["valid"] is True
    sent = _mail_to(relay, reporter).message
    return case["id"], sent


def test_followup_email_carries_our_message_id_reply_token_and_subject_tag(
    gw: RunningGateway, relay: CapturingRelay
) -> None:
    case_id, sent = _email_report(gw, relay, "paula.tag@pharmacy.example")

    [request] = _requests(gw, case_id)
    assert str(sent["Message-ID"]).startswith("<fu.")
    assert str(sent["Reply-To"]) == f"safety+{request['token']}@localhost"
    assert request["subject_tag"] in str(sent["Subject"])
    [out] = _thread(gw, case_id)
    assert out["direction"] == "out"
    assert out["message_ref"] == str(sent["Message-ID"])
    assert out["delivery_state"] == "sent"
    assert "patient_age" in request["questions"]
    assert "outcome" in request["questions"]


def test_gmail_style_reply_gives_version_2_with_age_and_outcome_and_no_quoted_history(
    gw: RunningGateway, relay: CapturingRelay
) -> None:
    case_id, sent = _email_report(gw, relay, "paula.gmail@pharmacy.example")
    quoted = "\n".join("> " + line for line in _quoted(sent).splitlines())
    body = (
        "She is 52 years old and she has fully recovered now.\n\n"
        f"On Mon, 23 Nov 2026 at 09:12, Drug Safety <{SAFETY_ADDRESS}> wrote:\n"
        f"{quoted}\n> Our earlier note: the patient died in hospital.\n"
    )
    gw.send_mail(
        _reply(sent, sender="paula.gmail@pharmacy.example", body=body),
        sender="paula.gmail@pharmacy.example",
    )

    v2 = _wait_version(gw, case_id, 2)
    icsr = v2["icsr"]
    assert icsr["patient"]["age_at_onset"]["value"] in (52, "52")
    assert {r["outcome"] for r in icsr["reactions"]} == {ReactionOutcome.RECOVERED.value}
    narrative = str(icsr)
    assert "died" not in narrative  # the quoted history never reaches the case
    assert v2["source_ref"] is not None
    assert _case(gw, case_id)["current_version"] == 2
    [request] = _requests(gw, case_id)
    assert request["status"] == "answered"
    assert [m["direction"] for m in _thread(gw, case_id)] == ["out", "in"]


def test_outlook_style_reply_gives_version_2_with_age_and_outcome(
    gw: RunningGateway, relay: CapturingRelay
) -> None:
    case_id, sent = _email_report(gw, relay, "paula.outlook@pharmacy.example")
    body = (
        "Hello, answers below:\n1. 61 years\n2. Recovered\n\n"
        "-----Original Message-----\n"
        f"From: Drug Safety <{SAFETY_ADDRESS}>\n"
        "Sent: Monday, November 23, 2026 9:12 AM\n"
        "To: Paula Ortiz <paula.outlook@pharmacy.example>\n"
        f"Subject: {sent['Subject']}\n\n"
        + _quoted(sent)
        + "\nThe patient was hospitalised and died.\n"
    )
    gw.send_mail(
        _reply(sent, sender="paula.outlook@pharmacy.example", body=body, in_reply_to=False),
        sender="paula.outlook@pharmacy.example",
    )

    v2 = _wait_version(gw, case_id, 2)
    icsr = v2["icsr"]
    assert icsr["patient"]["age_at_onset"]["value"] in (61, "61")
    assert "died" not in str(icsr)
    assert "hospitalised" not in str(icsr)
    assert _case(gw, case_id)["serious"] is False  # quoted words changed nothing


def test_reply_reporting_hospitalisation_makes_the_case_serious_with_a_new_day_zero(
    gw: RunningGateway, relay: CapturingRelay
) -> None:
    case_id, sent = _email_report(gw, relay, "paula.serious@pharmacy.example")
    before = _case(gw, case_id)
    assert before["serious"] is False
    gw.send_mail(
        _reply(
            sent,
            sender="paula.serious@pharmacy.example",
            body="Update: yesterday she was admitted to hospital because the rash got worse.",
        ),
        sender="paula.serious@pharmacy.example",
    )

    v2 = _wait_version(gw, case_id, 2)
    after = _case(gw, case_id)
    assert after["serious"] is True
    assert after["day_zero"] > before["day_zero"]
    assert "significant" in v2["reason"]


# -- SMS and WhatsApp ---------------------------------------------------------------------------


def _sms_report(gw: RunningGateway, sender: str, to: str, body: str) -> str:
    fields = inbound_message_fields(TWILIO_ACCOUNT, sender=sender, to=to, body=body)
    path = "/webhooks/twilio/whatsapp" if sender.startswith("whatsapp:") else "/webhooks/twilio/sms"
    response = gw.post_twilio(path, fields)
    assert response.status_code == 200, response.text
    found = eventually(lambda: gw.inbound(source_id=fields["MessageSid"]), "the message stored", 10)
    return str(found[0]["id"])


TWILIO_ACCOUNT = "AC" + "0" * 31 + "1"

SMS_REPORT = (
    "Hi, I'm a nurse. Patient A.B., female, got a rash after Zentravia 500 mg. "
    "Call me if you need more."
)


def test_sms_conversation_followup_and_reply_give_version_2(
    gw: RunningGateway, twilio_api: FakeTwilioApi
) -> None:
    reporter = "+34600111222"
    case_id = _case_of(gw, _sms_report(gw, reporter, SMS_NUMBER, SMS_REPORT))["id"]
    ours = _sms_to(twilio_api, reporter)
    assert ours.form["From"] == SMS_NUMBER

    # delivered, then a late "sent": the state never goes back
    for status in ("delivered", "sent"):
        fields = status_callback_fields(ours, status)
        assert gw.post_twilio("/webhooks/twilio/status", fields).status_code == 200

    def delivered() -> bool:
        return any(m["delivery_state"] == "delivered" for m in _thread(gw, case_id))

    eventually(delivered, "the delivered status applied", 10)
    fields = inbound_message_fields(
        TWILIO_ACCOUNT, sender=reporter, to=SMS_NUMBER, body="She is 38. Recovered now."
    )
    assert gw.post_twilio("/webhooks/twilio/sms", fields).status_code == 200

    v2 = _wait_version(gw, case_id, 2)
    assert v2["icsr"]["patient"]["age_at_onset"]["value"] in (38, "38")
    states = {m["direction"]: m["delivery_state"] for m in _thread(gw, case_id)}
    assert states["out"] == "delivered"


def test_whatsapp_reply_quoting_our_message_gives_version_2(
    gw: RunningGateway, twilio_api: FakeTwilioApi
) -> None:
    reporter = "whatsapp:+34600333444"
    case_id = _case_of(gw, _sms_report(gw, reporter, f"whatsapp:{WHATSAPP_NUMBER}", SMS_REPORT))[
        "id"
    ]
    ours = _sms_to(twilio_api, reporter)
    assert "Body" in ours.form  # inside the 24-hour window: free text, not a template

    fields = inbound_message_fields(
        TWILIO_ACCOUNT,
        sender=reporter,
        to=f"whatsapp:{WHATSAPP_NUMBER}",
        body="44 years old, and she recovered",
        replied_to_sid=ours.sid,
    )
    assert gw.post_twilio("/webhooks/twilio/whatsapp", fields).status_code == 200

    v2 = _wait_version(gw, case_id, 2)
    assert v2["icsr"]["patient"]["age_at_onset"]["value"] in (44, "44")
    [reply] = [m for m in _thread(gw, case_id) if m["direction"] == "in"]
    assert reply["body"].startswith("44 years old")
