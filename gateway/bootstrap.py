"""The only place that builds clients and wires ports to handlers."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from channels.acceptance import DEFAULT_MAX_BYTES, InboundAcceptor
from channels.email_in import MailListener, build_mail_listener
from channels.folder_in import FolderWatcher
from channels.followup_out.transport import FollowUpTransport, build_senders
from consumers.envelope import ConsumerSpec
from consumers.followup_planner import PlannerConfig, followup_planner_consumer
from consumers.followup_replies import followup_replies_consumer
from consumers.followup_sender import SenderConfig, followup_sender_consumer
from consumers.intake import intake_consumer
from consumers.intake_work import E2BSettings
from consumers.policy import RetryPolicy
from consumers.quality_check import quality_check_consumer
from consumers.runner import RunnerConfig
from gateway.domain.followup.reminders import ReminderPolicy
from gateway.domain.followup.rules import DEFAULT_RULES, PlannerRules
from gateway.domain.followup.templates import DEFAULT_TEMPLATES, Templates
from gateway.domain.intake import IntakeReferences
from gateway.errors import ConfigurationError
from gateway.reconcile import Reconciler
from gateway.reference_data import load_references
from gateway.settings import Settings
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store, build_engine
from gateway.store.migrate import upgrade
from gateway.submission_wiring import SubmissionWiring
from producers.followup_ticker import FollowUpTicker, TickerConfig
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
    _followup_transport: FollowUpTransport | None = None
    _submissions: SubmissionWiring | None = None

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
        s = self.settings
        transport = self.followup_transport()
        reply_local, _, reply_domain = transport.reply_address.rpartition("@")
        return [
            intake_consumer(
                self.codec, self.settings.topic, self.references, self.e2b_settings(), self.store
            ),
            followup_planner_consumer(
                self.codec,
                s.topic,
                PlannerConfig(
                    enabled=s.followup_enabled,
                    rules=self.followup_rules(),
                    templates=self.followup_templates(),
                    max_questions=s.followup_max_questions,
                    default_language=s.followup_default_language,
                    message_domain=transport.message_id_domain,
                    whatsapp_content_sid=transport.whatsapp_content_sid,
                ),
            ),
            followup_sender_consumer(
                self.codec,
                s.topic,
                self.store,
                build_senders(transport),
                SenderConfig(reply_local=reply_local, reply_domain=reply_domain),
            ),
            followup_replies_consumer(self.codec, s.topic, self.references),
            *self.submissions.consumer_specs(),
            *(
                [
                    quality_check_consumer(
                        self.codec,
                        s.topic,
                        self.references.coder,
                        at_risk_days=s.submission_at_risk_days,
                        tz=self.submissions.tz,
                        store=self.store,
                    )
                ]
                if s.quality_check_every_version
                else []
            ),
        ]

    @property
    def submissions(self) -> SubmissionWiring:
        """Destinations, planner, dispatcher, transports and ACK intake (built once)."""
        if self._submissions is None:
            self._submissions = SubmissionWiring(
                self.settings, self.store, self.codec, lambda: self.references
            )
        return self._submissions

    def followup_transport(self) -> FollowUpTransport:
        if self._followup_transport is None:
            self._followup_transport = FollowUpTransport.from_settings(self.settings)
        return self._followup_transport

    def followup_rules(self) -> PlannerRules:
        return self._followup_file()[0]

    def followup_templates(self) -> Templates:
        return self._followup_file()[1]

    def _followup_file(self) -> tuple[PlannerRules, Templates]:
        """Rules and message templates from ICSR_FOLLOWUP_RULES_FILE (tables ``rules`` and
        ``templates``, optionally under ``[followup]``; see examples/followup.toml)."""
        path = self.settings.followup_rules_file
        if path is None:
            return DEFAULT_RULES, DEFAULT_TEMPLATES
        try:
            return _read_followup_file(path)
        except (OSError, tomllib.TOMLDecodeError, ValueError) as exc:
            raise ConfigurationError("ICSR_FOLLOWUP_RULES_FILE", f"{path}: {exc}") from exc

    def case_writer(self) -> CaseWriter:
        return CaseWriter(self.codec, self.settings.topic(Topic.CASE_EVENTS))

    def followup_ticker(self) -> FollowUpTicker:
        s = self.settings
        return FollowUpTicker(
            self.store,
            self.codec,
            s.topic,
            TickerConfig(
                interval_s=s.followup_tick_interval_s,
                policy=ReminderPolicy(
                    after_days=tuple(s.followup_reminder_days),
                    final_wait_days=s.followup_exhausted_after_days,
                ),
                whatsapp_content_sid=s.followup_whatsapp_content_sid,
            ),
            on_enqueued=lambda: self.acceptor_wake(),
        )

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


def _read_followup_file(path: Path) -> tuple[PlannerRules, Templates]:
    with path.open("rb") as f:
        data = tomllib.load(f)
    section = data.get("followup", data)
    unknown = sorted(set(section) - {"rules", "templates"})
    if unknown:
        raise ValueError(f"unknown tables {', '.join(unknown)}; have rules, templates")
    rules = PlannerRules.from_mapping(section.get("rules", {}), where="rules")
    templates = DEFAULT_TEMPLATES.with_overrides(section.get("templates", {}), where="templates")
    return rules, templates


def build_components(settings: Settings) -> Components:
    codec = AvroCodec.default()
    store = Store(build_engine(settings.effective_database_url))
    return Components(
        settings=settings, store=store, codec=codec, reconciler=Reconciler(codec, settings.topic)
    )
