"""Follow-up replies: a reporter's answer becomes the case's next version.

Reads the follow-up-inbound topic (replies the intake's threading matched to a request).
Per reply: the raw message is read from the store, the reporter's new text is separated
from quoted history and signatures, an opt-out is honoured (recorded, the request closed,
no more messages), the answers are mapped to the request's questions and merged into the
case (``gateway.domain.replies``): validity, seriousness and coding are reassessed, and a
new version is written through the case-update path with what changed, why, the source
message and the Day 0 rule (a case that becomes valid, or significant new information,
takes the reply's receipt as its new Day 0). A reply that adds nothing the software can
read is a triage item for a person, never dropped. Redeliveries change nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser

from sqlalchemy import Connection, select

from channels.parsing.bounce import parse_bounce
from channels.parsing.email_mime import parse_email
from channels.parsing.inbound import TextReport, extract
from consumers.envelope import ConsumerSpec, Decoded, Envelope, HandlerContext
from gateway.domain.followup.delivery import DeliveryState
from gateway.domain.followup.opt_out import is_opt_out
from gateway.domain.followup.questions import known_questions
from gateway.domain.intake import IntakeReferences
from gateway.domain.lifecycle import CaseState
from gateway.domain.replies import apply_reply, extract_reply, follow_up_day_zero, map_answers
from gateway.store import followup, triage
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter, case_row, current_icsr
from gateway.store.tables import followup_messages, inbound_messages
from gateway.store.triage import TriageItem
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

CONSUMER = "followup-replies"
ACTOR = "consumer:followup-replies"


@dataclass(frozen=True, slots=True)
class FollowUpReply:
    event_id: str
    inbound_id: str
    channel: str
    received_at: datetime
    from_address: str
    case_id: str | None
    request_id: str | None


def decoder(codec: AvroCodec) -> Callable[[bytes], Decoded[FollowUpReply]]:
    def decode(data: bytes) -> Decoded[FollowUpReply]:
        r = codec.decode_as(SchemaName.FOLLOWUP_INBOUND, data)
        msg = FollowUpReply(
            event_id=r["event_id"],
            inbound_id=r["inbound_id"],
            channel=r["channel"],
            received_at=r["received_at"],
            from_address=r["from_address"],
            case_id=r["case_id"],
            request_id=r["request_id"],
        )
        return Decoded(event_id=msg.event_id, message=msg)

    return decode


def is_automatic_reply(raw: bytes) -> bool:
    """Headers of an automatic reply: ``Auto-Submitted`` other than ``no`` (RFC 3834), or
    the marks common autoresponders set (``X-Autoreply``, ``Precedence: auto_reply``)."""
    head = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    auto = str(head.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return True
    if head.get("X-Autoreply") or head.get("X-Autorespond"):
        return True
    return str(head.get("Precedence", "")).strip().lower() == "auto_reply"


@dataclass(frozen=True, slots=True)
class _Raw:
    """The stored inbound message, read once per reply."""

    channel: str
    content_type: str
    payload: bytes


def _raw(conn: Connection, inbound_id: str) -> _Raw | None:
    r = conn.execute(
        select(
            inbound_messages.c.channel, inbound_messages.c.content_type, inbound_messages.c.payload
        ).where(inbound_messages.c.id == inbound_id)
    ).first()
    return _Raw(r.channel, r.content_type, r.payload) if r is not None else None


def _reply_text(raw: _Raw) -> str:
    if raw.channel == "EMAIL":
        # The body only: a reply's subject is ours ("Re: Follow-up … [ICSR-REF:…]"), not the
        # reporter's words, and an opt-out ("STOP") counts only as the whole text.
        return parse_email(raw.payload).text.strip()
    extraction = extract(raw.channel, raw.content_type, raw.payload)
    texts = [rep.text for rep in extraction.reports if isinstance(rep, TextReport)]
    return "\n\n".join(texts) if texts else ""


class ReplyHandler:
    def __init__(self, writer: CaseWriter, refs: IntakeReferences) -> None:
        self._writer = writer
        self._refs = refs

    def handle(
        self, conn: Connection, envelopes: Sequence[Envelope[FollowUpReply]], ctx: HandlerContext
    ) -> None:
        for e in envelopes:
            self._one(conn, e.message, ctx)

    def _triage(
        self, conn: Connection, m: FollowUpReply, kind: str, reason: str, ctx: HandlerContext
    ) -> None:
        triage.open_items(
            conn,
            [
                TriageItem(
                    kind=kind,
                    created_at=ctx.now,
                    inbound_id=m.inbound_id,
                    case_id=m.case_id,
                    reason=reason,
                    detail={"request_id": m.request_id},
                )
            ],
        )

    def _one(self, conn: Connection, m: FollowUpReply, ctx: HandlerContext) -> None:
        if m.case_id is None or m.request_id is None:
            self._triage(conn, m, "unmatched_reply", "a reply with no case to apply it to", ctx)
            return
        raw = _raw(conn, m.inbound_id)
        if (
            raw is not None
            and m.channel == "EMAIL"
            and (self._bounce(conn, m, raw, ctx) or self._auto_reply(conn, m, raw, ctx))
        ):
            return
        request = followup.request(conn, m.request_id)
        if raw is None or request is None:
            self._triage(conn, m, "unmatched_reply", "the reply or its request is missing", ctx)
            return
        text = _reply_text(raw)
        reply = extract_reply(text)
        conn.execute(
            followup_messages.update()
            .where(followup_messages.c.id == f"IN-{m.inbound_id}")
            .values(body=reply.text)
        )
        if is_opt_out(reply.text):
            self._opt_out(conn, m, request, ctx)
            return
        row = case_row(conn, m.case_id)
        if row is None or row.state.is_terminal:
            self._triage(
                conn,
                m,
                "reply_to_closed_case",
                "a reply arrived for a case that takes no more versions; a person decides",
                ctx,
            )
            return
        if row.state is CaseState.CLOSED:
            moved = self._writer.move(
                conn,
                case_id=m.case_id,
                to=CaseState.IN_PROGRESS,
                actor=ACTOR,
                reason="new information from the reporter reopens the closed case",
                now=ctx.now,
                source_ref=m.inbound_id,
            )
            if moved is not None:
                ctx.emit(moved[0])
                ctx.audit(moved[1])
            row = case_row(conn, m.case_id)
            assert row is not None
        icsr = current_icsr(conn, m.case_id, row.current_version)
        questions = list(known_questions(request.questions))
        answers = map_answers(reply.text, questions, language=request.language)
        update = apply_reply(icsr, reply.text, answers, received_at=m.received_at, refs=self._refs)
        if request.status == followup.OPEN:
            followup.close_request(
                conn, request.id, followup.ANSWERED, ctx.now, "the reporter replied"
            )
        if not any(not c.path.startswith("narrative") for c in update.changes):
            self._triage(
                conn,
                m,
                "reply_needs_review",
                "the reporter replied, but nothing in the reply could be read as case data",
                ctx,
            )
            ctx.audit(
                AuditEntry(
                    at=ctx.now,
                    actor=ACTOR,
                    action="followup_reply_unread",
                    entity_type="case",
                    entity_id=m.case_id,
                    reason="reply received; no field could be taken from it; sent to triage",
                    detail={"inbound_id": m.inbound_id, "request_id": request.id},
                )
            )
            return
        state = row.state
        if (
            update.validity.valid
            and state
            in (
                CaseState.INVALID_PENDING_INFO,
                CaseState.IN_PROGRESS,
            )
            and not row.valid
        ):
            state = CaseState.VALID
        day_zero = follow_up_day_zero(row.day_zero, update, m.received_at)
        changed = ", ".join(sorted({c.path.split("[")[0].split(".")[0] for c in update.changes}))
        reasons = "; ".join(update.significance_reasons)
        revised = self._writer.revise(
            conn,
            case_id=m.case_id,
            icsr=update.icsr,
            actor=ACTOR,
            action="followup_reply",
            reason=f"the reporter's reply to request {request.id} adds: {changed}"
            + (f"; significant: {reasons}" if update.significant else "; not significant"),
            now=ctx.now,
            significant=update.significant,
            source_ref=m.inbound_id,
            state=state,
            valid=update.validity.valid,
            missing_criteria=tuple(c.name for c in update.validity.missing),
            day_zero=day_zero,
            serious=update.classification.serious,
            expedited=update.classification.expedited,
            detail={
                "request_id": request.id,
                "inbound_id": m.inbound_id,
                "changes": [{"path": c.path, "old": c.old, "new": c.new} for c in update.changes],
                "significance": list(update.significance_reasons),
                "coding": list(update.coding_rationale),
                "day_zero": day_zero.isoformat() if day_zero else None,
                "answered": sorted(q.value for q in update.answered),
            },
        )
        ctx.emit(revised.event)
        ctx.audit(revised.audit)

    def _bounce(self, conn: Connection, m: FollowUpReply, raw: _Raw, ctx: HandlerContext) -> bool:
        """A delivery failure report about our message: the message failed, not a reply."""
        bounce = parse_bounce(raw.payload)
        if bounce is None:
            return False
        applied = None
        if bounce.permanent and m.request_id is not None:
            # The address does not take mail: reminders to it would bounce too.
            followup.close_request(
                conn,
                m.request_id,
                followup.UNDELIVERABLE,
                ctx.now,
                f"the follow-up e-mail bounced ({bounce.status or 'no status'})",
            )
        if bounce.original_message_id:
            applied = followup.apply_provider_status(
                conn, bounce.original_message_id, DeliveryState.BOUNCED.value, ctx.now
            )
        conn.execute(
            followup_messages.update()
            .where(followup_messages.c.id == f"IN-{m.inbound_id}")
            .values(kind="bounce", body=bounce.diagnostic[:2000])
        )
        self._triage(
            conn,
            m,
            "followup_delivery_failed",
            f"the follow-up e-mail bounced ({bounce.status or 'no status'}): "
            f"{bounce.diagnostic[:300]}",
            ctx,
        )
        ctx.audit(
            AuditEntry(
                at=ctx.now,
                actor=ACTOR,
                action="followup_bounced",
                entity_type="case",
                entity_id=m.case_id or "",
                reason="a delivery status notification reported the follow-up as undeliverable",
                detail={"status": bounce.status, "applied": applied, "request_id": m.request_id},
            )
        )
        return True

    def _auto_reply(
        self, conn: Connection, m: FollowUpReply, raw: _Raw, ctx: HandlerContext
    ) -> bool:
        """An out-of-office or other automatic answer (RFC 3834 ``Auto-Submitted``, and the
        common non-standard marks): kept in the thread, but not an answer — the request stays
        open and its reminders go on."""
        if not is_automatic_reply(raw.payload):
            return False
        conn.execute(
            followup_messages.update()
            .where(followup_messages.c.id == f"IN-{m.inbound_id}")
            .values(kind="auto_reply")
        )
        ctx.audit(
            AuditEntry(
                at=ctx.now,
                actor=ACTOR,
                action="followup_auto_reply",
                entity_type="case",
                entity_id=m.case_id or "",
                reason="an automatic reply (e.g. out of office) is not an answer; "
                "the request stays open",
                detail={"request_id": m.request_id, "inbound_id": m.inbound_id},
            )
        )
        return True

    def _opt_out(
        self, conn: Connection, m: FollowUpReply, request: followup.RequestRow, ctx: HandlerContext
    ) -> None:
        followup.record_opt_out(conn, request.channel, request.recipient, ctx.now, m.inbound_id)
        followup.close_request(
            conn, request.id, followup.OPTED_OUT, ctx.now, "the reporter asked for no more messages"
        )
        ctx.audit(
            AuditEntry(
                at=ctx.now,
                actor=ACTOR,
                action="followup_opt_out",
                entity_type="case",
                entity_id=request.case_id,
                reason="the reporter asked for no more messages; follow-up stopped",
                detail={"request_id": request.id, "channel": request.channel},
            )
        )


def followup_replies_consumer(
    codec: AvroCodec, topic_name: Callable[[str], str], refs: IntakeReferences
) -> ConsumerSpec[FollowUpReply]:
    handler = ReplyHandler(CaseWriter(codec, topic_name(Topic.CASE_EVENTS)), refs)
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.FOLLOWUP_INBOUND),
        decode=decoder(codec),
        handle=handler.handle,
    )
