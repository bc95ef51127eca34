"""A case's history: its versions (snapshots), the difference between two, and the audit trail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.diff import diff_json
from gateway.api.icsr.models import AuditView, DiffEntry, VersionDetail, VersionDiff, VersionView
from gateway.api.icsr.reading import require_row
from gateway.api.icsr.responses import errors
from gateway.store import audit, case_queries
from gateway.store.case_queries import VersionInfo

PREFIX = "/api/v1/icsr/{case_id}"
_MAX_VERSION = 1_000_000


def version_view(v: VersionInfo) -> VersionView:
    return VersionView(
        number=v.number,
        state=v.state.value,
        estado=v.state.display_name_es,
        actor=v.actor,
        action=v.action,
        reason=v.reason,
        source_ref=v.source_ref,
        created_at=v.created_at,
    )


def _no_version(case_id: str, number: int) -> ApiError:
    return ApiError(404, "not_found", f"case {case_id} has no version {number}")


def history_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["history"])

    @router.get(f"{PREFIX}/versions", response_model=list[VersionView], responses=errors(404))
    def versions(
        case_id: str, principal: Annotated[Principal, Depends(require_scope("icsr:read"))]
    ) -> list[VersionView]:
        """Every version of the case, oldest first: who wrote it, when, and why."""
        with ctx.store.snapshot() as conn:
            require_row(conn, case_id)
            return [version_view(v) for v in case_queries.versions_of(conn, case_id)]

    @router.get(
        f"{PREFIX}/versions/{{number}}", response_model=VersionDetail, responses=errors(404)
    )
    def version(
        case_id: str,
        number: Annotated[int, Path(ge=1, le=_MAX_VERSION)],
        principal: Annotated[Principal, Depends(require_scope("icsr:read"))],
    ) -> VersionDetail:
        """One version of the case as it was written (a snapshot)."""
        with ctx.store.snapshot() as conn:
            require_row(conn, case_id)
            info = next(
                (v for v in case_queries.versions_of(conn, case_id) if v.number == number), None
            )
            data = case_queries.version_icsr(conn, case_id, number)
        if info is None or not isinstance(data, dict):
            raise _no_version(case_id, number)
        return VersionDetail(**version_view(info).model_dump(), icsr=data)

    @router.get(f"{PREFIX}/diff", response_model=VersionDiff, responses=errors(404))
    def diff(
        case_id: str,
        principal: Annotated[Principal, Depends(require_scope("icsr:read"))],
        from_version: Annotated[int, Query(alias="from", ge=1, le=_MAX_VERSION)],
        to_version: Annotated[int, Query(alias="to", ge=1, le=_MAX_VERSION)],
    ) -> VersionDiff:
        """What changed between two versions, field by field (``from`` may be later than
        ``to``: the difference is then read backwards)."""
        with ctx.store.snapshot() as conn:
            require_row(conn, case_id)
            before = case_queries.version_icsr(conn, case_id, from_version)
            after = case_queries.version_icsr(conn, case_id, to_version)
        if before is None:
            raise _no_version(case_id, from_version)
        if after is None:
            raise _no_version(case_id, to_version)
        return VersionDiff(
            case_id=case_id,
            from_version=from_version,
            to_version=to_version,
            changes=[
                DiffEntry(path=c.path, before=c.before, after=c.after)
                for c in diff_json(before, after)
            ],
        )

    @router.get(f"{PREFIX}/audit", response_model=list[AuditView], responses=errors(404))
    def audit_trail(
        case_id: str, principal: Annotated[Principal, Depends(require_scope("icsr:read"))]
    ) -> list[AuditView]:
        """Every decision about the case: who, when, what and why."""
        with ctx.store.snapshot() as conn:
            require_row(conn, case_id)
            entries = audit.trail(conn, "case", case_id)
        return [
            AuditView(
                at=e.at, actor=e.actor, action=e.action, reason=e.reason, detail=dict(e.detail)
            )
            for e in entries
        ]

    return router
