"""Twilio webhooks: inbound SMS, inbound WhatsApp and message status callbacks.

``POST /webhooks/twilio/sms``, ``/webhooks/twilio/whatsapp``, ``/webhooks/twilio/status``.
The signature is checked against ``public_base_url`` + the request path (+ query); without
``public_base_url`` the gateway's own listening address is used (local development only:
behind a proxy set it). Nothing is stored unless the signature is right.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from channels.acceptance import InboundAcceptor
from channels.twilio_in import (
    EMPTY_TWIML,
    FORM_CONTENT_TYPE,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    FormParams,
    TwilioKind,
    TwilioRequestError,
    accept_webhook,
    parse_form,
    public_url,
    signature_valid,
)
from gateway.api.errors import error_response, read_body_limited, store_unavailable, too_large
from gateway.clock import utcnow
from gateway.errors import GatewayError, PayloadTooLargeError
from gateway.logs import get_logger
from gateway.settings import Settings
from gateway.store import followup

log = get_logger(__name__)

NOT_CONFIGURED = (
    "Twilio webhooks are not configured: set ICSR_TWILIO_AUTH_TOKEN (the account auth token "
    "that signs webhooks), or ICSR_TWILIO_SKIP_SIGNATURE=true for local development only"
)


def _base_url(settings: Settings, request: Request) -> str:
    if settings.public_base_url:
        return settings.public_base_url
    server = request.scope.get("server")
    if server and server[1] is not None:
        host = server[0]
        return f"http://[{host}]:{server[1]}" if ":" in host else f"http://{host}:{server[1]}"
    return "http://localhost"


async def _apply_status(acceptor: InboundAcceptor, sid: str, params: FormParams) -> None:
    """A status callback of one of our follow-up messages moves its delivery state forward
    (the callback itself is already stored; one that is unknown or names no message of ours
    is kept there and changes nothing)."""
    status = (params.first("MessageStatus") or params.first("SmsStatus") or "").strip()
    try:
        state = await acceptor.store.run(followup.apply_provider_status, sid, status, utcnow())
    except ValueError as exc:
        log.warning("twilio status not applied", error=str(exc))
        return
    if state is not None:
        log.info("follow-up delivery state", state=state)


def twilio_router(acceptor: InboundAcceptor, settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/webhooks/twilio", tags=["twilio"])

    async def handle(request: Request, kind: TwilioKind) -> Response:
        token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else ""
        if not token and not settings.twilio_skip_signature:
            return error_response(503, "twilio_not_configured", NOT_CONFIGURED)
        body = await read_body_limited(request, settings.twilio_max_bytes)
        if body is None:
            return too_large(settings.twilio_max_bytes, "ICSR_TWILIO_MAX_BYTES")
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media_type != FORM_CONTENT_TYPE:
            return error_response(
                415, "unsupported_media_type", f"Twilio webhooks are {FORM_CONTENT_TYPE} forms"
            )
        try:
            params = parse_form(body)
        except TwilioRequestError as exc:
            return error_response(400, "invalid_form", str(exc), exc.fields)
        if not settings.twilio_skip_signature:
            url = public_url(
                _base_url(settings, request),
                request.url.path,
                request.scope.get("query_string", b"").decode("latin-1"),
            )
            if not signature_valid(
                token,
                url,
                params,
                request.headers.get(SIGNATURE_HEADER),
                request.headers.get(SIGNATURE_SETTINGS_HEADER),
            ):
                log.warning("twilio webhook refused: signature invalid", kind=kind.value)
                return error_response(
                    403, "signature_invalid", f"{SIGNATURE_HEADER} does not match this request"
                )
        try:
            inbound, result = await accept_webhook(acceptor, kind, body, params)
        except TwilioRequestError as exc:
            return error_response(400, "invalid_webhook", str(exc), exc.fields)
        except PayloadTooLargeError:
            return too_large(settings.twilio_max_bytes, "ICSR_TWILIO_MAX_BYTES")
        except GatewayError as exc:
            log.warning("twilio webhook not stored", kind=kind.value, error=str(exc))
            return store_unavailable()
        if inbound.is_status and not result.duplicate:
            await _apply_status(acceptor, params.first("MessageSid") or "", params)
        log.info(
            "twilio webhook accepted",
            kind=kind.value,
            channel=inbound.channel,
            inbound_id=result.inbound_id,
            duplicate=result.duplicate,
        )
        return Response(EMPTY_TWIML, media_type="text/xml")

    @router.post("/sms")
    async def sms(request: Request) -> Response:
        """Inbound SMS (Twilio messaging webhook)."""
        return await handle(request, TwilioKind.SMS)

    @router.post("/whatsapp")
    async def whatsapp(request: Request) -> Response:
        """Inbound WhatsApp message (Twilio messaging webhook)."""
        return await handle(request, TwilioKind.WHATSAPP)

    @router.post("/status")
    async def status(request: Request) -> Response:
        """Message status callback (queued, sent, delivered, undelivered, failed, read)."""
        return await handle(request, TwilioKind.STATUS)

    return router
