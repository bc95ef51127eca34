"""The draft case a report's text yields, and its conversion to a domain ``ICSR``.

A ``Draft`` is for review: every field keeps its evidence (``Extracted``). ``to_icsr``
turns it into E2B records: one primary source, the patient, each product with its role,
each reaction with its verbatim (coded when a MedDRA coder is given), seriousness flags
that are ``True`` or ``NI`` only, and the reporter's own words as the H.1 narrative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, TypeVar

from gateway.domain.codes import DrugRole, Qualification, SeriousnessCriterion
from gateway.domain.drug import Dosage, Drug, Substance
from gateway.domain.icsr import ICSR
from gateway.domain.narrative import Narrative
from gateway.domain.normaliser.language import ISO_639_2
from gateway.domain.normaliser.model import (
    ChannelContext,
    Extracted,
    PatientDraft,
    ProductDraft,
    ReactionDraft,
    ReporterDraft,
    SeriousnessFinding,
)
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource, ReportIdentification
from gateway.domain.values import DatePrecision, MedDRATerm, PartialDate

__all__ = ["CodingLike", "Draft", "ReactionCoder", "code_reaction"]

V = TypeVar("V")


class CodingLike(Protocol):
    """What ``to_icsr`` needs from a coding result (``gateway.domain.meddra``)."""

    @property
    def llt_code(self) -> str: ...


class ReactionCoder(Protocol):
    """``MedDRACoder(dictionary).code(verbatim) -> CodingResult | None``."""

    def code(self, verbatim: str) -> CodingLike | None: ...


def code_reaction(reaction: ReactionDraft, coder: ReactionCoder) -> CodingLike | None:
    """Code the reporter's words; when the dictionary does not know them (another
    language, extra words), code the vocabulary's term hint instead, and keep whichever
    the coder is surer of."""
    first = coder.code(reaction.verbatim.value)
    if first is not None and not getattr(first, "needs_review", False):
        return first
    if reaction.term_hint is None:
        return first
    second = coder.code(reaction.term_hint)
    if second is None:
        return first
    if first is None:
        return second
    return second if getattr(second, "score", 0) >= getattr(first, "score", 0) else first


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """Everything read from one report, with evidence, before a person confirms it."""

    text: str
    channel: ChannelContext
    language: Extracted[str]
    reporter: ReporterDraft
    patient: PatientDraft
    products: tuple[ProductDraft, ...] = ()
    reactions: tuple[ReactionDraft, ...] = ()
    seriousness: tuple[SeriousnessFinding, ...] = ()
    narrative: Extracted[str] = field(default_factory=lambda: Extracted(""))

    # --- questions a reviewer (or the validity check) asks --------------------------------

    @property
    def suspect_products(self) -> tuple[ProductDraft, ...]:
        return tuple(p for p in self.products if p.is_suspected)

    @property
    def criteria(self) -> frozenset[SeriousnessCriterion]:
        return frozenset(f.criterion.value for f in self.seriousness)

    @property
    def is_serious(self) -> bool:
        return bool(self.seriousness)

    # --- conversion -------------------------------------------------------------------

    def to_icsr(
        self,
        *,
        received_at: datetime,
        coder: ReactionCoder | None = None,
        meddra_version: str | None = None,
    ) -> ICSR:
        """The domain ICSR this draft describes (C.1 receipt dates, C.2, D, E, G, H.1)."""
        received = PartialDate.from_datetime(received_at, DatePrecision.DAY)
        language = ISO_639_2.get(self.language.value)
        reactions = tuple(
            self._reaction(i, r, language, coder, meddra_version)
            for i, r in enumerate(self.reactions)
        )
        return ICSR(
            report=ReportIdentification(first_received=received, most_recent_info=received),
            primary_sources=(self._primary_source(),),
            patient=self._patient(),
            reactions=reactions,
            drugs=tuple(self._drug(i, p) for i, p in enumerate(self.products)),
            narrative=Narrative(case_narrative=self.text or None),
        )

    def _primary_source(self) -> PrimarySource:
        r = self.reporter
        qualification: Qualification = r.qualification.value
        return PrimarySource(
            title=_value(r.title),
            given_name=_value(r.given_name),
            family_name=_value(r.family_name),
            telephone=_value(r.phone),
            email=_value(r.email),
            country=_value(r.country),
            qualification=qualification,
            primary_for_regulatory_purposes=True,
        )

    def _patient(self) -> Patient:
        p = self.patient
        return Patient(
            name_or_initials=_value(p.initials),
            birth_date=_value(p.birth_date),
            age_at_onset=_value(p.age),
            age_group=_value(p.age_group),
            weight_kg=_value(p.weight_kg),
            sex=_value(p.sex),
            concomitant_therapies=(
                True if any(d.role.value is DrugRole.CONCOMITANT for d in self.products) else None
            ),
        )

    def _drug(self, index: int, p: ProductDraft) -> Drug:
        dosage = None
        if any(f is not None for f in (p.dose, p.frequency, p.route, p.start, p.end)):
            dosage = Dosage(
                dose=_value(p.dose),
                interval=_value(p.frequency),
                start=_value(p.start),
                end=_value(p.end),
                text=_value(p.dosage_text),
                route=_value(p.route),
            )
        product = p.product
        number, country = product.authorisation()
        return Drug(
            id=f"D{index + 1}",
            role=p.role.value,
            name_as_reported=p.name.value,
            substances=tuple(Substance(name=s) for s in product.active_substances),
            authorisation_number=number,
            authorisation_country=country,
            authorisation_holder=product.authorisation_holder,
            dosages=(dosage,) if dosage is not None else (),
            gestation_period_at_exposure=_value(self.patient.gestation),
        )

    def _reaction(
        self,
        index: int,
        r: ReactionDraft,
        language: str | None,
        coder: ReactionCoder | None,
        meddra_version: str | None,
    ) -> Reaction:
        criteria = [f.criterion.value for f in self.seriousness if index in f.reaction_indices]
        term = None
        if coder is not None:
            result = code_reaction(r, coder)
            version = meddra_version or _version_of(result, coder)
            if result is not None and version is not None:
                term = MedDRATerm(version=version, code=str(result.llt_code))
        return Reaction(
            id=f"R{index + 1}",
            verbatim_native=r.verbatim.value,
            verbatim_language=language,
            term=term,
            seriousness=Seriousness.of(*criteria),
            start=_value(r.onset),
            outcome=_value(r.outcome),
            country=_value(self.reporter.country),
        )


def _value(found: Extracted[V] | None) -> V | None:
    return None if found is None else found.value


def _version_of(result: object, coder: object) -> str | None:
    """The MedDRA version from the result, the coder or its dictionary, if any says."""
    for holder in (result, coder, getattr(coder, "dictionary", None)):
        version = getattr(holder, "version", None) if holder is not None else None
        if isinstance(version, str):
            return version
    return None
