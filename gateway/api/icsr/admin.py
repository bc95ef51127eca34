"""Users and API tokens, for holders of the ``admin`` scope (also: ``icsr-gateway users`` and
``icsr-gateway tokens`` on the command line). A token's secret is answered once, at creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.models import TokenCreate, TokenIssued, TokenView, UserCreate, UserView
from gateway.api.icsr.responses import errors
from gateway.errors import DuplicateError, InvalidMessageError
from gateway.store import api_users, audit
from gateway.store.api_users import Token, User
from gateway.store.audit import AuditEntry


def user_view(u: User) -> UserView:
    return UserView(
        id=u.id, username=u.username, created_at=u.created_at, disabled_at=u.disabled_at
    )


def token_view(t: Token) -> TokenView:
    return TokenView(
        id=t.id,
        user_id=t.user_id,
        name=t.name,
        scopes=sorted(t.scopes),
        created_at=t.created_at,
        expires_at=t.expires_at,
        revoked_at=t.revoked_at,
    )


def admin_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["users and tokens"])

    @router.post("/api/v1/users", status_code=201, response_model=UserView, responses=errors(409))
    def create_user(
        body: UserCreate, principal: Annotated[Principal, Depends(require_scope("admin"))]
    ) -> UserView:
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            try:
                user = api_users.create_user(conn, body.username, body.password, now)
            except DuplicateError as exc:
                raise ApiError(409, "duplicate", str(exc), {"username": "taken"}) from None
            except InvalidMessageError as exc:
                raise ApiError(400, "validation_error", str(exc)) from None
            audit.record(
                conn,
                [
                    AuditEntry(
                        at=now,
                        actor=principal.actor,
                        action="user.created",
                        entity_type="api_user",
                        entity_id=user.id,
                        reason="created through the API",
                    )
                ],
            )
        return user_view(user)

    @router.get("/api/v1/users", response_model=list[UserView], responses=errors())
    def list_users(
        principal: Annotated[Principal, Depends(require_scope("admin"))],
    ) -> list[UserView]:
        with ctx.store.snapshot() as conn:
            return [user_view(u) for u in api_users.list_users(conn)]

    @router.post("/api/v1/tokens", status_code=201, response_model=TokenIssued, responses=errors())
    def create_token(
        body: TokenCreate, principal: Annotated[Principal, Depends(require_scope("admin"))]
    ) -> TokenIssued:
        """A new token; its secret is in this answer only (the store keeps its hash)."""
        now = ctx.clock.now()
        if body.expires_at is not None and body.expires_at.utcoffset() is None:
            raise ApiError(
                400, "validation_error", "expires_at needs a time zone", {"expires_at": "naive"}
            )
        with ctx.store.transaction() as conn:
            if api_users.user(conn, body.user_id) is None:
                raise ApiError(
                    400,
                    "validation_error",
                    f"user_id: there is no user {body.user_id}",
                    {"user_id": "no such user"},
                )
            issued = api_users.issue_token(
                conn, body.user_id, body.name, body.scopes, now, body.expires_at
            )
            audit.record(
                conn,
                [
                    AuditEntry(
                        at=now,
                        actor=principal.actor,
                        action="token.created",
                        entity_type="api_token",
                        entity_id=issued.token.id,
                        reason="created through the API",
                        detail={"user_id": body.user_id, "scopes": sorted(issued.token.scopes)},
                    )
                ],
            )
        return TokenIssued(**token_view(issued.token).model_dump(), secret=issued.secret)

    @router.get("/api/v1/tokens", response_model=list[TokenView], responses=errors())
    def list_tokens(
        principal: Annotated[Principal, Depends(require_scope("admin"))],
        user_id: str | None = None,
    ) -> list[TokenView]:
        with ctx.store.snapshot() as conn:
            return [token_view(t) for t in api_users.tokens(conn, user_id)]

    @router.delete("/api/v1/tokens/{token_id}", response_model=TokenView, responses=errors(404))
    def revoke_token(
        token_id: str, principal: Annotated[Principal, Depends(require_scope("admin"))]
    ) -> TokenView:
        """Revoke a token at once: it answers 401 from now on."""
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            api_users.revoke_token(conn, token_id, now)
            found = next((t for t in api_users.tokens(conn) if t.id == token_id), None)
            if found is None:
                raise ApiError(404, "not_found", f"there is no token {token_id}")
            audit.record(
                conn,
                [
                    AuditEntry(
                        at=now,
                        actor=principal.actor,
                        action="token.revoked",
                        entity_type="api_token",
                        entity_id=token_id,
                        reason="revoked through the API",
                    )
                ],
            )
        return token_view(found)

    return router
