"""ICSRs at different stages of completeness, for the follow-up planner."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gateway.domain.codes import ActionTaken, DrugRole, ReactionOutcome, RechallengeResult, Sex
from gateway.domain.drug import Dosage, Drug, DrugReactionAssessment, Indication, Substance
from gateway.domain.icsr import ICSR
from gateway.domain.lab_test import LabTest
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import PrimarySource
from gateway.domain.values import PartialDate, Quantity


def _suspect(**overrides: object) -> Drug:
    values: dict[str, object] = {
        "id": "D1",
        "role": DrugRole.SUSPECT,
        "name_as_reported": "Ibuprofen 400 mg tablets",
        "substances": (Substance(name="ibuprofen"),),
    }
    values.update(overrides)
    return Drug(**values)  # type: ignore[arg-type]


@pytest.fixture
def bare_valid() -> ICSR:
    """The four criteria and nothing else: a consumer email saying 'rash from ibuprofen'."""
    return ICSR(
        primary_sources=(PrimarySource(email="reporter@example.com"),),
        patient=Patient(name_or_initials="JD"),
        drugs=(_suspect(),),
        reactions=(Reaction(id="R1", verbatim_native="rash"),),
    )


@pytest.fixture
def complete() -> ICSR:
    """Everything the serious-case questions ask for is present."""
    return ICSR(
        primary_sources=(PrimarySource(email="reporter@example.com"),),
        patient=Patient(
            name_or_initials="JD",
            age_at_onset=Quantity(value=Decimal("54"), unit="a"),
            sex=Sex.FEMALE,
            medical_history_text="hypertension",
        ),
        drugs=(
            _suspect(
                dosages=(
                    Dosage(
                        dose=Quantity(value=Decimal("400"), unit="mg"),
                        route="oral",
                        batch_lot="AB1234",
                    ),
                ),
                indications=(Indication(text="back pain"),),
                action_taken=ActionTaken.DRUG_WITHDRAWN,
                reaction_assessments=(
                    DrugReactionAssessment(reaction_id="R1", recurrence=RechallengeResult.NOT_DONE),
                ),
            ),
            Drug(id="D2", role=DrugRole.CONCOMITANT, name_as_reported="amlodipine"),
        ),
        reactions=(
            Reaction(
                id="R1",
                verbatim_native="rash",
                start=PartialDate.parse("20240301"),
                outcome=ReactionOutcome.RECOVERED,
            ),
        ),
        tests=(LabTest(name="eosinophils", result_text="raised"),),
    )
