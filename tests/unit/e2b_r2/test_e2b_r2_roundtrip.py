"""Domain ICSR -> ichicsr (valid against the ICH 2.1 DTD) -> parse -> the same ICSR."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

from lxml import etree

from gateway.domain.codes import (
    ActionTaken,
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
from gateway.domain.partial_date import PartialDate
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
from gateway.domain.values import Coded, MedDRATerm, NullFlavor, Quantity
from schemas.e2b_r2 import (
    FDA_R21_SYSTEM_ID,
    R2Header,
    R2Message,
    R2Receiver,
    R2Report,
    build_r2,
    parse_r2,
    r2_losses,
    serialize_r2,
)
from schemas.e2b_r2.codes import ROUTE_OID
from schemas.e2b_r2.xml import local_id
from schemas.xml_safety import load_xml

REPORT_ID = "GB-ACME-2024-000123"
D = PartialDate.parse


def rid(i: int) -> str:
    return local_id(REPORT_ID, "reaction", i)


def did(i: int) -> str:
    return local_id(REPORT_ID, "drug", i)


def rich_icsr() -> ICSR:
    """Every field R2 can carry, populated in the shape the R2 parser reads back."""
    serious = Seriousness.of(SeriousnessCriterion.HOSPITALISATION, SeriousnessCriterion.DEATH)
    reactions = (
        Reaction(
            id=rid(0),
            verbatim_translation="liver failure",
            term=MedDRATerm(version="27.0", code="10019663"),
            term_highlighted=TermHighlighted.YES_SERIOUS,
            seriousness=serious,
            start=D("202403151430"),
            end=D("2024"),
            duration=Quantity(value=Decimal("3"), unit="wk"),
            outcome=ReactionOutcome.FATAL,
            medically_confirmed=True,
            country="GB",
        ),
        Reaction(
            id=rid(1),
            verbatim_translation="rash",
            term=MedDRATerm(version="27.0", code="10037844"),
            term_highlighted=TermHighlighted.NO_NOT_SERIOUS,
            start=D("202403"),
            outcome=ReactionOutcome.UNKNOWN,
            medically_confirmed=True,
            country="GB",
        ),
    )
    history = MedicalHistoryEpisode(
        condition=MedDRATerm(version="27.0", code="10020772"),
        start=D("2010"),
        continuing=NullFlavor.UNK,
        end=D("201512"),
        comments="controlled with diet",
    )
    past = PastDrug(
        name="Amoxicillin",
        start=D("20200101"),
        end=D("202002"),
        indication=MedDRATerm(version="27.0", code="10006451"),
        reaction=MedDRATerm(version="27.0", code="10037844"),
    )
    patient = Patient(
        name_or_initials="JD",
        gp_record_number="GP-1",
        specialist_record_number="SP-2",
        hospital_record_number="HO-3",
        investigation_number="INV-4",
        birth_date=D("19600704"),
        age_at_onset=Quantity(value=Decimal("63"), unit="a"),
        gestation_period_at_onset=Quantity(value=Decimal("2"), unit="{trimester}"),
        age_group=AgeGroup.ELDERLY,
        weight_kg=Decimal("72.5"),
        height_cm=Decimal("180"),
        sex=Sex.FEMALE,
        last_menstrual_period=D("202402"),
        medical_history=(history,),
        medical_history_text="Type 2 diabetes",
        past_drugs=(past,),
        death=Death(
            date=D("20240320"),
            reported_causes=(CauseOfDeath(term=MedDRATerm(version="27.0", code="10019663")),),
            autopsy_done=True,
            autopsy_causes=(CauseOfDeath(text="hepatic necrosis"),),
        ),
        parent=Parent(
            identification="MD",
            birth_date=D("1935"),
            age=Quantity(value=Decimal("88"), unit="a"),
            last_menstrual_period=D("19590101"),
            weight_kg=Decimal("60"),
            height_cm=Decimal("165"),
            sex=Sex.FEMALE,
            medical_history=(dataclasses.replace(history, comments="parent"),),
            medical_history_text="none relevant",
            past_drugs=(past,),
        ),
    )
    tests = (
        LabTest(
            date=D("20240316"),
            name="ALT",
            result_value=Decimal("420"),
            result_unit="U/L",
            normal_low="7",
            normal_high="56",
            more_information_available=True,
        ),
        LabTest(
            date=D("202403"),
            name="Bilirubin",
            result_value=Decimal("1.5"),
            result_qualifier=ResultQualifier.GREATER_THAN,
            result_unit="mg/dL",
        ),
        LabTest(
            name="Hepatitis B serology",
            result_code=TestResultCode.NEGATIVE,
            more_information_available=False,
        ),
        LabTest(name="Ultrasound", result_text="enlarged liver"),
        LabTest(result_text="Biopsy pending; CT unremarkable"),
    )
    suspect = Drug(
        id=did(0),
        role=DrugRole.SUSPECT,
        name_as_reported="Hepatoxin 50 mg tablets",
        substances=(Substance(name="hepatoxin"), Substance(name="lactose")),
        country_obtained="FR",
        authorisation_number="PL 12345/0001",
        authorisation_country="GB",
        authorisation_holder="Acme Pharma",
        dosages=(
            Dosage(
                dose=Quantity(value=Decimal("50"), unit="mg"),
                interval=Quantity(value=Decimal("1"), unit="d"),
                start=D("20240301"),
                end=D("20240315"),
                duration=Quantity(value=Decimal("15"), unit="d"),
                batch_lot="LOT-42",
                text="50 mg once daily",
                dose_form="Tablet",
                route="Oral",
                route_term=Coded(code="048", system=ROUTE_OID),
                parent_route="Transplacental",
                parent_route_term=Coded(code="064", system=ROUTE_OID),
            ),
        ),
        cumulative_dose=Quantity(value=Decimal("750"), unit="mg"),
        gestation_period_at_exposure=Quantity(value=Decimal("12"), unit="wk"),
        indications=(Indication(term=MedDRATerm(version="27.0", code="10012601")),),
        action_taken=ActionTaken.DRUG_WITHDRAWN,
        reaction_assessments=(
            DrugReactionAssessment(
                reaction_id=rid(0),
                assessments=(
                    CausalityAssessment(source="Reporter", method="WHO-UMC", result="Probable"),
                    CausalityAssessment(source="Sender", method="Naranjo", result="Possible"),
                ),
                time_from_first_dose=Quantity(value=Decimal("14"), unit="d"),
                time_from_last_dose=Quantity(value=Decimal("1"), unit="h"),
                recurrence=RechallengeResult.RECURRED,
            ),
            DrugReactionAssessment(
                reaction_id=rid(1),
                assessments=(CausalityAssessment(source="Reporter", result="Unlikely"),),
                time_from_first_dose=Quantity(value=Decimal("14"), unit="d"),
                time_from_last_dose=Quantity(value=Decimal("1"), unit="h"),
            ),
        ),
        additional_info_text="taken with alcohol",
    )
    concomitant = Drug(
        id=did(1),
        role=DrugRole.CONCOMITANT,
        name_as_reported="Metformin",
        indications=(Indication(text="diabetes"),),
        action_taken=ActionTaken.NOT_APPLICABLE,
    )
    interacting = Drug(
        id=did(2),
        role=DrugRole.INTERACTING,
        name_as_reported="Paracetamol",
        dosages=(
            Dosage(
                dose=Quantity(value=Decimal("2"), unit="{DF}"),
                route="Rectal",
                route_term=Coded(code="054", system=ROUTE_OID),
            ),
        ),
        action_taken=ActionTaken.UNKNOWN,
    )
    return ICSR(
        report=ReportIdentification(
            safety_report_id=REPORT_ID,
            created_at=D("20240325"),
            report_type=ReportType.STUDY,
            first_received=D("20240318"),
            most_recent_info=D("20240322"),
            additional_documents=True,
            documents=(Document(title="Discharge summary"),),
            fulfils_expedited_criteria=True,
            worldwide_case_id="GB-ACME-2024-000123",
            first_sender=FirstSender.OTHER,
            other_case_ids_exist=True,
            other_case_ids=(OtherCaseId(source="MHRA", case_id="GB-MHRA-99"),),
            linked_report_ids=("GB-ACME-2023-000007",),
            nullification_amendment=NullificationAmendment.NULLIFICATION,
            nullification_amendment_reason="duplicate of GB-MHRA-99",
        ),
        primary_sources=(
            PrimarySource(
                title="Dr",
                given_name="Ann",
                middle_name="B",
                family_name="Carter",
                organisation="St Elsewhere",
                department="Hepatology",
                street="1 High St",
                city="Leeds",
                state="West Yorkshire",
                postcode="LS1 1AA",
                country="GB",
                qualification=Qualification.PHYSICIAN,
                primary_for_regulatory_purposes=True,
            ),
            PrimarySource(given_name="Sam", qualification=Qualification.PHARMACIST, country="IE"),
        ),
        sender=Sender(
            sender_type=SenderType.PHARMACEUTICAL_COMPANY,
            organisation="Acme Pharma",
            department="Drug Safety",
            title="Ms",
            given_name="Eve",
            middle_name="K",
            family_name="Long",
            street="2 Low Rd",
            city="London",
            state="Greater London",
            postcode="EC1 1AA",
            country="GB",
            telephone="2071234567",
            fax="2071234568",
            email="safety@acme.example",
        ),
        literature=(LiteratureReference(reference="Carter A. Liver 2024;1:1-2."),),
        study=Study(
            name="HEP-301",
            sponsor_study_number="ACME-301",
            study_type=StudyType.CLINICAL_TRIAL,
        ),
        patient=patient,
        reactions=reactions,
        tests=tests,
        drugs=(suspect, concomitant, interacting),
        narrative=Narrative(
            case_narrative="A 63-year-old woman developed liver failure.",
            reporter_comments="Probably drug-induced.",
            sender_diagnoses=(MedDRATerm(version="27.0", code="10019663"),),
            sender_comments="Consistent with the label.",
        ),
    )


def message(*icsrs: ICSR, **report: Any) -> R2Message:
    return R2Message(
        header=R2Header(
            message_number="MSG-1",
            sender_id="ACME",
            receiver_id="MHRA",
            date=D("20240325101500"),
        ),
        reports=tuple(R2Report(icsr=i, **report) for i in icsrs),
    )


def test_rich_icsr_round_trips_through_dtd_valid_xml(r2_dtd: Any, valid: Any) -> None:
    receiver = R2Receiver(receiver_type="2", organisation="MHRA", city="London", country="GB")
    original = message(rich_icsr(), version="3", receiver=receiver)
    assert r2_losses(original) == ()
    el = build_r2(original)
    valid(r2_dtd, el)
    back = parse_r2(el)
    assert back.header == original.header
    assert back.reports[0].version == "3"
    assert back.reports[0].receiver == receiver
    assert back.reports[0].not_carried == ()
    got, want = back.reports[0].icsr, original.reports[0].icsr
    for name in (
        "report",
        "primary_sources",
        "sender",
        "literature",
        "study",
        "patient",
        "reactions",
        "tests",
        "drugs",
        "narrative",
    ):
        assert getattr(got, name) == getattr(want, name), name
    assert got == want


def test_serialized_bytes_have_declaration_doctype_and_reload_safely(r2_dtd: Any) -> None:
    el = build_r2(message(rich_icsr()))
    data = serialize_r2(el)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert b'<!DOCTYPE ichicsr SYSTEM "ich-icsr-v2.1.dtd">' in data
    fda = serialize_r2(el, system_id=FDA_R21_SYSTEM_ID)
    assert f'<!DOCTYPE ichicsr SYSTEM "{FDA_R21_SYSTEM_ID}">'.encode() in fda
    root = load_xml(fda, expected_roots={"ichicsr"})
    assert r2_dtd.validate(root)
    assert parse_r2(fda).reports[0].icsr == rich_icsr()


def test_element_order_follows_the_dtd() -> None:
    el = build_r2(message(rich_icsr()))
    header = [c.tag for c in el.find("ichicsrmessageheader")]
    assert header == [
        "messagetype",
        "messageformatversion",
        "messageformatrelease",
        "messagenumb",
        "messagesenderidentifier",
        "messagereceiveridentifier",
        "messagedateformat",
        "messagedate",
    ]
    report = [c.tag for c in el.find("safetyreport")]
    assert report[:3] == ["safetyreportid", "primarysourcecountry", "occurcountry"]
    assert report[-5:] == ["primarysource", "primarysource", "sender", "receiver", "patient"]
    patient = [c.tag for c in el.find("safetyreport/patient")]
    assert patient.index("resultstestsprocedures") < patient.index("medicalhistoryepisode")
    assert patient.index("parent") < patient.index("reaction") < patient.index("test")
    assert patient.index("test") < patient.index("drug") < patient.index("summary")


def test_report_level_r2_values_come_from_the_reactions() -> None:
    el = build_r2(message(rich_icsr()))
    report = el.find("safetyreport")
    assert report.findtext("serious") == "1"
    assert report.findtext("seriousnessdeath") == "1"
    assert report.findtext("seriousnesshospitalization") == "1"
    assert report.findtext("seriousnessother") == "2"
    assert report.findtext("occurcountry") == "GB"
    assert report.findtext("medicallyconfirm") == "1"
    assert report.findtext("primarysourcecountry") == "GB"
    assert report.findtext("companynumb") == REPORT_ID
    assert report.find("authoritynumb") is None
    drug = report.find("patient/drug")
    assert drug.findtext("drugadministrationroute") == "048"
    assert drug.findtext("drugstructuredosageunit") == "003"
    assert drug.findtext("drugintervaldosagedefinition") == "804"
    assert drug.findtext("drugrecurreadministration") == "1"
    assert drug.findtext("drugrecurrence/drugrecuraction") == "10019663"
    assert [r.findtext("drugresult") for r in drug.iter("drugreactionrelatedness")] == [
        "Probable",
        "Possible",
        "Unlikely",
    ]


def r3_only_icsr() -> ICSR:
    base = rich_icsr()
    reaction = dataclasses.replace(
        base.reactions[0], verbatim_native="insuffisance hépatique", verbatim_language="fra"
    )
    suspect = base.drugs[0]
    suspect = dataclasses.replace(
        suspect,
        substances=(
            Substance(name="hepatoxin", strength=Quantity(value=Decimal("50"), unit="mg")),
        ),
        dosages=(*suspect.dosages, Dosage(dose=Quantity(value=Decimal("25"), unit="mg"))),
        indications=(*suspect.indications, Indication(text="pain")),
    )
    not_given = dataclasses.replace(base.drugs[1], role=DrugRole.DRUG_NOT_ADMINISTERED)
    assert base.patient is not None
    patient = dataclasses.replace(
        base.patient,
        name_or_initials=NullFlavor.MSK,
        sex=NullFlavor.ASKU,
        age_group=AgeGroup.FOETUS,
    )
    report = dataclasses.replace(
        base.report,
        first_received=D("20240318093000+0100"),
        nullification_amendment=NullificationAmendment.AMENDMENT,
        documents=(Document(title="ECG", media_type="application/pdf", content_base64="QUJD"),),
    )
    assert base.study is not None
    study = dataclasses.replace(
        base.study, registrations=(StudyRegistration(number="EudraCT 2020-1"),)
    )
    narrative = dataclasses.replace(
        base.narrative,
        native_language_summaries=(NativeLanguageSummary(text="Résumé", language="fra"),),
    )
    return dataclasses.replace(
        base,
        report=report,
        reactions=(reaction, base.reactions[1]),
        study=study,
        drugs=(suspect, not_given, base.drugs[2]),
        patient=patient,
        narrative=narrative,
    )


def test_r3_only_values_are_listed_as_losses_and_xml_stays_valid(r2_dtd: Any, valid: Any) -> None:
    msg = message(r3_only_icsr())
    losses = r2_losses(msg)
    ids = {loss.element_id for loss in losses}
    assert {
        "E.i.1.1a",
        "E.i.1.1b",
        "G.k.2.3.r.3",
        "G.k.4.r",
        "G.k.7.r",
        "G.k.1",
        "D.1",
        "D.5",
        "D.2.3",
        "C.1.4",
        "C.1.11.1",
        "C.1.6.1.r.2",
        "C.5.1.r",
        "H.5.r",
    } <= ids
    by_id = {loss.element_id: loss for loss in losses}
    assert by_id["G.k.4.r"].path == "reports[0].drugs[0].dosages[1]"
    assert "time zone" in by_id["C.1.4"].reason
    valid(r2_dtd, build_r2(msg))


def test_r2_report_level_seriousness_mismatch_is_a_loss() -> None:
    icsr = rich_icsr()
    other = dataclasses.replace(
        icsr.reactions[1],
        term_highlighted=TermHighlighted.NO_SERIOUS,
        seriousness=Seriousness.of(SeriousnessCriterion.DISABLING),
    )
    losses = r2_losses(message(dataclasses.replace(icsr, reactions=(icsr.reactions[0], other))))
    assert [(x.element_id, x.path) for x in losses if x.element_id == "E.i.3.2"] == [
        ("E.i.3.2", "reports[0].reactions[0].seriousness"),
        ("E.i.3.2", "reports[0].reactions[1].seriousness"),
    ]


def test_unknown_and_regional_elements_are_reported_not_dropped() -> None:
    el = build_r2(message(rich_icsr()))
    reaction = el.find("safetyreport/patient/reaction")
    pt = etree.Element("reactionmeddrapt")
    pt.text = "Hepatic failure"
    reaction.insert(3, pt)
    etree.SubElement(el.find("safetyreport"), "combinationproductreport").text = "2"
    parsed = parse_r2(el).reports[0]
    found = {(x.element_id, x.path) for x in parsed.not_carried}
    assert ("B.2.i.2.b", "safetyreport[0]/patient/reaction[0]/reactionmeddrapt") in found
    assert ("combinationproductreport", "safetyreport[0]/combinationproductreport") in found
