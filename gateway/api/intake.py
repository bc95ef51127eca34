"""Structured intake over HTTP: JSON reports (web forms) and E2B XML files.

``POST /api/v1/intake``: a JSON object (channel ``WEB_FORM``); dedupe key from the
``Idempotency-Key`` header, else the body's ``report_id``, else the body's SHA-256.
``POST /api/v1/intake/e2b``: an E2B(R3)/(R2) XML file as the raw body or the multipart field
``file`` (channel ``E2B_FILE``, dedupe key the SHA-256). The XML is not parsed here: the
intake consumer parses and validates it.

Both answer 202 with the inbound id when stored, 200 with ``duplicate: true`` for a repeat.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.types import Message

from channels.acceptance import Acceptance, InboundAcceptor
from channels.parsing.web_form import WebFormError, parse_web_form
from gateway.api.errors import error_response, read_body_limited, store_unavailable, too_large
from gateway.errors import GatewayError, PayloadTooLargeError
from gateway.logs import get_logger
from gateway.settings import Settings

log = get_logger(__name__)

_MAX_KEY_CHARS = 200
_MULTIPART_SLACK = 64 * 1024  # boundaries and part headers around the file
_XML_TYPES = {"application/xml", "text/xml", "application/octet-stream", ""}
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _accepted(result: Acceptance, source_id: str) -> JSONResponse:
    return JSONResponse(
        {"inbound_id": result.inbound_id, "duplicate": result.duplicate, "source_id": source_id},
        status_code=200 if result.duplicate else 202,
    )


def _clean_key(value: str) -> str | None:
    key = value.strip()
    if not key or len(key) > _MAX_KEY_CHARS or not key.isprintable():
        return None
    return key


def _report_id(document: Mapping[str, Any]) -> str | None:
    value = document.get("report_id")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return _clean_key(str(value))


def looks_like_xml(body: bytes) -> bool:
    """Cheap sniff: after a byte-order mark and white space, the first byte is ``<``."""
    if body.startswith(_BOMS[1:]):
        return True  # UTF-16: the consumer's parser decides
    return body.removeprefix(_BOMS[0]).lstrip(b" \t\r\n").startswith(b"<")


async def _multipart_file(request: Request, body: bytes) -> tuple[bytes, str | None] | None:
    """The ``file`` part of a multipart body already read (None when there is none)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    replay = Request(request.scope, receive)
    async with replay.form(max_files=1, max_fields=20) as form:
        item = form.get("file")
        if isinstance(item, UploadFile):
            return await item.read(), item.filename
        if isinstance(item, str):
            return item.encode("utf-8"), None
    return None


def intake_router(acceptor: InboundAcceptor, settings: Settings) -> APIRouter:
    router = APIRouter(prefix="/api/v1/intake", tags=["intake"])

    async def store(
        channel: str, source_id: str, payload: bytes, content_type: str, headers: dict[str, str]
    ) -> Response:
        try:
            result = await acceptor.accept(
                channel=channel,
                source_id=source_id,
                payload=payload,
                content_type=content_type,
                headers=headers,
            )
        except PayloadTooLargeError as exc:
            return error_response(413, "payload_too_large", str(exc))
        except GatewayError as exc:
            log.warning("intake not stored", channel=channel, error=str(exc))
            return store_unavailable()
        log.info(
            "intake accepted",
            channel=channel,
            inbound_id=result.inbound_id,
            duplicate=result.duplicate,
            size=len(payload),
        )
        return _accepted(result, source_id)

    @router.post("", status_code=202)
    async def intake_json(request: Request) -> Response:
        """A report as a JSON object (e.g. a web reporting form)."""
        limit = settings.intake_json_max_bytes
        body = await read_body_limited(request, limit)
        if body is None:
            return too_large(limit, "ICSR_INTAKE_JSON_MAX_BYTES")
        try:
            document = json.loads(body)
        except json.JSONDecodeError as exc:
            return error_response(
                400,
                "invalid_json",
                f"the body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
            )
        except (UnicodeDecodeError, RecursionError, ValueError) as exc:
            return error_response(400, "invalid_json", f"the body is not valid JSON: {exc}")
        if not isinstance(document, dict):
            return error_response(
                400,
                "not_an_object",
                f"the body must be a JSON object, not {type(document).__name__}",
            )
        if "safetyreportid" not in document:  # upstream (openFDA-shaped) events pass as they are
            try:
                parse_web_form(body)
            except WebFormError as exc:
                return error_response(
                    400,
                    "invalid_form",
                    "the report does not have the web form's shape (see README, Intake)",
                    exc.fields,
                )
        headers: dict[str, str] = {"Content-Type": "application/json"}
        idempotency = request.headers.get("idempotency-key")
        if idempotency is not None:
            key = _clean_key(idempotency)
            if key is None:
                return error_response(
                    400,
                    "invalid_idempotency_key",
                    "Idempotency-Key must be 1 to 200 printable characters",
                    {"Idempotency-Key": "1 to 200 printable characters"},
                )
            source_id = key
            headers["Idempotency-Key"] = key
        elif (report_id := _report_id(document)) is not None:
            source_id = report_id
            headers["Report-ID"] = report_id
        else:
            source_id = hashlib.sha256(body).hexdigest()
        return await store("WEB_FORM", source_id, body, "application/json", headers)

    @router.post("/e2b", status_code=202)
    async def intake_e2b(request: Request) -> Response:
        """An E2B XML file: the raw body, or the multipart/form-data field ``file``."""
        limit = settings.intake_e2b_max_bytes
        media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        multipart = media_type == "multipart/form-data"
        if not multipart and media_type not in _XML_TYPES and not media_type.endswith("+xml"):
            return error_response(
                415,
                "unsupported_media_type",
                f"{media_type} is not accepted: send application/xml, or multipart/form-data "
                "with the field 'file'",
            )
        body = await read_body_limited(request, limit + (_MULTIPART_SLACK if multipart else 0))
        if body is None:
            return too_large(limit, "ICSR_INTAKE_E2B_MAX_BYTES")
        headers: dict[str, str] = {}
        if multipart:
            try:
                part = await _multipart_file(request, body)
            except (MultiPartException, HTTPException, ValueError, KeyError) as exc:
                return error_response(400, "invalid_multipart", f"unreadable multipart: {exc}")
            if part is None:
                return error_response(
                    400, "file_missing", "no file in the upload", {"file": "required"}
                )
            body, filename = part
            if filename:
                headers["File-Name"] = filename[:400]
        if len(body) > limit:
            return too_large(limit, "ICSR_INTAKE_E2B_MAX_BYTES")
        if not body.strip():
            return error_response(400, "empty_body", "the file is empty")
        if not looks_like_xml(body):
            return error_response(400, "not_xml", "the file is not XML (it does not start with <)")
        digest = hashlib.sha256(body).hexdigest()
        headers["SHA256"] = digest
        return await store("E2B_FILE", digest, body, "application/xml", headers)

    return router
