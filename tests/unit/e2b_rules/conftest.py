"""Fixtures for the E2B business-rule and receiving tests: FDA's public samples, mutated."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from schemas.e2b_rules import Finding, ValidationReport, validate_file

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
E2B = SHARED / "e2b"
NS = {"h": "urn:hl7-org:v3"}
TODAY = date(2025, 1, 1)
SAFE = etree.XMLParser(resolve_entities=False, no_network=True)

Mutator = Callable[[Any], None]


@pytest.fixture(scope="session")
def e2b_dir() -> Path:
    if not E2B.is_dir():
        pytest.skip(f"public E2B material (../shared/e2b) not found at {E2B}")
    return E2B


@pytest.fixture(scope="session")
def schemas_dir(e2b_dir: Path) -> Path:
    return e2b_dir / "ich-r3-schemas"


@pytest.fixture(scope="session")
def sample(e2b_dir: Path) -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        return (e2b_dir / "samples" / "fda-r3" / f"FAERS2022{name}.xml").read_bytes()

    return read


@pytest.fixture(scope="session")
def mutate(sample: Callable[[str], bytes]) -> Callable[[str, Mutator], bytes]:
    """``mutate("Scenario1", fn)``: the sample with ``fn(root)`` applied to its tree."""

    def apply(name: str, fn: Mutator) -> bytes:
        root = etree.fromstring(sample(name), SAFE)
        fn(root)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    return apply


def one(root: Any, xpath: str) -> Any:
    """The single element ``xpath`` (prefix ``h:``) selects; fails the test otherwise."""
    found = root.xpath(xpath, namespaces=NS)
    assert len(found) >= 1, xpath
    return found[0]


def duplicate_message(root: Any, new_id: str) -> Any:
    """Append a copy of the first ICSR with N.2.r.1 = C.1.1 = ``new_id``; return the copy."""
    msg = one(root, "h:PORR_IN049016UV")
    twin = copy.deepcopy(msg)
    msg.addnext(twin)
    one(twin, "h:id").set("extension", new_id)
    one(twin, ".//h:investigationEvent/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']").set(
        "extension", new_id
    )
    return twin


def check(data: bytes, profile: str = "ich", schemas: Path | None = None) -> ValidationReport:
    return validate_file(data, profile, schemas_dir=schemas, today=TODAY)


def only(findings: tuple[Finding, ...], rule_id: str) -> Finding:
    """The one finding with ``rule_id`` (fails, listing all findings, when not exactly one)."""
    hits = [f for f in findings if f.rule_id == rule_id]
    assert len(hits) == 1, [(f.rule_id, f.element_id, f.message) for f in findings]
    return hits[0]


def rejects(findings: tuple[Finding, ...]) -> list[str]:
    return [f.rule_id for f in findings if f.is_reject]


class Kit:
    """The helpers above, handed to tests as a fixture (test modules do not import conftest)."""

    NS = NS
    TODAY = TODAY
    one = staticmethod(one)
    check = staticmethod(check)
    only = staticmethod(only)
    rejects = staticmethod(rejects)
    duplicate_message = staticmethod(duplicate_message)


@pytest.fixture(scope="session")
def kit() -> type[Kit]:
    return Kit
