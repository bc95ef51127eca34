"""`icsr-gateway case`: changes a person makes to a case from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from gateway.cli_common import ConfigOption, settings_or_exit
from gateway.clock import utcnow
from gateway.errors import ConfigurationError, GatewayError
from gateway.store.nullification import Nullified, nullify_case

cases_app = typer.Typer(help="Cases: nullify.", no_args_is_help=True)
out = Console()


@cases_app.command("nullify")
def nullify(
    case_id: Annotated[str, typer.Argument(help="The case to withdraw (its id, C…).")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (C.1.11.2), e.g. 'duplicate of C-…'.")
    ],
    config: ConfigOption = None,
    actor: Annotated[str, typer.Option("--actor", help="Who decided it (audit trail).")] = "cli",
) -> None:
    """Nullify a case sent to regulators: a new version with C.1.11.1 = 1 and the reason,
    the case NULLIFIED, and a nullification planned for every regulator that received it
    (the running gateway sends them)."""
    from gateway.bootstrap import build_components

    comp = build_components(settings_or_exit(config))
    try:
        comp.migrate()
        writer = comp.case_writer()
        done: Nullified = comp.store.run_sync(
            lambda conn: nullify_case(
                conn, writer, case_id=case_id, reason=reason, actor=actor, now=utcnow()
            )
        )
    except GatewayError as exc:
        kind = "configuration error" if isinstance(exc, ConfigurationError) else "error"
        typer.echo(f"icsr-gateway: {kind}: {exc}", err=True)
        raise typer.Exit(2) from None
    finally:
        comp.store.dispose()
    out.print(
        f"case {done.case_id} nullified in version {done.version}; nullification to "
        f"{', '.join(done.destinations)} planned by the running gateway"
    )
    if done.cancelled:
        out.print(f"{len(done.cancelled)} submission(s) never sent were cancelled")
