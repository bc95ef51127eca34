"""Building E2B(R3) ACKs: schema-valid, round-trip, 250-character texts, strict parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.e2b_ack import (
    TRUNCATION_NOTE,
    InvalidAckError,
    MalformedAckError,
    R3Ack,
    R3AckItem,
    ack_to_bytes,
    build_r3_ack,
    parse_ack,
    parse_r3_ack,
)
from schemas.xml_safety import load_xml, load_xsd, validate_xsd

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
R3_ACK_XSD = SHARED / "e2b" / "ich-r3-schemas" / "multicacheschemas" / "MCCI_IN200101UV01.xsd"

needs_xsd = pytest.mark.skipif(
    not R3_ACK_XSD.exists(), reason=f"shared ICH E2B(R3) schemas not found at {R3_ACK_XSD}"
)


def _item(
    n: int, *, code: str = "CA", text: str | None = None, local: str | None = "L"
) -> R3AckItem:
    return R3AckItem(
        message_id=f"US-ACME-{n:04d}",
        local_report_number=None if local is None else f"{local}{n}",
        ack_receiver="ACME-SENDER",
        ack_sender="CDER",
        message_date=f"2024030{n % 9 + 1}120000+0100",
        code=code,  # type: ignore[arg-type]
        text=text,
    )


def _ack(*items: R3AckItem, code: str = "AE", text: str | None = "batch text") -> R3Ack:
    return R3Ack(
        message_id="ACK-0001",
        creation_time="20240305101112+0000",
        sender="ZZFDA",
        receiver="ACME-SENDER",
        batch_number="ACME-BATCH-42",
        local_message_number="427099",
        batch_transmission_date="20240304090000+0100",
        code=code,  # type: ignore[arg-type]
        text=text,
        items=items,
    )


def _valid(data: bytes) -> None:
    assert validate_xsd(load_xml(data), load_xsd(R3_ACK_XSD)) == []


MIXED = _ack(
    _item(1),
    _item(2, code="CR", text="ICH.C.1.1 is missing"),
    _item(3, code="CA", text="Warning: D.2.1 age is implausible"),
    _item(4, code="CR", local=None),
)


@needs_xsd
def test_mixed_batch_validates_and_round_trips() -> None:
    data = ack_to_bytes(build_r3_ack(MIXED))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    _valid(data)
    assert parse_r3_ack(load_xml(data)) == MIXED


@needs_xsd
def test_rejected_batch_without_items_or_optional_fields_validates() -> None:
    ack = R3Ack(
        message_id="ACK-2",
        creation_time="20240305101112+0000",
        sender="ZZFDA",
        receiver="ACME",
        batch_number="B-1",
        code="AR",
        text="XML parsing error at line 3",
    )
    data = ack_to_bytes(build_r3_ack(ack))
    _valid(data)
    assert parse_r3_ack(load_xml(data)) == ack
    summary = parse_ack(data)
    assert summary.batch_code == "AR"
    assert summary.items == ()


@needs_xsd
def test_missing_local_report_number_is_written_as_null_flavor() -> None:
    root = build_r3_ack(_ack(_item(1, code="CR", local=None)))
    message_id = root.find("{urn:hl7-org:v3}MCCI_IN000002UV01/{urn:hl7-org:v3}id")
    assert message_id.get("nullFlavor") == "NI"
    assert message_id.get("extension") is None
    _valid(ack_to_bytes(root))


@needs_xsd
def test_texts_over_250_characters_are_truncated_with_a_note() -> None:
    long_item_text = "; ".join(f"rule R{n:04d} failed for element C.1.{n}" for n in range(40))
    long_batch_text = "B" * 1000
    ack = _ack(_item(1, code="CR", text=long_item_text), code="AE", text=long_batch_text)
    data = ack_to_bytes(build_r3_ack(ack))
    _valid(data)
    parsed = parse_r3_ack(load_xml(data))
    item_text = parsed.items[0].text
    assert item_text is not None
    assert 240 < len(item_text) <= 250
    assert item_text.endswith(TRUNCATION_NOTE)
    assert item_text.startswith("rule R0000 failed for element C.1.0; rule R0001")
    assert parsed.text is not None
    assert len(parsed.text) == 250
    assert parsed.text.endswith(TRUNCATION_NOTE)


def test_text_of_exactly_250_characters_is_kept() -> None:
    text = "x" * 250
    parsed = parse_r3_ack(build_r3_ack(_ack(_item(1, code="CR", text=text))))
    assert parsed.items[0].text == text


def test_characters_xml_cannot_carry_are_dropped() -> None:
    parsed = parse_r3_ack(build_r3_ack(_ack(_item(1, code="CR", text="bad\x00 \x1bbyte"))))
    assert parsed.items[0].text == "bad byte"


def test_codes_outside_e2b_are_programming_errors() -> None:
    with pytest.raises(ValueError, match=r"ACK\.A\.4"):
        _ack(code="OK")
    with pytest.raises(ValueError, match=r"ACK\.B\.r\.6"):
        _item(1, code="AA")


def test_unknown_code_in_a_received_ack_is_invalid() -> None:
    data = ack_to_bytes(build_r3_ack(MIXED)).replace(b'typeCode="CR"', b'typeCode="XX"', 1)
    with pytest.raises(InvalidAckError, match=r"ACK\.B\.r\.6 .*'XX'"):
        parse_ack(data)


def test_missing_batch_number_is_malformed() -> None:
    root = build_r3_ack(MIXED)
    target = root.find("{urn:hl7-org:v3}acknowledgement/{urn:hl7-org:v3}targetBatch")
    target.remove(target[0])
    with pytest.raises(MalformedAckError, match=r"ACK\.A\.1"):
        parse_r3_ack(root)


def test_missing_message_date_is_malformed() -> None:
    root = build_r3_ack(MIXED)
    message = root.find("{urn:hl7-org:v3}MCCI_IN000002UV01")
    message.remove(message.find("{urn:hl7-org:v3}attentionLine"))
    with pytest.raises(MalformedAckError, match=r"ACK\.B\.r\.5"):
        parse_r3_ack(root)


def test_parse_r3_ack_refuses_another_root() -> None:
    with pytest.raises(MalformedAckError, match="MCCI_IN200101UV01"):
        parse_r3_ack(load_xml(b'<ichicsrack lang="en"/>'))
