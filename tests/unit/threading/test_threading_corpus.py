"""The resolver over the labelled threading corpus: no wrong-case merge, every label met.

``tests/data/threading/world.json`` holds the requests we sent (ids, SIDs, tokens, tags,
recipients, open state); ``messages.jsonl`` the inbound messages, each labelled with the
case it belongs to, ``triage`` or ``new`` (and ``third_party`` when someone other than
the request's recipient answers).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.threading import (
    Ambiguous,
    InboundFacts,
    InMemoryThreadLookup,
    Matched,
    NewReport,
    resolve,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "threading"


def _messages() -> list[dict[str, Any]]:
    with (DATA / "messages.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def lookup() -> InMemoryThreadLookup:
    with (DATA / "world.json").open(encoding="utf-8") as handle:
        return InMemoryThreadLookup.from_records(json.load(handle)["requests"])


MESSAGES = _messages()


def _outcome(decision: Matched | NewReport | Ambiguous) -> str:
    if isinstance(decision, Matched):
        return decision.request.case_id
    return "triage" if isinstance(decision, Ambiguous) else "new"


def test_corpus_covers_the_scenarios_it_claims() -> None:
    channels = Counter(m["channel"] for m in MESSAGES)
    labels = Counter(m["expect"] if m["expect"] in ("new", "triage") else "case" for m in MESSAGES)
    assert len(MESSAGES) >= 80
    assert channels["EMAIL"] >= 40
    assert channels["SMS"] >= 10
    assert channels["WHATSAPP"] >= 15
    assert labels["triage"] >= 8
    assert labels["new"] >= 8
    assert len({m["language"] for m in MESSAGES}) >= 6
    assert sum(1 for m in MESSAGES if m.get("third_party")) >= 5
    assert len({m["id"] for m in MESSAGES}) == len(MESSAGES)


def test_no_message_is_merged_into_the_wrong_case(lookup: InMemoryThreadLookup) -> None:
    wrong = []
    for message in MESSAGES:
        decision = resolve(InboundFacts.from_record(message), lookup)
        if isinstance(decision, Matched) and decision.request.case_id != message["expect"]:
            wrong.append((message["id"], message["expect"], decision.request.case_id))
    assert wrong == []


@pytest.mark.parametrize("message", MESSAGES, ids=[m["id"] for m in MESSAGES])
def test_every_corpus_message_meets_its_label(
    message: dict[str, Any], lookup: InMemoryThreadLookup
) -> None:
    decision = resolve(InboundFacts.from_record(message), lookup)
    assert _outcome(decision) == message["expect"], (message["scenario"], decision)
    if isinstance(decision, Matched):
        assert decision.third_party == bool(message.get("third_party")), message["scenario"]
