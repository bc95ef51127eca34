"""No patient or reporter identifiers in logs."""

from __future__ import annotations

import io
import json

from gateway.logs import REDACTED, configure_logging, get_logger, scrub


def test_personal_fields_and_contact_details_in_free_text_are_redacted() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    get_logger("test").info(
        "reply received",
        from_address="ana.example@clinic.example",
        patient_name="J. Doe",
        detail="call me on +34 612 345 678 or mail j.doe@mail.example",
        case_id="C-1",
        attempts=3,
    )
    line = json.loads(stream.getvalue())
    assert line["from_address"] == REDACTED
    assert line["patient_name"] == REDACTED
    assert line["detail"] == f"call me on {REDACTED} or mail {REDACTED}"
    assert (line["case_id"], line["attempts"]) == ("C-1", 3)


def test_nested_values_are_redacted_too() -> None:
    stream = io.StringIO()
    configure_logging("INFO", "json", stream)
    get_logger("test").info(
        "x", context={"reporter": {"name": "Ana"}, "note": "whatsapp:+14155550100"}
    )
    line = json.loads(stream.getvalue())
    assert line["context"] == {"reporter": REDACTED, "note": REDACTED}


def test_network_addresses_and_timestamps_are_not_mistaken_for_phone_numbers() -> None:
    for text in ("127.0.0.1:9092", "2026-11-22T02:49:21", "batch 2024-0001"):
        assert scrub(text) == text
