"""The follow-up ticker outlives a store outage: the tick that fails is tried again at the
next interval, and the gateway is not stopped for it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from gateway.errors import StoreUnavailableError
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from producers.followup_ticker import FollowUpTicker, TickerConfig
from schemas.avro import AvroCodec


class _StoreAwayAtFirst:
    """A store whose first ``failures`` calls fail as an unreachable database does."""

    def __init__(self, store: Store, failures: int) -> None:
        self._store = store
        self._failures = failures
        self.calls = 0
        #: set when the tick after the first good one starts: the ticker goes on
        self.ticking_again = asyncio.Event()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.calls += 1
        if self.calls == self._failures + 2:
            self.ticking_again.set()
        if self.calls <= self._failures:
            raise StoreUnavailableError("store did not answer: connection refused")
        return await self._store.run(fn, *args)


async def test_the_follow_up_ticker_survives_a_store_outage_and_ticks_again(
    tmp_path: Path,
) -> None:
    store = Store(build_engine(make_url(f"sqlite:///{tmp_path}/store.sqlite3")))
    upgrade(store.engine)
    away = _StoreAwayAtFirst(store, failures=2)
    ticker = FollowUpTicker(
        away,  # type: ignore[arg-type]
        AvroCodec.default(),
        str,
        TickerConfig(interval_s=0.01),
    )
    task = asyncio.create_task(ticker.run())
    try:
        async with asyncio.timeout(10):
            await away.ticking_again.wait()
        assert not task.done()  # two ticks failed, one went through, the next has begun
    finally:
        task.cancel()
        store.dispose()
