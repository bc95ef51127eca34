"""Intake assessment: a received report → the first version of its case.

Pure: the reference data (product catalogue, MedDRA coder) is handed in. Each report is
normalised (free text) or taken as structured (E2B, web form, upstream events), its
reactions are coded, validity is assessed (the four minimum criteria), seriousness and
expectedness classified, and Day 0 fixed at the receipt that makes it valid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from gateway.domain.catalogue import Product, ProductCatalogue
from gateway.domain.classification import (
    CatalogueListedEvents,
    Classification,
    catalogue_product_id,
    classify,
)
from gateway.domain.codes import ReportType
from gateway.domain.drug import Drug, Substance
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.meddra import MedDRACoder
from gateway.domain.normaliser import ChannelContext, normalise
from gateway.domain.partial_date import DatePrecision, PartialDate
from gateway.domain.reaction import Reaction
from gateway.domain.validity import ValidityAssessment, assess_validity

#: channels where GVP VI.B.1.1.4 asks for verifiable contact details of the reporter
DIGITAL_CHANNELS = frozenset({"EMAIL", "SMS", "WHATSAPP", "WEB_FORM"})


@dataclass(frozen=True, slots=True)
class IntakeReferences:
    """Reference data, loaded once at start."""

    catalogue: ProductCatalogue
    coder: MedDRACoder | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    icsr: ICSR
    validity: ValidityAssessment
    classification: Classification
    state: CaseState
    day_zero: datetime | None
    #: what a person should check (low-confidence or missing MedDRA codes …)
    review: tuple[str, ...]
    digital: bool

    def audit_detail(self) -> dict[str, object]:
        """The ``validity.assessed`` audit entry's detail: criteria, evidence, Day 0, why."""
        return {
            "valid": self.validity.valid,
            "missing": [c.name for c in self.validity.missing],
            "evidence": {c.name: e for c, e in self.validity.evidence.items()},
            "day_zero": self.day_zero.isoformat() if self.day_zero else None,
            "rationale": list(self.classification.rationale),
        }

    def summary(self) -> str:
        """One line for the audit trail: the decision and why."""
        if self.validity.valid:
            validity = "valid: the four minimum criteria are met"
        else:
            missing = ", ".join(c.name.lower().replace("_", " ") for c in self.validity.missing)
            validity = f"not valid yet, missing: {missing}"
        serious = (
            "serious ("
            + ", ".join(sorted(c.name.lower() for c in self.classification.criteria))
            + ")"
            if self.classification.serious
            else "non-serious"
        )
        expedited = "expedited" if self.classification.expedited else "not expedited"
        return f"{validity}; {serious}; {expedited}"


def _code_reactions(icsr: ICSR, coder: MedDRACoder | None) -> tuple[ICSR, tuple[str, ...]]:
    review: list[str] = []
    coded: list[Reaction] = []
    for reaction in icsr.reactions:
        if reaction.term is not None or not reaction.verbatim_native:
            coded.append(reaction)
            continue
        result = coder.code(reaction.verbatim_native) if coder is not None else None
        if result is None:
            review.append(f"reaction {reaction.id}: no MedDRA code for the reported term")
            coded.append(reaction)
            continue
        if result.needs_review:
            review.append(
                f"reaction {reaction.id}: MedDRA {result.method} match {result.llt_name!r} "
                f"(score {result.score:.0f}) needs review"
            )
        coded.append(replace(reaction, term=result.term))
    return replace(icsr, reactions=tuple(coded)), tuple(review)


def _with_receipt(icsr: ICSR, received_at: datetime) -> ICSR:
    """C.1.4 / C.1.5 from our receipt when the report does not carry them; C.1.3 default."""
    received = PartialDate.from_datetime(received_at, DatePrecision.SECOND)
    report = icsr.report
    return replace(
        icsr,
        report=replace(
            report,
            first_received=report.first_received or received,
            most_recent_info=report.most_recent_info or received,
            report_type=report.report_type or ReportType.SPONTANEOUS,
        ),
    )


def assess(
    icsr: ICSR,
    *,
    channel: str,
    received_at: datetime,
    refs: IntakeReferences,
    from_form: bool = False,
) -> Assessment:
    """Assess a structured report (E2B import, web form, upstream event). ``from_form``: a
    reporter's form (web form, case API), whose drugs are completed from the catalogue."""
    digital = channel in DIGITAL_CHANNELS
    if from_form:
        icsr = with_catalogue_details(icsr, refs.catalogue)
    icsr, review = _code_reactions(_with_receipt(icsr, received_at), refs.coder)
    validity = assess_validity(icsr, digital_channel=digital)
    classification = classify(
        icsr,
        listed=CatalogueListedEvents(refs.catalogue),
        product_id_of=catalogue_product_id(refs.catalogue),
    )
    return Assessment(
        icsr=icsr,
        validity=validity,
        classification=classification,
        state=CaseState.VALID if validity.valid else CaseState.INVALID_PENDING_INFO,
        # Day 0: the receipt of the message that completes the fourth criterion.
        day_zero=received_at if validity.valid else None,
        review=review,
        digital=digital,
    )


def with_catalogue_details(icsr: ICSR, catalogue: ProductCatalogue) -> ICSR:
    """The drugs completed from the catalogue where the report left them out: the active
    substances (G.k.2.3.r) and the authorisation (G.k.3.1-3), as free-text intake fills
    them. Only a drug whose reported name names exactly one product, by an exact name;
    what the report says is never replaced."""
    drugs = tuple(_completed(d, catalogue) for d in icsr.drugs)
    return icsr if drugs == icsr.drugs else replace(icsr, drugs=drugs)


def _completed(drug: Drug, catalogue: ProductCatalogue) -> Drug:
    product = _named_product(drug.name_as_reported, catalogue)
    if product is None:
        return drug
    number, country = product.authorisation()
    substances = drug.substances or tuple(Substance(name=s) for s in product.active_substances)
    if drug.authorisation_number is not None or number is None:
        return replace(drug, substances=substances)
    return replace(
        drug,
        substances=substances,
        authorisation_number=number,
        authorisation_country=country,
        authorisation_holder=drug.authorisation_holder or product.authorisation_holder,
    )


def _named_product(name: str | None, catalogue: ProductCatalogue) -> Product | None:
    if not name or not name.strip():
        return None
    exact = {m.product.id: m.product for m in catalogue.find_products(name) if m.score >= 100}
    return next(iter(exact.values())) if len(exact) == 1 else None


def assess_text(
    text: str, *, context: ChannelContext, refs: IntakeReferences, language: str | None = None
) -> Assessment:
    """Assess a free-text report (e-mail, SMS, WhatsApp): normalise, then as structured."""
    draft = normalise(text, channel=context, catalogue=refs.catalogue, language=language)
    icsr = draft.to_icsr(received_at=context.received_at, coder=refs.coder)
    return assess(icsr, channel=context.channel, received_at=context.received_at, refs=refs)
