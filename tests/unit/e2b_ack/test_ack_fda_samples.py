"""FDA's positive and negative E2B(R3) acknowledgements parse, classify and correlate."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.e2b_ack import (
    AckSummary,
    CorrelationKey,
    R3Ack,
    ack_to_bytes,
    build_r3_ack,
    load_ack,
    parse_ack,
    parse_r3_ack,
    summarize,
)
from schemas.xml_safety import load_xml, load_xsd, validate_xsd

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
SAMPLES = SHARED / "e2b" / "samples" / "fda-r3"
R3_ACK_XSD = SHARED / "e2b" / "ich-r3-schemas" / "multicacheschemas" / "MCCI_IN200101UV01.xsd"
HL7 = {"h": "urn:hl7-org:v3"}

pytestmark = pytest.mark.skipif(
    not SAMPLES.exists(), reason=f"shared FDA E2B(R3) samples not found at {SAMPLES}"
)


def _read(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _key_in_file(name: str) -> CorrelationKey:
    """The correlation values read straight from the file, independently of the parser."""
    root = load_xml(_read(name))
    (batch,) = root.xpath("h:acknowledgement/h:targetBatch/h:id/@extension", namespaces=HL7)
    (message,) = root.xpath(
        "h:MCCI_IN000002UV01/h:acknowledgement/h:targetMessage/h:id/@extension", namespaces=HL7
    )
    (date,) = root.xpath(
        "h:MCCI_IN000002UV01/h:attentionLine[h:keyWordText/@code='1']/h:value/@value",
        namespaces=HL7,
    )
    return CorrelationKey(str(batch), str(message), str(date))


def test_positive_acknowledgement() -> None:
    summary = parse_ack(_read("R3ack-positive.ack"))
    assert summary.format == "E2B_R3"
    assert summary.batch_code == "AA"
    assert summary.batch_text == "message successfully processed, no further action"
    assert summary.ack_message_id == "33439257"
    assert summary.sender == "ZZFDA"
    assert summary.receiver == "4567AB89012"
    (item,) = summary.items
    assert item.code == "CA"
    assert item.error_text == "Report Loaded Successfully"
    assert item.local_report_number == "19426648"


def test_negative_acknowledgement() -> None:
    summary = parse_ack(_read("R3ack-negative.ack"))
    assert summary.batch_code == "AE"
    assert summary.batch_text == "some ICSR message(s) need further action"
    (item,) = summary.items
    assert item.code == "CR"
    assert item.local_report_number == "19426650"
    assert item.error_text is not None
    assert item.error_text.startswith(
        "Element value for SafetyCasePriority With Tag Id FDA.C.1.7.1 is Mandatory."
    )
    assert "Patient Ethnicity Code (FDA.D.12) must be provided" in item.error_text
    assert len(item.error_text) <= 250


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "R3ack-positive.ack",
            CorrelationKey(
                batch_number="FAERS2022Scenario1-4069-a2dd-08002b30309d",
                message_id="21ec1492-3aea-4069-a2ab-08002b30309d US-APHARMA-8744554B",
                message_date="20141214151617-0500",
            ),
        ),
        (
            "R3ack-negative.ack",
            CorrelationKey(
                batch_number="FAERS2022Scenario2-4069-a2dd-08002b30309d",
                message_id="US-APHARMA-7644554",
                message_date="20150227000000-0500",
            ),
        ),
    ],
)
def test_correlation_keys_are_the_values_in_the_file(name: str, expected: CorrelationKey) -> None:
    summary = parse_ack(_read(name))
    assert summary.correlation_keys == (expected,)
    assert summary.correlation_keys == (_key_in_file(name),)
    assert summary.correlation_key(summary.items[0]) == expected


def test_full_detail_of_the_positive_acknowledgement() -> None:
    ack = load_ack(_read("R3ack-positive.ack"))
    assert isinstance(ack, R3Ack)
    assert ack.message_id == "33439257"
    assert ack.creation_time == "20220811135030-0400"
    assert ack.local_message_number == "427032"
    assert ack.batch_transmission_date == "20141214151617-0500"
    (item,) = ack.items
    assert item.ack_receiver == "4567AB89012"  # ACK.B.r.3
    assert item.ack_sender == "CDER"  # ACK.B.r.4


@pytest.mark.parametrize("name", ["R3ack-positive.ack", "R3ack-negative.ack"])
def test_rebuilt_sample_validates_and_reads_back_the_same(name: str) -> None:
    ack = parse_r3_ack(load_xml(_read(name)))
    data = ack_to_bytes(build_r3_ack(ack))
    assert validate_xsd(load_xml(data), load_xsd(R3_ACK_XSD)) == []
    assert parse_r3_ack(load_xml(data)) == ack
    assert summarize(load_ack(data)) == parse_ack(_read(name))


def test_duplicate_acknowledgement_gives_an_equal_summary() -> None:
    first: AckSummary = parse_ack(_read("R3ack-negative.ack"))
    assert parse_ack(_read("R3ack-negative.ack")) == first
    assert hash(first.correlation_keys) == hash(
        parse_ack(_read("R3ack-negative.ack")).correlation_keys
    )
