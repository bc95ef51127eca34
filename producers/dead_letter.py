"""Building dead letters: kept in the store and sent to the dead-letter topic via the outbox."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from gateway.store.dead_letters import DeadLetterRecord
from gateway.store.outbox import OutboxMessage
from schemas.avro import AvroCodec

MAX_ERROR_TEXT = 2000


def dead_letter_record(
    *,
    consumer: str,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes,
    headers: Sequence[tuple[str, bytes | None]],
    error: BaseException | str,
    attempts: int,
    at: datetime,
) -> DeadLetterRecord:
    if isinstance(error, BaseException):
        error_type, message = type(error).__name__, str(error)
    else:
        error_type, message = "Rejected", error
    return DeadLetterRecord(
        # Deterministic: dead-lettering the same delivery twice (after a crash) keeps one letter.
        id="DL"
        + hashlib.sha256(f"{consumer}|{topic}|{partition}|{offset}".encode()).hexdigest()[:40],
        original_topic=topic,
        original_partition=partition,
        original_offset=offset,
        original_key=key,
        original_value=value,
        original_headers=tuple(headers),
        error_type=error_type,
        error_message=message[:MAX_ERROR_TEXT],
        consumer=consumer,
        attempts=attempts,
        failed_at=at,
    )


def dead_letter_message(
    letter: DeadLetterRecord, dlq_topic: str, codec: AvroCodec
) -> OutboxMessage:
    """The dead-letter topic's record: the original bytes and headers, with the reason."""
    value = codec.encode(
        "DeadLetter",
        {
            "event_id": letter.id,
            "original_topic": letter.original_topic,
            "original_partition": letter.original_partition,
            "original_offset": letter.original_offset,
            "original_key": letter.original_key,
            "original_value": letter.original_value,
            "original_headers": [{"key": k, "value": v} for k, v in letter.original_headers],
            "error_type": letter.error_type,
            "error_message": letter.error_message,
            "consumer": letter.consumer,
            "attempts": letter.attempts,
            "failed_at": letter.failed_at,
        },
    )
    return OutboxMessage(
        event_id=letter.id,
        topic=dlq_topic,
        key=letter.original_key,
        value=value,
        headers=(
            ("x-error-type", letter.error_type),
            ("x-error", letter.error_message[:500]),
            ("x-consumer", letter.consumer),
            ("x-attempts", str(letter.attempts)),
            ("x-original-topic", letter.original_topic),
            ("x-original-partition", str(letter.original_partition)),
            ("x-original-offset", str(letter.original_offset)),
        ),
    )
