"""The ICSR aggregate: one version of one case's E2B(R3) content, sections C to H.

``ICSR()`` is a valid object: intake starts from nothing and fills sections in as
messages arrive. Whether the content is *reportable* (minimum criteria, business rules)
is decided elsewhere; here we only keep the records and answer simple questions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from gateway.domain.codes import DrugRole
from gateway.domain.drug import Drug
from gateway.domain.lab_test import LabTest
from gateway.domain.narrative import Narrative
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import (
    LiteratureReference,
    PrimarySource,
    ReportIdentification,
    Sender,
    Study,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceProblem:
    """A broken link between records of one ICSR, with a path to where it is."""

    path: str  # e.g. "drugs[0].reaction_assessments[1].reaction_id"
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ICSR:
    """An Individual Case Safety Report (ICH E2B(R3) sections C to H)."""

    report: ReportIdentification = field(default_factory=ReportIdentification)  # C.1
    primary_sources: tuple[PrimarySource, ...] = ()  # C.2.r
    sender: Sender | None = None  # C.3
    literature: tuple[LiteratureReference, ...] = ()  # C.4.r
    study: Study | None = None  # C.5
    patient: Patient | None = None  # D
    reactions: tuple[Reaction, ...] = ()  # E.i
    tests: tuple[LabTest, ...] = ()  # F.r
    drugs: tuple[Drug, ...] = ()  # G.k
    narrative: Narrative = field(default_factory=Narrative)  # H

    def suspect_drugs(self) -> tuple[Drug, ...]:
        """Drugs suspected of a role in the reactions: G.k.1 suspect or interacting."""
        return tuple(d for d in self.drugs if d.is_suspected)

    def drugs_with_role(self, *roles: DrugRole) -> tuple[Drug, ...]:
        return tuple(d for d in self.drugs if d.role in roles)

    def is_serious(self) -> bool:
        """True when any reaction meets a seriousness criterion (E.i.3.2a-f)."""
        return any(r.is_serious for r in self.reactions)

    def reaction_by_id(self, reaction_id: str) -> Reaction | None:
        return next((r for r in self.reactions if r.id == reaction_id), None)

    def drug_by_id(self, drug_id: str) -> Drug | None:
        return next((d for d in self.drugs if d.id == drug_id), None)

    def primary_source_for_regulatory_purposes(self) -> PrimarySource | None:
        """The C.2.r.5 source, or the first one when none is flagged."""
        flagged = [s for s in self.primary_sources if s.primary_for_regulatory_purposes]
        if flagged:
            return flagged[0]
        return self.primary_sources[0] if self.primary_sources else None

    def validate_references(self) -> tuple[ReferenceProblem, ...]:
        """Matrix rows (G.k.9.i.1) naming unknown reactions, and duplicate local ids.

        Returned, not raised: intake may hold a half-built case; submission refuses one
        with problems.
        """
        problems: list[ReferenceProblem] = []
        local_ids = {
            "reaction": [r.id for r in self.reactions],
            "drug": [d.id for d in self.drugs],
        }
        for kind, ids in local_ids.items():
            for local_id, count in Counter(ids).items():
                if count > 1:
                    problems.append(
                        ReferenceProblem(
                            path=f"{kind}s",
                            message=f"{kind} id {local_id!r} is used {count} times",
                        )
                    )
        known = {r.id for r in self.reactions}
        for d_index, drug in enumerate(self.drugs):
            for a_index, row in enumerate(drug.reaction_assessments):
                if row.reaction_id not in known:
                    problems.append(
                        ReferenceProblem(
                            path=f"drugs[{d_index}].reaction_assessments[{a_index}].reaction_id",
                            message=(
                                f"drug {drug.id!r} assesses unknown reaction {row.reaction_id!r}"
                            ),
                        )
                    )
        return tuple(problems)
