"""The deadline check of the case's submissions: an overdue one is blocking (the reason for
the late submission must be documented: the override reason does that); one due within the
at-risk window, or accepted late, is a warning."""

from __future__ import annotations

from gateway.domain.quality.context import QualityContext
from gateway.domain.quality.items import CheckItem, Severity, check_item
from gateway.domain.submissions.kinds import INACTIVE, SubmissionStatus
from gateway.domain.submissions.monitor import DeadlineState, submission_status


def deadline_check(context: QualityContext) -> CheckItem:
    title = "Submission deadlines"
    clocks = [
        (
            s,
            submission_status(
                s.due_date,
                context.now,
                s.accepted_at if s.status == SubmissionStatus.ACCEPTED else None,
                context.at_risk_days,
                tz=context.tz,
            ),
        )
        for s in context.submissions
        if SubmissionStatus(s.status) not in INACTIVE
    ]
    if not clocks:
        return check_item(
            "deadline",
            title,
            Severity.BLOCKING,
            ok="no submission planned for this case",
            applicable=False,
        )
    overdue = [
        (
            f"submissions.{s.destination_id}",
            f"{s.kind} submission to {s.destination_id} was due {s.due_date} and is "
            "overdue: document the reason for the delay",
        )
        for s, state in clocks
        if state is DeadlineState.OVERDUE
    ]
    if overdue:
        return check_item("deadline", title, Severity.BLOCKING, overdue, ok="")
    attention = [
        (
            f"submissions.{s.destination_id}",
            f"{s.kind} submission to {s.destination_id} is due {s.due_date}"
            if state is DeadlineState.AT_RISK
            else f"{s.kind} submission to {s.destination_id} was accepted after its due "
            f"date {s.due_date}",
        )
        for s, state in clocks
        if state in (DeadlineState.AT_RISK, DeadlineState.MET_LATE)
    ]
    return check_item(
        "deadline", title, Severity.WARNING, attention, ok="every submission is within its deadline"
    )
