"""`GET /metrics`: compliance per destination read from a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import URL

from gateway.api.metrics import metrics_router
from gateway.settings import Settings
from tests.integration.submission_support import Harness, open_harness

pytestmark = pytest.mark.integration


@pytest.fixture
def h(database_url: URL, tmp_path: Path) -> Iterator[Harness]:
    harness = open_harness(database_url, tmp_path)
    yield harness
    harness.store.dispose()


def _scrape(h: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    app = FastAPI()
    app.include_router(
        metrics_router(
            h.store,
            Settings(submission_at_risk_days=3),
            destinations=["EV", "NCA"],
            clock=lambda: h.now,
        )
    )

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
            return await client.get("/metrics")

    response = asyncio.run(get())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def _ev(**labels: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted({"destination": "EV", **labels}.items()))


def test_metrics_show_on_time_rate_median_days_to_ack_and_deadline_states_per_destination(
    h: Harness,
) -> None:
    accepted = h.new_case(day_zero=h.now - timedelta(days=2))
    h.plan(h.event(accepted, 1))
    h.dispatch()
    h.simulator("EV").process_once()
    h.receive_acks("EV")
    h.route()
    due = h.new_case(day_zero=h.now)  # due in 15 days
    at_risk = h.new_case(day_zero=h.now - timedelta(days=14))  # due tomorrow
    overdue = h.new_case(day_zero=h.now - timedelta(days=20))  # due 5 days ago
    h.plan(*(h.event(c, 1) for c in (due, at_risk, overdue)))

    samples = _scrape(h)

    assert samples[("icsr_submissions", _ev())] == 4
    assert samples[("icsr_submissions_accepted", _ev())] == 1
    assert samples[("icsr_submissions_open", _ev(state="due"))] == 1
    assert samples[("icsr_submissions_open", _ev(state="at_risk"))] == 1
    assert samples[("icsr_submissions_open", _ev(state="overdue"))] == 1
    # one accepted on time, one overdue: half of what is decided was on time
    assert samples[("icsr_submission_on_time_ratio", _ev())] == 0.5
    assert samples[("icsr_submission_days_to_positive_ack_median", _ev())] == pytest.approx(2.0)
    nca = (("destination", "NCA"),)
    assert samples[("icsr_submissions", nca)] == 0
    assert ("icsr_submission_on_time_ratio", nca) not in samples


def test_metrics_of_an_empty_store_list_each_destination_with_zero_submissions(
    h: Harness,
) -> None:
    samples = _scrape(h)

    assert samples[("icsr_submissions", _ev())] == 0
    assert samples[("icsr_submissions_open", _ev(state="overdue"))] == 0
    assert ("icsr_submission_days_to_positive_ack_median", _ev()) not in samples
