"""Cases: list and search, create, read, replace, merge-patch, soft delete."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response

from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr import case_writes
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.models import (
    CaseChanged,
    CaseCreate,
    CaseDelete,
    CaseDetail,
    CaseList,
    CasePatch,
    CaseReplace,
)
from gateway.api.icsr.reading import case_detail, changed, current, icsr_from_json, unchanged
from gateway.api.icsr.responses import errors
from gateway.api.icsr.views import case_summary, pagination
from gateway.domain.lifecycle import CaseState
from gateway.domain.serialization import dump
from gateway.store import case_queries
from gateway.store import cases as case_rows
from gateway.store.case_queries import MAX_PAGE_SIZE, CaseFilter, OrderBy

PREFIX = "/api/v1/icsr"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def cases_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["cases"])

    @router.get(f"{PREFIX}", response_model=CaseList, responses=errors())
    def list_cases(
        principal: Annotated[Principal, Depends(require_scope("icsr:list"))],
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 20,
        q: Annotated[
            str | None,
            Query(max_length=200, description="Words to find in the case's text (all of them)."),
        ] = None,
        fecha_desde: Annotated[
            date | None, Query(description="Received on or after (ISO date).")
        ] = None,
        fecha_hasta: Annotated[
            date | None, Query(description="Received on or before (ISO date).")
        ] = None,
        order_by: OrderBy = "id",
        order_dir: Literal["asc", "desc"] = "desc",
        state: CaseState | None = None,
        include_deleted: bool = False,
    ) -> CaseList:
        """List and search cases, newest first by default; deleted cases only on request."""
        if fecha_desde is not None and fecha_hasta is not None and fecha_desde > fecha_hasta:
            problem = "fecha_desde is after fecha_hasta"
            raise ApiError(
                400,
                "validation_error",
                problem,
                {"fecha_desde": problem, "fecha_hasta": problem},
            )
        f = CaseFilter(
            q=q,
            received_from=fecha_desde,
            received_to=fecha_hasta,
            state=state,
            include_deleted=include_deleted,
            order_by=order_by,
            order_dir=order_dir,
            page=page,
            page_size=page_size,
        )
        if f.words:
            with ctx.store.snapshot() as conn:
                stale = case_queries.needs_search_refresh(conn)
            if stale:
                with ctx.store.transaction() as conn:
                    case_queries.refresh_search_text(conn)
        with ctx.store.snapshot() as conn:
            found = case_queries.list_cases(conn, f)
            icsrs = case_rows.current_icsrs(conn, [c.id for c in found.items])
        return CaseList(
            items=[case_summary(c, icsrs.get(c.id)) for c in found.items],
            pagination=pagination(page, page_size, found.total),
        )

    @router.post(
        f"{PREFIX}",
        status_code=201,
        response_model=CaseDetail,
        responses=errors(409),
    )
    def create_case(
        body: CaseCreate,
        response: Response,
        principal: Annotated[Principal, Depends(require_scope("icsr:create"))],
    ) -> CaseDetail:
        """Create a case: assessed like intake (validity, Day 0, seriousness), checked for
        duplicates (exact: 409; likely: a triage item), its missing-data request planned."""
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            case_id = case_writes.create_case(conn, ctx, principal, body, now)
            detail = case_detail(conn, ctx, case_id)
        ctx.wake()
        response.headers["Location"] = f"{PREFIX}/{case_id}"
        return detail

    @router.get(f"{PREFIX}/{{case_id}}", response_model=CaseDetail, responses=errors(404))
    def get_case(
        case_id: str, principal: Annotated[Principal, Depends(require_scope("icsr:read"))]
    ) -> CaseDetail:
        with ctx.store.snapshot() as conn:
            return case_detail(conn, ctx, case_id)

    @router.put(f"{PREFIX}/{{case_id}}", response_model=CaseDetail, responses=errors(404, 409))
    def replace_case(
        case_id: str,
        body: CaseReplace,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> CaseDetail:
        """Replace the case's content: a new version with the reason given."""
        icsr = icsr_from_json(body.icsr, "icsr")
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            _, before = current(conn, case_id)
            if before == icsr:
                raise unchanged("icsr")
            case_writes.revise_case(
                conn,
                ctx,
                principal,
                case_id,
                icsr,
                reason=body.reason,
                action="case.replaced",
                now=now,
            )
            detail = case_detail(conn, ctx, case_id)
        ctx.wake()
        return detail

    @router.patch(f"{PREFIX}/{{case_id}}", response_model=CaseDetail, responses=errors(404, 409))
    def patch_case(
        case_id: str,
        body: CasePatch,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> CaseDetail:
        """Change the given fields (a JSON merge patch on the ICSR): a new version."""
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            _, before = current(conn, case_id)
            icsr = icsr_from_json(merge_patch(dump(before), body.changes), "changes")
            if before == icsr:
                raise unchanged("changes")
            case_writes.revise_case(
                conn,
                ctx,
                principal,
                case_id,
                icsr,
                reason=body.reason,
                action="case.patched",
                now=now,
            )
            detail = case_detail(conn, ctx, case_id)
        ctx.wake()
        return detail

    @router.delete(f"{PREFIX}/{{case_id}}", response_model=CaseChanged, responses=errors(404, 409))
    def delete_case(
        case_id: str,
        body: Annotated[CaseDelete, Body()],
        principal: Annotated[Principal, Depends(require_scope("icsr:delete"))],
    ) -> CaseChanged:
        """Soft delete, confirmed with the caller's password and a reason; audited. A case
        that was ever submitted is refused (409): nullify it instead."""
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            case_writes.delete_case(
                conn, ctx, principal, case_id, password=body.password, reason=body.reason, now=now
            )
            answer = changed(conn, case_id)
        ctx.wake()
        return answer

    return router
