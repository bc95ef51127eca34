"""Free-text adverse-event reports (email, SMS, WhatsApp, web forms) to draft ICSRs.

    draft = normalise(text, channel=ChannelContext(...), catalogue=catalogue)
    icsr = draft.to_icsr(received_at=channel.received_at, coder=coder)

Pure functions over the text: language, reporter, patient, products (from the product
catalogue), reactions in the reporter's words, seriousness with negation and hedging.
Every field carries its evidence span and a confidence so a person can review it.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.normaliser.dates import find_dates, find_latencies
from gateway.domain.normaliser.draft import CodingLike, Draft, ReactionCoder
from gateway.domain.normaliser.language import detect_language
from gateway.domain.normaliser.model import (
    ChannelContext,
    Extracted,
    PatientDraft,
    ProductDraft,
    ReactionDraft,
    ReporterDraft,
    SeriousnessFinding,
)
from gateway.domain.normaliser.patient import extract_patient, patient_relation
from gateway.domain.normaliser.products import extract_products
from gateway.domain.normaliser.reactions import extract_reactions
from gateway.domain.normaliser.reporter import extract_reporter
from gateway.domain.normaliser.seriousness import extract_seriousness
from gateway.domain.normaliser.text import Doc

__all__ = [
    "ChannelContext",
    "CodingLike",
    "Draft",
    "Extracted",
    "PatientDraft",
    "ProductDraft",
    "ReactionCoder",
    "ReactionDraft",
    "ReporterDraft",
    "SeriousnessFinding",
    "normalise",
]


def normalise(
    text: str,
    *,
    channel: ChannelContext,
    catalogue: ProductCatalogue,
    language: str | None = None,
) -> Draft:
    """Read one report. ``language`` ("en"/"es") is a hint; the text decides when clear."""
    doc = Doc(text)
    detected = detect_language(doc, hint=language)
    if language in ("en", "es") and detected.confidence < 0.6:
        detected = Extracted(language, None, 0.9, derived=True)
    dates = find_dates(doc, channel.received_at, month_first=_month_first(channel))
    products = extract_products(doc, catalogue, dates)
    reactions = extract_reactions(
        doc,
        language=detected.value,
        product_spans=[p.name.span for p in products if p.name.span is not None]
        + [m.span for m in catalogue.find_products(text)],
        dates=dates,
        latencies=find_latencies(doc),
    )
    findings = extract_seriousness(doc, reactions)
    reactions = _with_criteria(reactions, findings)
    relation, is_patient = patient_relation(doc)
    reporter = extract_reporter(doc, channel, is_patient=is_patient)
    patient = extract_patient(doc, dates, relation, detected.value)
    return Draft(
        text=text,
        channel=channel,
        language=detected,
        reporter=reporter,
        patient=patient,
        products=tuple(products),
        reactions=tuple(reactions),
        seriousness=tuple(findings),
        narrative=Extracted(text, (0, len(text)), 1.0),
    )


def _month_first(channel: ChannelContext) -> bool:
    """US writers put the month first in numeric dates."""
    phone = channel.sender_phone or ""
    return phone.removeprefix("whatsapp:").startswith("+1")


def _with_criteria(
    reactions: list[ReactionDraft], findings: list[SeriousnessFinding]
) -> list[ReactionDraft]:
    out = []
    for i, reaction in enumerate(reactions):
        criteria = frozenset(f.criterion.value for f in findings if i in f.reaction_indices)
        out.append(replace(reaction, criteria=criteria))
    return out
