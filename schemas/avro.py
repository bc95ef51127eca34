"""Avro codec for the gateway's Kafka topics: single-object encoding over fastavro.

Every event on a gateway topic is one Avro record in *single-object encoding*
(Avro specification, "Single-object encoding")::

    C3 01 | 8-byte CRC-64-AVRO fingerprint, little-endian | Avro binary body

The fingerprint is computed over the schema's Parsing Canonical Form, so any Avro
implementation can find the writer schema from the first ten bytes. The schemas are
the ``*.avsc`` files shipped in this package; they are parsed once per process and
looked up by fingerprint, so encoding and decoding do no schema work per message.

Schemas are named by their record's simple name (``"InboundReport"``), see
:class:`SchemaName`. Decoded records are plain dicts: timestamps come back as aware
``datetime`` objects in UTC, dates as ``date``, bytes as ``bytes``, enums as ``str``.
"""

from __future__ import annotations

import io
import json
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any, Final, NoReturn, cast

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import fingerprint as _fastavro_fingerprint
from fastavro.schema import to_parsing_canonical_form
from fastavro.validation import ValidationError, validate

from gateway.errors import InvalidMessageError, UndecodablePayloadError, UnknownSchemaError

__all__ = [
    "FINGERPRINT_SIZE",
    "HEADER_SIZE",
    "MAGIC",
    "AvroCodec",
    "Decoded",
    "SchemaName",
    "crc64_avro",
    "load_package_schemas",
]

#: Marker that starts every single-object encoded message (format version 1).
MAGIC: Final = b"\xc3\x01"
#: Size of the CRC-64-AVRO fingerprint in the header.
FINGERPRINT_SIZE: Final = 8
#: Marker plus fingerprint: where the Avro body starts.
HEADER_SIZE: Final = len(MAGIC) + FINGERPRINT_SIZE

_AVSC_PACKAGE: Final = "schemas"


class SchemaName(StrEnum):
    """Names of the schemas shipped with the gateway (the record's simple name)."""

    INBOUND_REPORT = "InboundReport"
    FOLLOWUP_INBOUND = "FollowUpInbound"
    FOLLOWUP_OUTBOUND = "FollowUpOutbound"
    CASE_EVENT = "CaseEvent"
    SUBMISSION_EVENT = "SubmissionEvent"
    ACKNOWLEDGEMENT_EVENT = "AcknowledgementEvent"
    DEAD_LETTER = "DeadLetter"


@dataclass(frozen=True, slots=True)
class Decoded:
    """One decoded message: which schema wrote it, and the record as a dict."""

    schema_name: str
    record: dict[str, Any]


# Exceptions fastavro's (Cython or pure-Python) reader raises on bad input: short reads,
# bad varints, enum/union indexes out of range, invalid UTF-8, absurd lengths.
_READ_ERRORS: Final = (
    EOFError,
    ValueError,  # includes UnicodeDecodeError
    IndexError,
    KeyError,
    TypeError,
    OverflowError,
    MemoryError,
    StopIteration,
    struct.error,
)
# Exceptions fastavro's writer raises for a record that does not fit the schema.
_WRITE_ERRORS: Final = (ValueError, TypeError, KeyError, AttributeError, OverflowError)


def crc64_avro(data: bytes) -> bytes:
    """CRC-64-AVRO (Rabin) fingerprint of ``data`` as the 8 bytes written on the wire.

    The Avro specification writes the 64-bit fingerprint little-endian in the
    single-object header. fastavro returns exactly that byte order as hex (checked
    against the specification's test vector: ``"null"`` -> 7195948357588979594).
    """
    return bytes.fromhex(_fastavro_fingerprint(data.decode("utf-8"), "CRC-64-AVRO"))


@dataclass(frozen=True, slots=True)
class _Entry:
    """Everything needed to encode or decode one schema, computed once."""

    name: str
    schema: Any  # parsed fastavro schema (dict)
    fingerprint: bytes
    header: bytes
    # Top-level fields holding a timestamp; a naive datetime there is rejected.
    timestamp_fields: tuple[str, ...]
    # For older writer versions: the current schema to resolve into (None = current).
    reader_schema: Any = None
    # Top-level field names, and those typed int (the writer does not range-check them).
    field_names: frozenset[str] = frozenset()
    int_fields: tuple[str, ...] = ()


def _describe_type(schema: Any) -> str:
    """Short human form of a (parsed) schema for error messages."""
    if isinstance(schema, list):
        return " | ".join(_describe_type(branch) for branch in schema)
    if isinstance(schema, Mapping):
        kind = str(schema.get("type"))
        if kind == "enum":
            return "enum {" + ", ".join(schema.get("symbols", ())) + "}"
        if kind in ("record", "fixed"):
            return f"{kind} {_simple_name(schema)}"
        if kind == "array":
            return f"array<{_describe_type(schema.get('items'))}>"
        if kind == "map":
            return f"map<{_describe_type(schema.get('values'))}>"
        logical = schema.get("logicalType")
        return f"{kind} ({logical})" if logical else kind
    return str(schema).rsplit(".", 1)[-1]


def _describe_errors(exc: ValidationError) -> str:
    """One line per offending field; values are not echoed (they may be patient data)."""
    problems: dict[str, list[str]] = {}
    for error in exc.errors:
        field = str(getattr(error, "field", "") or "<record>")
        # "icsr_gateway.events.CaseEvent.actor" -> "CaseEvent.actor" (drop the namespace)
        parts = field.split(".")
        first = next((i for i, part in enumerate(parts) if part[:1].isupper()), 0)
        field = ".".join(parts[first:])
        datum = getattr(error, "datum", None)
        expected = _describe_type(getattr(error, "schema", None))
        if datum is None:
            got = "missing or null"
        elif type(datum) is int and expected in ("int", "long"):
            got = "out of range"
        else:
            got = f"of type {type(datum).__name__}"
        problems.setdefault(field, [got]).append(expected)
    return (
        "; ".join(
            f"field {field!r} is {got}, expected {' or '.join(dict.fromkeys(expected))}"
            for field, (got, *expected) in problems.items()
        )
        or "not a record of this schema"
    )


def _describe_write_error(exc: Exception) -> str:
    """fastavro's own message when it only names fields; otherwise no value is echoed."""
    message = str(exc)
    if message.startswith(("record contains more fields", "Field ", "no value and no default")):
        return message
    return f"a value could not be converted ({type(exc).__name__})"


def _timestamp_fields(schema: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for field in schema.get("fields", ()):
        branches = field["type"] if isinstance(field["type"], list) else [field["type"]]
        if any(
            isinstance(b, Mapping) and str(b.get("logicalType", "")).startswith("timestamp-")
            for b in branches
        ):
            names.append(field["name"])
    return tuple(names)


def _simple_name(schema: Mapping[str, Any]) -> str:
    return str(schema["name"]).rsplit(".", 1)[-1]


def _make_entry(name: str, parsed: Any, reader_schema: Any = None) -> _Entry:
    canonical = to_parsing_canonical_form(parsed)
    fp = crc64_avro(canonical.encode("utf-8"))
    return _Entry(
        name=name,
        schema=parsed,
        fingerprint=fp,
        header=MAGIC + fp,
        timestamp_fields=_timestamp_fields(parsed),
        reader_schema=reader_schema,
        field_names=frozenset(f["name"] for f in parsed.get("fields", ())),
        int_fields=tuple(
            f["name"] for f in parsed.get("fields", ()) if f["type"] in ("int", ["null", "int"])
        ),
    )


_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


def _ints_fit(entry: _Entry, record: Mapping[str, Any]) -> bool:
    for name in entry.int_fields:
        value = record.get(name)
        if isinstance(value, int) and not _INT32_MIN <= value <= _INT32_MAX:
            return False
    return True


def load_package_schemas() -> dict[str, Any]:
    """Parse every ``*.avsc`` shipped in this package; returns simple name -> parsed schema."""
    parsed: dict[str, Any] = {}
    for resource in sorted(resources.files(_AVSC_PACKAGE).iterdir(), key=lambda r: r.name):
        if not resource.name.endswith(".avsc"):
            continue
        raw = json.loads(resource.read_text(encoding="utf-8"))
        name = _simple_name(raw)
        if name in parsed:
            raise ValueError(f"two schema files define record {name!r} ({resource.name})")
        parsed[name] = parse_schema(raw)
    return parsed


class AvroCodec:
    """Encode and decode gateway events in Avro single-object encoding.

    Build it from ``name -> schema`` (raw JSON dicts or fastavro-parsed schemas), or use
    :meth:`default` for the schemas shipped with the gateway. ``previous_versions`` maps
    a name to older writer schemas of it: messages written with those decode into the
    current schema (Avro schema resolution, so added fields take their defaults).

    Instances are immutable after construction and safe to share between threads.
    """

    __slots__ = ("_by_fingerprint", "_by_name")

    def __init__(
        self,
        schemas: Mapping[str, Any],
        *,
        previous_versions: Mapping[str, Iterable[Any]] | None = None,
    ) -> None:
        self._by_name: dict[str, _Entry] = {}
        self._by_fingerprint: dict[bytes, _Entry] = {}
        for name, schema in schemas.items():
            self._add(_make_entry(str(name), parse_schema(schema)))
        for name, olds in (previous_versions or {}).items():
            current = self._entry(name)
            for old in olds:
                self._add(_make_entry(current.name, parse_schema(old), current.schema), old=True)

    def _add(self, entry: _Entry, *, old: bool = False) -> None:
        other = self._by_fingerprint.get(entry.fingerprint)
        if other is not None:
            if old and other.name == entry.name:
                return  # an "older" version identical to the current one: nothing to resolve
            raise ValueError(
                f"schemas {other.name!r} and {entry.name!r} have the same fingerprint "
                f"{entry.fingerprint.hex()}"
            )
        if not old:
            self._by_name[entry.name] = entry
        self._by_fingerprint[entry.fingerprint] = entry

    @classmethod
    def default(cls) -> AvroCodec:
        """The codec for the schemas shipped in this package (loaded once, then cached)."""
        return _default_codec()

    @property
    def names(self) -> frozenset[str]:
        """Names of the current schemas this codec writes."""
        return frozenset(self._by_name)

    def schema(self, name: str) -> Any:
        """The parsed (fastavro) schema for ``name``. Raises UnknownSchemaError."""
        return self._entry(name).schema

    def fingerprint(self, name: str) -> bytes:
        """The 8-byte CRC-64-AVRO fingerprint of ``name`` as written on the wire."""
        return self._entry(name).fingerprint

    def encode(self, name: str, record: Mapping[str, Any]) -> bytes:
        """Validate ``record`` against schema ``name`` and return it single-object encoded.

        Fields with a default (all optional ``["null", T]`` fields among them) may be
        left out. Raises :class:`InvalidMessageError` naming the schema and the offending
        field(s) when the record does not fit: missing or mistyped field, unknown field,
        enum symbol not in the schema, naive datetime for a timestamp.
        Raises :class:`UnknownSchemaError` when ``name`` is not a schema of this codec.
        """
        entry = self._entry(name)
        if not isinstance(record, Mapping):
            raise InvalidMessageError(
                f"{entry.name}: record must be a mapping, got {type(record).__name__}"
            )
        for field in entry.timestamp_fields:
            value = record.get(field)
            if isinstance(value, datetime) and value.tzinfo is None:
                raise InvalidMessageError(
                    f"{entry.name}: field {field!r} is a naive datetime; timestamps must be "
                    "timezone-aware"
                )
        buffer = io.BytesIO()
        buffer.write(entry.header)
        # The full validation is slow (it dominates a consumer's encode cost), so the happy
        # path writes directly. Only the cases the writer lets through are checked up front
        # (unknown fields, ints out of range); any write error is explained by validate().
        if record.keys() - entry.field_names or (entry.int_fields and not _ints_fit(entry, record)):
            self._explain(entry, record, None)
        try:
            schemaless_writer(buffer, entry.schema, record, strict_allow_default=True)
        except _WRITE_ERRORS as exc:
            self._explain(entry, record, exc)
        return buffer.getvalue()

    @staticmethod
    def _explain(entry: _Entry, record: Mapping[str, Any], cause: Exception | None) -> NoReturn:
        extra = sorted(record.keys() - entry.field_names)
        if extra:
            raise InvalidMessageError(
                f"{entry.name}: record does not fit the schema: unknown field(s) "
                f"{', '.join(repr(f) for f in extra)}"
            )
        try:
            validate(record, entry.schema, raise_errors=True)
        except _WRITE_ERRORS as exc:
            cause = exc
        except ValidationError as exc:
            raise InvalidMessageError(
                f"{entry.name}: record does not fit the schema: {_describe_errors(exc)}"
            ) from exc
        detail = _describe_write_error(cause) if cause is not None else "unexpected content"
        raise InvalidMessageError(
            f"{entry.name}: record does not fit the schema: {detail}"
        ) from cause

    def decode(self, data: bytes) -> Decoded:
        """Decode one single-object encoded message written with any schema of this codec.

        Raises :class:`UndecodablePayloadError` when ``data`` is not single-object encoding
        or the body is not readable with the schema its header names (truncated, garbage,
        trailing bytes), and :class:`UnknownSchemaError` when the fingerprint is unknown.
        """
        entry = self._lookup(data)
        return Decoded(entry.name, self._read_body(entry, data))

    def decode_as(self, name: str, data: bytes) -> dict[str, Any]:
        """Decode ``data`` and insist it was written with schema ``name`` (or an older version).

        Raises :class:`InvalidMessageError` when it was written with another known schema,
        and otherwise the same errors as :meth:`decode`.
        """
        expected = self._entry(name)
        entry = self._lookup(data)
        if entry.name != expected.name:
            raise InvalidMessageError(
                f"expected a {expected.name} message, got {entry.name} "
                f"(fingerprint {entry.fingerprint.hex()})"
            )
        return self._read_body(entry, data)

    # -- internals ---------------------------------------------------------------------

    def _entry(self, name: str) -> _Entry:
        try:
            return self._by_name[name]
        except KeyError:
            known = ", ".join(sorted(self._by_name))
            raise UnknownSchemaError(f"no schema named {name!r} (known: {known})") from None

    def _lookup(self, data: bytes) -> _Entry:
        if len(data) < HEADER_SIZE or data[:2] != MAGIC:
            raise UndecodablePayloadError(
                f"not Avro single-object encoding: expected marker C3 01 and an 8-byte "
                f"fingerprint, got {len(data)} bytes starting {bytes(data[:HEADER_SIZE]).hex()}"
            )
        fp = bytes(data[2:HEADER_SIZE])
        entry = self._by_fingerprint.get(fp)
        if entry is None:
            raise UnknownSchemaError(f"unknown schema fingerprint {fp.hex()}")
        return entry

    @staticmethod
    def _read_body(entry: _Entry, data: bytes) -> dict[str, Any]:
        stream = io.BytesIO(data)
        stream.seek(HEADER_SIZE)
        try:
            record = schemaless_reader(stream, entry.schema, entry.reader_schema)
        except _READ_ERRORS as exc:
            raise UndecodablePayloadError(
                f"{entry.name}: body is not a valid record ({type(exc).__name__}: {exc})"
            ) from exc
        if stream.tell() != len(data):
            raise UndecodablePayloadError(
                f"{entry.name}: {len(data) - stream.tell()} trailing bytes after the record"
            )
        if not isinstance(record, dict):
            raise UndecodablePayloadError(f"{entry.name}: body did not decode to a record")
        return cast("dict[str, Any]", record)


@cache
def _default_codec() -> AvroCodec:
    return AvroCodec(load_package_schemas())
