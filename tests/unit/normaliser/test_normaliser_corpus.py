"""The labelled corpus is well formed and the normaliser meets its targets on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.normaliser import evaluate, load_catalogue, load_corpus

CORPUS = Path(__file__).resolve().parents[2] / "data" / "corpus"


@pytest.mark.parametrize("name", ["reports.jsonl", "holdout.jsonl"])
def test_corpus_records_are_consistent(name: str) -> None:
    reports = [json.loads(line) for line in (CORPUS / name).read_text("utf-8").splitlines()]
    assert len({r["id"] for r in reports}) == len(reports)
    for report in reports:
        for label in report["labels"]["reactions"]:
            assert label["verbatim"].lower() in report["text"].lower(), report["id"]
            assert label["llt"]


def test_corpus_size_and_language_mix() -> None:
    reports = load_corpus()
    spanish = sum(r["language"] == "es" for r in reports)
    assert len(reports) >= 150
    assert spanish / len(reports) >= 0.40


def test_targets_on_the_tuning_corpus() -> None:
    scores = evaluate(load_corpus(), load_catalogue(), None)
    assert scores["suspect product"].recall >= 0.90
    assert scores["reaction"].recall >= 0.85
    assert scores["seriousness"].precision >= 0.95
    assert scores["validity"].recall >= 0.95
