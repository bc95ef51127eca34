"""Case exports: CIOMS I, DIGEMID, causality report and the lifecycle dossier.

Each PDF is rendered from the invented case of ``test_exports_case``, converted to PNG with
``pdftoppm`` and read back with ``pdftotext``: the picture must exist at A4 proportions and
the text must carry the case's key fields. poppler-utils is required in CI (the Makefile
installs it); elsewhere these tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL
from typer.testing import CliRunner

from gateway.api.app import create_app
from gateway.cli import app as cli_app
from gateway.domain.meddra import load_distribution
from gateway.exports.causality_report import render_causality_pdf
from gateway.exports.cioms import render_cioms
from gateway.exports.digemid import render_digemid
from gateway.exports.dossier import render_dossier_html, render_dossier_pdf
from gateway.exports.dossier_data import CaseNotFoundError, DossierData, gather
from gateway.settings import Settings
from gateway.store import api_users
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from tests.integration.test_exports_case import (
    BATCH,
    CASE_ID,
    MEDDRA_DIR,
    PATIENT_INITIALS,
    REACTION,
    REPORTER_FAMILY_NAME,
    SECOND_REACTION,
    SUSPECT,
    store_invented_case,
)

pytestmark = pytest.mark.integration

NOW = datetime(2025, 3, 14, 8, 0, tzinfo=UTC)


@pytest.fixture
def poppler() -> None:
    """pdftoppm and pdftotext, or a CI failure / local skip naming what to install."""
    missing = [tool for tool in ("pdftoppm", "pdftotext") if shutil.which(tool) is None]
    if missing:
        message = f"{', '.join(missing)} not found: install poppler-utils (make install does)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def store(database_url: URL) -> Iterator[Store]:
    s = Store(build_engine(database_url))
    upgrade(s.engine)
    with s.transaction() as conn:
        store_invented_case(conn)
    try:
        yield s
    finally:
        s.dispose()


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> DossierData:
    """The invented case gathered from a SQLite store (rendering needs one database only)."""
    folder = tmp_path_factory.mktemp("exports")
    s = Store(build_engine(URL.create("sqlite", database=str(folder / "store.sqlite3"))))
    upgrade(s.engine)
    with s.transaction() as conn:
        store_invented_case(conn)
    with s.snapshot() as conn:
        gathered = gather(conn, CASE_ID, meddra=load_distribution(MEDDRA_DIR), now=NOW)
    s.dispose()
    return gathered


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def _to_png_and_text(pdf: bytes, folder: Path, name: str) -> tuple[list[Path], str]:
    source = folder / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(source), str(folder / name)], check=True)
    text = subprocess.run(
        ["pdftotext", str(source), "-"], check=True, capture_output=True, text=True
    ).stdout
    return sorted(folder.glob(f"{name}*.png")), text


def _assert_a4_pages(pages: list[Path]) -> None:
    assert pages, "pdftoppm wrote no page"
    for page in pages:
        width, height = _png_size(page)
        # A4 at 50 dpi is 413 x 585 pixels.
        assert 400 <= width <= 430, (page, width)
        assert 570 <= height <= 600, (page, height)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_gather_reads_versions_decisions_followup_submissions_and_acks(store: Store) -> None:
    with store.snapshot() as conn:
        data = gather(conn, CASE_ID, now=NOW)
    assert [v.version.number for v in data.versions] == [1, 2, 3]
    recoded = {c.path: (c.before, c.after) for c in data.versions[2].changes}
    assert recoded["reactions[id=r1].term.code"] == ("96000119", "94000054")
    assert [a.action for a in data.audit][:2] == ["case.received", "validity.assessed"]
    assert [m.direction for m in data.thread] == ["out", "in"]
    assert [s.batch_number for s in data.submissions] == [BATCH]
    assert [(a.batch_code, [i.code for i in a.items]) for a in data.acks] == [("AA", ["CA"])]
    own = [c for c in data.causality if c.origin == "assessment"]
    assert [(c.method, c.result) for c in own] == [
        ("WHO-UMC", "Conditional/Unclassified"),
        ("WHO-UMC", "Probable/Likely"),
        ("Naranjo", "Probable"),
    ]
    assert own[1].supersedes == "CA-1"
    assert [q.signed_off_by for q in data.quality] == ["user:qc.lopez"]
    assert [(c.action, c.reason) for c in data.closures] == [("closed", "outcome known")]
    assert data.row.serious is True


def test_gather_refuses_an_unknown_case(store: Store) -> None:
    with store.snapshot() as conn, pytest.raises(CaseNotFoundError):
        gather(conn, "C-NOPE")


@pytest.mark.usefixtures("poppler")
def test_cioms_form_renders_to_png_with_the_case_key_fields(
    data: DossierData, tmp_path: Path
) -> None:
    pages, text = _to_png_and_text(render_cioms(data), tmp_path, "cioms")
    _assert_a4_pages(pages)
    flat = _flat(text)
    assert "SUSPECT ADVERSE REACTION REPORT" in flat
    for field in (CASE_ID, PATIENT_INITIALS, REACTION, SUSPECT, "54 years", "PE-ACME-2025-000123"):
        assert field in flat, field
    assert "serious: hospitalisation (caused or prolonged)" in flat
    assert "Rash pruritic (LLT 94000054, MedDRA 27.0)" in flat
    assert "27-FEB-2025 to 03-MAR-2025" in flat
    assert "Omeprazol 20 mg" in flat  # box 22, concomitant
    assert "Hypertension" in flat  # box 23, history


@pytest.mark.usefixtures("poppler")
def test_digemid_form_renders_to_png_with_spanish_labels_and_key_fields(
    data: DossierData, tmp_path: Path
) -> None:
    pages, text = _to_png_and_text(render_digemid(data), tmp_path, "digemid")
    _assert_a4_pages(pages)
    flat = _flat(text)
    for label in (
        "A. DATOS DEL PACIENTE",
        "B. REACCIONES ADVERSAS SOSPECHADAS",
        "C. MEDICAMENTO(S) U OTROS PRODUCTOS FARMACÉUTICOS SOSPECHOSO(S)",
        "D. MEDICAMENTOS CONCOMITANTES",
        "E. DATOS DEL NOTIFICADOR",
        "Historia clínica",
        "Motivo de prescripción",
        "Desenlace",
    ):
        assert label in flat, label
    for field in (
        CASE_ID,
        PATIENT_INITIALS,
        REACTION,
        SUSPECT,
        "54 años",
        "HC-20931",
        "L2403-17",
        "02/03/2025",
        REPORTER_FAMILY_NAME,
        "Médico",
    ):
        assert field in flat, field


@pytest.mark.usefixtures("poppler")
def test_dossier_pdf_renders_every_section_with_page_numbers(
    data: DossierData, tmp_path: Path
) -> None:
    pages, text = _to_png_and_text(render_dossier_pdf(data), tmp_path, "dossier")
    _assert_a4_pages(pages)
    flat = _flat(text)
    for section in (
        "Intake and validity assessment",
        "Versions and their differences",
        "Coding decisions",
        "Causality",
        "Follow-up record",
        "Submissions and acknowledgements",
        "Quality check and sign-off",
        "Closure",
        "Audit trail",
    ):
        assert section in flat, section
    for field in (
        CASE_ID,
        SUSPECT,
        REACTION,
        SECOND_REACTION,
        BATCH,
        "DIGEMID-2025-04417",
        "outcome known",
        "user:qc.lopez",
        "2025-03-04 09:15:00 UTC",
    ):
        assert field in flat, field
    assert f"page 1 of {len(pages)}" in flat
    assert "generated 2025-03-14 08:00:00 UTC" in flat


def test_dossier_html_carries_the_same_content_as_the_pdf(data: DossierData) -> None:
    html = render_dossier_html(data)
    assert html.startswith("<!DOCTYPE html>")
    for text in (
        CASE_ID,
        BATCH,
        "Probable/Likely",
        "Closure",
        "Audit trail",
        "reactions[id=r1].term.code",
        "Rash pruritic",
    ):
        assert text in html, text
    assert "<script" not in html


def test_dossier_html_escapes_case_text() -> None:
    from gateway.exports.blocks import Report, Text
    from gateway.exports.html_report import render_html

    page = render_html(
        Report(
            title="t",
            subtitle="s",
            case_id="C1",
            generated_at="now",
            blocks=(Text("<img src=x onerror=alert(1)>"),),
        )
    )
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


@pytest.mark.usefixtures("poppler")
def test_causality_report_shows_each_assessment_and_its_revision(
    data: DossierData, tmp_path: Path
) -> None:
    pages, text = _to_png_and_text(render_causality_pdf(data), tmp_path, "causality")
    _assert_a4_pages(pages)
    flat = _flat(text)
    assert f"{SUSPECT} — {REACTION}" in flat
    for text_ in (
        "Conditional/Unclassified",
        "Probable/Likely",
        "Naranjo: Probable, score 6",
        "Revises assessment CA-1",
        "dechallenge positive",
        "Primary source",
    ):
        assert text_ in flat, text_
    # the second event was assessed only in the case content (G.k.9.i.2.r)
    assert f"{SUSPECT} — {SECOND_REACTION}" in flat


async def test_api_serves_each_export_with_read_scope_and_404_for_unknown_case(
    store: Store,
) -> None:
    with store.transaction() as conn:
        user = api_users.create_user(conn, "inspector", "a long passphrase", NOW)
        reader = api_users.issue_token(conn, user.id, "read", ["icsr:read"], NOW).secret
        lister = api_users.issue_token(conn, user.id, "list", ["icsr:list"], NOW).secret

    async def ready() -> dict[str, bool]:
        return {"store": True}

    app = create_app(ready, store=store, settings=Settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        auth = {"Authorization": f"Bearer {reader}"}
        documents = {
            "cioms.pdf": "application/pdf",
            "digemid.pdf": "application/pdf",
            "causality.pdf": "application/pdf",
            "dossier.pdf": "application/pdf",
            "dossier.html": "text/html",
        }
        for name, media in documents.items():
            answer = await client.get(f"/api/v1/icsr/{CASE_ID}/export/{name}", headers=auth)
            assert answer.status_code == 200, (name, answer.text)
            assert answer.headers["content-type"].startswith(media)
            assert answer.headers["cache-control"] == "no-store"
            assert answer.content.startswith(b"%PDF" if media.endswith("pdf") else b"<!DOCTYPE")
        missing = await client.get("/api/v1/icsr/C-NOPE/export/cioms.pdf", headers=auth)
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        forbidden = await client.get(
            f"/api/v1/icsr/{CASE_ID}/export/dossier.pdf",
            headers={"Authorization": f"Bearer {lister}"},
        )
        assert forbidden.status_code == 403
        anonymous = await client.get(f"/api/v1/icsr/{CASE_ID}/export/dossier.html")
        assert anonymous.status_code == 401


def test_cli_export_writes_the_chosen_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "store.sqlite3"
    s = Store(build_engine(URL.create("sqlite", database=str(database))))
    upgrade(s.engine)
    with s.transaction() as conn:
        store_invented_case(conn)
    s.dispose()
    monkeypatch.setenv("ICSR_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("ICSR_DATA_DIR", str(tmp_path / "data"))
    target = tmp_path / "out" / "dossier.html"
    result = CliRunner().invoke(
        cli_app, ["case", "export", CASE_ID, "--format", "dossier-html", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert CASE_ID in target.read_text(encoding="utf-8")
    unknown = CliRunner().invoke(
        cli_app, ["case", "export", "C-NOPE", "--format", "cioms", "-o", str(tmp_path / "x.pdf")]
    )
    assert unknown.exit_code == 2
    assert "no case 'C-NOPE'" in unknown.output
