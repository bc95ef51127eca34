"""Helpers for driving a running gateway's case API as a case processor would: a bearer
token made on the gateway's store before it starts, an HTTP client that carries it, a
EudraVigilance-like folder destination, and the reporter's e-mail answer."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx

from gateway.clock import utcnow
from gateway.store import api_users
from gateway.store.migrate import upgrade
from tests.e2e.intake_support import open_store

#: everything a case processor does; no admin, no delete
PROCESSOR_SCOPES = ("icsr:list", "icsr:read", "icsr:create", "icsr:update")

PREFIX = "/api/v1/icsr"

_EV_DESTINATION = """\
[[destinations]]
id = "EV"
name = "EudraVigilance (test: folder hand-off, simulated)"
format = "R3"
profile = "ema"
batch_sender = "ICSRGW"
batch_receiver = "EVTEST"
message_receiver = "EVTEST"
mode = "test"

[destinations.transport]
kind = "folder"
outbox_dir = "{root}/outbox"
inbox_dir = "{root}/inbox"

[destinations.criteria]
report_types = ["spontaneous", "other", "not_available"]

[[destinations.deadline_rules]]
id = "EV-EEA-SERIOUS-15"
region = "EU"
days = 15
label = "EEA serious ICSR within 15 days"
applies_to = {{ serious = true, study = false, eea_occurrence = true }}
"""


def processor_token(data_dir: Path, username: str = "case.processor") -> tuple[str, str]:
    """Bring the gateway's SQLite store in ``data_dir`` to the current schema and give a case
    processor a token with ``PROCESSOR_SCOPES``; (user id, token secret)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = open_store(data_dir)
    try:
        upgrade(store.engine)
        with store.transaction() as conn:
            now = utcnow()
            user = api_users.create_user(conn, username, "a long processor password", now)
            issued = api_users.issue_token(conn, user.id, "e2e", PROCESSOR_SCOPES, now)
    finally:
        store.dispose()
    return user.id, issued.secret


def write_ev_destination(root: Path) -> tuple[Path, Path]:
    """A destinations file with one EudraVigilance-like folder destination ``EV`` under
    ``root``; (the file, the destination's folder)."""
    folder = root / "ev"
    root.mkdir(parents=True, exist_ok=True)
    path = root / "destinations.toml"
    path.write_text(_EV_DESTINATION.format(root=folder.as_posix()), encoding="utf-8")
    return path, folder


@dataclass
class CaseApi:
    """The case API of a running gateway, called with one bearer token."""

    client: httpx.Client

    @classmethod
    def connect(cls, base_url: str, token: str) -> CaseApi:
        return cls(
            httpx.Client(
                base_url=base_url,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
        )

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> httpx.Response:
        """The answer to ``method /api/v1/icsr<path>``; fails the test unless its status is
        ``expect``."""
        response = self.client.request(method, PREFIX + path, **kwargs)
        assert response.status_code == expect, (
            f"{method} {path}: {response.status_code} {response.text}"
        )
        return response

    def json(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        return self.call(method, path, expect, **kwargs).json()

    def close(self) -> None:
        self.client.close()


def answer_by_email(ours: EmailMessage, sender: str, answer: str) -> bytes:
    """The reporter's reply to our request: to its Reply-To, threaded to its Message-ID, the
    answer above the quoted request as mail clients write it."""
    text = ours.get_body(preferencelist=("plain",))
    quoted = "\n".join("> " + line for line in str(text.get_content() if text else "").split("\n"))
    reply = EmailMessage()
    reply["From"] = sender
    reply["To"] = str(ours["Reply-To"])
    reply["Subject"] = "Re: " + str(ours["Subject"])
    reply["Message-ID"] = f"<{uuid.uuid4().hex}@clinic.example>"
    reply["Date"] = format_datetime(datetime.now(UTC))
    reply["In-Reply-To"] = str(ours["Message-ID"])
    reply["References"] = str(ours["Message-ID"])
    reply.set_content(f"{answer}\n\nOn {ours['Date']}, {ours['From']} wrote:\n{quoted}\n")
    return reply.as_bytes(policy=reply.policy.clone(linesep="\r\n"))


def deliver(smtp_port: int, raw: bytes, sender: str, recipient: str) -> str:
    """Hand ``raw`` to the gateway's SMTP listener for ``recipient``; the inbound id."""
    errors, response = asyncio.run(
        aiosmtplib.send(
            raw,
            sender=sender,
            recipients=[recipient],
            hostname="127.0.0.1",
            port=smtp_port,
            start_tls=False,
            use_tls=False,
            timeout=30,
        )
    )
    assert errors == {}, errors
    assert response.startswith("2.0.0 OK: message stored as "), response
    return response.rsplit(" ", 1)[1]
