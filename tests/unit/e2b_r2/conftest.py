"""Fixtures for the E2B(R2) tests: the public ICH / FDA material next to the repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

SHARED = Path(__file__).resolve().parents[3].parent / "shared"


@pytest.fixture(scope="session")
def shared() -> Path:
    if not (SHARED / "e2b").is_dir():
        pytest.skip(f"public E2B material not found at {SHARED / 'e2b'}")
    return SHARED


@pytest.fixture(scope="session")
def r2_dtd(shared: Path) -> Any:
    """The ICH ICSR 2.1 DTD, loaded once."""
    return etree.DTD(str(shared / "e2b" / "ich-r2" / "icsr21xml.dtd"))


@pytest.fixture(scope="session")
def r3_schema(shared: Path) -> Any:
    """The ICH E2B(R3) batch schema, loaded once."""
    xsd = shared / "e2b" / "ich-r3-schemas" / "multicacheschemas" / "MCCI_IN200100UV01.xsd"
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.XMLSchema(etree.parse(str(xsd), parser))


@pytest.fixture(scope="session")
def fda_r3_samples(shared: Path) -> list[Path]:
    found = sorted((shared / "e2b" / "samples" / "fda-r3").glob("FAERS2022Scenario*.xml"))
    if not found:
        pytest.skip("FDA FAERS2022Scenario*.xml samples not found")
    return found


@pytest.fixture(scope="session")
def faers_r2_example(shared: Path) -> bytes:
    path = shared / "e2b" / "samples" / "hl7" / "FAERS_EXAMPLE.xml"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path.read_bytes()


def assert_valid(validator: Any, el: Any) -> None:
    """Validate and show libxml2's findings when it fails."""
    ok = validator.validate(el)
    assert ok, [f"{e.line}: {e.message}" for e in validator.error_log]


@pytest.fixture(scope="session")
def valid() -> Any:
    return assert_valid
