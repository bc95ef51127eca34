"""Opening a case for a report that has just been received.

The receipt timestamp at our first touchpoint is the candidate Day 0 (C.1.4) and the
most recent information date (C.1.5); validity, coding and seriousness are assessed by
intake afterwards, each as a new version.
"""

from __future__ import annotations

from datetime import datetime

from gateway.domain.case import Case, Provenance
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.partial_date import DatePrecision, PartialDate
from gateway.domain.report import ReportIdentification


def open_case_for_receipt(
    *, case_id: str, channel: str, received_at: datetime, inbound_id: str, actor: str
) -> Case:
    received = PartialDate.from_datetime(received_at, DatePrecision.SECOND)
    icsr = ICSR(report=ReportIdentification(first_received=received, most_recent_info=received))
    provenance = Provenance(
        actor=actor,
        action="case.received",
        at=received_at,
        reason=f"report received on channel {channel}",
        source_ref=inbound_id,
    )
    return Case.open(case_id, icsr, provenance, state=CaseState.RECEIVED)
