"""Settings → which sender each channel gets; ids and reply addresses of our messages."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from channels.followup_out import (
    FolderSender,
    FollowUpChannel,
    FollowUpTransport,
    OutgoingMessage,
    SmtpSender,
    Transport,
    TwilioSender,
    new_message_id,
    new_reply_token,
    reply_to_address,
    reply_token_of,
    select_sender,
)
from gateway.errors import ConfigurationError
from gateway.settings import Settings, load_settings

ACCOUNT = "AC" + "1" * 32


def _settings(tmp_path: Path, **overrides: Any) -> Settings:
    fields: dict[str, Any] = {
        "data_dir": tmp_path,
        "smtp_recipients": ["safety@pharma.example"],
        "followup_from_address": "Drug Safety <safety@pharma.example>",
        "followup_reply_address": "safety@pharma.example",
    }
    fields.update(overrides)
    return Settings(**fields)


def test_with_nothing_configured_every_channel_goes_to_the_data_dir_outbox(
    tmp_path: Path,
) -> None:
    transport = FollowUpTransport.from_settings(_settings(tmp_path))

    for channel in FollowUpChannel:
        sender = select_sender(transport, channel)
        assert isinstance(sender, FolderSender)
        assert sender.folder == tmp_path / "outbox" / "followup"


def test_a_relay_sends_email_and_a_twilio_account_sends_the_channels_with_a_number(
    tmp_path: Path,
) -> None:
    transport = FollowUpTransport.from_settings(
        _settings(
            tmp_path,
            followup_smtp_host="relay.pharma.example",
            followup_twilio_account_sid=ACCOUNT,
            twilio_auth_token="token",
            followup_sms_from="+15005550006",
        )
    )

    assert isinstance(select_sender(transport, FollowUpChannel.EMAIL), SmtpSender)
    assert isinstance(select_sender(transport, FollowUpChannel.SMS), TwilioSender)
    assert isinstance(select_sender(transport, FollowUpChannel.WHATSAPP), FolderSender)
    assert transport.transport_for(FollowUpChannel.WHATSAPP) is Transport.FOLDER
    assert transport.smtp is not None
    assert transport.smtp.port == 587


def test_implicit_tls_defaults_to_port_465(tmp_path: Path) -> None:
    transport = FollowUpTransport.from_settings(
        _settings(tmp_path, followup_smtp_host="relay", followup_smtp_security="tls")
    )

    assert transport.smtp is not None
    assert transport.smtp.port == 465


def test_the_status_callback_defaults_to_the_public_webhook_url(tmp_path: Path) -> None:
    transport = FollowUpTransport.from_settings(
        _settings(tmp_path, public_base_url="https://gw.pharma.example/")
    )

    assert transport.status_callback_url == "https://gw.pharma.example/webhooks/twilio/status"


def test_an_account_without_the_auth_token_is_refused_at_start_naming_the_setting(
    tmp_path: Path,
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FollowUpTransport.from_settings(_settings(tmp_path, followup_twilio_account_sid=ACCOUNT))

    assert caught.value.setting == "ICSR_TWILIO_AUTH_TOKEN"


def test_a_reply_address_the_listener_would_refuse_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        FollowUpTransport.from_settings(
            _settings(tmp_path, followup_reply_address="replies@elsewhere.example")
        )

    assert caught.value.setting == "ICSR_FOLLOWUP_REPLY_ADDRESS"
    assert "ICSR_SMTP_RECIPIENTS" in caught.value.problem


def test_a_relay_username_without_password_is_refused_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="ICSR_FOLLOWUP_SMTP_PASSWORD"):
        FollowUpTransport.from_settings(
            _settings(tmp_path, followup_smtp_host="relay", followup_smtp_username="gw")
        )


def test_follow_up_settings_come_from_the_environment_and_the_password_is_masked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ICSR_FOLLOWUP_SMTP_HOST", "relay.pharma.example")
    monkeypatch.setenv("ICSR_FOLLOWUP_SMTP_USERNAME", "gateway")
    monkeypatch.setenv("ICSR_FOLLOWUP_SMTP_PASSWORD", "relay-secret")

    settings = load_settings(data_dir=tmp_path)

    assert settings.masked()["followup_smtp_password"] == "********"
    assert "relay-secret" not in repr(settings)
    relay = FollowUpTransport.from_settings(settings).smtp
    assert relay is not None
    assert relay.password is not None
    assert relay.password.get_secret_value() == "relay-secret"


def test_message_ids_are_short_unique_and_end_with_our_domain() -> None:
    ids = {new_message_id("Pharma.Example") for _ in range(2000)}

    assert len(ids) == 2000
    for value in ids:
        assert re.fullmatch(r"<fu\.[a-z2-7]{8}\.[0-9a-z]+@pharma\.example>", value)
        assert len(value) <= 40


def test_the_message_id_domain_is_the_from_address_domain(tmp_path: Path) -> None:
    transport = FollowUpTransport.from_settings(_settings(tmp_path))

    assert transport.new_message_id().endswith("@pharma.example>")
    assert transport.reply_to("ab12cd34ef") == "safety+ab12cd34ef@pharma.example"


def test_a_reply_token_survives_the_round_trip_through_the_plus_address() -> None:
    token = new_reply_token()

    address = reply_to_address("safety", token, "Pharma.Example")

    assert re.fullmatch(r"[a-z2-7]{10}", token)
    assert reply_token_of(address.upper(), "safety") == token
    assert reply_token_of("<safety@pharma.example>", "safety") is None
    assert reply_token_of(f"other+{token}@pharma.example", "safety") is None


def test_an_email_follow_up_without_our_message_id_is_refused() -> None:
    with pytest.raises(ValueError, match="Message-ID"):
        OutgoingMessage(
            request_id="FU-1",
            case_id="C-1",
            channel=FollowUpChannel.EMAIL,
            recipient="a@b.example",
            body="?",
        )


def test_an_sms_follow_up_to_an_email_address_is_refused() -> None:
    with pytest.raises(ValueError, match="phone number"):
        OutgoingMessage(
            request_id="FU-1",
            case_id="C-1",
            channel=FollowUpChannel.SMS,
            recipient="a@b.example",
            body="?",
        )
