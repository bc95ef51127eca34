"""The gateway's Kafka topics: their names, the schema of their values, and their keys.

Every topic carries exactly one schema (see :data:`SCHEMA_FOR_TOPIC`); values are Avro
single-object encoded (:mod:`schemas.avro`). Keys are UTF-8 strings chosen so that all
events that must be processed in order land on the same partition; :data:`TOPIC_SPECS`
says what each topic is keyed by.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from schemas.avro import SchemaName

__all__ = ["SCHEMA_FOR_TOPIC", "TOPIC_SPECS", "Topic", "TopicSpec"]


class Topic(StrEnum):
    """Kafka topic names. Members are ``str``, usable wherever a topic name is expected."""

    INTAKE_INBOUND = "icsr.intake.inbound"
    FOLLOWUP_INBOUND = "icsr.followup.inbound"
    FOLLOWUP_OUTBOUND = "icsr.followup.outbound"
    CASE_EVENTS = "icsr.case.events"
    SUBMISSION_EVENTS = "icsr.submission.events"
    ACK_EVENTS = "icsr.ack.events"
    DEAD_LETTER = "icsr.deadletter"


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """One topic: its name, the schema of its values, and what its records are keyed by."""

    name: Topic
    schema: SchemaName
    key_doc: str


TOPIC_SPECS: Final[Mapping[Topic, TopicSpec]] = MappingProxyType(
    {
        spec.name: spec
        for spec in (
            TopicSpec(
                Topic.INTAKE_INBOUND,
                SchemaName.INBOUND_REPORT,
                "thread_key when set (keeps one reporter conversation in order), else inbound_id",
            ),
            TopicSpec(
                Topic.FOLLOWUP_INBOUND,
                SchemaName.FOLLOWUP_INBOUND,
                "case_id when known, else the conversation thread key "
                "(e-mail thread root / sender address)",
            ),
            TopicSpec(
                Topic.FOLLOWUP_OUTBOUND,
                SchemaName.FOLLOWUP_OUTBOUND,
                "case_id (follow-ups of one case are sent in order)",
            ),
            TopicSpec(
                Topic.CASE_EVENTS,
                SchemaName.CASE_EVENT,
                "case_id (all versions and state changes of a case in order)",
            ),
            TopicSpec(
                Topic.SUBMISSION_EVENTS,
                SchemaName.SUBMISSION_EVENT,
                "case_id (submissions of all versions of a case in order)",
            ),
            TopicSpec(
                Topic.ACK_EVENTS,
                SchemaName.ACKNOWLEDGEMENT_EVENT,
                "batch_number (ACK.A.1) of the acknowledged batch",
            ),
            TopicSpec(
                Topic.DEAD_LETTER,
                SchemaName.DEAD_LETTER,
                "the original record's key, unchanged (null when it had none)",
            ),
        )
    }
)

#: topic name -> schema name of its values.
SCHEMA_FOR_TOPIC: Final[Mapping[str, str]] = MappingProxyType(
    {str(topic): str(spec.schema) for topic, spec in TOPIC_SPECS.items()}
)
