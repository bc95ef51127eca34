"""What a consumer's handler sees: decoded messages with their Kafka coordinates."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection

from gateway.store.audit import AuditEntry
from gateway.store.outbox import OutboxMessage

M = TypeVar("M")


@dataclass(frozen=True, slots=True)
class Envelope(Generic[M]):
    event_id: str
    message: M
    topic: str
    partition: int
    offset: int
    key: bytes | None


@dataclass(slots=True)
class HandlerContext:
    """Collects what a handler emits; the runner writes it in the same transaction."""

    consumer: str
    now: datetime
    #: what the consumer's ``prepare`` computed before the transaction, by event id
    prepared: Mapping[str, Any] = field(default_factory=dict)
    emitted: list[OutboxMessage] = field(default_factory=list)
    audits: list[AuditEntry] = field(default_factory=list)
    #: done by the runner once the transaction has committed (files for partners …)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def on_commit(self, action: Callable[[], None]) -> None:
        self.after_commit.append(action)

    def emit(self, message: OutboxMessage) -> None:
        self.emitted.append(message)

    def audit(self, entry: AuditEntry) -> None:
        self.audits.append(entry)


#: a handler runs inside the store transaction, on a worker thread: plain, synchronous
Handler = Callable[[Connection, Sequence[Envelope[Any]], HandlerContext], None]

#: optional pure work done before the transaction (outside the store's write lock), so
#: consumer processes sharing a SQLite store spend the lock on SQL only
Preparer = Callable[[Sequence[Envelope[Any]], datetime], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class Decoded(Generic[M]):
    event_id: str
    message: M


@dataclass(frozen=True, slots=True)
class ConsumerSpec(Generic[M]):
    """One consumer: its name (also its group and processed-events key), topic and code."""

    name: str
    topic: str
    decode: Callable[[bytes], Decoded[M]]
    handle: Handler
    prepare: Preparer | None = None
