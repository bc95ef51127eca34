"""Concurrent accepts share store transactions, and each sender still gets its own answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.engine import make_url

from channels.acceptance import Acceptance, InboundAcceptor
from gateway.store.engine import Store, build_engine
from gateway.store.inbound import InboundRecord
from gateway.store.migrate import upgrade
from gateway.store.tables import inbound_messages, outbox
from schemas.avro import AvroCodec

T = TypeVar("T")


class CountingStore(Store):
    """Counts write transactions."""

    transactions = 0

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        self.transactions += 1
        return super().run_sync(fn, *args)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CountingStore]:
    store = CountingStore(build_engine(make_url(f"sqlite:///{tmp_path}/store.sqlite3")))
    upgrade(store.engine)
    yield store
    store.dispose()


def count(store: Store, table: Any) -> int:
    with store.snapshot() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


async def accept(acceptor: InboundAcceptor, source_id: str) -> Acceptance:
    return await acceptor.accept(
        channel="EMAIL",
        source_id=source_id,
        payload=f"Subject: report {source_id}\r\n\r\nrash after drug".encode(),
        content_type="message/rfc822",
        headers={"Subject": f"report {source_id}"},
        thread_key=f"<{source_id}@example.org>",
    )


async def test_concurrent_mails_are_stored_in_a_shared_transaction(store: CountingStore) -> None:
    wakes: list[int] = []
    acceptor = InboundAcceptor(store, AvroCodec.default(), on_enqueued=lambda: wakes.append(1))
    results = await asyncio.gather(*(accept(acceptor, f"m{n}") for n in range(20)))
    assert len({r.inbound_id for r in results}) == 20
    assert not any(r.duplicate for r in results)
    assert count(store, inbound_messages) == 20
    assert count(store, outbox) == 20
    assert store.transactions <= 2  # not one per mail
    assert wakes  # the relay is told


async def test_the_same_source_twice_in_one_group_is_stored_once(store: CountingStore) -> None:
    acceptor = InboundAcceptor(store, AvroCodec.default())
    first, other, again = await asyncio.gather(
        accept(acceptor, "same"), accept(acceptor, "other"), accept(acceptor, "same")
    )
    assert not first.duplicate
    assert not other.duplicate
    assert again.duplicate
    assert again.inbound_id == first.inbound_id
    assert count(store, inbound_messages) == 2
    assert count(store, outbox) == 2


async def test_a_record_the_store_refuses_does_not_refuse_the_rest_of_its_group(
    store: CountingStore,
) -> None:
    acceptor = InboundAcceptor(store, AvroCodec.default())
    persist_many = acceptor._persist_many

    def refuse_poison(
        conn: Connection, items: Sequence[tuple[InboundRecord, bool]]
    ) -> list[Acceptance]:
        if any(record.source_id == "poison" for record, _ in items):
            raise RuntimeError("the store refuses this record")
        return persist_many(conn, items)

    acceptor._persist_many = refuse_poison  # type: ignore[method-assign]
    results = await asyncio.gather(
        accept(acceptor, "a"), accept(acceptor, "poison"), accept(acceptor, "b"),
        return_exceptions=True,
    )  # fmt: skip
    assert isinstance(results[1], RuntimeError)
    assert isinstance(results[0], Acceptance)
    assert isinstance(results[2], Acceptance)
    assert count(store, inbound_messages) == 2
    assert count(store, outbox) == 2
