"""Time-ordered identifiers: sortable, unique across processes, no coordination."""

from __future__ import annotations

import random
import time

# Ids must be unique, not secret: a per-process generator seeded from the OS (random's
# default) is enough and avoids a system call per id.
_random = random.Random()  # noqa: S311


def new_id(prefix: str = "") -> str:
    """48 bits of milliseconds then 64 random bits, as 28 hex digits (sortable by time)."""
    return f"{prefix}{time.time_ns() // 1_000_000:012x}{_random.getrandbits(64):016x}"
