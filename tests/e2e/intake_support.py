"""Helpers for the intake end-to-end tests: the gateway process, its store, its channels."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiosmtplib
import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

from gateway.store.engine import Store, build_engine
from gateway.store.tables import (
    audit_log,
    case_keys,
    case_versions,
    cases,
    inbound_messages,
    processed_events,
    triage_items,
)
from tests.support.gateway_process import GatewayProcess

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CATALOGUE = REPO / "tests" / "data" / "catalogue" / "products.json"
MEDDRA = REPO / "tests" / "data" / "meddra"
FDA_SAMPLES = SHARED / "e2b" / "samples" / "fda-r3"
E2B_SCHEMAS = SHARED / "e2b" / "ich-r3-schemas"
OPENFDA_EVENTS = SHARED / "text" / "openfda" / "drug_events_50.json"

TWILIO_TOKEN = "e2e-intake-auth-token"
PUBLIC_BASE_URL = "http://testserver.example"
SAFETY_ADDRESS = "safety@localhost"

T = TypeVar("T")


def eventually(
    probe: Callable[[], T | None],
    what: str,
    timeout: float = 20,
    on_timeout: Callable[[], object] = lambda: "",
) -> T:
    """Poll ``probe`` until it returns something truthy; return that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; {on_timeout()}")
        time.sleep(0.1)


@dataclass
class RunningGateway:
    """A gateway process, its listeners, and read access to its SQLite store."""

    process: GatewayProcess
    http_url: str
    smtp_port: int
    bootstrap: str
    topic_prefix: str
    store: Store

    # -- the store ------------------------------------------------------------------------

    def inbound(self, **where: str) -> list[dict[str, Any]]:
        query = select(inbound_messages)
        for column, value in where.items():
            query = query.where(inbound_messages.c[column] == value)
        with self.store.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def cases_from(self, inbound_id: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(cases).where(cases.c.source_inbound_id == inbound_id))
            return [dict(r._mapping) for r in rows]

    def cases_from_all(self, inbound_ids: Iterable[str]) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(cases).where(cases.c.source_inbound_id.in_(inbound_ids)))
            return [dict(r._mapping) for r in rows]

    def icsr(self, case_id: str) -> dict[str, Any]:
        with self.store.engine.connect() as conn:
            value = conn.execute(
                select(case_versions.c.icsr)
                .where(case_versions.c.case_id == case_id)
                .order_by(case_versions.c.number.desc())
                .limit(1)
            ).scalar_one()
        return dict(value)

    def audit_actions(self, case_id: str) -> list[str]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.entity_type == "case", audit_log.c.entity_id == case_id)
                .order_by(audit_log.c.id)
            )
            return [r[0] for r in rows]

    def triage(self, inbound_id: str) -> list[dict[str, Any]]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(triage_items).where(triage_items.c.inbound_id == inbound_id))
            return [dict(r._mapping) for r in rows]

    def keys_of(self, case_id: str) -> set[str]:
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(case_keys.c.key).where(case_keys.c.case_id == case_id))
            return {r[0] for r in rows}

    def handled_events(self, event_ids: Iterable[str]) -> set[str]:
        """The event ids the intake consumer has finished with."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                select(processed_events.c.event_id).where(
                    processed_events.c.consumer == "intake",
                    processed_events.c.event_id.in_(list(event_ids)),
                )
            )
            return {r[0] for r in rows}

    def processed(self, inbound_id: str) -> dict[str, Any] | None:
        """The inbound record once intake has finished with it (status no longer accepted)."""
        [row] = self.inbound(id=inbound_id)
        return row if row["status"] != "accepted" else None

    def alive(self) -> bool:
        proc = self.process.proc
        return proc is not None and proc.poll() is None

    # -- channels -------------------------------------------------------------------------

    def send_mail(self, raw: bytes, sender: str = "reporter@example.org") -> str:
        """Deliver over SMTP; returns the inbound id the gateway answered with."""
        errors, response = asyncio.run(
            aiosmtplib.send(
                raw,
                sender=sender,
                recipients=[SAFETY_ADDRESS],
                hostname="127.0.0.1",
                port=self.smtp_port,
                start_tls=False,
                use_tls=False,
                timeout=30,
            )
        )
        assert errors == {}, errors
        assert response.startswith("2.0.0 OK: message stored as "), response
        return response.rsplit(" ", 1)[1]

    def post_twilio(
        self, path: str, fields: dict[str, str], signature: str | None = None
    ) -> httpx.Response:
        """POST a Twilio webhook signed as Twilio would sign it (or with ``signature``)."""
        signed = sign(path, fields)
        return httpx.post(
            self.http_url + path,
            content=urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature if signature is not None else signed,
            },
            timeout=10,
        )


def sign(path: str, fields: dict[str, str]) -> str:
    """X-Twilio-Signature as Twilio computes it: over public base URL + path and the fields."""
    return str(RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_BASE_URL + path, fields))


def mail(
    body: str,
    *,
    subject: str = "Adverse event report",
    sender: str = "Dr Anna Smith <anna.smith@clinic.example>",
    attachment: tuple[str, bytes] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = SAFETY_ADDRESS
    msg["Subject"] = subject
    msg["Message-ID"] = f"<{uuid.uuid4().hex}@clinic.example>"
    msg.set_content(body)
    if attachment is not None:
        name, data = attachment
        msg.add_attachment(data, maintype="application", subtype="xml", filename=name)
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


def runtime(process: GatewayProcess) -> dict[str, Any]:
    process.http_url()
    data = json.loads(process.runtime_file.read_text())
    assert isinstance(data, dict)
    return data


def open_store(data_dir: Path) -> Store:
    return Store(build_engine(make_url(f"sqlite:///{data_dir / 'gateway.sqlite3'}")))


@contextmanager
def running_gateway(
    bootstrap: str, data_dir: Path, env: Mapping[str, str]
) -> Iterator[RunningGateway]:
    """A gateway process on ``bootstrap`` with its own topic and group prefixes, SMTP and
    HTTP on free ports, and ``env`` on top; stopped (and checked to stop cleanly) after."""
    run = uuid.uuid4().hex[:10]
    process = GatewayProcess(
        data_dir,
        {
            "ICSR_KAFKA_BOOTSTRAP": bootstrap,
            "ICSR_KAFKA_TOPIC_PREFIX": f"t{run}.",
            "ICSR_KAFKA_GROUP_PREFIX": f"g-{run}",
            "ICSR_SMTP_LISTEN_PORT": "0",
            "ICSR_HTTP_PORT": "0",
            **env,
        },
    )
    process.start()
    store = None
    try:
        process.wait_ready(60)
        info = runtime(process)
        store = open_store(data_dir)
        yield RunningGateway(
            process=process,
            http_url=str(info["http_url"]),
            smtp_port=int(info["smtp_port"]),
            bootstrap=bootstrap,
            topic_prefix=f"t{run}.",
            store=store,
        )
        assert process.terminate() == 0, process.log()
    finally:
        if process.proc is not None and process.proc.poll() is None:
            process.kill()
        if store is not None:
            store.dispose()
