"""Benchmark: MedDRA coding rate for exact, normalised and fuzzy hits.

Loads the INVENTED fixture distribution (``tests/data/meddra``), pads it with invented
LLTs to a few thousand terms (``--terms``), builds one ``MedDRACoder`` and times
``coder.code`` over three input sets, each checked beforehand to hit its tier:

* ``exact``       every LLT name, in lower, upper and original case
* ``normalised``  names with American spelling, plurals, punctuation or swapped word order
* ``fuzzy``       names with one adjacent transposition (a typo)

Prints codings/s per set as the median of ``--runs`` runs, and whether exact and
normalised meet the target (>= 5,000 codings/s).

    python -m bench.meddra [--terms 3000] [--runs 5] [--dictionary DIR]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

from gateway.domain.meddra import (
    LowestLevelTerm,
    MedDRACoder,
    MedDRADictionary,
    load_distribution,
)

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DICTIONARY = REPO / "tests" / "data" / "meddra"
RATE_TARGET = 5_000.0
_AMERICAN = (("oe", "e"), ("ae", "e"), ("our", "or"), ("ised", "ized"))


def padded(dictionary: MedDRADictionary, terms: int) -> MedDRADictionary:
    """The dictionary plus invented two-word LLTs under its PTs, up to ``terms`` LLTs."""
    rng = random.Random(0)
    words = sorted({w for t in dictionary.llts.values() for w in t.name.split() if len(w) > 3})
    pts = sorted(dictionary.pts)
    names = {t.name.casefold() for t in dictionary.llts.values()}
    extra: list[LowestLevelTerm] = []
    number = 0
    while len(dictionary.llts) + len(extra) < terms:
        name = f"{rng.choice(words).capitalize()} {rng.choice(words).lower()} {number}"
        number += 1
        if name.casefold() not in names:
            names.add(name.casefold())
            extra.append(LowestLevelTerm(f"8{number:07d}", name, rng.choice(pts), True))
    return MedDRADictionary(
        version=dictionary.version,
        language=dictionary.language,
        llts=[*dictionary.llts.values(), *extra],
        pts=dictionary.pts.values(),
        hlts=dictionary.hlts.values(),
        hlgts=dictionary.hlgts.values(),
        socs=dictionary.socs.values(),
        paths=[p for pt in dictionary.pts for p in dictionary.paths(pt)],
    )


def _variants(name: str) -> list[str]:
    words = name.split()
    americanised = name
    for british, american in _AMERICAN:
        americanised = americanised.replace(british, american)
    found = [americanised, f"{name}s", name.replace(" ", "-") + "."]
    if len(words) > 1:
        found.append(" ".join(reversed(words)))
    return found


def _typo(name: str) -> str:
    middle = len(name) // 2
    return name[: middle - 1] + name[middle] + name[middle - 1] + name[middle + 1 :]


def inputs(coder: MedDRACoder, names: list[str]) -> dict[str, list[str]]:
    candidates = {
        "exact": [v for n in names for v in (n, n.lower(), n.upper())],
        "normalised": [v for n in names for v in _variants(n)],
        "fuzzy": [_typo(n) for n in names if len(n) >= 8],
    }
    selected: dict[str, list[str]] = {}
    for method, texts in candidates.items():
        hits = []
        for text in texts:
            result = coder.code(text)
            if result is not None and result.method == method:
                hits.append(text)
        selected[method] = hits
    return selected


def rate(coder: MedDRACoder, texts: list[str], runs: int, min_seconds: float = 0.2) -> float:
    """Median codings/s over ``runs`` runs, each repeating the set for ``min_seconds``."""
    rates: list[float] = []
    for _ in range(runs):
        done = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < min_seconds:
            for text in texts:
                coder.code(text)
            done += len(texts)
        rates.append(done / elapsed)
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dictionary", type=Path, default=DEFAULT_DICTIONARY)
    parser.add_argument("--terms", type=int, default=3_000, help="pad to this many LLTs")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    base = load_distribution(args.dictionary)
    loaded = time.perf_counter() - start
    dictionary = padded(base, args.terms)
    start = time.perf_counter()
    coder = MedDRACoder(dictionary)
    built = time.perf_counter() - start
    names = [t.name for t in base.llts.values()]
    sets = inputs(coder, names)
    print(
        f"dictionary {dictionary.version} {dictionary.language}: {len(dictionary.llts)} LLTs "
        f"({len(base.llts)} from {args.dictionary}); load {loaded * 1e3:.0f} ms, "
        f"indexes {built * 1e3:.0f} ms"
    )
    failed = False
    for method, texts in sets.items():
        codings = rate(coder, texts, args.runs)
        verdict = ""
        if method in ("exact", "normalised"):
            ok = codings >= RATE_TARGET
            failed |= not ok
            verdict = f"  target >= {RATE_TARGET:,.0f}/s: {'met' if ok else 'NOT MET'}"
        print(f"{method:>10}: {codings:>10,.0f} codings/s  ({len(texts)} inputs){verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
