"""next_step: reminders on day 7 and 14, exhaustion, and stopping on answer or opt-out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gateway.domain.followup.reminders import (
    Exhausted,
    ReminderPolicy,
    SendReminder,
    Stop,
    Wait,
    next_step,
)

SENT = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def _at(days: float) -> datetime:
    return SENT + timedelta(days=days)


def test_before_the_first_reminder_is_due_wait_until_day_7() -> None:
    step = next_step(SENT, 0, answered=False, opted_out=False, now=_at(3))
    assert step == Wait(until=_at(7))


def test_first_reminder_is_sent_on_day_7() -> None:
    step = next_step(SENT, 0, answered=False, opted_out=False, now=_at(7))
    assert step == SendReminder(number=1, due_at=_at(7))


def test_second_reminder_is_due_on_day_14_after_the_first_was_sent() -> None:
    assert next_step(SENT, 1, False, False, _at(10)) == Wait(until=_at(14))
    assert next_step(SENT, 1, False, False, _at(15)) == SendReminder(number=2, due_at=_at(14))


def test_after_the_last_reminder_wait_then_exhaust_with_a_rationale() -> None:
    assert next_step(SENT, 2, False, False, _at(20)) == Wait(until=_at(21))
    step = next_step(SENT, 2, False, False, _at(21))
    assert isinstance(step, Exhausted)
    assert "2024-03-01" in step.rationale
    assert "2 reminder(s)" in step.rationale
    assert "2024-03-22" in step.rationale


def test_an_answer_stops_the_sequence() -> None:
    step = next_step(SENT, 1, answered=True, opted_out=False, now=_at(30))
    assert isinstance(step, Stop)
    assert "answered" in step.reason


def test_an_opt_out_stops_the_sequence_even_when_reminders_are_due() -> None:
    step = next_step(SENT, 0, answered=False, opted_out=True, now=_at(8))
    assert isinstance(step, Stop)
    assert "opt-out" in step.reason


def test_a_custom_policy_sets_days_and_final_wait() -> None:
    policy = ReminderPolicy(after_days=(3,), final_wait_days=2)
    assert next_step(SENT, 0, False, False, _at(3), policy) == SendReminder(1, _at(3))
    assert isinstance(next_step(SENT, 1, False, False, _at(5), policy), Exhausted)


def test_a_policy_without_reminders_exhausts_after_the_final_wait() -> None:
    policy = ReminderPolicy(after_days=(), final_wait_days=10)
    assert next_step(SENT, 0, False, False, _at(9), policy) == Wait(until=_at(10))
    assert isinstance(next_step(SENT, 0, False, False, _at(10), policy), Exhausted)


@pytest.mark.parametrize("days", [(14, 7), (0, 7), (7, 7)])
def test_reminder_days_must_be_positive_and_increasing(days: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="reminder days"):
        ReminderPolicy(after_days=days)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_step(datetime(2024, 3, 1), 0, False, False, _at(1))


def test_time_comes_from_the_arguments_only() -> None:
    """The same inputs give the same step whatever the wall clock says."""
    far_past = datetime(2001, 1, 1, tzinfo=UTC)
    step = next_step(far_past, 0, False, False, far_past + timedelta(days=1))
    assert step == Wait(until=far_past + timedelta(days=7))
