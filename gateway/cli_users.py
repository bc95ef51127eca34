"""`icsr-gateway users` and `icsr-gateway tokens`: people who use the case API and their tokens.

A token's secret is printed once, when it is created; the store keeps only its hash.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection

from gateway.cli_common import ConfigOption
from gateway.clock import utcnow
from gateway.errors import GatewayError, InvalidMessageError
from gateway.settings import load_settings
from gateway.store import api_users, audit
from gateway.store.audit import AuditEntry

users_app = typer.Typer(help="People who use the case API.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens and their scopes.", no_args_is_help=True)
out = Console()
T = TypeVar("T")

_ACTOR = "cli"


def _run(config: Path | None, fn: Callable[[Connection], T]) -> T:
    """``fn`` in one store transaction (the schema brought to head first)."""
    from gateway.bootstrap import build_components

    try:
        comp = build_components(load_settings(config))
        comp.migrate()
        try:
            return comp.store.run_sync(fn)
        finally:
            comp.store.dispose()
    except GatewayError as exc:
        typer.echo(f"icsr-gateway: error: {exc}", err=True)
        raise typer.Exit(2) from None


def _user_id(conn: Connection, who: str) -> str:
    """A user id, or the id of the user with that name."""
    found = api_users.user(conn, who) or api_users.user_by_name(conn, who)
    if found is None:
        raise InvalidMessageError(f"there is no user {who!r}")
    return found.id


@users_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="The user's login name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True,
            hide_input=True,
            confirmation_prompt=True,
            help="Asked for when not given; it confirms deletions through the API.",
        ),
    ],
    config: ConfigOption = None,
) -> None:
    """Create a user (its password confirms deletions through the API)."""

    def create(conn: Connection) -> api_users.User:
        now = utcnow()
        user = api_users.create_user(conn, username, password, now)
        audit.record(
            conn,
            [
                AuditEntry(
                    at=now,
                    actor=_ACTOR,
                    action="user.created",
                    entity_type="api_user",
                    entity_id=user.id,
                    reason="created on the command line",
                )
            ],
        )
        return user

    user = _run(config, create)
    out.print(f"user {user.username} created: {user.id}")


@users_app.command("list")
def list_users(config: ConfigOption = None) -> None:
    """Every user."""
    users = _run(config, api_users.list_users)
    table = Table("id", "username", "created", "disabled")
    for u in users:
        table.add_row(
            u.id,
            u.username,
            u.created_at.isoformat(timespec="seconds"),
            u.disabled_at.isoformat(timespec="seconds") if u.disabled_at else "",
        )
    out.print(table)


@tokens_app.command("create")
def create_token(
    user: Annotated[str, typer.Argument(help="The user's id or name.")],
    scope: Annotated[
        list[str],
        typer.Option(
            "--scope",
            "-s",
            help=f"A scope the token carries (repeat): {', '.join(api_users.SCOPES)}.",
        ),
    ],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "api",
    config: ConfigOption = None,
) -> None:
    """Create a token; its secret is printed once and cannot be shown again."""

    def issue(conn: Connection) -> api_users.IssuedToken:
        now = utcnow()
        issued = api_users.issue_token(conn, _user_id(conn, user), name, scope, now)
        audit.record(
            conn,
            [
                AuditEntry(
                    at=now,
                    actor=_ACTOR,
                    action="token.created",
                    entity_type="api_token",
                    entity_id=issued.token.id,
                    reason="created on the command line",
                    detail={"user_id": issued.token.user_id, "scopes": sorted(issued.token.scopes)},
                )
            ],
        )
        return issued

    issued = _run(config, issue)
    typer.echo(f"token {issued.token.id} ({', '.join(sorted(issued.token.scopes))})", err=True)
    typer.echo("the secret below is shown once; keep it safe:", err=True)
    typer.echo(issued.secret)


@tokens_app.command("list")
def list_tokens(
    user: Annotated[str | None, typer.Option(help="Only this user's (id or name).")] = None,
    config: ConfigOption = None,
) -> None:
    """Every token (never its secret)."""

    def read(conn: Connection) -> list[api_users.Token]:
        return api_users.tokens(conn, _user_id(conn, user) if user else None)

    table = Table("id", "user", "name", "scopes", "created", "revoked")
    table.columns[0].no_wrap = True  # the id is what `tokens revoke` takes: never cut it
    for t in _run(config, read):
        table.add_row(
            t.id,
            t.user_id,
            t.name,
            " ".join(sorted(t.scopes)),
            t.created_at.isoformat(timespec="seconds"),
            t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "",
        )
    out.print(table)


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token's id (from `tokens list`).")],
    config: ConfigOption = None,
) -> None:
    """Revoke a token: it is refused (401) from now on."""

    def revoke(conn: Connection) -> bool:
        now = utcnow()
        done = api_users.revoke_token(conn, token_id, now)
        if done:
            audit.record(
                conn,
                [
                    AuditEntry(
                        at=now,
                        actor=_ACTOR,
                        action="token.revoked",
                        entity_type="api_token",
                        entity_id=token_id,
                        reason="revoked on the command line",
                    )
                ],
            )
        return done

    if not _run(config, revoke):
        typer.echo(f"icsr-gateway: error: no active token {token_id}", err=True)
        raise typer.Exit(1)
    out.print(f"token {token_id} revoked")
