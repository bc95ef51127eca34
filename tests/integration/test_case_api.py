"""The case API against the real store (SQLite and PostgreSQL): create, list and search,
versions, events and coding, duplicates, follow-up, deletion, tokens."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Generator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.engine import URL

from gateway.api.app import create_app
from gateway.api.icsr import CaseApiContext
from gateway.clock import utcnow
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.intake import IntakeReferences
from gateway.domain.lifecycle import CaseState
from gateway.domain.meddra import MedDRACoder, load_distribution
from gateway.settings import Settings
from gateway.store import api_users, audit, triage
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.store.tables import case_versions, cases, followup_requests, outbox

pytestmark = pytest.mark.integration

MEDDRA = Path(__file__).resolve().parents[1] / "data" / "meddra" / "MedAscii"
PASSWORD = "correct horse battery"


async def _ready() -> dict[str, bool]:
    return {"store": True}


class SyncClient:
    """Requests to the app in process (httpx's ASGI transport), one event loop for a test."""

    def __init__(self, app: FastAPI) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://api.test"
        )

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@dataclass
class Api:
    client: SyncClient
    store: Store
    user_id: str

    def headers(self, *scopes: str) -> dict[str, str]:
        with self.store.transaction() as conn:
            issued = api_users.issue_token(
                conn, self.user_id, "test", scopes or api_users.SCOPES, utcnow()
            )
        return {"Authorization": f"Bearer {issued.secret}"}


def build_api(
    store: Store,
    tmp_path: Path,
    references: IntakeReferences | None = None,
    **settings_values: Any,
) -> Generator[Api, None, None]:
    upgrade(store.engine)
    settings = Settings(data_dir=tmp_path, **settings_values)
    context = CaseApiContext.default(store, settings)
    if references is not None:
        context = CaseApiContext(
            store=store,
            settings=settings,
            codec=context.codec,
            references=references,
            followup=context.followup,
        )
    with store.transaction() as conn:
        user = api_users.create_user(conn, "ana", PASSWORD, utcnow())
    client = SyncClient(create_app(_ready, case_api=context))
    try:
        yield Api(client=client, store=store, user_id=user.id)
    finally:
        client.close()
        store.dispose()


@pytest.fixture
def api(database_url: URL, tmp_path: Path) -> Iterator[Api]:
    yield from build_api(Store(build_engine(database_url)), tmp_path)


@pytest.fixture
def coded_api(database_url: URL, tmp_path: Path) -> Iterator[Api]:
    refs = IntakeReferences(ProductCatalogue(()), MedDRACoder(load_distribution(MEDDRA)))
    yield from build_api(Store(build_engine(database_url)), tmp_path, refs)


def form(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "reporter": {
            "name": "Ana Pérez",
            "email": "ana.perez@example.org",
            "qualification": "physician",
        },
        "patient": {"initials": "JD", "age": 54, "sex": "female"},
        "products": [{"name": "Paracetamol 500 mg", "batch": "L123"}],
        "reactions": [{"description": "Náusea severa", "start_date": "2024-03-01"}],
        "description": "La paciente presentó náusea tras la primera dosis.",
    }
    body.update(overrides)
    return body


def create(api: Api, **overrides: Any) -> dict[str, Any]:
    r = api.client.post("/api/v1/icsr", json=form(**overrides), headers=api.headers("icsr:create"))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def count(api: Api, table: Any, *where: Any) -> int:
    with api.store.snapshot() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one())


# -- create -----------------------------------------------------------------------------------
def test_created_case_is_assessed_versioned_audited_and_announced(api: Api) -> None:
    r = api.client.post(
        "/api/v1/icsr", json=form(report_id="WEB-1"), headers=api.headers("icsr:create")
    )
    assert r.status_code == 201
    case = r.json()
    assert r.headers["Location"] == f"/api/v1/icsr/{case['id']}"
    assert (case["state"], case["estado"], case["valid"], case["version"]) == (
        "valid",
        "Válido",
        True,
        1,
    )
    assert case["day_zero"] is not None
    assert case["eventos"][0]["verbatim"] == "Náusea severa"
    assert count(api, outbox) == 1  # the CASE_RECEIVED event the follow-up planner reads
    actions = [
        a["action"]
        for a in api.client.get(
            f"/api/v1/icsr/{case['id']}/audit", headers=api.headers("icsr:read")
        ).json()
    ]
    assert actions == ["case.received", "validity.assessed"]


def test_a_body_over_the_case_api_limit_is_refused_with_413_and_nothing_is_stored(
    database_url: URL, tmp_path: Path
) -> None:
    built = build_api(Store(build_engine(database_url)), tmp_path, case_api_max_bytes=4096)
    api = next(built)
    try:
        body = json.dumps(form(description="x" * 5000)).encode()
        headers = {**api.headers("icsr:create"), "Content-Type": "application/json"}

        declared = api.client.post("/api/v1/icsr", content=body, headers=headers)

        async def streamed() -> AsyncIterator[bytes]:  # chunked: no length declared
            yield body[:3000]
            yield body[3000:]

        chunked = api.client.post("/api/v1/icsr", content=streamed(), headers=headers)

        for r in (declared, chunked):
            assert r.status_code == 413
            assert r.json()["error"]["code"] == "payload_too_large"
            assert "ICSR_CASE_API_MAX_BYTES" in r.json()["error"]["message"]
        assert count(api, cases) == 0
        assert create(api)["version"] == 1  # a body under the limit is read as before
    finally:
        built.close()


def test_report_missing_a_criterion_waits_as_pendiente_without_day_zero(api: Api) -> None:
    case = create(api, products=[])
    assert (case["estado"], case["valid"], case["day_zero"]) == ("Pendiente", False, None)
    assert case["missing_criteria"] == ["SUSPECT_PRODUCT"]


def test_exact_duplicate_is_refused_with_409_and_nothing_is_written(api: Api) -> None:
    first = create(api, report_id="WEB-7")
    before = (count(api, cases), count(api, outbox))
    r = api.client.post(
        "/api/v1/icsr", json=form(report_id="WEB-7"), headers=api.headers("icsr:create")
    )
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "duplicate"
    assert first["id"] in r.json()["error"]["message"]
    assert (count(api, cases), count(api, outbox)) == before


def test_likely_duplicate_is_flagged_for_a_person_with_its_score_and_fields(api: Api) -> None:
    first = create(api)
    second = create(api, reporter={"name": "Otra", "email": "otra@example.org"})
    with api.store.snapshot() as conn:
        items = triage.list_open(conn, "potential_duplicate")
    assert [i.case_id for i in items] == [second["id"]]
    found = api.client.get(
        f"/api/v1/icsr/{second['id']}/duplicates", headers=api.headers("icsr:read")
    ).json()
    best = found["candidates"][0]
    assert best["case_id"] == first["id"]
    assert best["score"] >= 0.6
    fields = {m["field"] for m in best["matching"] if m["weight"] > 0}
    assert {"patient_initials", "product", "reaction", "onset_date"} <= fields


def test_created_case_with_naive_receipt_time_is_refused_naming_the_field(api: Api) -> None:
    r = api.client.post(
        "/api/v1/icsr",
        json=form(received_at="2024-03-02T10:00:00"),
        headers=api.headers("icsr:create"),
    )
    assert r.status_code == 400
    assert "received_at" in r.json()["error"]["fields"]


# -- list, search, filters --------------------------------------------------------------------
def test_list_pages_by_default_twenty_and_refuses_more_than_two_hundred(api: Api) -> None:
    ids = [create(api, report_id=f"P-{n}")["id"] for n in range(5)]
    h = api.headers("icsr:list")
    whole = api.client.get("/api/v1/icsr", headers=h).json()
    assert whole["pagination"] == {"page": 1, "page_size": 20, "total": 5, "pages": 1}
    assert [c["id"] for c in whole["items"]] == sorted(ids, reverse=True)  # id, desc
    pages = [
        api.client.get(f"/api/v1/icsr?page={p}&page_size=2", headers=h).json() for p in (1, 2, 3)
    ]
    assert [len(p["items"]) for p in pages] == [2, 2, 1]
    assert pages[0]["pagination"]["pages"] == 3
    assert [c["id"] for p in pages for c in p["items"]] == sorted(ids, reverse=True)
    assert api.client.get("/api/v1/icsr?page_size=200", headers=h).status_code == 200
    over = api.client.get("/api/v1/icsr?page_size=201", headers=h)
    assert over.status_code == 400
    assert list(over.json()["error"]["fields"]) == ["page_size"]
    assert api.client.get("/api/v1/icsr?page=0", headers=h).status_code == 400
    asc = api.client.get("/api/v1/icsr?order_by=created_at&order_dir=asc", headers=h).json()
    assert [c["id"] for c in asc["items"]] == ids
    bad = api.client.get("/api/v1/icsr?order_by=narrative", headers=h)
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, ["order_by"])


def test_search_finds_words_of_the_case_text_regardless_of_accents_and_case(api: Api) -> None:
    nausea = create(api, report_id="S-1")
    rash = create(
        api,
        report_id="S-2",
        reporter={"name": "Luis Gómez", "email": "luis@example.org"},
        products=[{"name": "Amoxicilina 875 mg"}],
        reactions=[{"description": "Erupción cutánea"}],
        description="Rash after the second tablet.",
    )
    h = api.headers("icsr:list")

    def found(q: str) -> list[str]:
        r = api.client.get("/api/v1/icsr", params={"q": q}, headers=h)
        assert r.status_code == 200, r.text
        return [c["id"] for c in r.json()["items"]]

    assert found("NAUSEA") == [nausea["id"]]  # verbatim term, accent and case folded
    assert found("amoxicilina") == [rash["id"]]  # product name
    assert found("luis@example.org") == [rash["id"]]  # reporter field
    assert found("second tablet") == [rash["id"]]  # narrative, every word
    assert found("second náusea") == []
    assert found("100%_") == []  # LIKE wildcards are text, not patterns
    # a new version is searchable at once
    patched = api.client.patch(
        f"/api/v1/icsr/{nausea['id']}",
        json={"changes": {"narrative": {"case_narrative": "Vértigo intenso"}}, "reason": "typo"},
        headers=api.headers("icsr:update"),
    )
    assert patched.status_code == 200
    assert found("vertigo") == [nausea["id"]]


def test_date_filters_use_the_receipt_date_and_refuse_bad_ranges(api: Api) -> None:
    march = create(api, report_id="D-1", received_at="2024-03-10T23:30:00+00:00")
    april = create(api, report_id="D-2", received_at="2024-04-02T08:00:00+00:00")
    h = api.headers("icsr:list")

    def found(**params: str) -> list[str]:
        r = api.client.get("/api/v1/icsr", params=params, headers=h)
        assert r.status_code == 200, r.text
        return sorted(c["id"] for c in r.json()["items"])

    assert found(fecha_desde="2024-03-10", fecha_hasta="2024-03-10") == [march["id"]]
    assert found(fecha_desde="2024-03-11") == [april["id"]]
    assert found(fecha_hasta="2024-04-01") == [march["id"]]
    assert found(fecha_desde="2024-03-01", fecha_hasta="2024-04-30") == sorted(
        [march["id"], april["id"]]
    )
    bad = api.client.get("/api/v1/icsr", params={"fecha_desde": "2024-02-30"}, headers=h)
    assert (bad.status_code, list(bad.json()["error"]["fields"])) == (400, ["fecha_desde"])
    backwards = api.client.get(
        "/api/v1/icsr", params={"fecha_desde": "2024-05-01", "fecha_hasta": "2024-04-01"}, headers=h
    )
    assert backwards.status_code == 400
    assert set(backwards.json()["error"]["fields"]) == {"fecha_desde", "fecha_hasta"}


# -- versions ---------------------------------------------------------------------------------
def test_every_change_is_a_new_version_with_its_reason_and_a_readable_diff(api: Api) -> None:
    case = create(api)
    url = f"/api/v1/icsr/{case['id']}"
    h = api.headers("icsr:update", "icsr:read")
    no_reason = api.client.patch(url, json={"changes": {"narrative": None}}, headers=h)
    assert (no_reason.status_code, list(no_reason.json()["error"]["fields"])) == (400, ["reason"])
    patched = api.client.patch(
        url,
        json={"changes": {"patient": {"weight_kg": "61.5"}}, "reason": "weight from the chart"},
        headers=h,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["version"] == 2
    icsr = patched.json()["icsr"]
    icsr["narrative"]["case_narrative"] = "Narrativa revisada."
    replaced = api.client.put(url, json={"icsr": icsr, "reason": "narrative rewritten"}, headers=h)
    assert replaced.json()["version"] == 3
    bad = api.client.put(
        url, json={"icsr": {**icsr, "patient": {"sex": 9}}, "reason": "x"}, headers=h
    )
    assert bad.status_code == 400
    assert any(f.startswith("icsr.patient") for f in bad.json()["error"]["fields"])
    same = api.client.put(url, json={"icsr": icsr, "reason": "again"}, headers=h)
    assert same.status_code == 400
    versions = api.client.get(f"{url}/versions", headers=h).json()
    assert [(v["number"], v["reason"]) for v in versions][1:] == [
        (2, "weight from the chart"),
        (3, "narrative rewritten"),
    ]
    first = api.client.get(f"{url}/versions/1", headers=h).json()
    assert first["icsr"]["patient"].get("weight_kg") is None
    diff = api.client.get(f"{url}/diff", params={"from": 1, "to": 3}, headers=h).json()
    assert {(c["path"], c["to"]) for c in diff["changes"]} == {
        ("patient.weight_kg", "61.5"),
        ("narrative.case_narrative", "Narrativa revisada."),
    }
    assert api.client.get(f"{url}/versions/9", headers=h).status_code == 404


# -- delete -----------------------------------------------------------------------------------
def test_delete_with_a_wrong_password_is_refused_and_deletes_nothing(api: Api) -> None:
    case = create(api)
    url = f"/api/v1/icsr/{case['id']}"
    h = api.headers("icsr:delete", "icsr:read", "icsr:list")
    before = (count(api, case_versions), count(api, outbox))
    wrong = api.client.request(
        "DELETE", url, json={"password": "guess", "reason": "spam"}, headers=h
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["fields"] == {"password": "does not match"}
    assert api.client.get(url, headers=h).json()["state"] == "valid"
    assert (count(api, case_versions), count(api, outbox)) == before
    with api.store.snapshot() as conn:
        assert "case.deleted" not in [e.action for e in audit.trail(conn, "case", case["id"])]
    no_reason = api.client.request("DELETE", url, json={"password": PASSWORD}, headers=h)
    assert (no_reason.status_code, list(no_reason.json()["error"]["fields"])) == (400, ["reason"])
    assert api.client.get("/api/v1/icsr", headers=h).json()["pagination"]["total"] == 1


def test_delete_with_the_password_is_a_soft_delete_audited_with_its_reason(api: Api) -> None:
    case = create(api)
    url = f"/api/v1/icsr/{case['id']}"
    h = api.headers("icsr:delete", "icsr:read", "icsr:list", "icsr:update")
    r = api.client.request("DELETE", url, json={"password": PASSWORD, "reason": "spam"}, headers=h)
    assert (r.status_code, r.json()["estado"]) == (200, "Eliminado")
    kept = api.client.get(url, headers=h).json()
    assert kept["deleted"]["reason"] == "spam"
    assert kept["version"] == 1  # nothing of the record is lost
    assert api.client.get("/api/v1/icsr", headers=h).json()["items"] == []
    listed = api.client.get("/api/v1/icsr?include_deleted=true", headers=h).json()
    assert [c["id"] for c in listed["items"]] == [case["id"]]
    actions = [a["action"] for a in api.client.get(f"{url}/audit", headers=h).json()]
    assert actions[-2:] == ["transition:deleted", "case.deleted"]
    again = api.client.request("DELETE", url, json={"password": PASSWORD, "reason": "x"}, headers=h)
    assert again.status_code == 409
    late = api.client.patch(url, json={"changes": {"narrative": None}, "reason": "x"}, headers=h)
    assert late.status_code == 409


def test_a_case_that_was_submitted_must_be_nullified_not_deleted(api: Api) -> None:
    case = create(api)
    context = CaseApiContext.default(api.store, Settings())
    now = utcnow()
    with api.store.transaction() as conn:
        for state in (CaseState.QC_PENDING, CaseState.READY_FOR_SUBMISSION, CaseState.SUBMITTED):
            moved = context.writer.move(
                conn, case_id=case["id"], to=state, actor="test", reason="test", now=now
            )
            assert moved is not None
            audit.record(conn, [moved[1]])
    r = api.client.request(
        "DELETE",
        f"/api/v1/icsr/{case['id']}",
        json={"password": PASSWORD, "reason": "duplicate"},
        headers=api.headers("icsr:delete"),
    )
    assert r.status_code == 409
    assert "nullify" in r.json()["error"]["message"]


# -- events and coding ------------------------------------------------------------------------
def test_replacing_all_events_keeps_known_ids_and_numbers_new_ones(api: Api) -> None:
    case = create(api)
    url = f"/api/v1/icsr/{case['id']}/eventos"
    h = api.headers("icsr:update")
    r = api.client.put(
        url,
        json={
            "eventos": [
                {"id": "reaction-1", "verbatim": "Náusea severa", "outcome": "recovered"},
                {
                    "verbatim": "Vómitos",
                    "start_date": "2024-03",
                    "seriousness": ["hospitalisation"],
                },
            ],
            "reason": "second event from the reporter's call",
        },
        headers=h,
    )
    assert r.status_code == 200, r.text
    events = r.json()["eventos"]
    assert [(e["id"], e["outcome"], e["serious"]) for e in events] == [
        ("reaction-1", "recovered", False),
        ("reaction-2", None, True),
    ]
    assert events[1]["start_date"] == "2024-03"
    one = api.client.patch(
        f"{url}/reaction-2",
        json={"evento": {"outcome": "recovering"}, "reason": "update"},
        headers=h,
    )
    assert [e["outcome"] for e in one.json()["eventos"]] == ["recovered", "recovering"]
    assert one.json()["version"] == 3
    missing = api.client.patch(
        f"{url}/reaction-9", json={"evento": {"outcome": "fatal"}, "reason": "x"}, headers=h
    )
    assert missing.status_code == 404
    bad_date = api.client.put(
        f"{url}/reaction-1",
        json={"evento": {"verbatim": "x", "start_date": "2024-02-30"}, "reason": "x"},
        headers=h,
    )
    assert (bad_date.status_code, list(bad_date.json()["error"]["fields"])) == (400, ["evento"])


def test_coding_is_checked_against_the_dictionary_and_kept_with_its_rationale(
    coded_api: Api,
) -> None:
    api = coded_api
    case = create(api, reactions=[{"description": "mareo raro"}])
    url = f"/api/v1/icsr/{case['id']}/eventos/reaction-1/coding"
    h = api.headers("icsr:update", "icsr:read")

    def code(**body: str) -> Any:
        return api.client.put(url, json={"version": "27.0", "rationale": "r", **body}, headers=h)

    assert code(llt_code="99999999").json()["error"]["fields"].keys() == {"llt_code"}
    assert code(llt_code="94000028", pt_code="94000001").json()["error"]["fields"].keys() == {
        "pt_code"
    }
    assert code(llt_code="94000028", version="26.1").json()["error"]["fields"].keys() == {"version"}
    r = api.client.put(
        url,
        json={"llt_code": "94000028", "version": "27.0", "rationale": "reporter confirmed nausea"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    meddra = r.json()["eventos"][0]["meddra"]
    assert (meddra["llt_code"], meddra["llt_name"], meddra["pt_code"]) == (
        "94000028",
        "Nausea",
        "94000028",
    )
    versions = api.client.get(f"/api/v1/icsr/{case['id']}/versions", headers=h).json()
    assert (versions[-1]["action"], versions[-1]["reason"]) == (
        "event.coded",
        "reporter confirmed nausea",
    )


# -- duplicates -------------------------------------------------------------------------------
def test_duplicate_decision_is_audited_and_resolves_the_triage_items(api: Api) -> None:
    master = create(api)
    dup = create(api, reporter={"name": "Otra", "email": "otra@example.org"})
    h = api.headers("icsr:update", "icsr:read")
    url = f"/api/v1/icsr/{dup['id']}/dup"
    no_master = api.client.put(url, json={"decision": "duplicate", "reason": "x"}, headers=h)
    assert list(no_master.json()["error"]["fields"]) == ["master_case_id"]
    r = api.client.put(
        url,
        json={"decision": "duplicate", "master_case_id": master["id"], "reason": "same patient"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["decision"]["master_case_id"] == master["id"]
    assert len(r.json()["resolved_triage_items"]) == 1
    with api.store.snapshot() as conn:
        assert triage.list_open(conn, "potential_duplicate") == []
    trail = api.client.get(f"/api/v1/icsr/{dup['id']}/audit", headers=h).json()
    assert (trail[-1]["action"], trail[-1]["reason"]) == ("duplicate.decided", "same patient")
    assert (
        api.client.get(f"/api/v1/icsr/{dup['id']}", headers=h).json()["duplicate"]["decision"]
        == "duplicate"
    )
    bulk = api.client.post(
        "/api/v1/icsr/duplicates/check",
        json={"case_ids": [master["id"], "C-unknown"]},
        headers=h,
    ).json()["results"]
    assert [(b["case_id"], b["found"]) for b in bulk] == [
        (master["id"], True),
        ("C-unknown", False),
    ]
    assert bulk[0]["candidates"][0]["case_id"] == dup["id"]


# -- follow-up --------------------------------------------------------------------------------
def test_followup_send_queues_a_request_for_the_sender_once(api: Api) -> None:
    case = create(api)
    url = f"/api/v1/icsr/{case['id']}/followup"
    h = api.headers("icsr:update", "icsr:read")
    before = count(api, outbox)
    r = api.client.post(
        f"{url}/send", json={"channel": "EMAIL", "questions": ["dose", "batch"]}, headers=h
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert (sent["request"]["recipient"], sent["request"]["questions"]) == (
        "ana.perez@example.org",
        ["dose", "batch"],
    )
    assert sent["message"]["delivery_state"] == "queued"
    assert count(api, outbox) == before + 1  # the follow-up-outbound event for the sender
    again = api.client.post(f"{url}/send", json={}, headers=h)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "request_open")
    thread = api.client.get(f"{url}/thread", headers=h).json()
    assert [m["kind"] for m in thread["messages"]] == ["request"]
    assert count(api, followup_requests) == 1


def test_followup_send_without_any_address_is_a_conflict(api: Api) -> None:
    case = create(api, reporter={"name": "Anónimo", "qualification": "consumer"})
    r = api.client.post(
        f"/api/v1/icsr/{case['id']}/followup/send", json={}, headers=api.headers("icsr:update")
    )
    assert (r.status_code, r.json()["error"]["code"]) == (409, "no_contact")


# -- submissions, tokens ----------------------------------------------------------------------
def test_submissions_and_acks_of_an_unknown_case_are_404(api: Api) -> None:
    h = api.headers("icsr:read")
    case = create(api)
    assert api.client.get(f"/api/v1/icsr/{case['id']}/submissions", headers=h).json() == []
    assert api.client.get(f"/api/v1/icsr/{case['id']}/acks", headers=h).json() == []
    assert api.client.get("/api/v1/icsr/C-none/submissions", headers=h).status_code == 404


def test_revoked_expired_and_unknown_tokens_are_401_with_a_bearer_challenge(api: Api) -> None:
    h = api.headers("icsr:list")
    assert api.client.get("/api/v1/icsr", headers=h).status_code == 200
    with api.store.transaction() as conn:
        token = api_users.tokens(conn)[-1]
        api_users.revoke_token(conn, token.id, utcnow())
        expired = api_users.issue_token(
            conn,
            api.user_id,
            "old",
            ["icsr:list"],
            utcnow() - timedelta(days=2),
            expires_at=datetime.now(UTC) - timedelta(days=1),
        )
    for headers in (
        h,
        {"Authorization": f"Bearer {expired.secret}"},
        {"Authorization": "Bearer icsr_nope"},
        {},
    ):
        r = api.client.get("/api/v1/icsr", headers=headers)
        assert r.status_code == 401
        assert r.headers["WWW-Authenticate"] == "Bearer"
        assert r.json()["error"]["code"] == "unauthorised"


def test_an_admin_issues_a_token_whose_secret_is_stored_only_as_a_hash(api: Api) -> None:
    r = api.client.post(
        "/api/v1/tokens",
        json={"user_id": api.user_id, "name": "reader", "scopes": ["icsr:read"]},
        headers=api.headers("admin"),
    )
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    with api.store.snapshot() as conn:
        stored = conn.exec_driver_sql("SELECT token_sha256 FROM api_tokens").scalars().all()
    assert secret not in stored
    assert api_users.token_digest(secret) in stored
    listed = api.client.get("/api/v1/icsr", headers={"Authorization": f"Bearer {secret}"})
    assert (listed.status_code, listed.json()["error"]["fields"]) == (403, {"scope": "icsr:list"})
