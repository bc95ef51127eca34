"""Intake end to end: reports arrive on every channel of a running gateway process and
become cases (or triage items) in its store.

One gateway process for the module, on the session's embedded broker with its own topic
prefix, the test product catalogue and the invented-code MedDRA fixture. Every check waits
on the SQLite store with a timeout.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
import pytest

from gateway.domain.codes import DrugRole, Sex
from gateway.domain.meddra import MedDRACoder, load_distribution
from gateway.kafka.embedded import EmbeddedBroker
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic
from tests.e2e.intake_support import (
    CATALOGUE,
    E2B_SCHEMAS,
    FDA_SAMPLES,
    MEDDRA,
    OPENFDA_EVENTS,
    PUBLIC_BASE_URL,
    TWILIO_TOKEN,
    RunningGateway,
    eventually,
    mail,
    running_gateway,
    sign,
)
from tests.integration.pipeline_support import publish

pytestmark = pytest.mark.e2e

MAX_MAIL = 200_000  # small, but the FDA samples (~70 KB as base64 in a mail) fit

DOCTOR_REPORT = (
    "Dear team,\n\nI am a physician. My patient J.D., a 45-year-old woman, developed nausea "
    "after taking Zentravia 500 mg. She was admitted to hospital.\n\nRegards,\nDr Anna Smith"
)


def _needs_shared(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"shared test material {path} is absent")


@pytest.fixture(scope="module")
def gw(
    embedded_broker: EmbeddedBroker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningGateway]:
    data_dir = tmp_path_factory.mktemp("intake-e2e") / "gw"
    env = {
        "ICSR_CATALOGUE_FILE": str(CATALOGUE),
        "ICSR_MEDDRA_DIR": str(MEDDRA),
        "ICSR_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "ICSR_PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        # The FDA samples are addressed to FDA's postmarket and premarket receivers.
        "ICSR_E2B_RECEIVER_IDS": "ZZFDA,ZZFDA_PREMKT",
        "ICSR_SMTP_MAX_BYTES": str(MAX_MAIL),
        # Intake alone: follow-up requests (tested in test_followup_e2e) and quality checks
        # (test_quality_check_consumer) would add entries to the audit trails checked here.
        "ICSR_FOLLOWUP_ENABLED": "false",
        "ICSR_QUALITY_CHECK_EVERY_VERSION": "false",
    }
    if E2B_SCHEMAS.exists():
        env["ICSR_E2B_SCHEMAS_DIR"] = str(E2B_SCHEMAS)
    with running_gateway(embedded_broker.bootstrap, data_dir, env) as gw:
        yield gw


def _processed(gw: RunningGateway, inbound_id: str, timeout: float = 20) -> dict[str, Any]:
    return eventually(
        lambda: gw.processed(inbound_id),
        f"intake to finish with {inbound_id}",
        timeout,
        gw.process.log,
    )


def _one_case(gw: RunningGateway, inbound_id: str) -> dict[str, Any]:
    _processed(gw, inbound_id)
    found = gw.cases_from(inbound_id)
    assert len(found) == 1, found
    return found[0]


# -- e-mail -----------------------------------------------------------------------------------


def test_a_doctors_email_naming_product_reaction_and_patient_becomes_one_valid_case(
    gw: RunningGateway,
) -> None:
    inbound_id = gw.send_mail(mail(DOCTOR_REPORT), sender="anna.smith@clinic.example")

    case = _one_case(gw, inbound_id)
    [inbound] = gw.inbound(id=inbound_id)
    assert inbound["channel"] == "EMAIL"
    assert inbound["status"] == "processed"
    assert inbound["case_id"] == case["id"]
    assert case["state"] == "valid"
    assert case["valid"] is True
    assert case["missing_criteria"] == []
    assert case["channel"] == "EMAIL"
    assert case["day_zero"] == inbound["received_at"]  # Day 0 = our SMTP receipt
    assert case["serious"] is True

    icsr = gw.icsr(case["id"])
    [reaction] = icsr["reactions"]
    expected = MedDRACoder(load_distribution(MEDDRA)).code(reaction["verbatim_native"])
    assert reaction["verbatim_native"] == "nausea"
    assert expected is not None
    assert reaction["term"] == {"version": expected.version, "code": expected.llt_code}
    assert reaction["seriousness"] == {"hospitalisation": True}
    [drug] = icsr["drugs"]
    assert drug["name_as_reported"] == "Zentravia"
    assert drug["role"] == DrugRole.SUSPECT.value
    assert drug["substances"] == [{"name": "Zentrafloxacin"}]
    assert icsr["patient"]["name_or_initials"] == "JD"
    assert icsr["patient"]["age_at_onset"] == {"value": "45", "unit": "a"}
    assert icsr["patient"]["sex"] == Sex.FEMALE.value
    [reporter] = icsr["primary_sources"]
    assert reporter["email"] == "anna.smith@clinic.example"
    assert reporter["qualification"] == 1  # physician
    assert gw.audit_actions(case["id"]) == ["case.received", "validity.assessed"]


def test_an_email_naming_no_product_opens_a_case_pending_information_without_day_zero(
    gw: RunningGateway,
) -> None:
    body = (
        "Hello,\n\nI am a physician. My patient M.K., a 60-year-old man, developed a severe "
        "headache last week.\n\nDr Paul Brown"
    )
    inbound_id = gw.send_mail(mail(body), sender="paul.brown@clinic.example")

    case = _one_case(gw, inbound_id)
    assert case["state"] == "invalid_pending_info"
    assert case["valid"] is False
    assert case["missing_criteria"] == ["SUSPECT_PRODUCT"]
    assert case["day_zero"] is None
    assert gw.icsr(case["id"]).get("drugs", []) == []
    assert gw.audit_actions(case["id"]) == ["case.received", "validity.assessed"]


def test_an_oversized_mail_is_refused_with_552_and_nothing_is_stored(gw: RunningGateway) -> None:
    before = len(gw.inbound(channel="EMAIL"))
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as refused:
        gw.send_mail(mail("x" * (MAX_MAIL + 50_000)))
    assert refused.value.code == 552
    assert refused.value.message.startswith("5.3.4")
    assert len(gw.inbound(channel="EMAIL")) == before


BROKEN_BOUNDARY = (
    b"Subject: =?bogus?q?broken?=\r\n"
    b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
    b"From: \xff\xfe not an address\r\n"
    b"\r\n"
    b"--never-closed\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n"
    b"!!!! not base64 !!!!\r\n"
)
NO_BODY = (
    b"Subject: \xc3\x28 garbage \x00 subject\r\n"
    b"From: \xff\xfe\r\n"
    b"Date: not a date\r\n"
    b'Content-Type: multipart/mixed; boundary="zz"\r\n'
    b"\r\n"
    b"--zz\r\n"
    b"\r\n"
    b"--zz--\r\n"
)


@pytest.mark.parametrize(
    ("raw", "kind"),
    [(BROKEN_BOUNDARY, "email_defects"), (NO_BODY, "malformed_email")],
    ids=["broken-boundary", "no-body"],
)
def test_a_malformed_mime_message_is_stored_raw_and_triaged_without_a_crash(
    gw: RunningGateway, raw: bytes, kind: str
) -> None:
    # a unique Message-ID, so the message is not taken for a redelivery of an earlier one
    raw = b"Message-ID: <malformed-" + uuid.uuid4().hex.encode() + b"@nowhere>\r\n" + raw
    inbound_id = gw.send_mail(raw)  # 250: accepted, whatever it holds

    record = _processed(gw, inbound_id)
    assert record["payload"] == raw
    items = gw.triage(inbound_id)
    assert kind in {t["kind"] for t in items}, items
    opened = gw.cases_from(inbound_id)
    if kind == "malformed_email":
        assert opened == []  # nothing readable: only a person can tell what it was
    else:  # the text that could be read is a report, but nothing in it makes it valid
        assert [c["state"] for c in opened] == ["invalid_pending_info"]
    assert gw.alive()
    assert httpx.get(gw.http_url + "/readyz", timeout=5).status_code == 200
    # the intake consumer is still working: the next report still becomes a case
    _one_case(gw, gw.send_mail(mail(DOCTOR_REPORT.replace("J.D.", "R.T."))))


# -- Twilio SMS and WhatsApp ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "channel", "sender"),
    [
        ("/webhooks/twilio/sms", "SMS", "+15005550006"),
        ("/webhooks/twilio/whatsapp", "WHATSAPP", "whatsapp:+15005550007"),
    ],
    ids=["sms", "whatsapp"],
)
def test_a_signed_twilio_message_becomes_one_case_carrying_the_phone_even_if_redelivered(
    gw: RunningGateway, path: str, channel: str, sender: str
) -> None:
    sid = "SM" + uuid.uuid4().hex
    fields = {
        "MessageSid": sid,
        "From": sender,
        "To": sender.replace("555000", "555999"),
        "Body": "I got a bad headache after taking Nocturnil",
        "NumMedia": "0",
    }
    for _ in range(2):  # Twilio retries: the same MessageSid twice
        response = gw.post_twilio(path, fields)
        assert response.status_code == 200, response.text

    [inbound] = gw.inbound(source_id=sid)
    assert inbound["channel"] == channel
    case = _one_case(gw, inbound["id"])
    assert case["channel"] == channel
    icsr = gw.icsr(case["id"])
    assert [s["telephone"] for s in icsr["primary_sources"]] == [sender.removeprefix("whatsapp:")]
    assert [d["name_as_reported"] for d in icsr["drugs"]] == ["Nocturnil"]
    assert icsr["reactions"][0]["term"] is not None
    assert len(gw.inbound(source_id=sid)) == 1


def test_a_forged_twilio_signature_is_refused_with_403_and_nothing_is_stored(
    gw: RunningGateway,
) -> None:
    path = "/webhooks/twilio/sms"
    sid = "SM" + uuid.uuid4().hex
    fields = {"MessageSid": sid, "From": "+15005550006", "Body": "rash after Glucorel"}
    forged = gw.post_twilio(path, fields, signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    # a genuine signature, but of other content: the body was altered after signing
    altered = gw.post_twilio(path, fields, signature=sign(path, {**fields, "Body": "other"}))
    # a genuine signature for the WhatsApp webhook replayed onto the SMS one
    replayed = gw.post_twilio(path, fields, signature=sign("/webhooks/twilio/whatsapp", fields))

    assert [r.status_code for r in (forged, altered, replayed)] == [403, 403, 403]
    assert gw.inbound(source_id=sid) == []


# -- web form ---------------------------------------------------------------------------------


def test_a_web_form_becomes_one_case_and_the_same_report_id_again_is_a_duplicate(
    gw: RunningGateway,
) -> None:
    report_id = f"WEB-{uuid.uuid4().hex[:8]}"
    report = {
        "report_id": report_id,
        "reporter": {"email": "pharmacist@example.org", "qualification": "pharmacist"},
        "patient": {"initials": "AB", "age": 30, "sex": "male"},
        "products": [{"name": "Glucorel", "dose": "1 mg weekly"}],
        "reactions": [{"description": "Vomiting"}],
        "seriousness": ["hospitalisation"],
    }
    first = httpx.post(gw.http_url + "/api/v1/intake", json=report, timeout=10)
    again = httpx.post(gw.http_url + "/api/v1/intake", json=report, timeout=10)

    assert first.status_code == 202, first.text
    assert again.status_code == 200, again.text
    assert again.json()["duplicate"] is True
    assert again.json()["inbound_id"] == first.json()["inbound_id"]
    case = _one_case(gw, first.json()["inbound_id"])
    assert case["channel"] == "WEB_FORM"
    assert case["valid"] is True
    assert case["serious"] is True
    icsr = gw.icsr(case["id"])
    assert [d["name_as_reported"] for d in icsr["drugs"]] == ["Glucorel"]
    assert icsr["reactions"][0]["verbatim_native"] == "Vomiting"
    assert f"id:form:{report_id}" in gw.keys_of(case["id"])
    assert len(gw.inbound(source_id=report_id)) == 1


# -- E2B files attached to e-mail -------------------------------------------------------------

#: One report version is identified by sender + C.1.1 + C.1.2. The FDA samples share one
#: sender and one C.1.2: Scenario3 repeats Scenario1's C.1.1 and Scenario5-2 repeats
#: Scenario5-1's (so they are the same reports again); Scenario2 has its own C.1.1 but
#: Scenario1's worldwide case id C.1.8.1 (a likely duplicate a person must look at);
#: Scenario5-3 breaks the business rules (one drug id used for two products).
SAMPLES = [
    "FAERS2022Scenario1.xml",
    "FAERS2022Scenario2.xml",
    "FAERS2022Scenario3.xml",
    "FAERS2022Scenario4.xml",
    "FAERS2022Scenario5-1.xml",
    "FAERS2022Scenario5-2.xml",
    "FAERS2022Scenario5-3.xml",
]
NEW_REPORTS = {
    "FAERS2022Scenario1.xml": "US-APHARMA-8744554B",
    "FAERS2022Scenario2.xml": "US-APHARMA-8744554B-UPDATE-TESTING222",
    "FAERS2022Scenario4.xml": "US-APHARMA-222222222",
    "FAERS2022Scenario5-1.xml": "US-APHARMA-234545656",
}
REPEATS = {
    "FAERS2022Scenario3.xml": "FAERS2022Scenario1.xml",
    "FAERS2022Scenario5-2.xml": "FAERS2022Scenario5-1.xml",
}


def _mail_sample(gw: RunningGateway, name: str, data: bytes) -> str:
    raw = mail(
        "Please find the ICSR attached.",
        subject=f"ICSR {name}",
        sender="e2b@apharma.example",
        attachment=(name, data),
    )
    return gw.send_mail(raw, sender="e2b@apharma.example")


@pytest.fixture(scope="module")
def fda_mailed(gw: RunningGateway) -> dict[str, str]:
    """Each FDA sample mailed once (in order, one mail per file): file name → inbound id."""
    _needs_shared(FDA_SAMPLES)
    sent: dict[str, str] = {}
    for name in SAMPLES:  # one at a time: a repeat must find the report it repeats
        sent[name] = _mail_sample(gw, name, (FDA_SAMPLES / name).read_bytes())
        _processed(gw, sent[name], timeout=30)
    return sent


@pytest.mark.parametrize("name", sorted(NEW_REPORTS))
def test_each_fda_sample_with_a_new_report_mailed_as_an_attachment_becomes_a_case(
    gw: RunningGateway, fda_mailed: dict[str, str], name: str
) -> None:
    case = _one_case(gw, fda_mailed[name])
    assert case["channel"] == "EMAIL"
    assert case["valid"] is True
    icsr = gw.icsr(case["id"])
    assert icsr["report"]["safety_report_id"] == NEW_REPORTS[name]  # C.1.1 kept
    assert icsr["reactions"]
    assert icsr["drugs"]
    assert f"id:e2b:4567AB89012:{NEW_REPORTS[name]}@20140714151617-0500" in gw.keys_of(case["id"])
    assert gw.audit_actions(case["id"])[:2] == ["case.received", "validity.assessed"]


def test_a_sample_sharing_a_worldwide_case_id_is_flagged_as_a_potential_duplicate(
    gw: RunningGateway, fda_mailed: dict[str, str]
) -> None:
    [first] = gw.cases_from(fda_mailed["FAERS2022Scenario1.xml"])
    [second] = gw.cases_from(fda_mailed["FAERS2022Scenario2.xml"])
    items = [
        t
        for t in gw.triage(fda_mailed["FAERS2022Scenario2.xml"])
        if t["kind"] == "potential_duplicate"
    ]
    assert [t["case_id"] for t in items] == [second["id"]]
    [candidate] = [c for c in items[0]["detail"]["candidates"] if c["case_id"] == first["id"]]
    assert candidate["score"] == 1.0


@pytest.mark.parametrize("name", sorted(REPEATS))
def test_a_sample_repeating_a_known_report_opens_a_duplicate_report_not_a_case(
    gw: RunningGateway, fda_mailed: dict[str, str], name: str
) -> None:
    [first] = gw.cases_from(fda_mailed[REPEATS[name]])
    inbound_id = fda_mailed[name]
    assert gw.cases_from(inbound_id) == []
    [item] = gw.triage(inbound_id)
    assert item["kind"] == "duplicate_report"
    assert item["case_id"] == first["id"]
    assert item["status"] == "open"


def test_scenario_5_3_is_rejected_by_the_business_rules_into_triage(
    gw: RunningGateway, fda_mailed: dict[str, str]
) -> None:
    inbound_id = fda_mailed["FAERS2022Scenario5-3.xml"]
    assert gw.cases_from(inbound_id) == []
    [item] = gw.triage(inbound_id)
    assert item["kind"] == "e2b_rejected"
    assert any("G.k.1" in f for f in item["detail"]["findings"]), item["detail"]


def test_a_file_addressed_to_another_receiver_is_refused_into_triage(
    gw: RunningGateway, fda_mailed: dict[str, str]
) -> None:
    data = (FDA_SAMPLES / "FAERS2022Scenario4.xml").read_bytes()
    assert data.count(b'extension="ZZFDA_PREMKT"') == 1
    inbound_id = _mail_sample(
        gw, "other.xml", data.replace(b'extension="ZZFDA_PREMKT"', b'extension="EVHUMAN"')
    )
    _processed(gw, inbound_id, timeout=30)
    assert gw.cases_from(inbound_id) == []
    [item] = gw.triage(inbound_id)
    assert item["kind"] == "e2b_unreadable"
    assert "RECEIVE.N.1.4.receiver" in item["reason"]


def test_the_same_e2b_file_in_another_email_opens_no_new_case_but_a_duplicate_report(
    gw: RunningGateway, fda_mailed: dict[str, str]
) -> None:
    [first] = gw.cases_from(fda_mailed["FAERS2022Scenario1.xml"])
    data = (FDA_SAMPLES / "FAERS2022Scenario1.xml").read_bytes()
    inbound_id = _mail_sample(gw, "FAERS2022Scenario1.xml", data)

    _processed(gw, inbound_id, timeout=30)
    assert inbound_id != fda_mailed["FAERS2022Scenario1.xml"]  # another e-mail, stored anew
    assert gw.cases_from(inbound_id) == []
    [item] = gw.triage(inbound_id)
    assert item["kind"] == "duplicate_report"
    assert item["case_id"] == first["id"]
    assert first["id"] in item["detail"]["cases"]


# -- upstream openFDA events on the intake topic ------------------------------------------------


def _upstream(codec: AvroCodec, event: dict[str, Any], event_id: str) -> tuple[bytes, bytes]:
    source_id = str(event["safetyreportid"])
    value = codec.encode(
        SchemaName.INBOUND_REPORT,
        {
            "event_id": event_id,
            "inbound_id": "",
            "channel": "UPSTREAM_EVENT",
            "source_id": source_id,
            "received_at": datetime.now(UTC),
            "content_type": "application/json",
            "payload": json.dumps(event).encode(),
            "headers": {},
            "thread_key": None,
        },
    )
    return source_id.encode(), value


def test_openfda_events_published_on_the_intake_topic_become_cases_once(
    gw: RunningGateway,
) -> None:
    _needs_shared(OPENFDA_EVENTS)
    events: list[dict[str, Any]] = json.loads(OPENFDA_EVENTS.read_text())[:10]
    assert len(events) == 10
    codec = AvroCodec.default()
    topic = gw.topic_prefix + Topic.INTAKE_INBOUND
    run = uuid.uuid4().hex[:8]

    def send(round_: str) -> list[str]:
        ids = [f"upstream:{run}:{round_}:{n}" for n in range(len(events))]
        values = [_upstream(codec, e, i) for e, i in zip(events, ids, strict=True)]
        asyncio.run(publish(gw.bootstrap, topic, values))
        return ids

    def cases_by_source() -> dict[str, list[dict[str, Any]]]:
        out = {}
        for event in events:
            source_id = str(event["safetyreportid"])
            records = gw.inbound(channel="UPSTREAM_EVENT", source_id=source_id)
            out[source_id] = gw.cases_from_all([r["id"] for r in records])
        return out

    first = send("first")
    eventually(
        lambda: len(gw.handled_events(first)) == len(first), "10 events handled", 30, gw.process.log
    )
    found = cases_by_source()
    assert {k: len(v) for k, v in found.items()} == {k: 1 for k in found}
    for event in events:
        source_id = str(event["safetyreportid"])
        [case] = found[source_id]
        assert case["channel"] == "UPSTREAM_EVENT"
        icsr = gw.icsr(case["id"])
        verbatims = [r["verbatim_native"] for r in icsr["reactions"]]
        assert verbatims == [r["reactionmeddrapt"] for r in event["patient"]["reaction"]]
        assert icsr["report"]["safety_report_id"] == source_id
        assert f"id:openfda:{source_id}" in gw.keys_of(case["id"])
        assert [d["name_as_reported"] for d in icsr["drugs"]] == [
            d.get("medicinalproduct") for d in event["patient"]["drug"]
        ]

    again = send("again")  # new event ids, the same reports
    eventually(lambda: len(gw.handled_events(again)) == len(again), "the repeats handled", 30)
    assert cases_by_source() == found
    for source_id in found:
        assert len(gw.inbound(channel="UPSTREAM_EVENT", source_id=source_id)) == 1
