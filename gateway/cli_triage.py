"""`icsr-gateway triage`: the queue of what software could not decide, and a person's
decision on each item (audited: who, when, why)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from gateway.cli_common import ConfigOption, open_store
from gateway.clock import utcnow
from gateway.store import outbox, triage
from producers.outbox_relay import EVENT_NOT_PUBLISHED

triage_app = typer.Typer(
    help="Triage: what software could not decide (list, resolve).", no_args_is_help=True
)
out = Console()


@triage_app.command("list")
def list_items(
    config: ConfigOption = None,
    kind: Annotated[str | None, typer.Option(help="Only items of this kind.")] = None,
    case: Annotated[str | None, typer.Option("--case", help="Only this case's items.")] = None,
    include_resolved: Annotated[
        bool, typer.Option("--all", help="Resolved items too, not only open ones.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines, one item each.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=100_000)] = 1000,
) -> None:
    """Triage items, oldest first (open ones unless --all)."""
    with open_store(config) as store:
        items = store.run_sync(
            lambda conn: triage.list_items(
                conn,
                status=None if include_resolved else triage.OPEN,
                kind=kind,
                case_id=case,
                limit=limit,
            )
        )
        counts = store.run_sync(triage.count_open_by_kind)
    if as_json:
        for i in items:
            typer.echo(json.dumps(i.row(), ensure_ascii=False, default=_json_value))
        return
    table = Table("id", "created", "kind", "case", "status", "reason")
    for i in items:
        table.add_row(
            i.id,
            i.created_at.isoformat(timespec="seconds"),
            i.kind,
            i.case_id or "",
            i.status,
            i.reason[:120],
        )
    out.print(table)
    summary = ", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none"
    out.print(f"{len(items)} item(s) shown; open by kind: {summary}")


@triage_app.command("resolve")
def resolve(
    item_id: Annotated[str, typer.Argument(help="The triage item's id (TR…).")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the audit trail.")],
    config: ConfigOption = None,
    actor: Annotated[str, typer.Option(help="Who decides (audit trail).")] = "cli",
) -> None:
    """Close an open item with the reason for the decision."""
    if not reason.strip():
        typer.echo("icsr-gateway: --reason must say why", err=True)
        raise typer.Exit(2)
    with open_store(config) as store, store.transaction() as conn:
        item = triage.get_item(conn, item_id)
        done = item is not None and triage.decide(
            conn, item_id, actor=actor, reason=reason.strip(), at=utcnow()
        )
    if item is None:
        typer.echo(f"icsr-gateway: no triage item {item_id}", err=True)
        raise typer.Exit(1)
    if not done:
        typer.echo(f"icsr-gateway: triage item {item_id} is not open ({item.status})", err=True)
        raise typer.Exit(1)
    out.print(f"{item_id} resolved ({item.kind}): {reason.strip()}")


@triage_app.command("republish")
def republish(
    item_id: Annotated[str, typer.Argument(help="An event_not_published item (TR…).")],
    config: ConfigOption = None,
    actor: Annotated[str, typer.Option(help="Who decides (audit trail).")] = "cli",
) -> None:
    """Publish again an event the broker refused (once its limit is raised): the event goes
    back in the outbox queue and the item is resolved; refused again, a new item opens."""
    with open_store(config) as store, store.transaction() as conn:
        item = triage.get_item(conn, item_id)
        if item is None or item.kind != EVENT_NOT_PUBLISHED or item.status != triage.OPEN:
            typer.echo(
                f"icsr-gateway: triage item {item_id} is not an open {EVENT_NOT_PUBLISHED} item",
                err=True,
            )
            raise typer.Exit(1)
        if not outbox.publish_again(conn, int(item.detail["outbox_id"])):
            typer.echo(
                f"icsr-gateway: triage item {item_id} names an outbox row that no longer exists",
                err=True,
            )
            raise typer.Exit(1)
        reason = "event put back in the outbox to be published again"
        triage.decide(conn, item_id, actor=actor, reason=reason, at=utcnow())
    out.print(
        f"event {item.detail['event_id']} is queued again; the running gateway's relay "
        "publishes it (or the next one to start)"
    )


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
