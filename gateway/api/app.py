"""The HTTP application: health, the channel endpoints when an acceptor is given, and the case
API when a store is given.

Router registration convention for the case API (``/api/v1/icsr``): ``create_app(...,
store=..., settings=...)`` puts the store on ``app.state.store`` (``gateway.api.auth.api_store``
reads it), the settings on ``app.state.settings``, and includes

* ``gateway.api.icsr.icsr_router(context)`` — cases, events and coding, duplicates,
  follow-up, submissions and ACKs, versions and audit, users and tokens;
* ``gateway.api.icsr_assessment.router_for(store, settings)`` and
  ``gateway.api.icsr_exports.router_for(store, settings)`` when those modules exist: each
  returns an ``APIRouter`` whose routes protect themselves with
  ``Depends(gateway.api.auth.require_scope(...))``.

Every error of the case API has one shape, ``{"error": {"code", "message", "fields"}}``:
``ApiError`` raised anywhere is rendered so; request validation failures (FastAPI's 422)
come out as 400 naming each bad field; a refused lifecycle move is 409.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from channels.acceptance import InboundAcceptor
from gateway import __version__
from gateway.api.body_limit import BodySizeLimit
from gateway.api.errors import ApiError, api_error_handler, error_response
from gateway.api.health import ReadinessCheck, health_router
from gateway.api.icsr import CaseApiContext, icsr_router
from gateway.api.intake import intake_router
from gateway.api.metrics import metrics_router
from gateway.api.twilio import twilio_router
from gateway.clock import Clock
from gateway.errors import LifecycleError, StoreUnavailableError
from gateway.settings import Settings
from gateway.store.engine import Store

#: modules of the case API owned elsewhere, each exposing ``router_for(store, settings)``
CASE_API_MODULES = ("gateway.api.icsr_assessment", "gateway.api.icsr_exports")


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields: dict[str, str] = {}
    for problem in exc.errors():
        fields.setdefault(_field_name(tuple(problem.get("loc", ()))), str(problem.get("msg")))
    return error_response(
        400,
        "validation_error",
        "the request is not valid: " + "; ".join(f"{k}: {v}" for k, v in fields.items()),
        fields,
    )


async def _lifecycle_error(_request: Request, exc: Exception) -> JSONResponse:
    return error_response(409, "invalid_transition", str(exc))


async def _store_unavailable(_request: Request, _exc: Exception) -> JSONResponse:
    return error_response(
        503,
        "store_unavailable",
        "the store did not answer just now; nothing was changed, please retry",
        headers={"Retry-After": "5"},
    )


def _optional_router(module_name: str, store: Store, settings: Settings) -> APIRouter | None:
    """``module.router_for(store, settings)``, or None while the module does not exist (an
    import error inside an existing module is not hidden)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name:
            return None
        raise
    factory: Callable[[Store, Settings], APIRouter] = module.router_for
    return factory(store, settings)


_ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
_AUTH_ANSWERS = {
    "400": "The request is not valid; `fields` names each bad field.",
    "401": "No API token, or an unknown, revoked or expired one (`WWW-Authenticate: Bearer`).",
    "403": "The token lacks the scope this operation needs.",
}


def _document_case_api_errors(app: FastAPI) -> None:
    """The published document says what the case API answers: on every token-protected
    operation validation errors are 400 (not FastAPI's 422), and 401 and 403 may come, all in
    the error shape (``ErrorBody``, published by the case API's own routes)."""
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = plain()
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                if not isinstance(operation, dict) or not operation.get("security"):
                    continue
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                for status in ("400", "401", "403"):
                    responses.setdefault(
                        status,
                        {
                            "description": _AUTH_ANSWERS[status],
                            "content": {"application/json": {"schema": _ERROR_REF}},
                        },
                    )
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]


#: the paths whose bodies FastAPI reads for the case API (bounded by ``BodySizeLimit``)
CASE_API_PREFIXES = ("/api/v1/icsr", "/api/v1/triage", "/api/v1/users", "/api/v1/tokens")


def create_app(
    readiness: ReadinessCheck,
    *,
    acceptor: InboundAcceptor | None = None,
    settings: Settings | None = None,
    store: Store | None = None,
    case_api: CaseApiContext | None = None,
    clock: Clock | None = None,
    destinations: Sequence[str] = (),
) -> FastAPI:
    """The app. With ``store`` (or ``case_api``, which holds one) the case API is served."""
    app = FastAPI(
        title="icsr-gateway",
        version=__version__,
        description="ICSR gateway: channel intake, health, and the case management API "
        '(`/api/v1/icsr`). Errors: `{"error": {"code", "message", "fields"}}`.',
    )
    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(LifecycleError, _lifecycle_error)
    app.add_exception_handler(StoreUnavailableError, _store_unavailable)
    app.include_router(health_router(readiness))
    if acceptor is not None and settings is not None:
        app.include_router(twilio_router(acceptor, settings))
        app.include_router(intake_router(acceptor, settings))
    if store is not None and settings is not None:
        app.include_router(metrics_router(store, settings, destinations=destinations))
    if case_api is None and store is not None:
        case_api = CaseApiContext.default(store, settings or Settings())
    if case_api is not None:
        app.state.store = case_api.store
        app.state.settings = case_api.settings
        app.state.clock = clock
        app.include_router(icsr_router(case_api))
        for module_name in CASE_API_MODULES:
            router = _optional_router(module_name, case_api.store, case_api.settings)
            if router is not None:
                app.include_router(router)
        _document_case_api_errors(app)
        app.add_middleware(
            BodySizeLimit,
            limit=case_api.settings.case_api_max_bytes,
            prefixes=CASE_API_PREFIXES,
            setting="ICSR_CASE_API_MAX_BYTES",
        )
    return app
