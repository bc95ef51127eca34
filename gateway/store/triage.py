"""Triage items: what software could not decide, waiting for a person."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from gateway.ids import new_id
from gateway.store.audit import AuditEntry, record
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
    resolved_at: datetime | None = None
    resolved_by: str | None = None

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
            "resolved_at": self.resolved_at,
            "resolved_by": self.resolved_by,
        }


def open_items(conn: Connection, items: Sequence[TriageItem]) -> None:
    bulk_insert(conn, triage_items, [i.row() for i in items])


def list_open(conn: Connection, kind: str | None = None, limit: int = 1000) -> list[TriageItem]:
    return list_items(conn, status=OPEN, kind=kind, limit=limit)


def list_items(
    conn: Connection,
    *,
    status: str | None = OPEN,
    kind: str | None = None,
    case_id: str | None = None,
    limit: int = 1000,
) -> list[TriageItem]:
    """Items oldest first (``status`` None: open and resolved)."""
    q = select(triage_items).order_by(triage_items.c.created_at, triage_items.c.id)
    if status is not None:
        q = q.where(triage_items.c.status == status)
    if kind is not None:
        q = q.where(triage_items.c.kind == kind)
    if case_id is not None:
        q = q.where(triage_items.c.case_id == case_id)
    return [_item(r) for r in conn.execute(q.limit(limit))]


def get_item(conn: Connection, item_id: str) -> TriageItem | None:
    row = conn.execute(select(triage_items).where(triage_items.c.id == item_id)).first()
    return _item(row) if row is not None else None


def _item(r: Any) -> TriageItem:
    return TriageItem(
        id=r.id,
        kind=r.kind,
        reason=r.reason,
        created_at=r.created_at,
        inbound_id=r.inbound_id,
        case_id=r.case_id,
        detail=r.detail,
        status=r.status,
        resolved_at=r.resolved_at,
        resolved_by=r.resolved_by,
    )


def decide(conn: Connection, item_id: str, *, actor: str, reason: str, at: datetime) -> bool:
    """A person's decision on an open item: resolved, with who, when and why in the audit
    trail (on the case when the item names one). False when it is not open."""
    item = get_item(conn, item_id)
    if item is None or not resolve(conn, item_id, actor, at):
        return False
    record(
        conn,
        [
            AuditEntry(
                at=at,
                actor=actor,
                action="triage.resolved",
                entity_type="case" if item.case_id else "triage_item",
                entity_id=item.case_id or item.id,
                reason=reason,
                detail={"triage_item": item.id, "kind": item.kind},
            )
        ],
    )
    return True


def resolve(conn: Connection, item_id: str, by: str, at: datetime) -> bool:
    result = conn.execute(
        update(triage_items)
        .where(triage_items.c.id == item_id, triage_items.c.status == OPEN)
        .values(status=RESOLVED, resolved_at=at, resolved_by=by)
    )
    return bool(result.rowcount)


def count_open_by_kind(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(triage_items.c.kind, func.count())
        .where(triage_items.c.status == OPEN)
        .group_by(triage_items.c.kind)
    )
    return {str(kind): int(n) for kind, n in rows}


def count_open(conn: Connection) -> int:
    return int(
        conn.execute(
            select(func.count()).select_from(triage_items).where(triage_items.c.status == OPEN)
        ).scalar_one()
    )
