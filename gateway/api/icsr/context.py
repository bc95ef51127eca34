"""What the case API's routes work with: the store, the event codec, reference data, the
follow-up planner's configuration and the clock, built once for the app."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from consumers.followup_planner import PlannerConfig
from gateway.clock import Clock, SystemClock
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.intake import IntakeReferences
from gateway.settings import Settings
from gateway.store.case_updates import CaseWriter
from gateway.store.engine import Store
from schemas.avro import AvroCodec
from schemas.topics import Topic

if TYPE_CHECKING:
    from gateway.bootstrap import Components

#: the score from which a candidate is a potential duplicate (as intake flags them)
DUPLICATE_THRESHOLD = 0.6


def _noop() -> None:
    return None


@dataclass(frozen=True)
class CaseApiContext:
    store: Store
    settings: Settings
    codec: AvroCodec
    references: IntakeReferences
    followup: PlannerConfig
    #: wakes the outbox relay once a route has written events (the gateway sets it)
    wake: Callable[[], None] = field(default=_noop)
    clock: Clock = field(default_factory=SystemClock)
    duplicate_threshold: float = DUPLICATE_THRESHOLD

    @property
    def writer(self) -> CaseWriter:
        return CaseWriter(self.codec, self.settings.topic(Topic.CASE_EVENTS))

    def topic(self, name: str) -> str:
        return self.settings.topic(name)

    @classmethod
    def default(cls, store: Store, settings: Settings) -> CaseApiContext:
        """No reference data (no MedDRA dictionary, an empty catalogue): for tests and tools."""
        return cls(
            store=store,
            settings=settings,
            codec=AvroCodec.default(),
            references=IntakeReferences(ProductCatalogue(())),
            followup=PlannerConfig(
                enabled=settings.followup_enabled,
                max_questions=settings.followup_max_questions,
                default_language=settings.followup_default_language,
            ),
        )

    @classmethod
    def from_components(cls, components: Components, wake: Callable[[], None]) -> CaseApiContext:
        """The running gateway's: its store, codec, reference data and follow-up rules."""
        s = components.settings
        transport = components.followup_transport()
        return cls(
            store=components.store,
            settings=s,
            codec=components.codec,
            references=components.references,
            followup=PlannerConfig(
                enabled=s.followup_enabled,
                rules=components.followup_rules(),
                max_questions=s.followup_max_questions,
                default_language=s.followup_default_language,
                message_domain=transport.message_id_domain,
                whatsapp_content_sid=transport.whatsapp_content_sid,
            ),
            wake=wake,
        )
