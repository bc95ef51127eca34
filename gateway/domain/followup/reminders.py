"""When to remind a reporter, and when follow-up is exhausted: ``next_step``.

A request is sent; with no answer, reminders go out ``after_days`` days after the
request (default day 7 and day 14); ``final_wait_days`` after the last reminder without
an answer, follow-up is *exhausted* and the case can be closed with the returned
rationale (a case is never left open forever waiting for answers). An answer or an
opt-out stops the sequence at once.

Time comes in as arguments (a controllable clock); nothing here reads the system time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

__all__ = [
    "DEFAULT_REMINDER_POLICY",
    "Exhausted",
    "ReminderPolicy",
    "SendReminder",
    "Step",
    "Stop",
    "Wait",
    "next_step",
]


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """Reminder offsets in days from the first request, strictly increasing."""

    after_days: tuple[int, ...] = (7, 14)
    #: days after the last reminder (or the request, with no reminders) before giving up
    final_wait_days: int = 7

    def __post_init__(self) -> None:
        if any(not isinstance(d, int) or d < 1 for d in self.after_days):
            raise ValueError(f"reminder days must be positive integers, got {self.after_days!r}")
        if any(b <= a for a, b in pairwise(self.after_days)):
            raise ValueError(f"reminder days must increase, got {self.after_days!r}")
        if not isinstance(self.final_wait_days, int) or self.final_wait_days < 1:
            raise ValueError(
                f"final_wait_days must be a positive integer, got {self.final_wait_days!r}"
            )

    @property
    def exhausted_after_days(self) -> int:
        last = self.after_days[-1] if self.after_days else 0
        return last + self.final_wait_days


DEFAULT_REMINDER_POLICY = ReminderPolicy()


@dataclass(frozen=True, slots=True)
class SendReminder:
    """Send reminder ``number`` (1-based) now; it was due at ``due_at``."""

    number: int
    due_at: datetime


@dataclass(frozen=True, slots=True)
class Wait:
    """Nothing to do before ``until``."""

    until: datetime


@dataclass(frozen=True, slots=True)
class Exhausted:
    """No answer after every reminder: close the follow-up with ``rationale``."""

    rationale: str


@dataclass(frozen=True, slots=True)
class Stop:
    """The sequence ends: the reporter answered or opted out (``reason``)."""

    reason: str


Step = SendReminder | Wait | Exhausted | Stop


def _aware(value: datetime, name: str) -> None:
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got {value!r}")


def next_step(
    sent_at: datetime,
    reminders_sent: int,
    answered: bool,
    opted_out: bool,
    now: datetime,
    policy: ReminderPolicy = DEFAULT_REMINDER_POLICY,
) -> Step:
    """What to do with an unanswered (or answered) request at ``now``."""
    _aware(sent_at, "sent_at")
    _aware(now, "now")
    if reminders_sent < 0:
        raise ValueError(f"reminders_sent cannot be negative, got {reminders_sent}")
    # opt-out first: an opted-out reporter may also have answered, and must not hear again
    if opted_out:
        return Stop(reason="the reporter asked not to be contacted again (opt-out)")
    if answered:
        return Stop(reason="the reporter answered the request")
    if reminders_sent < len(policy.after_days):
        due = sent_at + timedelta(days=policy.after_days[reminders_sent])
        if now >= due:
            return SendReminder(number=reminders_sent + 1, due_at=due)
        return Wait(until=due)
    exhausted_at = sent_at + timedelta(days=policy.exhausted_after_days)
    if now < exhausted_at:
        return Wait(until=exhausted_at)
    days = ", ".join(str(d) for d in policy.after_days) or "none"
    return Exhausted(
        rationale=(
            f"Follow-up exhausted: no answer to the request sent on {sent_at.date().isoformat()} "
            f"after {reminders_sent} reminder(s) (policy: reminders on day(s) {days}, "
            f"follow-up closed {policy.exhausted_after_days} days after the request, on "
            f"{exhausted_at.date().isoformat()})."
        )
    )
