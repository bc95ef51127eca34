"""Bounces of our follow-up e-mails: which message, which recipient, why."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from channels.followup_out import OutgoingMessage, SendStatus, SmtpRelay, SmtpSender
from channels.parsing.bounce import Bounce, parse_bounce
from tests.support.smtp_relay import CapturingRelay, delivery_status_notification

BOUNCES = Path(__file__).parent / "bounces"


def _bounce(name: str) -> Bounce:
    bounce = parse_bounce((BOUNCES / name).read_bytes())
    assert bounce is not None, f"{name} was not recognised as a bounce"
    return bounce


def test_postfix_user_unknown_names_our_message_the_recipient_and_the_5_1_1_reply() -> None:
    bounce = _bounce("postfix_user_unknown.eml")

    assert bounce.original_message_id == "<fu.k3j9x2ab.t5y8a1@pharma.example>"
    assert bounce.recipient == "dr.meyer@praxis-meyer.example"
    assert (bounce.status, bounce.action, bounce.standard) == ("5.1.1", "failed", True)
    assert bounce.diagnostic == (
        "550 5.1.1 <dr.meyer@praxis-meyer.example>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    assert bounce.permanent


def test_exchange_online_ndr_is_read_from_its_rfc822_headers_part() -> None:
    raw = (BOUNCES / "exchange_online_recipient_not_found.eml").read_bytes()
    # without its own threading headers, so the id must come from the headers part
    bounce = parse_bounce(re.sub(rb"(?m)^(References|In-Reply-To): .*\n", b"", raw))

    assert bounce is not None
    assert bounce.original_message_id == "<fu.mq2z7d4e.t5yb02@pharma.example>"
    assert bounce.recipient == "a.schmidt@hospital-nord.example"
    assert bounce.status == "5.1.10"
    assert bounce.diagnostic.startswith("550 5.1.10 RESOLVER.ADR.RecipientNotFound;")
    assert bounce.permanent


def test_gmail_disabled_account_bounce_keeps_googles_multiline_reply() -> None:
    bounce = _bounce("gmail_account_disabled.eml")

    assert bounce.original_message_id == "<fu.c7n4v2xq.t5ycqm@pharma.example>"
    assert bounce.recipient == "pharmacist.jones@gmail.com"
    assert bounce.status == "5.2.1"
    assert bounce.diagnostic.startswith("550-5.2.1 The email account that you tried to reach is")
    assert bounce.diagnostic.endswith("- gsmtp")


def test_gmails_x_original_message_id_is_used_when_the_original_is_not_attached() -> None:
    raw = (BOUNCES / "gmail_account_disabled.eml").read_bytes()
    without_original = raw.split(b"--000000000000a1b2c3061393f0e5\nContent-Type: message/rfc822")[0]
    # and without the bounce's own threading headers, so only the DSN field is left
    without_original = re.sub(rb"(?m)^(References|In-Reply-To): .*\n", b"", without_original)

    bounce = parse_bounce(without_original + b"--000000000000a1b2c3061393f0e5--\n")

    assert bounce is not None
    assert bounce.original_message_id == "<fu.c7n4v2xq.t5ycqm@pharma.example>"


def test_a_delay_warning_is_recognised_but_is_not_a_failed_delivery() -> None:
    bounce = _bounce("postfix_delayed.eml")

    assert (bounce.action, bounce.status) == ("delayed", "4.4.1")
    assert bounce.original_message_id == "<fu.k3j9x2ab.t5y8a1@pharma.example>"
    assert bounce.diagnostic.startswith("connect to mx01.praxis-meyer.example")
    assert not bounce.permanent


def test_a_qmail_failure_notice_is_read_from_its_text() -> None:
    bounce = _bounce("qmail_failure_notice.eml")

    assert bounce.original_message_id == "<fu.p2l5k8j3.t5yevx@pharma.example>"
    assert bounce.recipient == "inhaber@apotheke-am-markt.example"
    assert bounce.status == "5.1.1"
    assert bounce.diagnostic == "Sorry, no mailbox here by that name. (#5.1.1)"
    assert (bounce.standard, bounce.permanent) == (False, True)


def test_an_exim_plain_text_bounce_uses_x_failed_recipients_and_the_quoted_reply() -> None:
    bounce = _bounce("exim_mail_delivery_failed.eml")

    assert bounce.original_message_id == "<fu.x8w6v4u2.t5yi01@pharma.example>"
    assert bounce.recipient == "praxis@landarzt-sued.example"
    assert bounce.status == "5.2.2"
    assert bounce.diagnostic == "552 5.2.2 Mailbox full, quota exceeded"


@pytest.mark.parametrize(
    "name", ["reporter_reply_mentioning_undeliverable.eml", "read_receipt.eml"]
)
def test_replies_and_read_receipts_are_not_bounces(name: str) -> None:
    assert parse_bounce((BOUNCES / name).read_bytes()) is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\xff\xfe\x00garbage",
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n--x\n",
        b"From: MAILER-DAEMON@x\nSubject: Undeliverable\n"
        b"Content-Type: text/plain; charset=nope\n\n\xff",
    ],
)
def test_malformed_input_never_raises(raw: bytes) -> None:
    result = parse_bounce(raw)

    assert result is None or isinstance(result, Bounce)


async def test_a_bounce_of_a_sent_follow_up_leads_back_to_its_message_id(
    relay: CapturingRelay, email_follow_up: Callable[..., OutgoingMessage]
) -> None:
    msg = email_follow_up()
    sender = SmtpSender(
        SmtpRelay(relay.host, relay.port, security="none", timeout_s=5),
        "safety@pharma.example",
        backoff_s=0,
    )
    assert (await sender.send(msg)).status is SendStatus.ACCEPTED
    [mail] = relay.wait_for(1)

    bounce = parse_bounce(delivery_status_notification(mail))

    assert bounce is not None
    assert bounce.original_message_id == msg.message_id
    assert bounce.recipient == msg.recipient
    assert bounce.status == "5.1.1"
    assert bounce.permanent
