"""A richly populated ICSR touching every section, for round-trip and query tests."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from gateway.domain.case import Provenance
from gateway.domain.codes import (
    ActionTaken,
    AdditionalDrugInfo,
    AgeGroup,
    DrugRole,
    FirstSender,
    NullificationAmendment,
    Qualification,
    ReactionOutcome,
    RechallengeResult,
    ReportType,
    ResultQualifier,
    SenderType,
    SeriousnessCriterion,
    Sex,
    StudyType,
    TermHighlighted,
    TestResultCode,
)
from gateway.domain.drug import (
    CausalityAssessment,
    Dosage,
    Drug,
    DrugReactionAssessment,
    Indication,
    Substance,
)
from gateway.domain.icsr import ICSR
from gateway.domain.lab_test import LabTest
from gateway.domain.narrative import Narrative, NativeLanguageSummary
from gateway.domain.patient import (
    CauseOfDeath,
    Death,
    MedicalHistoryEpisode,
    Parent,
    PastDrug,
    Patient,
)
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import (
    Document,
    LiteratureReference,
    OtherCaseId,
    PrimarySource,
    ReportIdentification,
    Sender,
    Study,
    StudyRegistration,
)
from gateway.domain.values import (
    Coded,
    DatePrecision,
    MedDRATerm,
    NullFlavor,
    PartialDate,
    Quantity,
)

D = PartialDate.parse


def q(value: str, unit: str) -> Quantity:
    return Quantity(value=Decimal(value), unit=unit)


def meddra(code: str) -> MedDRATerm:
    return MedDRATerm(version="27.0", code=code)


@pytest.fixture
def provenance() -> Provenance:
    return Provenance(
        actor="intake-email",
        action="received",
        at=datetime(2024, 3, 16, 9, 30, tzinfo=UTC),
        reason="report received by email",
        source_ref="<msg-1@example.org>",
    )


@pytest.fixture
def full_icsr() -> ICSR:
    pdf = base64.b64encode(b"%PDF-1.4 discharge letter").decode()
    return ICSR(
        report=ReportIdentification(
            safety_report_id="ES-ACME-2024-000123",
            created_at=D("20240316093000+0100"),
            report_type=ReportType.SPONTANEOUS,
            first_received=D("20240315"),
            most_recent_info=D("20240316"),
            additional_documents=True,
            documents=(
                Document(
                    title="Discharge letter",
                    media_type="application/pdf",
                    content_base64=pdf,
                    compression=None,
                    reference="raw/2024/03/15/msg-1.eml",
                ),
                Document(title="Lab printout", reference="raw/lab-1.jpg"),
            ),
            fulfils_expedited_criteria=True,
            worldwide_case_id="ES-ACME-2024-000123",
            first_sender=FirstSender.OTHER,
            other_case_ids_exist=True,
            other_case_ids=(OtherCaseId(source="Partner Pharma", case_id="PP-77"),),
            linked_report_ids=("ES-ACME-2023-000999",),
            nullification_amendment=NullificationAmendment.AMENDMENT,
            nullification_amendment_reason="Corrected onset date",
        ),
        primary_sources=(
            PrimarySource(
                title="Dr",
                given_name="Ana",
                middle_name=NullFlavor.ASKU,
                family_name=NullFlavor.MSK,
                organisation="Hospital General",
                department="Cardiology",
                street="Calle Mayor 1",
                city="Madrid",
                state=NullFlavor.NASK,
                postcode="28013",
                telephone="+34 600 000 000",
                email="ana@example.org",
                country="ES",
                qualification=Qualification.PHYSICIAN,
                primary_for_regulatory_purposes=True,
            ),
            PrimarySource(qualification=NullFlavor.UNK, country=NullFlavor.MSK),
        ),
        sender=Sender(
            sender_type=SenderType.PHARMACEUTICAL_COMPANY,
            organisation="ACME Pharma",
            department="Drug Safety",
            title="Ms",
            given_name="Eva",
            middle_name="M",
            family_name="Lopez",
            street="Gran Via 2",
            city="Madrid",
            state="Madrid",
            postcode="28014",
            country="ES",
            telephone="+34 911 000 000",
            fax="+34 911 000 001",
            email="safety@acme.example",
        ),
        literature=(
            LiteratureReference(
                reference="Smith J. Hepatitis after X. Lancet. 2024;1:1-2.",
                document=Document(media_type="application/pdf", content_base64=pdf),
            ),
            LiteratureReference(reference=NullFlavor.NASK),
        ),
        study=Study(
            registrations=(
                StudyRegistration(number="EudraCT 2023-000001-01", country="ES"),
                StudyRegistration(number=NullFlavor.ASKU, country=NullFlavor.NASK),
            ),
            name="ACME-301",
            sponsor_study_number=NullFlavor.NASK,
            study_type=StudyType.CLINICAL_TRIAL,
        ),
        patient=Patient(
            name_or_initials="JD",
            gp_record_number=NullFlavor.MSK,
            specialist_record_number="SP-1",
            hospital_record_number="H-22",
            investigation_number="INV-3",
            birth_date=NullFlavor.MSK,
            age_at_onset=q("67", "a"),
            gestation_period_at_onset=None,
            age_group=AgeGroup.ELDERLY,
            weight_kg=Decimal("72.5"),
            height_cm=Decimal("170"),
            sex=Sex.FEMALE,
            last_menstrual_period=NullFlavor.MSK,
            medical_history=(
                MedicalHistoryEpisode(
                    condition=meddra("10020772"),
                    start=D("2010"),
                    continuing=True,
                    end=NullFlavor.ASKU,
                    comments="controlled",
                ),
                MedicalHistoryEpisode(
                    condition=meddra("10007541"),
                    continuing=NullFlavor.UNK,
                    family_history=True,
                ),
            ),
            medical_history_text="Hypertension since 2010.",
            concomitant_therapies=True,
            past_drugs=(
                PastDrug(
                    name="Amoxicillin",
                    mpid=Coded(code="MPID-1", version="2023-01"),
                    phpid=Coded(code="PHPID-1", version="1"),
                    start=D("201901"),
                    end=D("201902"),
                    indication=meddra("10037660"),
                    reaction=meddra("10040785"),
                ),
                PastDrug(name=NullFlavor.UNK),
            ),
            death=Death(
                date=D("20240320"),
                reported_causes=(CauseOfDeath(term=meddra("10019663"), text="liver failure"),),
                autopsy_done=NullFlavor.ASKU,
                autopsy_causes=(CauseOfDeath(text="hepatic necrosis"),),
            ),
            parent=Parent(
                identification=NullFlavor.MSK,
                birth_date=D("1990"),
                age=q("34", "a"),
                last_menstrual_period=D("20230601"),
                weight_kg=Decimal("60"),
                height_cm=Decimal("165"),
                sex=Sex.FEMALE,
                medical_history=(MedicalHistoryEpisode(condition=meddra("10012601")),),
                medical_history_text="Gestational diabetes",
                past_drugs=(PastDrug(name="Insulin", start=NullFlavor.NASK),),
            ),
        ),
        reactions=(
            Reaction(
                id="R1",
                verbatim_native="hepatitis aguda",
                verbatim_language="spa",
                verbatim_translation="acute hepatitis",
                term=meddra("10000844"),
                term_highlighted=TermHighlighted.YES_SERIOUS,
                seriousness=Seriousness.of(
                    SeriousnessCriterion.DEATH, SeriousnessCriterion.HOSPITALISATION
                ),
                start=D("20240310"),
                end=D("20240320"),
                duration=q("10", "d"),
                outcome=ReactionOutcome.FATAL,
                medically_confirmed=True,
                country="ES",
            ),
            Reaction(
                id="R2",
                verbatim_native="rash",
                start=NullFlavor.ASKU,
                outcome=ReactionOutcome.RECOVERED,
            ),
        ),
        tests=(
            LabTest(
                date=D("20240312"),
                name="ALT",
                name_term=meddra("10001551"),
                result_value=Decimal("812.50"),
                result_qualifier=ResultQualifier.GREATER_THAN,
                result_unit="U/L",
                normal_low="7",
                normal_high="56",
                comments="markedly raised",
                more_information_available=False,
            ),
            LabTest(
                date=NullFlavor.UNK,
                name="Hepatitis B serology",
                result_code=TestResultCode.NEGATIVE,
                result_text="HBsAg negative",
            ),
            LabTest(name="Bilirubin", result_value=NullFlavor.PINF, result_unit="umol/L"),
        ),
        drugs=(
            Drug(
                id="G1",
                role=DrugRole.SUSPECT,
                mpid=Coded(code="MPID-X", system="2.16.840.1.113883.3.989.5.1.1", version="v1"),
                phpid=Coded(code="PHPID-X", version="v2"),
                name_as_reported="Drug X 500 mg tablets",
                substances=(
                    Substance(
                        name="substance x",
                        term_id=Coded(code="SUB-1", version="2024"),
                        strength=q("500", "mg"),
                    ),
                ),
                country_obtained="ES",
                investigational_blinded=True,
                authorisation_number="EU/1/23/0001",
                authorisation_country="EU",
                authorisation_holder="ACME Pharma",
                dosages=(
                    Dosage(
                        dose=q("500", "mg"),
                        interval=q("12", "h"),
                        start=PartialDate.from_datetime(
                            datetime(2024, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=1))),
                            precision=DatePrecision.MINUTE,
                        ),
                        end=D("20240310"),
                        duration=q("10", "d"),
                        batch_lot="LOT-42",
                        text="500 mg twice daily",
                        dose_form="tablet",
                        dose_form_term=Coded(code="10219000", version="1"),
                        route="oral",
                        route_term=Coded(code="20053000", system="EDQM", version="1"),
                        parent_route=NullFlavor.UNK,
                        parent_route_term=Coded(code="20053000"),
                    ),
                    Dosage(text="unknown regimen", start=NullFlavor.MSK),
                ),
                cumulative_dose=q("9.5", "g"),
                gestation_period_at_exposure=q("12", "wk"),
                indications=(
                    Indication(text="infection", term=meddra("10021789")),
                    Indication(text=NullFlavor.UNK),
                ),
                action_taken=ActionTaken.DRUG_WITHDRAWN,
                reaction_assessments=(
                    DrugReactionAssessment(
                        reaction_id="R1",
                        assessments=(
                            CausalityAssessment(
                                source="Primary source", method="WHO-UMC", result="Probable"
                            ),
                            CausalityAssessment(source="Sender", method="Naranjo", result="6"),
                        ),
                        time_from_first_dose=q("9", "d"),
                        time_from_last_dose=q("2", "h"),
                        recurrence=RechallengeResult.NOT_DONE,
                    ),
                ),
                additional_info_codes=(AdditionalDrugInfo.OFF_LABEL_USE,),
                additional_info_text="Taken with alcohol",
            ),
            Drug(id="G2", role=DrugRole.CONCOMITANT, name_as_reported="Paracetamol"),
            Drug(id="G3", role=DrugRole.INTERACTING, name_as_reported="Drug Y"),
        ),
        narrative=Narrative(
            case_narrative="A 67-year-old woman developed acute hepatitis ...",
            reporter_comments="Likely drug-induced.",
            sender_diagnoses=(meddra("10019837"),),
            sender_comments="Consistent with known hepatotoxicity.",
            native_language_summaries=(
                NativeLanguageSummary(text="Mujer de 67 años ...", language="spa"),
            ),
        ),
    )
