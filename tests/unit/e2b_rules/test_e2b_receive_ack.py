"""Receiving a partner's E2B(R3) file: the ACK a regulator would send back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from schemas.e2b_ack import parse_ack
from schemas.e2b_receive import ReceiveResult, receive, receive_r3
from schemas.xml_safety import load_xsd, validate_xsd

Mutate = Callable[[str, Callable[[Any], None]], bytes]
CREATED = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
OUTCOME = (
    "(//h:PORR_IN049016UV)[2]//h:observation[h:code/@code='29'][1]"
    "/h:outboundRelationship2/h:observation[h:code/@code='27']/h:value"
)


def run(data: bytes, schemas_dir: Path, kit: Any, our_id: str = "ZZFDA") -> ReceiveResult:
    return receive_r3(
        data,
        profile="ich",
        schemas_dir=schemas_dir,
        today=kit.TODAY,
        our_id=our_id,
        ack_message_id="ACK-1",
        created=CREATED,
    )


def ack_schema_valid(result: ReceiveResult, schemas_dir: Path) -> None:
    schema = load_xsd(schemas_dir / "multicacheschemas" / "MCCI_IN200101UV01.xsd")
    root = etree.fromstring(result.ack_bytes, etree.XMLParser(resolve_entities=False))
    assert validate_xsd(root, schema) == []


def test_valid_sample_is_acknowledged_aa(
    sample: Callable[[str], bytes], schemas_dir: Path, kit: Any
) -> None:
    result = run(sample("Scenario1"), schemas_dir, kit)
    ack_schema_valid(result, schemas_dir)
    summary = parse_ack(result.ack_bytes)
    assert (summary.batch_code, summary.batch_number) == (
        "AA",
        "FAERS2022Scenario1-4069-a2dd-08002b30309d",
    )
    (item,) = summary.items
    assert (item.code, item.message_id, item.message_date) == (
        "CA",
        "21ec1492-3aea-4069-a2ab-08002b30309d",
        "20140714151617-0500",
    )
    assert item.local_report_number == "ACK-1-1"
    assert item.error_text is not None
    assert "ICH.C.1.2.order" in item.error_text
    assert (summary.sender, summary.receiver) == ("ZZFDA", "4567AB89012")
    assert result.batch is not None
    assert len(result.batch.messages) == 1
    assert result.report.valid


def test_one_broken_icsr_gives_ae_with_cr(mutate: Mutate, schemas_dir: Path, kit: Any) -> None:
    def second_broken(root: Any) -> None:
        kit.duplicate_message(root, "US-APHARMA-0002")
        kit.one(root, OUTCOME).set("code", "7")

    result = run(mutate("Scenario1", second_broken), schemas_dir, kit)
    ack_schema_valid(result, schemas_dir)
    summary = parse_ack(result.ack_bytes)
    assert summary.batch_code == "AE"
    first, second = summary.items
    assert (first.code, second.code) == ("CA", "CR")
    assert second.message_id == "US-APHARMA-0002"
    assert second.local_report_number is None
    assert second.error_text is not None
    assert second.error_text.startswith("ICH.E.i.7.value E.i.7: E.i.7 contains invalid value '7'")
    assert len(second.error_text) <= 250
    assert result.accepted == ("21ec1492-3aea-4069-a2ab-08002b30309d",)
    assert result.rejected == ("US-APHARMA-0002",)
    assert result.batch is not None
    assert len(result.batch.messages) == 1


def test_long_error_text_is_cut_to_250(mutate: Mutate, schemas_dir: Path, kit: Any) -> None:
    def many_errors(root: Any) -> None:
        kit.duplicate_message(root, "US-APHARMA-0002")
        for value in root.xpath(
            "(//h:PORR_IN049016UV)[2]//h:observation[h:code/@code='27']/h:value", namespaces=kit.NS
        ):
            value.set("code", "8")
        kit.one(root, "(//h:PORR_IN049016UV)[2]//h:player1/h:administrativeGenderCode").set(
            "code", "9"
        )
        kit.one(root, "(//h:PORR_IN049016UV)[2]//h:asQualifiedEntity/h:code").set("code", "9")

    summary = parse_ack(run(mutate("Scenario1", many_errors), schemas_dir, kit).ack_bytes)
    text = summary.items[1].error_text
    assert text is not None
    assert len(text) == 250
    assert text.endswith("[truncated]")


def test_garbage_gives_ar(schemas_dir: Path, kit: Any) -> None:
    result = run(b"\x00\x01 definitely not XML", schemas_dir, kit)
    ack_schema_valid(result, schemas_dir)
    summary = parse_ack(result.ack_bytes)
    assert summary.batch_code == "AR"
    assert summary.items == ()
    assert summary.batch_text is not None
    assert summary.batch_text.startswith("LOAD N.1:")
    assert result.batch is None
    assert not result.report.valid


def test_misaddressed_batch_gives_ar(
    sample: Callable[[str], bytes], schemas_dir: Path, kit: Any
) -> None:
    result = run(sample("Scenario1"), schemas_dir, kit, our_id="EVHUMAN")
    summary = parse_ack(result.ack_bytes)
    assert summary.batch_code == "AR"
    assert summary.batch_text is not None
    assert "RECEIVE.N.1.4.receiver" in summary.batch_text
    assert summary.batch_number == "FAERS2022Scenario1-4069-a2dd-08002b30309d"


def test_receive_answers_each_format_in_its_own_ack_format(
    sample: Callable[[str], bytes], schemas_dir: Path, kit: Any
) -> None:
    kwargs: dict[str, Any] = {
        "schemas_dir": schemas_dir,
        "today": kit.TODAY,
        "our_id": "ZZFDA",
        "ack_message_id": "ACK-2",
        "created": CREATED,
    }
    assert parse_ack(receive(sample("Scenario1"), **kwargs).ack_bytes).batch_code == "AA"
    assert parse_ack(receive(b"not xml", **kwargs).ack_bytes).batch_code == "AR"
    # An unreadable E2B(R2) message is answered with an R2 ACK, transmission code 03 (AR).
    r2 = b'<?xml version="1.0"?><ichicsr lang="en"><ichicsrmessageheader/></ichicsr>'
    summary = parse_ack(receive(r2, **kwargs).ack_bytes)
    assert (summary.format, summary.batch_code) == ("E2B_R2", "AR")
