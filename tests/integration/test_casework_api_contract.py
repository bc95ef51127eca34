"""Schemathesis over the causality, QC and closure operations: generated requests (with a
token carrying every scope, against a store holding one case) never get a server error or
an answer outside the published schema."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.engine import URL

from gateway.api.app import create_app
from gateway.domain.case import Case, Provenance
from gateway.domain.codes import DrugRole
from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.reaction import Reaction
from gateway.settings import Settings
from gateway.store import api_users, cases
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPERATIONS = r"/api/v1/icsr/\{case_id\}/(causality|qc|clos|reopen)"


async def _ready() -> dict[str, bool]:
    return {"store": True}


@pytest.fixture
def assessment_schema(tmp_path: Path) -> Iterator[Any]:
    store = Store(build_engine(URL.create("sqlite", database=str(tmp_path / "s.sqlite3"))))
    upgrade(store.engine)
    icsr = ICSR(
        drugs=(Drug(id="D1", role=DrugRole.SUSPECT, name_as_reported="Zentravia"),),
        reactions=(Reaction(id="R1", verbatim_native="rash"),),
    )
    case = Case.open(
        "C1",
        icsr,
        Provenance(actor="test", action="received", at=T0, reason="seeded"),
        state=CaseState.VALID,
    )
    with store.transaction() as conn:
        cases.insert_new(conn, [(case, None)])
        user = api_users.create_user(conn, "qa", "a long enough password", T0)
        issued = api_users.issue_token(conn, user.id, "qa", api_users.SCOPES, T0)
    app = create_app(_ready, store=store, settings=Settings(data_dir=tmp_path))
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=OPERATIONS)
    schema.config.headers = {"Authorization": f"Bearer {issued.secret}"}
    yield schema
    store.dispose()


def test_assessment_routes_answer_within_their_schema_and_never_with_a_server_error(
    assessment_schema: Any,
) -> None:
    # Driven with hypothesis directly: schemathesis' pytest fixture integration does not
    # run on the project's pytest version.
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    operations = [result.ok() for result in assessment_schema.get_all_operations()]
    assert len(operations) == 9
    statuses: dict[str, set[int]] = {}
    calls = itertools.count()

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case: Any) -> None:
            if case.path_parameters and next(calls) % 2:
                # half of the requests go to the seeded case, so the writes run too
                case.path_parameters["case_id"] = "C1"
            response = case.call_and_validate(checks=checks)
            statuses.setdefault(case.operation.label, set()).add(response.status_code)

        run()
    # the generated requests reached the routes, not only the validation layer
    assert 200 in statuses["GET /api/v1/icsr/{case_id}/causality"]
    assert statuses["POST /api/v1/icsr/{case_id}/qc/run"] & {201}
