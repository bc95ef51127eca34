"""A bound on the request bodies of the case API: read at most the limit, then answer 413.

The channel endpoints read their bodies themselves with ``read_body_limited``; the case
API's bodies are read by FastAPI (JSON models). This middleware reads the body first, up
to the limit, and hands it on unchanged; a larger one (declared or streamed) gets the
channels' 413 answer and never reaches a route. FastAPI's own ``max_body_size`` (0.164+)
bounds bodies too, but answers a plain-text 413 (also in place of a 401 or 404 sent before
the body was read); the case API answers every error in its one JSON shape.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodySizeLimit:
    """Pure ASGI middleware: bodies of requests under ``prefixes`` are at most ``limit``."""

    def __init__(
        self, app: ASGIApp, *, limit: int, prefixes: tuple[str, ...], setting: str
    ) -> None:
        self.app = app
        self.limit = limit
        self.prefixes = prefixes
        self.setting = setting

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            await self._too_large(send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: nothing to answer
                return
            body = bytes(message.get("body", b""))
            size += len(body)
            if size > self.limit:
                await self._too_large(send)
                return
            chunks.append(body)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: only a disconnect can come
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"the body is over the limit of {self.limit} bytes ({self.setting})",
                    "fields": {},
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
