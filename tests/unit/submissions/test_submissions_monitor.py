"""The deadline monitor: due / at risk / overdue, ACK timeouts in business days, compliance."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from gateway.domain.submissions import (
    DeadlineState,
    SubmissionOutcome,
    ack_deadline,
    ack_overdue,
    business_days_between,
    compliance,
    submission_status,
)

DUE = date(2025, 3, 18)


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 3, 10), DeadlineState.DUE),
        (date(2025, 3, 14), DeadlineState.DUE),  # 4 days left
        (date(2025, 3, 15), DeadlineState.AT_RISK),  # 3 days left
        (DUE, DeadlineState.AT_RISK),  # the last day still counts
        (date(2025, 3, 19), DeadlineState.OVERDUE),
    ],
)
def test_open_submission_is_due_then_at_risk_then_overdue(
    today: date, expected: DeadlineState
) -> None:
    assert submission_status(DUE, at(today), None) is expected


def test_accepted_submission_is_met_on_time_or_late() -> None:
    now = at(date(2025, 4, 1))
    assert submission_status(DUE, now, at(DUE, 23)) is DeadlineState.MET_ON_TIME
    assert submission_status(DUE, now, at(date(2025, 3, 19), 0)) is DeadlineState.MET_LATE


def test_dates_are_compared_in_the_company_time_zone() -> None:
    # 23:30 UTC on the due date is already the next day in Berlin.
    late = datetime(2025, 3, 18, 23, 30, tzinfo=UTC)
    berlin = ZoneInfo("Europe/Berlin")
    assert submission_status(DUE, late, late) is DeadlineState.MET_ON_TIME
    assert submission_status(DUE, late, late, tz=berlin) is DeadlineState.MET_LATE
    assert submission_status(DUE, late, None, tz=berlin) is DeadlineState.OVERDUE


def test_submission_without_a_due_date_is_never_at_risk() -> None:
    assert submission_status(None, at(date(2030, 1, 1)), None) is DeadlineState.DUE
    assert submission_status(None, at(date(2030, 1, 1)), at(DUE)) is DeadlineState.MET_ON_TIME


def test_at_risk_window_is_configurable_and_not_negative() -> None:
    assert submission_status(DUE, at(date(2025, 3, 11)), None, at_risk_days=7) is (
        DeadlineState.AT_RISK
    )
    with pytest.raises(ValueError, match="at_risk_days"):
        submission_status(DUE, at(DUE), None, at_risk_days=-1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2025, 3, 7), date(2025, 3, 10), 1),  # Friday -> Monday
        (date(2025, 3, 8), date(2025, 3, 9), 0),  # Saturday -> Sunday
        (date(2025, 3, 10), date(2025, 3, 12), 2),  # Monday -> Wednesday
        (date(2025, 3, 7), date(2025, 3, 21), 10),  # two weeks
        (date(2025, 3, 10), date(2025, 3, 10), 0),
        (date(2025, 3, 12), date(2025, 3, 10), 0),
    ],
)
def test_business_days_skip_weekends(start: date, end: date, expected: int) -> None:
    assert business_days_between(start, end) == expected


def test_business_days_skip_given_holidays_on_weekdays_only() -> None:
    easter_monday, a_sunday = date(2025, 4, 21), date(2025, 4, 20)
    assert business_days_between(date(2025, 4, 18), date(2025, 4, 22)) == 2
    assert business_days_between(date(2025, 4, 18), date(2025, 4, 22), [easter_monday]) == 1
    assert business_days_between(date(2025, 4, 18), date(2025, 4, 22), [a_sunday]) == 2


def test_ack_sent_on_friday_is_overdue_after_tuesday() -> None:
    friday = datetime(2025, 3, 7, 16, 0, tzinfo=UTC)
    assert ack_deadline(friday, 2) == date(2025, 3, 11)
    assert not ack_overdue(friday, datetime(2025, 3, 11, 23, 59, tzinfo=UTC), 2)
    assert ack_overdue(friday, datetime(2025, 3, 12, 0, 1, tzinfo=UTC), 2)


def test_ack_deadline_moves_past_holidays() -> None:
    thursday = datetime(2025, 4, 17, 9, 0, tzinfo=UTC)
    holidays = [date(2025, 4, 18), date(2025, 4, 21)]  # Good Friday, Easter Monday
    assert ack_deadline(thursday, 2, holidays) == date(2025, 4, 23)
    assert not ack_overdue(thursday, datetime(2025, 4, 23, 18, tzinfo=UTC), 2, holidays)


def test_compliance_figures_per_destination() -> None:
    day0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
    now = datetime(2025, 4, 30, 12, 0, tzinfo=UTC)
    rows = [
        # EV: two on time (2 and 4 days), one late (20 days), one open overdue, one open due
        SubmissionOutcome(
            destination_id="ev", due_date=DUE, day_zero=day0, accepted_at=day0 + timedelta(2)
        ),
        SubmissionOutcome(
            destination_id="ev", due_date=DUE, day_zero=day0, accepted_at=day0 + timedelta(4)
        ),
        SubmissionOutcome(
            destination_id="ev", due_date=DUE, day_zero=day0, accepted_at=day0 + timedelta(20)
        ),
        SubmissionOutcome(destination_id="ev", due_date=DUE, day_zero=day0),
        SubmissionOutcome(destination_id="ev", due_date=date(2025, 6, 1), day_zero=day0),
        # FDA: nothing decided yet
        SubmissionOutcome(destination_id="fda", due_date=date(2025, 5, 20), day_zero=day0),
    ]
    ev, fda = compliance(rows, now=now)
    assert (ev.destination_id, ev.total, ev.accepted, ev.overdue_open) == ("ev", 5, 3, 1)
    assert ev.on_time_rate == pytest.approx(2 / 4)
    assert ev.median_days_to_positive_ack == pytest.approx(4.0)
    assert (fda.destination_id, fda.total, fda.accepted, fda.overdue_open) == ("fda", 1, 0, 0)
    assert fda.on_time_rate is None
    assert fda.median_days_to_positive_ack is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        submission_status(DUE, datetime(2025, 3, 1), None)
