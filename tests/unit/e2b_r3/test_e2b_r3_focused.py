"""Focused E2B(R3) mapping checks on hand-built cases (no sample files needed except the XSD)."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.domain.codes import (
    ActionTaken,
    AdditionalDrugInfo,
    DrugRole,
    FirstSender,
    Qualification,
    ReactionOutcome,
    RechallengeResult,
    ReportType,
    ResultQualifier,
    SenderType,
    SeriousnessCriterion,
    Sex,
    StudyType,
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
from gateway.domain.values import Coded, MedDRATerm, NullFlavor, PartialDate, Quantity
from schemas.e2b_r3 import R3Batch, R3Message, build_batch, parse_batch, serialize
from schemas.e2b_r3.xml import E2BR3Error

R1 = "154eb889-958b-45f2-a02f-42d4d6f4657f"
R2 = "154eb889-958b-45f2-a02f-42d4d6f4555f"
D1 = "68d6f5ce-3b3b-45c7-92dd-69e06730c3a9"
D2 = "59d6f5ce-3b3b-45c7-92dd-69e06730c2b7"
PDF = b"%PDF-1.4 fake attachment \x00\xff bytes"


def _date(text: str) -> PartialDate:
    return PartialDate.parse(text)


def _icsr() -> ICSR:
    reactions = (
        Reaction(
            id=R1,
            verbatim_native="thrombose veineuse profonde",
            verbatim_language="fra",
            verbatim_translation="deep vein thrombosis",
            term=MedDRATerm(version="26.1", code="10051055"),
            seriousness=Seriousness.of(SeriousnessCriterion.HOSPITALISATION),
            start=_date("202403"),
            end=_date("20240315143000+0100"),
            duration=Quantity(value=Decimal("12"), unit="d"),
            outcome=ReactionOutcome.RECOVERED,
            medically_confirmed=True,
            country="FR",
        ),
        Reaction(
            id=R2,
            term=MedDRATerm(version="25.0", code="10019211"),
            start=NullFlavor.MSK,
            outcome=ReactionOutcome.UNKNOWN,
        ),
    )
    drugs = (
        Drug(
            id=D1,
            role=DrugRole.SUSPECT,
            mpid=Coded(code="59762-2858", system="2.16.840.1.113883.6.69", version="201411011202"),
            name_as_reported="Drug A",
            substances=(
                Substance(
                    name="Ingredient A",
                    term_id=Coded(
                        code="0Q5GP4Y4FL", system="2.16.840.1.113883.4.9", version="2013"
                    ),
                    strength=Quantity(value=Decimal("2.50"), unit="mg"),
                ),
            ),
            country_obtained="US",
            investigational_blinded=True,
            authorisation_number="NDA012345",
            authorisation_country="US",
            authorisation_holder="Big Pharma",
            dosages=(
                Dosage(
                    dose=Quantity(value=Decimal("5"), unit="mg"),
                    interval=Quantity(value=Decimal("1"), unit="d"),
                    start=_date("20240301"),
                    end=_date("20240310"),
                    batch_lot="LOT-1",
                    text="5 mg daily",
                    dose_form="tablet",
                    dose_form_term=Coded(
                        code="10219000", system="0.4.0.127.0.16.1.1.2.1", version="2020"
                    ),
                    route="oral",
                    route_term=Coded(
                        code="20053000", system="0.4.0.127.0.16.1.1.2.6", version="2020"
                    ),
                ),
                Dosage(period_null_flavor=NullFlavor.ASKU, route=NullFlavor.UNK),
            ),
            cumulative_dose=Quantity(value=Decimal("50"), unit="mg"),
            indications=(
                Indication(text="Embolism", term=MedDRATerm(version="26.0", code="10014522")),
            ),
            action_taken=ActionTaken.DRUG_WITHDRAWN,
            reaction_assessments=(
                DrugReactionAssessment(
                    reaction_id=R1,
                    assessments=(
                        CausalityAssessment(source="Sender", method="WHO-UMC", result="Probable"),
                        CausalityAssessment(
                            source="Primary source", method="Global", result="Related"
                        ),
                    ),
                    time_from_first_dose=Quantity(value=Decimal("3"), unit="d"),
                    time_from_last_dose=Quantity(value=Decimal("2"), unit="h"),
                    recurrence=RechallengeResult.NOT_DONE,
                ),
                DrugReactionAssessment(
                    reaction_id=R2,
                    assessments=(
                        CausalityAssessment(source="Sender", method="WHO-UMC", result="Possible"),
                    ),
                ),
            ),
            additional_info_codes=(AdditionalDrugInfo.OVERDOSE, AdditionalDrugInfo.MISUSE),
            additional_info_text="taken with alcohol",
        ),
        Drug(
            id=D2,
            role=DrugRole.CONCOMITANT,
            name_as_reported="Drug B",
            reaction_assessments=(
                DrugReactionAssessment(
                    reaction_id=R2,
                    assessments=(CausalityAssessment(result="Unrelated"),),
                ),
            ),
        ),
    )
    return ICSR(
        report=ReportIdentification(
            safety_report_id="US-ACME-0001",
            created_at=_date("20240316101010-0500"),
            report_type=ReportType.STUDY,
            first_received=_date("20240315"),
            most_recent_info=_date("2024031612"),
            additional_documents=True,
            documents=(
                Document(
                    title="Discharge letter",
                    media_type="application/pdf",
                    content_base64=base64.b64encode(PDF).decode(),
                    compression="DF",
                ),
            ),
            fulfils_expedited_criteria=NullFlavor.NI,
            worldwide_case_id="US-ACME-0001",
            first_sender=FirstSender.OTHER,
            other_case_ids_exist=True,
            other_case_ids=(OtherCaseId(source="FDA", case_id="12345"),),
            linked_report_ids=("US-ACME-0000",),
        ),
        primary_sources=(
            PrimarySource(
                title="Dr",
                given_name="Ann",
                middle_name="B",
                family_name=NullFlavor.MSK,
                organisation="Clinic",
                department="ER",
                street="1 Main St",
                city="Springfield",
                state="IL",
                postcode="62701",
                telephone="5551234",
                email="ann@example.org",
                country="US",
                qualification=Qualification.PHYSICIAN,
                primary_for_regulatory_purposes=True,
            ),
            PrimarySource(qualification=NullFlavor.UNK, country=NullFlavor.ASKU),
        ),
        sender=Sender(
            sender_type=SenderType.PHARMACEUTICAL_COMPANY,
            organisation="ACME",
            department="PV",
            given_name="Sam",
            family_name="Sender",
            country="US",
            telephone="5550000",
            fax="5550001",
            email="pv@acme.example",
        ),
        literature=(
            LiteratureReference(
                reference="Doe J. A case. J Drug Saf. 2024;1:1-2.",
                document=Document(
                    media_type="application/pdf", content_base64=base64.b64encode(b"x").decode()
                ),
            ),
            LiteratureReference(reference=NullFlavor.ASKU),
        ),
        study=Study(
            registrations=(StudyRegistration(number="EudraCT-1", country="DE"),),
            name="STUDY-1",
            sponsor_study_number=NullFlavor.NASK,
            study_type=StudyType.CLINICAL_TRIAL,
        ),
        patient=Patient(
            name_or_initials="JD",
            hospital_record_number=NullFlavor.MSK,
            birth_date=_date("1980"),
            age_at_onset=Quantity(value=Decimal("43"), unit="a"),
            weight_kg=Decimal("72.5"),
            height_cm=Decimal("180"),
            sex=Sex.FEMALE,
            last_menstrual_period=_date("20240220"),
            medical_history=(
                MedicalHistoryEpisode(
                    condition=MedDRATerm(version="26.0", code="10020772"),
                    start=_date("2010"),
                    continuing=NullFlavor.UNK,
                    comments="controlled",
                    family_history=True,
                ),
            ),
            medical_history_text="hypertension",
            concomitant_therapies=True,
            past_drugs=(
                PastDrug(
                    name="Aspirin",
                    start=_date("2015"),
                    end=NullFlavor.ASKU,
                    indication=MedDRATerm(version="26.0", code="10019211"),
                    reaction=MedDRATerm(version="26.0", code="10037087"),
                ),
            ),
            death=Death(
                date=_date("20240320"),
                reported_causes=(
                    CauseOfDeath(term=MedDRATerm(version="26.0", code="10051055"), text="DVT"),
                ),
                autopsy_done=True,
                autopsy_causes=(CauseOfDeath(term=MedDRATerm(version="26.0", code="10037377")),),
            ),
            parent=Parent(
                identification="MD",
                birth_date=_date("1955"),
                age=Quantity(value=Decimal("69"), unit="a"),
                sex=Sex.MALE,
                medical_history=(
                    MedicalHistoryEpisode(condition=MedDRATerm(version="26.0", code="10012601")),
                ),
                medical_history_text="diabetic",
                past_drugs=(PastDrug(name=NullFlavor.UNK),),
            ),
        ),
        reactions=reactions,
        tests=(
            LabTest(
                date=_date("20240314"),
                name="INR",
                name_term=MedDRATerm(version="26.0", code="10022402"),
                result_value=Decimal("3.5"),
                result_qualifier=ResultQualifier.GREATER_THAN,
                result_unit="{INR}",
                normal_low="0.8",
                normal_high="1.2",
                comments="on warfarin",
                more_information_available=False,
            ),
            LabTest(
                date=NullFlavor.UNK,
                name="Culture",
                result_code=TestResultCode.NEGATIVE,
                result_text="no growth",
            ),
            LabTest(name="Hb", result_value=Decimal("12.1"), result_unit="g/dL"),
        ),
        drugs=drugs,
        narrative=Narrative(
            case_narrative="A patient...",
            reporter_comments="reporter says",
            sender_diagnoses=(MedDRATerm(version="26.0", code="10051055"),),
            sender_comments="sender says",
            native_language_summaries=(
                NativeLanguageSummary(text="Un patient...", language="fra"),
            ),
        ),
    )


def _batch(icsr: ICSR) -> R3Batch:
    return R3Batch(
        batch_id="B-1",
        sender_id="ACME",
        receiver_id="ZZFDA",
        created_at=_date("20240316101010-0500"),
        messages=(
            R3Message(
                message_id="US-ACME-0001",
                sender_id="ACME",
                receiver_id="CDER",
                created_at=_date("20240316101010-0500"),
                icsr=icsr,
            ),
        ),
    )


def _round_trip(batch: R3Batch, schema: Any) -> R3Batch:
    built = build_batch(batch)
    assert schema.validate(built), schema.error_log
    return parse_batch(serialize(built))


def test_full_case_round_trips_from_the_model(r3_schema: Any) -> None:
    batch = _batch(_icsr())
    assert _round_trip(batch, r3_schema) == batch


def test_date_precision_and_time_zone_survive(r3_schema: Any) -> None:
    again = _round_trip(_batch(_icsr()), r3_schema).messages[0].icsr
    first, second = again.reactions
    assert first.start == PartialDate(year=2024, month=3)
    assert first.end is not None
    assert not isinstance(first.end, NullFlavor)
    assert first.end.utc_offset == timedelta(hours=1)
    assert first.end.format() == "20240315143000+0100"
    assert second.start is NullFlavor.MSK
    assert again.report.created_at == _date("20240316101010-0500")
    assert again.patient is not None
    assert again.patient.birth_date == PartialDate(year=1980)


def test_seriousness_null_flavor_is_kept_never_false(r3_schema: Any) -> None:
    batch = _batch(_icsr())
    built = build_batch(batch)
    ns = {"h": "urn:hl7-org:v3"}
    values = [
        (code, value.get("value"), value.get("nullFlavor"))
        for code in ("34", "21", "33", "35", "12", "26")
        for value in built.xpath(
            f"//h:observation[h:code/@code='{code}'][h:code/@codeSystem="
            "'2.16.840.1.113883.3.989.2.1.1.19']/h:value",
            namespaces=ns,
        )
    ]
    assert len(values) == 12
    assert all(v in ("true", None) and (v == "true" or nf == "NI") for _, v, nf in values)
    again = _round_trip(batch, r3_schema).messages[0].icsr
    assert again.reactions[0].seriousness.hospitalisation is True
    assert again.reactions[0].seriousness.death is NullFlavor.NI
    assert again.reactions[1].seriousness == Seriousness()


def test_matrix_links_by_id_when_order_is_shuffled(r3_schema: Any) -> None:
    icsr = _icsr()
    shuffled = replace(icsr, reactions=icsr.reactions[::-1], drugs=icsr.drugs[::-1])
    again = _round_trip(_batch(shuffled), r3_schema).messages[0].icsr
    assert [r.id for r in again.reactions] == [R2, R1]
    drug_a = again.drug_by_id(D1)
    assert drug_a is not None
    assert drug_a.role is DrugRole.SUSPECT
    row = drug_a.assessment_for(R1)
    assert row is not None
    assert row.recurrence is RechallengeResult.NOT_DONE
    assert [a.result for a in row.assessments] == ["Probable", "Related"]
    assert row.time_from_last_dose == Quantity(value=Decimal("2"), unit="h")
    assert drug_a.assessment_for(R2) is not None
    drug_b = again.drug_by_id(D2)
    assert drug_b is not None
    assert drug_b.role is DrugRole.CONCOMITANT
    assert [r.reaction_id for r in drug_b.reaction_assessments] == [R2]
    assert again.validate_references() == ()


def test_meddra_version_is_kept_per_term(r3_schema: Any) -> None:
    again = _round_trip(_batch(_icsr()), r3_schema).messages[0].icsr
    assert again.reactions[0].term == MedDRATerm(version="26.1", code="10051055")
    assert again.reactions[1].term == MedDRATerm(version="25.0", code="10019211")
    assert again.drugs[0].indications[0].term == MedDRATerm(version="26.0", code="10014522")


def test_attachment_base64_round_trips(r3_schema: Any) -> None:
    again = _round_trip(_batch(_icsr()), r3_schema).messages[0].icsr
    doc = again.report.documents[0]
    assert doc.content == PDF
    assert (doc.media_type, doc.compression, doc.title) == (
        "application/pdf",
        "DF",
        "Discharge letter",
    )
    literature = again.literature[0].document
    assert literature is not None
    assert literature.content == b"x"
    assert again.literature[1].reference is NullFlavor.ASKU


def test_32_hex_local_ids_become_uuid_roots(r3_schema: Any) -> None:
    icsr = _icsr()
    hex_id = "0123456789abcdef0123456789abcdef"
    reaction = replace(icsr.reactions[0], id=hex_id)
    drug = replace(
        icsr.drugs[0],
        reaction_assessments=(replace(icsr.drugs[0].reaction_assessments[0], reaction_id=hex_id),),
    )
    again = _round_trip(_batch(replace(icsr, reactions=(reaction,), drugs=(drug,))), r3_schema)
    case = again.messages[0].icsr
    assert case.reactions[0].id == "01234567-89ab-cdef-0123-456789abcdef"
    assert case.drugs[0].reaction_assessments[0].reaction_id == case.reactions[0].id


def test_non_uid_local_id_is_refused() -> None:
    icsr = _icsr()
    with pytest.raises(ValueError, match="cannot be an E2B II root"):
        build_batch(_batch(replace(icsr, reactions=(replace(icsr.reactions[0], id="r-1"),))))


def _xml_with(old: bytes, new: bytes) -> bytes:
    data = serialize(build_batch(_batch(_icsr())))
    assert old in data
    return data.replace(old, new, 1)


def test_a_received_reaction_id_that_is_no_uuid_or_oid_is_refused_by_the_reader() -> None:
    data = _xml_with(f'<id root="{R1}"/>'.encode(), b'<id root="true"/>')

    with pytest.raises(
        E2BR3Error, match=r"E\.i reaction: <id root='true'> is not a UUID or an OID"
    ):
        parse_batch(data)


def test_a_matrix_row_naming_a_reaction_by_no_uuid_or_oid_is_refused_by_the_reader() -> None:
    data = serialize(build_batch(_batch(_icsr())))
    ref = f'<actReference classCode="OBS" moodCode="EVN"><id root="{R1}"/>'.encode()
    assert ref in data

    with pytest.raises(E2BR3Error, match=r"G\.k\.9\.i\.\d: <id root='r-1'>"):
        parse_batch(data.replace(ref, ref.replace(R1.encode(), b"r-1")))


def test_a_value_the_domain_refuses_is_reported_as_an_e2b_error_not_a_bare_value_error() -> None:
    data = serialize(build_batch(_batch(_icsr())))
    unit = b'unit="mg"'
    assert unit in data

    with pytest.raises(E2BR3Error, match=r"N\.2\.r ICSR: Quantity\.unit must be a non-empty"):
        parse_batch(data.replace(unit, b'unit=" "', 1))
