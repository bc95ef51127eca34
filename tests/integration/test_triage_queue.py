"""The triage queue, where what software could not decide waits for a person: listed and
resolved through the API and the command line, each decision audited; counted in /metrics.
On a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from gateway.api.metrics import metrics_router
from gateway.cli import app
from gateway.settings import Settings
from gateway.store import audit, triage
from gateway.store.engine import Store, build_engine
from gateway.store.triage import TriageItem
from tests.integration.test_case_api import Api, SyncClient, build_api

pytestmark = pytest.mark.integration
AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def api(database_url: URL, tmp_path: Path) -> Iterator[Api]:
    yield from build_api(Store(build_engine(database_url)), tmp_path)


def _open(api: Api, *items: TriageItem) -> None:
    api.store.run_sync(triage.open_items, list(items))


def _items() -> tuple[TriageItem, TriageItem, TriageItem]:
    return (
        TriageItem(kind="malformed_email", reason="MIME unreadable", created_at=AT),
        TriageItem(
            kind="potential_duplicate", reason="score 0.91 with C-1", created_at=AT, case_id="C-2"
        ),
        TriageItem(
            kind="submission_blocked",
            reason="E2B for EV not sent: reject findings on E.i.2.1b",
            created_at=AT,
            case_id="C-3",
            detail={"fields": ["E.i.2.1b"]},
        ),
    )


def test_open_items_are_listed_oldest_first_and_filtered_by_kind_and_case(api: Api) -> None:
    mail, dup, blocked = _items()
    _open(api, mail, dup, blocked)
    read = api.headers("icsr:read")

    everything = api.client.get("/api/v1/triage", headers=read).json()
    by_kind = api.client.get("/api/v1/triage?kind=potential_duplicate", headers=read).json()
    by_case = api.client.get("/api/v1/triage?case_id=C-3", headers=read).json()

    assert {i["id"] for i in everything} == {mail.id, dup.id, blocked.id}
    assert [i["id"] for i in by_kind] == [dup.id]
    assert [(i["id"], i["detail"]) for i in by_case] == [(blocked.id, {"fields": ["E.i.2.1b"]})]


def test_resolving_an_item_records_who_when_and_why_and_closes_it(api: Api) -> None:
    _, dup, _ = _items()
    _open(api, dup)

    r = api.client.post(
        f"/api/v1/triage/{dup.id}/resolve",
        json={"reason": "different patient: other date of birth"},
        headers=api.headers("icsr:update"),
    )

    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["resolved_by"]) == ("resolved", f"user:{api.user_id}")
    assert api.client.get("/api/v1/triage", headers=api.headers("icsr:read")).json() == []
    [entry] = api.store.run_sync(audit.trail, "case", "C-2")
    assert (entry.action, entry.actor, entry.reason) == (
        "triage.resolved",
        f"user:{api.user_id}",
        "different patient: other date of birth",
    )
    again = api.client.post(
        f"/api/v1/triage/{dup.id}/resolve",
        json={"reason": "twice"},
        headers=api.headers("icsr:update"),
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_resolved")


@pytest.mark.parametrize(
    ("path", "body", "scope", "status"),
    [
        ("/api/v1/triage/TR-nope/resolve", {"reason": "x"}, "icsr:update", 404),
        ("/api/v1/triage/{id}/resolve", {"reason": "   "}, "icsr:update", 400),
        ("/api/v1/triage/{id}/resolve", {}, "icsr:update", 400),
        ("/api/v1/triage/{id}/resolve", {"reason": "x"}, "icsr:read", 403),
    ],
)
def test_a_resolution_without_reason_scope_or_item_is_refused_and_changes_nothing(
    api: Api, path: str, body: dict[str, str], scope: str, status: int
) -> None:
    mail, _, _ = _items()
    _open(api, mail)

    r = api.client.post(path.format(id=mail.id), json=body, headers=api.headers(scope))

    assert r.status_code == status
    assert "error" in r.json()
    [still] = api.client.get("/api/v1/triage", headers=api.headers("icsr:read")).json()
    assert still["status"] == "open"


def test_the_command_line_lists_and_resolves_items_and_says_when_it_cannot(
    database_url: URL, tmp_path: Path
) -> None:
    store = Store(build_engine(database_url))
    built = build_api(store, tmp_path)
    api = next(built)
    try:
        mail, dup, _ = _items()
        _open(api, mail, dup)
        env = {"ICSR_DATABASE_URL": database_url.render_as_string(hide_password=False)}
        runner = CliRunner()

        listed = runner.invoke(app, ["triage", "list", "--json"], env=env)
        resolved = runner.invoke(
            app, ["triage", "resolve", mail.id, "--reason", "sender asked to ignore"], env=env
        )
        twice = runner.invoke(app, ["triage", "resolve", mail.id, "--reason", "x"], env=env)
        after = runner.invoke(app, ["triage", "list", "--all", "--json"], env=env)

        assert listed.exit_code == 0, listed.output
        assert {json.loads(line)["id"] for line in listed.output.splitlines()} == {
            mail.id,
            dup.id,
        }
        assert resolved.exit_code == 0, resolved.output
        assert twice.exit_code == 1
        assert "is not open" in twice.output
        statuses = {
            json.loads(line)["id"]: json.loads(line)["status"] for line in after.output.splitlines()
        }
        assert statuses == {mail.id: "resolved", dup.id: "open"}
        [entry] = api.store.run_sync(audit.trail, "triage_item", mail.id)
        assert (entry.actor, entry.reason) == ("cli", "sender asked to ignore")
    finally:
        built.close()


def test_open_items_are_counted_by_kind_in_metrics(api: Api, tmp_path: Path) -> None:
    mail, dup, blocked = _items()
    _open(api, mail, dup, blocked, TriageItem(kind="malformed_email", reason="2", created_at=AT))
    api.store.run_sync(triage.resolve, dup.id, "test", AT)
    metrics = FastAPI()
    metrics.include_router(metrics_router(api.store, Settings(data_dir=tmp_path)))
    client = SyncClient(metrics)
    try:
        text = client.get("/metrics").text
    finally:
        client.close()

    assert 'icsr_triage_open{kind="malformed_email"} 2.0' in text
    assert 'icsr_triage_open{kind="submission_blocked"} 1.0' in text
    assert 'kind="potential_duplicate"' not in text
