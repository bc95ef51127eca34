"""Follow-up e-mails through a real SMTP relay (aiosmtpd on loopback)."""

from __future__ import annotations

from collections.abc import Callable

from pydantic import SecretStr

from channels.followup_out import (
    OutgoingMessage,
    SendStatus,
    SmtpRelay,
    SmtpSender,
    Transport,
)
from tests.support.smtp_relay import CapturingRelay, free_port

Build = Callable[..., OutgoingMessage]

FROM = "Drug Safety <safety@pharma.example>"


def _sender(relay: CapturingRelay, attempts: int = 3, **relay_fields: object) -> SmtpSender:
    smtp = SmtpRelay(
        host=relay.host,
        port=relay.port,
        security="none",
        timeout_s=5,
        **relay_fields,  # type: ignore[arg-type]
    )
    return SmtpSender(smtp, FROM, attempts=attempts, backoff_s=0)


async def test_follow_up_email_reaches_the_relay_with_our_message_id_reply_to_and_subject(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    msg = email_follow_up()

    result = await _sender(relay).send(msg)

    assert (result.status, result.provider_ref, result.transport) == (
        SendStatus.ACCEPTED,
        msg.message_id,
        Transport.SMTP,
    )
    [mail] = relay.wait_for(1)
    sent = mail.message
    assert sent["Message-ID"] == "<fu.k3j9x2ab.t5y8a1@pharma.example>"
    assert sent["Reply-To"] == "safety+q7w3e9r2t1@pharma.example"
    assert sent["Subject"] == "[ICSR CASE-2026-000042] Follow-up: start date of Amoxicillin"
    assert sent["From"] == FROM
    assert mail.rcpt_tos == ("dr.meyer@praxis-meyer.example",)
    assert "when did the patient start taking Amoxicillin?" in sent.get_content()


async def test_bounces_go_to_the_reply_plus_address_because_it_is_the_envelope_sender(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    await _sender(relay).send(email_follow_up())

    assert relay.wait_for(1)[0].mail_from == "safety+q7w3e9r2t1@pharma.example"


async def test_auto_responders_are_silenced_but_delivery_reports_are_not(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    """Vacation notices must not be threaded as answers; bounces must still come back."""
    await _sender(relay).send(email_follow_up())

    sent = relay.wait_for(1)[0].message
    assert sent["Auto-Submitted"] == "auto-generated"
    suppressed = {part.strip() for part in str(sent["X-Auto-Response-Suppress"]).split(",")}
    assert suppressed == {"OOF", "AutoReply"}
    assert not suppressed & {"DR", "NDR", "All"}


async def test_non_ascii_subject_and_body_arrive_intact_as_utf8(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    msg = email_follow_up(
        subject="[ICSR CASE-2026-000042] Rückfrage: Ausschlag nach Ibuprofen",
        body="Sehr geehrte Frau Müller,\n\n"
        "wann begann der Ausschlag? Grüße — Arzneimittelsicherheit\n",
        language="de",
    )

    await _sender(relay).send(msg)

    sent = relay.wait_for(1)[0].message
    assert sent["Subject"] == "[ICSR CASE-2026-000042] Rückfrage: Ausschlag nach Ibuprofen"
    assert sent.get_content_charset() == "utf-8"
    assert "wann begann der Ausschlag? Grüße — Arzneimittelsicherheit" in sent.get_content()
    assert sent["Content-Language"] == "de"


async def test_a_subject_with_line_breaks_is_sent_as_one_line(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    await _sender(relay).send(email_follow_up(subject="Follow-up\r\nBcc: someone@evil.example"))

    sent = relay.wait_for(1)[0].message
    assert sent["Subject"] == "Follow-up Bcc: someone@evil.example"
    assert sent["Bcc"] is None


async def test_the_follow_up_is_threaded_under_the_reporters_original_mail(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    await _sender(relay).send(email_follow_up(in_reply_to="<CAF=report-1@mail.gmail.com>"))

    sent = relay.wait_for(1)[0].message
    assert sent["In-Reply-To"] == "<CAF=report-1@mail.gmail.com>"
    assert sent["References"] == "<CAF=report-1@mail.gmail.com>"


async def test_recipient_refused_with_550_is_failed_with_the_relay_reply_as_detail(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    relay.refuse(
        "dr.meyer@praxis-meyer.example", "550 5.1.1 <dr.meyer@praxis-meyer.example>: User unknown"
    )

    result = await _sender(relay).send(email_follow_up())

    assert result.status is SendStatus.FAILED
    assert result.detail == "550 5.1.1 <dr.meyer@praxis-meyer.example>: User unknown"
    assert result.attempts == 1
    assert relay.messages == []


async def test_a_transient_451_is_retried_and_the_second_attempt_is_accepted(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    relay.refuse_next(1, "451 4.7.1 Greylisted, please try again")

    result = await _sender(relay).send(email_follow_up())

    assert (result.status, result.attempts) == (SendStatus.ACCEPTED, 2)
    assert len(relay.wait_for(1)) == 1


async def test_transient_refusals_beyond_the_attempts_are_handed_back_for_retry(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    relay.refuse_next(5, "452 4.2.2 Mailbox full")

    result = await _sender(relay, attempts=3).send(email_follow_up())

    assert (result.status, result.attempts) == (SendStatus.RETRY, 3)
    assert result.detail == "452 4.2.2 Mailbox full"
    assert relay.messages == []


async def test_a_message_refused_at_data_with_554_is_failed(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    relay.refuse_next_data("554 5.7.1 Message rejected as spam")

    result = await _sender(relay).send(email_follow_up())

    assert result.status is SendStatus.FAILED
    assert result.detail == "554 5.7.1 Message rejected as spam"


async def test_an_unreachable_relay_is_retry_after_every_attempt_failed(
    email_follow_up: Build,
) -> None:
    closed = SmtpRelay(host="127.0.0.1", port=free_port(), security="none", timeout_s=2)

    result = await SmtpSender(closed, FROM, attempts=2, backoff_s=0).send(email_follow_up())

    assert (result.status, result.attempts) == (SendStatus.RETRY, 2)
    assert result.detail


async def test_backoff_doubles_between_attempts(
    relay: CapturingRelay, email_follow_up: Build
) -> None:
    relay.refuse_next(3, "421 4.3.2 Service shutting down")
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    smtp = SmtpRelay(host=relay.host, port=relay.port, security="none", timeout_s=5)
    sender = SmtpSender(smtp, FROM, attempts=4, backoff_s=0.25, sleep=record)
    result = await sender.send(email_follow_up())

    assert result.status is SendStatus.ACCEPTED
    assert waits == [0.25, 0.5, 1.0]


async def test_the_relay_login_is_used_when_configured(email_follow_up: Build) -> None:
    with CapturingRelay(login=("gateway", "s3cret")) as relay:
        result = await _sender(relay, username="gateway", password=SecretStr("s3cret")).send(
            email_follow_up()
        )

        assert result.status is SendStatus.ACCEPTED
        assert relay.logins == ["gateway"]
        assert len(relay.wait_for(1)) == 1


async def test_a_refused_login_is_retry_not_failed_because_the_reporter_is_not_at_fault(
    email_follow_up: Build,
) -> None:
    with CapturingRelay(login=("gateway", "s3cret")) as relay:
        result = await _sender(
            relay, attempts=3, username="gateway", password=SecretStr("wrong")
        ).send(email_follow_up())

    assert (result.status, result.attempts) == (SendStatus.RETRY, 1)
    assert result.detail.startswith("relay refused the login: 535")
