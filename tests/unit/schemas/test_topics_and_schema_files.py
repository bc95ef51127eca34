"""The topic table and the conventions every shipped .avsc file follows."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from schemas import SCHEMA_FOR_TOPIC, TOPIC_SPECS, AvroCodec, SchemaName, Topic, TopicSpec

EXPECTED_TOPICS = {
    "icsr.intake.inbound": "InboundReport",
    "icsr.followup.inbound": "FollowUpInbound",
    "icsr.followup.outbound": "FollowUpOutbound",
    "icsr.case.events": "CaseEvent",
    "icsr.submission.events": "SubmissionEvent",
    "icsr.ack.events": "AcknowledgementEvent",
    "icsr.deadletter": "DeadLetter",
}


def _shipped() -> dict[str, dict[str, Any]]:
    files = resources.files("schemas")
    return {
        r.name: json.loads(r.read_text(encoding="utf-8"))
        for r in files.iterdir()
        if r.name.endswith(".avsc")
    }


def _records(schema: Any) -> list[dict[str, Any]]:
    """Every record definition in a schema, nested ones included."""
    found: list[dict[str, Any]] = []
    if isinstance(schema, list):
        for branch in schema:
            found += _records(branch)
    elif isinstance(schema, dict):
        if schema.get("type") == "record":
            found.append(schema)
            for field in schema["fields"]:
                found += _records(field["type"])
        else:
            found += _records(schema.get("items")) + _records(schema.get("values"))
    return found


SHIPPED = _shipped()
FIELDS = [
    pytest.param(field, id=f"{record['name']}.{field['name']}")
    for schema in SHIPPED.values()
    for record in _records(schema)
    for field in record["fields"]
]


# -- topics -----------------------------------------------------------------------------


def test_each_topic_carries_the_schema_the_contract_names() -> None:
    assert dict(SCHEMA_FOR_TOPIC) == EXPECTED_TOPICS
    assert {str(topic) for topic in Topic} == set(EXPECTED_TOPICS)


def test_every_topic_schema_is_one_the_default_codec_can_write() -> None:
    assert set(SCHEMA_FOR_TOPIC.values()) == AvroCodec.default().names


def test_every_topic_has_a_spec_saying_what_it_is_keyed_by() -> None:
    assert set(TOPIC_SPECS) == set(Topic)
    for topic, spec in TOPIC_SPECS.items():
        assert isinstance(spec, TopicSpec)
        assert spec.name is topic
        assert spec.schema in SchemaName
        assert spec.key_doc.strip()


@pytest.mark.parametrize(
    ("topic", "key_words"),
    [
        (Topic.INTAKE_INBOUND, "thread_key"),
        (Topic.CASE_EVENTS, "case_id"),
        (Topic.SUBMISSION_EVENTS, "case_id"),
        (Topic.ACK_EVENTS, "batch_number"),
        (Topic.FOLLOWUP_INBOUND, "case_id"),
        (Topic.FOLLOWUP_OUTBOUND, "case_id"),
        (Topic.DEAD_LETTER, "original"),
    ],
)
def test_the_key_doc_names_the_field_the_topic_is_keyed_by(topic: Topic, key_words: str) -> None:
    assert key_words in TOPIC_SPECS[topic].key_doc


def test_topic_members_are_plain_topic_name_strings() -> None:
    assert isinstance(Topic.CASE_EVENTS, str)
    assert str(Topic.CASE_EVENTS) == "icsr.case.events"
    assert SCHEMA_FOR_TOPIC[Topic.CASE_EVENTS] == str(SchemaName.CASE_EVENT) == "CaseEvent"


def test_the_topic_tables_are_read_only() -> None:
    with pytest.raises(TypeError):
        SCHEMA_FOR_TOPIC["icsr.other"] = "X"  # type: ignore[index]


# -- schema file conventions ------------------------------------------------------------


def test_one_schema_file_per_topic_named_after_its_record() -> None:
    names = {schema["name"] for schema in SHIPPED.values()}

    assert names == set(EXPECTED_TOPICS.values())
    assert set(SHIPPED) == {
        "inbound_report.avsc",
        "followup_inbound.avsc",
        "followup_outbound.avsc",
        "case_event.avsc",
        "submission_event.avsc",
        "acknowledgement_event.avsc",
        "dead_letter.avsc",
    }


@pytest.mark.parametrize("schema", list(SHIPPED.values()), ids=list(SHIPPED))
def test_every_record_is_documented_and_in_the_events_namespace(schema: dict[str, Any]) -> None:
    for record in _records(schema):
        assert record.get("namespace", "icsr_gateway.events") == "icsr_gateway.events"
        assert record.get("doc", "").strip()
        assert all(field.get("doc", "").strip() for field in record["fields"])
    assert schema["namespace"] == "icsr_gateway.events"
    assert schema["fields"][0] == {**schema["fields"][0], "name": "event_id", "type": "string"}


@pytest.mark.parametrize("field", FIELDS)
def test_every_optional_field_is_null_first_with_a_null_default(field: dict[str, Any]) -> None:
    if isinstance(field["type"], list):
        assert field["type"][0] == "null"
        assert len(field["type"]) == 2
        assert "default" in field
        assert field["default"] is None


@pytest.mark.parametrize("field", FIELDS)
def test_time_fields_use_the_avro_logical_types(field: dict[str, Any]) -> None:
    branches = field["type"] if isinstance(field["type"], list) else [field["type"]]
    if field["name"].endswith("_at"):
        assert branches == [{"type": "long", "logicalType": "timestamp-micros"}]
    if field["name"].endswith("_date") and field["name"] != "message_date":
        assert branches[-1] == {"type": "int", "logicalType": "date"}
