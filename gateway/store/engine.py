"""Building the store's engine: SQLite (WAL) by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError, OperationalError

from gateway.errors import StoreUnavailableError

T = TypeVar("T")


def build_engine(url: URL) -> Engine:
    """An engine tuned for the gateway: WAL and a busy timeout on SQLite, pre-ping on PostgreSQL."""
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            from pathlib import Path

            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy drive transactions (BEGIN) itself; pysqlite's own handling
            # would defer BEGIN and break isolation between processes.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:
            # IMMEDIATE takes the write lock up front: no deadlock between two writers.
            # Reads (WAL: they see a snapshot and never block a writer) take no lock.
            if conn.get_execution_options().get("read_only"):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)


class WriterLock:
    """Queues SQLite writers, in this process and across processes, before BEGIN IMMEDIATE.

    SQLite's own busy handler makes a waiting writer sleep with a growing back-off (up to
    100 ms), so two consumer processes spend most of their time asleep. A blocking flock on
    a lock file beside the database wakes the next writer as soon as the lock is released.
    """

    def __init__(self, database: str) -> None:
        self._path = f"{database}-writer.lock"
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def __enter__(self) -> None:
        self._thread_lock.acquire()
        try:
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._thread_lock.release()
            raise

    def __exit__(self, *_exc: object) -> None:
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class Store:
    """The engine plus the two ways to use it: a transaction, or a transaction off the loop."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        database = engine.url.database
        self._writer_lock: WriterLock | contextlib.nullcontext[None] = (
            WriterLock(database)
            if engine.dialect.name == "sqlite" and database and database != ":memory:"
            else contextlib.nullcontext()
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        try:
            with self._writer_lock, self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            raise StoreUnavailableError(f"store did not answer: {exc.orig}") from exc

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only transaction: a consistent view that waits for no writer."""
        try:
            with self.engine.connect() as conn:
                conn = conn.execution_options(read_only=True)
                with conn.begin():
                    yield conn
        except OperationalError as exc:
            raise StoreUnavailableError(f"store did not answer: {exc.orig}") from exc

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in a read-only transaction on a worker thread."""

        def run() -> T:
            with self.snapshot() as conn:
                return fn(conn, *args)

        return await asyncio.to_thread(run)

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        with self.transaction() as conn:
            return fn(conn, *args)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(conn, *args)`` in one transaction on a worker thread (never blocks the loop)."""
        return await asyncio.to_thread(self.run_sync, fn, *args)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
        if isinstance(self._writer_lock, WriterLock):
            self._writer_lock.close()
