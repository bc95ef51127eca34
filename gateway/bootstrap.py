"""The only place that builds clients and wires ports to handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from channels.acceptance import DEFAULT_MAX_BYTES, InboundAcceptor
from channels.email_in import MailListener, build_mail_listener
from channels.folder_in import FolderWatcher
from consumers.envelope import ConsumerSpec
from consumers.intake import intake_consumer
from consumers.intake_work import E2BSettings
from consumers.policy import RetryPolicy
from consumers.runner import RunnerConfig
from gateway.domain.intake import IntakeReferences
from gateway.reconcile import Reconciler
from gateway.reference_data import load_references
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
    #: reference data for intake (catalogue, MedDRA); loaded on first use, once
    _references: IntakeReferences | None = None

    @property
    def references(self) -> IntakeReferences:
        if self._references is None:
            self._references = load_references(self.settings)
        return self._references

    def e2b_settings(self) -> E2BSettings:
        s = self.settings
        return E2BSettings(
            receiver_ids=tuple(s.e2b_receiver_ids),
            profile=s.e2b_profile,
            schemas_dir=s.e2b_schemas_dir,
            r2_dtd=s.e2b_r2_dtd,
            ack_partners=frozenset(s.e2b_ack_partners),
            ack_dir=s.data_dir / "outbox" / "acks",
            max_bytes=s.intake_e2b_max_bytes,
        )

    def migrate(self) -> None:
        upgrade(self.store.engine)

    def acceptor(self, max_bytes: int = DEFAULT_MAX_BYTES) -> InboundAcceptor:
        return InboundAcceptor(
            self.store,
            self.codec,
            self.settings.topic,
            max_bytes=max_bytes,
            on_enqueued=lambda: self.acceptor_wake(),
        )

    def http_acceptor(self) -> InboundAcceptor:
        """For the HTTP channels: each endpoint enforces its own, smaller limit first."""
        s = self.settings
        return self.acceptor(
            max(s.twilio_max_bytes, s.intake_json_max_bytes, s.intake_e2b_max_bytes)
        )

    def mail_listeners(self) -> list[MailListener]:
        """The configured inbound SMTP and LMTP listeners (not yet bound or started)."""
        s = self.settings
        listeners: list[MailListener] = []
        for kind, port in (("smtp", s.smtp_listen_port), ("lmtp", s.lmtp_listen_port)):
            if port is None:
                continue
            listeners.append(
                build_mail_listener(
                    "lmtp" if kind == "lmtp" else "smtp",
                    self.acceptor(s.smtp_max_bytes),
                    host=s.smtp_listen_host,
                    port=port,
                    recipients=s.smtp_recipients,
                    max_bytes=s.smtp_max_bytes,
                )
            )
        return listeners

    def folder_watcher(self) -> FolderWatcher | None:
        s = self.settings
        if s.intake_folder is None:
            return None
        return FolderWatcher(
            self.acceptor(s.intake_folder_max_bytes),
            s.intake_folder,
            s.intake_folder_poll_s,
            s.intake_folder_max_bytes,
        )

    def consumer_specs(self) -> list[ConsumerSpec[Any]]:
        return [
            intake_consumer(
                self.codec, self.settings.topic, self.references, self.e2b_settings(), self.store
            )
        ]

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
