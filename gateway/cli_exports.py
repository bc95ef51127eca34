"""`icsr-gateway case export CASE_ID --format … -o FILE`: a case's documents from the store."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from gateway.cli_common import settings_or_exit
from gateway.errors import ConfigurationError, GatewayError
from gateway.exports.dossier_data import DossierData, gather
from gateway.logs import get_logger
from gateway.settings import Settings

log = get_logger(__name__)


class ExportFormat(StrEnum):
    CIOMS = "cioms"
    DIGEMID = "digemid"
    CAUSALITY = "causality"
    DOSSIER_PDF = "dossier-pdf"
    DOSSIER_HTML = "dossier-html"


def renderer(fmt: ExportFormat) -> Callable[[DossierData], bytes]:
    """The renderer of a format: a pure function of the gathered case data.

    Imported on use: the PDF library is not loaded for every other command.
    """
    from gateway.exports.causality_report import render_causality_pdf
    from gateway.exports.cioms import render_cioms
    from gateway.exports.digemid import render_digemid
    from gateway.exports.dossier import render_dossier_html, render_dossier_pdf

    renderers: dict[ExportFormat, Callable[[DossierData], bytes]] = {
        ExportFormat.CIOMS: render_cioms,
        ExportFormat.DIGEMID: render_digemid,
        ExportFormat.CAUSALITY: render_causality_pdf,
        ExportFormat.DOSSIER_PDF: render_dossier_pdf,
        ExportFormat.DOSSIER_HTML: lambda data: render_dossier_html(data).encode("utf-8"),
    }
    return renderers[fmt]


def export_case(settings: Settings, case_id: str, fmt: ExportFormat) -> bytes:
    """Read the case from the configured store and render it (MedDRA names when configured)."""
    from gateway.bootstrap import build_components
    from gateway.domain.meddra import MedDRALoadError, load_distribution

    meddra = None
    if settings.meddra_dir is not None:
        try:
            meddra = load_distribution(settings.meddra_dir)
        except MedDRALoadError as exc:
            raise ConfigurationError("ICSR_MEDDRA_DIR", str(exc)) from None
    comp = build_components(settings)
    try:
        comp.migrate()
        with comp.store.snapshot() as conn:
            data = gather(conn, case_id, meddra=meddra)
    finally:
        comp.store.dispose()
    return renderer(fmt)(data)


def register_export(cases_app: typer.Typer) -> None:
    """Add ``export`` to the ``case`` command group."""

    @cases_app.command("export")
    def export(
        case_id: Annotated[str, typer.Argument(help="The case to export (its id, C…).")],
        fmt: Annotated[
            ExportFormat, typer.Option("--format", "-f", help="Which document.")
        ] = ExportFormat.DOSSIER_PDF,
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Where to write it.", dir_okay=False)
        ] = Path("case-export.pdf"),
        config: Annotated[
            Path | None,
            typer.Option("--config", "-c", help="TOML configuration file (also ICSR_CONFIG)."),
        ] = None,
    ) -> None:
        """Write a case's CIOMS I form, DIGEMID notification, causality report or lifecycle
        dossier (PDF or HTML). The file holds patient and reporter details: keep it safe."""
        settings = settings_or_exit(config)
        try:
            content = export_case(settings, case_id, fmt)
        except GatewayError as exc:
            kind = "configuration error" if isinstance(exc, ConfigurationError) else "error"
            typer.echo(f"icsr-gateway: {kind}: {exc}", err=True)
            raise typer.Exit(2) from None
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(content)
        log.info("case exported", case_id=case_id, format=fmt.value, size=len(content))
        typer.echo(f"{output} ({fmt.value}, {len(content)} bytes)")
