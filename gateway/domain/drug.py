"""Section G: drugs, their dosage, indications and the drug-reaction matrix.

The matrix (G.k.9.i) points at reactions by their local id; ``ICSR.validate_references``
reports entries that point nowhere, since the records are built independently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gateway.domain.codes import ActionTaken, AdditionalDrugInfo, DrugRole, RechallengeResult
from gateway.domain.values import (
    Coded,
    MedDRATerm,
    Nullable,
    NullFlavor,
    PartialDate,
    Quantity,
    require_text,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Substance:
    """G.k.2.3.r Substance / specified substance and its strength."""

    name: str | None = None  # G.k.2.3.r.1
    term_id: Coded | None = None  # G.k.2.3.r.2a version + G.k.2.3.r.2b TermID
    strength: Quantity | None = None  # G.k.2.3.r.3a number + G.k.2.3.r.3b unit


@dataclass(frozen=True, slots=True, kw_only=True)
class Dosage:
    """G.k.4.r One dosage regimen."""

    dose: Quantity | None = None  # G.k.4.r.1a number + G.k.4.r.1b unit
    #: G.k.4.r.2 number of units in the interval + G.k.4.r.3 interval unit ({cyclical}, ...)
    interval: Quantity | None = None
    start: Nullable[PartialDate] | None = None  # G.k.4.r.4 (MSK, ASKU, NASK)
    end: Nullable[PartialDate] | None = None  # G.k.4.r.5 last administration
    duration: Quantity | None = None  # G.k.4.r.6a number + G.k.4.r.6b unit
    batch_lot: str | None = None  # G.k.4.r.7
    text: str | None = None  # G.k.4.r.8 dosage text
    dose_form: Nullable[str] | None = None  # G.k.4.r.9.1 free text (ASKU, NASK, UNK)
    dose_form_term: Coded | None = None  # G.k.4.r.9.2a version + G.k.4.r.9.2b TermID
    route: Nullable[str] | None = None  # G.k.4.r.10.1 free text (ASKU, NASK, UNK)
    route_term: Coded | None = None  # G.k.4.r.10.2a version + G.k.4.r.10.2b TermID
    parent_route: Nullable[str] | None = None  # G.k.4.r.11.1 (ASKU, NASK, UNK)
    parent_route_term: Coded | None = None  # G.k.4.r.11.2a/b
    #: G.k.4.r.4-6 withheld as a whole: the nullFlavor of the dosage period (FDA sends ASKU)
    period_null_flavor: NullFlavor | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Indication:
    """G.k.7.r Indication for use in the case."""

    text: Nullable[str] | None = None  # G.k.7.r.1 as reported (ASKU, NASK, UNK)
    term: MedDRATerm | None = None  # G.k.7.r.2a version + G.k.7.r.2b code


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalityAssessment:
    """G.k.9.i.2.r One relatedness assessment, e.g. WHO-UMC or Naranjo by the sender."""

    source: str | None = None  # G.k.9.i.2.r.1 e.g. "Primary source", "Sender"
    method: str | None = None  # G.k.9.i.2.r.2 e.g. "WHO-UMC", "Naranjo"
    result: str | None = None  # G.k.9.i.2.r.3 e.g. "Probable"


@dataclass(frozen=True, slots=True, kw_only=True)
class DrugReactionAssessment:
    """G.k.9.i One row of the drug-reaction matrix for this drug."""

    reaction_id: str  # G.k.9.i.1 reaction assessed (a Reaction.id in the same ICSR)
    assessments: tuple[CausalityAssessment, ...] = ()  # G.k.9.i.2.r
    time_from_first_dose: Quantity | None = None  # G.k.9.i.3.1a/b drug start to onset
    time_from_last_dose: Quantity | None = None  # G.k.9.i.3.2a/b last dose to onset
    recurrence: RechallengeResult | None = None  # G.k.9.i.4 (omit when unknown)

    def __post_init__(self) -> None:
        require_text(self.reaction_id, "DrugReactionAssessment.reaction_id")


@dataclass(frozen=True, slots=True, kw_only=True)
class Drug:
    """G.k One drug. ``id`` is ours, stable across versions of the case."""

    id: str  # gateway-local
    role: DrugRole | None = None  # G.k.1 characterisation of drug role
    mpid: Coded | None = None  # G.k.2.1.1a version + G.k.2.1.1b MPID
    phpid: Coded | None = None  # G.k.2.1.2a version + G.k.2.1.2b PhPID
    name_as_reported: str | None = None  # G.k.2.2 medicinal product name
    substances: tuple[Substance, ...] = ()  # G.k.2.3.r
    country_obtained: str | None = None  # G.k.2.4
    investigational_blinded: Literal[True] | None = None  # G.k.2.5 (only "true" is sent)
    authorisation_number: str | None = None  # G.k.3.1 authorisation / application no.
    authorisation_country: str | None = None  # G.k.3.2
    authorisation_holder: str | None = None  # G.k.3.3 holder / applicant
    dosages: tuple[Dosage, ...] = ()  # G.k.4.r
    cumulative_dose: Quantity | None = None  # G.k.5a/b to first reaction
    gestation_period_at_exposure: Quantity | None = None  # G.k.6a/b
    indications: tuple[Indication, ...] = ()  # G.k.7.r
    action_taken: ActionTaken | None = None  # G.k.8
    reaction_assessments: tuple[DrugReactionAssessment, ...] = ()  # G.k.9.i
    additional_info_codes: tuple[AdditionalDrugInfo, ...] = ()  # G.k.10.r
    additional_info_text: str | None = None  # G.k.11

    def __post_init__(self) -> None:
        require_text(self.id, "Drug.id")
        if self.investigational_blinded is not None and self.investigational_blinded is not True:
            raise ValueError("G.k.2.5 investigational product blinded is True or absent")

    @property
    def is_suspected(self) -> bool:
        """Suspect or interacting (G.k.1 = 1 or 3): counts for validity and expediting."""
        return self.role in (DrugRole.SUSPECT, DrugRole.INTERACTING)

    def assessment_for(self, reaction_id: str) -> DrugReactionAssessment | None:
        return next((a for a in self.reaction_assessments if a.reaction_id == reaction_id), None)
