"""What the deadline monitor reads: one row per submission that still counts.

Superseded and cancelled submissions never count; a submission answered CR or AR and then
retransmitted is represented by its retransmission (the same regulatory obligation, GVP
VI.App.4: the clock does not stop).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, select

from gateway.store import submissions as store
from gateway.store.tables import submissions

__all__ = ["MonitoredSubmission", "monitored_submissions"]


@dataclass(frozen=True, slots=True)
class MonitoredSubmission:
    destination_id: str
    status: str
    due_date: date | None
    day_zero: datetime | None
    dispatched_at: datetime | None
    acked_at: datetime | None

    @property
    def accepted(self) -> bool:
        return self.status == store.ACCEPTED


def monitored_submissions(conn: Connection) -> list[MonitoredSubmission]:
    c = submissions.c
    rows = conn.execute(
        select(
            c.id,
            c.retransmission_of,
            c.destination_id,
            c.status,
            c.due_date,
            c.day_zero,
            c.dispatched_at,
            c.acked_at,
        ).where(c.status.not_in([store.SUPERSEDED, store.CANCELLED]))
    ).all()
    retransmitted = {r.retransmission_of for r in rows if r.retransmission_of}
    return [
        MonitoredSubmission(
            destination_id=r.destination_id,
            status=r.status,
            due_date=r.due_date,
            day_zero=r.day_zero,
            dispatched_at=r.dispatched_at,
            acked_at=r.acked_at,
        )
        for r in rows
        if r.id not in retransmitted
    ]
