"""`icsr-gateway submissions`: what was sent to which regulator, deadlines, compliance."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection

from gateway.cli_common import ConfigOption, settings_or_exit
from gateway.clock import utcnow
from gateway.domain.submissions.monitor import (
    DeadlineState,
    SubmissionOutcome,
    compliance,
    submission_status,
)
from gateway.settings import Settings
from gateway.store import audit
from gateway.store import submissions as store
from gateway.store.audit import AuditEntry

submissions_app = typer.Typer(
    help="Regulatory submissions: list, deadlines, compliance, resend.", no_args_is_help=True
)
out = Console()


def _rows(
    config: Path | None, case_id: str | None = None
) -> tuple[Settings, list[store.SubmissionRow]]:
    from gateway.bootstrap import build_components

    settings = settings_or_exit(config)
    comp = build_components(settings)
    comp.migrate()
    try:
        rows = comp.store.run_sync(
            lambda conn: store.list_rows(conn, case_id=case_id, limit=100_000)
        )
    finally:
        comp.store.dispose()
    return settings, rows


def _day(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


def _open(row: store.SubmissionRow) -> bool:
    return row.status not in store.FINAL


@submissions_app.command("list")
def list_submissions(
    config: ConfigOption = None,
    case: Annotated[
        str | None, typer.Option("--case", help="Only this case's submissions.")
    ] = None,
) -> None:
    """Every submission: case version, destination, kind, status, batch, dates."""
    _, rows = _rows(config, case)
    table = Table(
        "case", "v", "destination", "kind", "status", "due", "batch (N.1.2)", "sent", "ACK",
        "local no.", "errors",
    )  # fmt: skip
    for r in rows:
        table.add_row(
            r.case_id,
            str(r.case_version),
            r.destination_id,
            r.kind,
            r.status,
            r.due_date.isoformat() if r.due_date else "",
            r.batch_number or "",
            _day(r.dispatched_at),
            _day(r.acked_at),
            r.local_report_number or "",
            "; ".join(r.errors)[:80],
        )
    out.print(table)
    out.print(f"{len(rows)} submission(s)")


@submissions_app.command("deadlines")
def deadlines(
    config: ConfigOption = None,
    all_: Annotated[bool, typer.Option("--all", help="Also accepted submissions.")] = False,
) -> None:
    """Open submissions by deadline: due, at risk, overdue."""
    settings, rows = _rows(config)
    tz = zoneinfo.ZoneInfo(settings.submission_timezone)
    now = utcnow()
    table = Table("state", "due", "case", "v", "destination", "kind", "status")
    counts: dict[str, int] = {}
    for r in sorted(rows, key=lambda r: (r.due_date is None, r.due_date)):
        if r.status in (store.SUPERSEDED, store.CANCELLED):
            continue
        accepted_at = (r.dispatched_at or r.acked_at) if r.status == store.ACCEPTED else None
        state = submission_status(
            r.due_date, now, accepted_at, settings.submission_at_risk_days, tz=tz
        )
        if not all_ and not state.is_open:
            continue
        counts[state.value] = counts.get(state.value, 0) + 1
        style = {DeadlineState.OVERDUE: "red", DeadlineState.AT_RISK: "yellow"}.get(state, "")
        table.add_row(
            f"[{style}]{state.value}[/{style}]" if style else state.value,
            r.due_date.isoformat() if r.due_date else "(no clock)",
            r.case_id,
            str(r.case_version),
            r.destination_id,
            r.kind,
            r.status,
        )
    out.print(table)
    out.print(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing open")


@submissions_app.command("compliance")
def compliance_figures(config: ConfigOption = None) -> None:
    """Per destination: on-time rate and median days from Day 0 to the positive ACK."""
    settings, rows = _rows(config)
    tz = zoneinfo.ZoneInfo(settings.submission_timezone)
    retransmitted = {r.retransmission_of for r in rows if r.retransmission_of}
    outcomes = [
        SubmissionOutcome(
            destination_id=r.destination_id,
            due_date=r.due_date,
            day_zero=r.day_zero,
            # met on the send of the accepted transmission (a rejected one does not count)
            accepted_at=(r.dispatched_at or r.acked_at) if r.status == store.ACCEPTED else None,
        )
        for r in rows
        # one row per submission: a corrected retransmission stands for the rejected one
        if r.day_zero is not None
        and r.id not in retransmitted
        and r.status not in (store.SUPERSEDED, store.CANCELLED)
    ]
    table = Table(
        "destination", "submissions", "accepted", "on-time rate", "median days to CA",
        "overdue open",
    )  # fmt: skip
    for f in compliance(outcomes, now=utcnow(), tz=tz):
        table.add_row(
            f.destination_id,
            str(f.total),
            str(f.accepted),
            f"{f.on_time_rate:.1%}" if f.on_time_rate is not None else "-",
            f"{f.median_days_to_positive_ack:.2f}"
            if f.median_days_to_positive_ack is not None
            else "-",
            str(f.overdue_open),
        )
    out.print(table)


@submissions_app.command("resend")
def resend(
    batch_number: Annotated[str, typer.Argument(help="The rejected batch (N.1.2).")],
    config: ConfigOption = None,
    by: Annotated[str, typer.Option(help="Who decided the fault is fixed.")] = "cli",
) -> None:
    """Send the ICSRs of a batch rejected as a whole (AR) again, in a new batch, once the
    fault is fixed. The running gateway's dispatcher picks them up."""
    from gateway.bootstrap import build_components

    comp = build_components(settings_or_exit(config))
    comp.migrate()

    def plan_again(conn: Connection) -> int:
        subs = [s for s in store.in_batch(conn, batch_number) if s.status == store.BATCH_REJECTED]
        now = utcnow()
        store.set_status(conn, [s.id for s in subs], store.PLANNED, now)
        audit.record(
            conn,
            [
                AuditEntry(
                    at=now,
                    actor=by,
                    action="submission.resend",
                    entity_type="case",
                    entity_id=s.case_id,
                    reason=f"batch {batch_number} rejected (AR); fault fixed, resent",
                    detail={"submission_id": s.id, "batch_number": batch_number},
                )
                for s in subs
            ],
        )
        return len(subs)

    try:
        n = comp.store.run_sync(plan_again)
    finally:
        comp.store.dispose()
    out.print(f"{n} submission(s) of batch {batch_number} planned again")
