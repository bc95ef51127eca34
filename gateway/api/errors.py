"""One JSON shape for every error the channel endpoints answer, and bounded body reading."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from fastapi.responses import JSONResponse


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """``{"error": {"code": …, "message": …, "fields": {…}}}`` with the given HTTP status."""
    return JSONResponse(
        {"error": {"code": code, "message": message, "fields": dict(fields or {})}},
        status_code=status,
        headers=dict(headers or {}),
    )


def too_large(limit: int, setting: str) -> JSONResponse:
    return error_response(
        413,
        "payload_too_large",
        f"the body is over the limit of {limit} bytes ({setting})",
    )


def store_unavailable() -> JSONResponse:
    return error_response(
        503,
        "store_unavailable",
        "the report could not be stored just now; nothing was kept, please retry",
        headers={"Retry-After": "5"},
    )


async def read_body_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None as soon as it is known to be over ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


class ApiError(Exception):
    """An error answer of the case API, rendered by ``api_error_handler`` in the shape above.

    Raise it from a route or a dependency: ``raise ApiError(404, "not_found", "no case C1")``.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


async def api_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)
