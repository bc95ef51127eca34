"""E2B acknowledgements for partners are written only once the import is committed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from consumers.envelope import Envelope
from consumers.intake import InboundReport, intake_consumer
from consumers.intake_work import E2BSettings
from consumers.runner import ConsumerRunner, RunnerConfig
from gateway.clock import utcnow
from gateway.errors import StoreUnavailableError
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import cases
from schemas.avro import AvroCodec

T = TypeVar("T")

SAMPLE = (
    Path(__file__).resolve().parents[3].parent / "shared/e2b/samples/fda-r3/FAERS2022Scenario1.xml"
)
SENDER = "4567AB89012"  # N.1.3 of the FDA samples


class CommitFails(Store):
    """A store whose transactions all fail at commit: the work inside is rolled back."""

    def run_sync(self, fn: Callable[..., T], *args: Any) -> T:
        with self.transaction() as conn:
            fn(conn, *args)
            conn.rollback()
        raise StoreUnavailableError("the commit did not go through")


@pytest.fixture
def database(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path}/store.sqlite3"
    store = Store(build_engine(make_url(url)))
    upgrade(store.engine)
    store.dispose()
    return url


def runner(store: Store, ack_dir: Path) -> ConsumerRunner:
    codec = AvroCodec.default()
    e2b = E2BSettings(
        receiver_ids=("ZZFDA", "ZZFDA_PREMKT"),  # the FDA samples are addressed to FDA
        ack_partners=frozenset({SENDER}),
        ack_dir=ack_dir,
    )
    spec = intake_consumer(codec, str, e2b=e2b, store=store)
    config = RunnerConfig(bootstrap="unused:9092", group_id="test.intake", dlq_topic="dlq")
    return ConsumerRunner(spec, config, store, codec)


def e2b_file_event(offset: int = 0) -> Envelope[InboundReport]:
    report = InboundReport(
        event_id="upstream:ack-test-1",
        inbound_id="IN-ACK-TEST-1",
        channel="E2B_FILE",
        source_id="partner-file-1",
        received_at=utcnow(),
        content_type="application/xml",
        payload=SAMPLE.read_bytes(),
        headers={},
        thread_key=None,
    )
    return Envelope(report.event_id, report, "intake", 0, offset, None)


async def test_no_acknowledgement_is_written_when_the_import_transaction_does_not_commit(
    database: str, tmp_path: Path
) -> None:
    acks = tmp_path / "acks"
    store = CommitFails(build_engine(make_url(database)))
    with pytest.raises(StoreUnavailableError):
        await runner(store, acks)._apply([e2b_file_event()])
    with store.snapshot() as conn:
        assert conn.execute(select(cases.c.id)).first() is None
    assert not acks.exists() or list(acks.iterdir()) == []
    store.dispose()


async def test_acknowledgement_is_written_once_the_import_has_committed(
    database: str, tmp_path: Path
) -> None:
    acks = tmp_path / "acks"
    store = Store(build_engine(make_url(database)))
    await runner(store, acks)._apply([e2b_file_event()])
    with store.snapshot() as conn:
        assert conn.execute(select(cases.c.id)).first() is not None
    files = list(acks.iterdir())
    assert [f.name for f in files] == ["ack-IN-ACK-TEST-1-1.xml"]
    assert b"acknowledgement" in files[0].read_bytes()
    store.dispose()


async def test_a_redelivered_batch_leaves_the_first_acknowledgement_as_it_was(
    database: str, tmp_path: Path
) -> None:
    acks = tmp_path / "acks"
    store = Store(build_engine(make_url(database)))
    await runner(store, acks)._apply([e2b_file_event()])
    first = {f.name: f.read_bytes() for f in acks.iterdir()}
    # Redelivered (an offset commit lost), to a restarted consumer: nothing new is imported,
    # so no second acknowledgement (with a new ACK message id) replaces the first.
    await runner(store, acks)._apply([e2b_file_event(offset=7)])
    assert {f.name: f.read_bytes() for f in acks.iterdir()} == first
    store.dispose()
