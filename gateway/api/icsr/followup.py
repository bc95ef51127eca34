"""Follow-up with the reporter: the thread of a case, and a request sent on a person's word.

A request made here is written as the follow-up planner writes its own (request, first
outbound message, follow-up-outbound event, audit): the sender consumer sends it, and once
it is sent a case waiting for its minimum criteria moves from "Pendiente"
(INVALID_PENDING_INFO) to "En progreso" (IN_PROGRESS). Replies thread back as usual.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response

from consumers.followup_planner import (
    Contact,
    case_contact,
    contact_from_icsr,
    open_request,
    reporter_contact,
)
from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.models import (
    FollowUpMessageView,
    FollowUpRequestView,
    FollowUpSend,
    FollowUpSent,
    FollowUpThread,
)
from gateway.api.icsr.reading import current, require_row
from gateway.api.icsr.responses import errors
from gateway.domain.followup.planner import FollowUpPlan, plan_followup
from gateway.domain.followup.questions import known_questions
from gateway.domain.icsr import ICSR
from gateway.store import audit, followup, outbox
from gateway.store.case_updates import CaseRow
from gateway.store.followup import MessageRow, RequestRow

PREFIX = "/api/v1/icsr/{case_id}/followup"


def request_view(r: RequestRow) -> FollowUpRequestView:
    return FollowUpRequestView(
        id=r.id,
        channel=r.channel,
        recipient=r.recipient,
        language=r.language,
        questions=list(r.questions),
        status=r.status,
        case_version=r.case_version,
        created_at=r.created_at,
        sent_at=r.sent_at,
        reminders_sent=r.reminders_sent,
        closed_at=r.closed_at,
        closed_reason=r.closed_reason,
    )


def message_view(m: MessageRow) -> FollowUpMessageView:
    return FollowUpMessageView(
        id=m.id,
        request_id=m.request_id,
        direction=m.direction,
        kind=m.kind,
        channel=m.channel,
        subject=m.subject,
        body=m.body,
        delivery_state=m.delivery_state,
        message_ref=m.message_ref,
        provider_ref=m.provider_ref,
        created_at=m.created_at,
        state_at=m.state_at,
    )


def _conflict(code: str, message: str) -> ApiError:
    return ApiError(409, code, message)


def _plan(
    row: CaseRow, body: FollowUpSend, previous: list[RequestRow], ctx: CaseApiContext, icsr: ICSR
) -> FollowUpPlan:
    missing = row.missing
    track = "serious" if row.serious or row.expedited else "non_serious"
    if body.questions:
        return FollowUpPlan(
            questions=tuple(dict.fromkeys(body.questions)),
            track=track,
            missing_criteria=missing if not row.valid else (),
        )
    plan = plan_followup(
        icsr,
        valid=bool(row.valid) and not missing,
        missing_criteria=missing if not row.valid else (),
        serious=bool(row.serious),
        expedited=bool(row.expedited),
        rules=ctx.followup.rules,
        already_asked=[q for r in previous for q in known_questions(r.questions)],
        max_questions=ctx.followup.max_questions,
    )
    if plan is None:
        raise _conflict(
            "nothing_to_ask",
            "the case lacks nothing the follow-up rules ask for (or it was all asked "
            "already); name the questions to ask",
        )
    return plan


def followup_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["follow-up"])

    @router.get(f"{PREFIX}/thread", response_model=FollowUpThread, responses=errors(404))
    def thread(
        case_id: str, principal: Annotated[Principal, Depends(require_scope("icsr:read"))]
    ) -> FollowUpThread:
        """Every request and every message in and out of the case, in order."""
        with ctx.store.snapshot() as conn:
            row = require_row(conn, case_id)
            return FollowUpThread(
                case_id=case_id,
                estado=row.state.display_name_es,
                requests=[request_view(r) for r in followup.requests_of_case(conn, case_id)],
                messages=[message_view(m) for m in followup.thread(conn, case_id)],
            )

    @router.post(
        f"{PREFIX}/send",
        status_code=201,
        response_model=FollowUpSent,
        responses=errors(404, 409),
    )
    def send(
        case_id: str,
        body: FollowUpSend,
        response: Response,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> FollowUpSent:
        """Ask the reporter (e-mail, SMS or WhatsApp): the questions given, or what the case
        lacks. The sender sends it; then "Pendiente" becomes "En progreso"."""
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            row, icsr = current(conn, case_id)
            if row.state.is_terminal:
                raise _conflict("case_closed", f"case {case_id} is {row.state.name}")
            previous = followup.requests_of_case(conn, case_id)
            still_open = [r.id for r in previous if r.status == followup.OPEN]
            if still_open:
                raise _conflict(
                    "request_open",
                    f"request {still_open[0]} is still open (reminders follow on their own)",
                )
            contact: Contact | None
            if body.channel is None:
                contact = case_contact(conn, case_id, icsr) or contact_from_icsr(icsr)
            else:
                contact = reporter_contact(conn, case_id)
                if contact is None or contact.channel != body.channel:
                    contact = contact_from_icsr(icsr, body.channel)
            if contact is None:
                raise _conflict(
                    "no_contact",
                    "there is no address to ask the reporter on"
                    + (f" by {body.channel}" if body.channel else "")
                    + ": add the reporter's e-mail or phone number to the case first",
                )
            if followup.opted_out(conn, contact.channel, contact.recipient):
                raise _conflict(
                    "opted_out", f"the reporter asked for no more messages by {contact.channel}"
                )
            plan = _plan(row, body, previous, ctx, icsr)
            opened = open_request(
                conn,
                ctx.codec,
                ctx.topic,
                ctx.followup,
                case_id=case_id,
                version=row.current_version,
                icsr=icsr,
                contact=contact,
                plan=plan,
                now=now,
                actor=principal.actor,
                language=body.language,
            )
            outbox.enqueue(conn, [opened.event], now)
            audit.record(conn, [opened.audit])
        ctx.wake()
        response.headers["Location"] = f"/api/v1/icsr/{case_id}/followup/thread"
        return FollowUpSent(
            case_id=case_id,
            estado=row.state.display_name_es,
            request=request_view(opened.request),
            message=message_view(opened.message),
        )

    return router
