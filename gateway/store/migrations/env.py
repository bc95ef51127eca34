"""Alembic environment: the connection is handed in by gateway.store.migrate."""

from __future__ import annotations

from alembic import context

from gateway.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # `alembic` command line: build from the configured URL
    from sqlalchemy import create_engine

    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "set sqlalchemy.url or run migrations through `icsr-gateway db upgrade`"
    connection = create_engine(url).connect()

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
