"""The watched intake folder: stable files are stored, then moved to processed/ or rejected/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from channels.acceptance import InboundAcceptor
from channels.folder_in import FolderWatcher
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import inbound_messages
from schemas.avro import AvroCodec


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(build_engine(make_url(f"sqlite:///{tmp_path}/store.sqlite3")))
    upgrade(s.engine)
    yield s
    s.dispose()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "drop"


@pytest.fixture
def watcher(store: Store, folder: Path) -> FolderWatcher:
    w = FolderWatcher(InboundAcceptor(store, AvroCodec.default()), folder, 0.05, 1000)
    w.prepare()
    return w


def _rows(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(inbound_messages))]


async def test_a_file_is_taken_on_the_second_scan_and_moved_to_processed(
    watcher: FolderWatcher, folder: Path, store: Store
) -> None:
    (folder / "report.xml").write_bytes(b"<ichicsr/>")
    (folder / "report.json").write_bytes(b'{"a": 1}')
    (folder / "notes.txt").write_text("ignored")
    (folder / ".partial.xml").write_text("<hidden/>")
    assert await watcher.scan_once() == 0  # first sight: maybe still being written
    assert await watcher.scan_once() == 2
    assert sorted(p.name for p in (folder / "processed").iterdir()) == [
        "report.json",
        "report.xml",
    ]
    assert (folder / "notes.txt").exists()
    assert (folder / ".partial.xml").exists()
    rows = {r["content_type"]: r for r in _rows(store)}
    assert set(rows) == {"application/xml", "application/json"}
    xml = rows["application/xml"]
    assert xml["channel"] == "FOLDER"
    assert xml["payload"] == b"<ichicsr/>"
    assert xml["source_id"].startswith("report.xml#")
    assert len(xml["source_id"]) == len("report.xml#") + 64


async def test_a_file_still_growing_waits_for_the_next_scan(
    watcher: FolderWatcher, folder: Path, store: Store
) -> None:
    path = folder / "big.xml"
    path.write_bytes(b"<a>")
    await watcher.scan_once()
    with path.open("ab") as fh:
        fh.write(b"more</a>")
    assert await watcher.scan_once() == 0
    assert path.exists()
    assert await watcher.scan_once() == 1
    assert [r["payload"] for r in _rows(store)] == [b"<a>more</a>"]


async def test_too_large_goes_to_rejected_with_an_error_file(
    watcher: FolderWatcher, folder: Path, store: Store
) -> None:
    (folder / "huge.xml").write_bytes(b"<a>" + b"x" * 2000 + b"</a>")
    await watcher.scan_once()
    await watcher.scan_once()
    assert (folder / "rejected" / "huge.xml").exists()
    error = (folder / "rejected" / "huge.xml.error.txt").read_text()
    assert "over the limit of 1000 bytes" in error
    assert _rows(store) == []


async def test_the_same_file_dropped_twice_is_stored_once_and_both_are_moved(
    watcher: FolderWatcher, folder: Path, store: Store
) -> None:
    for _ in range(2):
        (folder / "same.xml").write_bytes(b"<same/>")
        await watcher.scan_once()
        await watcher.scan_once()
    assert len(_rows(store)) == 1
    assert sorted(p.name for p in (folder / "processed").iterdir()) == ["same.1.xml", "same.xml"]


async def test_a_store_failure_leaves_the_file_for_the_next_scan(
    watcher: FolderWatcher, folder: Path, store: Store
) -> None:
    (folder / "r.xml").write_bytes(b"<r/>")
    await watcher.scan_once()
    store.dispose()
    broken = FolderWatcher(
        InboundAcceptor(
            Store(build_engine(make_url("sqlite:////nonexistent/dir/x.db"))), AvroCodec.default()
        ),
        folder,
        0.05,
        1000,
    )
    broken._seen = watcher._seen
    assert await broken.scan_once() == 0
    assert (folder / "r.xml").exists()
    assert await watcher.scan_once() == 1  # the store answers again: taken now
    assert (folder / "processed" / "r.xml").exists()
