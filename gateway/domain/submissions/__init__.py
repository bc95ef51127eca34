"""Regulatory submissions: destinations, the scheduler and the deadline monitor (pure).

destinations = destinations_from_config(rows)          # or gateway.destinations
planned = plan_submissions(snapshot, destinations, previous, tz=company_tz)
state = submission_status(due, now, accepted_at)
"""

from gateway.domain.submissions.destinations import (
    REPORT_TYPE_NAMES,
    Destination,
    DestinationCriteria,
    DestinationMode,
    E2BFormat,
    FolderTransport,
    HttpTransport,
    TransportConfig,
    TransportKind,
    destinations_from_config,
)
from gateway.domain.submissions.kinds import (
    AWAITING_CORRECTION,
    HOLDING,
    INACTIVE,
    SubmissionKind,
    SubmissionStatus,
)
from gateway.domain.submissions.monitor import (
    ComplianceFigures,
    DeadlineState,
    SubmissionOutcome,
    ack_deadline,
    ack_overdue,
    business_days_between,
    compliance,
    submission_status,
)
from gateway.domain.submissions.schedule import (
    NOT_VALID_STATES,
    CaseSnapshot,
    PlannedSubmission,
    PriorSubmission,
    plan_retransmission,
    plan_submissions,
)

__all__ = [
    "AWAITING_CORRECTION",
    "HOLDING",
    "INACTIVE",
    "NOT_VALID_STATES",
    "REPORT_TYPE_NAMES",
    "CaseSnapshot",
    "ComplianceFigures",
    "DeadlineState",
    "Destination",
    "DestinationCriteria",
    "DestinationMode",
    "E2BFormat",
    "FolderTransport",
    "HttpTransport",
    "PlannedSubmission",
    "PriorSubmission",
    "SubmissionKind",
    "SubmissionOutcome",
    "SubmissionStatus",
    "TransportConfig",
    "TransportKind",
    "ack_deadline",
    "ack_overdue",
    "business_days_between",
    "compliance",
    "destinations_from_config",
    "plan_retransmission",
    "plan_submissions",
    "submission_status",
]
