"""The channels on a running gateway: real SMTP/LMTP, Twilio-signed HTTP, JSON, E2B, folder.

One gateway for the module (in-process, on the session's embedded broker with its own topic
prefix, SQLite in a temporary folder). Every stored report becomes a case through the
intake consumer: that is checked for one message of each channel.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiosmtplib
import httpx
import pytest
import pytest_asyncio
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from channels.twilio_in import EMPTY_TWIML
from gateway.kafka.embedded import EmbeddedBroker
from gateway.service import Gateway
from gateway.settings import Settings
from gateway.store.tables import cases, inbound_messages

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

TOKEN = "integration-auth-token"
MAX_MAIL = 256 * 1024
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
E2B_SAMPLE = SHARED / "e2b" / "samples" / "fda-r3" / "FAERS2022Scenario1.xml"


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def gw(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Gateway]:
    root = tmp_path_factory.mktemp("channels")
    run = uuid.uuid4().hex[:10]
    settings = Settings(
        data_dir=root / "gw",
        http_port=0,
        smtp_listen_port=0,
        lmtp_listen_port=0,
        kafka_bootstrap=embedded_broker.bootstrap,
        kafka_topic_prefix=f"t{run}.",
        kafka_group_prefix=f"g-{run}",
        twilio_auth_token=TOKEN,
        smtp_recipients=["safety@localhost", "pv-reply@pharma.example"],
        smtp_max_bytes=MAX_MAIL,
        intake_json_max_bytes=8192,
        intake_e2b_max_bytes=1024 * 1024,
        intake_folder=root / "drop",
        intake_folder_poll_s=0.1,
        intake_folder_max_bytes=100_000,
        e2b_receiver_ids=["ZZFDA", "ZZFDA_PREMKT"],  # the FDA samples are addressed to FDA
    )
    gateway = Gateway(settings)
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop()


def _rows(gw: Gateway, **where: str) -> list[dict[str, Any]]:
    assert gw.components is not None
    query = select(inbound_messages)
    for column, value in where.items():
        query = query.where(inbound_messages.c[column] == value)
    with gw.components.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def _case_for(gw: Gateway, inbound_id: str) -> list[str]:
    assert gw.components is not None
    with gw.components.store.engine.connect() as conn:
        return [
            r[0]
            for r in conn.execute(select(cases.c.id).where(cases.c.source_inbound_id == inbound_id))
        ]


async def _eventually(predicate: Callable[[], bool], what: str, timeout: float = 30) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def _assert_becomes_one_case(gw: Gateway, inbound_id: str) -> None:
    await _eventually(lambda: len(_case_for(gw, inbound_id)) == 1, f"a case for {inbound_id}")
    await asyncio.sleep(0.3)
    assert len(_case_for(gw, inbound_id)) == 1


def _mail(subject: str, to: str = "safety@localhost", body: str = "I had a rash.") -> bytes:
    msg = EmailMessage()
    msg["From"] = "reporter@example.org"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@reporter.example>"
    msg.set_content(body)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


async def _send(gw: Gateway, raw: bytes, to: str = "safety@localhost") -> tuple[Any, str]:
    assert gw.smtp_port is not None
    return await aiosmtplib.send(
        raw,
        sender="reporter@example.org",
        recipients=[to],
        hostname="127.0.0.1",
        port=gw.smtp_port,
        start_tls=False,
        use_tls=False,
    )


# -- e-mail --------------------------------------------------------------------------------


async def test_runtime_file_and_readiness_name_the_listeners(gw: Gateway) -> None:
    runtime = json.loads(gw.runtime_file.read_text())
    assert runtime["smtp_port"] == gw.smtp_port
    assert runtime["lmtp_port"] == gw.lmtp_port
    assert gw.smtp_port
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            r = await client.get(f"{gw.http_url}/readyz")
            if r.status_code == 200:
                break
            await asyncio.sleep(0.1)
    assert r.status_code == 200, r.text
    checks = r.json()["checks"]
    assert checks["smtp"] is True
    assert checks["lmtp"] is True
    assert checks["intake_folder"] is True


async def test_mail_over_smtp_is_stored_raw_and_becomes_a_case(gw: Gateway) -> None:
    raw = _mail("Adverse event report")
    errors, response = await _send(gw, raw)
    assert errors == {}
    assert response.startswith("2.0.0 OK: message stored as ")
    inbound_id = response.rsplit(" ", 1)[1]
    [row] = _rows(gw, id=inbound_id)
    assert row["payload"] == raw
    assert row["channel"] == "EMAIL"
    assert row["content_type"] == "message/rfc822"
    assert row["headers"]["Subject"] == "Adverse event report"
    await _assert_becomes_one_case(gw, inbound_id)


async def test_plus_addressed_reply_is_accepted(gw: Gateway) -> None:
    raw = _mail("Re: follow-up", to="pv-reply+TOKEN42@pharma.example")
    errors, _ = await _send(gw, raw, to="pv-reply+TOKEN42@pharma.example")
    assert errors == {}


async def test_unknown_recipient_is_refused_with_550(gw: Gateway) -> None:
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as caught:
        await _send(gw, _mail("x", to="nobody@localhost"), to="nobody@localhost")
    [refusal] = caught.value.recipients
    assert refusal.code == 550
    assert refusal.message.startswith("5.1.1")


async def test_oversized_mail_is_refused_with_552_by_declared_size(gw: Gateway) -> None:
    before = len(_rows(gw, channel="EMAIL"))
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as caught:
        await _send(gw, _mail("big", body="x" * (MAX_MAIL + 10)))
    assert caught.value.code == 552
    assert caught.value.message.startswith("5.3.4")
    assert len(_rows(gw, channel="EMAIL")) == before


async def test_oversized_mail_is_refused_with_552_at_data_without_size(gw: Gateway) -> None:
    before = len(_rows(gw, channel="EMAIL"))
    assert gw.smtp_port is not None
    client = aiosmtplib.SMTP(hostname="127.0.0.1", port=gw.smtp_port, start_tls=False)
    await client.connect()
    try:
        await client.ehlo()
        await client.mail("reporter@example.org")  # no SIZE declared
        await client.rcpt("safety@localhost")
        with pytest.raises(aiosmtplib.SMTPDataError) as caught:
            await client.data(_mail("big", body="line of text\n" * (MAX_MAIL // 10)))
        assert caught.value.code == 552
        assert caught.value.message.startswith("5.3.4")
    finally:
        await client.quit()
    assert len(_rows(gw, channel="EMAIL")) == before


async def test_the_same_message_twice_is_one_record(gw: Gateway) -> None:
    raw = _mail("Sent twice")
    _, first = await _send(gw, raw)
    _, second = await _send(gw, raw)
    assert first.rsplit(" ", 1)[1] == second.rsplit(" ", 1)[1]
    assert "already stored" in second
    message_id = [line for line in raw.decode().splitlines() if line.startswith("Message-ID")]
    rows = [r for r in _rows(gw, channel="EMAIL") if r["payload"] == raw]
    assert len(rows) == 1, message_id


async def test_malformed_mime_is_accepted_and_stored_raw(gw: Gateway) -> None:
    raw = (
        b"Subject: =?bogus?q?broken?=\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
        b"From: \xff\xfe not an address\r\n"
        b"\r\n"
        b"--never-closed\r\n"
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"!!!! not base64 !!!!\r\n"
    )
    errors, response = await _send(gw, raw)
    assert errors == {}
    inbound_id = response.rsplit(" ", 1)[1]
    [row] = _rows(gw, id=inbound_id)
    assert row["payload"] == raw


async def test_lmtp_delivery_answers_per_recipient_and_stores_once(gw: Gateway) -> None:
    assert gw.lmtp_port is not None
    raw = _mail("Via Postfix LMTP")
    reader, writer = await asyncio.open_connection("127.0.0.1", gw.lmtp_port)

    async def reply() -> list[str]:
        lines = []
        while True:
            line = (await reader.readline()).decode().rstrip("\r\n")
            lines.append(line)
            if len(line) < 4 or line[3] != "-":
                return lines

    try:
        assert (await reply())[0].startswith("220")
        for command in (
            b"LHLO mta.example",
            b"MAIL FROM:<reporter@example.org>",
            b"RCPT TO:<safety@localhost>",
            b"RCPT TO:<pv-reply@pharma.example>",
            b"RCPT TO:<nobody@localhost>",
            b"DATA",
        ):
            writer.write(command + b"\r\n")
            await writer.drain()
            answer = await reply()
            if command.startswith(b"RCPT TO:<nobody"):
                assert answer[-1].startswith("550 5.1.1")
            elif command == b"DATA":
                assert answer[-1].startswith("354")
            else:
                assert answer[-1].startswith("250"), answer
        writer.write(raw + b".\r\n")
        await writer.drain()
        first = (await reader.readline()).decode()
        second = (await reader.readline()).decode()
        assert first.startswith("250 2.0.0")
        assert second.startswith("250 2.0.0")
        writer.write(b"QUIT\r\n")
        await writer.drain()
    finally:
        writer.close()
    inbound_id = first.strip().rsplit(" ", 1)[1]
    [row] = _rows(gw, id=inbound_id)
    assert row["payload"] == raw
    assert row["headers"]["Received-Via"] == "lmtp"


# -- Twilio --------------------------------------------------------------------------------


def _signed(gw: Gateway, path: str, fields: list[tuple[str, str]]) -> dict[str, Any]:
    # No public_base_url configured: the gateway judges against its own listening address.
    assert gw.http_url is not None
    signature = RequestValidator(TOKEN).compute_signature(gw.http_url + path, dict(fields))
    return {
        "content": urlencode(fields).encode(),
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    }


@pytest.mark.parametrize(
    ("path", "channel", "sender"),
    [
        ("/webhooks/twilio/sms", "SMS", "+15005550006"),
        ("/webhooks/twilio/whatsapp", "WHATSAPP", "whatsapp:+15005550006"),
    ],
)
async def test_signed_messages_are_stored_once_and_become_cases(
    gw: Gateway, path: str, channel: str, sender: str
) -> None:
    sid = "SM" + uuid.uuid4().hex
    fields = [
        ("MessageSid", sid),
        ("From", sender),
        ("To", sender.replace("0006", "0001")),
        ("Body", "the swelling is gone"),
        ("NumMedia", "0"),
    ]
    async with httpx.AsyncClient(base_url=gw.http_url or "") as client:
        for _ in range(2):  # a redelivery of the same MessageSid
            r = await client.post(path, **_signed(gw, path, fields))
            assert r.status_code == 200
            assert r.text == EMPTY_TWIML
    [row] = _rows(gw, source_id=sid)
    assert row["channel"] == channel
    assert row["payload"] == urlencode(fields).encode()
    await _assert_becomes_one_case(gw, row["id"])


async def test_a_forged_signature_is_403_and_nothing_is_stored(gw: Gateway) -> None:
    sid = "SM" + uuid.uuid4().hex
    path = "/webhooks/twilio/sms"
    request = _signed(gw, path, [("MessageSid", sid), ("Body", "x")])
    request["headers"]["X-Twilio-Signature"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    async with httpx.AsyncClient(base_url=gw.http_url or "") as client:
        r = await client.post(path, **request)
    assert r.status_code == 403
    assert _rows(gw, source_id=sid) == []


# -- structured intake ----------------------------------------------------------------------


async def test_json_intake_202_then_duplicate_and_a_case(gw: Gateway) -> None:
    report = {
        "report_id": f"WEB-{uuid.uuid4().hex[:8]}",
        "reporter": {"email": "reporter@example.org"},
        "patient": {"initials": "AB"},
        "products": [{"name": "Examplozole"}],
        "reactions": [{"description": "dizziness"}],
    }
    async with httpx.AsyncClient(base_url=gw.http_url or "") as client:
        first = await client.post("/api/v1/intake", json=report)
        again = await client.post("/api/v1/intake", json=report)
        bad = await client.post("/api/v1/intake", content=b"{nope")
        wrong = await client.post("/api/v1/intake", json={"reaction": "dizziness"})
        big = await client.post("/api/v1/intake", json={"narrative": "x" * 9000})
    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_json"
    assert wrong.status_code == 400
    assert wrong.json()["error"]["fields"] == {"reaction": "Extra inputs are not permitted"}
    assert big.status_code == 413
    await _assert_becomes_one_case(gw, first.json()["inbound_id"])


async def test_e2b_upload_is_stored_and_becomes_a_case(gw: Gateway) -> None:
    if not E2B_SAMPLE.exists():
        pytest.skip(f"{E2B_SAMPLE} is absent")
    xml = E2B_SAMPLE.read_bytes()
    async with httpx.AsyncClient(base_url=gw.http_url or "") as client:
        r = await client.post(
            "/api/v1/intake/e2b", content=xml, headers={"Content-Type": "application/xml"}
        )
        big = await client.post(
            "/api/v1/intake/e2b",
            content=b"<x>" + b"a" * (1024 * 1024) + b"</x>",
            headers={"Content-Type": "application/xml"},
        )
    assert r.status_code == 202, r.text
    assert big.status_code == 413
    [row] = _rows(gw, id=r.json()["inbound_id"])
    assert row["payload"] == xml
    assert row["channel"] == "E2B_FILE"
    await _assert_becomes_one_case(gw, row["id"])


async def test_folder_intake_moves_files_and_makes_a_case(gw: Gateway) -> None:
    folder = gw.settings.intake_folder
    assert folder is not None
    name = f"r-{uuid.uuid4().hex[:8]}"
    form = (
        b'{"reporter": {"phone": "+34600111222"}, "patient": {"sex": "male"}, '
        b'"products": [{"name": "Examplozole"}], "reactions": [{"description": "nausea"}]}'
    )
    (folder / f"{name}.json").write_bytes(form)
    (folder / f"{name}-big.xml").write_bytes(b"<a>" + b"x" * 200_000 + b"</a>")
    await _eventually(
        lambda: (
            (folder / "processed" / f"{name}.json").exists()
            and (folder / "rejected" / f"{name}-big.xml.error.txt").exists()
        ),
        "the folder watcher to move both files",
    )
    [row] = [r for r in _rows(gw, channel="FOLDER") if r["source_id"].startswith(f"{name}.json#")]
    assert row["payload"] == form
    await _assert_becomes_one_case(gw, row["id"])


async def test_status_callbacks_are_stored_but_open_no_case(gw: Gateway) -> None:
    sid = "SM" + uuid.uuid4().hex
    path = "/webhooks/twilio/status"
    fields = [("MessageSid", sid), ("MessageStatus", "delivered"), ("To", "+15005550006")]
    async with httpx.AsyncClient(base_url=gw.http_url or "") as client:
        r = await client.post(path, **_signed(gw, path, fields))
    assert r.status_code == 200
    [row] = _rows(gw, source_id=f"{sid}#delivered")
    await asyncio.sleep(1.0)
    assert _case_for(gw, row["id"]) == []


# -- shutdown ------------------------------------------------------------------------------


async def test_listeners_stop_first_on_shutdown(
    embedded_broker: EmbeddedBroker, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    gateway = Gateway(
        Settings(
            data_dir=tmp_path / "gw",
            http_port=0,
            smtp_listen_port=0,
            kafka_bootstrap=embedded_broker.bootstrap,
            kafka_topic_prefix=f"t{run}.",
            kafka_group_prefix=f"g-{run}",
        )
    )
    await gateway.start()
    port = gateway.smtp_port
    assert port is not None
    errors, _ = await aiosmtplib.send(
        _mail("before stop"),
        sender="reporter@example.org",
        recipients=["safety@localhost"],
        hostname="127.0.0.1",
        port=port,
    )
    assert errors == {}
    await gateway.stop()
    with pytest.raises((OSError, aiosmtplib.SMTPConnectError)):
        await aiosmtplib.send(
            _mail("after stop"),
            sender="reporter@example.org",
            recipients=["safety@localhost"],
            hostname="127.0.0.1",
            port=port,
            timeout=2,
        )
