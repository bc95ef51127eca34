"""Real FDA ICSRs broken in random ways (elements dropped or repeated, attributes and texts
replaced, nullFlavors where none belong): receiving one always ends in an acknowledgement,
reading one either gives a case the writer can write again or an ``E2BR3Error``.

The examples are derandomised: the same ones run every time (a failure found is kept).
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from schemas.e2b_ack import parse_ack
from schemas.e2b_r3 import parse_batch, to_bytes
from schemas.e2b_r3.xml import E2BR3Error
from schemas.e2b_receive import receive
from tests.unit.e2b_r3.conftest import fda_samples

SAMPLES = {p.name: p.read_bytes() for p in fda_samples()}
pytestmark = pytest.mark.skipif(not SAMPLES, reason="public FDA E2B samples not found")

_VALUES = [
    "", " ", "x" * 300, "-1", "0", "1e999", "NaN", "2024", "20241301", "20240230",
    "2024-01-01", "20991231", "true", "false", "NI", "UNK", "MSK", "ASKU", "é中", "1.2.3",
    "9" * 40, "19000101000000.000+2500",
]  # fmt: skip
_OPS = ("drop", "attribute", "remove_attribute", "text", "repeat", "null_flavor")
_ATTRIBUTES = ("nullFlavor", "value", "code", "unit", "extension", "root", "codeSystem")

_mutation = st.tuples(
    st.sampled_from(_OPS),
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(_VALUES),
    st.sampled_from(_ATTRIBUTES),
)
_cases = settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _mutated(data: bytes, mutations: list[tuple[str, int, str, str]]) -> bytes:
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    for op, pick, value, attribute in mutations:
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        el: Any = elements[pick % len(elements)]
        parent = el.getparent()
        if op == "drop" and parent is not None:
            parent.remove(el)
        elif op == "attribute" and el.attrib:
            el.set(sorted(el.attrib)[pick % len(el.attrib)], value)
        elif op == "remove_attribute" and el.attrib:
            del el.attrib[sorted(el.attrib)[pick % len(el.attrib)]]
        elif op == "text":
            el.text = value
        elif op == "repeat" and parent is not None:
            el.addnext(copy.deepcopy(el))
        elif op == "null_flavor":
            el.set(attribute, value)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@_cases
@given(
    name=st.sampled_from(sorted(SAMPLES) or ["none"]),
    mutations=st.lists(_mutation, min_size=1, max_size=4),
)
def test_a_broken_real_icsr_is_answered_with_an_ack_naming_each_message(
    name: str, mutations: list[tuple[str, int, str, str]]
) -> None:
    data = _mutated(SAMPLES[name], mutations)

    result = receive(
        data,
        schemas_dir=None,
        today=date(2026, 11, 22),
        our_id="ZZFDA",
        ack_message_id="ACK-1",
        created=datetime(2026, 11, 22, 12, 0, tzinfo=UTC),
    )

    ack = parse_ack(result.ack_bytes)
    assert ack.batch_code in {"AA", "AE", "AR"}
    assert {i.message_id for i in ack.items} == {*result.accepted, *result.rejected}
    assert all(i.code == "CR" for i in ack.items if i.message_id in result.rejected)
    if ack.batch_code == "AR":
        assert result.accepted == ()


@_cases
@given(
    name=st.sampled_from(sorted(SAMPLES) or ["none"]),
    mutations=st.lists(_mutation, min_size=1, max_size=4),
)
def test_a_broken_real_icsr_reads_into_a_writable_case_or_an_e2b_error(
    name: str, mutations: list[tuple[str, int, str, str]]
) -> None:
    data = _mutated(SAMPLES[name], mutations)

    try:
        batch = parse_batch(data)
    except E2BR3Error:
        return  # refused with the reader's own error: an allowed outcome
    again = parse_batch(to_bytes(batch))

    assert [m.message_id for m in again.messages] == [m.message_id for m in batch.messages]
    assert [len(m.icsr.drugs) for m in again.messages] == [
        len(m.icsr.drugs) for m in batch.messages
    ]
    assert [len(m.icsr.reactions) for m in again.messages] == [
        len(m.icsr.reactions) for m in batch.messages
    ]


def test_the_mutation_helper_changes_the_document() -> None:
    name = sorted(SAMPLES)[0]

    data = _mutated(SAMPLES[name], [("drop", 3, "", "value")])

    assert len(data) < len(SAMPLES[name])
    assert Path(name).suffix == ".xml"
