"""Folder hand-off: E2B files written to an outbox folder that an AS2 product (or the
regulator simulator) picks up; ACKs and MDNs come back through an inbox folder.

A file is written under a temporary hidden name, synced, then renamed into the outbox, so
a reader never sees half a file. A ledger entry (``.sent/<file name>``) is written right
after the rename: a resend of a transmission already handed over (the gateway was killed
before it recorded the send) finds the ledger entry, or the file still waiting in the
outbox, and does not deliver it twice.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from channels.regulator_transport import Delivery, TransportError

LEDGER = ".sent"


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderTransport:
    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def _handed_over(self, file_name: str) -> bool:
        return (self.outbox_dir / LEDGER / file_name).exists() or (
            self.outbox_dir / file_name
        ).exists()

    def send_sync(self, file_name: str, data: bytes) -> Delivery:
        if "/" in file_name or file_name.startswith("."):
            raise ValueError(f"unsafe outbox file name {file_name!r}")
        try:
            (self.outbox_dir / LEDGER).mkdir(parents=True, exist_ok=True)
            if self._handed_over(file_name):
                return Delivery(receipt=False, already_sent=True, detail="already in the outbox")
            tmp = self.outbox_dir / f".{file_name}.part"
            with tmp.open("wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            tmp.rename(self.outbox_dir / file_name)
            (self.outbox_dir / LEDGER / file_name).touch()
            _fsync_dir(self.outbox_dir)
        except OSError as exc:
            raise TransportError(
                f"cannot write {file_name} to {self.outbox_dir}: {exc.strerror or exc}"
            ) from exc
        return Delivery(receipt=False, detail=f"written to {self.outbox_dir}")

    async def send(self, file_name: str, data: bytes, *, batch_number: str) -> Delivery:
        return await asyncio.to_thread(self.send_sync, file_name, data)
