"""Submissions, transmissions and acknowledgements: the store side of outbound E2B.

A submission is what one case version owes one destination (unique per case version,
destination and kind). A transmission is one batch file sent (its N.1.2 is unique and never
reused); it is written *prepared* before its bytes leave and *sent* after, so a restart
finds what may be in flight. An ACK row keeps each acknowledgement as received.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Connection, and_, bindparam, func, or_, select, tuple_, update

from gateway.domain.icsr import ICSR
from gateway.domain.serialization import load
from gateway.domain.submissions.kinds import SubmissionStatus
from gateway.ids import new_id
from gateway.store.case_updates import current_icsr
from gateway.store.sql import bulk_insert, insert_ignoring_conflicts
from gateway.store.tables import acks, case_versions, submissions, transmissions

# -- submission statuses (the domain's SubmissionStatus values, plus BUILT)
PLANNED: Final = SubmissionStatus.PLANNED.value  # due to be built and sent
BUILT: Final = "built"  # in a prepared transmission, not yet handed to the transport
DISPATCHED: Final = SubmissionStatus.DISPATCHED.value  # handed over; receipt and ACK awaited
DELIVERED: Final = SubmissionStatus.DELIVERED.value  # transport receipt in; ACK awaited
ACCEPTED: Final = SubmissionStatus.ACCEPTED.value  # CA: done
CORRECTION_REQUIRED: Final = SubmissionStatus.CORRECTION_REQUIRED.value  # CR: fix, retransmit
BATCH_REJECTED: Final = SubmissionStatus.BATCH_REJECTED.value  # AR: resend once fixed
BLOCKED: Final = SubmissionStatus.BLOCKED.value  # our own validation refused it
SUPERSEDED: Final = SubmissionStatus.SUPERSEDED.value
CANCELLED: Final = SubmissionStatus.CANCELLED.value

#: a submission in one of these has nothing more to do
FINAL: Final = frozenset({ACCEPTED, SUPERSEDED, CANCELLED})
#: in flight: sent (or about to be), the ACK not yet in
IN_FLIGHT: Final = frozenset({BUILT, DISPATCHED, DELIVERED})


def domain_status(status: str) -> SubmissionStatus:
    """The domain's view of a stored status (BUILT is in flight, as DISPATCHED)."""
    return SubmissionStatus.DISPATCHED if status == BUILT else SubmissionStatus(status)


# -- transmission statuses
PREPARED: Final = "prepared"
SENT: Final = "sent"
FAILED: Final = "failed"

# -- ACK outcomes
RECEIVED: Final = "received"
ROUTED: Final = "routed"
DUPLICATE: Final = "duplicate"
UNMATCHED: Final = "unmatched"
UNREADABLE: Final = "unreadable"


@dataclass(frozen=True, slots=True)
class SubmissionRow:
    id: str
    case_id: str
    case_version: int
    destination_id: str
    kind: str
    status: str
    rule_id: str | None
    reason: str | None
    due_date: date | None
    day_zero: datetime | None
    safety_report_id: str | None
    worldwide_case_id: str | None
    message_id: str | None
    message_date: str | None
    batch_number: str | None
    transmission_id: str | None
    retransmission_of: str | None
    local_report_number: str | None
    errors: tuple[str, ...]
    deadline_met: bool | None
    transmissions: int
    planned_at: datetime
    dispatched_at: datetime | None
    acked_at: datetime | None
    overdue_at: datetime | None
    updated_at: datetime

    @classmethod
    def of(cls, r: Any) -> SubmissionRow:
        values = dict(r._mapping)
        values["errors"] = tuple(values.get("errors") or ())
        return cls(**values)


@dataclass(frozen=True, slots=True)
class NewSubmission:
    case_id: str
    case_version: int
    destination_id: str
    kind: str
    due_date: date | None
    day_zero: datetime | None
    rule_id: str | None
    reason: str | None
    retransmission_of: str | None = None
    safety_report_id: str | None = None
    worldwide_case_id: str | None = None
    id: str = field(default_factory=lambda: new_id("SUB"))

    @property
    def key(self) -> tuple[str, int, str, str]:
        return (self.case_id, self.case_version, self.destination_id, self.kind)

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_id": self.case_id,
            "case_version": self.case_version,
            "destination_id": self.destination_id,
            "kind": self.kind,
            "status": PLANNED,
            "rule_id": self.rule_id,
            "reason": self.reason,
            "due_date": self.due_date,
            "day_zero": self.day_zero,
            "safety_report_id": self.safety_report_id,
            "worldwide_case_id": self.worldwide_case_id,
            "retransmission_of": self.retransmission_of,
            "errors": [],
            "transmissions": 0,
            "planned_at": now,
            "updated_at": now,
        }


def insert_planned(
    conn: Connection, planned: Sequence[NewSubmission], now: datetime
) -> list[NewSubmission]:
    """Insert the planned submissions not yet in the store; return those inserted."""
    if not planned:
        return []
    existing: set[tuple[str, int, str, str]] = set()
    keys = [p.key for p in planned]
    for start in range(0, len(keys), 200):
        chunk = keys[start : start + 200]
        rows = conn.execute(
            select(
                submissions.c.case_id,
                submissions.c.case_version,
                submissions.c.destination_id,
                submissions.c.kind,
            ).where(
                tuple_(
                    submissions.c.case_id,
                    submissions.c.case_version,
                    submissions.c.destination_id,
                    submissions.c.kind,
                ).in_(chunk)
            )
        )
        existing.update((r[0], r[1], r[2], r[3]) for r in rows)
    fresh: dict[tuple[str, int, str, str], NewSubmission] = {}
    for p in planned:
        if p.key not in existing and p.key not in fresh:
            fresh[p.key] = p
    # A concurrent writer may still win the race: the unique key keeps one row either way.
    insert_ignoring_conflicts(conn, submissions, [p.row(now) for p in fresh.values()])
    return list(fresh.values())


def for_case(conn: Connection, case_id: str) -> list[SubmissionRow]:
    rows = conn.execute(
        select(submissions)
        .where(submissions.c.case_id == case_id)
        .order_by(submissions.c.planned_at, submissions.c.id)
    )
    return [SubmissionRow.of(r) for r in rows]


def for_cases(conn: Connection, case_ids: Iterable[str]) -> dict[str, list[SubmissionRow]]:
    ids = sorted(set(case_ids))
    out: dict[str, list[SubmissionRow]] = {c: [] for c in ids}
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(submissions)
            .where(submissions.c.case_id.in_(ids[start : start + 500]))
            .order_by(submissions.c.planned_at, submissions.c.id)
        )
        for r in rows:
            out[r.case_id].append(SubmissionRow.of(r))
    return out


def by_ids(conn: Connection, ids: Iterable[str]) -> list[SubmissionRow]:
    wanted = sorted(set(ids))
    out: list[SubmissionRow] = []
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            select(submissions).where(submissions.c.id.in_(wanted[start : start + 500]))
        )
        out.extend(SubmissionRow.of(r) for r in rows)
    return out


def due_to_build(conn: Connection, destination_id: str, limit: int) -> list[SubmissionRow]:
    """Planned submissions of a destination, the most urgent first."""
    rows = conn.execute(
        select(submissions)
        .where(submissions.c.status == PLANNED, submissions.c.destination_id == destination_id)
        .order_by(submissions.c.due_date, submissions.c.planned_at, submissions.c.id)
        .limit(limit)
    )
    return [SubmissionRow.of(r) for r in rows]


def planned_destinations(conn: Connection) -> list[str]:
    rows = conn.execute(
        select(submissions.c.destination_id).where(submissions.c.status == PLANNED).distinct()
    )
    return sorted(r[0] for r in rows)


def update_many(conn: Connection, changes: Mapping[str, Mapping[str, Any]]) -> None:
    """Apply per-submission column changes (id → {column: value}).

    Changes naming the same columns go as one executemany of one statement: a batch of a
    hundred ICSRs is not a hundred statements to build and compile."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for sub_id, values in changes.items():
        if values:
            params = {f"v_{k}": v for k, v in values.items()}
            params["k_id"] = sub_id
            groups.setdefault(tuple(sorted(values)), []).append(params)
    for columns, rows in groups.items():
        stmt = (
            update(submissions)
            .where(submissions.c.id == bindparam("k_id"))
            .values({c: bindparam(f"v_{c}", type_=submissions.c[c].type) for c in columns})
        )
        conn.execute(stmt, rows)


def set_status(
    conn: Connection, ids: Sequence[str], status: str, now: datetime, **values: Any
) -> None:
    if not ids:
        return
    conn.execute(
        update(submissions)
        .where(submissions.c.id.in_(list(ids)))
        .values(status=status, updated_at=now, **values)
    )


def in_batch(conn: Connection, batch_number: str) -> list[SubmissionRow]:
    rows = conn.execute(
        select(submissions)
        .where(submissions.c.batch_number == batch_number)
        .order_by(submissions.c.id)
    )
    return [SubmissionRow.of(r) for r in rows]


def list_rows(
    conn: Connection,
    *,
    case_id: str | None = None,
    statuses: Iterable[str] | None = None,
    limit: int = 1000,
) -> list[SubmissionRow]:
    q = select(submissions).order_by(submissions.c.due_date, submissions.c.planned_at)
    if case_id is not None:
        q = q.where(submissions.c.case_id == case_id)
    if statuses is not None:
        q = q.where(submissions.c.status.in_(list(statuses)))
    return [SubmissionRow.of(r) for r in conn.execute(q.limit(limit))]


def count_by_status(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(submissions.c.status, func.count()).group_by(submissions.c.status)
    ).all()
    return {str(r[0]): int(r[1]) for r in rows}


# -- transmissions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TransmissionRow:
    id: str
    destination_id: str
    batch_number: str
    format: str
    file_name: str
    sha256: str
    size: int
    payload: bytes
    status: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    receipt_state: str
    receipt_due_at: datetime | None
    receipt_at: datetime | None
    ack_state: str
    ack_due_at: datetime | None
    ack_at: datetime | None
    ack_id: str | None

    @classmethod
    def of(cls, r: Any) -> TransmissionRow:
        return cls(**dict(r._mapping))


def insert_transmission(conn: Connection, row: Mapping[str, Any]) -> None:
    bulk_insert(conn, transmissions, [row])


def transmission(conn: Connection, transmission_id: str) -> TransmissionRow | None:
    r = conn.execute(select(transmissions).where(transmissions.c.id == transmission_id)).first()
    return None if r is None else TransmissionRow.of(r)


def transmission_by_batch(conn: Connection, batch_number: str) -> TransmissionRow | None:
    r = conn.execute(
        select(transmissions).where(transmissions.c.batch_number == batch_number)
    ).first()
    return None if r is None else TransmissionRow.of(r)


def unsent(conn: Connection, now: datetime) -> list[TransmissionRow]:
    """Transmissions prepared but not recorded as sent, or failed and due for a retry."""
    rows = conn.execute(
        select(transmissions)
        .where(
            or_(
                transmissions.c.status == PREPARED,
                and_(
                    transmissions.c.status == FAILED,
                    or_(
                        transmissions.c.next_attempt_at.is_(None),
                        transmissions.c.next_attempt_at <= now,
                    ),
                ),
            )
        )
        .order_by(transmissions.c.created_at)
    )
    return [TransmissionRow.of(r) for r in rows]


def update_transmission(conn: Connection, transmission_id: str, **values: Any) -> None:
    conn.execute(
        update(transmissions).where(transmissions.c.id == transmission_id).values(**values)
    )


def awaiting_ack(conn: Connection, older_than: datetime) -> list[TransmissionRow]:
    """Sent transmissions whose ACK was due before ``older_than`` and has not come."""
    rows = conn.execute(
        select(transmissions).where(
            transmissions.c.status == SENT,
            transmissions.c.ack_state == "pending",
            transmissions.c.ack_due_at < older_than,
        )
    )
    return [TransmissionRow.of(r) for r in rows]


def awaiting_receipt(conn: Connection, older_than: datetime) -> list[TransmissionRow]:
    rows = conn.execute(
        select(transmissions).where(
            transmissions.c.status == SENT,
            transmissions.c.receipt_state == "pending",
            transmissions.c.receipt_due_at < older_than,
        )
    )
    return [TransmissionRow.of(r) for r in rows]


# -- acknowledgements ---------------------------------------------------------------------


def insert_ack(conn: Connection, row: Mapping[str, Any]) -> None:
    bulk_insert(conn, acks, [row])


def ack_seen(conn: Connection, sha256: str) -> str | None:
    """The id of an earlier ACK with exactly these bytes, if any."""
    found = conn.execute(
        select(acks.c.id).where(acks.c.sha256 == sha256, acks.c.duplicate.is_(False)).limit(1)
    ).first()
    return None if found is None else str(found[0])


def set_ack_outcomes(conn: Connection, outcomes: Mapping[str, Mapping[str, Any]]) -> None:
    if not outcomes:
        return
    conn.execute(
        update(acks)
        .where(acks.c.id == bindparam("b_id"))
        .values(
            outcome=bindparam("b_outcome"),
            duplicate=bindparam("b_duplicate"),
            routed_at=bindparam("b_routed_at"),
            error=bindparam("b_error"),
        ),
        [
            {
                "b_id": ack_id,
                "b_outcome": v["outcome"],
                "b_duplicate": bool(v.get("duplicate", False)),
                "b_routed_at": v.get("routed_at"),
                "b_error": v.get("error"),
            }
            for ack_id, v in outcomes.items()
        ],
    )


def known_ack_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    wanted = sorted(set(ids))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(
            conn.execute(select(acks.c.id).where(acks.c.id.in_(wanted[start : start + 500])))
            .scalars()
            .all()
        )
    return found


def unrouted_acks(conn: Connection, older_than: datetime) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(acks).where(acks.c.outcome == RECEIVED, acks.c.received_at < older_than)
    )
    return [dict(r._mapping) for r in rows]


def ack_rows(conn: Connection, batch_number: str | None = None) -> list[dict[str, Any]]:
    q = select(acks).order_by(acks.c.received_at)
    if batch_number is not None:
        q = q.where(acks.c.batch_number == batch_number)
    return [dict(r._mapping) for r in conn.execute(q)]


# -- case versions as submitted ------------------------------------------------------------
class _IcsrCache:
    """Decoded ICSRs of case versions, most recent first out. A stored case version never
    changes (a revision is a new number), so the ICSR the planner decoded is the one the
    dispatcher sends moments later: decoding it once saves the larger part of the work."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[str, int], ICSR] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> ICSR | None:
        with self._lock:
            icsr = self._items.get(key)
            if icsr is not None:
                self._items.move_to_end(key)
            return icsr

    def put(self, key: tuple[str, int], icsr: ICSR) -> None:
        with self._lock:
            self._items[key] = icsr
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_ICSRS: Final = _IcsrCache(1024)


def version_icsr(conn: Connection, case_id: str, number: int) -> ICSR:
    """The ICSR of one case version (as ``current_icsr``: raises when there is none)."""
    icsr = _ICSRS.get((case_id, number))
    if icsr is None:
        icsr = current_icsr(conn, case_id, number)
        _ICSRS.put((case_id, number), icsr)
    return icsr


def version_icsrs(conn: Connection, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], ICSR]:
    """The ICSRs of the case versions ``keys`` that exist, by (case id, version number)."""
    out: dict[tuple[str, int], ICSR] = {}
    missing: list[tuple[str, int]] = []
    for key in sorted(set(keys)):
        icsr = _ICSRS.get(key)
        if icsr is None:
            missing.append(key)
        else:
            out[key] = icsr
    for start in range(0, len(missing), 200):
        chunk = missing[start : start + 200]
        rows = conn.execute(
            select(case_versions.c.case_id, case_versions.c.number, case_versions.c.icsr).where(
                case_versions.c.case_id.in_({c for c, _ in chunk})
            )
        )
        chosen = set(chunk)
        for r in rows:
            key = (r.case_id, r.number)
            if key in chosen:
                out[key] = load(ICSR, r.icsr)
                _ICSRS.put(key, out[key])
    return out
