"""A harness for the submission tests: a real store, the real planner, dispatcher, ACK intake
and router, the regulator simulator on the folder hand-off; no broker (events are read back
from the outbox, which is what the relay would publish)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.engine import URL

from channels.parsing.e2b_import import import_e2b
from channels.regulator_transport.ack_intake import AckAcceptor
from channels.regulator_transport.folder import FolderTransport
from consumers.ack_router import AckRouter
from consumers.ack_router import decoder as ack_decoder
from consumers.envelope import Envelope, HandlerContext
from consumers.submission_planner import CaseEventMessage, SubmissionPlanner
from gateway.domain.case import Case, Provenance
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.icsr import ICSR
from gateway.domain.intake import IntakeReferences
from gateway.domain.lifecycle import CaseState
from gateway.domain.submissions.destinations import Destination, destinations_from_config
from gateway.ids import new_id
from gateway.regulator import RegulatorSimulator
from gateway.store import audit, cases, outbox
from gateway.store import submissions as store_submissions
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import outbox as outbox_table
from gateway.store.tables import triage_items
from producers.dispatcher import Dispatcher, DispatchSettings
from schemas.avro import AvroCodec, SchemaName
from schemas.topics import Topic

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "e2b" / "samples" / "fda-r3"
R2_DTD = SHARED / "e2b" / "ich-r2" / "icsr21xml.dtd"
E2B_SCHEMAS = SHARED / "e2b" / "ich-r3-schemas"


def sample_icsr(name: str = "FAERS2022Scenario1.xml", country: str = "DE") -> ICSR:
    """A complete partner ICSR (an FDA sample) made to occur in ``country``."""
    data = (SAMPLES / name).read_bytes()
    data = data.replace(
        b'<code code="US" codeSystem="1.0.3166.1.2.2"/>',
        (f'<code code="{country}" codeSystem="1.0.3166.1.2.2"/>'.encode()),
    )
    data = data.replace(b"<country>US</country>", f"<country>{country}</country>".encode())
    data = data.replace(b"US-APHARMA-", f"{country}-APHARMA-{uuid.uuid4().hex[:6]}-".encode())
    imported = import_e2b(
        data,
        received_at=datetime.now(UTC),
        our_ids=("ZZFDA", "ZZFDA_PREMKT"),
        profile="ich",
        schemas_dir=None,
        r2_dtd=None,
    )
    return imported.reports[0].icsr


def destination_rows(root: Path, *, max_batch_size: int = 100) -> list[dict[str, Any]]:
    return [
        {
            "id": "EV",
            "name": "EudraVigilance",
            "format": "R3",
            "profile": "ema",
            "batch_receiver": "EVHUMAN",
            "batch_sender": "ICSRGW",
            "transport": {
                "kind": "folder",
                "outbox_dir": str(root / "ev" / "outbox"),
                "inbox_dir": str(root / "ev" / "inbox"),
            },
            "deadline_rules": ["EU-PM-SERIOUS-15", "EU-PM-NONSERIOUS-EEA-90"],
            "max_batch_size": max_batch_size,
        },
        {
            "id": "NCA",
            "name": "A national authority (E2B(R2))",
            "format": "R2",
            "profile": "ich",
            "batch_receiver": "NCAHUMAN",
            "batch_sender": "ICSRGW",
            "transport": {
                "kind": "folder",
                "outbox_dir": str(root / "nca" / "outbox"),
                "inbox_dir": str(root / "nca" / "inbox"),
            },
            "criteria": {"countries": ["FR"]},
            "deadline_rules": ["EU-PM-SERIOUS-15"],
            "max_batch_size": max_batch_size,
        },
    ]


@dataclass
class Harness:
    store: Store
    root: Path
    destinations: tuple[Destination, ...]
    codec: AvroCodec = field(default_factory=AvroCodec.default)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self.refs = IntakeReferences(ProductCatalogue(()))
        self.planner = SubmissionPlanner(
            self.codec, str, self.destinations, lambda: self.refs, tz=UTC, auto_submit=True
        )
        self.router = AckRouter(self.codec, str, tz=UTC)
        self.writer = CaseWriter(self.codec, Topic.CASE_EVENTS)
        self.dispatcher = Dispatcher(
            self.store,
            self.codec,
            str,
            self.destinations,
            {
                d.id: FolderTransport(d.transport.outbox_dir)  # type: ignore[union-attr]
                for d in self.destinations
            },
            DispatchSettings(organisation="Example Pharma", r2_dtd=R2_DTD, tz=UTC),
            clock=lambda: self.now,
        )
        self.acks = AckAcceptor(self.store, self.codec, str)
        self._routed_acks: set[str] = set()

    def destination(self, destination_id: str) -> Destination:
        return next(d for d in self.destinations if d.id == destination_id)

    # -- cases ------------------------------------------------------------------------
    def new_case(self, icsr: ICSR | None = None, *, day_zero: datetime | None = None) -> str:
        case_id = new_id("C")
        icsr = icsr or sample_icsr()
        received = day_zero or self.now
        case = Case.open(
            case_id,
            icsr,
            Provenance(actor="test", action="case.received", at=received, reason="test case"),
            state=CaseState.VALID,
        )
        rows = cases.rows_for_new(
            [(case, None)],
            cases.IntakeDecision(valid=True, day_zero=received, serious=True, expedited=True),
        )
        self.store.run_sync(cases.insert_rows, [rows])
        return case_id

    def event(
        self, case_id: str, version: int, event_type: str = "CASE_RECEIVED", **kw: Any
    ) -> Envelope[CaseEventMessage]:
        message = CaseEventMessage(
            event_id=kw.get("event_id", new_id("EV")),
            case_id=case_id,
            version=version,
            event_type=event_type,
            state=kw.get("state", "valid"),
            significant=kw.get("significant", event_type == "CASE_RECEIVED"),
            occurred_at=self.now,
        )
        return Envelope(message.event_id, message, Topic.CASE_EVENTS, 0, 0, case_id.encode())

    def plan(self, *envelopes: Envelope[CaseEventMessage]) -> HandlerContext:
        ctx = HandlerContext(consumer="submission-planner", now=self.now)

        def run(conn: Connection) -> None:
            self.planner.handle(conn, list(envelopes), ctx)
            outbox.enqueue(conn, ctx.emitted, self.now)
            audit.record(conn, ctx.audits)

        self.store.run_sync(run)
        return ctx

    def revise(self, case_id: str, icsr: ICSR, *, significant: bool = False) -> int:
        def run(conn: Connection) -> int:
            revised = self.writer.revise(
                conn,
                case_id=case_id,
                icsr=icsr,
                actor="case-processor",
                action="case.corrected",
                reason="fixed what the regulator rejected",
                now=self.now,
                significant=significant,
            )
            outbox.enqueue(conn, [revised.event], self.now)
            audit.record(conn, [revised.audit])
            return revised.version.number

        return self.store.run_sync(run)

    # -- dispatch and the regulator -----------------------------------------------------
    def dispatch(self) -> int:
        return asyncio.run(self.dispatcher.dispatch_once())

    def simulator(self, destination_id: str, **kw: Any) -> RegulatorSimulator:
        t = self.destination(destination_id).transport
        return RegulatorSimulator(
            t.outbox_dir,  # type: ignore[union-attr]
            t.inbox_dir,  # type: ignore[union-attr]
            profile=self.destination(destination_id).profile,
            r2_dtd=R2_DTD,
            **kw,
        )

    def ack_files(self, destination_id: str) -> list[Path]:
        inbox = self.destination(destination_id).transport.inbox_dir  # type: ignore[union-attr]
        return sorted(p for p in inbox.glob("*.xml"))

    def receive_acks(self, destination_id: str) -> list[str]:
        """Store every ACK file of the destination's inbox (as the inbox watcher does)."""
        ids = []
        for path in self.ack_files(destination_id):
            ids.append(self.acks.accept_sync(path.read_bytes(), source="folder").ack_id)
            path.unlink()
        return ids

    def route(self) -> HandlerContext:
        """Hand every ACK event waiting in the outbox to the router (as the relay would)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(outbox_table.c.event_id, outbox_table.c.value)
                .where(outbox_table.c.topic == str(Topic.ACK_EVENTS))
                .order_by(outbox_table.c.id)
            ).all()
        decode = ack_decoder(self.codec)
        envelopes = []
        for event_id, value in rows:
            if event_id in self._routed_acks:
                continue
            self._routed_acks.add(event_id)
            d = decode(value)
            envelopes.append(Envelope(d.event_id, d.message, Topic.ACK_EVENTS, 0, 0, None))
        ctx = HandlerContext(consumer="ack-router", now=self.now)

        def run(conn: Connection) -> None:
            self.router.handle(conn, envelopes, ctx)
            outbox.enqueue(conn, ctx.emitted, self.now)
            audit.record(conn, ctx.audits)

        self.store.run_sync(run)
        return ctx

    # -- reading the store --------------------------------------------------------------
    def submissions(self, case_id: str | None = None) -> list[store_submissions.SubmissionRow]:
        return self.store.run_sync(lambda conn: store_submissions.list_rows(conn, case_id=case_id))

    def triage(self, kind: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(triage_items).where(triage_items.c.kind == kind))
            return [dict(r._mapping) for r in rows]

    def case_state(self, case_id: str) -> str:
        from gateway.store.tables import cases as cases_table

        with self.store.engine.connect() as conn:
            return str(
                conn.execute(
                    select(cases_table.c.state).where(cases_table.c.id == case_id)
                ).scalar_one()
            )

    def submission_events(self, event_type: str | None = None) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(outbox_table.c.value)
                .where(outbox_table.c.topic == str(Topic.SUBMISSION_EVENTS))
                .order_by(outbox_table.c.id)
            ).all()
        events = [self.codec.decode_as(SchemaName.SUBMISSION_EVENT, r[0]) for r in rows]
        return [e for e in events if event_type is None or e["event_type"] == event_type]

    def later(self, delta: timedelta) -> None:
        self.now = self.now + delta


def open_harness(url: URL, root: Path, rows: Sequence[dict[str, Any]] | None = None) -> Harness:
    store = Store(build_engine(url))
    upgrade(store.engine)
    return Harness(store, root, destinations_from_config(rows or destination_rows(root)))
