"""Duplicate detection: facts, scores with their reasons, candidates and blocking keys."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from gateway.domain.codes import DrugRole, Qualification, Sex
from gateway.domain.drug import Drug, Substance
from gateway.domain.duplicates import (
    CaseFacts,
    MatchKind,
    blocking_keys,
    facts_of,
    find_candidates,
    normalise_contact,
    normalise_product,
    score,
)
from gateway.domain.icsr import ICSR
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import OtherCaseId, PrimarySource, ReportIdentification
from gateway.domain.values import MedDRATerm, NullFlavor, PartialDate, Quantity

D = PartialDate.parse
HEPATITIS = MedDRATerm(version="27.0", code="10019717")


def email_report() -> ICSR:
    """The patient writes in herself: "I'm Jane Doe, born 12/05/1961 ..."."""
    return ICSR(
        primary_sources=(PrimarySource(given_name="Jane", email="Jane.Doe@example.org"),),
        patient=Patient(name_or_initials="Jane Doe", birth_date=D("19610512"), sex=Sex.FEMALE),
        drugs=(Drug(id="G1", role=DrugRole.SUSPECT, name_as_reported="Drugxol® 20mg tablets"),),
        reactions=(Reaction(id="R1", verbatim_native="Hepatitis", start=D("20240310")),),
    )


def partner_report() -> ICSR:
    """Her physician's report of the same episode, forwarded by a partner as E2B."""
    return ICSR(
        report=ReportIdentification(
            safety_report_id="DE-PARTNER-2024-0042", worldwide_case_id="DE-PARTNER-2024-0042"
        ),
        primary_sources=(
            PrimarySource(
                family_name="Weber",
                telephone="+49 30 1234567",
                qualification=Qualification.PHYSICIAN,
            ),
        ),
        patient=Patient(
            name_or_initials="J.D.",
            birth_date=D("19610512"),
            age_at_onset=Quantity(value=Decimal(62), unit="a"),
            sex=Sex.FEMALE,
        ),
        drugs=(
            Drug(
                id="D1",
                role=DrugRole.SUSPECT,
                name_as_reported="DRUGXOL",
                substances=(Substance(name="drugxolamine"),),
            ),
        ),
        reactions=(
            Reaction(id="E1", verbatim_native="hepatitis", term=HEPATITIS, start=D("20240311")),
        ),
    )


def fields(facts_a: CaseFacts, facts_b: CaseFacts) -> dict[str, MatchKind]:
    return {m.field: m.kind for m in score(facts_a, facts_b).matching}


# --- facts -----------------------------------------------------------------------------


def test_facts_are_normalised_for_comparison() -> None:
    facts = facts_of(
        "C1",
        email_report(),
        source_ids=["<abc@mail.example>"],
        reporter_contact="whatsapp:+34600000000",
    )

    assert facts.patient_initials == "JD"
    assert facts.sex is Sex.FEMALE
    assert facts.products == {"drugxol"}
    assert facts.reaction_terms == {"hepatitis"}
    assert facts.reporter_contacts == {"email:jane.doe@example.org", "tel:600000000"}
    assert facts.source_ids == {"abc@mail.example"}


def test_masked_patient_details_are_left_out_of_the_facts() -> None:
    icsr = replace(
        email_report(),
        patient=Patient(
            name_or_initials=NullFlavor.MSK, birth_date=NullFlavor.MSK, sex=NullFlavor.UNK
        ),
    )
    facts = facts_of("C1", icsr)

    assert (facts.patient_initials, facts.birth_date, facts.sex) == (None, None, None)


def test_source_ids_include_c11_c181_and_other_case_ids() -> None:
    icsr = replace(
        partner_report(),
        report=ReportIdentification(
            safety_report_id="FR-ACME-1",
            worldwide_case_id="DE-PARTNER-1",
            other_case_ids=(OtherCaseId(source="Regulator", case_id="FR-ANSM-9"),),
            linked_report_ids=("DE-PARTNER-2",),  # a linked case (mother/child) is no duplicate
        ),
    )

    assert facts_of("C1", icsr).source_ids == {"FR-ACME-1", "DE-PARTNER-1", "FR-ANSM-9"}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Drugxol® 20mg tablets", "drugxol"),
        ("DRUGXOL 20 mg film-coated tablets", "drugxol"),
        ("Drügxol", "drugxol"),
        ("Vitamin B12", "vitamin b12"),
        ("500 mg", "500 mg"),  # nothing but noise: keep what there is
    ],
)
def test_product_names_lose_strength_and_dose_form(name: str, key: str) -> None:
    assert normalise_product(name) == key


def test_contacts_normalise_emails_and_phone_numbers() -> None:
    assert normalise_contact(" Mailto:Ana@Example.ORG ") == "email:ana@example.org"
    assert normalise_contact("+34 600-000-000") == normalise_contact("600000000")
    assert normalise_contact("n/a") is None


# --- scores ----------------------------------------------------------------------------


def test_the_same_patient_reported_through_another_channel_scores_high() -> None:
    a = facts_of("C1", email_report(), reporter_contact="jane.doe@example.org")
    b = facts_of("C2", partner_report())

    result = score(a, b)

    assert result.score >= 0.8
    assert not result.exact_duplicate
    assert fields(a, b) == {
        "patient_initials": MatchKind.MATCH,
        "birth_date_or_age": MatchKind.MATCH,
        "sex": MatchKind.MATCH,
        "onset_date": MatchKind.MATCH,  # one day apart, within tolerance
        "product": MatchKind.MATCH,
        "reaction": MatchKind.MATCH,
    }
    assert result.conflicts == ()
    assert score(b, a).score == result.score


def test_a_different_sex_makes_an_otherwise_similar_pair_unlikely() -> None:
    male = replace(
        partner_report(), patient=replace(partner_report().patient or Patient(), sex=Sex.MALE)
    )
    a, b = facts_of("C1", email_report()), facts_of("C2", male)

    result = score(a, b)

    assert result.score < 0.6
    assert [m.field for m in result.conflicts] == ["sex"]
    assert result.conflicts[0].weight < 0
    assert (result.conflicts[0].a_value, result.conflicts[0].b_value) == ("female", "male")


def test_a_different_date_of_birth_is_a_conflict() -> None:
    other = replace(
        partner_report(),
        patient=Patient(name_or_initials="JD", birth_date=D("19710203"), sex=Sex.FEMALE),
    )
    result = score(facts_of("C1", email_report()), facts_of("C2", other))

    assert [m.field for m in result.conflicts] == ["birth_date_or_age"]
    assert result.score < 0.6


def test_a_shared_worldwide_case_id_is_an_exact_duplicate_whatever_the_content() -> None:
    resent = ICSR(
        report=ReportIdentification(
            safety_report_id="ES-ACME-7", worldwide_case_id="DE-PARTNER-2024-0042"
        )
    )
    result = score(facts_of("C2", partner_report()), facts_of("C9", resent))

    assert result.exact_duplicate
    assert result.score == 1.0
    assert [(m.field, m.a_value) for m in result.matching] == [
        ("source_id", "DE-PARTNER-2024-0042")
    ]


def test_the_same_message_id_received_twice_is_an_exact_duplicate() -> None:
    a = facts_of("C1", ICSR(), source_ids=["SM0123456789abcdef"])
    b = facts_of("C2", ICSR(), source_ids=["SM0123456789abcdef"])

    assert score(a, b).exact_duplicate


def test_missing_fields_do_not_count_as_matches() -> None:
    sparse = ICSR(reactions=(Reaction(id="R1", verbatim_native="rash"),))
    result = score(facts_of("C1", sparse), facts_of("C2", sparse))

    assert [m.field for m in result.matching] == ["reaction"]
    assert result.score == pytest.approx(0.2)
    assert score(facts_of("C1", ICSR()), facts_of("C2", ICSR())).score == 0.0


def test_loose_matches_count_partly() -> None:
    a = CaseFacts(case_id="A", patient_initials="JD", onset_dates=(D("202403"),))
    b = CaseFacts(case_id="B", patient_initials="JMD", onset_dates=(D("20240311"),))

    result = score(a, b)

    assert fields(a, b) == {"patient_initials": MatchKind.PARTIAL, "onset_date": MatchKind.PARTIAL}
    assert result.score == pytest.approx(0.15 * 0.5 + 0.15 * 0.5)


def test_onset_dates_further_apart_than_the_tolerance_conflict() -> None:
    a = CaseFacts(case_id="A", onset_dates=(D("20240301"),))
    near = CaseFacts(case_id="B", onset_dates=(D("20240304"),))
    far = CaseFacts(case_id="C", onset_dates=(D("20240320"),))

    assert fields(a, near) == {"onset_date": MatchKind.MATCH}
    assert fields(a, far) == {"onset_date": MatchKind.CONFLICT}


def test_ages_match_within_a_year_and_an_age_can_meet_a_date_of_birth() -> None:
    aged = CaseFacts(case_id="A", age_years=62.0)
    close = CaseFacts(case_id="B", age_years=62.9)
    far = CaseFacts(case_id="C", age_years=45.0)
    born = CaseFacts(case_id="D", birth_date=D("19610512"), onset_dates=(D("20240310"),))

    assert fields(aged, close) == {"birth_date_or_age": MatchKind.MATCH}
    assert fields(aged, far) == {"birth_date_or_age": MatchKind.CONFLICT}
    assert fields(aged, born) == {"birth_date_or_age": MatchKind.PARTIAL}


def test_reporter_contact_matches_but_different_reporters_are_no_conflict() -> None:
    a = CaseFacts(case_id="A", reporter_contacts=frozenset({"email:jane@example.org"}))
    same = CaseFacts(case_id="B", reporter_contacts=frozenset({"email:jane@example.org"}))
    other = CaseFacts(case_id="C", reporter_contacts=frozenset({"tel:301234567"}))

    assert fields(a, same) == {"reporter_contact": MatchKind.MATCH}
    assert score(a, other).matching == ()


def test_a_product_named_slightly_differently_is_a_loose_match() -> None:
    a = CaseFacts(case_id="A", products=frozenset({"drugxolamine"}))
    b = CaseFacts(case_id="B", products=frozenset({"drugxolamin"}))

    assert fields(a, b) == {"product": MatchKind.PARTIAL}


# --- candidates and blocking -----------------------------------------------------------


def test_find_candidates_returns_likely_duplicates_best_first_and_skips_the_case_itself() -> None:
    new = facts_of("NEW", email_report(), reporter_contact="jane.doe@example.org")
    same_patient = facts_of("C2", partner_report())
    same_reporter = facts_of("C3", email_report(), reporter_contact="jane.doe@example.org")
    stranger = facts_of(
        "C4", replace(partner_report(), patient=Patient(name_or_initials="KL", sex=Sex.MALE))
    )

    found = find_candidates(new, [stranger, new, same_patient, same_reporter])

    assert (found[0][0].case_id, found[0][1].score) == ("C3", 1.0)
    assert [f.case_id for f, _ in found] == ["C3", "C2"]
    assert all(s.score >= 0.6 for _, s in found)
    assert find_candidates(new, [same_patient], threshold=0.95) == []


def test_likely_duplicates_share_a_blocking_key() -> None:
    a = facts_of("C1", email_report(), reporter_contact="jane.doe@example.org")
    b = facts_of("C2", partner_report())

    shared = blocking_keys(a) & blocking_keys(b)

    assert "patient:JD:2" in shared
    assert "dob:19610512" in shared
    assert "product-onset:drugxol:202403" in shared


def test_blocking_keys_cover_source_ids_and_contacts() -> None:
    facts = facts_of("C2", partner_report(), source_ids=["<m1@x>"])

    keys = blocking_keys(facts)

    assert {"id:DE-PARTNER-2024-0042", "id:m1@x", "contact:tel:301234567"} <= keys
    assert blocking_keys(CaseFacts(case_id="empty")) == frozenset()
