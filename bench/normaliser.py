"""Benchmark: the free-text normaliser against the labelled report corpus.

Runs ``normalise`` over every report in ``tests/data/corpus/reports.jsonl`` with the test
catalogue ``tests/data/catalogue/products.json`` and prints precision and recall per field:

* suspect products (catalogue ids; suspect or interacting role)
* reactions: the correct LLT when the MedDRA coder (``gateway.domain.meddra``) and its
  fixture (``tests/data/meddra``) are available, else verbatim overlap (a predicted
  verbatim span overlapping the labelled verbatim in the text)
* seriousness criteria, patient age (value and unit), patient sex
* reporter qualification and validity accuracy, reports per second, and the time to scan
  a message against the full openFDA catalogue (thousands of names).

Targets: suspect-product recall >= 0.90, reaction recall >= 0.85, seriousness precision
>= 0.95, validity decided correctly for >= 0.95 of reports.

    python -m bench.normaliser [--errors] [--repeat 5]
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.normaliser import ChannelContext, Draft, normalise
from gateway.domain.normaliser.draft import code_reaction

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "tests" / "data" / "corpus" / "reports.jsonl"
CATALOGUE = REPO / "tests" / "data" / "catalogue" / "products.json"
MEDDRA_FIXTURE = REPO / "tests" / "data" / "meddra"
OPENFDA = REPO.parent / "shared" / "text" / "openfda" / "harmonized.small.json"

TARGETS = {
    ("suspect product", "recall"): 0.90,
    ("reaction", "recall"): 0.85,
    ("reaction (coded)", "recall"): 0.85,
    ("seriousness", "precision"): 0.95,
    ("validity", "accuracy"): 0.95,
}


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    skipped: int = 0  # labels no coder could match (LLT absent from the fixture)
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def add_sets(self, report_id: str, predicted: set[str], expected: set[str]) -> None:
        self.tp += len(predicted & expected)
        self.fp += len(predicted - expected)
        self.fn += len(expected - predicted)
        if predicted != expected:
            self.errors.append(
                f"{report_id}: +{sorted(predicted - expected)} -{sorted(expected - predicted)}"
            )


def load_corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_catalogue(path: Path = CATALOGUE) -> ProductCatalogue:
    with path.open(encoding="utf-8") as handle:
        return ProductCatalogue.from_records(json.load(handle)["products"])


def channel_of(report: dict[str, Any]) -> ChannelContext:
    sender = report.get("sender") or {}
    return ChannelContext(
        channel=report["channel"],
        received_at=datetime.fromisoformat(report["received_at"]),
        sender_address=sender.get("email"),
        sender_phone=sender.get("phone"),
        display_name=sender.get("display_name"),
    )


def bench_validity_decision(draft: Draft) -> bool:
    """The four minimum criteria, decided locally for this benchmark only.

    Not the domain validity module (another component): reporter identifiable (digital
    channels need an email or phone; GVP VI.B.1.1.4), patient identifiable (any detail,
    or a self-report by that identifiable reporter), a suspect product, a reaction.
    """
    reporter = draft.reporter
    if draft.channel.is_digital:
        reporter_ok = reporter.has_contact
    else:
        reporter_ok = reporter.has_contact or reporter.given_name is not None
    is_self = reporter.is_patient is not None and reporter.is_patient.value
    patient_ok = draft.patient.is_identifiable or (is_self and reporter_ok)
    return reporter_ok and patient_ok and bool(draft.suspect_products) and bool(draft.reactions)


# --- reactions ------------------------------------------------------------------------


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def score_verbatim(score: Score, report: dict[str, Any], draft: Draft) -> None:
    """One-to-one matching of predicted and labelled verbatims by span overlap."""
    text = report["text"].lower()
    expected: list[tuple[str, tuple[int, int]]] = []
    for label in report["labels"]["reactions"]:
        start = text.find(label["verbatim"].lower())
        expected.append((label["verbatim"], (start, start + len(label["verbatim"]))))
    predicted = [(r.verbatim.value, r.verbatim.span or (0, 0)) for r in draft.reactions]
    unmatched = list(expected)
    for value, span in predicted:
        hit = next((e for e in unmatched if _overlaps(e[1], span)), None)
        if hit is None:
            score.fp += 1
            score.errors.append(f"{report['id']}: + {value!r}")
        else:
            unmatched.remove(hit)
            score.tp += 1
    score.fn += len(unmatched)
    for value, _ in unmatched:
        score.errors.append(f"{report['id']}: - {value!r}")


@dataclass
class CodingBench:
    """The MedDRA coder and the PT of each LLT name, to score coding by PT (LLT choice
    within a PT, e.g. "Dizzy" vs "Dizziness", is a coder's preference)."""

    coder: Any
    pt_of_name: dict[str, str]
    source: str

    def code(self, reaction: Any) -> tuple[str, str] | None:
        result = code_reaction(reaction, self.coder)
        if result is None:
            return None
        return str(getattr(result, "llt_name", "")).lower(), str(
            getattr(result, "pt_name", "")
        ).lower()


def load_coder() -> CodingBench | None:
    """The MedDRA coder on the test fixture, when both exist; else None."""
    if not MEDDRA_FIXTURE.is_dir():
        return None
    try:
        meddra = importlib.import_module("gateway.domain.meddra")
        dictionary = meddra.load_distribution(MEDDRA_FIXTURE)
        coder = meddra.MedDRACoder(dictionary)
    except (ImportError, AttributeError, OSError, ValueError) as exc:
        print(f"(MedDRA coder unavailable: {type(exc).__name__}: {exc})")
        return None
    pt_of_name: dict[str, str] = {}
    for llt in getattr(dictionary, "llts", {}).values():
        pt = dictionary.pt(llt.pt_code)
        if pt is not None:
            pt_of_name[str(llt.name).lower()] = str(pt.name).lower()
    return CodingBench(coder, pt_of_name, f"MedDRA coder on {MEDDRA_FIXTURE.relative_to(REPO)}")


def score_coded(score: Score, report: dict[str, Any], draft: Draft, bench: CodingBench) -> None:
    """Pair predicted and labelled reactions by verbatim overlap, then count a pair right
    when the coded PT is the labelled LLT's PT. Labels whose LLT the fixture lacks are
    skipped (counted in ``score.skipped``): no coder could get them right."""
    text = report["text"].lower()
    labels = []
    for label in report["labels"]["reactions"]:
        start = text.find(label["verbatim"].lower())
        labels.append((label, (start, start + len(label["verbatim"]))))
    for reaction in draft.reactions:
        span = reaction.verbatim.span or (0, 0)
        pair = next((item for item in labels if _overlaps(item[1], span)), None)
        coded = bench.code(reaction)
        if pair is None:
            if coded is not None:
                score.fp += 1
                score.errors.append(f"{report['id']}: + {reaction.verbatim.value!r} -> {coded}")
            continue
        labels.remove(pair)
        wanted = pair[0]["llt"].lower()
        if wanted not in bench.pt_of_name:
            score.skipped += 1
            continue
        if coded is not None and coded[1] == bench.pt_of_name[wanted]:
            score.tp += 1
        else:
            score.fp += coded is not None
            score.fn += 1
            score.errors.append(
                f"{report['id']}: {reaction.verbatim.value!r} -> {coded}, want {wanted}"
            )
    for label, _ in labels:
        if label["llt"].lower() in bench.pt_of_name:
            score.fn += 1
            score.errors.append(f"{report['id']}: - {label['verbatim']!r}")
        else:
            score.skipped += 1


# --- the run ------------------------------------------------------------------------------


def _age(draft: Draft) -> str | None:
    age = draft.patient.age
    if age is None:
        return None
    value = age.value.value
    number = str(int(value)) if value == value.to_integral_value() else str(value)
    return f"{number} {age.value.unit}"


def _label_age(labels: dict[str, Any]) -> str | None:
    age = labels.get("patient_age")
    return None if age is None else f"{age['value']} {age['unit']}"


def _sex(draft: Draft) -> str | None:
    sex = draft.patient.sex
    return None if sex is None else ("F" if sex.value.name == "FEMALE" else "M")


def evaluate(
    reports: Iterable[dict[str, Any]],
    catalogue: ProductCatalogue,
    coder: CodingBench | None,
) -> dict[str, Score]:
    scores = {
        name: Score()
        for name in (
            "suspect product",
            "reaction",
            "reaction (coded)",
            "seriousness",
            "patient age",
            "patient sex",
            "qualification",
            "validity",
        )
    }
    for report in reports:
        labels = report["labels"]
        rid = report["id"]
        draft = normalise(report["text"], channel=channel_of(report), catalogue=catalogue)
        scores["suspect product"].add_sets(
            rid, {p.product.id for p in draft.suspect_products}, set(labels["suspect_products"])
        )
        score_verbatim(scores["reaction"], report, draft)
        if coder is not None:
            score_coded(scores["reaction (coded)"], report, draft, coder)
        scores["seriousness"].add_sets(
            rid, {c.name for c in draft.criteria}, set(labels["seriousness"])
        )
        for name, got, want in (
            ("patient age", _age(draft), _label_age(labels)),
            ("patient sex", _sex(draft), labels.get("patient_sex")),
        ):
            scores[name].add_sets(rid, {got} if got else set(), {want} if want else set())
        for name, got_flag, want_flag in (
            (
                "qualification",
                draft.reporter.qualification.value.name,
                labels["reporter_qualification"],
            ),
            ("validity", str(bench_validity_decision(draft)), str(labels["validity"]["valid"])),
        ):
            score = scores[name]
            if got_flag == want_flag:
                score.tp += 1
            else:
                score.fn += 1
                score.errors.append(f"{rid}: got {got_flag}, want {want_flag}")
    return scores


def throughput(reports: list[dict[str, Any]], catalogue: ProductCatalogue, repeat: int) -> float:
    jobs = [(r["text"], channel_of(r)) for r in reports]
    start = time.perf_counter()
    for _ in range(repeat):
        for text, channel in jobs:
            normalise(text, channel=channel, catalogue=catalogue)
    return len(jobs) * repeat / (time.perf_counter() - start)


def catalogue_scan_ms(reports: list[dict[str, Any]]) -> tuple[int, int, float] | None:
    """Products, names and mean ms per message for the full openFDA catalogue."""
    if not OPENFDA.exists():
        return None
    with OPENFDA.open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    full = ProductCatalogue.from_openfda_harmonized(records)
    texts = [r["text"] for r in reports]
    start = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for text in texts:
            full.find_products(text)
    elapsed = (time.perf_counter() - start) / (rounds * len(texts))
    return len(full), full.name_count(), elapsed * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", action="store_true", help="list every mismatch")
    parser.add_argument("--repeat", type=int, default=5, help="throughput repetitions")
    parser.add_argument(
        "--corpus",
        type=Path,
        default=CORPUS,
        help="JSONL corpus (default: the tuning corpus; see also holdout.jsonl)",
    )
    parser.add_argument(
        "--verbatim",
        action="store_true",
        help="score reactions by verbatim overlap even when the coder exists",
    )
    args = parser.parse_args(argv)

    reports = load_corpus(args.corpus)
    catalogue = load_catalogue()
    coder = None if args.verbatim else load_coder()
    es = sum(1 for r in reports if r["language"] == "es")
    print(
        f"corpus: {args.corpus.name}: {len(reports)} reports ({es} Spanish), "
        f"catalogue: {len(catalogue)} products"
    )
    if coder is None:
        why = (
            "--verbatim given"
            if args.verbatim
            else ("gateway.domain.meddra or its fixture tests/data/meddra is not available")
        )
        print(f"reactions scored by VERBATIM OVERLAP ({why})")
        scores = evaluate(reports, catalogue, None)
    else:
        print(
            f"reactions scored by verbatim overlap AND by coding (coded PT = labelled LLT's "
            f"PT): {coder.source}, {len(coder.pt_of_name)} LLT names"
        )
        scores = evaluate(reports, catalogue, coder)

    print(f"\n{'field':<18}{'precision':>10}{'recall':>10}{'tp':>6}{'fp':>5}{'fn':>5}")
    for name, s in scores.items():
        if name in ("qualification", "validity") or (name.endswith("(coded)") and coder is None):
            continue
        extra = f"  ({s.skipped} labels outside the fixture skipped)" if s.skipped else ""
        print(f"{name:<18}{s.precision:>10.3f}{s.recall:>10.3f}{s.tp:>6}{s.fp:>5}{s.fn:>5}{extra}")
    for name in ("qualification", "validity"):
        s = scores[name]
        print(f"{name + ' accuracy':<28}{s.recall:>10.3f}  ({s.tp}/{s.tp + s.fn})")

    rate = throughput(reports, catalogue, args.repeat)
    print(f"\nthroughput: {rate:,.0f} reports/s (one core)")
    scan = catalogue_scan_ms(reports)
    if scan is not None:
        print(
            f"full openFDA catalogue: {scan[0]} products, {scan[1]} names, "
            f"{scan[2]:.3f} ms per message for find_products"
        )

    failed = False
    print()
    for (name, metric), target in TARGETS.items():
        s = scores[name]
        if name.endswith("(coded)") and coder is None:
            continue
        value = s.recall if metric in ("recall", "accuracy") else s.precision
        ok = value >= target
        failed |= not ok
        print(f"{'MET    ' if ok else 'NOT MET'} {name} {metric} {value:.3f} >= {target}")
    if args.errors:
        for name, s in scores.items():
            if s.errors:
                print(f"\n== {name} ==")
                print("\n".join(s.errors))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
