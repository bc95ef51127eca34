"""Follow-up SMS and WhatsApp through the official twilio client, against a local Twilio API."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from pydantic import SecretStr

from channels.followup_out import (
    FollowUpChannel,
    OutgoingMessage,
    SendStatus,
    Transport,
    TwilioAccount,
    TwilioSender,
)
from channels.followup_out.twilio import BaseUrlHttpClient
from tests.support.smtp_relay import free_port
from tests.support.twilio_api import (
    INVALID_TO,
    SERVICE_UNAVAILABLE,
    TOO_MANY_REQUESTS,
    FakeTwilioApi,
    TwilioError,
)

Build = Callable[..., OutgoingMessage]

SMS_FROM = "+15005550006"
WHATSAPP_FROM = "+14155238886"
TEMPLATE = "HX" + "a" * 32
CALLBACK = "https://gateway.pharma.example/webhooks/twilio/status"


def _sender(api: FakeTwilioApi, token: str | None = None, **options: object) -> TwilioSender:
    account = TwilioAccount(
        account_sid=api.account_sid,
        auth_token=SecretStr(token or api.auth_token),
        api_base_url=api.base_url,
        timeout_s=5,
    )
    settings: dict[str, object] = {
        "sms_from": SMS_FROM,
        "whatsapp_from": WHATSAPP_FROM,
        "whatsapp_content_sid": TEMPLATE,
        "status_callback_url": CALLBACK,
        "backoff_s": 0,
    }
    settings.update(options)
    return TwilioSender(account, **settings)  # type: ignore[arg-type]


async def test_sms_follow_up_is_created_through_the_api_and_its_sid_returned(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    result = await _sender(twilio_api).send(phone_follow_up(FollowUpChannel.SMS))

    assert (result.status, result.transport) == (SendStatus.ACCEPTED, Transport.TWILIO)
    [sent] = twilio_api.sent
    assert result.provider_ref == sent.sid
    assert sent.sid.startswith("SM")
    assert len(sent.sid) == 34
    assert sent.form == {
        "To": "+4915112345678",
        "From": SMS_FROM,
        "Body": "CASE-2026-000043: when did the rash start? Reply to this message.",
        "StatusCallback": CALLBACK,
    }


async def test_whatsapp_inside_the_24_hour_window_sends_free_text_between_whatsapp_addresses(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    msg = phone_follow_up(FollowUpChannel.WHATSAPP, recipient="whatsapp:+4915112345678")

    result = await _sender(twilio_api).send(msg)

    assert result.status is SendStatus.ACCEPTED
    sent = twilio_api.message(str(result.provider_ref))
    assert (sent.form["To"], sent.form["From"]) == (
        "whatsapp:+4915112345678",
        "whatsapp:+14155238886",
    )
    assert sent.form["Body"] == msg.body
    assert "ContentSid" not in sent.form


async def test_whatsapp_recipient_without_prefix_is_addressed_on_whatsapp(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    await _sender(twilio_api).send(phone_follow_up(FollowUpChannel.WHATSAPP))

    assert twilio_api.sent[0].form["To"] == "whatsapp:+4915112345678"


async def test_whatsapp_outside_the_window_sends_the_approved_template_instead_of_text(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    msg = phone_follow_up(
        FollowUpChannel.WHATSAPP,
        in_window=False,
        template_variables={"1": "CASE-2026-000043", "2": "Müller"},
    )

    result = await _sender(twilio_api).send(msg)

    assert result.status is SendStatus.ACCEPTED
    form = twilio_api.sent[0].form
    assert form["ContentSid"] == TEMPLATE
    assert json.loads(form["ContentVariables"]) == {"1": "CASE-2026-000043", "2": "Müller"}
    assert "Body" not in form


async def test_a_template_named_by_the_message_wins_over_the_configured_one(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    own = "HX" + "b" * 32
    msg = phone_follow_up(FollowUpChannel.WHATSAPP, in_window=False, template_sid=own)

    await _sender(twilio_api).send(msg)

    assert twilio_api.sent[0].form["ContentSid"] == own
    assert "ContentVariables" not in twilio_api.sent[0].form


async def test_outside_the_window_without_a_template_nothing_is_sent_and_it_is_retry(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    msg = phone_follow_up(FollowUpChannel.WHATSAPP, in_window=False)

    result = await _sender(twilio_api, whatsapp_content_sid=None).send(msg)

    assert result.status is SendStatus.RETRY
    assert "ICSR_FOLLOWUP_WHATSAPP_CONTENT_SID" in result.detail
    assert twilio_api.requests == 0


async def test_an_invalid_number_is_failed_with_twilios_code_and_message(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    twilio_api.fail_next(INVALID_TO)

    result = await _sender(twilio_api).send(phone_follow_up(FollowUpChannel.SMS))

    assert (result.status, result.attempts) == (SendStatus.FAILED, 1)
    assert result.detail == "twilio 21211: The 'To' number is not a valid phone number."
    assert result.provider_ref is None


async def test_a_number_the_api_itself_rejects_is_failed(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    result = await _sender(twilio_api).send(phone_follow_up(FollowUpChannel.SMS, recipient="0151"))

    assert result.status is SendStatus.FAILED
    assert result.detail.startswith("twilio 21211:")


@pytest.mark.parametrize("error", [SERVICE_UNAVAILABLE, TOO_MANY_REQUESTS])
async def test_a_server_error_or_rate_limit_is_retried_and_then_accepted(
    twilio_api: FakeTwilioApi, phone_follow_up: Build, error: TwilioError
) -> None:
    twilio_api.fail_next(error)

    result = await _sender(twilio_api).send(phone_follow_up(FollowUpChannel.SMS))

    assert (result.status, result.attempts) == (SendStatus.ACCEPTED, 2)
    assert len(twilio_api.sent) == 1


async def test_server_errors_beyond_the_attempts_are_handed_back_for_retry(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    twilio_api.fail_next(SERVICE_UNAVAILABLE, times=5)

    result = await _sender(twilio_api, attempts=3).send(phone_follow_up(FollowUpChannel.SMS))

    assert (result.status, result.attempts) == (SendStatus.RETRY, 3)
    assert result.detail == "twilio 20503: Service Unavailable"
    assert twilio_api.requests == 3


async def test_wrong_credentials_are_retry_without_local_attempts_not_a_failed_delivery(
    twilio_api: FakeTwilioApi, phone_follow_up: Build
) -> None:
    result = await _sender(twilio_api, token="not-the-token").send(
        phone_follow_up(FollowUpChannel.SMS)
    )

    assert (result.status, result.attempts) == (SendStatus.RETRY, 1)
    assert result.detail == "twilio 20003: Authenticate"


async def test_an_unreachable_api_is_retry(phone_follow_up: Build) -> None:
    account = TwilioAccount(
        account_sid="AC" + "0" * 32,
        auth_token=SecretStr("t"),
        api_base_url=f"http://127.0.0.1:{free_port()}",
        timeout_s=2,
    )
    sender = TwilioSender(account, sms_from=SMS_FROM, attempts=2, backoff_s=0)

    result = await sender.send(phone_follow_up(FollowUpChannel.SMS))

    assert (result.status, result.attempts) == (SendStatus.RETRY, 2)
    assert "ClientConnectorError" in result.detail


def test_requests_go_to_the_configured_base_url_keeping_the_api_path() -> None:
    client = BaseUrlHttpClient("http://127.0.0.1:8999/twilio-proxy/")

    rewritten = client.rewrite(
        "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=1"
    )

    assert (
        rewritten
        == "http://127.0.0.1:8999/twilio-proxy/2010-04-01/Accounts/AC1/Messages.json?PageSize=1"
    )


def test_a_base_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        BaseUrlHttpClient("api.twilio.com")
