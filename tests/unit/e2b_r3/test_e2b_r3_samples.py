"""FDA's E2B(R3) sample batches: parse -> build is schema-valid, stable, and loses nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from schemas.e2b_r3 import build_batch, parse_batch, serialize
from tests.unit.e2b_r3.conftest import SAFE_PARSER, fda_samples, load, shared_e2b
from tests.unit.e2b_r3.r3_coverage import data_values

SAMPLES = fda_samples()
pytestmark = pytest.mark.skipif(
    shared_e2b() is None, reason="public E2B material (../shared/e2b) is not present"
)

#: (path, value) pairs of each sample the model does not carry; none today
KNOWN_MISSING: dict[str, list[tuple[str, str]]] = {}


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_build_is_schema_valid_and_parse_is_stable(sample: Path, r3_schema: Any) -> None:
    batch = parse_batch(load(sample))
    built = build_batch(batch)
    assert r3_schema.validate(built), r3_schema.error_log
    again = parse_batch(etree.fromstring(serialize(built), SAFE_PARSER))
    assert again == batch


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_every_populated_value_survives(sample: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = load(sample)
    built = build_batch(parse_batch(source))
    before, after = data_values(source), data_values(built)
    missing = sorted((before - after).elements())
    extra = sorted((after - before).elements())
    with capsys.disabled():
        print(f"\n{sample.name}: {sum(before.values())} values, not carried: {missing or 'none'}")
    assert missing == KNOWN_MISSING.get(sample.name, [])
    assert extra == []


def test_samples_are_present() -> None:
    assert len(SAMPLES) == 7


def test_bytes_input_and_serialized_form() -> None:
    sample = SAMPLES[0]
    batch = parse_batch(sample.read_bytes())
    data = serialize(build_batch(batch))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert parse_batch(data) == batch


def test_regional_fragments_round_trip_byte_for_byte() -> None:
    batch = parse_batch(load(SAMPLES[1]))
    message = batch.messages[0]
    anchors = {e.anchor for e in message.regional_extensions}
    assert "primaryRole" in anchors  # FDA race / ethnicity
    assert "investigationEvent" in anchors  # FDA.C.1.7.1, FDA.C.1.12
    assert any(a.startswith("reaction:") for a in anchors)  # FDA.E.i.3.2h
    again = parse_batch(serialize(build_batch(batch)))
    assert again.messages[0].regional_extensions == message.regional_extensions
