"""The event publisher: one aiokafka producer with acks=all.

Idempotence is left off on purpose: the embedded broker refuses InitProducerId, and
duplicates are harmless anyway because every consumer dedupes on the event id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError, RecordTooLargeError

from gateway.errors import BrokerUnavailableError, GatewayError
from gateway.store.outbox import OutboxMessage

MAX_MESSAGE_BYTES = 4 * 1024 * 1024
#: what the broker (or the producer, before sending) refuses for the message itself:
#: sending it again can never succeed
_REFUSED = (MessageSizeTooLargeError, RecordTooLargeError)


class MessageRefusedError(GatewayError):
    """Some messages of a batch can never be published (too large for the producer or the
    broker); every other message of the batch was published."""

    def __init__(self, refused: dict[int, str]) -> None:
        super().__init__(f"{len(refused)} message(s) refused: {sorted(refused.values())[0]}")
        #: position in the batch → why
        self.refused = refused


class EventPublisher:
    def __init__(
        self, bootstrap: str, client_id: str = "icsr-gateway", request_timeout_ms: int = 15_000
    ) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap,
            client_id=client_id,
            acks="all",
            enable_idempotence=False,
            linger_ms=2,
            max_batch_size=256 * 1024,
            max_request_size=MAX_MESSAGE_BYTES,
            request_timeout_ms=request_timeout_ms,
        )
        self._started = False

    async def start(self) -> None:
        try:
            await self._producer.start()
        except KafkaError as exc:
            raise BrokerUnavailableError(f"producer could not connect: {exc}") from exc
        self._started = True

    async def stop(self) -> None:
        if self._started:
            self._started = False
            await self._producer.stop()

    async def publish(self, messages: Sequence[OutboxMessage]) -> None:
        """Send all messages and wait until the broker has every one (acks=all).

        Raises ``BrokerUnavailableError`` when any message may yet be published by trying
        again, else ``MessageRefusedError`` naming the messages that never can be."""
        refused: dict[int, str] = {}
        futures: list[asyncio.Future[object]] = []
        positions: list[int] = []
        try:
            for n, m in enumerate(messages):
                try:
                    future = await self._producer.send(
                        m.topic,
                        value=m.value,
                        key=m.key,
                        headers=[(k, v.encode()) for k, v in m.headers],
                    )
                except _REFUSED as exc:
                    refused[n] = f"{type(exc).__name__}: {len(m.value)} bytes for {m.topic}"
                    continue
                futures.append(future)
                positions.append(n)
            results = await asyncio.gather(*futures, return_exceptions=True)
        except KafkaError as exc:
            raise BrokerUnavailableError(f"publishing failed: {exc}") from exc
        for n, result in zip(positions, results, strict=True):
            if isinstance(result, _REFUSED):
                size = len(messages[n].value)
                refused[n] = f"{type(result).__name__}: the broker refused {size} bytes"
            elif isinstance(result, BaseException):
                raise BrokerUnavailableError(f"publishing failed: {result}") from result
        if refused:
            raise MessageRefusedError(refused)

    async def broker_answers(self, timeout: float = 2.0) -> bool:
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout)
        except (KafkaError, TimeoutError, OSError):
            return False
        return True
