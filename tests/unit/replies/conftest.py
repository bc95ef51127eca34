"""References and a first case version built with the real intake, for reply tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.intake import Assessment, IntakeReferences, assess_text
from gateway.domain.meddra import MedDRACoder, load_distribution
from gateway.domain.normaliser import ChannelContext

DATA = Path(__file__).resolve().parents[2] / "data"
RECEIVED = datetime(2024, 3, 20, 9, 30, tzinfo=UTC)
REPLIED = datetime(2024, 3, 22, 16, 5, tzinfo=UTC)


@pytest.fixture(scope="session")
def refs() -> IntakeReferences:
    records = json.loads((DATA / "catalogue" / "products.json").read_text("utf-8"))
    coder = MedDRACoder(load_distribution(DATA / "meddra"))
    return IntakeReferences(ProductCatalogue.from_records(records["products"]), coder)


Intake = Callable[[str], Assessment]


@pytest.fixture
def intake(refs: IntakeReferences) -> Intake:
    """``intake(text)``: the first version of a case from an e-mailed report."""

    def _intake(text: str) -> Assessment:
        context = ChannelContext(
            channel="EMAIL", received_at=RECEIVED, sender_address="maria.lopez@example.com"
        )
        return assess_text(text, context=context, refs=refs)

    return _intake
