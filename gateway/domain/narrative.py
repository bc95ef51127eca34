"""Section H: narrative case summary and further information."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.values import MedDRATerm


@dataclass(frozen=True, slots=True, kw_only=True)
class NativeLanguageSummary:
    """H.5.r Case summary and reporter's comments in the native language."""

    text: str  # H.5.r.1a
    language: str | None = None  # H.5.r.1b ISO 639-2 alpha-3


@dataclass(frozen=True, slots=True, kw_only=True)
class Narrative:
    """H Narrative; H.1 is required for transmission but may be empty during intake."""

    case_narrative: str | None = None  # H.1 clinical course, measures, outcome
    reporter_comments: str | None = None  # H.2
    sender_diagnoses: tuple[MedDRATerm, ...] = ()  # H.3.r.1a version + H.3.r.1b code
    sender_comments: str | None = None  # H.4
    native_language_summaries: tuple[NativeLanguageSummary, ...] = ()  # H.5.r
