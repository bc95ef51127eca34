"""The deadline monitor's computations: where each submission stands, ACK timeouts, and
compliance figures per destination.

* ``submission_status``: DUE, AT_RISK (due within ``at_risk_days``, today included),
  OVERDUE (open past its due date), MET_ON_TIME or MET_LATE (accepted). Dates are compared
  in the company's time zone. What counts as "met" is the moment passed as
  ``accepted_at``: regulators measure compliance on the receipt of the transmission that
  was loaded (a rejected one does not count, GVP VI.App.4), so pass the dispatch time of
  the accepted transmission when known, else the time of its positive ACK.
* ``ack_overdue``: no business ACK ``business_days`` business days (Mon-Fri, minus the
  given holidays) after dispatch; EudraVigilance answers within 2.
* ``compliance``: per destination, the on-time rate (on-time accepted / (accepted with a
  due date + open ones already overdue)), the median number of days from Day 0 to the
  positive ACK, and how many open submissions are overdue.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum

__all__ = [
    "ComplianceFigures",
    "DeadlineState",
    "SubmissionOutcome",
    "ack_deadline",
    "ack_overdue",
    "business_days_between",
    "compliance",
    "submission_status",
]

_SECONDS_PER_DAY = 86_400


class DeadlineState(StrEnum):
    DUE = "due"
    AT_RISK = "at_risk"
    OVERDUE = "overdue"
    MET_ON_TIME = "met_on_time"
    MET_LATE = "met_late"

    @property
    def is_open(self) -> bool:
        return self in {DeadlineState.DUE, DeadlineState.AT_RISK, DeadlineState.OVERDUE}


def _local_date(moment: datetime, tz: tzinfo, name: str) -> date:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")
    return moment.astimezone(tz).date()


def submission_status(
    due_date: date | None,
    now: datetime,
    accepted_at: datetime | None,
    at_risk_days: int = 3,
    *,
    tz: tzinfo = UTC,
) -> DeadlineState:
    """Where one submission stands on ``now``.

    ``due_date`` None (amendments, nullifications: no regulatory clock) is never at risk
    or overdue. An acceptance after the due date stays MET_LATE: compliance counts it.
    """
    if at_risk_days < 0:
        raise ValueError("at_risk_days must be >= 0")
    today = _local_date(now, tz, "now")
    if accepted_at is not None:
        met = _local_date(accepted_at, tz, "accepted_at")
        if due_date is None or met <= due_date:
            return DeadlineState.MET_ON_TIME
        return DeadlineState.MET_LATE
    if due_date is None:
        return DeadlineState.DUE
    if today > due_date:
        return DeadlineState.OVERDUE
    if (due_date - today).days <= at_risk_days:
        return DeadlineState.AT_RISK
    return DeadlineState.DUE


def _is_business_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def business_days_between(start: date, end: date, holidays: Iterable[date] = ()) -> int:
    """Business days after ``start`` up to and including ``end`` (0 when end <= start).

    Friday to the next Monday is 1; Monday to Wednesday is 2.
    """
    if end <= start:
        return 0
    off = frozenset(holidays)
    full_weeks, rest = divmod((end - start).days, 7)
    count = full_weeks * 5
    day = start + timedelta(days=full_weeks * 7)
    for _ in range(rest):
        day += timedelta(days=1)
        count += day.weekday() < 5
    # Holidays are few: subtract those that fall on counted weekdays.
    count -= sum(1 for h in off if start < h <= end and h.weekday() < 5)
    return count


def ack_deadline(
    dispatched_at: datetime,
    business_days: int,
    holidays: Iterable[date] = (),
    *,
    tz: tzinfo = UTC,
) -> date:
    """The last day an ACK is due: ``business_days`` business days after dispatch."""
    if business_days < 0:
        raise ValueError("business_days must be >= 0")
    off = frozenset(holidays)
    day = _local_date(dispatched_at, tz, "dispatched_at")
    remaining = business_days
    while remaining:
        day += timedelta(days=1)
        if _is_business_day(day, off):
            remaining -= 1
    return day


def ack_overdue(
    dispatched_at: datetime,
    now: datetime,
    business_days: int,
    holidays: Iterable[date] = (),
    *,
    tz: tzinfo = UTC,
) -> bool:
    """True when no ACK may still be expected: ``now`` is past the ACK deadline's day."""
    return _local_date(now, tz, "now") > ack_deadline(dispatched_at, business_days, holidays, tz=tz)


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionOutcome:
    """One submission as the monitor sees it (one row per case version and destination;
    retransmissions are the same submission)."""

    destination_id: str
    due_date: date | None
    day_zero: datetime
    accepted_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ComplianceFigures:
    destination_id: str
    total: int
    accepted: int
    #: on time / (accepted with a due date + open overdue); None when nothing is decided yet
    on_time_rate: float | None
    #: median days from Day 0 to the positive ACK (fractional); None when none accepted
    median_days_to_positive_ack: float | None
    overdue_open: int


def compliance(
    rows: Iterable[SubmissionOutcome], *, now: datetime, tz: tzinfo = UTC
) -> tuple[ComplianceFigures, ...]:
    """Compliance figures per destination, sorted by destination id."""
    groups: dict[str, list[SubmissionOutcome]] = {}
    for row in rows:
        groups.setdefault(row.destination_id, []).append(row)
    figures: list[ComplianceFigures] = []
    for destination_id in sorted(groups):
        items = groups[destination_id]
        states = [submission_status(r.due_date, now, r.accepted_at, tz=tz) for r in items]
        on_time = sum(
            1
            for r, s in zip(items, states, strict=True)
            if s is DeadlineState.MET_ON_TIME and r.due_date is not None
        )
        late = states.count(DeadlineState.MET_LATE)
        overdue = states.count(DeadlineState.OVERDUE)
        decided = on_time + late + overdue
        delays = [
            (r.accepted_at - r.day_zero).total_seconds() / _SECONDS_PER_DAY
            for r in items
            if r.accepted_at is not None
        ]
        figures.append(
            ComplianceFigures(
                destination_id=destination_id,
                total=len(items),
                accepted=len(delays),
                on_time_rate=on_time / decided if decided else None,
                median_days_to_positive_ack=statistics.median(delays) if delays else None,
                overdue_open=overdue,
            )
        )
    return tuple(figures)
