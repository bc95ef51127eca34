"""The case API's contract: every token-protected operation by every scope, and a schemathesis
run over the published OpenAPI document (no server errors, no answer outside the schema)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import URL

from gateway.api.app import create_app
from gateway.settings import Settings
from gateway.store import api_users, audit
from gateway.store.engine import Store, build_engine
from tests.conftest import _fresh_postgres_database
from tests.integration.test_case_api import Api, _ready, build_api, create

pytestmark = pytest.mark.integration

#: the scope each token-protected operation needs; a new operation must be added here
REQUIRED_SCOPES: dict[str, str] = {
    "GET /api/v1/icsr": "icsr:list",
    "POST /api/v1/icsr": "icsr:create",
    "GET /api/v1/icsr/{case_id}": "icsr:read",
    "PUT /api/v1/icsr/{case_id}": "icsr:update",
    "PATCH /api/v1/icsr/{case_id}": "icsr:update",
    "DELETE /api/v1/icsr/{case_id}": "icsr:delete",
    "PUT /api/v1/icsr/{case_id}/eventos": "icsr:update",
    "PUT /api/v1/icsr/{case_id}/eventos/{event_id}": "icsr:update",
    "PATCH /api/v1/icsr/{case_id}/eventos/{event_id}": "icsr:update",
    "PUT /api/v1/icsr/{case_id}/eventos/{event_id}/coding": "icsr:update",
    "GET /api/v1/icsr/{case_id}/duplicates": "icsr:read",
    "PUT /api/v1/icsr/{case_id}/dup": "icsr:update",
    "POST /api/v1/icsr/duplicates/check": "icsr:read",
    "GET /api/v1/icsr/{case_id}/followup/thread": "icsr:read",
    "POST /api/v1/icsr/{case_id}/followup/send": "icsr:update",
    "GET /api/v1/icsr/{case_id}/submissions": "icsr:read",
    "GET /api/v1/icsr/{case_id}/acks": "icsr:read",
    "GET /api/v1/icsr/{case_id}/versions": "icsr:read",
    "GET /api/v1/icsr/{case_id}/versions/{number}": "icsr:read",
    "GET /api/v1/icsr/{case_id}/diff": "icsr:read",
    "GET /api/v1/icsr/{case_id}/audit": "icsr:read",
    "GET /api/v1/triage": "icsr:read",
    "POST /api/v1/triage/{item_id}/resolve": "icsr:update",
    "GET /api/v1/users": "admin",
    "POST /api/v1/users": "admin",
    "GET /api/v1/tokens": "admin",
    "POST /api/v1/tokens": "admin",
    "DELETE /api/v1/tokens/{token_id}": "admin",
    # causality, QC, closure (gateway.api.icsr_assessment)
    "GET /api/v1/icsr/{case_id}/causality": "icsr:read",
    "PUT /api/v1/icsr/{case_id}/causality": "icsr:update",
    "GET /api/v1/icsr/{case_id}/causality/report": "icsr:read",
    "GET /api/v1/icsr/{case_id}/qc": "icsr:read",
    "POST /api/v1/icsr/{case_id}/qc/run": "icsr:update",
    "POST /api/v1/icsr/{case_id}/qc/signoff": "icsr:update",
    "GET /api/v1/icsr/{case_id}/closure": "icsr:read",
    "POST /api/v1/icsr/{case_id}/close": "icsr:update",
    "POST /api/v1/icsr/{case_id}/reopen": "icsr:update",
    # exports (gateway.api.icsr_exports)
    "GET /api/v1/icsr/{case_id}/export/cioms.pdf": "icsr:read",
    "GET /api/v1/icsr/{case_id}/export/digemid.pdf": "icsr:read",
    "GET /api/v1/icsr/{case_id}/export/causality.pdf": "icsr:read",
    "GET /api/v1/icsr/{case_id}/export/dossier.pdf": "icsr:read",
    "GET /api/v1/icsr/{case_id}/export/dossier.html": "icsr:read",
}


def _protected_operations() -> list[str]:
    """Every operation of the app's OpenAPI document that asks for a token."""
    app = create_app(_ready, store=Store(create_engine("sqlite://")), settings=Settings())
    found = []
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            if operation.get("security"):
                found.append(f"{method.upper()} {path}")
    return found


OPERATIONS = _protected_operations()


def test_every_token_protected_operation_has_its_scope_in_the_table() -> None:
    assert sorted(set(OPERATIONS) - set(REQUIRED_SCOPES)) == []
    assert sorted(set(REQUIRED_SCOPES) - set(OPERATIONS)) == []


def test_every_case_api_operation_asks_for_a_token() -> None:
    app = create_app(_ready, store=Store(create_engine("sqlite://")), settings=Settings())
    open_ops = [
        f"{method.upper()} {path}"
        for path, ops in app.openapi()["paths"].items()
        for method, op in ops.items()
        if path.startswith(("/api/v1/icsr", "/api/v1/users", "/api/v1/tokens"))
        and not op.get("security")
    ]
    assert open_ops == []


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def matrix_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Api, dict[str, dict[str, str]]]]:
    """One store per database kind for the whole matrix, with a token per scope."""
    tmp = tmp_path_factory.mktemp("matrix")
    if request.param == "sqlite":
        urls: Iterator[URL] = iter([URL.create("sqlite", database=str(tmp / "store.sqlite3"))])
    else:
        urls = _fresh_postgres_database(request.getfixturevalue("postgres_server"))
    url = next(urls)
    for api in build_api(Store(build_engine(url)), tmp):
        yield api, {scope: api.headers(scope) for scope in api_users.SCOPES}
    for _ in urls:  # drops the PostgreSQL database
        pass


def _url(path: str, case_id: str, token_id: str) -> str:
    values = {
        "case_id": case_id,
        "event_id": "reaction-1",
        "number": "1",
        "token_id": token_id,
        "item_id": "TR-none",
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_answers_401_without_a_token_and_403_without_its_scope(
    matrix_api: tuple[Api, dict[str, dict[str, str]]], operation: str
) -> None:
    api, tokens = matrix_api
    method, path = operation.split(" ", 1)
    case_id = create(api)["id"]
    with api.store.transaction() as conn:
        token_id = api_users.tokens(conn)[-1].id
    url = _url(path, case_id, token_id)
    query = {"from": 1, "to": 1} if path.endswith("/diff") else None
    needed = REQUIRED_SCOPES[operation]
    anonymous = api.client.request(method, url, params=query, json={})
    assert anonymous.status_code == 401, operation
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.json()["error"]["code"] == "unauthorised"
    for scope in api_users.SCOPES:
        r = api.client.request(method, url, params=query, json={}, headers=tokens[scope])
        body: Any = r.json() if r.headers.get("content-type") == "application/json" else {}
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        if scope == needed:
            assert r.status_code != 401, (operation, scope, r.text)
            assert code != "forbidden", (operation, scope, r.text)
        else:
            assert (r.status_code, code) == (403, "forbidden"), (operation, scope, r.text)
            assert body["error"]["fields"] == {"scope": needed}


# -- schemathesis -----------------------------------------------------------------------------
_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: examples per operation: enough to reach every answer, little enough to stay under a minute
_EXAMPLES = 6


def _pinned(case: Any, path: dict[str, str]) -> Any:
    for name, value in path.items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    return case


def _run_operations(schema: Any, headers: dict[str, str], path: dict[str, str]) -> list[str]:
    """Each operation with generated data; ``path`` pins path parameters (a real case)."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy().map(lambda c: _pinned(c, path)))
        @settings(
            max_examples=_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            phases=[Phase.explicit, Phase.generate],  # a failure is reported, not shrunk
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=_CHECKS)

        try:
            run()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.label}: {exc}")
    return failures


def test_api_answers_within_its_schema_and_never_with_a_server_error(tmp_path: Path) -> None:
    """Every operation of the published document, with data generated from it and a token
    carrying every scope, against a store holding one case: once with generated ids (mostly
    unknown cases), once on that case and its first event."""
    store = Store(build_engine(URL.create("sqlite", database=str(tmp_path / "store.sqlite3"))))
    running = build_api(store, tmp_path)
    api = next(running)
    try:
        case_id = create(api)["id"]
        app = create_app(_ready, store=store, settings=Settings(data_dir=tmp_path))
        headers = api.headers(*api_users.SCOPES)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        on_case = {"case_id": case_id, "event_id": "reaction-1"}
        failures = _run_operations(schema, headers, {}) + _run_operations(schema, headers, on_case)
        assert failures == []
        with store.snapshot() as conn:
            trail = [e.action for e in audit.trail(conn, "case", case_id)]
        assert len(trail) > 2, "the generated requests never reached the case"
    finally:
        running.close()
