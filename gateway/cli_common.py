"""What every `icsr-gateway` command group shares: the ``--config`` option and reading the
settings with a one-line error (exit 2) instead of a traceback."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.errors import GatewayError
from gateway.settings import Settings, load_settings

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
