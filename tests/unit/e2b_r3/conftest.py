"""Shared fixtures for the E2B(R3) mapping tests: the public sample material and the schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

REPO = Path(__file__).resolve().parents[3]


def shared_e2b() -> Path | None:
    """``../shared/e2b`` next to the repository (public ICH / FDA material), if present."""
    path = (REPO / ".." / "shared" / "e2b").resolve()
    return path if path.is_dir() else None


def fda_samples() -> list[Path]:
    root = shared_e2b()
    if root is None:
        return []
    return sorted((root / "samples" / "fda-r3").glob("FAERS2022Scenario*.xml"))


SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


def load(path: Path) -> Any:
    return etree.fromstring(path.read_bytes(), SAFE_PARSER)


@pytest.fixture(scope="session")
def e2b_dir() -> Path:
    root = shared_e2b()
    if root is None:
        pytest.skip(f"public E2B material not found at {REPO.parent / 'shared' / 'e2b'}")
    return root


@pytest.fixture(scope="session")
def r3_schema(e2b_dir: Path) -> Any:
    xsd = e2b_dir / "ich-r3-schemas" / "multicacheschemas" / "MCCI_IN200100UV01.xsd"
    return etree.XMLSchema(etree.parse(str(xsd)))
