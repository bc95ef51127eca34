"""The case API's assessment routes: causality, quality check and sign-off, closure.

    GET  /api/v1/icsr/{id}/causality          current results and history per drug x event
    PUT  /api/v1/icsr/{id}/causality          assess (WHO-UMC and/or Naranjo, rationale)
    GET  /api/v1/icsr/{id}/causality/report   the causality report (JSON; exports render it)
    GET  /api/v1/icsr/{id}/qc                 QC runs and sign-offs
    POST /api/v1/icsr/{id}/qc/run             run the checklist on the current version
    POST /api/v1/icsr/{id}/qc/signoff         a person signs off (override reason if blocked)
    GET  /api/v1/icsr/{id}/closure            closures, reopenings and whether it is locked
    POST /api/v1/icsr/{id}/close              close with a reason and rationale (locks)
    POST /api/v1/icsr/{id}/reopen             reopen a closed case for new information

Reads need ``icsr:read``, writes ``icsr:update``. Errors use the API's one shape; 409 when
the case's state or the recorded facts refuse the decision (``fields`` lists why).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.api.auth import Principal, api_clock, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr.responses import errors
from gateway.clock import Clock
from gateway.domain.causality import WhoUmcCriteria, naranjo_answers_from
from gateway.domain.closure import ClosureReason, ClosureRequest
from gateway.domain.meddra import MedDRACoder, MedDRALoadError, load_distribution
from gateway.errors import InvalidMessageError, LifecycleError
from gateway.settings import Settings
from gateway.store import assessments
from gateway.store.assessments.common import row_or_raise
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store
from schemas.avro import AvroCodec
from schemas.topics import Topic

__all__ = ["READ", "UPDATE", "router_for"]

T = TypeVar("T")

#: the route dependencies (module-level so an app can override them in tests)
READ = require_scope("icsr:read")
UPDATE = require_scope("icsr:update")


# -- bodies ----------------------------------------------------------------------------------
class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL text cannot hold NUL; refuse it here as bad input, not later as a crash.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL characters")
        return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class WhoUmcIn(_Body):
    """What the assessor found, criterion by criterion (WHO-UMC)."""

    information: Literal["sufficient", "awaited", "insufficient"] = Field(
        description="awaited: more data being sought (Conditional); insufficient: cannot be "
        "supplemented (Unassessable)."
    )
    time_relationship: Literal["plausible", "improbable", "unknown"]
    other_causes: Literal["ruled_out", "unlikely", "possible"] = Field(
        description="Could disease or other drugs explain the event?"
    )
    dechallenge: Literal["positive", "negative", "not_done", "unknown"]
    rechallenge: Literal["positive", "negative", "not_done", "unknown"]
    definitive: bool = Field(
        description="The event is pharmacologically or phenomenologically definitive."
    )


class NaranjoIn(_Body):
    answers: list[Literal["yes", "no", "dont_know"]] = Field(
        min_length=10, max_length=10, description="Answers to questions 1-10, in order."
    )


class CausalityItemIn(_Body):
    drug_id: str = Field(min_length=1, max_length=64)
    reaction_id: str = Field(min_length=1, max_length=64)
    rationale: str = Field(min_length=1, max_length=4000)
    who_umc: WhoUmcIn | None = None
    naranjo: NaranjoIn | None = None

    _rationale = field_validator("rationale")(_not_blank)


class CausalityIn(_Body):
    assessments: list[CausalityItemIn] = Field(min_length=1, max_length=200)
    reason: str | None = Field(
        default=None, max_length=2000, description="Why now (e.g. the follow-up that arrived)."
    )


class SignoffIn(_Body):
    comment: str | None = Field(default=None, max_length=4000)
    override_reason: str | None = Field(
        default=None,
        max_length=4000,
        description="Required when a blocking check failed: why the case may proceed.",
    )


class CloseIn(_Body):
    reason: Literal[
        "outcome_known", "follow_up_exhausted", "invalid_after_attempts", "duplicate", "other"
    ]
    rationale: str = Field(min_length=1, max_length=4000)
    duplicate_of: str | None = Field(default=None, max_length=64)
    open_submissions_reason: str | None = Field(default=None, max_length=4000)

    _rationale = field_validator("rationale")(_not_blank)


class ReopenIn(_Body):
    reason: str = Field(min_length=1, max_length=2000, description="The new information.")

    _reason = field_validator("reason")(_not_blank)


# -- answers ---------------------------------------------------------------------------------
class CausalityRecordOut(BaseModel):
    id: str
    case_version: int
    drug_id: str
    reaction_id: str
    method: str
    source: str
    result: str
    score: int | None
    answers: dict[str, Any] | list[str]
    basis: list[str]
    rationale: str
    supersedes: str | None
    assessed_by: str
    assessed_at: datetime


class E2BCausalityOut(BaseModel):
    source: str | None
    method: str | None
    result: str | None


class CausalityPairOut(BaseModel):
    drug_id: str
    drug_name: str | None
    reaction_id: str
    reaction_verbatim: str | None
    reaction_llt: str | None
    meddra_version: str | None
    current: list[CausalityRecordOut]
    history: list[CausalityRecordOut]
    e2b: list[E2BCausalityOut]


class NaranjoQuestionOut(BaseModel):
    number: int
    text: str
    yes: int
    no: int
    dont_know: int


class CausalityOut(BaseModel):
    case_id: str
    case_version: int
    state: str
    pairs: list[CausalityPairOut]
    other_history: list[CausalityRecordOut]


class CausalityReportOut(CausalityOut):
    naranjo_questions: list[NaranjoQuestionOut]


class CausalityRevisionOut(BaseModel):
    case_id: str
    version: int
    new_version: bool = Field(description="False when the E2B results were already the same.")
    assessments: list[CausalityRecordOut]


class CheckItemOut(BaseModel):
    id: str
    title: str
    severity: Literal["blocking", "warning"]
    result: Literal["pass", "fail", "not_applicable"]
    message: str
    paths: list[str]


class QcRunOut(BaseModel):
    id: str
    case_id: str
    case_version: int
    run_at: datetime
    run_by: str
    passed: bool
    blocking_failures: int
    warnings: int
    meddra_version: str | None
    items: list[CheckItemOut]


class QcSignoffOut(BaseModel):
    id: str
    case_id: str
    case_version: int
    qc_run_id: str
    signed_by: str
    signed_at: datetime
    comment: str | None
    override_reason: str | None
    state_before: str
    state_after: str


class QcOut(BaseModel):
    case_id: str
    runs: list[QcRunOut]
    signoffs: list[QcSignoffOut]


class ClosureOut(BaseModel):
    id: str
    case_id: str
    case_version: int
    reason: str
    reason_label: str
    rationale: str
    duplicate_of: str | None
    open_submissions_reason: str | None
    open_submissions: list[str]
    followups_stopped: list[str]
    state_before: str
    closed_by: str
    closed_at: datetime
    reopened_at: datetime | None
    reopened_by: str | None
    reopen_reason: str | None


class ClosuresOut(BaseModel):
    case_id: str
    state: str
    locked: bool
    closures: list[ClosureOut]


class ReopenOut(BaseModel):
    case_id: str
    state: str


# -- wiring ----------------------------------------------------------------------------------
class _Coder:
    """The MedDRA coder: the app's when it has one, else loaded once from the settings."""

    def __init__(self, settings: Settings, coder: MedDRACoder | None) -> None:
        self._settings = settings
        self._coder = coder
        self._loaded = coder is not None
        self._lock = threading.Lock()

    def get(self, request: Request) -> MedDRACoder | None:
        references = getattr(request.app.state, "references", None)
        from_app = getattr(references, "coder", None)
        if isinstance(from_app, MedDRACoder):
            return from_app
        with self._lock:
            if not self._loaded and self._settings.meddra_dir is not None:
                try:
                    self._coder = MedDRACoder(load_distribution(self._settings.meddra_dir))
                except MedDRALoadError as exc:
                    raise ApiError(
                        503,
                        "meddra_unavailable",
                        f"the MedDRA distribution (ICSR_MEDDRA_DIR) could not be loaded: {exc}",
                    ) from exc
            self._loaded = True
            return self._coder


@contextmanager
def _answers_errors() -> Iterator[None]:
    """Store and domain refusals as API errors (404, 400, 409)."""
    try:
        yield
    except assessments.CaseNotFoundError as exc:
        raise ApiError(404, "not_found", str(exc)) from exc
    except assessments.AssessmentRefusedError as exc:
        raise ApiError(
            409,
            "refused",
            str(exc) + (": " + "; ".join(exc.problems) if exc.problems else ""),
            {f"problems[{i}]": p for i, p in enumerate(exc.problems)},
        ) from exc
    except LifecycleError as exc:
        raise ApiError(409, "invalid_transition", str(exc)) from exc
    except InvalidMessageError as exc:
        raise ApiError(400, "validation_error", str(exc)) from exc


def router_for(store: Store, settings: Settings, *, coder: MedDRACoder | None = None) -> APIRouter:
    """The assessment routes on ``store``; ``coder`` overrides the MedDRA coder (tests)."""
    router = APIRouter(prefix="/api/v1/icsr", tags=["causality, QC and closure"])
    writer = CaseWriter(AvroCodec.default(), settings.topic(Topic.CASE_EVENTS))
    meddra = _Coder(settings, coder)
    tz = ZoneInfo(settings.submission_timezone)

    def read(fn: Callable[..., T], *args: Any) -> T:
        with _answers_errors(), store.snapshot() as conn:
            return fn(conn, *args)

    def write(fn: Callable[..., T], **kwargs: Any) -> T:
        with _answers_errors(), store.transaction() as conn:
            return fn(conn, **kwargs)

    def report_or_404(case_id: str) -> assessments.CausalityReport:
        report = read(assessments.causality_report, case_id)
        if report is None:
            raise ApiError(404, "not_found", f"case {case_id} does not exist")
        return report

    @router.get("/{case_id}/causality", response_model=CausalityOut, responses=errors(404))
    def get_causality(case_id: str, _: Principal = Depends(READ)) -> dict[str, Any]:  # noqa: B008
        """Per suspect drug x event: the current WHO-UMC and Naranjo results, every earlier
        assessment (revisions after follow-up), and the G.k.9.i.2.r rows of the case."""
        data = report_or_404(case_id).as_dict()
        data.pop("naranjo_questions")
        return data

    @router.put(
        "/{case_id}/causality",
        response_model=CausalityRevisionOut,
        responses=errors(404, 409),
    )
    def put_causality(
        case_id: str,
        body: CausalityIn,
        principal: Principal = Depends(UPDATE),  # noqa: B008
        clock: Clock = Depends(api_clock),  # noqa: B008
    ) -> dict[str, Any]:
        """Assess causality; the results become the case's next version (E2B G.k.9.i.2.r,
        source "Sender"). A case READY_FOR_SUBMISSION returns to QC_PENDING."""
        inputs: list[assessments.CausalityInput] = []
        for index, item in enumerate(body.assessments):
            with _answers_errors():
                try:
                    who = (
                        WhoUmcCriteria.from_mapping(item.who_umc.model_dump())
                        if item.who_umc is not None
                        else None
                    )
                    naranjo = (
                        naranjo_answers_from(item.naranjo.answers)
                        if item.naranjo is not None
                        else None
                    )
                except InvalidMessageError as exc:
                    raise InvalidMessageError(f"assessments[{index}]: {exc}") from exc
            inputs.append(
                assessments.CausalityInput(
                    drug_id=item.drug_id,
                    reaction_id=item.reaction_id,
                    rationale=item.rationale,
                    who_umc=who,
                    naranjo=naranjo,
                )
            )
        revision = write(
            assessments.assess_causality,
            writer=writer,
            case_id=case_id,
            inputs=inputs,
            actor=principal.actor,
            now=clock.now(),
            reason=body.reason,
        )
        return {
            "case_id": revision.case_id,
            "version": revision.version,
            "new_version": revision.new_version,
            "assessments": [r.as_dict() for r in revision.records],
        }

    @router.get(
        "/{case_id}/causality/report",
        response_model=CausalityReportOut,
        responses=errors(404),
    )
    def get_causality_report(
        case_id: str,
        _: Principal = Depends(READ),  # noqa: B008
    ) -> dict[str, Any]:
        """The causality assessment report of the case (the exports render it as PDF)."""
        return report_or_404(case_id).as_dict()

    @router.get("/{case_id}/qc", response_model=QcOut, responses=errors(404))
    def get_qc(case_id: str, _: Principal = Depends(READ)) -> dict[str, Any]:  # noqa: B008
        """Every QC run (with its items) and every sign-off of the case."""

        def load(conn: Any) -> dict[str, Any]:
            row_or_raise(conn, case_id)
            return {
                "case_id": case_id,
                "runs": [r.as_dict() for r in assessments.qc_runs(conn, case_id)],
                "signoffs": [s.as_dict() for s in assessments.qc_signoffs(conn, case_id)],
            }

        return read(load)

    @router.post(
        "/{case_id}/qc/run", response_model=QcRunOut, status_code=201, responses=errors(404)
    )
    def post_qc_run(
        request: Request,
        case_id: str,
        principal: Principal = Depends(UPDATE),  # noqa: B008
        clock: Clock = Depends(api_clock),  # noqa: B008
    ) -> dict[str, Any]:
        """Run the checklist on the current version; the results are stored."""
        run = write(
            assessments.run_quality_check,
            case_id=case_id,
            actor=principal.actor,
            now=clock.now(),
            coder=meddra.get(request),
            at_risk_days=settings.submission_at_risk_days,
            tz=tz,
        )
        return run.as_dict()

    @router.post(
        "/{case_id}/qc/signoff",
        response_model=QcSignoffOut,
        status_code=201,
        responses=errors(404, 409),
    )
    def post_qc_signoff(
        case_id: str,
        body: SignoffIn,
        principal: Principal = Depends(UPDATE),  # noqa: B008
        clock: Clock = Depends(api_clock),  # noqa: B008
    ) -> dict[str, Any]:
        """Sign off the latest QC run of the current version; the case moves on to
        READY_FOR_SUBMISSION. 409 without a run, or with a blocking failure and no
        override_reason."""
        signoff = write(
            assessments.sign_off_qc,
            writer=writer,
            case_id=case_id,
            actor=principal.actor,
            now=clock.now(),
            comment=body.comment,
            override_reason=body.override_reason,
        )
        return signoff.as_dict()

    @router.get("/{case_id}/closure", response_model=ClosuresOut, responses=errors(404))
    def get_closure(case_id: str, _: Principal = Depends(READ)) -> dict[str, Any]:  # noqa: B008
        """Whether the case is locked, and every closure with the reopening that ended it."""

        def load(conn: Any) -> dict[str, Any]:
            row = row_or_raise(conn, case_id)
            return {
                "case_id": case_id,
                "state": row.state.value,
                "locked": row.state in assessments.LOCKED_STATES,
                "closures": [c.as_dict() for c in assessments.closures(conn, case_id)],
            }

        return read(load)

    @router.post(
        "/{case_id}/close",
        response_model=ClosureOut,
        status_code=201,
        responses=errors(404, 409),
    )
    def post_close(
        case_id: str,
        body: CloseIn,
        principal: Principal = Depends(UPDATE),  # noqa: B008
        clock: Clock = Depends(api_clock),  # noqa: B008
    ) -> dict[str, Any]:
        """Close the case with a reason and rationale; it is then locked until new
        information reopens it."""
        record = write(
            assessments.close_case,
            writer=writer,
            case_id=case_id,
            request=ClosureRequest(
                reason=ClosureReason(body.reason),
                rationale=body.rationale,
                duplicate_of=body.duplicate_of,
                open_submissions_reason=body.open_submissions_reason,
            ),
            actor=principal.actor,
            now=clock.now(),
        )
        return record.as_dict()

    @router.post("/{case_id}/reopen", response_model=ReopenOut, responses=errors(404, 409))
    def post_reopen(
        case_id: str,
        body: ReopenIn,
        principal: Principal = Depends(UPDATE),  # noqa: B008
        clock: Clock = Depends(api_clock),  # noqa: B008
    ) -> dict[str, Any]:
        """Reopen a closed case (CLOSED -> IN_PROGRESS) because new information arrived."""
        state = write(
            assessments.reopen_case,
            writer=writer,
            case_id=case_id,
            actor=principal.actor,
            reason=body.reason,
            now=clock.now(),
        )
        return {"case_id": case_id, "state": state.value}

    return router
