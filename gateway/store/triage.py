"""Triage items: what software could not decide, waiting for a person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from gateway.ids import new_id
from gateway.store.sql import bulk_insert
from gateway.store.tables import triage_items

OPEN = "open"
RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class TriageItem:
    kind: str  # e.g. "malformed_email", "e2b_import_rejected", "ambiguous_thread"
    reason: str
    created_at: datetime
    inbound_id: str | None = None
    case_id: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: new_id("TR"))
    status: str = OPEN

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "kind": self.kind,
            "reason": self.reason,
            "inbound_id": self.inbound_id,
            "case_id": self.case_id,
            "status": self.status,
            "detail": dict(self.detail),
            "resolved_at": None,
            "resolved_by": None,
        }


def open_items(conn: Connection, items: Sequence[TriageItem]) -> None:
    bulk_insert(conn, triage_items, [i.row() for i in items])


def list_open(conn: Connection, kind: str | None = None, limit: int = 1000) -> list[TriageItem]:
    q = (
        select(triage_items)
        .where(triage_items.c.status == OPEN)
        .order_by(triage_items.c.created_at)
    )
    if kind is not None:
        q = q.where(triage_items.c.kind == kind)
    return [
        TriageItem(
            id=r.id,
            kind=r.kind,
            reason=r.reason,
            created_at=r.created_at,
            inbound_id=r.inbound_id,
            case_id=r.case_id,
            detail=r.detail,
            status=r.status,
        )
        for r in conn.execute(q.limit(limit))
    ]


def resolve(conn: Connection, item_id: str, by: str, at: datetime) -> bool:
    result = conn.execute(
        update(triage_items)
        .where(triage_items.c.id == item_id, triage_items.c.status == OPEN)
        .values(status=RESOLVED, resolved_at=at, resolved_by=by)
    )
    return bool(result.rowcount)


def count_open(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(triage_items).where(triage_items.c.status == OPEN)
        ).scalar_one()
    )
