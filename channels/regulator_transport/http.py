"""HTTP POST of E2B files: a 2xx answer is the transport receipt.

Each request carries ``Idempotency-Key: <batch number>``: a resend of the same transmission
(after a restart) is recognised by the receiver, and a 409 answer ("already have it")
counts as delivered. 5xx answers and network errors are retried by the dispatcher; other
4xx answers are a refusal a person must look at.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from channels.regulator_transport import Delivery, TransportError, TransportRefusedError


class HttpTransport:
    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self._headers = dict(headers or {})
        self._timeout = timeout_s
        self._client = client

    async def send(self, file_name: str, data: bytes, *, batch_number: str) -> Delivery:
        headers = {
            **self._headers,
            "Content-Type": "application/xml",
            "Idempotency-Key": batch_number,
            "X-File-Name": file_name,
        }
        try:
            if self._client is not None:
                response = await self._client.post(
                    self.url, content=data, headers=headers, timeout=self._timeout
                )
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as client:
                    response = await client.post(self.url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            raise TransportError(f"POST {self.url} failed: {type(exc).__name__}") from exc
        if response.status_code == 409:
            return Delivery(receipt=True, already_sent=True, detail="receiver already has it")
        if 200 <= response.status_code < 300:
            return Delivery(receipt=True, detail=f"HTTP {response.status_code}")
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise TransportError(f"POST {self.url} answered {response.status_code}")
        raise TransportRefusedError(
            f"POST {self.url} answered {response.status_code}: {response.text[:200]}"
        )
