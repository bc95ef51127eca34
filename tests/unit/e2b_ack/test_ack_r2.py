"""E2B(R2) ichicsrack 1.1: DTD-valid, round-trip, mapped onto the neutral summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.e2b_ack import (
    R2_ACK_SYSTEM_ID,
    TRUNCATION_NOTE,
    InvalidAckError,
    MalformedAckError,
    R2Ack,
    R2MessageAck,
    R2MessageHeader,
    R2ReportAck,
    ack_to_bytes,
    build_r2_ack,
    load_ack,
    parse_ack,
    parse_r2_ack,
    summarize,
)
from schemas.xml_safety import load_dtd, load_xml, validate_dtd

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
R2_ACK_DTD = SHARED / "e2b" / "ich-r2" / "ichicsrack11xml.dtd"

needs_dtd = pytest.mark.skipif(
    not R2_ACK_DTD.exists(), reason=f"shared ICH E2B(R2) DTDs not found at {R2_ACK_DTD}"
)


def _ack(code: str = "02", *reports: R2ReportAck, error: str | None = None) -> R2Ack:
    return R2Ack(
        header=R2MessageHeader(
            message_number="EVACK-2024-0001",
            sender="EVHUMAN",
            receiver="ACME",
            message_date="20240305101112",
        ),
        acknowledgment=R2MessageAck(
            icsr_message_number="ACME-MSG-77",
            local_message_number="EV-LOCAL-9",
            icsr_message_sender="ACME",
            icsr_message_receiver="EVHUMAN",
            icsr_message_date="20240304090000",
            code=code,  # type: ignore[arg-type]
            parsing_error_message=error,
        ),
        reports=reports,
    )


LOADED = R2ReportAck(
    safety_report_id="DE-ACME-0001",
    safety_report_version="2",
    local_report_number="EU-EC-123",
    authority_number="DE-BFARM-55",
    company_number="ACME-0001",
    receipt_date="20240301",
    code="01",
)
NOT_LOADED = R2ReportAck(
    safety_report_id="DE-ACME-0002",
    code="02",
    error_message="B.4.k.2.1 medicinal product name is missing",
)


def _valid(data: bytes) -> None:
    assert validate_dtd(load_xml(data), load_dtd(R2_ACK_DTD)) == []


@needs_dtd
def test_built_ack_is_dtd_valid_and_round_trips() -> None:
    ack = _ack("02", LOADED, NOT_LOADED)
    data = ack_to_bytes(build_r2_ack(ack))
    assert f'<!DOCTYPE ichicsrack SYSTEM "{R2_ACK_SYSTEM_ID}">'.encode() in data
    _valid(data)
    assert parse_r2_ack(load_xml(data)) == ack
    assert load_ack(data) == ack


@needs_dtd
def test_minimal_parse_error_ack_is_dtd_valid() -> None:
    ack = R2Ack(
        header=R2MessageHeader(
            message_number="A1", sender="EV", receiver="ACME", message_date="20240305101112"
        ),
        acknowledgment=R2MessageAck(
            icsr_message_number="M1",
            icsr_message_sender="ACME",
            icsr_message_receiver="EV",
            icsr_message_date="20240304090000",
            code="03",
            parsing_error_message="not well-formed (invalid token) at line 12",
        ),
    )
    data = ack_to_bytes(build_r2_ack(ack), r2_system_id="http://example.invalid/icsrack11xml.dtd")
    assert b'SYSTEM "http://example.invalid/icsrack11xml.dtd"' in data
    _valid(data)
    assert parse_r2_ack(load_xml(data)) == ack


@pytest.mark.parametrize(("transmission", "batch_code"), [("01", "AA"), ("02", "AE"), ("03", "AR")])
def test_transmission_code_maps_to_batch_code(transmission: str, batch_code: str) -> None:
    summary = summarize(_ack(transmission, error="parse error" if transmission == "03" else None))
    assert summary.format == "E2B_R2"
    assert summary.batch_code == batch_code


def test_summary_items_and_correlation_keys() -> None:
    summary = parse_ack(ack_to_bytes(build_r2_ack(_ack("02", LOADED, NOT_LOADED))))
    assert summary.batch_number == "ACME-MSG-77"
    assert summary.ack_message_id == "EVACK-2024-0001"
    assert summary.sender == "EVHUMAN"
    assert [(i.message_id, i.code) for i in summary.items] == [
        ("DE-ACME-0001", "CA"),
        ("DE-ACME-0002", "CR"),
    ]
    assert summary.items[0].local_report_number == "EU-EC-123"
    assert summary.items[1].error_text == "B.4.k.2.1 medicinal product name is missing"
    assert [tuple(k) for k in summary.correlation_keys] == [
        ("ACME-MSG-77", "DE-ACME-0001", "20240304090000"),
        ("ACME-MSG-77", "DE-ACME-0002", "20240304090000"),
    ]


@needs_dtd
def test_texts_over_250_characters_are_truncated() -> None:
    long = "E" * 400
    report = R2ReportAck(safety_report_id="X", code="02", error_message=long)
    data = ack_to_bytes(build_r2_ack(_ack("03", report, error=long)))
    _valid(data)
    parsed = parse_r2_ack(load_xml(data))
    for text in (parsed.acknowledgment.parsing_error_message, parsed.reports[0].error_message):
        assert text is not None
        assert len(text) == 250
        assert text.endswith(TRUNCATION_NOTE)


def test_element_order_follows_the_dtd() -> None:
    root = build_r2_ack(_ack("01", LOADED))
    report = root.find("acknowledgment/reportacknowledgment")
    assert [child.tag for child in report] == [
        "safetyreportversion",
        "safetyreportid",
        "localreportnumb",
        "authoritynumb",
        "companynumb",
        "receiptdateformat",
        "receiptdate",
        "reportacknowledgmentcode",
    ]


def test_version_after_report_id_is_also_read() -> None:
    data = ack_to_bytes(build_r2_ack(_ack("01", LOADED)))
    moved = data.replace(b"<safetyreportversion>2</safetyreportversion>", b"").replace(
        b"<safetyreportid>DE-ACME-0001</safetyreportid>",
        b"<safetyreportid>DE-ACME-0001</safetyreportid><safetyreportversion>2</safetyreportversion>",
    )
    assert parse_r2_ack(load_xml(moved)).reports[0] == LOADED


def test_unknown_codes_are_invalid() -> None:
    data = ack_to_bytes(build_r2_ack(_ack("01", LOADED)))
    with pytest.raises(InvalidAckError, match=r"A\.1\.6"):
        parse_ack(data.replace(b">01</transmission", b">09</transmission"))
    with pytest.raises(InvalidAckError, match=r"B\.1\.8"):
        parse_ack(data.replace(b">01</reportack", b">CA</reportack"))
    with pytest.raises(ValueError, match=r"A\.1\.6"):
        _ack("04")


def test_missing_message_number_is_malformed() -> None:
    data = ack_to_bytes(build_r2_ack(_ack("01", LOADED)))
    with pytest.raises(MalformedAckError, match=r"A\.1\.1"):
        parse_ack(data.replace(b"<icsrmessagenumb>ACME-MSG-77</icsrmessagenumb>", b""))
