"""Shared fixtures: databases (SQLite always, PostgreSQL in CI), the embedded broker."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import structlog
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from gateway.kafka.embedded import EmbeddedBroker

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure means unreachable; the reason is reported
        return f"{type(exc).__name__}: {exc}".splitlines()[0]
    return None


@pytest.fixture(autouse=True)
def _logging_configuration_restored() -> Iterator[None]:
    """A test that runs a CLI command configures logging onto its captured stream, which is
    closed afterwards: the next test's log lines must not go there."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server URL; in CI an unreachable server fails the test, elsewhere skips."""
    problem = _postgres_reachable()
    if problem is not None:
        if IN_CI:
            pytest.fail(f"PostgreSQL at {POSTGRES_URL} is unreachable in CI: {problem}")
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable (required only in CI): {problem}")
    return POSTGRES_URL


def _fresh_postgres_database(server_url: str) -> Iterator[URL]:
    name = f"icsr_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[URL]:
    """A fresh, empty database of each supported kind."""
    if request.param == "sqlite":
        yield make_url(f"sqlite:///{tmp_path}/store.sqlite3")
        return
    server = request.getfixturevalue("postgres_server")
    yield from _fresh_postgres_database(server)


@pytest.fixture(scope="session")
def embedded_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """One embedded broker for the session; tests isolate themselves with unique topic prefixes."""
    broker = EmbeddedBroker(tmp_path_factory.mktemp("broker"))
    broker.start_blocking(timeout=15)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def unique_prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}."
