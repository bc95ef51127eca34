"""The ACK a receiver sends for a received E2B file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from schemas.e2b_ack import (
    TRUNCATION_NOTE,
    ReceivedBatch,
    ReceivedMessageResult,
    ack_for_received_r2,
    ack_for_received_r3,
    ack_to_bytes,
    build_r2_ack,
    build_r3_ack,
    format_hl7_ts,
    parse_ack,
)
from schemas.xml_safety import load_dtd, load_xml, load_xsd, validate_dtd, validate_xsd

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
R3_ACK_XSD = SHARED / "e2b" / "ich-r3-schemas" / "multicacheschemas" / "MCCI_IN200101UV01.xsd"
R2_ACK_DTD = SHARED / "e2b" / "ich-r2" / "ichicsrack11xml.dtd"

pytestmark = pytest.mark.skipif(
    not (R3_ACK_XSD.exists() and R2_ACK_DTD.exists()),
    reason=f"shared ICH E2B schemas not found under {SHARED / 'e2b'}",
)

NOW = datetime(2024, 3, 5, 10, 11, 12, tzinfo=timezone(timedelta(hours=1)))
R3_BATCH = ReceivedBatch(
    batch_number="PARTNER-BATCH-7",
    sender="PARTNER",
    receiver="ACME",
    transmission_date="20240305090000+0100",
)
R3_RESULTS = (
    ReceivedMessageResult(
        message_id="DE-PARTNER-1",
        accepted=True,
        local_report_number="ACME-CASE-1",
        message_date="20240305085959+0100",
    ),
    ReceivedMessageResult(
        message_id="DE-PARTNER-2",
        accepted=False,
        errors=("C.1.3 report type missing", "E.i.2.1b MedDRA code unknown"),
        message_date="20240305085959+0100",
    ),
    ReceivedMessageResult(
        message_id="DE-PARTNER-3",
        accepted=True,
        errors=("warning: D.1 patient initials blank",),
        local_report_number="ACME-CASE-3",
        message_date="20240305085959+0100",
        message_sender="PARTNER-SAFETY",
        message_receiver="ACME-PV",
    ),
)


def _r3_valid(data: bytes) -> None:
    assert validate_xsd(load_xml(data), load_xsd(R3_ACK_XSD)) == []


def _r2_valid(data: bytes) -> None:
    assert validate_dtd(load_xml(data), load_dtd(R2_ACK_DTD)) == []


def test_r3_ack_for_a_batch_with_a_rejected_icsr() -> None:
    ack = ack_for_received_r3(R3_BATCH, R3_RESULTS, ack_message_id="ACK-1", created=NOW)
    assert ack.code == "AE"
    assert ack.sender == "ACME"
    assert ack.receiver == "PARTNER"
    assert ack.creation_time == "20240305101112+0100"
    assert [i.code for i in ack.items] == ["CA", "CR", "CA"]
    assert ack.items[0].text is None
    assert ack.items[1].text == "C.1.3 report type missing; E.i.2.1b MedDRA code unknown"
    assert ack.items[2].text == "warning: D.1 patient initials blank"
    assert (ack.items[2].ack_receiver, ack.items[2].ack_sender) == ("PARTNER-SAFETY", "ACME-PV")
    assert (ack.items[0].ack_receiver, ack.items[0].ack_sender) == ("PARTNER", "ACME")

    data = ack_to_bytes(build_r3_ack(ack))
    _r3_valid(data)
    summary = parse_ack(data)
    assert summary.batch_code == "AE"
    assert summary.correlation_keys[1] == (
        "PARTNER-BATCH-7",
        "DE-PARTNER-2",
        "20240305085959+0100",
    )
    assert summary.items[0].local_report_number == "ACME-CASE-1"


def test_r3_ack_all_accepted() -> None:
    ack = ack_for_received_r3(
        R3_BATCH,
        [r for r in R3_RESULTS if r.accepted],
        ack_message_id="ACK-2",
        created=NOW.astimezone(UTC),
        local_message_number="LOCAL-9",
    )
    assert ack.code == "AA"
    assert ack.creation_time == "20240305091112+0000"
    assert ack.local_message_number == "LOCAL-9"
    _r3_valid(ack_to_bytes(build_r3_ack(ack)))


def test_r3_ack_for_an_unparseable_batch() -> None:
    ack = ack_for_received_r3(
        R3_BATCH, [], ack_message_id="ACK-3", created=NOW, parse_error="X" * 300
    )
    assert ack.code == "AR"
    assert ack.items == ()
    assert ack.text is not None
    assert len(ack.text) == 250
    assert ack.text.endswith(TRUNCATION_NOTE)
    _r3_valid(ack_to_bytes(build_r3_ack(ack)))


def test_r3_long_error_lists_are_cut_to_250() -> None:
    result = ReceivedMessageResult(
        message_id="M",
        accepted=False,
        errors=tuple(f"rule {n} failed" for n in range(100)),
        message_date="20240305085959+0100",
    )
    ack = ack_for_received_r3(R3_BATCH, [result], ack_message_id="A", created=NOW)
    text = ack.items[0].text
    assert text is not None
    assert 240 < len(text) <= 250
    assert text.endswith(TRUNCATION_NOTE)


def test_r3_needs_the_message_date_and_an_aware_time() -> None:
    undated = ReceivedMessageResult(message_id="M", accepted=True)
    with pytest.raises(ValueError, match=r"N\.2\.r\.4"):
        ack_for_received_r3(R3_BATCH, [undated], ack_message_id="A", created=NOW)
    with pytest.raises(ValueError, match="timezone-aware"):
        ack_for_received_r3(
            R3_BATCH, R3_RESULTS, ack_message_id="A", created=datetime(2024, 3, 5, 10)
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        format_hl7_ts(datetime(2024, 3, 5, 10))


def test_results_and_parse_error_are_exclusive_and_one_is_required() -> None:
    with pytest.raises(ValueError, match="parse_error"):
        ack_for_received_r3(R3_BATCH, [], ack_message_id="A", created=NOW)
    with pytest.raises(ValueError, match="could not be parsed"):
        ack_for_received_r2(
            R3_BATCH, R3_RESULTS, ack_message_number="A", created=NOW, parse_error="bad"
        )


R2_BATCH = ReceivedBatch(
    batch_number="PARTNER-MSG-3",
    sender="PARTNER",
    receiver="ACME",
    transmission_date="20240305090000",
)


def test_r2_ack_for_a_message_with_a_rejected_report() -> None:
    results = [
        ReceivedMessageResult(
            message_id="DE-PARTNER-1",
            accepted=True,
            local_report_number="ACME-CASE-1",
            safety_report_version="1",
            company_number="PARTNER-0001",
            receipt_date="20240301",
        ),
        ReceivedMessageResult(message_id="DE-PARTNER-2", accepted=False),
    ]
    ack = ack_for_received_r2(R2_BATCH, results, ack_message_number="ACK-R2-1", created=NOW)
    assert ack.header.message_date == "20240305101112"
    assert ack.header.sender == "ACME"
    assert ack.acknowledgment.code == "02"
    assert ack.acknowledgment.icsr_message_number == "PARTNER-MSG-3"
    assert ack.acknowledgment.icsr_message_date == "20240305090000"
    assert [r.code for r in ack.reports] == ["01", "02"]
    assert ack.reports[1].error_message == "ICSR message not loaded"

    data = ack_to_bytes(build_r2_ack(ack))
    _r2_valid(data)
    summary = parse_ack(data)
    assert summary.format == "E2B_R2"
    assert summary.batch_code == "AE"
    assert [i.code for i in summary.items] == ["CA", "CR"]


def test_r2_ack_all_loaded_and_parse_error() -> None:
    ok = ack_for_received_r2(
        R2_BATCH,
        [ReceivedMessageResult(message_id="X", accepted=True)],
        ack_message_number="A",
        created=NOW,
    )
    assert ok.acknowledgment.code == "01"
    _r2_valid(ack_to_bytes(build_r2_ack(ok)))
    rejected = ack_for_received_r2(
        R2_BATCH, [], ack_message_number="B", created=NOW, parse_error="no root element"
    )
    assert rejected.acknowledgment.code == "03"
    assert rejected.acknowledgment.parsing_error_message == "no root element"
    assert rejected.reports == ()
    _r2_valid(ack_to_bytes(build_r2_ack(rejected)))
    assert parse_ack(ack_to_bytes(build_r2_ack(rejected))).batch_code == "AR"
