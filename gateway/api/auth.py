"""Authentication and permissions of the case API: bearer tokens carrying scopes.

Routers declare what a route needs and receive who is calling::

    from gateway.api.auth import Principal, api_store, require_scope

    @router.get("/api/v1/icsr/{case_id}/thing")
    async def thing(
        case_id: str,
        principal: Principal = Depends(require_scope("icsr:read")),
        store: Store = Depends(api_store),
    ) -> ...:
        ...

Answers, in the project's error shape (``gateway.api.errors``): **401** with
``WWW-Authenticate: Bearer`` when no token, an unknown, revoked or expired token, or a
token of a disabled user is presented; **403** when the token lacks the scope. ``admin``
manages users and tokens; it does not stand in for the ``icsr:*`` scopes (a token carries
exactly what it was given).

The store is on ``app.state.store`` (set by ``gateway.api.app.create_app``); ``api_store``
hands it to a route, ``api_settings`` the settings and ``api_clock`` the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from gateway.api.errors import ApiError
from gateway.clock import Clock, SystemClock
from gateway.settings import Settings
from gateway.store import api_users
from gateway.store.engine import Store

__all__ = [
    "SCOPES",
    "Principal",
    "ScopeRequirement",
    "api_clock",
    "api_settings",
    "api_store",
    "authenticate",
    "require_scope",
]

SCOPES: Final[tuple[str, ...]] = api_users.SCOPES
_CHALLENGE: Final = {"WWW-Authenticate": "Bearer"}

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiToken",
    description="An API token (`icsr_…`) from `icsr-gateway tokens create`, with its scopes.",
)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's user, the token, and the scopes it carries."""

    user_id: str
    token_id: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """The name this caller has in audit entries and case versions."""
        return f"user:{self.user_id}"


def api_store(request: Request) -> Store:
    """The store of the running app (``app.state.store``)."""
    store = getattr(request.app.state, "store", None)
    if not isinstance(store, Store):
        raise ApiError(503, "store_unavailable", "the case API has no store configured")
    return store


def api_settings(request: Request) -> Settings | None:
    settings = getattr(request.app.state, "settings", None)
    return settings if isinstance(settings, Settings) else None


def api_clock(request: Request) -> Clock:
    clock = getattr(request.app.state, "clock", None)
    return clock if clock is not None else SystemClock()


def _unauthorised(message: str) -> ApiError:
    return ApiError(401, "unauthorised", message, headers=_CHALLENGE)


def authenticate(
    store: Store, credentials: HTTPAuthorizationCredentials | None, now: datetime
) -> Principal:
    """The principal of a bearer token; ``ApiError(401)`` when there is none or it is unknown."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthorised("an API token is required: send 'Authorization: Bearer <token>'")
    with store.snapshot() as conn:
        owner = api_users.owner_of(conn, credentials.credentials, now)
    if owner is None:
        raise _unauthorised("the API token is unknown, revoked or expired")
    return Principal(user_id=owner.user.id, token_id=owner.token.id, scopes=owner.token.scopes)


class ScopeRequirement:
    """A FastAPI dependency: the caller's ``Principal`` when its token carries ``scope``.

    Synchronous on purpose: FastAPI runs it on a worker thread, so the token lookup never
    blocks the event loop.
    """

    def __init__(self, scope: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}")
        self.scope = scope

    def __call__(
        self,
        request: Request,
        credentials: HTTPAuthorizationCredentials | None = Security(bearer),  # noqa: B008
    ) -> Principal:
        principal = authenticate(api_store(request), credentials, api_clock(request).now())
        if self.scope not in principal.scopes:
            raise ApiError(
                403,
                "forbidden",
                f"this token lacks the scope {self.scope!r} this operation needs",
                fields={"scope": self.scope},
            )
        return principal

    def __repr__(self) -> str:
        return f"require_scope({self.scope!r})"


def require_scope(scope: str) -> ScopeRequirement:
    """``Depends(require_scope("icsr:read"))``: 401 without a valid token, 403 without the
    scope; otherwise the ``Principal``. The returned object's ``scope`` names what it needs
    (the permission-matrix test reads it)."""
    return ScopeRequirement(scope)
