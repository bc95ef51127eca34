"""The QC checklist: completeness by seriousness, MedDRA currency and consistency with the
verbatim, plausible dates, consistent identifiers and the deadline status."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from gateway.domain.causality import with_assessment
from gateway.domain.codes import DrugRole, Qualification, ReactionOutcome, SeriousnessCriterion, Sex
from gateway.domain.drug import Dosage, Drug
from gateway.domain.icsr import ICSR
from gateway.domain.meddra import MedDRACoder, load_distribution
from gateway.domain.narrative import Narrative
from gateway.domain.patient import Patient
from gateway.domain.quality import (
    CheckItem,
    CheckResult,
    QualityContext,
    QualityReport,
    Severity,
    SubmissionClock,
    run_checklist,
)
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource, ReportIdentification
from gateway.domain.values import MedDRATerm, PartialDate, Quantity

MEDDRA = Path(__file__).resolve().parents[2] / "data" / "meddra"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
D = PartialDate.parse


@pytest.fixture(scope="module")
def coder() -> MedDRACoder:
    return MedDRACoder(load_distribution(MEDDRA))


def complete_case(*, serious: bool = True) -> ICSR:
    """A case that passes every check: coded, dated, assessed, narrated."""
    reaction = Reaction(
        id="R1",
        verbatim_native="Headache",
        term=MedDRATerm(version="27.0", code="94000001"),
        seriousness=Seriousness.of(SeriousnessCriterion.HOSPITALISATION)
        if serious
        else Seriousness(),
        start=D("20260301"),
        end=D("20260304"),
        outcome=ReactionOutcome.RECOVERED,
    )
    drug = Drug(
        id="D1",
        role=DrugRole.SUSPECT,
        name_as_reported="Zentravia 500 mg",
        dosages=(
            Dosage(
                dose=Quantity(value=Decimal(500), unit="mg"),
                route="oral",
                start=D("20260225"),
                end=D("20260302"),
            ),
        ),
    )
    icsr = ICSR(
        report=ReportIdentification(
            safety_report_id="ES-ACME-C123",
            worldwide_case_id="ES-ACME-C123",
            first_received=D("20260303"),
            most_recent_info=D("20260305"),
        ),
        primary_sources=(
            PrimarySource(
                given_name="Ana", family_name="Ruiz", qualification=Qualification.PHYSICIAN
            ),
        ),
        patient=Patient(name_or_initials="JD", sex=Sex.FEMALE, birth_date=D("19700101")),
        reactions=(reaction,),
        drugs=(drug,),
        narrative=Narrative(case_narrative="A 56-year-old woman developed headache."),
    )
    return with_assessment(
        icsr, drug_id="D1", reaction_id="R1", method="WHO-UMC", result="Probable/Likely"
    )


def check(report: QualityReport, check_id: str) -> CheckItem:
    [item] = [i for i in report.items if i.id == check_id]
    return item


def run(icsr: ICSR, coder: MedDRACoder | None = None, **context: object) -> QualityReport:
    return run_checklist(icsr, QualityContext(now=NOW, coder=coder, **context))  # type: ignore[arg-type]


def failed(report: QualityReport) -> set[str]:
    return {i.id for i in report.items if i.result is CheckResult.FAIL}


def with_reaction(icsr: ICSR, **changes: Any) -> ICSR:
    return replace(icsr, reactions=(replace(icsr.reactions[0], **changes),))


def with_dosage(icsr: ICSR, **changes: Any) -> ICSR:
    drug = icsr.drugs[0]
    return replace(icsr, drugs=(replace(drug, dosages=(replace(drug.dosages[0], **changes),)),))


# -- overall ---------------------------------------------------------------------------------
def test_complete_serious_case_passes_every_check(coder: MedDRACoder) -> None:
    report = run(complete_case(), coder)
    assert failed(report) == set()
    assert report.passed
    assert report.serious
    assert report.meddra_version == "27.0"


def test_items_carry_id_severity_result_and_message(coder: MedDRACoder) -> None:
    report = run(complete_case(), coder)
    ids = [i.id for i in report.items]
    assert len(ids) == len(set(ids))
    for item in report.items:
        data = item.as_mapping()
        assert set(data) == {"id", "title", "severity", "result", "message", "paths"}
        assert item.message


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run_checklist(ICSR(), QualityContext(now=datetime(2026, 1, 1)))


# -- minimum criteria and completeness -------------------------------------------------------
def test_missing_minimum_criterion_is_blocking(coder: MedDRACoder) -> None:
    report = run(replace(complete_case(), primary_sources=()), coder)
    item = check(report, "minimum_criteria")
    assert item.blocks
    assert "identifiable_reporter" in item.paths
    assert not report.passed


def test_serious_case_without_outcome_onset_dose_route_is_blocked(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), outcome=ReactionOutcome.UNKNOWN, start=None, end=None)
    icsr = with_dosage(icsr, dose=None, route=None)
    report = run(icsr, coder)
    for check_id in ("completeness.outcome", "completeness.onset", "completeness.dose_route"):
        item = check(report, check_id)
        assert item.blocks, check_id
    assert "no route of administration" in check(report, "completeness.dose_route").message


def test_non_serious_case_gaps_are_only_warnings(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(serious=False), outcome=None, start=None, end=None)
    report = run(replace(icsr, narrative=Narrative()), coder)
    for check_id in ("completeness.outcome", "completeness.onset", "completeness.narrative"):
        item = check(report, check_id)
        assert item.result is CheckResult.FAIL
        assert item.severity is Severity.WARNING
    assert report.passed
    assert len(report.warnings) >= 3


def test_serious_case_without_company_causality_is_blocked(coder: MedDRACoder) -> None:
    icsr = complete_case()
    bare = replace(icsr, drugs=(replace(icsr.drugs[0], reaction_assessments=()),))
    item = check(run(bare, coder), "completeness.causality")
    assert item.blocks
    assert "'Zentravia 500 mg'" in item.message
    assert "'Headache'" in item.message


def test_dosage_text_counts_as_dose(coder: MedDRACoder) -> None:
    icsr = with_dosage(complete_case(), dose=None, text="one tablet twice daily")
    assert check(run(icsr, coder), "completeness.dose_route").result is CheckResult.PASS


def test_missing_patient_age_and_sex_is_a_warning(coder: MedDRACoder) -> None:
    icsr = replace(complete_case(), patient=Patient(name_or_initials="JD"))
    item = check(run(icsr, coder), "completeness.patient")
    assert item.result is CheckResult.FAIL
    assert item.severity is Severity.WARNING


# -- MedDRA ----------------------------------------------------------------------------------
def test_uncoded_reaction_is_blocking(coder: MedDRACoder) -> None:
    item = check(run(with_reaction(complete_case(), term=None), coder), "meddra.coded")
    assert item.blocks
    assert item.paths == ("reactions[0].term",)


def test_non_current_llt_is_blocking(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), term=MedDRATerm(version="27.0", code="96000006"))
    item = check(run(icsr, coder), "meddra.known_current")
    assert item.blocks
    assert "'Head ache' is not current" in item.message


def test_unknown_llt_is_blocking(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), term=MedDRATerm(version="27.0", code="99999999"))
    assert "not in MedDRA 27.0" in check(run(icsr, coder), "meddra.known_current").message


def test_term_from_another_meddra_version_is_a_warning(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), term=MedDRATerm(version="26.1", code="94000001"))
    item = check(run(icsr, coder), "meddra.version")
    assert item.result is CheckResult.FAIL
    assert item.severity is Severity.WARNING
    assert "26.1" in item.message
    assert "27.0" in item.message


def test_verbatim_coding_to_another_llt_is_a_warning(coder: MedDRACoder) -> None:
    # the verbatim says nausea, the code says headache
    icsr = with_reaction(complete_case(), verbatim_native="Nausea")
    item = check(run(icsr, coder), "meddra.verbatim")
    assert item.result is CheckResult.FAIL
    assert item.severity is Severity.WARNING
    assert "94000028" in item.message
    assert "94000001" in item.message
    assert run(icsr, coder).passed


def test_verbatim_the_coder_cannot_code_is_no_finding(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), verbatim_native="zzqx unreadable")
    assert check(run(icsr, coder), "meddra.verbatim").result is CheckResult.PASS


def test_without_a_dictionary_meddra_checks_are_not_applicable() -> None:
    report = run(complete_case())
    for check_id in ("meddra.known_current", "meddra.version", "meddra.verbatim"):
        item = check(report, check_id)
        assert item.result is CheckResult.NOT_APPLICABLE
        assert "ICSR_MEDDRA_DIR" in item.message
    assert check(report, "meddra.coded").result is CheckResult.PASS


# -- dates -----------------------------------------------------------------------------------
def test_future_onset_is_blocking(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), start=D("20260401"), end=None)
    item = check(run(icsr, coder), "dates.not_future")
    assert item.blocks
    assert "reactions[0].start" in item.paths


def test_partial_date_covering_today_is_not_in_the_future(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), end=D("202603"))
    assert check(run(icsr, coder), "dates.not_future").result is CheckResult.PASS


def test_reaction_ending_before_it_starts_is_blocking(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), start=D("20260304"), end=D("20260301"))
    item = check(run(icsr, coder), "dates.order")
    assert item.blocks
    assert "ends before it starts" in item.message


def test_dosage_ending_before_it_starts_is_blocking(coder: MedDRACoder) -> None:
    icsr = with_dosage(complete_case(), start=D("20260302"), end=D("20260225"))
    assert check(run(icsr, coder), "dates.order").blocks


def test_most_recent_information_before_first_receipt_is_blocking(coder: MedDRACoder) -> None:
    icsr = complete_case()
    icsr = replace(
        icsr,
        report=replace(icsr.report, first_received=D("20260305"), most_recent_info=D("20260303")),
    )
    assert "C.1.5" in check(run(icsr, coder), "dates.order").message


def test_onset_before_birth_is_blocking(coder: MedDRACoder) -> None:
    icsr = complete_case()
    icsr = replace(icsr, patient=replace(icsr.patient, birth_date=D("20260302")))  # type: ignore[type-var]
    assert "before the patient's birth" in check(run(icsr, coder), "dates.order").message


def test_onset_before_first_drug_start_is_a_warning(coder: MedDRACoder) -> None:
    icsr = with_dosage(complete_case(), start=D("20260302"), end=D("20260303"))
    icsr = with_reaction(icsr, start=D("20260301"))
    item = check(run(icsr, coder), "dates.onset_after_drug")
    assert item.result is CheckResult.FAIL
    assert item.severity is Severity.WARNING


def test_onset_in_the_same_month_as_a_day_precise_start_is_not_flagged(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), start=D("202602"))
    assert check(run(icsr, coder), "dates.onset_after_drug").result is CheckResult.PASS


# -- identifiers -----------------------------------------------------------------------------
def test_badly_formed_c11_is_blocking(coder: MedDRACoder) -> None:
    icsr = complete_case()
    icsr = replace(icsr, report=replace(icsr.report, safety_report_id="case 123"))
    assert check(run(icsr, coder), "identifiers.format").blocks


def test_c11_not_yet_assigned_passes(coder: MedDRACoder) -> None:
    icsr = complete_case()
    icsr = replace(icsr, report=replace(icsr.report, safety_report_id=None))
    item = check(run(icsr, coder), "identifiers.format")
    assert item.result is CheckResult.PASS
    assert "assigned when" in item.message


def test_worldwide_id_changed_since_the_previous_version_is_blocking(coder: MedDRACoder) -> None:
    icsr = complete_case()
    previous = replace(icsr, report=replace(icsr.report, worldwide_case_id="DE-BFARM-1"))
    item = check(run(icsr, coder, previous=previous), "identifiers.stable")
    assert item.blocks
    assert "C.1.8.1 changed" in item.message


def test_c11_differing_from_the_submitted_one_is_blocking(coder: MedDRACoder) -> None:
    sub = SubmissionClock(
        destination_id="EMA",
        kind="initial",
        status="accepted",
        due_date=date(2026, 3, 18),
        accepted_at=datetime(2026, 3, 6, tzinfo=UTC),
        safety_report_id="ES-ACME-OTHER",
    )
    item = check(run(complete_case(), coder, submissions=(sub,)), "identifiers.stable")
    assert item.blocks
    assert "differs from the submitted" in item.message


def test_broken_matrix_reference_is_blocking(coder: MedDRACoder) -> None:
    icsr = complete_case()
    icsr = replace(icsr, reactions=(replace(icsr.reactions[0], id="R2"),))
    assert check(run(icsr, coder), "identifiers.references").blocks


# -- consistency and deadline ----------------------------------------------------------------
def test_fatal_outcome_without_death_criterion_is_blocking(coder: MedDRACoder) -> None:
    icsr = with_reaction(complete_case(), outcome=ReactionOutcome.FATAL)
    assert check(run(icsr, coder), "consistency.fatal").blocks


def _sub(status: str, due: date, accepted_at: datetime | None = None) -> SubmissionClock:
    return SubmissionClock(
        destination_id="EMA", kind="initial", status=status, due_date=due, accepted_at=accepted_at
    )


def test_overdue_submission_is_blocking(coder: MedDRACoder) -> None:
    report = run(complete_case(), coder, submissions=(_sub("planned", date(2026, 3, 9)),))
    item = check(report, "deadline")
    assert item.blocks
    assert "overdue" in item.message


def test_submission_due_soon_is_a_warning(coder: MedDRACoder) -> None:
    report = run(complete_case(), coder, submissions=(_sub("dispatched", date(2026, 3, 12)),))
    item = check(report, "deadline")
    assert item.result is CheckResult.FAIL
    assert item.severity is Severity.WARNING


def test_accepted_on_time_and_superseded_submissions_pass(coder: MedDRACoder) -> None:
    subs = (
        _sub("accepted", date(2026, 3, 9), datetime(2026, 3, 8, tzinfo=UTC)),
        _sub("superseded", date(2026, 3, 1)),
    )
    assert check(run(complete_case(), coder, submissions=subs), "deadline").result is (
        CheckResult.PASS
    )


def test_no_submissions_makes_the_deadline_check_not_applicable(coder: MedDRACoder) -> None:
    assert check(run(complete_case(), coder), "deadline").result is CheckResult.NOT_APPLICABLE
