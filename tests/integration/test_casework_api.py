"""Causality, QC and closure through the case API on the real store (SQLite and PostgreSQL).

Each test seeds a case version 1 as intake would have written it, then drives the routes of
``gateway.api.icsr_assessment`` in the app ``gateway.api.app.create_app`` builds, with real
API tokens. Assertions read the answers and the rows: versions, assessment history, QC runs
and sign-offs, closures, the audit trail and the outbox.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.engine import URL

from gateway.api.app import create_app
from gateway.domain.case import Case, Provenance
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.codes import DrugRole, Qualification, ReactionOutcome, SeriousnessCriterion, Sex
from gateway.domain.drug import Dosage, Drug
from gateway.domain.icsr import ICSR
from gateway.domain.intake import IntakeReferences
from gateway.domain.lifecycle import CaseState
from gateway.domain.meddra import MedDRACoder, load_distribution
from gateway.domain.narrative import Narrative
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource
from gateway.domain.serialization import load
from gateway.domain.values import MedDRATerm, PartialDate, Quantity
from gateway.settings import Settings
from gateway.store import api_users, assessments, cases, followup, submissions
from gateway.store.case_updates import CaseWriter
from gateway.store.cases import IntakeDecision
from gateway.store.engine import Store, build_engine
from gateway.store.followup import RequestRow
from gateway.store.migrate import upgrade
from gateway.store.submissions import NewSubmission
from gateway.store.tables import audit_log, case_versions, outbox
from gateway.store.tables import cases as cases_table
from schemas.avro import AvroCodec
from schemas.topics import Topic

pytestmark = pytest.mark.integration

MEDDRA = Path(__file__).resolve().parents[1] / "data" / "meddra"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CASE = "C-QC-0001"
D = PartialDate.parse

CERTAIN = {
    "information": "sufficient",
    "time_relationship": "plausible",
    "other_causes": "ruled_out",
    "dechallenge": "positive",
    "rechallenge": "not_done",
    "definitive": True,
}
POSSIBLE = CERTAIN | {"other_causes": "possible", "dechallenge": "unknown"}
PROBABLE_NARANJO = ["dont_know", "yes", "yes", "dont_know", "no"] + ["dont_know"] * 4 + ["yes"]


@dataclass
class Clock:
    current: datetime

    def now(self) -> datetime:
        return self.current


class ApiClient:
    """Requests to the app in process through httpx's ASGI transport, one loop per test."""

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

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


@pytest.fixture(scope="module")
def coder() -> MedDRACoder:
    return MedDRACoder(load_distribution(MEDDRA))


@pytest.fixture
def store(database_url: URL) -> Iterator[Store]:
    s = Store(build_engine(database_url))
    upgrade(s.engine)
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(days=2))


@pytest.fixture
def app(store: Store, clock: Clock, coder: MedDRACoder, tmp_path: Path) -> FastAPI:
    async def ready() -> dict[str, bool]:
        return {"store": True}

    app = create_app(ready, store=store, settings=Settings(data_dir=tmp_path), clock=clock)
    app.state.references = IntakeReferences(ProductCatalogue(()), coder)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[ApiClient]:
    c = ApiClient(app)
    try:
        yield c
    finally:
        c.close()


def _token(store: Store, name: str, *scopes: str) -> dict[str, str]:
    with store.transaction() as conn:
        user = api_users.create_user(conn, name, "a long enough password", T0)
        issued = api_users.issue_token(conn, user.id, name, scopes, T0)
    return {"Authorization": f"Bearer {issued.secret}"}


@pytest.fixture
def editor(store: Store) -> dict[str, str]:
    return _token(store, "editor", "icsr:read", "icsr:update")


@pytest.fixture
def reader(store: Store) -> dict[str, str]:
    return _token(store, "reader", "icsr:read")


def case_icsr(*, complete: bool = True) -> ICSR:
    reaction = Reaction(
        id="R1",
        verbatim_native="Headache",
        term=MedDRATerm(version="27.0", code="94000001"),
        seriousness=Seriousness.of(SeriousnessCriterion.HOSPITALISATION),
        start=D("20260301"),
        outcome=ReactionOutcome.RECOVERED if complete else None,
    )
    drug = Drug(
        id="D1",
        role=DrugRole.SUSPECT,
        name_as_reported="Zentravia 500 mg",
        dosages=(
            Dosage(dose=Quantity(value=Decimal(500), unit="mg"), route="oral", start=D("20260225")),
        ),
    )
    return ICSR(
        primary_sources=(
            PrimarySource(
                given_name="Ana",
                family_name="Ruiz",
                email="ana.ruiz@clinic.example",
                qualification=Qualification.PHYSICIAN,
            ),
        ),
        patient=Patient(name_or_initials="JD", sex=Sex.FEMALE, birth_date=D("19700101")),
        reactions=(reaction,),
        drugs=(drug,),
        narrative=Narrative(case_narrative="Headache after Zentravia; hospitalised one night."),
    )


def seed(
    store: Store, icsr: ICSR, *, state: CaseState = CaseState.VALID, case_id: str = CASE
) -> str:
    case = Case.open(
        case_id,
        icsr,
        Provenance(actor="intake-email", action="received", at=T0, reason="report received"),
        state=state,
    )
    decision = IntakeDecision(channel="EMAIL", valid=True, day_zero=T0, serious=True)
    with store.transaction() as conn:
        cases.insert_rows(conn, [cases.rows_for_new([(case, None)], decision)])
    return case_id


def version_icsr(store: Store, number: int, case_id: str = CASE) -> ICSR:
    with store.snapshot() as conn:
        data = conn.execute(
            select(case_versions.c.icsr).where(
                case_versions.c.case_id == case_id, case_versions.c.number == number
            )
        ).scalar_one()
    return load(ICSR, data)


def state_of(store: Store, case_id: str = CASE) -> str:
    with store.snapshot() as conn:
        return str(
            conn.execute(
                select(cases_table.c.state).where(cases_table.c.id == case_id)
            ).scalar_one()
        )


def actions(store: Store, case_id: str = CASE) -> list[str]:
    with store.snapshot() as conn:
        return list(
            conn.execute(
                select(audit_log.c.action)
                .where(audit_log.c.entity_id == case_id)
                .order_by(audit_log.c.id)
            ).scalars()
        )


def assess(
    client: ApiClient,
    headers: dict[str, str],
    *,
    who: dict[str, Any] | None = None,
    naranjo: list[str] | None = None,
    rationale: str = "timing and dechallenge fit",
    reason: str | None = None,
    case_id: str = CASE,
) -> Any:
    item: dict[str, Any] = {"drug_id": "D1", "reaction_id": "R1", "rationale": rationale}
    if who is not None:
        item["who_umc"] = who
    if naranjo is not None:
        item["naranjo"] = {"answers": naranjo}
    body: dict[str, Any] = {"assessments": [item]}
    if reason is not None:
        body["reason"] = reason
    return client.put(f"/api/v1/icsr/{case_id}/causality", json=body, headers=headers)


# -- causality -------------------------------------------------------------------------------
def test_causality_assessment_becomes_a_new_version_carrying_g_k_9_i_2_r(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr())
    answer = assess(client, editor, who=CERTAIN, naranjo=PROBABLE_NARANJO)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["version"], body["new_version"]) == (2, True)
    by_method = {a["method"]: a for a in body["assessments"]}
    assert by_method["WHO-UMC"]["result"] == "Certain"
    assert (by_method["Naranjo"]["result"], by_method["Naranjo"]["score"]) == ("Probable", 6)
    assert by_method["Naranjo"]["basis"][-1] == "total 6: Probable"
    row = version_icsr(store, 2).drugs[0].assessment_for("R1")
    assert row is not None
    assert [(a.source, a.method, a.result) for a in row.assessments] == [
        ("Sender", "WHO-UMC", "Certain"),
        ("Sender", "Naranjo", "Probable"),
    ]
    assert actions(store) == ["causality_assessed"]
    with store.snapshot() as conn:
        topics = conn.execute(select(outbox.c.topic)).scalars().all()
    assert topics == [Settings().topic(Topic.CASE_EVENTS)]


def test_a_causality_revision_after_follow_up_keeps_the_earlier_assessment_visible(
    store: Store, client: ApiClient, editor: dict[str, str], reader: dict[str, str]
) -> None:
    seed(store, case_icsr())
    first = assess(client, editor, who=POSSIBLE, rationale="dechallenge unknown").json()
    second = assess(
        client,
        editor,
        who=CERTAIN,
        rationale="reporter confirms recovery on withdrawal",
        reason="follow-up reply of 2026-03-05",
    ).json()
    assert (first["version"], second["version"]) == (2, 3)
    assert second["assessments"][0]["supersedes"] == first["assessments"][0]["id"]
    view = client.get(f"/api/v1/icsr/{CASE}/causality", headers=reader).json()
    [pair] = view["pairs"]
    assert [r["result"] for r in pair["current"]] == ["Certain"]
    assert [(r["result"], r["case_version"]) for r in pair["history"]] == [
        ("Possible", 2),
        ("Certain", 3),
    ]
    assert pair["e2b"] == [{"source": "Sender", "method": "WHO-UMC", "result": "Certain"}]
    report = client.get(f"/api/v1/icsr/{CASE}/causality/report", headers=reader).json()
    assert len(report["naranjo_questions"]) == 10
    assert (
        report["pairs"][0]["history"][1]["rationale"] == "reporter confirms recovery on withdrawal"
    )
    with store.snapshot() as conn:
        [record] = [r for r in assessments.causality_history(conn, CASE) if r.result == "Possible"]
    assert record.answers == POSSIBLE


def test_the_same_result_with_a_new_rationale_is_recorded_without_a_new_version(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr())
    assess(client, editor, who=CERTAIN)
    again = assess(client, editor, who=CERTAIN, rationale="re-read after QC").json()
    assert (again["version"], again["new_version"]) == (2, False)
    with store.snapshot() as conn:
        assert len(assessments.causality_history(conn, CASE)) == 2
        versions = conn.execute(
            select(case_versions.c.number).where(case_versions.c.case_id == CASE)
        ).scalars()
        assert sorted(versions) == [1, 2]


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"drug_id": "D1", "reaction_id": "R1", "rationale": " ", "who_umc": CERTAIN}, "rationale"),
        ({"drug_id": "D1", "reaction_id": "R1", "rationale": "x"}, "give who_umc"),
        (
            {
                "drug_id": "D1",
                "reaction_id": "R1",
                "rationale": "x",
                "naranjo": {"answers": ["yes"]},
            },
            "naranjo",
        ),
        (
            {
                "drug_id": "D1",
                "reaction_id": "R1",
                "rationale": "x",
                "who_umc": {"information": "x"},
            },
            "who_umc",
        ),
        ({"drug_id": "D9", "reaction_id": "R1", "rationale": "x", "who_umc": CERTAIN}, "no drug"),
    ],
)
def test_a_bad_causality_request_is_a_400_naming_the_problem(
    store: Store, client: ApiClient, editor: dict[str, str], item: dict[str, Any], field: str
) -> None:
    seed(store, case_icsr())
    answer = client.put(
        f"/api/v1/icsr/{CASE}/causality", json={"assessments": [item]}, headers=editor
    )
    assert answer.status_code == 400, answer.text
    assert field in answer.text
    assert actions(store) == []


def test_routes_need_a_token_and_the_right_scope(
    store: Store, client: ApiClient, reader: dict[str, str]
) -> None:
    seed(store, case_icsr())
    assert client.get(f"/api/v1/icsr/{CASE}/causality").status_code == 401
    assert client.get(f"/api/v1/icsr/{CASE}/causality", headers=reader).status_code == 200
    refused = assess(client, reader, who=CERTAIN)
    assert refused.status_code == 403
    assert refused.json()["error"]["fields"] == {"scope": "icsr:update"}
    for path in ("qc/run", "qc/signoff", "close", "reopen"):
        assert (
            client.post(f"/api/v1/icsr/{CASE}/{path}", json={}, headers=reader).status_code == 403
        )


def test_an_unknown_case_is_a_404_on_every_route(client: ApiClient, editor: dict[str, str]) -> None:
    for path in ("causality", "causality/report", "qc", "closure"):
        assert client.get(f"/api/v1/icsr/NOPE/{path}", headers=editor).status_code == 404, path
    assert assess(client, editor, who=CERTAIN, case_id="NOPE").status_code == 404
    assert client.post("/api/v1/icsr/NOPE/qc/run", headers=editor).status_code == 404
    close = {"reason": "other", "rationale": "x"}
    assert client.post("/api/v1/icsr/NOPE/close", json=close, headers=editor).status_code == 404


# -- quality check ---------------------------------------------------------------------------
def test_qc_of_an_incomplete_case_stores_blocking_failures_and_refuses_sign_off(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr(complete=False))
    run = client.post(f"/api/v1/icsr/{CASE}/qc/run", headers=editor)
    assert run.status_code == 201, run.text
    body = run.json()
    failing = {i["id"] for i in body["items"] if i["result"] == "fail"}
    assert {"completeness.outcome", "completeness.causality"} <= failing
    assert (body["passed"], body["case_version"], body["meddra_version"]) == (False, 1, "27.0")
    refused = client.post(f"/api/v1/icsr/{CASE}/qc/signoff", json={}, headers=editor)
    assert refused.status_code == 409
    assert any("completeness.outcome" in p for p in refused.json()["error"]["fields"].values())
    assert state_of(store) == "valid"


def test_sign_off_with_an_override_reason_moves_the_case_to_ready_for_submission(
    store: Store, client: ApiClient, editor: dict[str, str], reader: dict[str, str]
) -> None:
    seed(store, case_icsr(complete=False))
    client.post(f"/api/v1/icsr/{CASE}/qc/run", headers=editor)
    signed = client.post(
        f"/api/v1/icsr/{CASE}/qc/signoff",
        json={"override_reason": "outcome asked; 15-day clock runs", "comment": "checked"},
        headers=editor,
    )
    assert signed.status_code == 201, signed.text
    assert (signed.json()["state_before"], signed.json()["state_after"]) == (
        "valid",
        "ready_for_submission",
    )
    assert state_of(store) == "ready_for_submission"
    assert actions(store)[-3:] == [
        "transition:qc_pending",
        "transition:ready_for_submission",
        "qc_signoff",
    ]
    qc = client.get(f"/api/v1/icsr/{CASE}/qc", headers=reader).json()
    assert [s["override_reason"] for s in qc["signoffs"]] == ["outcome asked; 15-day clock runs"]
    assert len(qc["runs"]) == 1


def test_sign_off_needs_a_run_of_the_current_version(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr())
    assert (
        client.post(f"/api/v1/icsr/{CASE}/qc/signoff", json={}, headers=editor).status_code == 409
    )
    client.post(f"/api/v1/icsr/{CASE}/qc/run", headers=editor)
    assess(client, editor, who=CERTAIN)  # version 2: the run was of version 1
    stale = client.post(f"/api/v1/icsr/{CASE}/qc/signoff", json={}, headers=editor)
    assert stale.status_code == 409
    assert "version 2" in stale.json()["error"]["message"]


def test_complete_case_passes_qc_and_a_later_causality_change_sends_it_back_to_qc(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr())
    assess(client, editor, who=CERTAIN)
    run = client.post(f"/api/v1/icsr/{CASE}/qc/run", headers=editor).json()
    assert run["passed"], [i for i in run["items"] if i["result"] == "fail"]
    assert run["case_version"] == 2
    client.post(f"/api/v1/icsr/{CASE}/qc/signoff", json={}, headers=editor)
    assert state_of(store) == "ready_for_submission"
    assess(client, editor, who=POSSIBLE, rationale="second opinion")
    assert state_of(store) == "qc_pending"


def test_an_overdue_submission_is_a_blocking_qc_finding(
    store: Store, client: ApiClient, editor: dict[str, str], clock: Clock
) -> None:
    seed(store, case_icsr())
    assess(client, editor, who=CERTAIN)
    with store.transaction() as conn:
        submissions.insert_planned(
            conn,
            [
                NewSubmission(
                    case_id=CASE,
                    case_version=2,
                    destination_id="EVHUMAN",
                    kind="initial",
                    due_date=date(2026, 3, 17),
                    day_zero=T0,
                    rule_id="eu-serious",
                    reason="serious",
                )
            ],
            T0,
        )
    clock.current = datetime(2026, 3, 18, 9, 0, tzinfo=UTC)
    run = client.post(f"/api/v1/icsr/{CASE}/qc/run", headers=editor).json()
    [deadline] = [i for i in run["items"] if i["id"] == "deadline"]
    assert (deadline["result"], deadline["severity"]) == ("fail", "blocking")
    assert "overdue" in deadline["message"]


def test_qc_loads_the_meddra_dictionary_from_the_settings_when_the_app_has_none(
    store: Store, clock: Clock, editor: dict[str, str], tmp_path: Path
) -> None:
    async def ready() -> dict[str, bool]:
        return {}

    app = create_app(
        ready, store=store, settings=Settings(data_dir=tmp_path, meddra_dir=MEDDRA), clock=clock
    )
    seed(store, case_icsr())
    client = ApiClient(app)
    try:
        run = client.post(f"/api/v1/icsr/{CASE}/qc/run", headers=editor).json()
    finally:
        client.close()
    assert run["meddra_version"] == "27.0"
    [verbatim] = [i for i in run["items"] if i["id"] == "meddra.verbatim"]
    assert verbatim["result"] == "pass"


# -- closure ---------------------------------------------------------------------------------
def test_closing_locks_the_case_until_it_is_reopened(
    store: Store, client: ApiClient, editor: dict[str, str], clock: Clock
) -> None:
    seed(store, case_icsr())
    closed = client.post(
        f"/api/v1/icsr/{CASE}/close",
        json={"reason": "outcome_known", "rationale": "recovered; nothing more expected"},
        headers=editor,
    )
    assert closed.status_code == 201, closed.text
    assert closed.json()["reason_label"] == "outcome known"
    assert state_of(store) == "closed"
    with store.snapshot() as conn:
        assert assessments.is_locked(conn, CASE)
    locked = assess(client, editor, who=CERTAIN)
    assert locked.status_code == 409
    again = client.post(
        f"/api/v1/icsr/{CASE}/close", json={"reason": "other", "rationale": "x"}, headers=editor
    )
    assert again.status_code == 409
    clock.current += timedelta(days=3)
    reopened = client.post(
        f"/api/v1/icsr/{CASE}/reopen",
        json={"reason": "the reporter sent a discharge letter"},
        headers=editor,
    )
    assert reopened.json() == {"case_id": CASE, "state": "in_progress"}
    with store.snapshot() as conn:
        assert not assessments.is_locked(conn, CASE)
    assert assess(client, editor, who=CERTAIN).json()["version"] == 2
    view = client.get(f"/api/v1/icsr/{CASE}/closure", headers=editor).json()
    assert (view["state"], view["locked"]) == ("in_progress", False)
    [closure] = view["closures"]
    assert closure["reopen_reason"] == "reopened: the reporter sent a discharge letter"
    assert closure["reopened_at"].startswith("2026-03-07")


def test_closing_as_outcome_known_is_refused_while_an_outcome_is_unknown(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr(complete=False))
    answer = client.post(
        f"/api/v1/icsr/{CASE}/close",
        json={"reason": "outcome_known", "rationale": "done"},
        headers=editor,
    )
    assert answer.status_code == 409
    assert "outcome is not known for: 'Headache'" in answer.json()["error"]["message"]
    assert state_of(store) == "valid"


def test_a_submission_not_yet_accepted_needs_a_reason_to_close(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr(), state=CaseState.SUBMITTED)
    with store.transaction() as conn:
        submissions.insert_planned(
            conn,
            [
                NewSubmission(
                    case_id=CASE,
                    case_version=1,
                    destination_id="EVHUMAN",
                    kind="initial",
                    due_date=date(2026, 3, 17),
                    day_zero=T0,
                    rule_id=None,
                    reason=None,
                )
            ],
            T0,
        )
    body = {"reason": "outcome_known", "rationale": "recovered"}
    refused = client.post(f"/api/v1/icsr/{CASE}/close", json=body, headers=editor)
    assert refused.status_code == 409
    assert "open_submissions_reason" in refused.json()["error"]["message"]
    body["open_submissions_reason"] = "the regulator confirmed receipt by telephone"
    closed = client.post(f"/api/v1/icsr/{CASE}/close", json=body, headers=editor)
    assert closed.status_code == 201, closed.text
    assert closed.json()["open_submissions"][0].endswith("to EVHUMAN (planned)")


def test_closing_after_follow_up_is_exhausted_and_stopping_open_requests(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr(complete=False))
    seed(store, case_icsr(complete=False), case_id="C-QC-0002")
    with store.transaction() as conn:
        for case_id, status in ((CASE, followup.EXHAUSTED), ("C-QC-0002", followup.OPEN)):
            followup.insert_request(
                conn,
                RequestRow(
                    id=f"FU-{case_id}",
                    case_id=case_id,
                    case_version=1,
                    channel="EMAIL",
                    recipient="reporter@example.org",
                    our_address=None,
                    language="en",
                    questions=("outcome",),
                    token=f"tok{case_id}",
                    subject_tag=f"tag{case_id}",
                    status=status,
                    created_at=T0,
                ),
            )
    exhausted = client.post(
        f"/api/v1/icsr/{CASE}/close",
        json={"reason": "follow_up_exhausted", "rationale": "two reminders, no answer"},
        headers=editor,
    )
    assert exhausted.status_code == 201, exhausted.text
    other = client.post(
        "/api/v1/icsr/C-QC-0002/close",
        json={"reason": "duplicate", "rationale": "same patient", "duplicate_of": CASE},
        headers=editor,
    )
    assert other.status_code == 201, other.text
    assert other.json()["followups_stopped"] == ["FU-C-QC-0002"]
    with store.snapshot() as conn:
        request = followup.request(conn, "FU-C-QC-0002")
    assert request is not None
    assert request.status == followup.EXHAUSTED
    assert request.closed_reason is not None
    assert "duplicate of another case" in request.closed_reason


def test_a_case_in_a_state_that_cannot_close_is_a_409(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr(), state=CaseState.READY_FOR_SUBMISSION)
    answer = client.post(
        f"/api/v1/icsr/{CASE}/close", json={"reason": "other", "rationale": "x"}, headers=editor
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "invalid_transition"


def test_reopening_a_case_that_is_not_closed_is_a_409(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr())
    answer = client.post(f"/api/v1/icsr/{CASE}/reopen", json={"reason": "x"}, headers=editor)
    assert answer.status_code == 409


def test_causality_report_of_a_case_with_a_removed_reaction_keeps_its_history(
    store: Store, client: ApiClient, editor: dict[str, str]
) -> None:
    seed(store, case_icsr())
    assess(client, editor, who=CERTAIN)
    with store.transaction() as conn:
        writer_icsr = version_icsr(store, 2)
        second = replace(writer_icsr, reactions=(replace(writer_icsr.reactions[0], id="R2"),))
        second = replace(second, drugs=(replace(second.drugs[0], reaction_assessments=()),))
        CaseWriter(AvroCodec.default(), "case-events").revise(
            conn,
            case_id=CASE,
            icsr=second,
            actor="test",
            action="recoded",
            reason="event replaced",
            now=T0 + timedelta(days=3),
            significant=False,
        )
    report = client.get(f"/api/v1/icsr/{CASE}/causality/report", headers=editor).json()
    assert [p["reaction_id"] for p in report["pairs"]] == ["R2"]
    assert report["pairs"][0]["current"] == []
    assert [h["reaction_id"] for h in report["other_history"]] == ["R1"]
