"""Shared fixtures: the test catalogue and a helper that normalises one message."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.normaliser import ChannelContext, Draft, normalise

DATA = Path(__file__).resolve().parents[2] / "data"
RECEIVED = datetime(2024, 3, 20, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def catalogue() -> ProductCatalogue:
    with (DATA / "catalogue" / "products.json").open(encoding="utf-8") as handle:
        return ProductCatalogue.from_records(json.load(handle)["products"])


Normalise = Callable[..., Draft]


@pytest.fixture
def read(catalogue: ProductCatalogue) -> Normalise:
    """``read(text, channel="SMS", phone=..., email=..., name=...)`` -> Draft."""

    def _read(
        text: str,
        channel: str = "EMAIL",
        *,
        email: str | None = "reporter@example.com",
        phone: str | None = None,
        name: str | None = None,
    ) -> Draft:
        context = ChannelContext(
            channel=channel,
            received_at=RECEIVED,
            sender_address=email,
            sender_phone=phone,
            display_name=name,
        )
        return normalise(text, channel=context, catalogue=catalogue)

    return _read
