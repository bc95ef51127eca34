"""The triage queue: what software could not decide (unreadable input, likely duplicates,
ambiguous replies, blocked submissions, unmatched ACKs …), and a person's decision on it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.responses import errors
from gateway.store import triage
from gateway.store.triage import TriageItem

PREFIX = "/api/v1/triage"


class TriageView(BaseModel):
    id: str
    kind: str
    reason: str
    created_at: datetime
    case_id: str | None
    inbound_id: str | None
    status: str
    detail: dict[str, Any]
    resolved_at: datetime | None
    resolved_by: str | None


class TriageDecision(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2000, description="Why: kept in the audit trail.")


def triage_view(item: TriageItem) -> TriageView:
    return TriageView(**item.row())


def triage_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["triage"])

    @router.get(PREFIX, response_model=list[TriageView], responses=errors())
    def list_items(
        principal: Annotated[Principal, Depends(require_scope("icsr:read"))],
        status: Literal["open", "resolved", "all"] = "open",
        kind: Annotated[str | None, Query(max_length=64)] = None,
        case_id: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    ) -> list[TriageView]:
        """Triage items, oldest first: open ones unless ``status`` says otherwise."""
        with ctx.store.snapshot() as conn:
            items = triage.list_items(
                conn,
                status=None if status == "all" else status,
                kind=kind,
                case_id=case_id,
                limit=limit,
            )
        return [triage_view(i) for i in items]

    @router.post(
        f"{PREFIX}/{{item_id}}/resolve", response_model=TriageView, responses=errors(404, 409)
    )
    def resolve(
        item_id: Annotated[str, Path(max_length=64)],
        decision: TriageDecision,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> TriageView:
        """Close an open item with the reason for the decision (audited: who, when, why)."""
        with ctx.store.transaction() as conn:
            item = triage.get_item(conn, item_id)
            if item is None:
                raise ApiError(404, "not_found", f"no triage item {item_id}")
            if not triage.decide(
                conn,
                item_id,
                actor=principal.actor,
                reason=decision.reason,
                at=ctx.clock.now(),
            ):
                raise ApiError(409, "already_resolved", f"triage item {item_id} is not open")
            done = triage.get_item(conn, item_id)
        assert done is not None
        return triage_view(done)

    return router
