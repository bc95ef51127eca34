"""Case events as consumers see them: one decoder for the case-events topic."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from consumers.envelope import Decoded
from schemas.avro import AvroCodec, SchemaName


@dataclass(frozen=True, slots=True)
class CaseEvent:
    event_id: str
    case_id: str
    version: int
    event_type: str  # CASE_RECEIVED | VERSION_CREATED | STATE_CHANGED | ...
    state: str
    occurred_at: datetime
    actor: str
    reason: str
    source_inbound_id: str | None
    significant: bool


def case_event_decoder(codec: AvroCodec) -> Callable[[bytes], Decoded[CaseEvent]]:
    def decode(data: bytes) -> Decoded[CaseEvent]:
        r = codec.decode_as(SchemaName.CASE_EVENT, data)
        event = CaseEvent(
            event_id=r["event_id"],
            case_id=r["case_id"],
            version=r["version"],
            event_type=r["event_type"],
            state=r["state"],
            occurred_at=r["occurred_at"],
            actor=r["actor"],
            reason=r["reason"],
            source_inbound_id=r["source_inbound_id"],
            significant=r["significant"],
        )
        return Decoded(event_id=event.event_id, message=event)

    return decode
