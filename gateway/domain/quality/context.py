"""What the checklist is given besides the ICSR: the time, the MedDRA coder, the previous
version and the case's submissions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from gateway.domain.icsr import ICSR
from gateway.domain.meddra.coder import MedDRACoder


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmissionClock:
    """What the deadline and identifier checks need of one submission of the case."""

    destination_id: str
    kind: str
    status: str  # a SubmissionStatus value (the store's "built" counts as dispatched)
    due_date: date | None
    accepted_at: datetime | None = None
    safety_report_id: str | None = None
    worldwide_case_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityContext:
    now: datetime
    #: the loaded MedDRA dictionary's coder; None = MedDRA checks report "not checked"
    coder: MedDRACoder | None = None
    digital_channel: bool = False
    #: the version before this one: identifiers must not change between versions
    previous: ICSR | None = None
    submissions: tuple[SubmissionClock, ...] = ()
    at_risk_days: int = 3
    tz: tzinfo = UTC
