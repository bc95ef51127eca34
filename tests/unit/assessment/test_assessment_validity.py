"""Minimum criteria, Day 0 and significant follow-up information."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.codes import AgeGroup, DrugRole, Qualification, ReactionOutcome, Sex
from gateway.domain.codes import SeriousnessCriterion as SC
from gateway.domain.drug import CausalityAssessment, Drug, DrugReactionAssessment, Substance
from gateway.domain.icsr import ICSR
from gateway.domain.narrative import Narrative
from gateway.domain.patient import Death, Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource
from gateway.domain.validity import (
    ChangeKind,
    Criterion,
    Receipt,
    assess_validity,
    day_zero,
    is_significant,
    reporting_clocks,
    significant_changes,
)
from gateway.domain.values import Coded, MedDRATerm, NullFlavor, PartialDate, Quantity

T0 = datetime(2024, 3, 15, 9, 0, tzinfo=UTC)


def valid(icsr: ICSR, *, digital: bool = False) -> bool:
    return assess_validity(icsr, digital_channel=digital).valid


# --- the four criteria -----------------------------------------------------------------


def test_a_report_with_all_four_criteria_is_valid_with_evidence_for_each(valid_icsr: ICSR) -> None:
    result = assess_validity(valid_icsr, digital_channel=False)

    assert result.valid
    assert result.missing == ()
    assert set(result.evidence) == set(Criterion)
    assert "family name" in result.evidence[Criterion.IDENTIFIABLE_REPORTER]
    assert "Drug X" in result.evidence[Criterion.SUSPECT_PRODUCT]
    assert result.gaps == {}


def test_an_empty_report_misses_every_criterion_in_order() -> None:
    result = assess_validity(ICSR(), digital_channel=False)

    assert not result.valid
    assert result.missing == tuple(Criterion)
    assert set(result.gaps) == set(Criterion)


@pytest.mark.parametrize(
    ("field", "criterion"),
    [
        ("primary_sources", Criterion.IDENTIFIABLE_REPORTER),
        ("patient", Criterion.IDENTIFIABLE_PATIENT),
        ("drugs", Criterion.SUSPECT_PRODUCT),
        ("reactions", Criterion.ADVERSE_REACTION),
    ],
)
def test_a_report_missing_one_criterion_is_invalid_and_names_it(
    valid_icsr: ICSR, field: str, criterion: Criterion
) -> None:
    empty: Any = None if field == "patient" else ()
    result = assess_validity(replace(valid_icsr, **{field: empty}), digital_channel=False)

    assert not result.valid
    assert result.missing == (criterion,)
    assert criterion in result.gaps


@pytest.mark.parametrize(
    "source",
    [
        PrimarySource(given_name="Ana"),
        PrimarySource(family_name="R."),  # initials
        PrimarySource(qualification=Qualification.PHARMACIST),
        PrimarySource(street="Calle Mayor 1"),
        PrimarySource(city="Madrid"),
        PrimarySource(organisation="Hospital General"),
        PrimarySource(email="ana@example.org"),
        PrimarySource(telephone="+34 600 000 000"),
    ],
)
def test_any_one_reporter_detail_identifies_the_reporter(
    valid_icsr: ICSR, source: PrimarySource
) -> None:
    assert valid(replace(valid_icsr, primary_sources=(source,)))


def test_a_reporter_with_only_a_country_or_blank_name_is_not_identifiable(
    valid_icsr: ICSR,
) -> None:
    source = PrimarySource(country="ES", given_name="   ")
    result = assess_validity(replace(valid_icsr, primary_sources=(source,)), digital_channel=False)

    assert result.missing == (Criterion.IDENTIFIABLE_REPORTER,)


def test_one_identifiable_source_among_several_is_enough(valid_icsr: ICSR) -> None:
    sources = (PrimarySource(country="ES"), PrimarySource(telephone="600000000"))
    result = assess_validity(replace(valid_icsr, primary_sources=sources), digital_channel=False)

    assert result.valid
    assert result.evidence[Criterion.IDENTIFIABLE_REPORTER].startswith("primary source 2")


@pytest.mark.parametrize(
    "patient",
    [
        Patient(name_or_initials="JD"),
        Patient(gp_record_number="GP-1"),
        Patient(specialist_record_number="SP-1"),
        Patient(hospital_record_number="H-1"),
        Patient(investigation_number="INV-1"),
        Patient(birth_date=PartialDate(year=1957)),
        Patient(age_at_onset=Quantity(value=Decimal(67), unit="a")),
        Patient(age_group=AgeGroup.ELDERLY),
        Patient(sex=Sex.MALE),
        Patient(gestation_period_at_onset=Quantity(value=Decimal(12), unit="wk")),
    ],
)
def test_any_one_patient_detail_identifies_the_patient(valid_icsr: ICSR, patient: Patient) -> None:
    assert valid(replace(valid_icsr, patient=patient))


def test_a_patient_record_with_only_weight_is_not_identifiable(valid_icsr: ICSR) -> None:
    result = assess_validity(
        replace(valid_icsr, patient=Patient(weight_kg=Decimal(70))), digital_channel=False
    )

    assert result.missing == (Criterion.IDENTIFIABLE_PATIENT,)


def test_a_reporter_talking_about_themselves_is_also_the_identifiable_patient(
    valid_icsr: ICSR,
) -> None:
    icsr = replace(valid_icsr, patient=None)

    assert not valid(icsr)
    result = assess_validity(icsr, digital_channel=False, reporter_is_patient=True)
    assert result.valid
    assert "reporter" in result.evidence[Criterion.IDENTIFIABLE_PATIENT]


def test_reporter_is_patient_does_not_help_when_the_reporter_is_anonymous(
    valid_icsr: ICSR,
) -> None:
    icsr = replace(valid_icsr, patient=None, primary_sources=(PrimarySource(),))
    result = assess_validity(icsr, digital_channel=False, reporter_is_patient=True)

    assert result.missing == (Criterion.IDENTIFIABLE_REPORTER, Criterion.IDENTIFIABLE_PATIENT)


@pytest.mark.parametrize(
    "role", [DrugRole.SUSPECT, DrugRole.INTERACTING, DrugRole.DRUG_NOT_ADMINISTERED]
)
def test_suspect_interacting_and_not_administered_drugs_count(
    valid_icsr: ICSR, role: DrugRole
) -> None:
    drug = Drug(id="G1", role=role, name_as_reported="Drug X")
    assert valid(replace(valid_icsr, drugs=(drug,)))


def test_only_concomitant_drugs_do_not_meet_the_suspect_product_criterion(
    valid_icsr: ICSR,
) -> None:
    drugs = (
        Drug(id="G1", role=DrugRole.CONCOMITANT, name_as_reported="Paracetamol"),
        Drug(id="G2", name_as_reported="role unknown"),
    )
    result = assess_validity(replace(valid_icsr, drugs=drugs), digital_channel=False)

    assert result.missing == (Criterion.SUSPECT_PRODUCT,)


def test_a_suspect_drug_counts_when_named_by_substance_or_code_but_not_when_unnamed(
    valid_icsr: ICSR,
) -> None:
    by_substance = Drug(id="G1", role=DrugRole.SUSPECT, substances=(Substance(name="drugxol"),))
    by_code = Drug(id="G1", role=DrugRole.SUSPECT, mpid=Coded(code="MPID-1"))
    unnamed = Drug(id="G1", role=DrugRole.SUSPECT)

    assert valid(replace(valid_icsr, drugs=(by_substance,)))
    assert valid(replace(valid_icsr, drugs=(by_code,)))
    result = assess_validity(replace(valid_icsr, drugs=(unnamed,)), digital_channel=False)
    assert result.missing == (Criterion.SUSPECT_PRODUCT,)
    assert "not named" in result.gaps[Criterion.SUSPECT_PRODUCT]


def test_a_reaction_counts_by_verbatim_translation_or_meddra_code_but_not_empty(
    valid_icsr: ICSR,
) -> None:
    coded = Reaction(id="R1", term=MedDRATerm(version="27.0", code="10037844"))
    translated = Reaction(id="R1", verbatim_translation="rash")

    assert valid(replace(valid_icsr, reactions=(coded,)))
    assert valid(replace(valid_icsr, reactions=(translated,)))
    assert not valid(replace(valid_icsr, reactions=(Reaction(id="R1"),)))


# --- digital media (GVP VI.B.1.1.4) ----------------------------------------------------


def test_an_anonymous_web_form_is_invalid(valid_icsr: ICSR) -> None:
    icsr = replace(valid_icsr, primary_sources=(PrimarySource(),))
    result = assess_validity(icsr, digital_channel=True)

    assert result.missing == (Criterion.IDENTIFIABLE_REPORTER,)
    assert "GVP VI.B.1.1.4" in result.gaps[Criterion.IDENTIFIABLE_REPORTER]


def test_a_digital_report_with_only_a_name_is_not_verifiable(valid_icsr: ICSR) -> None:
    icsr = replace(valid_icsr, primary_sources=(PrimarySource(given_name="Ana", city="Madrid"),))

    assert valid(icsr, digital=False)
    assert not valid(icsr, digital=True)


@pytest.mark.parametrize(
    "source", [PrimarySource(email="ana@example.org"), PrimarySource(telephone="+34600000000")]
)
def test_a_digital_report_with_an_email_or_phone_is_valid(
    valid_icsr: ICSR, source: PrimarySource
) -> None:
    result = assess_validity(replace(valid_icsr, primary_sources=(source,)), digital_channel=True)

    assert result.valid
    assert "verifiable contact" in result.evidence[Criterion.IDENTIFIABLE_REPORTER]


def test_a_digital_contact_that_is_asked_but_unknown_does_not_verify_anyone(
    valid_icsr: ICSR,
) -> None:
    asked = replace(valid_icsr, primary_sources=(PrimarySource(email=NullFlavor.ASKU),))
    masked = replace(valid_icsr, primary_sources=(PrimarySource(email=NullFlavor.MSK),))

    assert not valid(asked, digital=True)
    assert valid(masked, digital=True)


# --- nullFlavors -----------------------------------------------------------------------


@pytest.mark.parametrize("flavor", [NullFlavor.MSK, NullFlavor.ASKU])
def test_masked_or_asked_values_mean_the_person_exists(
    valid_icsr: ICSR, flavor: NullFlavor
) -> None:
    icsr = replace(
        valid_icsr,
        primary_sources=(PrimarySource(family_name=flavor),),
        patient=Patient(name_or_initials=flavor),
    )
    result = assess_validity(icsr, digital_channel=False)

    assert result.valid
    assert f"({flavor.name})" in result.evidence[Criterion.IDENTIFIABLE_PATIENT]


@pytest.mark.parametrize("flavor", [NullFlavor.UNK, NullFlavor.NI, NullFlavor.NASK])
def test_unknown_or_no_information_values_identify_nobody(
    valid_icsr: ICSR, flavor: NullFlavor
) -> None:
    icsr = replace(
        valid_icsr,
        primary_sources=(PrimarySource(family_name=flavor, qualification=NullFlavor.UNK),),
        patient=Patient(name_or_initials=flavor, sex=flavor, birth_date=flavor),
    )
    result = assess_validity(icsr, digital_channel=False)

    assert result.missing == (Criterion.IDENTIFIABLE_REPORTER, Criterion.IDENTIFIABLE_PATIENT)


def test_the_set_of_identifying_null_flavors_can_be_narrowed(valid_icsr: ICSR) -> None:
    icsr = replace(valid_icsr, patient=Patient(name_or_initials=NullFlavor.ASKU))

    assert valid(icsr)
    result = assess_validity(
        icsr, digital_channel=False, identifying_null_flavors=frozenset({NullFlavor.MSK})
    )
    assert result.missing == (Criterion.IDENTIFIABLE_PATIENT,)


# --- Day 0 -----------------------------------------------------------------------------


def test_day_zero_is_the_receipt_that_completes_the_fourth_criterion(valid_icsr: ICSR) -> None:
    first = replace(valid_icsr, patient=None, reactions=())  # reporter + drug
    second = replace(valid_icsr, patient=None)  # + reaction
    history = [
        Receipt(received_at=T0, icsr=first, message_id="m1"),
        Receipt(received_at=T0 + timedelta(days=2), icsr=second, message_id="m2"),
        Receipt(received_at=T0 + timedelta(days=5, hours=3), icsr=valid_icsr, message_id="m3"),
    ]

    assert day_zero(history) == T0 + timedelta(days=5, hours=3)
    assert day_zero(history[:2]) is None


def test_day_zero_is_the_first_receipt_when_it_is_already_valid(valid_icsr: ICSR) -> None:
    history = [
        Receipt(received_at=T0, icsr=valid_icsr),
        Receipt(received_at=T0 + timedelta(days=1), icsr=valid_icsr),
    ]
    assert day_zero(history) == T0


def test_no_receipts_means_no_day_zero() -> None:
    assert day_zero([]) is None


def test_day_zero_of_a_web_form_waits_for_the_reporters_contact_details(
    valid_icsr: ICSR,
) -> None:
    anonymous = replace(valid_icsr, primary_sources=(PrimarySource(given_name="Ana"),))
    with_email = replace(
        valid_icsr, primary_sources=(PrimarySource(given_name="Ana", email="ana@example.org"),)
    )
    history = [
        Receipt(received_at=T0, icsr=anonymous, digital_channel=True),
        Receipt(received_at=T0 + timedelta(days=3), icsr=with_email, digital_channel=True),
    ]

    assert day_zero(history) == T0 + timedelta(days=3)


def test_receipts_out_of_order_or_with_naive_times_are_refused(valid_icsr: ICSR) -> None:
    with pytest.raises(ValueError, match="order of arrival"):
        day_zero(
            [
                Receipt(received_at=T0 + timedelta(days=1), icsr=valid_icsr),
                Receipt(received_at=T0, icsr=valid_icsr),
            ]
        )
    with pytest.raises(ValueError, match="timezone-aware"):
        Receipt(received_at=datetime(2024, 3, 15, 9, 0), icsr=valid_icsr)


# --- significant follow-up information -------------------------------------------------


def kinds(before: ICSR, after: ICSR) -> list[ChangeKind]:
    return [c.kind for c in significant_changes(before, after)]


def test_a_new_reaction_is_significant(valid_icsr: ICSR) -> None:
    after = replace(
        valid_icsr, reactions=(*valid_icsr.reactions, Reaction(id="R2", verbatim_native="fever"))
    )
    changes = significant_changes(valid_icsr, after)

    assert [c.kind for c in changes] == [ChangeKind.NEW_REACTION]
    assert changes[0].subject == "R2"
    assert "fever" in changes[0].reason


def test_a_new_suspect_drug_or_a_concomitant_now_suspected_is_significant(
    valid_icsr: ICSR,
) -> None:
    concomitant = Drug(id="G2", role=DrugRole.CONCOMITANT, name_as_reported="Drug Y")
    before = replace(valid_icsr, drugs=(*valid_icsr.drugs, concomitant))
    upgraded = replace(
        before, drugs=(valid_icsr.drugs[0], replace(concomitant, role=DrugRole.SUSPECT))
    )
    added = replace(
        before,
        drugs=(*before.drugs, Drug(id="G3", role=DrugRole.INTERACTING, name_as_reported="Drug Z")),
    )

    assert kinds(before, upgraded) == [ChangeKind.NEW_SUSPECT_DRUG]
    assert "now suspected" in significant_changes(before, upgraded)[0].reason
    assert kinds(before, added) == [ChangeKind.NEW_SUSPECT_DRUG]
    new_concomitant = Drug(id="G4", role=DrugRole.CONCOMITANT, name_as_reported="Aspirin")
    assert kinds(before, replace(before, drugs=(*before.drugs, new_concomitant))) == []


def test_a_seriousness_change_is_significant_both_ways(valid_icsr: ICSR) -> None:
    rash = valid_icsr.reactions[0]
    hospitalised = replace(
        valid_icsr, reactions=(replace(rash, seriousness=Seriousness.of(SC.HOSPITALISATION)),)
    )

    upgrade = significant_changes(valid_icsr, hospitalised)
    assert {c.kind for c in upgrade} == {ChangeKind.SERIOUSNESS_CHANGE}
    assert any("upgraded to serious" in c.reason for c in upgrade)
    downgrade = significant_changes(hospitalised, valid_icsr)
    assert any("downgraded to non-serious" in c.reason for c in downgrade)


def test_an_added_criterion_on_an_already_serious_reaction_is_significant(
    valid_icsr: ICSR,
) -> None:
    rash = replace(valid_icsr.reactions[0], seriousness=Seriousness.of(SC.HOSPITALISATION))
    before = replace(valid_icsr, reactions=(rash,))
    both = Seriousness.of(SC.HOSPITALISATION, SC.DISABLING)
    after = replace(before, reactions=(replace(rash, seriousness=both),))

    changes = significant_changes(before, after)
    assert [c.kind for c in changes] == [ChangeKind.SERIOUSNESS_CHANGE]
    assert changes[0].subject == "R1"


def test_the_patients_death_is_significant(valid_icsr: ICSR) -> None:
    assert valid_icsr.patient is not None
    died = replace(valid_icsr, patient=replace(valid_icsr.patient, death=Death()))
    fatal = replace(
        valid_icsr, reactions=(replace(valid_icsr.reactions[0], outcome=ReactionOutcome.FATAL),)
    )

    assert kinds(valid_icsr, died) == [ChangeKind.DEATH]
    assert kinds(valid_icsr, fatal) == [ChangeKind.DEATH]


def test_new_causality_information_is_significant(valid_icsr: ICSR) -> None:
    def assessed(result: str) -> ICSR:
        row = DrugReactionAssessment(
            reaction_id="R1",
            assessments=(CausalityAssessment(source="Reporter", method="WHO-UMC", result=result),),
        )
        drug = replace(valid_icsr.drugs[0], reaction_assessments=(row,))
        return replace(valid_icsr, drugs=(drug,))

    assert kinds(valid_icsr, assessed("Possible")) == [ChangeKind.CAUSALITY]
    assert kinds(assessed("Possible"), assessed("Probable")) == [ChangeKind.CAUSALITY]
    assert kinds(assessed("Possible"), assessed("possible ")) == []


def test_a_narrative_typo_fix_or_administrative_detail_is_not_significant(
    valid_icsr: ICSR,
) -> None:
    before = replace(valid_icsr, narrative=Narrative(case_narrative="Patinet developed a rash."))
    typo_fixed = replace(before, narrative=Narrative(case_narrative="Patient developed a rash."))
    admin = replace(
        typo_fixed,
        primary_sources=(replace(valid_icsr.primary_sources[0], telephone="+34 600 000 000"),),
        reactions=(replace(valid_icsr.reactions[0], start=PartialDate(year=2024, month=3)),),
    )

    assert significant_changes(before, typo_fixed) == ()
    assert not is_significant(before, admin)


def test_a_significant_follow_up_starts_a_new_clock_and_a_trivial_one_does_not(
    valid_icsr: ICSR,
) -> None:
    incomplete = replace(valid_icsr, reactions=())
    typo = replace(valid_icsr, narrative=Narrative(case_narrative="typo fixed"))
    serious = replace(
        typo,
        reactions=(replace(valid_icsr.reactions[0], seriousness=Seriousness.of(SC.DEATH)),),
    )
    history = [
        Receipt(received_at=T0, icsr=incomplete, message_id="m1"),
        Receipt(received_at=T0 + timedelta(days=1), icsr=valid_icsr, message_id="m2"),
        Receipt(received_at=T0 + timedelta(days=4), icsr=typo, message_id="m3"),
        Receipt(received_at=T0 + timedelta(days=9), icsr=serious, message_id="m4"),
    ]

    clocks = reporting_clocks(history)

    assert [(c.day_zero, c.follow_up, c.message_id) for c in clocks] == [
        (T0 + timedelta(days=1), False, "m2"),
        (T0 + timedelta(days=9), True, "m4"),
    ]
    assert {c.kind for c in clocks[1].changes} == {ChangeKind.SERIOUSNESS_CHANGE, ChangeKind.DEATH}
