"""Duplicates: candidates with their scores and matching fields, a person's decision (unique,
or a duplicate of a master case), and a check of many cases at once.

Candidates come from ``gateway.domain.duplicates`` over the cases sharing a blocking key
(patient, contact, product + onset …), as intake finds them. The decision is audited and
resolves the case's open ``potential_duplicate`` triage items.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import Connection, select, update

from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr.case_writes import candidates_for, not_found, stored_facts
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.models import (
    DuplicateCandidate,
    DuplicateCandidates,
    DuplicateCheck,
    DuplicateCheckIn,
    DuplicateCheckResult,
    DuplicateDecisionAnswer,
    DuplicateDecisionIn,
    MatchingField,
)
from gateway.api.icsr.responses import errors
from gateway.api.icsr.views import duplicate_view
from gateway.domain.lifecycle import CaseState
from gateway.store import audit, case_queries, triage
from gateway.store.audit import AuditEntry
from gateway.store.tables import triage_items

PREFIX = "/api/v1/icsr"
#: the lowest score shown by the per-case list: a person sees weak candidates too
_LIST_MIN_SCORE = 0.3


def _candidates(
    conn: Connection, case_id: str, min_score: float
) -> list[DuplicateCandidate] | None:
    facts = stored_facts(conn, [case_id]).get(case_id)
    if facts is None:
        return None
    matches = candidates_for(conn, facts, min_score)
    states = case_queries.existing_ids(conn, [f.case_id for f, _ in matches])
    return [
        DuplicateCandidate(
            case_id=other.case_id,
            estado=states[other.case_id].display_name_es,
            score=round(score.score, 3),
            exact_duplicate=score.exact_duplicate,
            matching=[
                MatchingField(
                    field=m.field,
                    this_case=m.a_value,
                    other_case=m.b_value,
                    weight=m.weight,
                    kind=m.kind.value,
                )
                for m in score.matching
            ],
        )
        for other, score in matches
    ]


def duplicates_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["duplicates"])

    @router.post(f"{PREFIX}/duplicates/check", response_model=DuplicateCheck, responses=errors())
    def check_many(
        body: DuplicateCheckIn,
        principal: Annotated[Principal, Depends(require_scope("icsr:read"))],
    ) -> DuplicateCheck:
        """Candidates of many cases at once (unknown ids answer ``found: false``)."""
        results: list[DuplicateCheckResult] = []
        with ctx.store.snapshot() as conn:
            for case_id in dict.fromkeys(body.case_ids):
                found = _candidates(conn, case_id, body.min_score)
                results.append(
                    DuplicateCheckResult(
                        case_id=case_id, found=found is not None, candidates=found or []
                    )
                )
        return DuplicateCheck(results=results)

    @router.get(
        f"{PREFIX}/{{case_id}}/duplicates",
        response_model=DuplicateCandidates,
        responses=errors(404),
    )
    def list_candidates(
        case_id: str, principal: Annotated[Principal, Depends(require_scope("icsr:read"))]
    ) -> DuplicateCandidates:
        """Cases that may be the same report, best first, with the fields that matched."""
        with ctx.store.snapshot() as conn:
            found = _candidates(conn, case_id, _LIST_MIN_SCORE)
            if found is None:
                raise not_found(case_id)
            return DuplicateCandidates(
                case_id=case_id,
                decision=duplicate_view(case_queries.api_state(conn, case_id)),
                candidates=found,
            )

    @router.put(
        f"{PREFIX}/{{case_id}}/dup",
        response_model=DuplicateDecisionAnswer,
        responses=errors(404, 409),
    )
    def decide(
        case_id: str,
        body: DuplicateDecisionIn,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> DuplicateDecisionAnswer:
        """Mark the case unique, or a duplicate of a master case (audited)."""
        master = body.master_case_id if body.decision == "duplicate" else None
        if body.decision == "duplicate" and master is None:
            raise ApiError(
                400,
                "validation_error",
                "master_case_id: a duplicate names its master case",
                {"master_case_id": "required when the decision is 'duplicate'"},
            )
        if body.decision == "unique" and body.master_case_id is not None:
            raise ApiError(
                400,
                "validation_error",
                "master_case_id: a unique case has no master",
                {"master_case_id": "only with the decision 'duplicate'"},
            )
        if master == case_id:
            raise ApiError(
                400,
                "validation_error",
                "master_case_id: a case cannot duplicate itself",
                {"master_case_id": "is this case"},
            )
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            states = case_queries.existing_ids(conn, [case_id, *([master] if master else [])])
            if case_id not in states:
                raise not_found(case_id)
            if states[case_id] is CaseState.DELETED:
                raise ApiError(409, "deleted", f"case {case_id} is deleted")
            if master is not None and states.get(master) in (None, CaseState.DELETED):
                raise ApiError(
                    400,
                    "validation_error",
                    f"master_case_id: there is no case {master} to link to",
                    {"master_case_id": "no such case"},
                )
            case_queries.set_duplicate_decision(
                conn, case_id, body.decision, master, principal.actor, now
            )
            open_items = list(
                conn.execute(
                    select(triage_items.c.id).where(
                        triage_items.c.case_id == case_id,
                        triage_items.c.kind == "potential_duplicate",
                        triage_items.c.status == triage.OPEN,
                    )
                ).scalars()
            )
            if open_items:
                conn.execute(
                    update(triage_items)
                    .where(triage_items.c.id.in_(open_items))
                    .values(status=triage.RESOLVED, resolved_at=now, resolved_by=principal.actor)
                )
            audit.record(
                conn,
                [
                    AuditEntry(
                        at=now,
                        actor=principal.actor,
                        action="duplicate.decided",
                        entity_type="case",
                        entity_id=case_id,
                        reason=body.reason,
                        detail={
                            "decision": body.decision,
                            "master_case_id": master,
                            "resolved_triage_items": open_items,
                            "token_id": principal.token_id,
                        },
                    )
                ],
            )
            decision = duplicate_view(case_queries.api_state(conn, case_id))
        assert decision is not None
        return DuplicateDecisionAnswer(
            case_id=case_id, decision=decision, resolved_triage_items=open_items
        )

    return router
