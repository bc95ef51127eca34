"""The HTTP channels through the ASGI app: Twilio webhooks and structured intake.

A real acceptor on a SQLite file: what is answered is exactly what is stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from channels.acceptance import InboundAcceptor
from channels.twilio_in import EMPTY_TWIML
from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import inbound_messages, outbox
from schemas.avro import AvroCodec

TOKEN = "test-auth-token-not-a-secret"
BASE = "https://gw.example.org/pv"
E2B_SAMPLE = (
    Path(__file__).resolve().parents[3].parent
    / "shared"
    / "e2b"
    / "samples"
    / "fda-r3"
    / "FAERS2022Scenario1.xml"
)


async def _ready() -> dict[str, bool]:
    return {"store": True}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(build_engine(make_url(f"sqlite:///{tmp_path}/store.sqlite3")))
    upgrade(s.engine)
    yield s
    s.dispose()


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "twilio_auth_token": TOKEN,
        "public_base_url": BASE,
        "intake_json_max_bytes": 4096,
    }
    values.update(overrides)
    return Settings(**values)


def _client(store: Store, settings: Settings) -> httpx.AsyncClient:
    acceptor = InboundAcceptor(store, AvroCodec.default(), max_bytes=25 * 1024 * 1024)
    app = create_app(_ready, acceptor=acceptor, settings=settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def client(store: Store) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(store, _settings()) as c:
        yield c


def _rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(inbound_messages))]


def _outbox_count(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(outbox)).scalar_one())


def _signed(path: str, fields: list[tuple[str, str]], token: str = TOKEN) -> dict[str, Any]:
    body = urlencode(fields)
    signature = RequestValidator(token).compute_signature(BASE + path, dict(fields))
    return {
        "content": body.encode(),
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
        },
    }


SMS = [
    ("MessageSid", "SM" + "1" * 32),
    ("AccountSid", "AC" + "2" * 32),
    ("From", "+15005550006"),
    ("To", "+15005550001"),
    ("Body", "I had a rash after the second dose"),
    ("NumMedia", "1"),
    ("MediaUrl0", "https://api.twilio.example/media/ME1"),
    ("MediaContentType0", "image/jpeg"),
]
WHATSAPP = [
    ("MessageSid", "SM" + "3" * 32),
    ("From", "whatsapp:+15005550006"),
    ("To", "whatsapp:+15005550001"),
    ("Body", "yes"),
    ("WaId", "15005550006"),
    ("ProfileName", "R"),
    ("OriginalRepliedMessageSid", "SM" + "9" * 32),
    ("NumMedia", "0"),
]


# -- Twilio -------------------------------------------------------------------------------


async def test_signed_sms_is_stored_and_answered_with_empty_twiml(
    client: httpx.AsyncClient, store: Store
) -> None:
    r = await client.post("/webhooks/twilio/sms", **_signed("/webhooks/twilio/sms", SMS))
    assert r.status_code == 200
    assert r.text == EMPTY_TWIML
    assert r.headers["content-type"].startswith("text/xml")
    [row] = _rows(store)
    assert row["channel"] == "SMS"
    assert row["source_id"] == "SM" + "1" * 32
    assert row["payload"] == urlencode(SMS).encode()
    assert row["content_type"] == "application/x-www-form-urlencoded"
    assert row["thread_key"] == "+15005550006|+15005550001"
    assert row["headers"]["NumMedia"] == "1"
    assert row["headers"]["MediaUrl0"] == "https://api.twilio.example/media/ME1"
    assert "Body" not in row["headers"]
    assert _outbox_count(store) == 1


async def test_signed_whatsapp_is_stored_on_its_channel(
    client: httpx.AsyncClient, store: Store
) -> None:
    path = "/webhooks/twilio/whatsapp"
    r = await client.post(path, **_signed(path, WHATSAPP))
    assert r.status_code == 200
    [row] = _rows(store)
    assert row["channel"] == "WHATSAPP"
    assert row["headers"]["OriginalRepliedMessageSid"] == "SM" + "9" * 32
    assert row["thread_key"] == "whatsapp:+15005550006|whatsapp:+15005550001"


async def test_duplicate_message_sid_is_stored_once(
    client: httpx.AsyncClient, store: Store
) -> None:
    for _ in range(3):
        r = await client.post("/webhooks/twilio/sms", **_signed("/webhooks/twilio/sms", SMS))
        assert r.status_code == 200
    assert len(_rows(store)) == 1
    assert _outbox_count(store) == 1


@pytest.mark.parametrize(
    "tamper",
    ["forged", "missing", "extra_field", "other_path", "other_token"],
)
async def test_a_bad_signature_is_403_and_nothing_is_stored(
    client: httpx.AsyncClient, store: Store, tamper: str
) -> None:
    path = "/webhooks/twilio/sms"
    request = _signed(path, SMS)
    if tamper == "forged":
        request["headers"]["X-Twilio-Signature"] = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    elif tamper == "missing":
        del request["headers"]["X-Twilio-Signature"]
    elif tamper == "extra_field":
        request["content"] += b"&Body2=injected"
    elif tamper == "other_path":
        request = {**request, **_signed("/webhooks/twilio/whatsapp", SMS)}
    elif tamper == "other_token":
        request = _signed(path, SMS, token="not-the-token")
    r = await client.post(path, **request)
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "signature_invalid"
    assert _rows(store) == []


async def test_the_public_url_is_not_taken_from_host_headers(
    client: httpx.AsyncClient, store: Store
) -> None:
    path = "/webhooks/twilio/sms"
    fields = SMS
    evil = "https://attacker.example" + path
    signature = RequestValidator(TOKEN).compute_signature(evil, dict(fields))
    r = await client.post(
        path,
        content=urlencode(fields).encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature,
            "Host": "attacker.example",
            "X-Forwarded-Host": "attacker.example",
            "X-Forwarded-Proto": "https",
        },
    )
    assert r.status_code == 403
    assert _rows(store) == []


async def test_without_an_auth_token_the_webhooks_answer_503(store: Store) -> None:
    async with _client(store, _settings(twilio_auth_token=None)) as c:
        r = await c.post("/webhooks/twilio/sms", **_signed("/webhooks/twilio/sms", SMS))
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "twilio_not_configured"
    assert "ICSR_TWILIO_AUTH_TOKEN" in r.json()["error"]["message"]
    assert _rows(store) == []


async def test_insecure_dev_mode_skips_the_signature(store: Store) -> None:
    settings = _settings(twilio_auth_token=None, twilio_skip_signature=True)
    async with _client(store, settings) as c:
        r = await c.post(
            "/webhooks/twilio/sms",
            content=urlencode(SMS).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert r.status_code == 200
    assert len(_rows(store)) == 1


async def test_status_callbacks_are_stored_once_per_status_and_open_no_case(
    client: httpx.AsyncClient, store: Store
) -> None:
    path = "/webhooks/twilio/status"
    sid = "SM" + "5" * 32
    for status in ["sent", "delivered", "delivered", "read"]:
        fields = [
            ("MessageSid", sid),
            ("MessageStatus", status),
            ("From", "whatsapp:+15005550001"),
            ("To", "whatsapp:+15005550006"),
        ]
        r = await client.post(path, **_signed(path, fields))
        assert r.status_code == 200
        assert r.text == EMPTY_TWIML
    rows = _rows(store)
    assert sorted(r["source_id"] for r in rows) == [
        f"{sid}#delivered",
        f"{sid}#read",
        f"{sid}#sent",
    ]
    assert {r["channel"] for r in rows} == {"WHATSAPP"}
    assert {r["status"] for r in rows} == {"processed"}  # nothing for intake to do
    assert {r["thread_key"] for r in rows} == {"whatsapp:+15005550006|whatsapp:+15005550001"}
    assert _outbox_count(store) == 0


async def test_a_signed_webhook_without_message_sid_is_400(
    client: httpx.AsyncClient, store: Store
) -> None:
    fields = [("From", "+15005550006"), ("Body", "x")]
    r = await client.post("/webhooks/twilio/sms", **_signed("/webhooks/twilio/sms", fields))
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"MessageSid": "required, a Twilio SID"}
    assert _rows(store) == []


async def test_a_webhook_that_is_not_a_form_is_415(client: httpx.AsyncClient) -> None:
    r = await client.post("/webhooks/twilio/sms", json={"MessageSid": "SM1"})
    assert r.status_code == 415


# -- JSON intake ----------------------------------------------------------------------------


async def test_json_intake_202_then_200_duplicate(client: httpx.AsyncClient, store: Store) -> None:
    report = {"report_id": "WEB-2024-0001", "reactions": [{"description": "rash"}]}
    first = await client.post("/api/v1/intake", json=report)
    assert first.status_code == 202
    assert first.json()["duplicate"] is False
    inbound_id = first.json()["inbound_id"]
    again = await client.post("/api/v1/intake", json=report)
    assert again.status_code == 200
    assert again.json() == {
        "inbound_id": inbound_id,
        "duplicate": True,
        "source_id": "WEB-2024-0001",
    }
    [row] = _rows(store)
    assert row["channel"] == "WEB_FORM"
    assert row["content_type"] == "application/json"
    assert json.loads(row["payload"]) == report


async def test_json_intake_dedupe_key_precedence(client: httpx.AsyncClient, store: Store) -> None:
    r = await client.post(
        "/api/v1/intake", json={"report_id": "R-1"}, headers={"Idempotency-Key": "key-1"}
    )
    assert r.json()["source_id"] == "key-1"
    body = b'{"reactions": [{"description": "rash"}]}'
    r = await client.post("/api/v1/intake", content=body)

    assert r.json()["source_id"] == hashlib.sha256(body).hexdigest()
    assert len(_rows(store)) == 2


async def test_json_intake_names_the_fields_of_a_form_that_does_not_fit(
    client: httpx.AsyncClient, store: Store
) -> None:
    r = await client.post(
        "/api/v1/intake", json={"patient": {"age": -1}, "reactions": [{"description": ""}]}
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid_form"
    assert set(error["fields"]) == {"patient.age", "reactions.0.description"}
    assert _rows(store) == []  # nothing stored


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b'{"reaction": ', "invalid_json"),
        (b"\xff\xfe", "invalid_json"),
        (b"[1, 2]", "not_an_object"),
        (b'"text"', "not_an_object"),
        (b"", "invalid_json"),
    ],
)
async def test_json_intake_refuses_what_is_not_a_json_object(
    client: httpx.AsyncClient, store: Store, body: bytes, code: str
) -> None:
    r = await client.post(
        "/api/v1/intake", content=body, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["fields"] == {}
    assert _rows(store) == []


async def test_json_intake_over_the_limit_is_413(client: httpx.AsyncClient, store: Store) -> None:
    r = await client.post("/api/v1/intake", json={"narrative": "x" * 5000})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "payload_too_large"
    assert _rows(store) == []


# -- E2B files -----------------------------------------------------------------------------


def _sample() -> bytes:
    if not E2B_SAMPLE.exists():
        pytest.skip(f"{E2B_SAMPLE} is absent")
    return E2B_SAMPLE.read_bytes()


async def test_e2b_raw_upload_202_then_duplicate(client: httpx.AsyncClient, store: Store) -> None:
    xml = _sample()
    headers = {"Content-Type": "application/xml"}
    r = await client.post("/api/v1/intake/e2b", content=xml, headers=headers)
    assert r.status_code == 202, r.text
    again = await client.post("/api/v1/intake/e2b", content=xml, headers=headers)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    [row] = _rows(store)
    assert (row["channel"], row["content_type"], row["payload"]) == (
        "E2B_FILE",
        "application/xml",
        xml,
    )


async def test_e2b_multipart_upload(client: httpx.AsyncClient, store: Store) -> None:
    xml = _sample()
    r = await client.post(
        "/api/v1/intake/e2b", files={"file": ("FAERS2022Scenario1.xml", xml, "text/xml")}
    )
    assert r.status_code == 202, r.text
    [row] = _rows(store)
    assert row["payload"] == xml
    assert row["headers"]["File-Name"] == "FAERS2022Scenario1.xml"
    r = await client.post("/api/v1/intake/e2b", files={"other": ("a.xml", xml, "text/xml")})
    assert r.status_code == 400
    assert r.json()["error"]["fields"] == {"file": "required"}


async def test_e2b_over_the_default_20_mib_is_413(store: Store) -> None:
    settings = _settings()
    assert settings.intake_e2b_max_bytes == 20 * 1024 * 1024
    body = b"<x>" + b"a" * (20 * 1024 * 1024) + b"</x>"
    async with _client(store, settings) as c:
        r = await c.post(
            "/api/v1/intake/e2b", content=body, headers={"Content-Type": "application/xml"}
        )
    assert r.status_code == 413
    assert _rows(store) == []


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/json", b'{"a": 1}', 415),
        ("text/plain", b"<x/>", 415),
        ("application/xml", b"just text", 400),
        ("application/xml", b"   ", 400),
        ("application/octet-stream", b"\xef\xbb\xbf\n <?xml version='1.0'?><x/>", 202),
        ("application/hl7-v3+xml", b"<x/>", 202),
    ],
)
async def test_e2b_refuses_only_what_is_obviously_not_xml(
    client: httpx.AsyncClient, content_type: str, body: bytes, status: int
) -> None:
    r = await client.post(
        "/api/v1/intake/e2b", content=body, headers={"Content-Type": content_type}
    )
    assert r.status_code == status, r.text
    if status >= 400:
        assert set(r.json()["error"]) == {"code", "message", "fields"}


_field_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80)


@settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    path=st.sampled_from(["/webhooks/twilio/sms", "/webhooks/twilio/whatsapp"]),
    sid=st.sampled_from(["SM" + "4" * 32, "", "x" * 40]) | _field_text,
    sender=st.sampled_from(["+15005550006", "whatsapp:+34600000000", ""]) | _field_text,
    body=_field_text,
    extra=st.dictionaries(
        st.sampled_from(
            ["NumMedia", "MediaUrl0", "ProfileName", "MessageStatus", "ButtonPayload", "WaId"]
        ),
        st.sampled_from(["1", "-1", "99999999999999", "delivered", ""]) | _field_text,
        max_size=4,
    ),
)
async def test_a_signed_webhook_with_any_field_values_is_stored_or_refused_never_an_error(
    store: Store, path: str, sid: str, sender: str, body: str, extra: dict[str, str]
) -> None:
    fields = [("MessageSid", sid), ("From", sender), ("To", "+15005550001"), ("Body", body)]
    fields += sorted(extra.items())
    known = {row["source_id"] for row in _rows(store)}  # the examples share one store
    async with _client(store, _settings()) as client:
        r = await client.post(path, **_signed(path, fields))

    assert r.status_code in {200, 400}, r.text
    added = {row["source_id"] for row in _rows(store)} - known
    if r.status_code == 400:
        assert r.json()["error"]["code"]
        assert added == set()
    else:
        assert r.text == EMPTY_TWIML
        assert added == ({sid} if sid not in known else set())
