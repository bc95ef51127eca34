"""Load the destinations file (TOML): the regulators the gateway submits to.

The file holds one ``[[destinations]]`` table per destination; ``examples/destinations.toml``
documents every field. Problems are raised as ``ConfigurationError`` naming the file, the
destination and the field, so the gateway refuses to start with a message that says what
to fix.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from gateway.domain.submissions.destinations import Destination, destinations_from_config
from gateway.errors import ConfigurationError

__all__ = ["load_destinations"]


def load_destinations(path: Path) -> tuple[Destination, ...]:
    """Read and check the destinations file at ``path``."""
    setting = f"destinations file {path}"
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigurationError(setting, "does not exist") from None
    except OSError as exc:
        raise ConfigurationError(setting, f"cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(setting, f"is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"destinations"})
    if unknown:
        raise ConfigurationError(
            setting, f"unknown top-level key {unknown[0]!r} (expected [[destinations]] tables)"
        )
    rows = data.get("destinations")
    if not isinstance(rows, list) or not rows:
        raise ConfigurationError(setting, "needs at least one [[destinations]] table")
    if not all(isinstance(row, Mapping) for row in rows):
        raise ConfigurationError(setting, "destinations must be tables ([[destinations]])")
    try:
        return destinations_from_config(rows)
    except ValueError as exc:
        raise ConfigurationError(setting, str(exc)) from None
