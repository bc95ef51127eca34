"""Request and response bodies of the case API (what the OpenAPI document publishes)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from channels.parsing.web_form import WebForm
from gateway.domain.followup.questions import Question


def _reason() -> Any:
    return Field(min_length=1, max_length=2000, description="Why: kept in the version and audit.")


Outcome = Literal[
    "recovered", "recovering", "not_recovered", "recovered_with_sequelae", "fatal", "unknown"
]
Criterion = Literal[
    "death",
    "life_threatening",
    "hospitalisation",
    "disabling",
    "congenital_anomaly",
    "other_medically_important",
]
#: ISO 8601 date, possibly partial: 2024, 2024-03 or 2024-03-15
PARTIAL_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("reason", "rationale", check_fields=False)
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


# -- errors -----------------------------------------------------------------------------------
class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, str]


class ErrorBody(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "fields"}}``."""

    error: ErrorDetail


# -- lists ------------------------------------------------------------------------------------
class CaseSummary(BaseModel):
    id: str
    estado: str = Field(description="The state's Spanish name, e.g. 'Pendiente', 'En progreso'.")
    state: str
    version: int
    created_at: datetime = Field(description="First receipt of the report.")
    updated_at: datetime
    day_zero: datetime | None
    serious: bool | None
    valid: bool | None
    channel: str | None
    summary: str


class Pagination(BaseModel):
    page: int
    page_size: int
    total: int
    pages: int


class CaseList(BaseModel):
    items: list[CaseSummary]
    pagination: Pagination


# -- one case ---------------------------------------------------------------------------------
class MedDRACoding(BaseModel):
    version: str
    llt_code: str
    llt_name: str | None = None
    llt_current: bool | None = None
    pt_code: str | None = None
    pt_name: str | None = None
    soc_code: str | None = None
    soc_name: str | None = None


class EventView(BaseModel):
    id: str
    verbatim: str | None
    verbatim_language: str | None
    translation: str | None
    start_date: str | None
    end_date: str | None
    outcome: str | None
    seriousness: list[str]
    serious: bool = Field(description="grave / no grave")
    medically_confirmed: bool | None
    country: str | None
    meddra: MedDRACoding | None


class Deletion(BaseModel):
    deleted_at: datetime
    deleted_by: str | None
    reason: str | None


class DuplicateDecisionView(BaseModel):
    decision: Literal["unique", "duplicate"]
    master_case_id: str | None
    decided_at: datetime | None
    decided_by: str | None


class CaseDetail(CaseSummary):
    expedited: bool | None
    missing_criteria: list[str]
    eventos: list[EventView]
    icsr: dict[str, Any] = Field(description="The current version's ICSR (E2B(R3) sections C-H).")
    deleted: Deletion | None
    duplicate: DuplicateDecisionView | None


# -- writing a case ---------------------------------------------------------------------------
class CaseCreate(WebForm):
    """A new case, as the web reporting form has it, plus where and when it was received.

    ``report_id`` is the source's own reference: a second case with the same one (or with
    the same C.1.1 / C.1.8.1 as a case on file) is refused with 409."""

    channel: str = Field(
        default="API",
        pattern=r"^[A-Z][A-Z_]{1,31}$",
        description="How the report reached us (API, PHONE, EMAIL, WEB_FORM …): digital "
        "channels need the reporter's contact details for validity.",
    )
    received_at: datetime | None = Field(
        default=None, description="Receipt at our first touchpoint (candidate Day 0); default now."
    )
    safety_report_id: str | None = Field(default=None, max_length=100, description="C.1.1")

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError("give the time zone (e.g. 2024-03-15T10:00:00Z)")
        return value.astimezone(UTC)  # any offset a client sends; the case keeps UTC


class CaseReplace(_Body):
    icsr: dict[str, Any] = Field(description="The whole ICSR, as GET returns it.")
    reason: str = _reason()


class CasePatch(_Body):
    changes: dict[str, Any] = Field(
        description="A JSON merge patch (RFC 7396) on the ICSR: given members replace, null "
        "removes, objects merge."
    )
    reason: str = _reason()


class CaseDelete(_Body):
    password: str = Field(min_length=1, max_length=1024, description="The caller's password.")
    reason: str = _reason()


# -- events -----------------------------------------------------------------------------------
class EventIn(_Body):
    id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    verbatim: str = Field(min_length=1, max_length=250, description="E.i.1.1a as reported")
    verbatim_language: str | None = Field(default=None, pattern=r"^[a-z]{3}$")
    translation: str | None = Field(default=None, max_length=250)
    start_date: str | None = Field(default=None, pattern=PARTIAL_DATE)
    end_date: str | None = Field(default=None, pattern=PARTIAL_DATE)
    outcome: Outcome | None = None
    seriousness: list[Criterion] = Field(default_factory=list, max_length=6)
    medically_confirmed: bool | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class EventPatchFields(_Body):
    verbatim: str | None = Field(default=None, min_length=1, max_length=250)
    verbatim_language: str | None = Field(default=None, pattern=r"^[a-z]{3}$")
    translation: str | None = Field(default=None, max_length=250)
    start_date: str | None = Field(default=None, pattern=PARTIAL_DATE)
    end_date: str | None = Field(default=None, pattern=PARTIAL_DATE)
    outcome: Outcome | None = None
    seriousness: list[Criterion] | None = Field(default=None, max_length=6)
    medically_confirmed: bool | None = None
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")


class EventsReplace(_Body):
    eventos: list[EventIn] = Field(max_length=200)
    reason: str = _reason()


class EventReplace(_Body):
    evento: EventIn
    reason: str = _reason()


class EventPatch(_Body):
    evento: EventPatchFields
    reason: str = _reason()


class CodingUpdate(_Body):
    llt_code: str = Field(pattern=r"^\d{8}$")
    pt_code: str | None = Field(default=None, pattern=r"^\d{8}$")
    version: str = Field(pattern=r"^\d{1,2}\.\d$", description="MedDRA version, e.g. 27.0")
    rationale: str = _reason()


class CaseChanged(BaseModel):
    id: str
    version: int
    estado: str
    state: str


class EventsAnswer(CaseChanged):
    eventos: list[EventView]


# -- duplicates -------------------------------------------------------------------------------
class MatchingField(BaseModel):
    field: str
    this_case: str
    other_case: str
    weight: float
    kind: str


class DuplicateCandidate(BaseModel):
    case_id: str
    estado: str
    score: float
    exact_duplicate: bool
    matching: list[MatchingField]


class DuplicateCandidates(BaseModel):
    case_id: str
    decision: DuplicateDecisionView | None
    candidates: list[DuplicateCandidate]


class DuplicateDecisionIn(_Body):
    decision: Literal["unique", "duplicate"]
    master_case_id: str | None = Field(default=None, min_length=1, max_length=64)
    reason: str = _reason()


class DuplicateDecisionAnswer(BaseModel):
    case_id: str
    decision: DuplicateDecisionView
    resolved_triage_items: list[str]


class DuplicateCheckIn(_Body):
    case_ids: list[str] = Field(min_length=1, max_length=100)
    min_score: float = Field(default=0.6, ge=0.0, le=1.0)


class DuplicateCheckResult(BaseModel):
    case_id: str
    found: bool
    candidates: list[DuplicateCandidate]


class DuplicateCheck(BaseModel):
    results: list[DuplicateCheckResult]


# -- follow-up --------------------------------------------------------------------------------
class FollowUpRequestView(BaseModel):
    id: str
    channel: str
    recipient: str
    language: str
    questions: list[str]
    status: str
    case_version: int
    created_at: datetime
    sent_at: datetime | None
    reminders_sent: int
    closed_at: datetime | None
    closed_reason: str | None


class FollowUpMessageView(BaseModel):
    id: str
    request_id: str | None
    direction: str
    kind: str
    channel: str
    subject: str | None
    body: str
    delivery_state: str
    message_ref: str | None
    provider_ref: str | None
    created_at: datetime
    state_at: datetime


class FollowUpThread(BaseModel):
    case_id: str
    estado: str
    requests: list[FollowUpRequestView]
    messages: list[FollowUpMessageView]


class FollowUpSend(_Body):
    channel: Literal["EMAIL", "SMS", "WHATSAPP"] | None = Field(
        default=None, description="Default: the channel the report came on, else e-mail."
    )
    questions: list[Question] | None = Field(
        default=None, min_length=1, max_length=10, description="Default: what the case lacks."
    )
    language: Literal["en", "es"] | None = None


class FollowUpSent(BaseModel):
    case_id: str
    estado: str
    request: FollowUpRequestView
    message: FollowUpMessageView


# -- submissions, ACKs ------------------------------------------------------------------------
class SubmissionView(BaseModel):
    id: str
    case_version: int
    destination_id: str
    kind: str
    status: str
    due_date: date | None
    day_zero: datetime | None
    safety_report_id: str | None
    message_id: str | None
    batch_number: str | None
    local_report_number: str | None
    errors: list[str]
    deadline_met: bool | None
    transmissions: int
    planned_at: datetime
    dispatched_at: datetime | None
    acked_at: datetime | None
    reason: str | None


class AckItemView(BaseModel):
    message_id: str | None
    message_date: str | None
    code: str | None
    local_report_number: str | None
    error_text: str | None


class AckView(BaseModel):
    id: str
    received_at: datetime
    format: str | None
    batch_number: str | None
    batch_code: str | None
    outcome: str
    duplicate: bool
    items: list[AckItemView]


# -- history ----------------------------------------------------------------------------------
class VersionView(BaseModel):
    number: int
    state: str
    estado: str
    actor: str
    action: str
    reason: str
    source_ref: str | None
    created_at: datetime


class VersionDetail(VersionView):
    icsr: dict[str, Any]


class DiffEntry(BaseModel):
    path: str
    before: Any = Field(alias="from")
    after: Any = Field(alias="to")

    model_config = ConfigDict(populate_by_name=True)


class VersionDiff(BaseModel):
    case_id: str
    from_version: int = Field(alias="from")
    to_version: int = Field(alias="to")
    changes: list[DiffEntry]

    model_config = ConfigDict(populate_by_name=True)


class AuditView(BaseModel):
    at: datetime
    actor: str
    action: str
    reason: str
    detail: dict[str, Any]


# -- users and tokens -------------------------------------------------------------------------
class UserCreate(_Body):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=8, max_length=1024)


class UserView(BaseModel):
    id: str
    username: str
    created_at: datetime
    disabled_at: datetime | None


class TokenCreate(_Body):
    user_id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="api", min_length=1, max_length=128)
    scopes: list[
        Literal["icsr:list", "icsr:read", "icsr:create", "icsr:update", "icsr:delete", "admin"]
    ] = Field(min_length=1)
    expires_at: datetime | None = None


class TokenView(BaseModel):
    id: str
    user_id: str
    name: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class TokenIssued(TokenView):
    secret: str = Field(description="Shown once: only its hash is kept.")
