"""Writing cases through the API, each inside the caller's store transaction.

A new case is assessed as intake assesses a structured report (validity, Day 0,
seriousness, MedDRA coding), written as version 1 with its audit entries and a CASE_RECEIVED
event (the follow-up planner asks the reporter for missing data from it), and checked for
duplicates at once: an exact duplicate (a source identifier already on file) is refused,
likely duplicates become ``potential_duplicate`` triage items for a person to decide.

A change is a new version through ``CaseWriter.revise``, re-assessed the same way; a
deletion is a soft delete through the lifecycle (DELETED), never for a case that was ever
sent to a regulator (that one is nullified).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from channels.parsing.web_form import icsr_from_web_form
from gateway.api.auth import Principal
from gateway.api.errors import ApiError
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.diff import diff_icsr
from gateway.api.icsr.models import CaseCreate
from gateway.domain.case import Case, Provenance
from gateway.domain.duplicates import (
    CaseFacts,
    DuplicateScore,
    blocking_keys,
    facts_of,
    find_candidates,
)
from gateway.domain.icsr import ICSR
from gateway.domain.intake import Assessment, assess
from gateway.domain.lifecycle import CaseState
from gateway.domain.validity import significant_changes
from gateway.ids import new_id
from gateway.store import api_users, audit, case_queries, outbox, triage
from gateway.store import cases as case_rows
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import KEEP, Revised, case_row, current_icsr
from gateway.store.outbox import OutboxMessage
from gateway.store.triage import TriageItem
from schemas.avro import SchemaName
from schemas.topics import Topic

#: a receipt time this far ahead of our clock is a mistake, not a clock skew
_FUTURE_SLACK = timedelta(minutes=5)
_CANDIDATES = 50


def not_found(case_id: str) -> ApiError:
    return ApiError(404, "not_found", f"there is no case {case_id}")


def _case_received_event(
    ctx: CaseApiContext, case: Case, actor: str, reason: str, now: datetime
) -> OutboxMessage:
    event_id = new_id("EV")
    value = ctx.codec.encode(
        SchemaName.CASE_EVENT,
        {
            "event_id": event_id,
            "case_id": case.case_id,
            "version": case.current.number,
            "event_type": "CASE_RECEIVED",
            "state": case.state.value,
            "occurred_at": now,
            "actor": actor,
            "reason": reason,
            "source_inbound_id": None,
            "significant": True,
        },
    )
    return OutboxMessage(
        event_id=event_id,
        topic=ctx.topic(Topic.CASE_EVENTS),
        key=case.case_id.encode(),
        value=value,
    )


def stored_facts(conn: Connection, case_ids: list[str]) -> dict[str, CaseFacts]:
    """Facts of each case's current version, with the source ids it is indexed under."""
    icsrs = case_rows.current_icsrs(conn, case_ids)
    keys = case_queries.keys_of(conn, case_ids)
    return {
        cid: facts_of(
            cid,
            icsr,
            source_ids=[k.removeprefix("id:") for k in keys.get(cid, ()) if k.startswith("id:")],
        )
        for cid, icsr in icsrs.items()
    }


def candidates_for(
    conn: Connection, facts: CaseFacts, threshold: float
) -> list[tuple[CaseFacts, DuplicateScore]]:
    """Cases sharing a blocking key with ``facts`` scoring at least ``threshold`` (best
    first); deleted cases are no candidates."""
    ids = case_rows.latest_cases_with_keys(
        conn, sorted(blocking_keys(facts)), exclude=facts.case_id, limit=_CANDIDATES
    )
    states = case_queries.existing_ids(conn, ids)
    live = [c for c in ids if states.get(c) not in (None, CaseState.DELETED)]
    others = stored_facts(conn, live)
    return find_candidates(facts, [others[c] for c in live if c in others], threshold)


def candidate_detail(matches: list[tuple[CaseFacts, DuplicateScore]]) -> list[dict[str, Any]]:
    return [
        {
            "case_id": facts.case_id,
            "score": round(score.score, 3),
            "matching": [m.field for m in score.matching if m.weight > 0],
            "conflicting": [m.field for m in score.matching if m.weight < 0],
        }
        for facts, score in matches[:5]
    ]


def _assessment_audit(
    case_id: str, actor: str, assessment: Assessment, now: datetime
) -> AuditEntry:
    return AuditEntry(
        at=now,
        actor=actor,
        action="validity.assessed",
        entity_type="case",
        entity_id=case_id,
        reason=assessment.summary(),
        detail=assessment.audit_detail(),
    )


def create_case(
    conn: Connection, ctx: CaseApiContext, principal: Principal, body: CaseCreate, now: datetime
) -> str:
    """Write a new case; its id. ``ApiError(409)`` when its source identifiers are on file."""
    received_at = body.received_at or now
    if received_at > now + _FUTURE_SLACK:
        raise ApiError(
            400,
            "validation_error",
            "the receipt time is in the future",
            {"received_at": "must not be in the future"},
        )
    icsr = icsr_from_web_form(body)
    if body.safety_report_id:
        icsr = replace(icsr, report=replace(icsr.report, safety_report_id=body.safety_report_id))
    assessment = assess(
        icsr, channel=body.channel, received_at=received_at, refs=ctx.references, from_form=True
    )
    case_id = new_id("C")
    source_ids = (f"form:{body.report_id}",) if body.report_id else ()
    facts = facts_of(case_id, assessment.icsr, source_ids=source_ids)
    id_keys = sorted(f"id:{i}" for i in facts.source_ids)
    on_file = case_rows.cases_with_keys(conn, id_keys)
    states = case_queries.existing_ids(conn, {c for ids in on_file.values() for c in ids})
    same = sorted(c for c, state in states.items() if state is not CaseState.DELETED)
    if same:
        raise ApiError(
            409,
            "duplicate",
            f"a report with the same source identifiers is case {same[0]}: update that case",
            {"report_id" if body.report_id else "safety_report_id": f"already on file: {same[0]}"},
        )
    actor = principal.actor
    reason = f"report entered through the case API (channel {body.channel}); " + (
        assessment.summary()
    )
    case = Case.open(
        case_id,
        assessment.icsr,
        Provenance(actor=actor, action="case.received", at=received_at, reason=reason),
        state=assessment.state,
    )
    validity = assessment.validity
    decision = case_rows.IntakeDecision(
        channel=body.channel,
        valid=validity.valid,
        missing_criteria=tuple(c.name for c in validity.missing),
        day_zero=assessment.day_zero,
        serious=assessment.classification.serious,
        expedited=assessment.classification.expedited,
    )
    case_rows.insert_rows(conn, [case_rows.rows_for_new([(case, None)], decision)])
    case_rows.add_keys(conn, {case_id: blocking_keys(facts)})
    outbox.enqueue(conn, [_case_received_event(ctx, case, actor, reason, now)], now)
    audit.record(
        conn,
        [
            AuditEntry(
                at=now,
                actor=actor,
                action="case.received",
                entity_type="case",
                entity_id=case_id,
                reason=f"report entered through the case API (channel {body.channel})",
                detail={"token_id": principal.token_id, "source_ids": sorted(facts.source_ids)},
            ),
            _assessment_audit(case_id, actor, assessment, now),
        ],
    )
    items: list[TriageItem] = []
    if assessment.review:
        items.append(
            TriageItem(
                kind="coding_review",
                created_at=now,
                case_id=case_id,
                reason="MedDRA coding needs a person",
                detail={"notes": list(assessment.review)},
            )
        )
    # Duplicate detection runs here, in the request: the answer already says what it found.
    matches = candidates_for(conn, facts, ctx.duplicate_threshold)
    if matches:
        items.append(
            TriageItem(
                kind="potential_duplicate",
                created_at=now,
                case_id=case_id,
                reason=f"may duplicate case {matches[0][0].case_id} "
                f"(score {matches[0][1].score:.2f}); a person decides",
                detail={"candidates": candidate_detail(matches)},
            )
        )
    triage.open_items(conn, items)
    return case_id


def revise_case(
    conn: Connection,
    ctx: CaseApiContext,
    principal: Principal,
    case_id: str,
    new_icsr: ICSR,
    *,
    reason: str,
    action: str,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> Revised:
    """Write ``new_icsr`` as the case's next version, re-assessed; ``ApiError(404)`` for an
    unknown case, ``LifecycleError`` (409) for a case that takes no revisions."""
    row = case_row(conn, case_id, for_update=True)
    if row is None:
        raise not_found(case_id)
    before = current_icsr(conn, case_id, row.current_version)
    assessment = assess(
        new_icsr, channel=row.channel or "API", received_at=now, refs=ctx.references
    )
    after = assessment.icsr
    validity = assessment.validity
    significance = [c.reason for c in significant_changes(before, after)]
    became_valid = validity.valid and not row.valid
    if became_valid:
        significance.append("the case became valid: the four minimum criteria are now met")
    state = row.state
    if became_valid and state in (CaseState.INVALID_PENDING_INFO, CaseState.IN_PROGRESS):
        state = CaseState.VALID
    changes = diff_icsr(before, after)
    revised = ctx.writer.revise(
        conn,
        case_id=case_id,
        icsr=after,
        actor=principal.actor,
        action=action,
        reason=reason,
        now=now,
        significant=bool(significance),
        state=state,
        valid=validity.valid,
        missing_criteria=tuple(c.name for c in validity.missing),
        day_zero=now if became_valid else KEEP,
        serious=assessment.classification.serious,
        expedited=assessment.classification.expedited,
        detail={
            "token_id": principal.token_id,
            "changed": sorted({c.path for c in changes})[:200],
            "significance": significance,
            **(detail or {}),
        },
    )
    outbox.enqueue(conn, [revised.event], now)
    audit.record(conn, [revised.audit])
    case_rows.add_keys(conn, {case_id: blocking_keys(facts_of(case_id, after))})
    if assessment.review:
        triage.open_items(
            conn,
            [
                TriageItem(
                    kind="coding_review",
                    created_at=now,
                    case_id=case_id,
                    reason="MedDRA coding needs a person",
                    detail={"notes": list(assessment.review), "version": revised.version.number},
                )
            ],
        )
    return revised


def delete_case(
    conn: Connection,
    ctx: CaseApiContext,
    principal: Principal,
    case_id: str,
    *,
    password: str,
    reason: str,
    now: datetime,
) -> None:
    """Soft delete: state DELETED, who, when and why kept; the versions stay."""
    row = case_row(conn, case_id, for_update=True)
    if row is None:
        raise not_found(case_id)
    if not api_users.check_password(conn, principal.user_id, password):
        raise ApiError(
            403,
            "password_mismatch",
            "the password does not match the token's user; nothing was deleted",
            {"password": "does not match"},
        )
    if row.state is CaseState.DELETED:
        raise ApiError(409, "already_deleted", f"case {case_id} is already deleted")
    if row.state is CaseState.NULLIFIED or case_queries.ever_submitted(conn, case_id):
        raise ApiError(
            409,
            "nullify_instead",
            f"case {case_id} was submitted to a regulator, so it cannot be deleted: "
            "nullify it instead",
        )
    moved = ctx.writer.move(
        conn,
        case_id=case_id,
        to=CaseState.DELETED,
        actor=principal.actor,
        reason=reason,
        now=now,
    )
    assert moved is not None  # the state was checked above
    event, move_audit = moved
    case_queries.mark_deleted(conn, case_id, principal.actor, reason, now)
    outbox.enqueue(conn, [event], now)
    audit.record(
        conn,
        [
            move_audit,
            AuditEntry(
                at=now,
                actor=principal.actor,
                action="case.deleted",
                entity_type="case",
                entity_id=case_id,
                reason=reason,
                detail={
                    "token_id": principal.token_id,
                    "from": row.state.value,
                    "version": row.current_version,
                    "password_confirmed": True,
                },
            ),
        ],
    )
