"""Seriousness, ADR, expectedness and expedited reporting of a case."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from gateway.domain.catalogue import Product, ProductCatalogue
from gateway.domain.classification import (
    CatalogueListedEvents,
    Classification,
    catalogue_product_id,
    classify,
    default_product_id,
    excludes_causality,
)
from gateway.domain.codes import (
    DrugRole,
    ReactionOutcome,
    ReportType,
    StudyType,
    TermHighlighted,
)
from gateway.domain.codes import SeriousnessCriterion as SC
from gateway.domain.drug import CausalityAssessment, Drug, DrugReactionAssessment, Substance
from gateway.domain.icsr import ICSR
from gateway.domain.patient import Death
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource, ReportIdentification, Study
from gateway.domain.values import Coded, MedDRATerm


class Listed:
    """A reference safety information fake: product id -> listed terms."""

    def __init__(self, listed: dict[str, set[str]]) -> None:
        self.listed = listed
        self.asked: list[tuple[str, str]] = []

    def is_listed(self, product_id: str, pt_code_or_name: str) -> bool:
        self.asked.append((product_id, pt_code_or_name))
        return pt_code_or_name.lower() in self.listed.get(product_id, set())


RSI = Listed({"Drug X 500 mg tablets": {"skin rash", "10037844"}})


def with_reaction(icsr: ICSR, **changes: Any) -> ICSR:
    return replace(icsr, reactions=(replace(icsr.reactions[0], **changes),))


def spontaneous(icsr: ICSR, **kwargs: Any) -> Classification:
    return classify(icsr, listed=RSI, report_type=ReportType.SPONTANEOUS, **kwargs)


def rule_ids(c: Classification, region: str | None = None) -> list[str]:
    return [r.id for r in (c.rules if region is None else c.rules_for(region))]


# --- seriousness -----------------------------------------------------------------------


def test_a_case_without_seriousness_flags_is_non_serious(valid_icsr: ICSR) -> None:
    c = spontaneous(valid_icsr)

    assert not c.serious
    assert c.criteria == frozenset()
    assert not c.fatal_or_life_threatening
    assert "no seriousness criterion: non-serious" in c.rationale


def test_seriousness_is_the_union_of_the_reactions_flags(valid_icsr: ICSR) -> None:
    second = Reaction(id="R2", verbatim_native="syncope", seriousness=Seriousness.of(SC.DISABLING))
    icsr = replace(
        with_reaction(valid_icsr, seriousness=Seriousness.of(SC.HOSPITALISATION)),
        reactions=(
            replace(valid_icsr.reactions[0], seriousness=Seriousness.of(SC.HOSPITALISATION)),
            second,
        ),
    )
    c = spontaneous(icsr)

    assert c.serious
    assert c.criteria == {SC.HOSPITALISATION, SC.DISABLING}
    assert not c.fatal_or_life_threatening


@pytest.mark.parametrize("criterion", [SC.DEATH, SC.LIFE_THREATENING])
def test_death_or_life_threatening_is_fatal_or_life_threatening(
    valid_icsr: ICSR, criterion: SC
) -> None:
    c = spontaneous(with_reaction(valid_icsr, seriousness=Seriousness.of(criterion)))

    assert c.serious
    assert c.fatal_or_life_threatening


def test_a_fatal_outcome_without_the_death_flag_counts_as_death_and_is_noted(
    valid_icsr: ICSR,
) -> None:
    c = spontaneous(with_reaction(valid_icsr, outcome=ReactionOutcome.FATAL))

    assert c.criteria == {SC.DEATH}
    assert any("without the death flag" in line for line in c.rationale)


def test_inconsistent_seriousness_information_is_flagged_not_guessed(valid_icsr: ICSR) -> None:
    assert valid_icsr.patient is not None
    icsr = replace(
        with_reaction(valid_icsr, term_highlighted=TermHighlighted.YES_SERIOUS),
        patient=replace(valid_icsr.patient, death=Death()),
    )
    c = spontaneous(icsr)

    assert not c.serious
    assert any("E.i.3.1 says serious" in line for line in c.rationale)
    assert any("patient died (D.9)" in line for line in c.rationale)


# --- ADR (suspected causality) ---------------------------------------------------------


def assessed(icsr: ICSR, *assessments: CausalityAssessment) -> ICSR:
    row = DrugReactionAssessment(reaction_id="R1", assessments=assessments)
    return replace(icsr, drugs=(replace(icsr.drugs[0], reaction_assessments=(row,)),))


REPORTER_UNRELATED = CausalityAssessment(
    source="Primary source", method="Global", result="Not related"
)
SENDER_UNLIKELY = CausalityAssessment(source="Sender", method="WHO-UMC", result="Unlikely")
INVESTIGATOR_POSSIBLE = CausalityAssessment(source="Reporter", method="WHO-UMC", result="Possible")


def test_a_spontaneous_report_is_an_adr_by_default(valid_icsr: ICSR) -> None:
    assert spontaneous(valid_icsr).adr


def test_the_company_cannot_downgrade_a_spontaneous_report_but_the_reporter_can(
    valid_icsr: ICSR,
) -> None:
    assert spontaneous(assessed(valid_icsr, SENDER_UNLIKELY)).adr
    c = spontaneous(assessed(valid_icsr, REPORTER_UNRELATED))
    assert not c.adr
    assert any("reporter excludes a causal link" in line for line in c.rationale)


def test_a_study_report_is_an_adr_when_any_assessment_leaves_a_reasonable_possibility(
    valid_icsr: ICSR,
) -> None:
    def study_adr(icsr: ICSR) -> bool:
        return classify(icsr, listed=RSI, report_type=ReportType.STUDY, study=True).adr

    assert study_adr(assessed(valid_icsr, SENDER_UNLIKELY, INVESTIGATOR_POSSIBLE))
    assert not study_adr(assessed(valid_icsr, SENDER_UNLIKELY, REPORTER_UNRELATED))
    assert study_adr(valid_icsr)  # not assessed yet: suspected until assessed


@pytest.mark.parametrize(
    ("method", "result", "excludes"),
    [
        ("WHO-UMC", "Unlikely", True),
        ("WHO-UMC", "Possible", False),
        ("WHO-UMC", "Unassessable/Unclassifiable", False),
        ("WHO-UMC", "Conditional", False),
        ("Naranjo", "0", True),
        ("Naranjo", "-1", True),
        ("Naranjo", "3", False),
        ("Global", "not related", True),
        ("Global", "a causal relationship cannot be excluded", False),
        ("Global", "Not excluded", False),
        ("Global", "Related", False),
        ("Binary", "No", True),
    ],
)
def test_which_causality_results_exclude_a_causal_link(
    method: str, result: str, excludes: bool
) -> None:
    assert excludes_causality(CausalityAssessment(method=method, result=result)) is excludes


# --- expectedness ----------------------------------------------------------------------


def test_expectedness_is_per_suspect_drug_and_reaction(valid_icsr: ICSR) -> None:
    other = Drug(id="G2", role=DrugRole.INTERACTING, name_as_reported="Drug Y")
    concomitant = Drug(id="G3", role=DrugRole.CONCOMITANT, name_as_reported="Paracetamol")
    icsr = replace(valid_icsr, drugs=(*valid_icsr.drugs, other, concomitant))

    c = spontaneous(icsr)

    assert c.expected == {("G1", "R1"): True, ("G2", "R1"): False}
    assert c.expectedness("G1", "R1") is True
    assert c.unexpected_any


def test_a_listed_event_matched_by_its_meddra_code_is_expected(valid_icsr: ICSR) -> None:
    icsr = with_reaction(
        valid_icsr,
        verbatim_native="pruritic eruption",
        term=MedDRATerm(version="27.0", code="10037844"),
    )
    c = spontaneous(icsr)

    assert c.expected == {("G1", "R1"): True}
    assert not c.unexpected_any


def test_a_listed_event_with_a_fatal_outcome_is_unexpected(valid_icsr: ICSR) -> None:
    c = spontaneous(with_reaction(valid_icsr, seriousness=Seriousness.of(SC.DEATH)))

    assert c.expected == {("G1", "R1"): False}
    assert any("greater severity" in line for line in c.rationale)
    relaxed = spontaneous(
        with_reaction(valid_icsr, seriousness=Seriousness.of(SC.DEATH)),
        fatal_listed_is_unexpected=False,
    )
    assert relaxed.expected == {("G1", "R1"): True}


def test_without_reference_safety_information_expectedness_is_unknown_and_treated_as_unexpected(
    valid_icsr: ICSR,
) -> None:
    c = classify(valid_icsr, listed=None, report_type=ReportType.SPONTANEOUS)

    assert c.expected == {("G1", "R1"): None}
    assert c.unexpected_any
    assert "unknown expectedness is treated as unexpected for reporting" in c.rationale


def test_products_are_looked_up_by_code_name_or_substance() -> None:
    assert default_product_id(Drug(id="G", mpid=Coded(code="MPID-1"), name_as_reported="X")) == (
        "MPID-1"
    )
    assert default_product_id(Drug(id="G", substances=(Substance(name=" drugxol "),))) == "drugxol"
    assert default_product_id(Drug(id="G")) is None


def test_a_product_resolver_maps_drugs_to_catalogue_products(valid_icsr: ICSR) -> None:
    catalogue = Listed({"prod-1": {"skin rash"}})
    c = classify(
        valid_icsr,
        listed=catalogue,
        report_type=ReportType.SPONTANEOUS,
        product_id_of=lambda drug: "prod-1",
    )

    assert c.expected == {("G1", "R1"): True}
    assert catalogue.asked == [("prod-1", "skin rash")]


# --- expedited reporting ---------------------------------------------------------------

SERIOUS = Seriousness.of(SC.HOSPITALISATION)


def test_a_serious_expected_spontaneous_case_is_expedited_in_the_eu_but_not_the_us(
    valid_icsr: ICSR,
) -> None:
    c = spontaneous(with_reaction(valid_icsr, seriousness=SERIOUS))

    assert c.expedited
    assert rule_ids(c, "EU") == ["EU-PM-SERIOUS-15"]
    assert rule_ids(c, "US") == []


def test_a_serious_unexpected_spontaneous_case_is_expedited_in_the_eu_and_the_us(
    valid_icsr: ICSR,
) -> None:
    c = spontaneous(with_reaction(valid_icsr, seriousness=SERIOUS, verbatim_native="hepatitis"))

    assert c.expedited
    assert rule_ids(c) == ["EU-PM-SERIOUS-15", "US-PM-SERIOUS-UNEXPECTED-15"]


def test_serious_and_unexpected_must_hold_for_the_same_reaction(valid_icsr: ICSR) -> None:
    serious_listed = replace(valid_icsr.reactions[0], seriousness=SERIOUS)
    mild_unlisted = Reaction(id="R2", verbatim_native="headache")
    c = spontaneous(replace(valid_icsr, reactions=(serious_listed, mild_unlisted)))

    assert c.serious
    assert c.unexpected_any
    assert rule_ids(c, "US") == []


def test_a_non_serious_case_is_not_expedited_but_due_in_90_days_when_it_occurred_in_the_eea(
    valid_icsr: ICSR,
) -> None:
    in_spain = spontaneous(with_reaction(valid_icsr, country="ES"))
    in_usa = spontaneous(with_reaction(valid_icsr, country="US"))

    assert not in_spain.expedited
    assert rule_ids(in_spain) == ["EU-PM-NONSERIOUS-EEA-90"]
    assert in_usa.rules == ()
    assert not in_usa.eea_occurrence


def test_the_country_of_occurrence_falls_back_to_the_reporters_country(
    valid_icsr: ICSR,
) -> None:
    swiss = replace(valid_icsr, primary_sources=(PrimarySource(given_name="Urs", country="CH"),))
    unknown = replace(valid_icsr, primary_sources=(PrimarySource(given_name="Ana"),))

    assert spontaneous(swiss).rules == ()
    c = spontaneous(unknown)
    assert rule_ids(c) == ["EU-PM-NONSERIOUS-EEA-90"]
    assert any("country of occurrence unknown" in line for line in c.rationale)


def test_a_fatal_unexpected_clinical_trial_case_is_due_in_7_days(valid_icsr: ICSR) -> None:
    trial = replace(
        with_reaction(
            valid_icsr,
            seriousness=Seriousness.of(SC.LIFE_THREATENING),
            verbatim_native="anaphylaxis",
        ),
        study=Study(name="ACME-301", study_type=StudyType.CLINICAL_TRIAL),
    )
    c = classify(trial, listed=RSI, report_type=ReportType.STUDY)

    assert c.study
    assert c.expedited
    assert rule_ids(c, "US") == ["US-CT-FATAL-LT-UNEXPECTED-7", "US-CT-SERIOUS-UNEXPECTED-15"]
    assert c.rules[0].days == 7


def test_a_serious_expected_trial_case_or_an_unrelated_one_is_not_expedited(
    valid_icsr: ICSR,
) -> None:
    trial = replace(
        with_reaction(valid_icsr, seriousness=SERIOUS),
        study=Study(study_type=StudyType.CLINICAL_TRIAL),
    )
    assert not classify(trial, listed=RSI, report_type=ReportType.STUDY).expedited

    unrelated = assessed(
        with_reaction(trial, verbatim_native="fracture"), SENDER_UNLIKELY, REPORTER_UNRELATED
    )
    c = classify(unrelated, listed=RSI, report_type=ReportType.STUDY)
    assert not c.adr
    assert not c.expedited


def test_a_non_interventional_study_follows_the_post_authorisation_rules(
    valid_icsr: ICSR,
) -> None:
    observational = replace(
        with_reaction(valid_icsr, seriousness=SERIOUS),
        study=Study(study_type=StudyType.OTHER_STUDY),
    )
    c = classify(observational, listed=RSI, report_type=ReportType.STUDY)

    assert not c.study
    assert rule_ids(c, "EU") == ["EU-PM-SERIOUS-15"]


def test_the_report_type_defaults_to_the_icsrs_c13(valid_icsr: ICSR) -> None:
    trial = replace(
        with_reaction(valid_icsr, seriousness=SERIOUS, verbatim_native="hepatitis"),
        report=ReportIdentification(report_type=ReportType.STUDY),
    )
    c = classify(trial, listed=RSI)

    assert c.study  # study type not given: treated as a clinical trial
    assert rule_ids(c, "US") == ["US-CT-SERIOUS-UNEXPECTED-15"]


def test_the_rationale_names_each_applicable_rule(valid_icsr: ICSR) -> None:
    c = spontaneous(with_reaction(valid_icsr, seriousness=SERIOUS))

    assert any(line.startswith("rule EU-PM-SERIOUS-15") for line in c.rationale)
    assert "reaction 'R1' serious: hospitalisation" in c.rationale


def test_the_product_catalogue_resolves_brands_and_answers_expectedness(
    valid_icsr: ICSR,
) -> None:
    catalogue = ProductCatalogue(
        [
            Product(
                id="P-DRUGX",
                brand_names=("Drug X",),
                active_substances=("drugxolamine",),
                listed_events=("Skin rash",),
            )
        ]
    )
    by_substance = Drug(
        id="G2", role=DrugRole.SUSPECT, substances=(Substance(name="Drugxolamine"),)
    )
    unknown = Drug(id="G3", role=DrugRole.SUSPECT, name_as_reported="Zzyzx")
    icsr = replace(valid_icsr, drugs=(*valid_icsr.drugs, by_substance, unknown))

    c = classify(
        icsr,
        listed=CatalogueListedEvents(catalogue),
        report_type=ReportType.SPONTANEOUS,
        product_id_of=catalogue_product_id(catalogue),
    )

    assert c.expected == {("G1", "R1"): True, ("G2", "R1"): True, ("G3", "R1"): None}
    assert any("G3" in line and "product not identified" in line for line in c.rationale)
