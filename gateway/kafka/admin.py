"""Topic creation at start, with the configured partitions."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError

from gateway.errors import BrokerUnavailableError
from gateway.logs import get_logger

log = get_logger(__name__)
_TOPIC_ALREADY_EXISTS = 36


async def ensure_topics(
    bootstrap: str, topics: Iterable[str], partitions: int, replication_factor: int
) -> list[str]:
    """Create the topics that do not exist yet; return the ones created."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="icsr-gateway-admin")
    try:
        await admin.start()
        existing = set(await admin.list_topics())
        wanted = [t for t in dict.fromkeys(topics) if t not in existing]
        if wanted:
            response = await admin.create_topics(
                [NewTopic(t, partitions, replication_factor) for t in wanted]
            )
            for topic, code, *_rest in getattr(response, "topic_errors", []):
                if code not in (0, _TOPIC_ALREADY_EXISTS):
                    raise BrokerUnavailableError(
                        f"creating topic {topic} failed with error code {code}"
                    )
    except KafkaError as exc:
        raise BrokerUnavailableError(f"Kafka at {bootstrap} did not answer: {exc}") from exc
    finally:
        await admin.close()
    log.info("topics ready", created=wanted, partitions=partitions)
    return wanted
