"""`GET /metrics`: submission compliance per destination, in the Prometheus text format.

A custom collector reads the store on every scrape (the store is the source of truth, so
nothing is counted twice across restarts or processes):

    icsr_submissions{destination}                          submissions that count
    icsr_submissions_accepted{destination}                 answered CA
    icsr_submissions_open{destination, state}              due / at_risk / overdue
    icsr_submission_on_time_ratio{destination}             on time / decided (absent: none)
    icsr_submission_days_to_positive_ack_median{destination}  Day 0 to CA (absent: none)
    icsr_triage_open{kind}                                 triage items waiting for a person

Figures follow ``gateway.domain.submissions.monitor``: a submission is met on the send of
the transmission that was accepted (GVP VI.App.4), and dates are the company's (the
configured time zone).
"""

from __future__ import annotations

import asyncio
import statistics
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from gateway.clock import utcnow
from gateway.domain.submissions.monitor import (
    DeadlineState,
    SubmissionOutcome,
    compliance,
    submission_status,
)
from gateway.errors import GatewayError
from gateway.logs import get_logger
from gateway.settings import Settings
from gateway.store import triage
from gateway.store.compliance import MonitoredSubmission, monitored_submissions
from gateway.store.engine import Store

__all__ = [
    "DestinationFigures",
    "SubmissionComplianceCollector",
    "destination_figures",
    "metrics_router",
]

log = get_logger(__name__)
_SECONDS_PER_DAY = 86_400
_OPEN_STATES = (DeadlineState.DUE, DeadlineState.AT_RISK, DeadlineState.OVERDUE)


@dataclass(slots=True)
class DestinationFigures:
    destination_id: str
    total: int = 0
    accepted: int = 0
    on_time_rate: float | None = None
    median_days_to_positive_ack: float | None = None
    open: dict[DeadlineState, int] = field(default_factory=lambda: dict.fromkeys(_OPEN_STATES, 0))


def _met_at(row: MonitoredSubmission) -> datetime | None:
    return (row.dispatched_at or row.acked_at) if row.accepted else None


def destination_figures(
    rows: Iterable[MonitoredSubmission],
    *,
    now: datetime,
    tz: tzinfo,
    at_risk_days: int,
    destinations: Sequence[str] = (),
) -> list[DestinationFigures]:
    """Per destination (each of ``destinations`` included even with no submissions yet)."""
    by_destination = {d: DestinationFigures(d) for d in destinations}
    delays: dict[str, list[float]] = {}
    outcomes: list[SubmissionOutcome] = []
    for row in rows:
        figures = by_destination.setdefault(
            row.destination_id, DestinationFigures(row.destination_id)
        )
        figures.total += 1
        state = submission_status(row.due_date, now, _met_at(row), at_risk_days, tz=tz)
        if state.is_open:
            figures.open[state] += 1
        if row.accepted:
            figures.accepted += 1
        if row.day_zero is None:
            continue
        outcomes.append(
            SubmissionOutcome(
                destination_id=row.destination_id,
                due_date=row.due_date,
                day_zero=row.day_zero,
                accepted_at=_met_at(row),
            )
        )
        if row.accepted and row.acked_at is not None:
            days = (row.acked_at - row.day_zero).total_seconds() / _SECONDS_PER_DAY
            delays.setdefault(row.destination_id, []).append(days)
    for f in compliance(outcomes, now=now, tz=tz):
        by_destination[f.destination_id].on_time_rate = f.on_time_rate
    for destination_id, values in delays.items():
        by_destination[destination_id].median_days_to_positive_ack = statistics.median(values)
    return [by_destination[d] for d in sorted(by_destination)]


class SubmissionComplianceCollector(Collector):
    """Reads the submissions on each scrape and reports the figures as gauges."""

    def __init__(
        self,
        read: Callable[[], Sequence[MonitoredSubmission]],
        *,
        tz: tzinfo,
        at_risk_days: int,
        destinations: Sequence[str] = (),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._read = read
        self._tz = tz
        self._at_risk_days = at_risk_days
        self._destinations = tuple(destinations)
        self._clock = clock

    def collect(self) -> Iterable[Metric]:
        figures = destination_figures(
            self._read(),
            now=self._clock(),
            tz=self._tz,
            at_risk_days=self._at_risk_days,
            destinations=self._destinations,
        )
        label = ["destination"]
        total = GaugeMetricFamily(
            "icsr_submissions",
            "Submissions that count (not superseded or cancelled).",
            labels=label,
        )
        accepted = GaugeMetricFamily(
            "icsr_submissions_accepted",
            "Submissions answered with a positive ACK (CA).",
            labels=label,
        )
        open_ = GaugeMetricFamily(
            "icsr_submissions_open",
            "Submissions not yet accepted, by deadline state: due, at_risk, overdue.",
            labels=["destination", "state"],
        )
        on_time = GaugeMetricFamily(
            "icsr_submission_on_time_ratio",
            "On-time accepted submissions over those decided (accepted with a due date, or "
            "overdue).",
            labels=label,
        )
        median = GaugeMetricFamily(
            "icsr_submission_days_to_positive_ack_median",
            "Median days from Day 0 to the positive ACK (CA).",
            labels=label,
        )
        for f in figures:
            total.add_metric([f.destination_id], f.total)
            accepted.add_metric([f.destination_id], f.accepted)
            for state, count in f.open.items():
                open_.add_metric([f.destination_id, state.value], count)
            if f.on_time_rate is not None:
                on_time.add_metric([f.destination_id], f.on_time_rate)
            if f.median_days_to_positive_ack is not None:
                median.add_metric([f.destination_id], f.median_days_to_positive_ack)
        yield from (total, accepted, open_, on_time, median)


class TriageCollector(Collector):
    """Open triage items by kind, read on each scrape: what is waiting for a person."""

    def __init__(self, read: Callable[[], dict[str, int]]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily(
            "icsr_triage_open",
            "Triage items waiting for a person's decision, by kind.",
            labels=["kind"],
        )
        for kind, count in sorted(self._read().items()):
            gauge.add_metric([kind], count)
        yield gauge


def metrics_router(
    store: Store,
    settings: Settings,
    *,
    destinations: Sequence[str] = (),
    clock: Callable[[], datetime] = utcnow,
) -> APIRouter:
    """The ``/metrics`` route over its own registry (the process-wide one is left alone)."""
    registry = CollectorRegistry(auto_describe=False)

    def read() -> list[MonitoredSubmission]:
        with store.snapshot() as conn:
            return monitored_submissions(conn)

    def read_triage() -> dict[str, int]:
        with store.snapshot() as conn:
            return triage.count_open_by_kind(conn)

    registry.register(TriageCollector(read_triage))
    registry.register(
        SubmissionComplianceCollector(
            read,
            tz=zoneinfo.ZoneInfo(settings.submission_timezone),
            at_risk_days=settings.submission_at_risk_days,
            destinations=destinations,
            clock=clock,
        )
    )
    router = APIRouter(tags=["metrics"])

    @router.get("/metrics", response_class=Response)
    async def metrics() -> Response:
        """Submission compliance per destination (Prometheus text format)."""
        try:
            body = await asyncio.to_thread(generate_latest, registry)
        except GatewayError as exc:
            log.warning("metrics not available", error=str(exc))
            return Response("store not available\n", status_code=503, media_type="text/plain")
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return router
