"""A case's regulatory submissions and the acknowledgements received for them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import Connection, select

from gateway.api.auth import Principal, require_scope
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.models import AckItemView, AckView, SubmissionView
from gateway.api.icsr.reading import require_row
from gateway.api.icsr.responses import errors
from gateway.store import submissions as store
from gateway.store.submissions import SubmissionRow
from gateway.store.tables import acks, transmissions

PREFIX = "/api/v1/icsr/{case_id}"


def submission_view(s: SubmissionRow) -> SubmissionView:
    return SubmissionView(
        id=s.id,
        case_version=s.case_version,
        destination_id=s.destination_id,
        kind=s.kind,
        status=s.status,
        due_date=s.due_date,
        day_zero=s.day_zero,
        safety_report_id=s.safety_report_id,
        message_id=s.message_id,
        batch_number=s.batch_number,
        local_report_number=s.local_report_number,
        errors=list(s.errors),
        deadline_met=s.deadline_met,
        transmissions=s.transmissions,
        planned_at=s.planned_at,
        dispatched_at=s.dispatched_at,
        acked_at=s.acked_at,
        reason=s.reason,
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def acks_of_case(conn: Connection, case_id: str) -> list[AckView]:
    """ACKs of the batches that carried the case's ICSRs, with only the case's items (a
    batch may carry other cases)."""
    rows = store.for_case(conn, case_id)
    message_ids = {s.message_id for s in rows if s.message_id}
    batches = {s.batch_number for s in rows if s.batch_number}
    transmission_ids = [s.transmission_id for s in rows if s.transmission_id]
    if transmission_ids:
        batches.update(
            conn.execute(
                select(transmissions.c.batch_number).where(transmissions.c.id.in_(transmission_ids))
            ).scalars()
        )
    if not batches:
        return []
    found = conn.execute(
        select(acks).where(acks.c.batch_number.in_(sorted(batches))).order_by(acks.c.received_at)
    )
    views: list[AckView] = []
    for r in found:
        parsed = r.parsed if isinstance(r.parsed, dict) else {}
        items = [
            AckItemView(
                message_id=_text(i.get("message_id")),
                message_date=_text(i.get("message_date")),
                code=_text(i.get("code")),
                local_report_number=_text(i.get("local_report_number")),
                error_text=_text(i.get("error_text")),
            )
            for i in parsed.get("items") or []
            if isinstance(i, dict) and i.get("message_id") in message_ids
        ]
        views.append(
            AckView(
                id=r.id,
                received_at=r.received_at,
                format=r.format,
                batch_number=r.batch_number,
                batch_code=r.batch_code,
                outcome=r.outcome,
                duplicate=bool(r.duplicate),
                items=items,
            )
        )
    return views


def submissions_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["submissions"])

    @router.get(f"{PREFIX}/submissions", response_model=list[SubmissionView], responses=errors(404))
    def case_submissions(
        case_id: str, principal: Annotated[Principal, Depends(require_scope("icsr:read"))]
    ) -> list[SubmissionView]:
        """What each version of the case owes each regulator, and where it stands."""
        with ctx.store.snapshot() as conn:
            require_row(conn, case_id)
            return [submission_view(s) for s in store.for_case(conn, case_id)]

    @router.get(f"{PREFIX}/acks", response_model=list[AckView], responses=errors(404))
    def case_acks(
        case_id: str, principal: Annotated[Principal, Depends(require_scope("icsr:read"))]
    ) -> list[AckView]:
        """The acknowledgements of the batches that carried the case."""
        with ctx.store.snapshot() as conn:
            require_row(conn, case_id)
            return acks_of_case(conn, case_id)

    return router
