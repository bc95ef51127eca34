"""The audit log: every case decision with who, when, what and why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from gateway.store.sql import bulk_insert
from gateway.store.tables import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    reason: str
    detail: Mapping[str, Any] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "reason": self.reason,
            "detail": dict(self.detail),
        }


def record(conn: Connection, entries: Sequence[AuditEntry]) -> None:
    if entries:
        bulk_insert(conn, audit_log, [e.row() for e in entries])


def trail(conn: Connection, entity_type: str, entity_id: str) -> list[AuditEntry]:
    rows = conn.execute(
        select(audit_log)
        .where(audit_log.c.entity_type == entity_type, audit_log.c.entity_id == entity_id)
        .order_by(audit_log.c.id)
    )
    return [
        AuditEntry(
            at=r.at,
            actor=r.actor,
            action=r.action,
            entity_type=r.entity_type,
            entity_id=r.entity_id,
            reason=r.reason,
            detail=r.detail,
        )
        for r in rows
    ]
