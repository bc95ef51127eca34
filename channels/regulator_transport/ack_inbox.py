"""The inbox folders of the folder transports: ACKs and transport receipts (MDNs) arrive here.

Every ``poll_s`` seconds each inbox is scanned. A file is taken only once its size and
modification time held still across two scans (an AS2 product may still be writing it).
``*.xml`` files are acknowledgements: stored raw through :class:`AckAcceptor`, then moved
to ``processed/``. ``*.mdn`` files are transport receipts; the name (minus ``.mdn``) is the
file they confirm. When the store fails the file stays and is tried again next scan.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from channels.regulator_transport.ack_intake import AckAcceptor
from gateway.errors import GatewayError
from gateway.logs import get_logger

log = get_logger(__name__)

PROCESSED = "processed"
ACK_SUFFIX = ".xml"
RECEIPT_SUFFIX = ".mdn"

#: records a transport receipt for the file it names; returns whether a transmission matched
ReceiptSink = Callable[[str], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class _Seen:
    size: int
    mtime_ns: int


class AckInboxWatcher:
    def __init__(
        self,
        acceptor: AckAcceptor,
        inboxes: Sequence[Path],
        poll_s: float,
        on_receipt: ReceiptSink | None = None,
    ) -> None:
        self.inboxes = tuple(dict.fromkeys(inboxes))
        self._acceptor = acceptor
        self._poll_s = poll_s
        self._on_receipt = on_receipt
        self._seen: dict[Path, _Seen] = {}
        self.scans = 0

    def prepare(self) -> None:
        for inbox in self.inboxes:
            (inbox / PROCESSED).mkdir(parents=True, exist_ok=True)

    async def run(self) -> None:
        await asyncio.to_thread(self.prepare)
        log.info("ACK inboxes watched", inboxes=[str(i) for i in self.inboxes])
        while True:
            try:
                await self.scan_once()
            except OSError as exc:
                log.warning("ACK inbox scan failed; will try again", error=str(exc))
            await asyncio.sleep(self._poll_s)

    async def scan_once(self, *, settle: bool = True) -> int:
        """Take the files that stood still since the last scan (all of them when ``settle``
        is False, for callers that know the writer is done); return how many were taken."""
        ready = await asyncio.to_thread(self._ready_files, settle)
        taken = 0
        for path in ready:
            if await self._take(path):
                taken += 1
        self.scans += 1
        return taken

    def _ready_files(self, settle: bool) -> list[Path]:
        current: dict[Path, _Seen] = {}
        for inbox in self.inboxes:
            try:
                entries = list(os.scandir(inbox))
            except FileNotFoundError:
                continue
            for entry in entries:
                suffix = Path(entry.name).suffix.lower()
                if entry.name.startswith(".") or suffix not in (ACK_SUFFIX, RECEIPT_SUFFIX):
                    continue
                try:
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                current[Path(entry.path)] = _Seen(st.st_size, st.st_mtime_ns)
        if not settle:
            self._seen = {}
            return sorted(current)
        ready = [p for p, seen in current.items() if self._seen.get(p) == seen]
        self._seen = {p: s for p, s in current.items() if p not in ready}
        return sorted(ready)

    async def _take(self, path: Path) -> bool:
        try:
            if path.suffix.lower() == RECEIPT_SUFFIX:
                if self._on_receipt is None:
                    return False
                matched = await self._on_receipt(path.name[: -len(RECEIPT_SUFFIX)])
                log.info("transport receipt read", file=path.name, matched=matched)
            else:
                data = await asyncio.to_thread(path.read_bytes)
                await self._acceptor.accept(data, source="folder", source_ref=path.name)
        except FileNotFoundError:
            return False
        except GatewayError as exc:
            log.warning("ACK inbox file not stored; will try again", error=str(exc))
            return False
        await asyncio.to_thread(_move, path, path.parent / PROCESSED)
        return True


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    n = 1
    while target.exists():
        target = folder / f"{path.stem}.{n}{path.suffix}"
        n += 1
    return path.rename(target)
