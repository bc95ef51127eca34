"""The event publisher: one aiokafka producer with acks=all.

Idempotence is left off on purpose: the embedded broker refuses InitProducerId, and
duplicates are harmless anyway because every consumer dedupes on the event id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from gateway.errors import BrokerUnavailableError
from gateway.store.outbox import OutboxMessage

MAX_MESSAGE_BYTES = 4 * 1024 * 1024


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
        """Send all messages and wait until the broker has every one (acks=all)."""
        try:
            futures = [
                await self._producer.send(
                    m.topic,
                    value=m.value,
                    key=m.key,
                    headers=[(k, v.encode()) for k, v in m.headers],
                )
                for m in messages
            ]
            await asyncio.gather(*futures)
        except KafkaError as exc:
            raise BrokerUnavailableError(f"publishing failed: {exc}") from exc

    async def broker_answers(self, timeout: float = 2.0) -> bool:
        try:
            await asyncio.wait_for(self._producer.client.fetch_all_metadata(), timeout)
        except (KafkaError, TimeoutError, OSError):
            return False
        return True
