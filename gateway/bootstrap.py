"""The only place that builds clients and wires ports to handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from channels.acceptance import InboundAcceptor
from consumers.envelope import ConsumerSpec
from consumers.intake import intake_consumer
from consumers.policy import RetryPolicy
from consumers.runner import RunnerConfig
from gateway.reconcile import Reconciler
from gateway.settings import Settings
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from schemas.avro import AvroCodec
from schemas.topics import Topic


def _noop() -> None:
    return None


@dataclass
class Components:
    settings: Settings
    store: Store
    codec: AvroCodec
    reconciler: Reconciler
    #: called when a channel has enqueued intake work (the running relay sets it)
    acceptor_wake: Callable[[], None] = field(default=_noop)

    def migrate(self) -> None:
        upgrade(self.store.engine)

    def acceptor(self) -> InboundAcceptor:
        return InboundAcceptor(
            self.store, self.codec, self.settings.topic, on_enqueued=lambda: self.acceptor_wake()
        )

    def consumer_specs(self) -> list[ConsumerSpec[Any]]:
        return [intake_consumer(self.codec, self.settings.topic)]

    def runner_config(self, bootstrap: str, consumer: str) -> RunnerConfig:
        s = self.settings
        return RunnerConfig(
            bootstrap=bootstrap,
            group_id=s.group(consumer),
            dlq_topic=s.topic(Topic.DEAD_LETTER),
            batch_size=s.consumer_batch_size,
            session_timeout_ms=s.session_timeout_ms,
            heartbeat_interval_ms=s.heartbeat_interval_ms,
            policy=RetryPolicy(
                max_attempts=s.consumer_max_attempts,
                backoff_initial_s=s.consumer_backoff_initial_s,
                backoff_max_s=s.consumer_backoff_max_s,
            ),
        )


def build_components(settings: Settings) -> Components:
    codec = AvroCodec.default()
    store = Store(build_engine(settings.effective_database_url))
    return Components(
        settings=settings, store=store, codec=codec, reconciler=Reconciler(codec, settings.topic)
    )
