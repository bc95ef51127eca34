"""Whatever bytes a channel accepted, the intake's work on them ends in a case, a triage
item, kept documents, or "not a report": never an exception that would send the message
round the retries to the dead-letter topic.

The examples are derandomised: the same ones run every time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consumers.intake_work import E2BSettings, IntakeWork, RawInbound, RecordWork
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.intake import IntakeReferences
from gateway.domain.meddra import MedDRACoder, load_distribution
from schemas.avro import AvroCodec

DATA = Path(__file__).resolve().parents[2] / "data"
RECEIVED = datetime(2024, 3, 20, 9, 30, tzinfo=UTC)
_cases = settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def work() -> IntakeWork:
    records = json.loads((DATA / "catalogue" / "products.json").read_text("utf-8"))
    refs = IntakeReferences(
        ProductCatalogue.from_records(records["products"]),
        MedDRACoder(load_distribution(DATA / "meddra")),
    )
    return IntakeWork(AvroCodec.default(), "icsr.case.events", refs, E2BSettings())


def _run(work: IntakeWork, channel: str, content_type: str, payload: bytes) -> RecordWork:
    raw = RawInbound("IN-1", channel, content_type, payload, RECEIVED)
    result = work(raw, RECEIVED)
    assert result.cases or result.triage or result.documents or result.not_a_report
    return result


_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=400) | st.sampled_from(
    [
        "My son (6) took ibuprofen 200 mg and got a rash, no fever. He was not hospitalised.",
        "Paciente de 72 años con lamotrigina 50 mg, erupción cutánea, ingresada en el hospital.",
        "STOP",
        "",
    ]
)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "safetyreportid",
                    "patient",
                    "drug",
                    "reaction",
                    "reporter",
                    "products",
                    "reactions",
                    "description",
                    "patientonsetage",
                    "medicinalproduct",
                    "x",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@_cases
@given(payload=st.binary(max_size=3000))
@pytest.mark.parametrize(
    ("channel", "content_type"),
    [
        ("EMAIL", "message/rfc822"),
        ("SMS", "application/x-www-form-urlencoded"),
        ("WEB_FORM", "application/json"),
        ("UPSTREAM_EVENT", "application/json"),
        ("E2B_FILE", "application/xml"),
    ],
)
def test_any_bytes_on_any_channel_end_in_a_case_a_triage_item_or_not_a_report(
    work: IntakeWork, channel: str, content_type: str, payload: bytes
) -> None:
    _run(work, channel, content_type, payload)


@_cases
@given(subject=_text, body=_text, html=st.booleans(), attachment=st.binary(max_size=500))
def test_an_email_with_any_text_body_and_attachment_is_read_without_an_exception(
    work: IntakeWork, subject: str, body: str, html: bool, attachment: bytes
) -> None:
    message = EmailMessage()
    message["From"] = "Reporter <reporter@example.com>"
    message["To"] = "safety@localhost"
    message["Subject"] = " ".join(subject.split())[:200]
    message.set_content(body)
    if html:
        message.add_alternative(f"<p>{body}</p>", subtype="html")
    message.add_attachment(attachment, maintype="application", subtype="octet-stream")
    try:
        payload = message.as_bytes()
    except (UnicodeError, ValueError):
        payload = b"From: reporter@example.com\r\n\r\n" + body.encode("utf-8")

    _run(work, "EMAIL", "message/rfc822", payload)


@_cases
@given(body=_text, sender=st.sampled_from(["+447700900123", "whatsapp:+34600000000", "", "x"]))
def test_a_twilio_message_with_any_body_is_read_without_an_exception(
    work: IntakeWork, body: str, sender: str
) -> None:
    fields = {"MessageSid": "SM" + "0" * 32, "From": sender, "To": "+15005550006", "Body": body}

    _run(work, "WHATSAPP", "application/x-www-form-urlencoded", urlencode(fields).encode())


@_cases
@given(document=_json_value)
def test_any_json_document_as_an_upstream_event_or_a_web_form_is_read_without_an_exception(
    work: IntakeWork, document: Any
) -> None:
    payload = json.dumps(document).encode()

    _run(work, "UPSTREAM_EVENT", "application/json", payload)
    _run(work, "WEB_FORM", "application/json", payload)
