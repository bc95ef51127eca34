"""HTTP intake of acknowledgements: ``POST /api/v1/acks`` with an E2B(R3) or E2B(R2) ACK as
the raw body (an AS2 product or a regulator's gateway posting what it received).

The raw bytes are stored first, whatever they hold. Answers: 202 with the ACK id when
stored for routing, 200 with ``duplicate: true`` for the same bytes again, 422 when the
body is not a readable acknowledgement (stored anyway, with a triage item), 413 when too
large, 503 when the store did not answer (nothing kept: retry).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from channels.regulator_transport.ack_intake import AckAcceptor
from gateway.api.errors import error_response, read_body_limited, store_unavailable, too_large
from gateway.errors import GatewayError
from gateway.logs import get_logger

log = get_logger(__name__)


def acks_router(acceptor: AckAcceptor, max_bytes: int) -> APIRouter:
    router = APIRouter(prefix="/api/v1/acks", tags=["acknowledgements"])

    @router.post("", status_code=202)
    async def receive_ack(request: Request) -> Response:
        """An acknowledgement of a batch we sent."""
        body = await read_body_limited(request, max_bytes)
        if body is None:
            return too_large(max_bytes, "ICSR_SUBMISSION_ACK_MAX_BYTES")
        client = request.client.host if request.client is not None else None
        try:
            result = await acceptor.accept(body, source="http", source_ref=client)
        except GatewayError as exc:
            log.warning("acknowledgement not stored", error=str(exc))
            return store_unavailable()
        if not result.readable:
            return error_response(
                422,
                "unreadable_ack",
                f"stored as {result.ack_id}, but not readable as an E2B acknowledgement: "
                f"{result.error}",
            )
        return JSONResponse(
            {
                "ack_id": result.ack_id,
                "duplicate": result.duplicate,
                "batch_number": result.batch_number,
            },
            status_code=200 if result.duplicate else 202,
        )

    return router
