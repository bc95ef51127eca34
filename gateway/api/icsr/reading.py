"""Reading one case for an answer: the detail body, and loading with the right 404s."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from gateway.api.errors import ApiError
from gateway.api.icsr.case_writes import not_found
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.models import CaseChanged, CaseDetail, Deletion
from gateway.api.icsr.views import case_summary, duplicate_view, event_view
from gateway.domain.icsr import ICSR
from gateway.domain.serialization import SerializationError, dump, load
from gateway.store import case_queries
from gateway.store.case_queries import CaseListRow
from gateway.store.case_updates import CaseRow, case_row, current_icsr


def require_row(conn: Connection, case_id: str) -> CaseRow:
    row = case_row(conn, case_id)
    if row is None:
        raise not_found(case_id)
    return row


def case_detail(conn: Connection, ctx: CaseApiContext, case_id: str) -> CaseDetail:
    row = require_row(conn, case_id)
    state = case_queries.api_state(conn, case_id)
    assert state is not None
    icsr = current_icsr(conn, case_id, row.current_version)
    summary = case_summary(
        CaseListRow(
            id=case_id,
            state=row.state,
            version=row.current_version,
            created_at=state.created_at,
            updated_at=state.updated_at,
            day_zero=row.day_zero,
            serious=row.serious,
            valid=row.valid,
            channel=row.channel,
        ),
        icsr,
    )
    data = dump(icsr)
    assert isinstance(data, dict)
    return CaseDetail(
        **summary.model_dump(),
        expedited=row.expedited,
        missing_criteria=list(row.missing_criteria),
        eventos=[event_view(r, ctx.references) for r in icsr.reactions],
        icsr=data,
        deleted=Deletion(
            deleted_at=state.deleted_at, deleted_by=state.deleted_by, reason=state.deleted_reason
        )
        if state.deleted_at is not None
        else None,
        duplicate=duplicate_view(state),
    )


def changed(conn: Connection, case_id: str) -> CaseChanged:
    row = require_row(conn, case_id)
    return CaseChanged(
        id=case_id,
        version=row.current_version,
        estado=row.state.display_name_es,
        state=row.state.value,
    )


def icsr_from_json(data: Any, field: str) -> ICSR:
    """The ICSR a body holds; ``ApiError(400)`` naming the bad field otherwise."""
    try:
        return load(ICSR, data)
    except SerializationError as exc:
        path = exc.path.removeprefix("ICSR").lstrip(".")
        name = f"{field}.{path}" if path and not path.startswith("[") else f"{field}{path}"
        raise ApiError(
            400, "validation_error", f"{name}: {exc.problem}", {name: exc.problem}
        ) from None
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "validation_error", f"{field}: {exc}", {field: str(exc)}) from None


def current(conn: Connection, case_id: str) -> tuple[CaseRow, ICSR]:
    row = require_row(conn, case_id)
    return row, current_icsr(conn, case_id, row.current_version)


def unchanged(field: str) -> ApiError:
    return ApiError(
        400,
        "validation_error",
        f"{field}: the request changes nothing, so no version was written",
        {field: "changes nothing"},
    )
