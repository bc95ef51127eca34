"""Case documents over HTTP: ``GET /api/v1/icsr/{case_id}/export/…`` (scope ``icsr:read``).

* ``cioms.pdf``     the CIOMS I form of the current version
* ``digemid.pdf``   Peru's DIGEMID suspected-ADR notification form
* ``causality.pdf`` the causality assessment report (every assessment and revision)
* ``dossier.pdf``, ``dossier.html``  the lifecycle dossier an inspector reads

404 in the case API's error shape when the case is unknown. The documents hold patient
and reporter details, so responses are marked ``Cache-Control: no-store``.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from gateway.api.auth import Principal, require_scope
from gateway.api.errors import ApiError
from gateway.domain.meddra import MedDRALoadError, load_distribution
from gateway.domain.meddra.dictionary import MedDRADictionary
from gateway.exports.causality_report import render_causality_pdf
from gateway.exports.cioms import render_cioms
from gateway.exports.digemid import render_digemid
from gateway.exports.dossier import render_dossier_html, render_dossier_pdf
from gateway.exports.dossier_data import CaseNotFoundError, DossierData, gather
from gateway.logs import get_logger
from gateway.settings import Settings
from gateway.store.engine import Store

log = get_logger(__name__)

#: every export needs only read access; one dependency object shared by the routes
READ = Depends(require_scope("icsr:read"))

PDF = "application/pdf"
HTML = "text/html; charset=utf-8"

#: file name -> (renderer, media type)
DOCUMENTS: dict[str, tuple[Callable[[DossierData], bytes], str]] = {
    "cioms.pdf": (render_cioms, PDF),
    "digemid.pdf": (render_digemid, PDF),
    "causality.pdf": (render_causality_pdf, PDF),
    "dossier.pdf": (render_dossier_pdf, PDF),
    "dossier.html": (lambda data: render_dossier_html(data).encode("utf-8"), HTML),
}


class _Terms:
    """The MedDRA dictionary for term names, loaded on the first export (not at start)."""

    def __init__(self, settings: Settings) -> None:
        self._dir = settings.meddra_dir
        self._lock = threading.Lock()
        self._loaded = False
        self._dictionary: MedDRADictionary | None = None

    def get(self) -> MedDRADictionary | None:
        with self._lock:
            if not self._loaded and self._dir is not None:
                try:
                    self._dictionary = load_distribution(self._dir)
                except MedDRALoadError as exc:
                    # Documents still render with codes only; the setting is checked at start.
                    log.warning("MedDRA names unavailable for exports", error=str(exc))
            self._loaded = True
            return self._dictionary


def router_for(store: Store, settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/api/v1/icsr", tags=["exports"])
    terms = _Terms(settings)

    def _render(case_id: str, name: str) -> bytes:
        render, _ = DOCUMENTS[name]
        meddra = terms.get()
        with store.snapshot() as conn:
            data = gather(conn, case_id, meddra=meddra)
        return render(data)

    async def _respond(case_id: str, name: str) -> Response:
        try:
            content = await asyncio.to_thread(_render, case_id, name)
        except CaseNotFoundError:
            raise ApiError(404, "not_found", f"no case {case_id!r}") from None
        _, media_type = DOCUMENTS[name]
        disposition = "inline" if name.endswith(".html") else "attachment"
        return Response(
            content,
            media_type=media_type,
            headers={
                "Content-Disposition": f'{disposition}; filename="{case_id}-{name}"',
                "Cache-Control": "no-store",
            },
        )

    responses: dict[int | str, dict[str, object]] = {
        404: {"description": "No case has this id."},
    }

    @router.get(
        "/{case_id}/export/cioms.pdf",
        response_class=Response,
        responses={200: {"content": {PDF: {}}}, **responses},
        summary="CIOMS I form (PDF)",
    )
    async def export_cioms(case_id: str, _principal: Principal = READ) -> Response:
        return await _respond(case_id, "cioms.pdf")

    @router.get(
        "/{case_id}/export/digemid.pdf",
        response_class=Response,
        responses={200: {"content": {PDF: {}}}, **responses},
        summary="DIGEMID suspected-ADR notification form (PDF)",
    )
    async def export_digemid(case_id: str, _principal: Principal = READ) -> Response:
        return await _respond(case_id, "digemid.pdf")

    @router.get(
        "/{case_id}/export/causality.pdf",
        response_class=Response,
        responses={200: {"content": {PDF: {}}}, **responses},
        summary="Causality assessment report (PDF)",
    )
    async def export_causality(case_id: str, _principal: Principal = READ) -> Response:
        return await _respond(case_id, "causality.pdf")

    @router.get(
        "/{case_id}/export/dossier.pdf",
        response_class=Response,
        responses={200: {"content": {PDF: {}}}, **responses},
        summary="Lifecycle dossier (PDF)",
    )
    async def export_dossier_pdf(case_id: str, _principal: Principal = READ) -> Response:
        return await _respond(case_id, "dossier.pdf")

    @router.get(
        "/{case_id}/export/dossier.html",
        response_class=Response,
        responses={200: {"content": {"text/html": {}}}, **responses},
        summary="Lifecycle dossier (HTML)",
    )
    async def export_dossier_html(case_id: str, _principal: Principal = READ) -> Response:
        return await _respond(case_id, "dossier.html")

    return router
