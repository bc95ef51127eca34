"""Benchmark: the threading resolver over the labelled corpus.

Runs ``resolve`` over every message of ``tests/data/threading/messages.jsonl`` against the
requests of ``world.json`` (an in-memory lookup) and prints: messages, matched to the
right case, triaged, new reports, labels met, wrong-case merges (target: 0), and
resolutions per second (median of several timed runs).

    python -m bench.threading [--repeat 7] [--rounds 200] [--errors]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from gateway.domain.threading import (
    Ambiguous,
    InboundFacts,
    InMemoryThreadLookup,
    Matched,
    ThreadDecision,
    resolve,
)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "threading"


def _outcome(decision: ThreadDecision) -> str:
    if isinstance(decision, Matched):
        return decision.request.case_id
    return "triage" if isinstance(decision, Ambiguous) else "new"


def _load() -> tuple[list[dict[str, Any]], InMemoryThreadLookup]:
    with (DATA / "messages.jsonl").open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    with (DATA / "world.json").open(encoding="utf-8") as handle:
        world = json.load(handle)
    return records, InMemoryThreadLookup.from_records(world["requests"], record_calls=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs (median is shown)")
    parser.add_argument("--rounds", type=int, default=200, help="passes over the corpus per run")
    parser.add_argument("--errors", action="store_true", help="list every unmet label")
    args = parser.parse_args(argv)

    records, lookup = _load()
    messages = [InboundFacts.from_record(r) for r in records]

    counts: Counter[str] = Counter()
    unmet: list[str] = []
    for record, message in zip(records, messages, strict=True):
        decision = resolve(message, lookup)
        got, want = _outcome(decision), record["expect"]
        if isinstance(decision, Matched):
            counts["matched right" if got == want else "wrong merges"] += 1
        else:
            counts[got] += 1
        if got == want:
            counts["labels met"] += 1
        else:
            unmet.append(f"{record['id']}: expected {want}, got {got} ({record['scenario']})")

    rates: list[float] = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        for _ in range(args.rounds):
            for message in messages:
                resolve(message, lookup)
        elapsed = time.perf_counter() - start
        rates.append(args.rounds * len(messages) / elapsed)

    labelled_cases = sum(1 for r in records if r["expect"] not in ("triage", "new"))
    print(f"messages               {len(messages)}")
    print(f"matched right          {counts['matched right']} / {labelled_cases} labelled to a case")
    print(f"triaged                {counts['triage']}")
    print(f"new reports            {counts['new']}")
    print(f"labels met             {counts['labels met']} / {len(messages)}")
    print(f"wrong-case merges      {counts['wrong merges']}  (target 0)")
    print(
        f"resolutions per second {statistics.median(rates):,.0f}  "
        f"(median of {args.repeat} runs x {args.rounds} passes)"
    )
    if args.errors:
        for line in unmet:
            print("  " + line)
    return 1 if counts["wrong merges"] else 0


if __name__ == "__main__":
    sys.exit(main())
