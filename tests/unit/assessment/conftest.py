"""Shared case content for the assessment tests: one minimal valid spontaneous ICSR."""

from __future__ import annotations

import pytest

from gateway.domain.codes import DrugRole, Qualification, Sex
from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import PrimarySource


@pytest.fixture
def reporter() -> PrimarySource:
    return PrimarySource(
        given_name="Ana", family_name="Ruiz", qualification=Qualification.PHYSICIAN
    )


@pytest.fixture
def patient() -> Patient:
    return Patient(name_or_initials="JD", sex=Sex.FEMALE)


@pytest.fixture
def suspect() -> Drug:
    return Drug(id="G1", role=DrugRole.SUSPECT, name_as_reported="Drug X 500 mg tablets")


@pytest.fixture
def rash() -> Reaction:
    return Reaction(id="R1", verbatim_native="skin rash")


@pytest.fixture
def valid_icsr(reporter: PrimarySource, patient: Patient, suspect: Drug, rash: Reaction) -> ICSR:
    """All four minimum criteria, nothing else."""
    return ICSR(primary_sources=(reporter,), patient=patient, drugs=(suspect,), reactions=(rash,))
