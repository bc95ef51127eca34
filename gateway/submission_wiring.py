"""Wiring of regulatory submission: destinations, the planner and ACK router consumers, the
dispatcher with its transports, and the ACK intake (inbox folders and HTTP).

Part of the bootstrap (``Components.submissions``): built from the settings once, it is the
only place these clients are made. Without a destinations file nothing is submitted and
none of it runs.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from channels.regulator_transport import RegulatorTransport
from channels.regulator_transport.ack_inbox import AckInboxWatcher
from channels.regulator_transport.ack_intake import AckAcceptor
from channels.regulator_transport.folder import FolderTransport
from channels.regulator_transport.http import HttpTransport
from consumers.ack_router import CONSUMER as ACK_ROUTER
from consumers.ack_router import AckRouter
from consumers.ack_router import decoder as ack_decoder
from consumers.envelope import ConsumerSpec
from consumers.submission_planner import submission_planner
from gateway.destinations import load_destinations
from gateway.domain.intake import IntakeReferences
from gateway.domain.submissions.destinations import Destination
from gateway.domain.submissions.destinations import FolderTransport as FolderConfig
from gateway.settings import Settings
from gateway.store.engine import Store
from producers.dispatcher import Dispatcher, DispatchSettings
from schemas.avro import AvroCodec
from schemas.topics import Topic


def _noop() -> None:
    return None


class SubmissionWiring:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        codec: AvroCodec,
        references: Callable[[], IntakeReferences],
    ) -> None:
        self._settings = settings
        self._store = store
        self._codec = codec
        self._references = references
        self._destinations: tuple[Destination, ...] | None = None
        #: called when the ACK intake or the dispatcher wrote outbox rows (the relay sets it)
        self.wake_relay: Callable[[], None] = _noop

    @property
    def destinations(self) -> tuple[Destination, ...]:
        if self._destinations is None:
            path = self._settings.destinations_file
            self._destinations = load_destinations(path) if path is not None else ()
        return self._destinations

    @property
    def enabled(self) -> bool:
        return any(d.enabled for d in self.destinations)

    @property
    def tz(self) -> tzinfo:
        return zoneinfo.ZoneInfo(self._settings.submission_timezone)

    def consumer_specs(self) -> list[ConsumerSpec[Any]]:
        if not self.enabled:
            return []
        s = self._settings
        router = AckRouter(self._codec, s.topic, tz=self.tz)
        return [
            submission_planner(
                self._codec,
                s.topic,
                self.destinations,
                self._references,
                tz=self.tz,
                auto_submit=s.submission_auto_submit,
            ),
            ConsumerSpec(
                name=ACK_ROUTER,
                topic=s.topic(Topic.ACK_EVENTS),
                decode=ack_decoder(self._codec),
                handle=router.handle,
            ),
        ]

    def transports(self) -> dict[str, RegulatorTransport]:
        out: dict[str, RegulatorTransport] = {}
        for d in self.destinations:
            t = d.transport
            if isinstance(t, FolderConfig):
                out[d.id] = FolderTransport(t.outbox_dir)
            else:
                out[d.id] = HttpTransport(t.url, headers=dict(t.headers), timeout_s=t.timeout_s)
        return out

    def dispatcher(self) -> Dispatcher | None:
        if not self.enabled:
            return None
        s = self._settings
        return Dispatcher(
            self._store,
            self._codec,
            s.topic,
            self.destinations,
            self.transports(),
            DispatchSettings(
                organisation=s.submission_organisation,
                schemas_dir=s.e2b_schemas_dir,
                r2_dtd=s.e2b_r2_dtd,
                interval_s=s.submission_dispatch_interval_s,
                ack_check_interval_s=s.submission_ack_check_interval_s,
                tz=self.tz,
            ),
            on_emitted=lambda: self.wake_relay(),
        )

    def ack_acceptor(self) -> AckAcceptor:
        return AckAcceptor(
            self._store,
            self._codec,
            self._settings.topic,
            on_enqueued=lambda: self.wake_relay(),
            max_bytes=self._settings.submission_ack_max_bytes,
        )

    def ack_inbox_watcher(self, dispatcher: Dispatcher | None) -> AckInboxWatcher | None:
        inboxes = [
            d.transport.inbox_dir
            for d in self.destinations
            if d.enabled and isinstance(d.transport, FolderConfig)
        ]
        if not inboxes:
            return None
        return AckInboxWatcher(
            self.ack_acceptor(),
            inboxes,
            self._settings.submission_ack_poll_s,
            on_receipt=dispatcher.record_receipt if dispatcher is not None else None,
        )
