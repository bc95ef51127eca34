"""`icsr-gateway demo`: one report's whole life through the gateway, each step shown as it
happens.

An invented doctor e-mails a serious report without the patient's age to the gateway's own
SMTP listener. Intake opens case version 1 (valid, Day 0); follow-up asks the reporter for
what is missing (no relay configured: the e-mail is a file in the follow-up outbox folder);
her reply, sent back to the listener, becomes version 2; the case passes quality check (the
demo plays the case processor); the planner and dispatcher send an E2B(R3) file to a
EudraVigilance-like folder destination; the regulator simulator, running in this process,
answers with an ACK; the ACK router accepts the submission with the regulator's local
report number. The demo watches the store, the source of truth, at every step.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, TypeVar

import aiosmtplib
import httpx
from rich.console import Console
from sqlalchemy import Connection, select

from gateway.bootstrap import Components
from gateway.clock import utcnow
from gateway.demo_data import REPORTER_ADDRESS, sample_reply, sample_report
from gateway.domain.lifecycle import CaseState
from gateway.domain.submissions.destinations import FolderTransport
from gateway.errors import GatewayError
from gateway.regulator import RegulatorSimulator, SimulatedAck
from gateway.service import Gateway
from gateway.store import audit, cases, outbox
from gateway.store import submissions as store_submissions
from gateway.store.tables import case_versions, followup_requests, inbound_messages
from gateway.store.tables import cases as cases_table

__all__ = ["DemoTimeoutError", "run_demo"]

T = TypeVar("T")
#: the longest any one step may take before the demo gives up with a clear message
STEP_TIMEOUT_S = 60.0
_POLL_S = 0.05
_SIMULATOR_POLL_S = 0.2
ACTOR = "demo:case-processor"


class DemoTimeoutError(GatewayError):
    code = "demo_timeout"


class _Regulators:
    """The regulator simulator on every folder destination, polled in a background task."""

    def __init__(self, comp: Components) -> None:
        self.simulators = [
            RegulatorSimulator(
                d.transport.outbox_dir,
                d.transport.inbox_dir,
                profile=d.profile,
                schemas_dir=comp.settings.e2b_schemas_dir,
                r2_dtd=comp.settings.e2b_r2_dtd,
            )
            for d in comp.submissions.destinations
            if d.enabled and isinstance(d.transport, FolderTransport)
        ]
        self.answers: list[SimulatedAck] = []
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="demo-regulator")

    async def _run(self) -> None:
        while True:
            for simulator in self.simulators:
                self.answers.extend(await asyncio.to_thread(simulator.process_once))
            await asyncio.sleep(_SIMULATOR_POLL_S)

    def check(self) -> None:
        """Raise what stopped the simulator, if it stopped."""
        if self._task is not None and self._task.done() and not self._task.cancelled():
            error = self._task.exception()
            if error is not None:
                raise DemoTimeoutError(f"the regulator simulator stopped: {error}") from error

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


class LifecycleDemo:
    def __init__(self, gateway: Gateway, console: Console) -> None:
        assert gateway.components is not None
        self.gateway = gateway
        self.comp = gateway.components
        self.console = console
        self.regulators = _Regulators(self.comp)
        self.started = time.monotonic()

    # -- helpers ------------------------------------------------------------------------
    def step(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        self.console.print(f"  [cyan]{elapsed:6.2f}s[/cyan]  {text}")

    def detail(self, text: str) -> None:
        self.console.print(f"           {text}", highlight=False)

    async def until(
        self, what: str, probe: Callable[[], Awaitable[T | None]], timeout: float = STEP_TIMEOUT_S
    ) -> T:
        deadline = time.monotonic() + timeout
        while True:
            self.regulators.check()
            found = await probe()
            if found:
                return found
            if time.monotonic() > deadline:
                raise DemoTimeoutError(
                    f"the demo waited {timeout:.0f} s for {what}; see the log lines above"
                )
            await asyncio.sleep(_POLL_S)

    async def read(self, query: Callable[[Connection], T]) -> T:
        return await self.comp.store.read(query)

    async def deliver(self, message: EmailMessage, recipient: str) -> str:
        """Send ``message`` to the gateway's SMTP listener (or hand it to the e-mail channel's
        acceptor when no listener is configured); return the stored inbound id."""
        port = self.gateway.smtp_port
        if port is None:
            accepted = await self.comp.acceptor().accept(
                channel="EMAIL",
                source_id=str(message["Message-ID"]),
                payload=message.as_bytes(),
                content_type="message/rfc822",
                headers={"Message-ID": str(message["Message-ID"])},
            )
            return accepted.inbound_id
        host = self.gateway.settings.smtp_listen_host
        host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - a listen-all address
        await aiosmtplib.send(
            message, hostname=host, port=port, sender=REPORTER_ADDRESS, recipients=[recipient],
            timeout=10,
        )  # fmt: skip
        token = str(message["Message-ID"]).strip("<>")

        def stored(c: Connection) -> str | None:
            return c.execute(
                select(inbound_messages.c.id).where(
                    inbound_messages.c.channel == "EMAIL",
                    inbound_messages.c.source_id.contains(token, autoescape=True),
                )
            ).scalar()

        return await self.until("the e-mail to be stored", lambda: self.read(stored))

    # -- the lifecycle ------------------------------------------------------------------
    async def run(self) -> str:
        if not self.regulators.simulators:
            raise DemoTimeoutError(
                "no folder destination is configured (ICSR_DESTINATIONS_FILE): there is no "
                "regulator to submit to"
            )
        self.regulators.start()
        try:
            case_id = await self._intake()
            await self._follow_up(case_id)
            await self._submit(case_id)
            await self._metrics()
            await self._audit(case_id)
        finally:
            await self.regulators.stop()
        return case_id

    async def _intake(self) -> str:
        settings = self.gateway.settings
        self.console.print("\n[bold]A report's whole life through the gateway[/bold]")
        report = sample_report(settings.smtp_recipients[0])
        inbound_id = await self.deliver(report, settings.smtp_recipients[0])
        where = (
            f"the SMTP listener on port {self.gateway.smtp_port}"
            if self.gateway.smtp_port
            else "the e-mail channel"
        )
        self.step(f"e-mail report received by {where}: stored as {inbound_id} before 250 OK")

        def case_of(c: Connection) -> str | None:
            return c.execute(
                select(inbound_messages.c.case_id).where(
                    inbound_messages.c.id == inbound_id,
                    inbound_messages.c.status == "processed",
                )
            ).scalar()

        case_id = await self.until("intake to open a case", lambda: self.read(case_of))
        case = await self.read(lambda c: cases.load_case(c, case_id))
        assert case is not None
        row = await self.read(
            lambda c: c.execute(select(cases_table).where(cases_table.c.id == case_id)).one()
        )
        self.step(
            f"intake opened case {case_id}: version {case.current.number}, state "
            f"{case.state.value} ({case.state.display_name_es})"
        )
        icsr = case.icsr
        source = icsr.primary_source_for_regulatory_purposes()
        self.detail(
            f"reporter country: {source.country if source else None} (from the mail domain)"
        )
        for drug in icsr.drugs:
            self.detail(
                f"suspect product: {drug.name_as_reported}, authorisation "
                f"{drug.authorisation_number} ({drug.authorisation_country})"
            )
        for reaction in icsr.reactions:
            coded = f"MedDRA LLT {reaction.term.code}" if reaction.term else "not coded"
            serious = ", ".join(sorted(c.name.lower() for c in reaction.seriousness.criteria))
            self.detail(
                f"reaction: {reaction.verbatim_native!r} → {coded}; {serious or 'non-serious'}"
            )
        day_zero = row.day_zero.isoformat(timespec="seconds") if row.day_zero else "not yet"
        age = icsr.patient.age_at_onset if icsr.patient else None
        self.detail(
            f"valid: {row.valid}; Day 0: {day_zero}; serious: {row.serious}; "
            f"expedited: {row.expedited}; patient's age: {age or 'missing'}"
        )
        return case_id

    async def _follow_up(self, case_id: str) -> None:
        def request(c: Connection) -> Any:
            return c.execute(
                select(followup_requests).where(
                    followup_requests.c.case_id == case_id,
                    followup_requests.c.sent_at.is_not(None),
                )
            ).first()

        req = await self.until("the follow-up request to be sent", lambda: self.read(request))
        folder = self.comp.followup_transport().outbox_dir
        files = await self.until(
            "the follow-up e-mail file",
            lambda: asyncio.to_thread(lambda: sorted(folder.glob(f"*{req.id}*.eml"))),
        )
        sent = message_from_bytes(files[0].read_bytes(), policy=policy.default)
        assert isinstance(sent, EmailMessage)
        self.step(
            f"follow-up e-mail written to the outbox folder (no relay configured): {files[0]}"
        )
        self.detail(f"Subject: {sent['Subject']}; Message-ID: {sent['Message-ID']}")
        self.detail(f"Reply-To: {sent['Reply-To']}; questions: {', '.join(req.questions)}")

        reply = sample_reply(sent, list(req.questions))
        inbound_id = await self.deliver(reply, str(sent["Reply-To"]))
        self.step(f"the reporter's reply (quoting our request) received: stored as {inbound_id}")

        def version_2(c: Connection) -> Any:
            return c.execute(
                select(case_versions).where(
                    case_versions.c.case_id == case_id, case_versions.c.number == 2
                )
            ).first()

        v2 = await self.until("the reply to become case version 2", lambda: self.read(version_2))
        patient = v2.icsr.get("patient") or {}
        age = patient.get("age_at_onset") or {}
        self.step(f"threaded to case {case_id}: version 2 written ({v2.reason})")
        unit = {"a": "years", "mo": "months"}.get(str(age.get("unit")), age.get("unit"))
        self.detail(f"patient's age now: {age.get('value')} {unit}")

    async def _submit(self, case_id: str) -> None:
        comp = self.comp
        if not self.gateway.settings.submission_auto_submit:
            await comp.store.run(self._pass_quality_check, case_id)
            if self.gateway.relay is not None:
                self.gateway.relay.wake()
            self.step(
                "case processor: quality check passed → "
                f"{CaseState.READY_FOR_SUBMISSION.value} (submitted after QC in the demo)"
            )

        def planned(c: Connection) -> list[store_submissions.SubmissionRow]:
            return store_submissions.list_rows(c, case_id=case_id)

        subs = await self.until("the submission to be planned", lambda: self.read(planned))
        sub = subs[-1]
        self.step(
            f"submission planned: version {sub.case_version} → {sub.destination_id} "
            f"({sub.kind}), due {sub.due_date} [{sub.reason}]"
        )

        def sent(c: Connection) -> store_submissions.SubmissionRow | None:
            rows = store_submissions.by_ids(c, [sub.id])
            return rows[0] if rows and rows[0].batch_number and rows[0].dispatched_at else None

        sub = await self.until("the E2B file to be sent", lambda: self.read(sent))
        destination = next(d for d in comp.submissions.destinations if d.id == sub.destination_id)
        assert isinstance(destination.transport, FolderTransport)
        tx = await self.read(
            lambda c: store_submissions.transmission_by_batch(c, str(sub.batch_number))
        )
        file_name = tx.file_name if tx is not None else "?"
        self.step(
            f"E2B(R3) file for {destination.name}: {destination.transport.outbox_dir / file_name}"
        )
        self.detail(
            f"batch N.1.2 {sub.batch_number}; C.1.1 {sub.safety_report_id}; checked against "
            f"the {destination.profile} business rules before sending"
        )

        def answered() -> Awaitable[SimulatedAck | None]:
            async def find() -> SimulatedAck | None:
                return next(
                    (a for a in self.regulators.answers if a.batch_number == sub.batch_number),
                    None,
                )

            return find()

        answer = await self.until("the regulator simulator's ACK", answered)
        if not answer.accepted:
            raise DemoTimeoutError(
                f"the regulator simulator did not accept the ICSR ({answer.batch_code}); "
                f"its findings are in {answer.ack_path}"
            )
        self.step(
            f"regulator simulator ({destination.profile}): batch {answer.batch_code}, "
            f"ICSR {'CA' if answer.accepted else 'CR'} → ACK {answer.ack_path}"
        )

        def accepted(c: Connection) -> store_submissions.SubmissionRow | None:
            rows = store_submissions.by_ids(c, [sub.id])
            return rows[0] if rows and rows[0].status == store_submissions.ACCEPTED else None

        done = await self.until(
            "the ACK to be routed to the submission", lambda: self.read(accepted)
        )
        self.step(
            f"ACK routed: submission {done.status}, local report number "
            f"{done.local_report_number}, deadline met: {done.deadline_met}"
        )

    def _pass_quality_check(self, conn: Connection, case_id: str) -> None:
        """What a case processor does in the case tool: the checked case goes to QC, then is
        released for submission. Each move is audited and announced."""
        writer = self.comp.case_writer()
        now = utcnow()
        for to, reason in (
            (CaseState.QC_PENDING, "data entry complete, sent to quality check"),
            (CaseState.READY_FOR_SUBMISSION, "quality check passed"),
        ):
            moved = writer.move(conn, case_id=case_id, to=to, actor=ACTOR, reason=reason, now=now)
            if moved is not None:
                outbox.enqueue(conn, [moved[0]], now)
                audit.record(conn, [moved[1]])

    async def _metrics(self) -> None:
        url = f"{self.gateway.http_url}/metrics"
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                response = await client.get(url)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            self.step(f"GET /metrics did not answer: {exc}")
            return
        lines = [
            line
            for line in response.text.splitlines()
            if line.startswith("icsr_submission") and not line.startswith("#")
        ]
        self.step(f"compliance per destination at GET {url}:")
        for line in lines:
            self.detail(line)

    async def _audit(self, case_id: str) -> None:
        trail = await self.read(lambda c: audit.trail(c, "case", case_id))
        self.console.print("\n[bold]Audit trail of the case[/bold]")
        for entry in trail:
            when = entry.at.isoformat(timespec="seconds")
            self.console.print(
                f"  {when}  {entry.actor}  {entry.action}: {entry.reason}", highlight=False
            )
        self.console.print(
            f"\nTotal: {time.monotonic() - self.started:.1f} s. The regulator's folders are "
            f"under {self.gateway.settings.data_dir / 'demo'}; try "
            "`icsr-gateway submissions list`, `icsr-gateway submissions compliance` and "
            "`icsr-gateway triage list` (what waits for a person)."
        )


async def run_demo(gateway: Gateway, console: Console) -> str:
    """Take the invented report through the running gateway; return its case id."""
    return await LifecycleDemo(gateway, console).run()
