"""Inbound e-mail rules: recipients, dedupe key, size limits and replies (no network)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from channels.acceptance import Acceptance
from channels.email_in import (
    REPLY_STORE_FAILED,
    REPLY_TOO_BIG,
    REPLY_UNKNOWN_RECIPIENT,
    InboundMailHandler,
    RecipientPolicy,
    _enhanced,
    describe_mail,
)
from gateway.errors import ConfigurationError, PayloadTooLargeError, StoreUnavailableError
from gateway.settings import load_settings


class FakeAcceptor:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.error = error
        self.ids: dict[str, str] = {}

    async def accept(self, **kwargs: Any) -> Acceptance:
        if self.error is not None:
            raise self.error
        self.calls.append(kwargs)
        key = kwargs["source_id"]
        duplicate = key in self.ids
        self.ids.setdefault(key, f"IN{len(self.ids)}")
        return Acceptance(self.ids[key], duplicate)


def _envelope(content: bytes, *rcpts: str) -> SimpleNamespace:
    return SimpleNamespace(
        mail_from="reporter@example.org",
        rcpt_tos=list(rcpts),
        rcpt_options=[],
        original_content=content,
    )


MAIL = (
    b"Message-ID:  <abc-1@reporter.example>\r\n"
    b"From: Reporter <reporter@example.org>\r\n"
    b"To: safety@localhost\r\n"
    b"Subject: =?utf-8?q?Nebenwirkung_=C3=BCbel?=\r\n"
    b"References: <root@pharma.example>\r\n <parent@pharma.example>\r\n"
    b"In-Reply-To: <parent@pharma.example>\r\n"
    b"\r\n"
    b"I felt sick.\r\n"
)


@pytest.mark.parametrize(
    ("address", "accepted"),
    [
        ("safety@localhost", True),
        ("SAFETY@LocalHost", True),
        ("<safety@localhost>", True),
        ("safety+case-42@localhost", True),
        ("pv-reply+TOKEN123@pharma.example", True),
        ("pv-reply@PHARMA.example", True),
        ("pv-reply+@pharma.example", False),
        ("safetyx@localhost", False),
        ("safety@otherhost", False),
        ("pv-reply+t@evil.example", False),
        ("someone+safety@localhost", False),
        ("no-at-sign", False),
        ("", False),
    ],
)
def test_recipient_matching(address: str, accepted: bool) -> None:
    policy = RecipientPolicy(["safety@localhost", "Pv-Reply@pharma.example"])
    assert policy.accepts(address) is accepted


def test_a_configured_address_without_a_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="not an address"):
        RecipientPolicy(["safety"])


def test_source_id_is_the_message_id_and_a_content_hash() -> None:
    facts = describe_mail(MAIL)
    digest = hashlib.sha256(MAIL).hexdigest()
    assert facts.source_id == f"<abc-1@reporter.example>#{digest[:16]}"
    assert facts.headers["Message-ID"] == "<abc-1@reporter.example>"
    assert facts.headers["Subject"] == "Nebenwirkung übel"
    assert facts.headers["References"] == "<root@pharma.example> <parent@pharma.example>"
    assert facts.thread_key == "<root@pharma.example>"


def test_without_message_id_the_source_id_is_the_sha256() -> None:
    raw = b"Subject: hi\r\n\r\nbody\r\n"
    facts = describe_mail(raw)
    assert facts.source_id == hashlib.sha256(raw).hexdigest()
    assert facts.thread_key is None


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"Subject: =?bogus?x?broken?=\r\nFrom: \xff\xfe\r\n\r\nbody",
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n\r\n--never-closed\r\n',
        b"Message-ID: \r\n\r\n",
        b": no name\r\n\tcontinuation without header\r\n\r\n",
    ],
)
def test_malformed_mail_is_described_never_raising(raw: bytes) -> None:
    facts = describe_mail(raw)
    assert facts.source_id
    for value in facts.headers.values():
        value.encode("utf-8")  # always storable text


async def test_unknown_recipient_is_refused_with_550_at_rcpt() -> None:
    handler = InboundMailHandler(FakeAcceptor(), RecipientPolicy(["safety@localhost"]), 1000)  # type: ignore[arg-type]
    envelope = _envelope(b"")
    status = await handler.handle_RCPT(None, None, envelope, "nobody@localhost", [])
    assert status == REPLY_UNKNOWN_RECIPIENT
    assert status.startswith("550 5.1.1")
    assert envelope.rcpt_tos == []
    status = await handler.handle_RCPT(None, None, envelope, "Safety@localhost", [])
    assert status.startswith("250")
    assert envelope.rcpt_tos == ["Safety@localhost"]


async def test_data_is_stored_raw_before_250() -> None:
    acceptor = FakeAcceptor()
    handler = InboundMailHandler(acceptor, RecipientPolicy(["safety@localhost"]), 10_000)  # type: ignore[arg-type]
    status = await handler.handle_DATA(None, None, _envelope(MAIL, "safety@localhost"))
    assert status.startswith("250 2.0.0")
    [call] = acceptor.calls
    assert call["payload"] == MAIL
    assert call["channel"] == "EMAIL"
    assert call["content_type"] == "message/rfc822"
    assert call["thread_key"] == "<root@pharma.example>"
    assert call["headers"]["Received-Via"] == "smtp"
    again = await handler.handle_DATA(None, None, _envelope(MAIL, "safety@localhost"))
    assert again.startswith("250 2.0.0")
    assert "already" in again


async def test_data_over_the_limit_is_refused_with_552() -> None:
    acceptor = FakeAcceptor()
    handler = InboundMailHandler(acceptor, RecipientPolicy(["safety@localhost"]), 100)  # type: ignore[arg-type]
    status = await handler.handle_DATA(None, None, _envelope(b"x" * 101, "safety@localhost"))
    assert status == REPLY_TOO_BIG
    assert status.startswith("552 5.3.4")
    assert acceptor.calls == []
    exact = await handler.handle_DATA(None, None, _envelope(b"x" * 100, "safety@localhost"))
    assert exact.startswith("250")


async def test_acceptor_size_refusal_is_552_too() -> None:
    acceptor = FakeAcceptor(PayloadTooLargeError("too big"))
    handler = InboundMailHandler(acceptor, RecipientPolicy(["safety@localhost"]), 100)  # type: ignore[arg-type]
    assert await handler.handle_DATA(None, None, _envelope(b"x", "safety@localhost")) == (
        REPLY_TOO_BIG
    )


@pytest.mark.parametrize("error", [StoreUnavailableError("locked"), RuntimeError("boom")])
async def test_a_store_failure_is_a_temporary_451(error: Exception) -> None:
    handler = InboundMailHandler(FakeAcceptor(error), RecipientPolicy(["safety@localhost"]), 100)  # type: ignore[arg-type]
    status = await handler.handle_DATA(None, None, _envelope(b"x", "safety@localhost"))
    assert status == REPLY_STORE_FAILED
    assert status.startswith("451 4.3.0")


async def test_lmtp_answers_once_per_recipient() -> None:
    handler = InboundMailHandler(
        FakeAcceptor(),  # type: ignore[arg-type]
        RecipientPolicy(["safety@localhost", "pv@localhost"]),
        10_000,
        lmtp=True,
    )
    status = await handler.handle_DATA(
        None, None, _envelope(MAIL, "safety@localhost", "pv@localhost")
    )
    lines = status.split("\r\n")
    assert len(lines) == 2
    assert all(line.startswith("250 2.0.0") for line in lines)


async def test_while_shutting_down_data_gets_421() -> None:
    acceptor = FakeAcceptor()
    handler = InboundMailHandler(acceptor, RecipientPolicy(["safety@localhost"]), 100)  # type: ignore[arg-type]
    handler.closing = True
    status = await handler.handle_DATA(None, None, _envelope(b"x", "safety@localhost"))
    assert status.startswith("421 4.3.2")
    assert acceptor.calls == []


def test_aiosmtpd_size_refusals_get_the_enhanced_code() -> None:
    assert _enhanced("552 Error: message size exceeds fixed maximum message size") == (
        REPLY_TOO_BIG
    )
    assert _enhanced("552 Error: Too much mail data") == REPLY_TOO_BIG
    assert _enhanced("250 OK") == "250 OK"


@pytest.fixture
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for var in list(os.environ):
        if var.startswith("ICSR_"):
            monkeypatch.delenv(var)


@pytest.mark.usefixtures("_clean_env")
def test_mail_settings_defaults() -> None:
    s = load_settings()
    assert s.smtp_listen_host == "127.0.0.1"
    assert s.smtp_listen_port == 2525
    assert s.lmtp_listen_port is None
    assert s.smtp_recipients == ["safety@localhost"]
    assert s.smtp_max_bytes == 25 * 1024 * 1024
    assert s.intake_e2b_max_bytes == 20 * 1024 * 1024
    assert s.intake_folder is None
    assert s.intake_folder_poll_s == 1.0
    assert s.twilio_skip_signature is False


@pytest.mark.usefixtures("_clean_env")
@pytest.mark.parametrize(("value", "port"), [("off", None), ("", None), ("-1", None), ("0", 0)])
def test_a_listener_port_can_be_switched_off(
    monkeypatch: pytest.MonkeyPatch, value: str, port: int | None
) -> None:
    monkeypatch.setenv("ICSR_SMTP_LISTEN_PORT", value)
    assert load_settings().smtp_listen_port == port


@pytest.mark.usefixtures("_clean_env")
def test_recipients_from_environment_and_toml(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ICSR_SMTP_RECIPIENTS", "safety@pharma.example, pv-reply@pharma.example")
    assert load_settings().smtp_recipients == ["safety@pharma.example", "pv-reply@pharma.example"]
    monkeypatch.setenv("ICSR_SMTP_RECIPIENTS", '["a@b.example"]')
    assert load_settings().smtp_recipients == ["a@b.example"]
    monkeypatch.delenv("ICSR_SMTP_RECIPIENTS")
    config = tmp_path / "g.toml"
    config.write_text('[smtp]\nrecipients = ["x@y.example"]\nlisten_port = 2626\n')
    s = load_settings(config)
    assert (s.smtp_recipients, s.smtp_listen_port) == (["x@y.example"], 2626)
    monkeypatch.setenv("ICSR_SMTP_RECIPIENTS", "not-an-address")
    with pytest.raises(ConfigurationError, match="ICSR_SMTP_RECIPIENTS"):
        load_settings()
