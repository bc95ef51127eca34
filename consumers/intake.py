"""Intake consumer: every inbound record is read, assessed and turned into cases once.

Reports reach the topic two ways: a channel adapter persisted the raw bytes and enqueued a
reference (payload null), or an upstream safety database published the report itself
(payload set), in which case it is persisted here, deduplicated by its source id.

Per record: the format is read (e-mail, SMS/WhatsApp, web form, E2B file, upstream event),
each report in it is normalised or mapped, coded to MedDRA and assessed (validity, Day 0,
seriousness, expectedness); each becomes a case in state ``valid`` or ``invalid_pending_info``
with its audit entries and a CASE_RECEIVED event. A report whose source identifiers are
already known opens nothing new; likely duplicates, rejected E2B ICSRs, unreadable input and
uncertain codings become triage items. The reading and assessing happen before the store
transaction (``prepare``), the writing inside it (``handle``); E2B acknowledgements owed to
partners are written only after that transaction has committed.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import Connection, select

from consumers.envelope import ConsumerSpec, Decoded, Envelope, HandlerContext
from consumers.intake_work import (
    E2BSettings,
    IntakeWork,
    NewCase,
    RawInbound,
    RecordWork,
    document_row,
)
from consumers.threading_router import InboundMessage, Routed, ThreadRouter
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.duplicates import CaseFacts, facts_of, find_candidates
from gateway.domain.intake import IntakeReferences
from gateway.errors import InvalidMessageError
from gateway.ids import new_id
from gateway.store import cases, inbound, triage
from gateway.store.engine import Store
from gateway.store.inbound import InboundRecord
from gateway.store.sql import bulk_insert
from gateway.store.tables import inbound_messages, source_documents
from gateway.store.triage import TriageItem
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

CONSUMER = "intake"
#: duplicate-search facts kept per (case, version); a version never changes once written
_FACTS_CACHE_SIZE = 20_000
#: most earlier cases a new case is scored against for likely duplicates
_CANDIDATES = 50


@dataclass(frozen=True, slots=True)
class InboundReport:
    event_id: str
    inbound_id: str
    channel: str
    source_id: str
    received_at: datetime
    content_type: str
    payload: bytes | None
    headers: dict[str, str]
    thread_key: str | None


def decoder(codec: AvroCodec) -> Callable[[bytes], Decoded[InboundReport]]:
    def decode(data: bytes) -> Decoded[InboundReport]:
        r = codec.decode_as(SchemaName.INBOUND_REPORT, data)
        msg = InboundReport(
            event_id=r["event_id"],
            inbound_id=r["inbound_id"],
            channel=r["channel"],
            source_id=r["source_id"],
            received_at=r["received_at"],
            content_type=r["content_type"],
            payload=r["payload"],
            headers=r["headers"],
            thread_key=r["thread_key"],
        )
        return Decoded(event_id=msg.event_id, message=msg)

    return decode


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A record read and worked on before the transaction."""

    raw: RawInbound
    work: RecordWork
    carried: bool


class IntakeHandler:
    def __init__(
        self,
        codec: AvroCodec,
        topic_name: Callable[[str], str],
        refs: IntakeReferences,
        e2b: E2BSettings,
        store: Store | None = None,
        duplicate_threshold: float = 0.6,
        router: ThreadRouter | None = None,
    ) -> None:
        self._router = router
        self._work = IntakeWork(codec, topic_name(Topic.CASE_EVENTS), refs, e2b)
        self._store = store
        self._threshold = duplicate_threshold
        self._facts: OrderedDict[tuple[str, int], CaseFacts] = OrderedDict()

    # -- before the transaction -------------------------------------------------------
    def prepare(
        self, envelopes: Sequence[Envelope[InboundReport]], now: datetime
    ) -> dict[str, _Prepared]:
        """Read and assess every report outside the store's write lock."""
        ids = [e.message.inbound_id for e in envelopes if e.message.payload is None]
        stored: dict[str, RawInbound] = {}
        if ids and self._store is not None:
            with self._store.snapshot() as conn:
                stored = _select_raw(conn, ids, only_accepted=True)
        # A record not readable yet is left out; `handle` reads it in the transaction.
        return self._prepared(envelopes, stored, now, strict=False)

    def _prepared(
        self,
        envelopes: Sequence[Envelope[InboundReport]],
        stored: dict[str, RawInbound],
        now: datetime,
        *,
        strict: bool,
    ) -> dict[str, _Prepared]:
        out: dict[str, _Prepared] = {}
        for e in envelopes:
            m = e.message
            if m.payload is not None:
                raw = RawInbound(
                    m.inbound_id or new_id("IN"),
                    m.channel,
                    m.content_type,
                    m.payload,
                    m.received_at,
                )
                out[e.event_id] = _Prepared(raw, self._work(raw, now), True)
            elif m.inbound_id in stored:
                raw = stored[m.inbound_id]
                out[e.event_id] = _Prepared(raw, self._work(raw, now), False)
            elif strict:
                raise InvalidMessageError(
                    f"inbound record {m.inbound_id} named by event {e.event_id} is not in the store"
                )
        return out

    # -- in the transaction -----------------------------------------------------------
    def handle(
        self, conn: Connection, envelopes: Sequence[Envelope[InboundReport]], ctx: HandlerContext
    ) -> None:
        prepared: dict[str, _Prepared] = dict(ctx.prepared)
        missing = [e for e in envelopes if e.event_id not in prepared]
        if missing:  # not prepared (e.g. read before the record was stored): do it now
            ids = [e.message.inbound_id for e in missing if e.message.payload is None]
            stored = _select_raw(conn, ids, only_accepted=False) if ids else {}
            prepared.update(self._prepared(missing, stored, ctx.now, strict=True))
        routed = self._route(conn, envelopes, prepared)
        claimed = self._claim(conn, envelopes, prepared, ctx.now)
        if routed:
            self._thread_replies(conn, envelopes, claimed, routed, ctx)
        self._write_all(conn, claimed, ctx)

    # -- threading: replies to our follow-up requests are not new reports ----------------
    def _route(
        self,
        conn: Connection,
        envelopes: Sequence[Envelope[InboundReport]],
        prepared: dict[str, _Prepared],
    ) -> dict[str, Routed]:
        if self._router is None:
            return {}
        routed = self._router.route(conn, [_message_of(e, prepared[e.event_id]) for e in envelopes])
        for event_id in routed:
            # A reply opens no case: its attachments are still kept as source documents.
            p = prepared[event_id]
            prepared[event_id] = replace(p, work=RecordWork(documents=p.work.documents))
        return routed

    def _thread_replies(
        self,
        conn: Connection,
        envelopes: Sequence[Envelope[InboundReport]],
        claimed: Sequence[tuple[str, _Prepared]],
        routed: dict[str, Routed],
        ctx: HandlerContext,
    ) -> None:
        assert self._router is not None
        by_event = {e.event_id: e for e in envelopes}
        items: list[TriageItem] = []
        for event_id, p in claimed:
            if event_id not in routed:
                continue
            case_id, item = self._router.apply(
                conn,
                _message_of(by_event[event_id], p),
                routed[event_id],
                ctx.now,
                ctx.emit,
                ctx.audit,
            )
            if case_id is not None:
                inbound.set_case(conn, p.raw.inbound_id, case_id)
            if item is not None:
                items.append(item)
        triage.open_items(conn, items)

    def _claim(
        self,
        conn: Connection,
        envelopes: Sequence[Envelope[InboundReport]],
        prepared: dict[str, _Prepared],
        now: datetime,
    ) -> list[tuple[str, _Prepared]]:
        """Each record is turned into cases once: carried ones are stored here (a repeat of a
        source id is recognised), referenced ones are claimed if still waiting."""
        claimed: list[tuple[str, _Prepared]] = []
        carried = [(e, prepared[e.event_id]) for e in envelopes if prepared[e.event_id].carried]
        if carried:
            records = [
                InboundRecord(
                    id=p.raw.inbound_id,
                    channel=e.message.channel,
                    source_id=e.message.source_id,
                    received_at=e.message.received_at,
                    content_type=e.message.content_type,
                    headers=e.message.headers,
                    payload=p.raw.payload,
                    thread_key=e.message.thread_key,
                    status=inbound.PROCESSED,
                    case_id=p.work.cases[0].case_id if p.work.cases else None,
                    processed_at=now,
                )
                for e, p in carried
            ]
            stored = inbound.insert_many(conn, records)
            for (e, p), record in zip(carried, records, strict=True):
                if stored[(record.channel, record.source_id)] == record.id:
                    claimed.append((e.event_id, p))
        referenced = [e for e in envelopes if not prepared[e.event_id].carried]
        if referenced:
            status = dict(
                conn.execute(
                    select(inbound_messages.c.id, inbound_messages.c.status).where(
                        inbound_messages.c.id.in_({e.message.inbound_id for e in referenced})
                    )
                ).all()
            )
            taken: set[str] = set()
            marks: list[tuple[str, str | None]] = []
            for e in referenced:
                iid = e.message.inbound_id
                if iid not in status:
                    raise InvalidMessageError(
                        f"inbound record {iid} named by event {e.event_id} is not in the store"
                    )
                if status[iid] != inbound.ACCEPTED or iid in taken:
                    continue  # already turned into cases by an earlier delivery
                taken.add(iid)
                p = prepared[e.event_id]
                claimed.append((e.event_id, p))
                marks.append((iid, p.work.cases[0].case_id if p.work.cases else None))
            inbound.mark_processed(conn, marks, now)
        return claimed

    def _write_all(
        self, conn: Connection, claimed: Sequence[tuple[str, _Prepared]], ctx: HandlerContext
    ) -> None:
        """Write the claimed records' cases, as if one record after the other, with a fixed
        number of statements per batch (but one candidate query per new case): a record sees
        the cases of the records before it in the batch, never those after it."""
        # key (as stored: cut to 300) → cases written by earlier records of this batch
        in_batch: dict[str, set[str]] = {}
        in_db = cases.cases_with_keys(
            conn, [k for _, p in claimed for c in p.work.cases for k in c.id_keys]
        )
        triage_items: list[TriageItem] = []
        documents: list[dict[str, object]] = []
        rows: list[cases.NewCaseRows] = []
        keys: dict[str, frozenset[str]] = {}
        #: per record: its inbound id, its written cases, its triage items so far
        records: list[tuple[str, list[NewCase], list[TriageItem]]] = []
        for _event_id, p in claimed:
            iid = p.raw.inbound_id
            for ack in p.work.acks:  # only a record claimed here is acknowledged, once
                ctx.on_commit(ack.write)
            items = [
                TriageItem(
                    kind=t.kind,
                    reason=t.reason,
                    created_at=ctx.now,
                    inbound_id=iid,
                    detail=dict(t.detail),
                )
                for t in p.work.triage
            ]
            known: dict[str, set[str]] = {}
            for new in p.work.cases:
                for k in new.id_keys:
                    key = k[:300]
                    found = in_db.get(key, set()) | in_batch.get(key, set())
                    if found:
                        known[key] = found
            written: list[NewCase] = []
            for new in p.work.cases:
                existing = sorted({c for k in new.id_keys for c in known.get(k, ())})
                if existing:
                    # The same report came again (another file, another channel): nothing new.
                    items.append(
                        TriageItem(
                            kind="duplicate_report",
                            created_at=ctx.now,
                            inbound_id=iid,
                            case_id=existing[0],
                            reason="a report with the same source identifiers is case "
                            f"{existing[0]}",
                            detail={"identifiers": sorted(new.id_keys), "cases": existing},
                        )
                    )
                    continue
                for k in new.id_keys:
                    known.setdefault(k, set()).add(new.case_id)
                written.append(new)
            for new in written:
                rows.append(new.rows)
                keys[new.case_id] = new.id_keys | new.blocking
                for k in new.id_keys | new.blocking:
                    in_batch.setdefault(k[:300], set()).add(new.case_id)
            records.append((iid, written, items))
            if p.work.documents:
                documents.extend(document_row(iid, d, ctx.now) for d in p.work.documents)
        cases.insert_rows(conn, rows)
        cases.add_keys(conn, keys)
        for _iid, written, _items in records:
            for new in written:
                # What `_candidate_facts` would read back (load(dump(icsr)) == icsr): later
                # cases sharing a key with this one need not load and parse its ICSR.
                # Should the transaction roll back, the entry names a case id never stored.
                self._facts[(new.case_id, new.rows.cases[0]["current_version"])] = new.stored_facts
        candidates = self._candidates(conn, records, in_batch, set(keys))
        facts = self._candidate_facts(conn, {c for ids in candidates for c in ids})
        self._trim_facts()
        position = 0
        for iid, written, items in records:
            for new in written:
                ctx.emit(new.event)
                for entry in new.audits:
                    ctx.audit(entry)
                if new.review:
                    items.append(
                        TriageItem(
                            kind="coding_review",
                            created_at=ctx.now,
                            inbound_id=iid,
                            case_id=new.case_id,
                            reason="MedDRA coding needs a person",
                            detail={"notes": list(new.review)},
                        )
                    )
                candidate_ids = candidates[position]
                position += 1
                items.extend(
                    self._potential_duplicates(
                        new, [facts[c] for c in candidate_ids if c in facts], ctx.now, iid
                    )
                )
            triage_items.extend(items)
        if documents:
            bulk_insert(conn, source_documents, documents, ignore_conflicts=True)
        triage.open_items(conn, triage_items)

    @staticmethod
    def _candidates(
        conn: Connection,
        records: Sequence[tuple[str, Sequence[NewCase], object]],
        in_batch: dict[str, set[str]],
        written: set[str],
    ) -> list[list[str]]:
        """Candidates of each new case, in order: the ``_CANDIDATES`` highest case ids sharing
        a blocking key with it, as the store held them once its own record was written (the
        cases of later records of the batch are not seen), ascending.

        One query for the whole batch: per key, the highest ``_CANDIDATES + n + 1`` case ids,
        ``n`` being the batch's cases under that key. That is enough: of the cases ranked
        above a candidate under one of its keys, fewer than ``_CANDIDATES`` are candidates
        themselves, and the others are the case itself or later cases of the batch."""
        blocking = {
            k[:300] for _iid, new_cases, _items in records for n in new_cases for k in n.blocking
        }
        ranked = cases.latest_cases_by_key(
            conn, {k: _CANDIDATES + len(in_batch.get(k, ())) + 1 for k in blocking}
        )
        later = set(written)
        out: list[list[str]] = []
        for _iid, new_cases, _items in records:
            later.difference_update(n.case_id for n in new_cases)
            for new in new_cases:
                keys = [k[:300] for k in new.blocking]
                # A case none of whose keys another case shares has no candidate (most cases).
                if not any(len(ranked.get(k, ())) > 1 for k in keys):
                    out.append([])
                    continue
                found = {
                    c
                    for k in keys
                    for c in ranked.get(k, ())
                    if c != new.case_id and c not in later
                }
                out.append(sorted(found)[-_CANDIDATES:])
        return out

    def _potential_duplicates(
        self, new: NewCase, candidates: Sequence[CaseFacts], now: datetime, inbound_id: str
    ) -> list[TriageItem]:
        if not candidates:
            return []
        matches = find_candidates(new.facts, candidates, self._threshold)
        if not matches:
            return []
        return [
            TriageItem(
                kind="potential_duplicate",
                created_at=now,
                inbound_id=inbound_id,
                case_id=new.case_id,
                reason=f"may duplicate case {matches[0][0].case_id} "
                f"(score {matches[0][1].score:.2f}); a person decides",
                detail={
                    "candidates": [
                        {
                            "case_id": facts.case_id,
                            "score": round(score.score, 3),
                            "matching": [m.field for m in score.matching if m.weight > 0],
                            "conflicting": [m.field for m in score.matching if m.weight < 0],
                        }
                        for facts, score in matches[:5]
                    ]
                },
            )
        ]

    def _candidate_facts(self, conn: Connection, case_ids: set[str]) -> dict[str, CaseFacts]:
        """Facts of each case's current version. Versions are immutable, so facts read once
        are kept (bounded, least recently used out) rather than the ICSR being loaded and
        parsed again for every new case sharing a blocking key with it."""
        if not case_ids:
            return {}
        versions = cases.current_versions(conn, sorted(case_ids))
        missing = [cid for cid, number in versions.items() if (cid, number) not in self._facts]
        for cid, icsr in cases.current_icsrs(conn, missing).items():
            self._facts[(cid, versions[cid])] = facts_of(cid, icsr)
        out: dict[str, CaseFacts] = {}
        for key in sorted(versions.items()):
            facts = self._facts.get(key)
            if facts is not None:
                self._facts.move_to_end(key)
                out[key[0]] = facts
        return out

    def _trim_facts(self) -> None:
        while len(self._facts) > _FACTS_CACHE_SIZE:
            self._facts.popitem(last=False)


def _message_of(e: Envelope[InboundReport], p: _Prepared) -> InboundMessage:
    m = e.message
    return InboundMessage(
        event_id=e.event_id,
        inbound_id=p.raw.inbound_id,
        channel=m.channel,
        received_at=m.received_at,
        headers=m.headers,
    )


def _select_raw(
    conn: Connection, inbound_ids: Sequence[str], *, only_accepted: bool
) -> dict[str, RawInbound]:
    q = select(
        inbound_messages.c.id,
        inbound_messages.c.channel,
        inbound_messages.c.content_type,
        inbound_messages.c.payload,
        inbound_messages.c.received_at,
        inbound_messages.c.status,
    ).where(inbound_messages.c.id.in_(set(inbound_ids)))
    return {
        r.id: RawInbound(r.id, r.channel, r.content_type, r.payload, r.received_at)
        for r in conn.execute(q)
        if not only_accepted or r.status == inbound.ACCEPTED
    }


def intake_consumer(
    codec: AvroCodec,
    topic_name: Callable[[str], str],
    refs: IntakeReferences | None = None,
    e2b: E2BSettings | None = None,
    store: Store | None = None,
    *,
    threading: bool = True,
) -> ConsumerSpec[InboundReport]:
    handler = IntakeHandler(
        codec,
        topic_name,
        refs or IntakeReferences(ProductCatalogue(())),
        e2b or E2BSettings(),
        store,
        router=ThreadRouter(codec, topic_name) if threading else None,
    )
    return ConsumerSpec(
        name=CONSUMER,
        topic=topic_name(Topic.INTAKE_INBOUND),
        decode=decoder(codec),
        handle=handler.handle,
        prepare=handler.prepare,
    )
