"""Cases and their immutable versions, kept as JSON of the domain model."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select

from gateway.domain.case import Case, CaseVersion, Provenance
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.serialization import dump, load
from gateway.store.sql import bulk_insert, insert_ignoring_conflicts
from gateway.store.tables import case_keys, case_versions, cases


def _version_row(v: CaseVersion) -> dict[str, Any]:
    return {
        "case_id": v.case_id,
        "number": v.number,
        "state": v.state.value,
        "icsr": dump(v.icsr),
        "actor": v.provenance.actor,
        "action": v.provenance.action,
        "reason": v.provenance.reason,
        "source_ref": v.provenance.source_ref,
        "created_at": v.provenance.at,
    }


@dataclass(frozen=True, slots=True)
class NewCaseRows:
    """The rows of newly opened cases, computed before the transaction when wanted."""

    cases: list[dict[str, Any]]
    versions: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class IntakeDecision:
    """What intake decided about a new case, kept beside it for lists and deadlines."""

    channel: str | None = None
    valid: bool | None = None
    missing_criteria: tuple[str, ...] = ()
    day_zero: datetime | None = None
    serious: bool | None = None
    expedited: bool | None = None


def rows_for_new(
    new_cases: Sequence[tuple[Case, str | None]], decision: IntakeDecision | None = None
) -> NewCaseRows:
    d = decision or IntakeDecision()
    return NewCaseRows(
        cases=[
            {
                "id": case.case_id,
                "state": case.state.value,
                "current_version": case.current.number,
                "source_inbound_id": source,
                "created_at": case.versions[0].provenance.at,
                "updated_at": case.current.provenance.at,
                "channel": d.channel,
                "valid": d.valid,
                "missing_criteria": list(d.missing_criteria),
                "day_zero": d.day_zero,
                "serious": d.serious,
                "expedited": d.expedited,
            }
            for case, source in new_cases
        ],
        versions=[_version_row(v) for case, _ in new_cases for v in case.versions],
    )


def insert_rows(conn: Connection, rows: Sequence[NewCaseRows]) -> None:
    bulk_insert(conn, cases, [r for part in rows for r in part.cases])
    bulk_insert(conn, case_versions, [r for part in rows for r in part.versions])


def insert_new(conn: Connection, new_cases: Sequence[tuple[Case, str | None]]) -> None:
    """Insert newly opened cases (with the inbound record each came from) and their versions."""
    if new_cases:
        insert_rows(conn, [rows_for_new(new_cases)])


def load_case(conn: Connection, case_id: str) -> Case | None:
    rows = conn.execute(
        select(case_versions)
        .where(case_versions.c.case_id == case_id)
        .order_by(case_versions.c.number)
    ).all()
    if not rows:
        return None
    versions = tuple(
        CaseVersion(
            case_id=r.case_id,
            number=r.number,
            icsr=load(ICSR, r.icsr),
            state=CaseState(r.state),
            provenance=Provenance(
                actor=r.actor,
                action=r.action,
                at=r.created_at,
                reason=r.reason,
                source_ref=r.source_ref,
            ),
        )
        for r in rows
    )
    return Case(case_id=case_id, versions=versions)


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(cases)).scalar_one())


def add_keys(conn: Connection, keys: Mapping[str, Iterable[str]]) -> None:
    """Index cases under lookup keys (source ids, duplicate-search blocking keys)."""
    insert_ignoring_conflicts(
        conn, case_keys, [{"case_id": c, "key": k[:300]} for c, ks in keys.items() for k in ks]
    )


def cases_with_keys(conn: Connection, keys: Sequence[str]) -> dict[str, set[str]]:
    """key → the cases indexed under it (only keys that have cases)."""
    found: dict[str, set[str]] = {}
    wanted = [k[:300] for k in keys]
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(case_keys.c.key, case_keys.c.case_id).where(
                case_keys.c.key.in_(wanted[start : start + 500])
            )
        )
        for key, case_id in rows:
            found.setdefault(key, set()).add(case_id)
    return found


def shared_keys(conn: Connection, keys: Sequence[str]) -> set[str]:
    """Those of ``keys`` under which more than one case is indexed."""
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(
            conn.execute(
                select(case_keys.c.key)
                .where(case_keys.c.key.in_(keys[start : start + 500]))
                .group_by(case_keys.c.key)
                .having(func.count() > 1)
            ).scalars()
        )
    return found


def latest_cases_with_keys(
    conn: Connection,
    keys: Sequence[str],
    *,
    exclude: str,
    limit: int,
    hidden: Collection[str] = (),
) -> list[str]:
    """The ``limit`` highest case ids indexed under any of ``keys`` (but ``exclude``), in
    ascending order: the selection is done in SQL, not by reading every case under a key.

    ``hidden``: cases to answer as if they were not (yet) in the store."""
    wanted = [k[:300] for k in keys]
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            conn.execute(
                select(case_keys.c.case_id)
                .where(
                    case_keys.c.key.in_(wanted[start : start + 500]),
                    case_keys.c.case_id != exclude,
                )
                .distinct()
                .order_by(case_keys.c.case_id.desc())
                .limit(limit + len(hidden))
            ).scalars()
        )
    if hidden:
        found.difference_update(hidden)
    return sorted(found)[-limit:]


def latest_cases_by_key(conn: Connection, limits: Mapping[str, int]) -> dict[str, list[str]]:
    """For each key, the ``limits[key]`` highest case ids indexed under it, highest first
    (keys with no case are left out). One query per distinct limit (and 500 keys), however
    many keys: the selection per key is done in SQL, not by reading every case under it."""
    by_limit: dict[int, list[str]] = {}
    for key, limit in limits.items():
        by_limit.setdefault(limit, []).append(key[:300])
    found: dict[str, list[str]] = {}
    for limit, keys in sorted(by_limit.items()):
        keys.sort()
        for start in range(0, len(keys), 500):
            rank = (
                func.row_number()
                .over(partition_by=case_keys.c.key, order_by=case_keys.c.case_id.desc())
                .label("rank")
            )
            ranked = (
                select(case_keys.c.key, case_keys.c.case_id, rank)
                .where(case_keys.c.key.in_(keys[start : start + 500]))
                .subquery()
            )
            rows = conn.execute(
                select(ranked.c.key, ranked.c.case_id)
                .where(ranked.c.rank <= limit)
                .order_by(ranked.c.key, ranked.c.rank)
            )
            for key, case_id in rows:
                found.setdefault(key, []).append(case_id)
    return found


def current_versions(conn: Connection, case_ids: Iterable[str]) -> dict[str, int]:
    """The current version number of each case (no ICSR is read)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = conn.execute(select(cases.c.id, cases.c.current_version).where(cases.c.id.in_(ids)))
    return {r.id: r.current_version for r in rows}


def current_icsrs(conn: Connection, case_ids: Iterable[str]) -> dict[str, ICSR]:
    """The current version's ICSR of each case (for duplicate scoring)."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = conn.execute(
        select(case_versions.c.case_id, case_versions.c.icsr)
        .join(
            cases,
            (cases.c.id == case_versions.c.case_id)
            & (cases.c.current_version == case_versions.c.number),
        )
        .where(cases.c.id.in_(ids))
    )
    return {r.case_id: load(ICSR, r.icsr) for r in rows}


#: the row of one immutable version (also written by gateway.store.case_updates)
version_row = _version_row
