"""A watched intake folder: files dropped there are stored as reports, then moved away.

Every ``poll_s`` seconds the folder is scanned for ``*.xml`` and ``*.json`` files (hidden
files are skipped). A file is taken only when its size and modification time are the same
on two consecutive scans, so a file still being written waits for the next one. A taken
file is stored through :class:`~channels.acceptance.InboundAcceptor` (channel ``FOLDER``,
source id ``<file name>#<sha256>``) and then moved to ``processed/``; a file that is too
large or cannot be read goes to ``rejected/`` with ``<name>.error.txt`` beside it. When the
store fails the file stays where it is and is tried again on the next scan.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from channels.acceptance import InboundAcceptor
from gateway.errors import PayloadTooLargeError
from gateway.logs import get_logger

log = get_logger(__name__)

CHANNEL = "FOLDER"
CONTENT_TYPES = {".xml": "application/xml", ".json": "application/json"}
PROCESSED = "processed"
REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class _Seen:
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class _Read:
    path: Path
    payload: bytes | None
    error: str | None


class FolderWatcher:
    def __init__(
        self, acceptor: InboundAcceptor, folder: Path, poll_s: float, max_bytes: int
    ) -> None:
        self.folder = folder
        self._acceptor = acceptor
        self._poll_s = poll_s
        self._max_bytes = max_bytes
        self._seen: dict[Path, _Seen] = {}
        self.scans = 0

    def prepare(self) -> None:
        for sub in (self.folder, self.folder / PROCESSED, self.folder / REJECTED):
            sub.mkdir(parents=True, exist_ok=True)

    async def run(self) -> None:
        await asyncio.to_thread(self.prepare)
        log.info("intake folder watched", folder=str(self.folder), poll_s=self._poll_s)
        while True:
            try:
                await self.scan_once()
            except OSError as exc:
                log.warning("intake folder scan failed; will try again", error=str(exc))
            await asyncio.sleep(self._poll_s)

    async def scan_once(self) -> int:
        """One scan: take the files that stood still since the last one; return how many."""
        ready = await asyncio.to_thread(self._stable_files)
        taken = 0
        for path in ready:
            read = await asyncio.to_thread(self._read, path)
            if read.payload is None:
                await asyncio.to_thread(self._reject, path, read.error or "unreadable")
                continue
            if await self._accept(path, read.payload):
                taken += 1
        self.scans += 1
        return taken

    def _stable_files(self) -> list[Path]:
        current: dict[Path, _Seen] = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                if Path(entry.name).suffix.lower() not in CONTENT_TYPES:
                    continue
                try:
                    st = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                current[Path(entry.path)] = _Seen(st.st_size, st.st_mtime_ns)
        ready = [p for p, seen in current.items() if self._seen.get(p) == seen]
        self._seen = {p: s for p, s in current.items() if p not in ready}
        return sorted(ready)

    def _read(self, path: Path) -> _Read:
        try:
            size = path.stat().st_size
            if size > self._max_bytes:
                return _Read(
                    path,
                    None,
                    f"file of {size} bytes is over the limit of "
                    f"{self._max_bytes} bytes (ICSR_INTAKE_FOLDER_MAX_BYTES)",
                )
            with path.open("rb") as fh:
                payload = fh.read(self._max_bytes + 1)
        except OSError as exc:
            return _Read(path, None, f"cannot read the file: {exc.strerror or exc}")
        if len(payload) > self._max_bytes:
            return _Read(path, None, f"file is over the limit of {self._max_bytes} bytes")
        return _Read(path, payload, None)

    async def _accept(self, path: Path, payload: bytes) -> bool:
        digest = hashlib.sha256(payload).hexdigest()
        try:
            result = await self._acceptor.accept(
                channel=CHANNEL,
                source_id=f"{path.name[:400]}#{digest}",
                payload=payload,
                content_type=CONTENT_TYPES[path.suffix.lower()],
                headers={"File-Name": path.name[:400], "SHA256": digest},
            )
        except PayloadTooLargeError as exc:
            await asyncio.to_thread(self._reject, path, str(exc))
            return False
        except Exception as exc:  # noqa: BLE001 - left in place, tried again next scan
            log.warning(
                "intake folder file not stored; will try again", error_type=type(exc).__name__
            )
            return False
        await asyncio.to_thread(self._move, path, self.folder / PROCESSED)
        log.info(
            "intake folder file accepted",
            inbound_id=result.inbound_id,
            duplicate=result.duplicate,
            size=len(payload),
        )
        return True

    def _reject(self, path: Path, error: str) -> None:
        try:
            target = self._move(path, self.folder / REJECTED)
        except OSError as exc:
            log.warning("intake folder file could not be moved", error=str(exc))
            return
        target.with_name(target.name + ".error.txt").write_text(error + "\n", encoding="utf-8")
        log.warning("intake folder file rejected", file=target.name, reason=error)

    @staticmethod
    def _move(path: Path, folder: Path) -> Path:
        target = folder / path.name
        n = 1
        while target.exists():
            target = folder / f"{path.stem}.{n}{path.suffix}"
            n += 1
        return path.rename(target)
