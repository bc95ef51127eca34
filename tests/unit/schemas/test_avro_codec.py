"""Behaviour of the Avro single-object codec over the gateway's schemas."""

from __future__ import annotations

import contextlib
import copy
import json
import random
import time
from collections.abc import Callable
from datetime import datetime
from importlib import resources
from typing import Any

import pytest
from fastavro.schema import to_parsing_canonical_form
from schema_samples import DEFAULTS, FULL, MINIMAL

from gateway.errors import (
    DecodeError,
    InvalidMessageError,
    UndecodablePayloadError,
    UnknownSchemaError,
)
from schemas.avro import HEADER_SIZE, MAGIC, AvroCodec, Decoded, SchemaName, crc64_avro

ALL_SCHEMAS = sorted(SchemaName)


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec.default()


def _reference_crc64_avro(data: bytes) -> int:
    """The Avro specification's reference CRC-64-AVRO, transcribed independently."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (empty & -(fp & 1))
        table.append(fp)
    fp = empty
    for byte in data:
        fp = (fp >> 8) ^ table[(fp ^ byte) & 0xFF]
    return fp


# -- round trips ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_a_fully_populated_record_round_trips_unchanged(codec: AvroCodec, name: str) -> None:
    record = FULL[name]

    decoded = codec.decode(codec.encode(name, record))

    assert decoded == Decoded(schema_name=name, record=record)


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_a_minimal_record_round_trips_with_the_schema_defaults_filled_in(
    codec: AvroCodec, name: str
) -> None:
    decoded = codec.decode(codec.encode(name, MINIMAL[name]))

    assert decoded.schema_name == name
    assert decoded.record == {**MINIMAL[name], **DEFAULTS[name]}


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_the_sample_records_cover_every_field_of_the_schema(codec: AvroCodec, name: str) -> None:
    fields = {field["name"] for field in codec.schema(name)["fields"]}

    assert set(FULL[name]) == fields
    assert set(MINIMAL[name]) | set(DEFAULTS[name]) == fields
    assert not set(MINIMAL[name]) & set(DEFAULTS[name])


def test_timestamps_decode_as_aware_utc_datetimes_with_microseconds(codec: AvroCodec) -> None:
    record = codec.decode(codec.encode(SchemaName.CASE_EVENT, FULL[SchemaName.CASE_EVENT])).record

    occurred_at = record["occurred_at"]
    assert isinstance(occurred_at, datetime)
    assert occurred_at.utcoffset() is not None
    assert occurred_at == FULL[SchemaName.CASE_EVENT]["occurred_at"]
    assert occurred_at.microsecond == 589793


def test_encoding_does_not_modify_the_callers_record(codec: AvroCodec) -> None:
    record = copy.deepcopy(MINIMAL[SchemaName.FOLLOWUP_INBOUND])

    codec.encode(SchemaName.FOLLOWUP_INBOUND, record)

    assert record == MINIMAL[SchemaName.FOLLOWUP_INBOUND]


def test_decode_as_returns_the_record_when_the_schema_matches(codec: AvroCodec) -> None:
    data = codec.encode(SchemaName.SUBMISSION_EVENT, FULL[SchemaName.SUBMISSION_EVENT])

    assert codec.decode_as(SchemaName.SUBMISSION_EVENT, data) == FULL[SchemaName.SUBMISSION_EVENT]


# -- the single-object header -----------------------------------------------------------


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_every_message_starts_with_c3_01_and_the_schema_fingerprint(
    codec: AvroCodec, name: str
) -> None:
    data = codec.encode(name, MINIMAL[name])

    assert data[:2] == b"\xc3\x01" == MAGIC
    assert data[2:HEADER_SIZE] == codec.fingerprint(name)
    assert len(codec.fingerprint(name)) == 8


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_the_fingerprint_is_crc64_avro_of_the_canonical_form_written_little_endian(
    codec: AvroCodec, name: str
) -> None:
    canonical = to_parsing_canonical_form(codec.schema(name)).encode()

    expected = _reference_crc64_avro(canonical).to_bytes(8, "little")

    assert codec.fingerprint(name) == expected


def test_crc64_avro_matches_the_avro_specification_test_vector() -> None:
    # Avro's SchemaNormalization test data: fingerprint64 of "null" is 7195948357588979594.
    assert crc64_avro(b'"null"') == (7195948357588979594).to_bytes(8, "little")
    assert _reference_crc64_avro(b'"null"') == 7195948357588979594


def test_every_schema_has_its_own_fingerprint(codec: AvroCodec) -> None:
    fingerprints = {codec.fingerprint(name) for name in ALL_SCHEMAS}

    assert len(fingerprints) == len(ALL_SCHEMAS)


def test_the_fingerprint_ignores_docs_and_defaults_but_not_fields() -> None:
    base = {
        "type": "record",
        "name": "R",
        "namespace": "n",
        "fields": [{"name": "a", "type": "int"}],
    }
    documented = {**base, "doc": "docs change nothing"}
    extended = {**base, "fields": [*base["fields"], {"name": "b", "type": "int", "default": 0}]}

    fp_base = AvroCodec({"R": base}).fingerprint("R")

    assert AvroCodec({"R": documented}).fingerprint("R") == fp_base
    assert AvroCodec({"R": extended}).fingerprint("R") != fp_base


# -- decode errors ----------------------------------------------------------------------


def test_an_unknown_fingerprint_raises_unknown_schema_error_naming_it_in_hex(
    codec: AvroCodec,
) -> None:
    fingerprint = bytes.fromhex("0123456789abcdef")

    with pytest.raises(UnknownSchemaError, match="0123456789abcdef"):
        codec.decode(MAGIC + fingerprint + b"\x00")


def test_unknown_schema_error_is_a_decode_error(codec: AvroCodec) -> None:
    with pytest.raises(DecodeError):
        codec.decode(MAGIC + b"\xff" * 8)


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_a_body_truncated_anywhere_raises_undecodable_payload_error_naming_the_schema(
    codec: AvroCodec, name: str
) -> None:
    data = codec.encode(name, FULL[name])

    for end in range(HEADER_SIZE, len(data)):
        with pytest.raises(UndecodablePayloadError, match=name):
            codec.decode(data[:end])


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_trailing_bytes_after_the_record_raise_undecodable_payload_error(
    codec: AvroCodec, name: str
) -> None:
    data = codec.encode(name, MINIMAL[name])

    with pytest.raises(UndecodablePayloadError, match=rf"{name}: 3 trailing bytes"):
        codec.decode(data + b"xyz")


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\xc3", id="marker-only-half"),
        pytest.param(b"\xc3\x01\x00\x01\x02", id="fingerprint-cut-short"),
        pytest.param(b'{"event_id": "e1"}', id="json"),
        pytest.param(b"Obj\x01" + b"\x00" * 16, id="avro-container-file"),
        pytest.param(b"\x00\x00\x00\x00\x01" + b"\x02" * 10, id="confluent-wire-format"),
        pytest.param(b"\xc3\x02" + b"\x00" * 12, id="wrong-format-version"),
    ],
)
def test_bytes_that_are_not_single_object_encoding_raise_undecodable_payload_error(
    codec: AvroCodec, data: bytes
) -> None:
    with pytest.raises(UndecodablePayloadError, match="not Avro single-object encoding"):
        codec.decode(data)


@pytest.mark.parametrize("name", ALL_SCHEMAS)
def test_garbage_after_a_known_header_never_escapes_as_another_exception(
    codec: AvroCodec, name: str
) -> None:
    header = MAGIC + codec.fingerprint(name)
    rng = random.Random(name)

    for _ in range(300):
        body = rng.randbytes(rng.randint(0, 80))
        with contextlib.suppress(UndecodablePayloadError):
            codec.decode(header + body)


def test_an_enum_index_out_of_range_raises_undecodable_payload_error(codec: AvroCodec) -> None:
    data = bytearray(
        codec.encode(SchemaName.ACKNOWLEDGEMENT_EVENT, MINIMAL["AcknowledgementEvent"])
    )
    # event_id "ev-6" (len 4 -> zigzag 08), inbound_id null (00), then the format enum index.
    assert data[HEADER_SIZE : HEADER_SIZE + 6] == b"\x08ev-6\x00"
    data[HEADER_SIZE + 6] = 0x7E  # index 63

    with pytest.raises(UndecodablePayloadError, match="AcknowledgementEvent"):
        codec.decode(bytes(data))


# -- decode_as --------------------------------------------------------------------------


def test_decode_as_rejects_a_message_written_with_another_schema(codec: AvroCodec) -> None:
    data = codec.encode(SchemaName.CASE_EVENT, MINIMAL[SchemaName.CASE_EVENT])

    with pytest.raises(
        InvalidMessageError, match="expected a SubmissionEvent message, got CaseEvent"
    ):
        codec.decode_as(SchemaName.SUBMISSION_EVENT, data)


def test_decode_as_rejects_an_unknown_fingerprint_as_unknown_schema(codec: AvroCodec) -> None:
    with pytest.raises(UnknownSchemaError, match="ffffffffffffffff"):
        codec.decode_as(SchemaName.CASE_EVENT, MAGIC + b"\xff" * 8 + b"\x00")


# -- encode errors ----------------------------------------------------------------------


def _without(record: dict[str, Any], field: str) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key != field}


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (SchemaName.CASE_EVENT, "actor"),
        (SchemaName.INBOUND_REPORT, "headers"),
        (SchemaName.DEAD_LETTER, "original_value"),
        (SchemaName.ACKNOWLEDGEMENT_EVENT, "items"),
    ],
)
def test_a_record_missing_a_required_field_raises_invalid_message_error_naming_schema_and_field(
    codec: AvroCodec, name: str, field: str
) -> None:
    with pytest.raises(InvalidMessageError, match=rf"^{name}: .*'{name}\.{field}' is missing"):
        codec.encode(name, _without(MINIMAL[name], field))


@pytest.mark.parametrize(
    ("name", "field", "value", "problem"),
    [
        (SchemaName.CASE_EVENT, "version", "2", "of type str, expected int"),
        (SchemaName.CASE_EVENT, "version", 2**31, "out of range"),
        (SchemaName.CASE_EVENT, "event_type", "CASE_EXPLODED", "expected enum {CASE_RECEIVED"),
        (SchemaName.CASE_EVENT, "source_inbound_id", 7, "expected null or string"),
        (SchemaName.INBOUND_REPORT, "payload", "text, not bytes", "expected null or bytes"),
        (SchemaName.INBOUND_REPORT, "attributes", {"a": 1}, "expected string"),
        (SchemaName.SUBMISSION_EVENT, "due_date", 3.5, "expected null or int \\(date\\)"),
    ],
)
def test_a_mistyped_field_raises_invalid_message_error_naming_the_field(
    codec: AvroCodec, name: str, field: str, value: object, problem: str
) -> None:
    with pytest.raises(InvalidMessageError, match=rf"'{name}\.{field}' .*{problem}"):
        codec.encode(name, {**FULL[name], field: value})


def test_a_bad_field_in_a_nested_record_is_named_by_its_record(codec: AvroCodec) -> None:
    record = copy.deepcopy(FULL[SchemaName.ACKNOWLEDGEMENT_EVENT])
    record["items"][1]["code"] = "XX"

    with pytest.raises(InvalidMessageError, match=r"'AckItem\.code' .*expected enum \{CA, CR\}"):
        codec.encode(SchemaName.ACKNOWLEDGEMENT_EVENT, record)


def test_invalid_message_errors_do_not_echo_field_values(codec: AvroCodec) -> None:
    secret = "patient Jane Doe, born 1970-01-01"

    with pytest.raises(InvalidMessageError) as caught:
        codec.encode(SchemaName.CASE_EVENT, {**FULL[SchemaName.CASE_EVENT], "version": secret})

    assert secret not in str(caught.value)


def test_a_string_that_is_not_an_iso_date_raises_invalid_message_error(codec: AvroCodec) -> None:
    record = {**FULL[SchemaName.SUBMISSION_EVENT], "due_date": "next Tuesday"}

    with pytest.raises(InvalidMessageError, match=r"SubmissionEvent: .*could not be converted"):
        codec.encode(SchemaName.SUBMISSION_EVENT, record)


def test_something_that_is_not_a_mapping_raises_invalid_message_error(codec: AvroCodec) -> None:
    with pytest.raises(InvalidMessageError, match="CaseEvent: record must be a mapping, got list"):
        codec.encode(SchemaName.CASE_EVENT, [("event_id", "e")])  # type: ignore[arg-type]


def test_a_field_the_schema_does_not_have_raises_invalid_message_error(codec: AvroCodec) -> None:
    record = {**MINIMAL[SchemaName.CASE_EVENT], "severity": "serious"}

    with pytest.raises(InvalidMessageError, match=r"CaseEvent: .*severity"):
        codec.encode(SchemaName.CASE_EVENT, record)


def test_a_naive_datetime_for_a_timestamp_raises_invalid_message_error(codec: AvroCodec) -> None:
    naive = datetime(2025, 3, 14, 9, 0)  # naive on purpose
    record = {**MINIMAL[SchemaName.DEAD_LETTER], "failed_at": naive}

    with pytest.raises(InvalidMessageError, match="'failed_at' is a naive datetime"):
        codec.encode(SchemaName.DEAD_LETTER, record)


@pytest.mark.parametrize("method", ["encode", "fingerprint", "decode_as", "schema"])
def test_an_unknown_schema_name_raises_unknown_schema_error(codec: AvroCodec, method: str) -> None:
    calls: dict[str, Callable[[], object]] = {
        "encode": lambda: codec.encode("NoSuchEvent", {}),
        "fingerprint": lambda: codec.fingerprint("NoSuchEvent"),
        "decode_as": lambda: codec.decode_as("NoSuchEvent", b""),
        "schema": lambda: codec.schema("NoSuchEvent"),
    }

    with pytest.raises(UnknownSchemaError, match="no schema named 'NoSuchEvent'"):
        calls[method]()


# -- schema evolution -------------------------------------------------------------------

V1 = {
    "type": "record",
    "name": "Thing",
    "namespace": "icsr_gateway.events",
    "fields": [{"name": "id", "type": "string"}],
}
V2 = {
    **V1,
    "fields": [
        *V1["fields"],
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "tries", "type": "int", "default": 1},
    ],
}


def test_a_message_from_an_older_schema_version_decodes_with_the_new_defaults() -> None:
    old_message = AvroCodec({"Thing": V1}).encode("Thing", {"id": "t-1"})
    codec = AvroCodec({"Thing": V2}, previous_versions={"Thing": [V1]})

    decoded = codec.decode(old_message)

    assert decoded == Decoded("Thing", {"id": "t-1", "note": None, "tries": 1})
    assert codec.decode_as("Thing", old_message) == decoded.record


def test_a_message_from_an_older_version_is_unknown_unless_that_version_is_registered() -> None:
    old_message = AvroCodec({"Thing": V1}).encode("Thing", {"id": "t-1"})

    with pytest.raises(UnknownSchemaError):
        AvroCodec({"Thing": V2}).decode(old_message)


def test_new_messages_are_always_written_with_the_current_version() -> None:
    codec = AvroCodec({"Thing": V2}, previous_versions={"Thing": [V1]})

    data = codec.encode("Thing", {"id": "t-1"})

    assert data[2:HEADER_SIZE] == AvroCodec({"Thing": V2}).fingerprint("Thing")


def test_two_schemas_with_the_same_canonical_form_are_refused() -> None:
    with pytest.raises(ValueError, match="same fingerprint"):
        AvroCodec({"A": V1, "B": {**V1, "doc": "same shape"}})


# -- loading and speed ------------------------------------------------------------------


def test_the_default_codec_loads_every_shipped_schema_once(codec: AvroCodec) -> None:
    shipped = [r for r in resources.files("schemas").iterdir() if r.name.endswith(".avsc")]

    assert AvroCodec.default() is codec
    assert len(shipped) == len(SchemaName)
    assert codec.names == set(SchemaName)


def test_a_codec_can_be_built_from_raw_json_schemas() -> None:
    raw = json.loads(resources.files("schemas").joinpath("case_event.avsc").read_text())
    codec = AvroCodec({"CaseEvent": raw})

    assert codec.fingerprint("CaseEvent") == AvroCodec.default().fingerprint("CaseEvent")


def test_ten_thousand_messages_encode_and_decode_well_within_a_second(codec: AvroCodec) -> None:
    record = FULL[SchemaName.INBOUND_REPORT]
    started = time.perf_counter()

    for _ in range(10_000):
        codec.decode(codec.encode(SchemaName.INBOUND_REPORT, record))

    # ~0.2 s on a laptop; the bound only catches per-message schema work creeping in.
    assert time.perf_counter() - started < 2.0
