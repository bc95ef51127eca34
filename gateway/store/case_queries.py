"""Case lists for the case API: filters, full-text search, ordering and pagination, plus what
the API keeps on the case row (soft delete, duplicate decision).

Search works alike on SQLite and PostgreSQL: each case row holds ``search_text``, every text
value of its current version folded (lower case, no accents, one space between words), and
``search_version``, the version it was built from. Versions are written by many paths
(intake, follow-up replies, the API), so instead of each of them keeping the text, a search
first refreshes the rows whose ``search_version`` is behind (``refresh_search_text``), then
matches every query word with ``LIKE`` on the folded text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final, Literal

from sqlalchemy import ColumnElement, Connection, and_, func, or_, select, update

from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.serialization import dump
from gateway.store import cases as case_rows
from gateway.store.tables import audit_log, case_keys, case_versions, cases, submissions

OrderBy = Literal["id", "created_at", "updated_at", "day_zero", "state"]
ORDER_COLUMNS: Final[dict[str, Any]] = {
    "id": cases.c.id,
    "created_at": cases.c.created_at,
    "updated_at": cases.c.updated_at,
    "day_zero": cases.c.day_zero,
    "state": cases.c.state,
}
MAX_PAGE_SIZE: Final = 200
_REFRESH_BATCH: Final = 500
_SEARCH_TEXT_MAX: Final = 200_000
#: submission statuses that prove an ICSR left for a regulator
_SENT_STATUSES: Final = frozenset(
    {"built", "dispatched", "delivered", "accepted", "correction_required", "batch_rejected"}
)


def fold(text: str) -> str:
    """Comparable text: "Náusea  SEVERA" -> "nausea severa"."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(plain.split())


def _texts(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        if "nullFlavor" in value:  # a masked or unknown value has no text to find
            return
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def search_text_of(case_id: str, icsr: ICSR) -> str:
    """Every text value of the ICSR as stored (narrative, verbatim terms, product names,
    reporter and patient fields, identifiers), folded, with the case id."""
    text = fold(" ".join([case_id, *_texts(dump(icsr))]))
    return text[:_SEARCH_TEXT_MAX]


def refresh_search_text(conn: Connection) -> int:
    """Rebuild ``search_text`` of the cases whose current version is newer than it."""
    refreshed = 0
    stale = or_(cases.c.search_version.is_(None), cases.c.search_version != cases.c.current_version)
    while True:
        rows = conn.execute(
            select(cases.c.id, cases.c.current_version).where(stale).limit(_REFRESH_BATCH)
        ).all()
        if not rows:
            return refreshed
        icsrs = case_rows.current_icsrs(conn, [r.id for r in rows])
        for r in rows:
            icsr = icsrs.get(r.id)
            conn.execute(
                update(cases)
                .where(cases.c.id == r.id, cases.c.current_version == r.current_version)
                .values(
                    search_text=search_text_of(r.id, icsr) if icsr is not None else r.id.lower(),
                    search_version=r.current_version,
                )
            )
        refreshed += len(rows)


def needs_search_refresh(conn: Connection) -> bool:
    return (
        conn.execute(
            select(cases.c.id)
            .where(
                or_(
                    cases.c.search_version.is_(None),
                    cases.c.search_version != cases.c.current_version,
                )
            )
            .limit(1)
        ).first()
        is not None
    )


def _like_escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True, slots=True)
class CaseFilter:
    q: str | None = None
    #: receipt date range (the case's first receipt, ``created_at``), both ends included
    received_from: date | None = None
    received_to: date | None = None
    state: CaseState | None = None
    include_deleted: bool = False
    order_by: OrderBy = "id"
    order_dir: Literal["asc", "desc"] = "desc"
    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        if self.page < 1:
            raise ValueError("page starts at 1")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        if (
            self.received_from is not None
            and self.received_to is not None
            and self.received_from > self.received_to
        ):
            raise ValueError("the date range ends before it starts")

    @property
    def words(self) -> list[str]:
        return fold(self.q).split() if self.q else []


@dataclass(frozen=True, slots=True)
class CaseListRow:
    id: str
    state: CaseState
    version: int
    created_at: datetime
    updated_at: datetime
    day_zero: datetime | None
    serious: bool | None
    valid: bool | None
    channel: str | None


@dataclass(frozen=True, slots=True)
class CasePage:
    items: list[CaseListRow]
    total: int


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _conditions(f: CaseFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if not f.include_deleted:
        where.append(cases.c.state != CaseState.DELETED.value)
    if f.state is not None:
        where.append(cases.c.state == f.state.value)
    if f.received_from is not None:
        where.append(cases.c.created_at >= _start_of(f.received_from))
    if f.received_to is not None:
        where.append(cases.c.created_at < _start_of(f.received_to + timedelta(days=1)))
    for word in f.words:
        where.append(cases.c.search_text.like(f"%{_like_escaped(word)}%", escape="\\"))
    return where


def list_cases(conn: Connection, f: CaseFilter) -> CasePage:
    """One page of cases; the search text must be fresh (``refresh_search_text``) when
    ``f.q`` is set."""
    where = _conditions(f)
    total = int(
        conn.execute(select(func.count()).select_from(cases).where(and_(True, *where))).scalar_one()
    )
    column = ORDER_COLUMNS[f.order_by]
    direction = column.asc() if f.order_dir == "asc" else column.desc()
    tie = cases.c.id.asc() if f.order_dir == "asc" else cases.c.id.desc()
    rows = conn.execute(
        select(
            cases.c.id,
            cases.c.state,
            cases.c.current_version,
            cases.c.created_at,
            cases.c.updated_at,
            cases.c.day_zero,
            cases.c.serious,
            cases.c.valid,
            cases.c.channel,
        )
        .where(and_(True, *where))
        .order_by(direction.nulls_last(), tie)
        .limit(f.page_size)
        .offset((f.page - 1) * f.page_size)
    ).all()
    return CasePage(
        items=[
            CaseListRow(
                id=r.id,
                state=CaseState(r.state),
                version=r.current_version,
                created_at=r.created_at,
                updated_at=r.updated_at,
                day_zero=r.day_zero,
                serious=r.serious,
                valid=r.valid,
                channel=r.channel,
            )
            for r in rows
        ],
        total=total,
    )


@dataclass(frozen=True, slots=True)
class CaseApiState:
    """What the API keeps on the case row beyond the workflow."""

    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    deleted_by: str | None
    deleted_reason: str | None
    duplicate_decision: str | None
    duplicate_of: str | None
    duplicate_decided_at: datetime | None
    duplicate_decided_by: str | None


def api_state(conn: Connection, case_id: str) -> CaseApiState | None:
    r = conn.execute(
        select(
            cases.c.created_at,
            cases.c.updated_at,
            cases.c.deleted_at,
            cases.c.deleted_by,
            cases.c.deleted_reason,
            cases.c.duplicate_decision,
            cases.c.duplicate_of,
            cases.c.duplicate_decided_at,
            cases.c.duplicate_decided_by,
        ).where(cases.c.id == case_id)
    ).first()
    return CaseApiState(**r._mapping) if r is not None else None


def existing_ids(conn: Connection, case_ids: Iterable[str]) -> dict[str, CaseState]:
    ids = list(dict.fromkeys(case_ids))
    found: dict[str, CaseState] = {}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(cases.c.id, cases.c.state).where(cases.c.id.in_(ids[start : start + 500]))
        )
        found.update({r.id: CaseState(r.state) for r in rows})
    return found


def mark_deleted(conn: Connection, case_id: str, by: str, reason: str, at: datetime) -> None:
    conn.execute(
        update(cases)
        .where(cases.c.id == case_id)
        .values(deleted_at=at, deleted_by=by, deleted_reason=reason)
    )


def set_duplicate_decision(
    conn: Connection,
    case_id: str,
    decision: Literal["unique", "duplicate"],
    master: str | None,
    by: str,
    at: datetime,
) -> None:
    conn.execute(
        update(cases)
        .where(cases.c.id == case_id)
        .values(
            duplicate_decision=decision,
            duplicate_of=master,
            duplicate_decided_at=at,
            duplicate_decided_by=by,
        )
    )


def ever_submitted(conn: Connection, case_id: str) -> bool:
    """True when an ICSR of the case ever went to a regulator: a version written while
    SUBMITTED, a move to SUBMITTED in the audit trail, or a submission sent."""
    state = CaseState.SUBMITTED.value
    if conn.execute(
        select(case_versions.c.number)
        .where(case_versions.c.case_id == case_id, case_versions.c.state == state)
        .limit(1)
    ).first():
        return True
    if conn.execute(
        select(audit_log.c.id)
        .where(
            audit_log.c.entity_type == "case",
            audit_log.c.entity_id == case_id,
            audit_log.c.action == f"transition:{state}",
        )
        .limit(1)
    ).first():
        return True
    return (
        conn.execute(
            select(submissions.c.id)
            .where(
                submissions.c.case_id == case_id,
                or_(
                    submissions.c.status.in_(sorted(_SENT_STATUSES)),
                    submissions.c.transmissions > 0,
                    submissions.c.dispatched_at.is_not(None),
                ),
            )
            .limit(1)
        ).first()
        is not None
    )


def keys_of(conn: Connection, case_ids: Sequence[str]) -> dict[str, set[str]]:
    """The lookup keys each case is indexed under (source ids, blocking keys)."""
    found: dict[str, set[str]] = {}
    for start in range(0, len(case_ids), 500):
        rows = conn.execute(
            select(case_keys.c.case_id, case_keys.c.key).where(
                case_keys.c.case_id.in_(case_ids[start : start + 500])
            )
        )
        for case_id, key in rows:
            found.setdefault(case_id, set()).add(key)
    return found


@dataclass(frozen=True, slots=True)
class VersionInfo:
    number: int
    state: CaseState
    actor: str
    action: str
    reason: str
    source_ref: str | None
    created_at: datetime


def versions_of(conn: Connection, case_id: str) -> list[VersionInfo]:
    """The case's versions without their content, oldest first."""
    rows = conn.execute(
        select(
            case_versions.c.number,
            case_versions.c.state,
            case_versions.c.actor,
            case_versions.c.action,
            case_versions.c.reason,
            case_versions.c.source_ref,
            case_versions.c.created_at,
        )
        .where(case_versions.c.case_id == case_id)
        .order_by(case_versions.c.number)
    )
    return [
        VersionInfo(
            number=r.number,
            state=CaseState(r.state),
            actor=r.actor,
            action=r.action,
            reason=r.reason,
            source_ref=r.source_ref,
            created_at=r.created_at,
        )
        for r in rows
    ]


def version_icsr(conn: Connection, case_id: str, number: int) -> Any | None:
    """The stored JSON of one version's ICSR, or None when there is no such version."""
    return conn.execute(
        select(case_versions.c.icsr).where(
            case_versions.c.case_id == case_id, case_versions.c.number == number
        )
    ).scalar()
