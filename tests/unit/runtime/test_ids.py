"""Identifiers sort by creation time and do not collide."""

from __future__ import annotations

import time

from gateway.ids import new_id


def test_ids_are_unique_and_sort_by_time() -> None:
    first = [new_id("C") for _ in range(10_000)]
    time.sleep(0.002)
    later = new_id("C")
    assert len(set(first)) == len(first)
    assert all(i.startswith("C") and len(i) == 29 for i in first)
    assert max(first) < later
