"""What every `icsr-gateway` command group shares: the ``--config`` option and reading the
settings with a one-line error (exit 2) instead of a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gateway.errors import GatewayError
from gateway.settings import Settings, load_settings

if TYPE_CHECKING:
    from gateway.store.engine import Store

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML configuration file (also ICSR_CONFIG).")
]


def settings_or_exit(config: Path | None) -> Settings:
    """The settings, or exit 2 with one line naming the setting that is wrong."""
    try:
        return load_settings(config)
    except GatewayError as exc:
        typer.echo(f"icsr-gateway: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


@contextmanager
def open_store(config: Path | None) -> Iterator[Store]:
    """The configured store, migrated, disposed of afterwards."""
    from gateway.bootstrap import build_components

    comp = build_components(settings_or_exit(config))
    comp.migrate()
    try:
        yield comp.store
    finally:
        comp.store.dispose()
