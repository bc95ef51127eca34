"""The batch's one candidate query finds what one query per new case would have found."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Connection
from sqlalchemy.engine import make_url

from consumers.intake import IntakeHandler
from gateway.store import cases
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade


@dataclass(frozen=True)
class _New:
    """The part of a new case the candidate search reads."""

    case_id: str
    blocking: frozenset[str]
    id_keys: frozenset[str] = field(default=frozenset())


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(build_engine(make_url(f"sqlite:///{tmp_path}/store.sqlite3")))
    upgrade(store.engine)
    yield store
    store.dispose()


def _one_query_per_case(
    conn: Connection, records: list[tuple[str, list[_New], object]]
) -> list[list[str]]:
    """The search as it was: the shared keys, then one query per case with a shared key."""
    in_batch: dict[str, set[str]] = {}
    for _iid, new_cases, _items in records:
        for n in new_cases:
            for k in n.blocking:
                in_batch.setdefault(k, set()).add(n.case_id)
    shared = cases.shared_keys(conn, sorted(in_batch))
    later = {n.case_id for _iid, new_cases, _items in records for n in new_cases}
    out: list[list[str]] = []
    for _iid, new_cases, _items in records:
        later.difference_update(n.case_id for n in new_cases)
        for n in new_cases:
            if not any(k in shared for k in n.blocking):
                out.append([])
                continue
            hidden = {c for k in n.blocking for c in in_batch.get(k, ()) if c in later}
            out.append(
                cases.latest_cases_with_keys(
                    conn, sorted(n.blocking), exclude=n.case_id, limit=50, hidden=hidden
                )
            )
    return out


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_batch_candidate_search_matches_one_query_per_new_case(store: Store, seed: int) -> None:
    rng = random.Random(seed)
    pool = [f"product-reaction:p{i}:r{j}" for i in range(6) for j in range(4)] + [
        f"patient:AB{i}:F" for i in range(5)
    ]
    stored = {f"C{n:05d}": set(rng.sample(pool, rng.randint(1, 4))) for n in range(400)}
    # The batch's cases are written (ids among the stored ones, as new ids can be) first.
    batch_ids = sorted(rng.sample(range(400, 700), 120))
    records: list[tuple[str, list[_New], object]] = []
    for start in range(0, len(batch_ids), 3):  # up to three cases per record
        new_cases = [
            _New(f"C{n:05d}", frozenset(rng.sample(pool, rng.randint(1, 4))))
            for n in batch_ids[start : start + 3]
        ]
        records.append((f"IN{start}", new_cases, None))
    with store.transaction() as conn:
        cases.add_keys(conn, stored)
        cases.add_keys(conn, {n.case_id: n.blocking for _i, ns, _t in records for n in ns})
        in_batch: dict[str, set[str]] = {}
        for _iid, new_cases, _items in records:
            for n in new_cases:
                for k in n.blocking:
                    in_batch.setdefault(k, set()).add(n.case_id)
        written = {n.case_id for _i, ns, _t in records for n in ns}
        expected = _one_query_per_case(conn, records)
        found = IntakeHandler._candidates(conn, records, in_batch, written)  # type: ignore[arg-type]
    assert found == expected
    assert sum(1 for c in found if c) > 50  # most new cases do have candidates here
    assert any(len(c) == 50 for c in found)  # and the limit is reached


def test_latest_cases_by_key_gives_the_highest_case_ids_under_each_key(store: Store) -> None:
    with store.transaction() as conn:
        cases.add_keys(conn, {f"C{n:03d}": ["shared", f"own:{n}"] for n in range(30)})
        found = cases.latest_cases_by_key(conn, {"shared": 3, "own:7": 5, "none": 2})
    assert found == {"shared": ["C029", "C028", "C027"], "own:7": ["C007"]}
