"""Time-ordered identifiers: sortable, unique across processes, no coordination."""

from __future__ import annotations

import os
import time


def new_id(prefix: str = "") -> str:
    """48 bits of milliseconds then 64 random bits, as 28 hex digits (sortable by time)."""
    return f"{prefix}{time.time_ns() // 1_000_000:012x}{os.urandom(8).hex()}"
