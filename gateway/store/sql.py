"""Small portable SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_conflicts(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]]
) -> int:
    """INSERT rows, skipping those that hit a unique key. Returns how many were new."""
    if not rows:
        return 0
    dialect = conn.dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table).on_conflict_do_nothing()
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).on_conflict_do_nothing()
    else:  # pragma: no cover - only sqlite and postgresql are accepted by settings
        raise NotImplementedError(dialect)
    # Count the rows RETURNING gives back: a multi-row INSERT's rowcount is -1 on psycopg.
    result = conn.execute(stmt.returning(*table.primary_key.columns), list(rows))
    return len(result.all())
