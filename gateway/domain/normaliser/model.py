"""What the normaliser produces: every field with where it came from and how sure we are.

``Extracted[T]`` carries a value, the span of the reporter's text it was read from (None
when it came from elsewhere, e.g. the channel), a confidence in 0..1, and ``derived``:
True when the value was inferred (a default, a lookup, a calculation) rather than stated.
A person reviewing the draft sees exactly which words support which field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from gateway.domain.catalogue import Product
from gateway.domain.codes import (
    AgeGroup,
    DrugRole,
    Qualification,
    ReactionOutcome,
    SeriousnessCriterion,
    Sex,
)
from gateway.domain.values import PartialDate, Quantity

__all__ = [
    "DIGITAL_CHANNELS",
    "ChannelContext",
    "DateMention",
    "Extracted",
    "PatientDraft",
    "ProductDraft",
    "ReactionDraft",
    "ReporterDraft",
    "SeriousnessFinding",
]

T = TypeVar("T")

#: channels where GVP VI.B.1.1.4 asks for contact details to count a reporter as real
DIGITAL_CHANNELS = frozenset({"EMAIL", "SMS", "WHATSAPP", "WEB_FORM", "SOCIAL_MEDIA", "APP"})


@dataclass(frozen=True, slots=True)
class Extracted(Generic[T]):
    """One extracted value and its evidence."""

    value: T
    span: tuple[int, int] | None = None
    confidence: float = 1.0
    derived: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {self.confidence}")
        if self.span is not None and not 0 <= self.span[0] <= self.span[1]:
            raise ValueError(f"span must be (start, end) with start <= end, got {self.span}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ChannelContext:
    """What the channel tells us about a message, besides its text."""

    channel: str  # "EMAIL", "SMS", "WHATSAPP", "WEB_FORM", ...
    received_at: datetime
    sender_address: str | None = None  # email address
    sender_phone: str | None = None  # E.164, e.g. "+34600111222"
    display_name: str | None = None  # email display name, WhatsApp ProfileName, form field

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("ChannelContext.received_at must be timezone-aware")

    @property
    def is_digital(self) -> bool:
        return self.channel.upper() in DIGITAL_CHANNELS


@dataclass(frozen=True, slots=True, kw_only=True)
class ReporterDraft:
    """C.2.r: who reported, as far as the text and the channel tell."""

    qualification: Extracted[Qualification]
    title: Extracted[str] | None = None
    given_name: Extracted[str] | None = None
    family_name: Extracted[str] | None = None
    email: Extracted[str] | None = None
    phone: Extracted[str] | None = None
    country: Extracted[str] | None = None
    #: True when the reporter speaks of themself as the patient ("I took …", "me dio …")
    is_patient: Extracted[bool] | None = None

    @property
    def has_contact(self) -> bool:
        return self.email is not None or self.phone is not None

    @property
    def full_name(self) -> str | None:
        parts = [p.value for p in (self.given_name, self.family_name) if p is not None]
        return " ".join(parts) or None


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientDraft:
    """D: the patient, as far as the text tells."""

    initials: Extracted[str] | None = None
    age: Extracted[Quantity] | None = None  # UCUM unit: a, mo, wk, d, h
    age_group: Extracted[AgeGroup] | None = None
    sex: Extracted[Sex] | None = None
    weight_kg: Extracted[Decimal] | None = None
    birth_date: Extracted[PartialDate] | None = None
    pregnant: Extracted[bool] | None = None
    gestation: Extracted[Quantity] | None = None  # weeks of pregnancy at exposure
    #: who the patient is to the reporter: "self", "mother", "son", "patient" …
    relation: Extracted[str] | None = None

    @property
    def is_identifiable(self) -> bool:
        """Any of initials, age, age group, sex, date of birth or gestation is known."""
        return any(
            f is not None
            for f in (
                self.initials,
                self.age,
                self.age_group,
                self.sex,
                self.birth_date,
                self.gestation,
            )
        ) or (self.pregnant is not None and self.pregnant.value)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductDraft:
    """G.k: a catalogue product named in the text and what was said about its use."""

    product: Product
    name: Extracted[str]  # the words as written
    role: Extracted[DrugRole]
    dose: Extracted[Quantity] | None = None
    dosage_text: Extracted[str] | None = None  # "500mg twice a day"
    frequency: Extracted[Quantity] | None = None  # interval between doses, e.g. 12 h
    route: Extracted[str] | None = None
    start: Extracted[PartialDate] | None = None
    end: Extracted[PartialDate] | None = None

    @property
    def is_suspected(self) -> bool:
        return self.role.value in (DrugRole.SUSPECT, DrugRole.INTERACTING)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriousnessFinding:
    """A seriousness criterion the text asserts (not negated, not figurative)."""

    criterion: Extracted[SeriousnessCriterion]
    #: indices into ``Draft.reactions`` this criterion is attached to
    reaction_indices: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ReactionDraft:
    """E.i: one event in the reporter's own words."""

    verbatim: Extracted[str]
    #: the lexicon's guess at the LLT name, a hint for coding and review (None: unknown)
    term_hint: str | None = None
    onset: Extracted[PartialDate] | None = None
    #: time from the first dose to onset ("two days after starting")
    latency: Extracted[Quantity] | None = None
    outcome: Extracted[ReactionOutcome] | None = None
    criteria: frozenset[SeriousnessCriterion] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class DateMention:
    """A date expression in the text (absolute, or relative to receipt)."""

    date: PartialDate
    span: tuple[int, int]
    relative: bool = False
