"""Events (reactions, section E): replace all, change one, and MedDRA coding with a rationale.

Each change is a new version of the case. An event keeps its id across versions (the
causality matrix G.k.9.i refers to it); new events get the next ``reaction-N``. An event's
MedDRA code stays while its verbatim text stays; a new text is coded again (and a code a
person should check opens a ``coding_review`` triage item). Coding itself is changed only
through ``…/coding``, with a rationale, checked against the loaded MedDRA dictionary.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from sqlalchemy import Connection

from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.api.icsr import case_writes
from gateway.api.icsr.context import CaseApiContext
from gateway.api.icsr.models import (
    CodingUpdate,
    EventIn,
    EventPatch,
    EventReplace,
    EventsAnswer,
    EventsReplace,
)
from gateway.api.icsr.reading import changed, current, unchanged
from gateway.api.icsr.responses import errors
from gateway.api.icsr.views import (
    CRITERIA,
    OUTCOMES,
    apply_event,
    event_fields,
    event_view,
    parse_partial,
)
from gateway.domain.icsr import ICSR
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.values import MedDRATerm

PREFIX = "/api/v1/icsr/{case_id}/eventos"
_NUMBERED = re.compile(r"^reaction-(\d+)$")


def _bad(field: str, problem: str) -> ApiError:
    return ApiError(400, "validation_error", f"{field}: {problem}", {field: problem})


def _fields(event: EventIn, where: str) -> dict[str, Any]:
    try:
        return event_fields(event)
    except ValueError as exc:
        raise _bad(where, str(exc)) from None


def _next_ids(taken: set[str]) -> Any:
    n = max((int(m.group(1)) for t in taken if (m := _NUMBERED.match(t))), default=0)
    while True:
        n += 1
        candidate = f"reaction-{n}"
        if candidate not in taken:
            yield candidate


def _check_references(before: ICSR, after: ICSR, field: str) -> None:
    known = {p.path for p in before.validate_references()}
    new = [p for p in after.validate_references() if p.path not in known]
    if new:
        raise _bad(field, "; ".join(f"{p.path}: {p.message}" for p in new))


def _answer(conn: Connection, ctx: CaseApiContext, case_id: str) -> EventsAnswer:
    base = changed(conn, case_id)
    _, icsr = current(conn, case_id)
    return EventsAnswer(
        **base.model_dump(), eventos=[event_view(r, ctx.references) for r in icsr.reactions]
    )


def _reaction(icsr: ICSR, event_id: str) -> Reaction:
    reaction = icsr.reaction_by_id(event_id)
    if reaction is None:
        raise ApiError(404, "not_found", f"the case has no event {event_id}")
    return reaction


def _patched_fields(body: EventPatch) -> dict[str, Any]:
    given = body.evento.model_dump(exclude_unset=True)
    out: dict[str, Any] = {}
    names = {
        "verbatim": "verbatim_native",
        "verbatim_language": "verbatim_language",
        "translation": "verbatim_translation",
        "medically_confirmed": "medically_confirmed",
        "country": "country",
    }
    for key, value in given.items():
        if key in names:
            out[names[key]] = value
        elif key in ("start_date", "end_date"):
            try:
                out["start" if key == "start_date" else "end"] = parse_partial(value)
            except ValueError as exc:
                raise _bad(f"evento.{key}", str(exc)) from None
        elif key == "outcome":
            out["outcome"] = OUTCOMES[value] if value is not None else None
        elif key == "seriousness":
            out["seriousness"] = Seriousness.of(*(CRITERIA[c] for c in value or ()))
    return out


def eventos_router(ctx: CaseApiContext) -> APIRouter:
    router = APIRouter(tags=["eventos"])

    def write(
        principal: Principal,
        case_id: str,
        change: Any,
        *,
        reason: str,
        action: str,
        field: str,
        detail: dict[str, Any] | None = None,
    ) -> EventsAnswer:
        now = ctx.clock.now()
        with ctx.store.transaction() as conn:
            _, before = current(conn, case_id)
            after: ICSR = change(before)
            if after == before:
                raise unchanged(field)
            _check_references(before, after, field)
            case_writes.revise_case(
                conn,
                ctx,
                principal,
                case_id,
                after,
                reason=reason,
                action=action,
                now=now,
                detail=detail,
            )
            answer = _answer(conn, ctx, case_id)
        ctx.wake()
        return answer

    @router.put(PREFIX, response_model=EventsAnswer, responses=errors(404, 409))
    def replace_events(
        case_id: str,
        body: EventsReplace,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> EventsAnswer:
        """Replace all events of the case (a new version)."""
        given = [e.id for e in body.eventos if e.id is not None]
        for n, event in enumerate(body.eventos):
            if event.id is not None and given.count(event.id) > 1:
                raise _bad(f"eventos.{n}.id", f"{event.id} appears more than once")
        fields = [_fields(e, f"eventos.{n}") for n, e in enumerate(body.eventos)]

        def change(icsr: ICSR) -> ICSR:
            existing = {r.id: r for r in icsr.reactions}
            fresh = _next_ids(set(existing) | set(given))
            reactions = []
            for event, values in zip(body.eventos, fields, strict=True):
                reaction_id = event.id or next(fresh)
                reactions.append(apply_event(existing.get(reaction_id), reaction_id, values))
            return replace(icsr, reactions=tuple(reactions))

        return write(
            principal,
            case_id,
            change,
            reason=body.reason,
            action="events.replaced",
            field="eventos",
        )

    @router.put(f"{PREFIX}/{{event_id}}", response_model=EventsAnswer, responses=errors(404, 409))
    def replace_event(
        case_id: str,
        event_id: str,
        body: EventReplace,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> EventsAnswer:
        """Replace one event's data (its MedDRA code stays while its verbatim text does)."""
        if body.evento.id is not None and body.evento.id != event_id:
            raise _bad("evento.id", f"differs from the event in the path ({event_id})")
        values = _fields(body.evento, "evento")

        def change(icsr: ICSR) -> ICSR:
            old = _reaction(icsr, event_id)
            new = apply_event(old, event_id, values)
            return replace(
                icsr, reactions=tuple(new if r.id == event_id else r for r in icsr.reactions)
            )

        return write(
            principal,
            case_id,
            change,
            reason=body.reason,
            action="event.replaced",
            field="evento",
            detail={"event_id": event_id},
        )

    @router.patch(f"{PREFIX}/{{event_id}}", response_model=EventsAnswer, responses=errors(404, 409))
    def patch_event(
        case_id: str,
        event_id: str,
        body: EventPatch,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> EventsAnswer:
        """Change the given fields of one event."""
        values = _patched_fields(body)

        def change(icsr: ICSR) -> ICSR:
            old = _reaction(icsr, event_id)
            new = apply_event(old, event_id, values)
            return replace(
                icsr, reactions=tuple(new if r.id == event_id else r for r in icsr.reactions)
            )

        return write(
            principal,
            case_id,
            change,
            reason=body.reason,
            action="event.patched",
            field="evento",
            detail={"event_id": event_id},
        )

    @router.put(
        f"{PREFIX}/{{event_id}}/coding", response_model=EventsAnswer, responses=errors(404, 409)
    )
    def code_event(
        case_id: str,
        event_id: str,
        body: CodingUpdate,
        principal: Annotated[Principal, Depends(require_scope("icsr:update"))],
    ) -> EventsAnswer:
        """Set an event's MedDRA LLT (and so its PT) with a rationale; checked against the
        loaded dictionary: the LLT must exist and be current, the PT must be its PT."""
        pt_code = body.pt_code
        coder = ctx.references.coder
        if coder is not None:
            dictionary = coder.dictionary
            if body.version != dictionary.version:
                raise _bad("version", f"the loaded dictionary is MedDRA {dictionary.version}")
            llt = dictionary.llt(body.llt_code)
            if llt is None:
                raise _bad("llt_code", f"no LLT {body.llt_code} in MedDRA {dictionary.version}")
            if not llt.current:
                raise _bad("llt_code", f"LLT {body.llt_code} ({llt.name}) is not current")
            if pt_code is not None and pt_code != llt.pt_code:
                raise _bad("pt_code", f"LLT {body.llt_code} belongs to PT {llt.pt_code}")
            pt_code = llt.pt_code
        term = MedDRATerm(version=body.version, code=body.llt_code)
        previous: dict[str, str | None] = {}

        def change(icsr: ICSR) -> ICSR:
            old = _reaction(icsr, event_id)
            previous["llt_code"] = old.term.code if old.term is not None else None
            previous["version"] = old.term.version if old.term is not None else None
            new = replace(old, term=term)
            return replace(
                icsr, reactions=tuple(new if r.id == event_id else r for r in icsr.reactions)
            )

        return write(
            principal,
            case_id,
            change,
            reason=body.rationale,
            action="event.coded",
            field="llt_code",
            detail={
                "event_id": event_id,
                "coding": {
                    "llt_code": body.llt_code,
                    "pt_code": pt_code,
                    "version": body.version,
                    "previous": previous,
                    "checked_against_dictionary": coder is not None,
                },
            },
        )

    return router
