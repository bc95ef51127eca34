"""Value types, code lists and section records: the invariants their constructors keep."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.codes import DrugRole, Qualification, SeriousnessCriterion, Sex
from gateway.domain.drug import Drug, DrugReactionAssessment
from gateway.domain.icsr import ICSR
from gateway.domain.lab_test import LabTest
from gateway.domain.patient import MedicalHistoryEpisode, Parent, Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import Document, ReportIdentification
from gateway.domain.values import Coded, MedDRATerm, NullFlavor, Quantity


def test_seriousness_criterion_cannot_be_false() -> None:
    untyped: Any = False
    with pytest.raises(ValueError, match=r"E\.i\.3\.2b .*never False"):
        Seriousness(life_threatening=untyped)


def test_seriousness_defaults_to_no_information_not_false() -> None:
    seriousness = Seriousness()

    assert {seriousness.flag(c) for c in SeriousnessCriterion} == {NullFlavor.NI}
    assert not seriousness.is_serious


def test_seriousness_of_criteria_sets_exactly_those_flags() -> None:
    seriousness = Seriousness.of(SeriousnessCriterion.DEATH, SeriousnessCriterion.DISABLING)

    assert seriousness.death is True
    assert seriousness.disabling is True
    assert seriousness.life_threatening is NullFlavor.NI
    assert seriousness.criteria == {SeriousnessCriterion.DEATH, SeriousnessCriterion.DISABLING}


def test_seriousness_criteria_carry_their_e2b_observation_codes() -> None:
    codes = {c.name: c.code for c in SeriousnessCriterion}
    assert codes == {
        "DEATH": "34",
        "LIFE_THREATENING": "21",
        "HOSPITALISATION": "33",
        "DISABLING": "35",
        "CONGENITAL_ANOMALY": "12",
        "OTHER_MEDICALLY_IMPORTANT": "26",
    }


def test_code_lists_read_their_wire_codes_and_reject_unknown_ones() -> None:
    assert DrugRole.from_code("3") is DrugRole.INTERACTING
    assert Qualification.from_code(5) is Qualification.CONSUMER
    with pytest.raises(ValueError, match="not a Sex code"):
        Sex.from_code("9")


def test_a_code_is_not_equal_to_its_bare_number() -> None:
    """Plain Enum, not IntEnum: ``role == 1`` is a bug, not a match."""
    one: object = 1
    assert one != DrugRole.SUSPECT


def test_records_are_immutable() -> None:
    reaction = Reaction(id="R1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        reaction.id = "R2"  # type: ignore[misc]


def test_a_null_flavor_is_distinct_from_text_that_spells_it() -> None:
    patient = Patient(name_or_initials=NullFlavor.UNK)
    spelled: object = "UNK"
    assert patient.name_or_initials is NullFlavor.UNK
    assert patient.name_or_initials != spelled


@pytest.mark.parametrize("value", ["1.5", "NaN", "Infinity"])
def test_quantity_requires_a_finite_decimal(value: str) -> None:
    if value == "1.5":
        assert Quantity(value=Decimal(value), unit="mg").value == Decimal("1.5")
    else:
        with pytest.raises(ValueError, match="finite Decimal"):
            Quantity(value=Decimal(value), unit="mg")


def test_quantity_refuses_a_float_value() -> None:
    untyped: Any = 1.5
    with pytest.raises(ValueError, match="finite Decimal"):
        Quantity(value=untyped, unit="mg")


@pytest.mark.parametrize(("version", "code"), [("27", "10000844"), ("27.0", "1000084")])
def test_meddra_term_needs_n_n_version_and_eight_digit_code(version: str, code: str) -> None:
    with pytest.raises(ValueError, match="MedDRA"):
        MedDRATerm(version=version, code=code)


def test_coded_value_needs_a_code() -> None:
    with pytest.raises(ValueError, match=r"Coded\.code"):
        Coded(code=" ")


def test_inline_document_must_be_base64_and_decodes_to_its_bytes() -> None:
    assert Document(content_base64="aGVsbG8=").content == b"hello"
    with pytest.raises(ValueError, match="not base64"):
        Document(content_base64="not base64!")


def test_other_case_ids_flag_is_true_or_no_information() -> None:
    untyped: Any = False
    assert ReportIdentification(other_case_ids_exist=NullFlavor.NI).other_case_ids_exist
    with pytest.raises(ValueError, match=r"C\.1\.9\.1"):
        ReportIdentification(other_case_ids_exist=untyped)


def test_true_only_flags_refuse_false() -> None:
    untyped: Any = False
    with pytest.raises(ValueError, match=r"D\.7\.1\.r\.6"):
        MedicalHistoryEpisode(family_history=untyped)
    with pytest.raises(ValueError, match=r"D\.7\.3"):
        Patient(concomitant_therapies=untyped)
    with pytest.raises(ValueError, match=r"G\.k\.2\.5"):
        Drug(id="G1", investigational_blinded=untyped)


def test_parent_history_has_no_family_history_flag() -> None:
    with pytest.raises(ValueError, match=r"D\.10\.7\.1\.r"):
        Parent(medical_history=(MedicalHistoryEpisode(family_history=True),))


def test_lab_result_accepts_only_infinity_null_flavors() -> None:
    assert LabTest(result_value=NullFlavor.NINF).result_value is NullFlavor.NINF
    with pytest.raises(ValueError, match="NINF / PINF"):
        LabTest(result_value=NullFlavor.UNK)


def test_reactions_and_drugs_need_a_local_id() -> None:
    with pytest.raises(ValueError, match=r"Reaction\.id"):
        Reaction(id="")
    with pytest.raises(ValueError, match=r"Drug\.id"):
        Drug(id="  ")
    with pytest.raises(ValueError, match="reaction_id"):
        DrugReactionAssessment(reaction_id="")


def test_empty_icsr_constructs_with_empty_sections() -> None:
    icsr = ICSR()

    assert icsr.reactions == ()
    assert icsr.drugs == ()
    assert icsr.patient is None
    assert icsr.report == ReportIdentification()
    assert not icsr.is_serious()
    assert icsr.validate_references() == ()


def test_suspect_drugs_are_the_suspect_and_interacting_ones(full_icsr: ICSR) -> None:
    assert [d.id for d in full_icsr.suspect_drugs()] == ["G1", "G3"]
    assert [d.id for d in full_icsr.drugs_with_role(DrugRole.CONCOMITANT)] == ["G2"]


def test_case_is_serious_when_any_reaction_meets_a_criterion(full_icsr: ICSR) -> None:
    assert full_icsr.is_serious()
    mild = dataclasses.replace(full_icsr, reactions=(Reaction(id="R2"),))
    assert not mild.is_serious()


def test_reaction_and_drug_lookups_by_local_id(full_icsr: ICSR) -> None:
    reaction = full_icsr.reaction_by_id("R1")
    assert reaction is not None
    assert reaction.verbatim_native == "hepatitis aguda"
    assert full_icsr.reaction_by_id("R9") is None
    drug = full_icsr.drug_by_id("G1")
    assert drug is not None
    assert drug.assessment_for("R1") is not None
    assert drug.assessment_for("R2") is None


def test_primary_source_for_regulatory_purposes_is_the_flagged_one(full_icsr: ICSR) -> None:
    source = full_icsr.primary_source_for_regulatory_purposes()
    assert source is not None
    assert source.given_name == "Ana"


def test_matrix_entry_pointing_to_unknown_reaction_is_reported(full_icsr: ICSR) -> None:
    drug = Drug(
        id="G9",
        role=DrugRole.SUSPECT,
        reaction_assessments=(DrugReactionAssessment(reaction_id="R404"),),
    )
    icsr = dataclasses.replace(full_icsr, drugs=(*full_icsr.drugs, drug))

    problems = icsr.validate_references()

    assert len(problems) == 1
    assert problems[0].path == "drugs[3].reaction_assessments[0].reaction_id"
    assert "R404" in problems[0].message
    assert full_icsr.validate_references() == ()


def test_duplicate_local_ids_are_reported() -> None:
    icsr = ICSR(reactions=(Reaction(id="R1"), Reaction(id="R1")), drugs=(Drug(id="G1"),))

    problems = icsr.validate_references()

    assert [p.message for p in problems] == ["reaction id 'R1' is used 2 times"]
