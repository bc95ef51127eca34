"""`icsr-gateway demo`: one report through the gateway, each step shown as it happens.

The report is an invented e-mail (no real person). It enters through the same
persist-before-acknowledge path a channel uses, and the demo watches the store, which is
the source of truth, as the report moves through the pipeline.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from rich.console import Console
from sqlalchemy import Connection, select

from gateway.service import Gateway
from gateway.store import audit, cases, tables
from gateway.store.tables import inbound_messages, outbox
from schemas.topics import Topic


def sample_report() -> EmailMessage:
    """An invented adverse-event report, as a doctor might e-mail it."""
    msg = EmailMessage()
    msg["From"] = "Dr. Ana Example <ana.example@clinic.example>"
    msg["To"] = "safety@pharma.example"
    msg["Subject"] = "Adverse reaction report"
    msg["Message-ID"] = make_msgid(domain="clinic.example")
    msg.set_content(
        "Dear safety team,\n\n"
        "my patient (initials J.D., female, 54 years) developed a generalised rash and\n"
        "was hospitalised two days after starting Examplozole 20 mg daily by mouth.\n"
        "The drug was stopped and she is recovering.\n\n"
        "Dr. Ana Example, internist\n"
    )
    return msg


async def _wait_for(
    gateway: Gateway, query: Callable[[Connection], Any], timeout: float = 30.0
) -> Any:
    assert gateway.components is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = await gateway.components.store.read(query)
        if found:
            return found
        await asyncio.sleep(0.05)
    raise TimeoutError("the demo report did not get through in time; see the log lines above")


async def run_demo(gateway: Gateway, console: Console) -> str:
    """Send the sample report through the running gateway; return its case id."""
    assert gateway.components is not None
    comp = gateway.components
    started = time.monotonic()

    def step(text: str) -> None:
        console.print(f"  [cyan]{time.monotonic() - started:6.3f}s[/cyan]  {text}")

    email = sample_report()
    console.print("\n[bold]A report goes through the gateway[/bold]")
    accepted = await comp.acceptor().accept(
        channel="EMAIL",
        source_id=str(email["Message-ID"]),
        payload=email.as_bytes(),
        content_type="message/rfc822",
        headers={"Message-ID": str(email["Message-ID"])},
    )
    step(f"e-mail accepted: raw message stored as {accepted.inbound_id} before acknowledging")

    intake_topic = gateway.settings.topic(Topic.INTAKE_INBOUND)
    await _wait_for(
        gateway,
        lambda c: c.execute(
            select(outbox.c.published_at).where(
                outbox.c.topic == intake_topic,
                outbox.c.event_id == f"inbound:{accepted.inbound_id}",
                outbox.c.published_at.is_not(None),
            )
        ).first(),
    )
    step(f"intake event published on {intake_topic} by the outbox relay")

    case_id = await _wait_for(
        gateway,
        lambda c: c.execute(
            select(inbound_messages.c.case_id).where(
                inbound_messages.c.id == accepted.inbound_id,
                inbound_messages.c.status == "processed",
            )
        ).scalar(),
    )
    case = await comp.store.read(cases.load_case, case_id)
    assert case is not None
    step(
        f"intake consumer opened case {case_id}: state {case.state.value} "
        f"({case.state.display_name_es}), version {case.current.number}"
    )
    icsr = case.icsr
    for drug in icsr.drugs:
        role = drug.role.name.lower() if drug.role else "?"
        step(f"  suspect product: {drug.name_as_reported} (role {role})")
    for reaction in icsr.reactions:
        coded = (
            f"MedDRA LLT {reaction.term.code} (v{reaction.term.version})"
            if reaction.term
            else "not coded"
        )
        serious = (
            ", ".join(sorted(c.name.lower() for c in reaction.seriousness.criteria))
            or "non-serious"
        )
        step(f"  reaction: {reaction.verbatim_native!r} → {coded}; {serious}")

    case_topic = gateway.settings.topic(Topic.CASE_EVENTS)
    await _wait_for(
        gateway,
        lambda c: c.execute(
            select(outbox.c.id).where(
                outbox.c.topic == case_topic,
                outbox.c.key == case_id.encode(),
                outbox.c.published_at.is_not(None),
            )
        ).first(),
    )
    step(f"case event CASE_RECEIVED published on {case_topic}")

    summary = await comp.store.read(
        lambda c: c.execute(
            select(
                tables.cases.c.valid,
                tables.cases.c.day_zero,
                tables.cases.c.serious,
                tables.cases.c.expedited,
            ).where(tables.cases.c.id == case_id)
        ).one()
    )
    day_zero = summary.day_zero.isoformat(timespec="seconds") if summary.day_zero else "not yet"
    step(
        f"  valid: {summary.valid}; Day 0: {day_zero}; "
        f"serious: {summary.serious}; expedited: {summary.expedited}"
    )
    trail = await comp.store.read(audit.trail, "case", case_id)
    console.print("\n[bold]Audit trail[/bold]")
    for entry in trail:
        when = entry.at.isoformat(timespec="seconds")
        console.print(f"  {when}  {entry.actor}  {entry.action}: {entry.reason}")
    console.print(
        "\n[dim]Next stages (follow-up with the reporter, E2B submission to regulators, "
        "acknowledgements) are not available in this version.[/dim]"
    )
    return str(case_id)
