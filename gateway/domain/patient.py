"""Section D: the patient, their history, death, and (for parent-child reports) the parent.

D.10 reuses the D.7 and D.8 records: the parent's history has the same shape as the
patient's, minus the family-history flag, which the constructor of ``Parent`` enforces.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from gateway.domain.codes import AgeGroup, Sex
from gateway.domain.values import Coded, MedDRATerm, Nullable, PartialDate, Quantity


@dataclass(frozen=True, slots=True, kw_only=True)
class MedicalHistoryEpisode:
    """D.7.1.r (patient) or D.10.7.1.r (parent): a disease, procedure or condition."""

    condition: MedDRATerm | None = None  # D.7.1.r.1a version + D.7.1.r.1b code
    start: Nullable[PartialDate] | None = None  # D.7.1.r.2 (MSK, ASKU, NASK)
    continuing: Nullable[bool] | None = None  # D.7.1.r.3 (MSK, ASKU, NASK, UNK)
    end: Nullable[PartialDate] | None = None  # D.7.1.r.4 (MSK, ASKU, NASK)
    comments: str | None = None  # D.7.1.r.5
    family_history: Literal[True] | None = None  # D.7.1.r.6 (only "true" is sent)

    def __post_init__(self) -> None:
        if self.family_history is not None and self.family_history is not True:
            raise ValueError("D.7.1.r.6 family history is True or absent, never False")


@dataclass(frozen=True, slots=True, kw_only=True)
class PastDrug:
    """D.8.r (patient) or D.10.8.r (parent): relevant past drug history."""

    name: Nullable[str] | None = None  # D.8.r.1 name as reported (UNK, NA)
    mpid: Coded | None = None  # D.8.r.2a version + D.8.r.2b MPID
    phpid: Coded | None = None  # D.8.r.3a version + D.8.r.3b PhPID
    start: Nullable[PartialDate] | None = None  # D.8.r.4 (MSK, ASKU, NASK)
    end: Nullable[PartialDate] | None = None  # D.8.r.5 (MSK, ASKU, NASK)
    indication: MedDRATerm | None = None  # D.8.r.6a/b
    reaction: MedDRATerm | None = None  # D.8.r.7a/b


@dataclass(frozen=True, slots=True, kw_only=True)
class CauseOfDeath:
    """D.9.2.r (reported) or D.9.4.r (autopsy-determined) cause of death."""

    term: MedDRATerm | None = None  # D.9.2.r.1a/b, D.9.4.r.1a/b
    text: str | None = None  # D.9.2.r.2, D.9.4.r.2 free text


@dataclass(frozen=True, slots=True, kw_only=True)
class Death:
    """D.9 In case of death."""

    date: Nullable[PartialDate] | None = None  # D.9.1 (MSK, ASKU, NASK)
    reported_causes: tuple[CauseOfDeath, ...] = ()  # D.9.2.r
    autopsy_done: Nullable[bool] | None = None  # D.9.3 (MSK, ASKU, NASK, UNK)
    autopsy_causes: tuple[CauseOfDeath, ...] = ()  # D.9.4.r


@dataclass(frozen=True, slots=True, kw_only=True)
class Parent:
    """D.10 The parent in a parent-child / foetus report."""

    identification: Nullable[str] | None = None  # D.10.1 name or initials
    birth_date: Nullable[PartialDate] | None = None  # D.10.2.1 (CCYY minimum)
    age: Quantity | None = None  # D.10.2.2a number + D.10.2.2b unit
    last_menstrual_period: Nullable[PartialDate] | None = None  # D.10.3
    weight_kg: Decimal | None = None  # D.10.4
    height_cm: Decimal | None = None  # D.10.5
    sex: Nullable[Sex] | None = None  # D.10.6 (MSK, UNK, ASKU, NASK)
    medical_history: tuple[MedicalHistoryEpisode, ...] = ()  # D.10.7.1.r
    medical_history_text: str | None = None  # D.10.7.2
    past_drugs: tuple[PastDrug, ...] = ()  # D.10.8.r

    def __post_init__(self) -> None:
        if any(e.family_history is not None for e in self.medical_history):
            raise ValueError("D.10.7.1.r has no family-history flag (D.7.1.r.6 is patient-only)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Patient:
    """D Patient characteristics."""

    name_or_initials: Nullable[str] | None = None  # D.1 (MSK, ASKU, NASK, UNK)
    gp_record_number: Nullable[str] | None = None  # D.1.1.1 (MSK)
    specialist_record_number: Nullable[str] | None = None  # D.1.1.2 (MSK)
    hospital_record_number: Nullable[str] | None = None  # D.1.1.3 (MSK)
    investigation_number: Nullable[str] | None = None  # D.1.1.4 (MSK)
    birth_date: Nullable[PartialDate] | None = None  # D.2.1 (MSK)
    age_at_onset: Quantity | None = None  # D.2.2a number + D.2.2b UCUM unit
    gestation_period_at_onset: Quantity | None = None  # D.2.2.1a/b (foetus)
    age_group: AgeGroup | None = None  # D.2.3
    weight_kg: Decimal | None = None  # D.3
    height_cm: Decimal | None = None  # D.4
    sex: Nullable[Sex] | None = None  # D.5 (MSK, UNK, ASKU, NASK)
    last_menstrual_period: Nullable[PartialDate] | None = None  # D.6 (MSK)
    medical_history: tuple[MedicalHistoryEpisode, ...] = ()  # D.7.1.r
    medical_history_text: Nullable[str] | None = None  # D.7.2 (MSK, ASKU, NASK, UNK)
    concomitant_therapies: Literal[True] | None = None  # D.7.3 (only "true" is sent)
    past_drugs: tuple[PastDrug, ...] = ()  # D.8.r
    death: Death | None = None  # D.9
    parent: Parent | None = None  # D.10

    def __post_init__(self) -> None:
        if self.concomitant_therapies is not None and self.concomitant_therapies is not True:
            raise ValueError("D.7.3 concomitant therapies is True or absent, never False")
