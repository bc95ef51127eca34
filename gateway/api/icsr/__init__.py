"""The case management API under ``/api/v1/icsr`` (and users and tokens under ``/api/v1``).

Routes are split by concern: ``cases`` (list, search, create, read, replace, patch, delete),
``eventos`` (events and MedDRA coding), ``duplicates``, ``followup``, ``submissions``
(submissions and ACKs), ``history`` (versions, diff, audit), ``triage`` (the queue of what
software could not decide, under ``/api/v1/triage``) and ``admin`` (users, tokens).
Every route names the scope it needs with ``gateway.api.auth.require_scope``.
"""

from __future__ import annotations

from fastapi import APIRouter

from gateway.api.icsr.admin import admin_router
from gateway.api.icsr.cases import cases_router
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.duplicates import duplicates_router
from gateway.api.icsr.eventos import eventos_router
from gateway.api.icsr.followup import followup_router
from gateway.api.icsr.history import history_router
from gateway.api.icsr.submissions import submissions_router
from gateway.api.icsr.triage import triage_router

__all__ = ["CaseApiContext", "icsr_router"]


def icsr_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter()
    # duplicates first: its fixed path /api/v1/icsr/duplicates/check must not be read as a case id
    for part in (
        duplicates_router,
        cases_router,
        eventos_router,
        followup_router,
        submissions_router,
        history_router,
        triage_router,
        admin_router,
    ):
        router.include_router(part(ctx))
    return router
