"""Avro schemas of the gateway's Kafka topics and the codec that reads and writes them.

The ``*.avsc`` files in this package are the contract between producers and consumers.
"""

from schemas.avro import AvroCodec, Decoded, SchemaName
from schemas.topics import SCHEMA_FOR_TOPIC, TOPIC_SPECS, Topic, TopicSpec

__all__ = [
    "SCHEMA_FOR_TOPIC",
    "TOPIC_SPECS",
    "AvroCodec",
    "Decoded",
    "SchemaName",
    "Topic",
    "TopicSpec",
]
