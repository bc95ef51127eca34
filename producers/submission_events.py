"""SubmissionEvent records (topic icsr.submission.events): one per step of a submission."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol

from gateway.ids import new_id
from gateway.store.outbox import OutboxMessage
from schemas.avro import AvroCodec, SchemaName


def submission_event(
    codec: AvroCodec,
    topic: str,
    *,
    submission_id: str,
    case_id: str,
    case_version: int,
    destination_id: str,
    event_type: str,
    now: datetime,
    due_date: date | None = None,
    batch_number: str | None = None,
    message_id: str | None = None,
    detail: str | None = None,
) -> OutboxMessage:
    """``event_type``: PLANNED, BUILT, DISPATCHED, TRANSPORT_RECEIPT, ACKNOWLEDGED,
    CORRECTION_REQUIRED, RESEND_REQUIRED or OVERDUE. Keyed by case id."""
    event_id = new_id("SE")
    value = codec.encode(
        SchemaName.SUBMISSION_EVENT,
        {
            "event_id": event_id,
            "submission_id": submission_id,
            "case_id": case_id,
            "case_version": case_version,
            "destination_id": destination_id,
            "event_type": event_type,
            "batch_number": batch_number,
            "message_id": message_id,
            "due_date": due_date,
            "occurred_at": now,
            "detail": detail[:2000] if detail else None,
        },
    )
    return OutboxMessage(event_id=event_id, topic=topic, key=case_id.encode(), value=value)


class SubmissionRef(Protocol):
    """What names a submission in its events: a stored row or one being planned."""

    @property
    def id(self) -> str: ...
    @property
    def case_id(self) -> str: ...
    @property
    def case_version(self) -> int: ...
    @property
    def destination_id(self) -> str: ...


def event_about(
    codec: AvroCodec,
    topic: str,
    sub: SubmissionRef,
    event_type: str,
    now: datetime,
    *,
    due_date: date | None = None,
    batch_number: str | None = None,
    message_id: str | None = None,
    detail: str | None = None,
) -> OutboxMessage:
    """``submission_event`` for ``sub``: its id, case, version and destination."""
    return submission_event(
        codec,
        topic,
        submission_id=sub.id,
        case_id=sub.case_id,
        case_version=sub.case_version,
        destination_id=sub.destination_id,
        event_type=event_type,
        now=now,
        due_date=due_date,
        batch_number=batch_number,
        message_id=message_id,
        detail=detail,
    )
