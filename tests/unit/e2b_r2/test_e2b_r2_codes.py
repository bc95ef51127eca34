"""R2 date format codes and code lists mapped explicitly to the domain (R3) values."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from gateway.domain.codes import ActionTaken, DrugRole, ReactionOutcome, Sex
from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import DatePrecision, PartialDate
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import ReportIdentification
from gateway.domain.values import NullFlavor, Quantity
from schemas.e2b_r2 import (
    E2BR2Error,
    R2Header,
    R2Message,
    R2Report,
    build_r2,
    codes,
    parse_r2,
    r2_losses,
)
from schemas.e2b_r2.xml import local_id
from schemas.xml_safety import XMLLoadError

D = PartialDate.parse


@pytest.mark.parametrize(
    ("fmt", "text", "precision"),
    [
        ("102", "20240315", DatePrecision.DAY),
        ("610", "202403", DatePrecision.MONTH),
        ("602", "2024", DatePrecision.YEAR),
        ("203", "202403151430", DatePrecision.MINUTE),
        ("204", "20240315143059", DatePrecision.SECOND),
    ],
)
def test_date_format_codes_map_to_precision_both_ways(
    fmt: str, text: str, precision: DatePrecision
) -> None:
    value = codes.parse_date(fmt, text)
    assert value.precision is precision
    assert value.format() == text
    assert codes.format_date(value, (fmt,)) == (fmt, text, None)


def test_date_without_format_code_is_read_by_length() -> None:
    assert codes.parse_date(None, "202403") == PartialDate(year=2024, month=3)


@pytest.mark.parametrize(
    ("fmt", "text"), [("102", "202403"), ("610", "20240315"), ("999", "2024"), ("102", "2024031X")]
)
def test_date_not_matching_its_format_is_refused(fmt: str, text: str) -> None:
    with pytest.raises(ValueError, match=r"R2 date|format code"):
        codes.parse_date(fmt, text)


def test_format_picks_the_most_precise_allowed_code_and_reports_what_is_cut() -> None:
    assert codes.format_date(D("20240315"), codes.DATE_FORMATS) == ("102", "20240315", None)
    assert codes.format_date(D("202403"), codes.DATE_FORMATS) == ("610", "202403", None)
    fmt, text, lost = codes.format_date(D("2024031514"), codes.REACTION_DATE_FORMATS)
    assert (fmt, text) == ("102", "20240315")
    assert lost is not None
    assert "HOUR cut to DAY" in lost
    fmt, text, lost = codes.format_date(D("20240315143000-0500"), codes.REACTION_DATE_FORMATS)
    assert (fmt, text) == ("203", "202403151430")
    assert lost is not None
    assert "time zone" in lost
    with pytest.raises(ValueError, match="cannot be written"):
        codes.format_date(D("2024"), codes.MESSAGE_DATE_FORMATS)


def test_outcome_codes_differ_between_r2_and_r3() -> None:
    assert codes.OUTCOME_FROM_R2["6"] is ReactionOutcome.UNKNOWN
    assert ReactionOutcome.UNKNOWN.code == "0"  # R3 E.i.7
    assert codes.OUTCOME_TO_R2[ReactionOutcome.UNKNOWN] == "6"
    assert "0" not in codes.OUTCOME_FROM_R2
    for r2, outcome in {
        "1": ReactionOutcome.RECOVERED,
        "2": ReactionOutcome.RECOVERING,
        "3": ReactionOutcome.NOT_RECOVERED,
        "4": ReactionOutcome.RECOVERED_WITH_SEQUELAE,
        "5": ReactionOutcome.FATAL,
    }.items():
        assert codes.OUTCOME_FROM_R2[r2] is outcome
        assert codes.OUTCOME_TO_R2[outcome] == r2


def test_sex_role_and_action_code_lists() -> None:
    assert codes.SEX_FROM_R2 == {
        "1": Sex.MALE,
        "2": Sex.FEMALE,
        "0": NullFlavor.UNK,
        "9": NullFlavor.NI,
    }
    assert codes.ROLE_FROM_R2 == {
        "1": DrugRole.SUSPECT,
        "2": DrugRole.CONCOMITANT,
        "3": DrugRole.INTERACTING,
    }
    assert DrugRole.DRUG_NOT_ADMINISTERED not in codes.ROLE_TO_R2
    assert codes.ACTION_FROM_R2["5"] is ActionTaken.UNKNOWN
    assert codes.ACTION_FROM_R2["6"] is ActionTaken.NOT_APPLICABLE
    assert codes.ACTION_TO_R2[ActionTaken.NOT_APPLICABLE] == "6"  # R3 code 9


def test_units_map_to_ucum() -> None:
    assert codes.DOSE_UNIT_FROM_R2["003"] == "mg"
    assert codes.DOSE_UNIT_FROM_R2["032"] == "{DF}"
    assert codes.TIME_UNIT_FROM_R2["801"] == "a"
    assert codes.TIME_UNIT_TO_R2["{trimester}"] == "810"
    assert codes.ROUTE_NAME["048"] == "Oral"
    assert codes.ROUTE_BY_NAME["intravenous (not otherwise specified)"] == "042"


REPORT = "XX-TEST-1"


def one(
    outcome: ReactionOutcome | None = None,
    sex: Sex | NullFlavor | None = None,
    role: DrugRole | None = DrugRole.SUSPECT,
) -> R2Message:
    icsr = ICSR(
        report=ReportIdentification(safety_report_id=REPORT),
        patient=Patient(sex=sex) if sex is not None else None,
        reactions=(Reaction(id=local_id(REPORT, "reaction", 0), outcome=outcome),),
        drugs=(Drug(id=local_id(REPORT, "drug", 0), role=role),),
    )
    header = R2Header(message_number="1", sender_id="S", receiver_id="R", date=D("20240101000000"))
    return R2Message(header=header, reports=(R2Report(icsr=icsr),))


@pytest.mark.parametrize(("outcome", "r2"), [(o, codes.OUTCOME_TO_R2[o]) for o in ReactionOutcome])
def test_outcome_written_and_read_with_r2_codes(
    outcome: ReactionOutcome, r2: str, r2_dtd: Any
) -> None:
    el = build_r2(one(outcome=outcome))
    assert el.findtext("safetyreport/patient/reaction/reactionoutcome") == r2
    assert r2_dtd.validate(el)
    assert parse_r2(el).reports[0].icsr.reactions[0].outcome is outcome


@pytest.mark.parametrize(
    ("sex", "r2"), [(Sex.MALE, "1"), (Sex.FEMALE, "2"), (NullFlavor.UNK, "0"), (NullFlavor.NI, "9")]
)
def test_sex_written_and_read_with_r2_codes(sex: Sex | NullFlavor, r2: str) -> None:
    el = build_r2(one(sex=sex))
    assert el.findtext("safetyreport/patient/patientsex") == r2
    patient = parse_r2(el).reports[0].icsr.patient
    assert patient is not None
    assert patient.sex is sex


def test_sex_nullflavor_without_r2_code_is_a_loss() -> None:
    el = build_r2(one(sex=NullFlavor.MSK))
    assert el.find("safetyreport/patient/patientsex") is None
    assert [x.element_id for x in r2_losses(one(sex=NullFlavor.MSK))] == ["D.5"]


@pytest.mark.parametrize("role", [DrugRole.SUSPECT, DrugRole.CONCOMITANT, DrugRole.INTERACTING])
def test_drug_role_round_trips(role: DrugRole) -> None:
    el = build_r2(one(role=role))
    assert el.findtext("safetyreport/patient/drug/drugcharacterization") == role.code
    assert parse_r2(el).reports[0].icsr.drugs[0].role is role


def test_drug_not_administered_is_a_loss() -> None:
    msg = one(role=DrugRole.DRUG_NOT_ADMINISTERED)
    assert build_r2(msg).find("safetyreport/patient/drug/drugcharacterization") is None
    assert [x.element_id for x in r2_losses(msg)] == ["G.k.1"]


def test_r3_outcome_code_zero_in_an_r2_file_is_not_carried() -> None:
    el = build_r2(one(outcome=ReactionOutcome.FATAL))
    el.find("safetyreport/patient/reaction/reactionoutcome").text = "0"
    report = parse_r2(el).reports[0]
    assert report.icsr.reactions[0].outcome is None
    assert [x.element_id for x in report.not_carried] == ["B.2.i.8"]


def test_meddra_name_in_place_of_a_code_is_reported() -> None:
    el = build_r2(one())
    reaction = el.find("safetyreport/patient/reaction")
    for tag, text in (("reactionmeddraversionllt", "27.0"), ("reactionmeddrallt", "Headache")):
        etree.SubElement(reaction, tag).text = text
    report = parse_r2(el).reports[0]
    assert report.icsr.reactions[0].term is None
    reasons = {x.element_id: x.reason for x in report.not_carried}
    assert "MedDRA name" in reasons["B.2.i.1.b"]
    assert "B.2.i.1.a" in reasons


def test_decimal_values_keep_their_digits() -> None:
    msg = one()
    icsr = msg.reports[0].icsr
    patient = Patient(
        weight_kg=Decimal("72.50"), age_at_onset=Quantity(value=Decimal("1.5"), unit="a")
    )
    msg = replace(msg, reports=(R2Report(icsr=replace(icsr, patient=patient)),))
    back = parse_r2(build_r2(msg)).reports[0].icsr.patient
    assert back is not None
    assert back.weight_kg == Decimal("72.5")
    assert back.age_at_onset == Quantity(value=Decimal("1.5"), unit="a")


def test_message_without_reports_or_header_is_refused() -> None:
    el = build_r2(one())
    el.remove(el.find("safetyreport"))
    with pytest.raises(E2BR2Error, match="no safetyreport"):
        parse_r2(el)
    el = build_r2(one())
    el.remove(el.find("ichicsrmessageheader"))
    with pytest.raises(E2BR2Error, match="header missing"):
        parse_r2(el)


def test_hostile_bytes_go_through_the_safe_loader() -> None:
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE ichicsr [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<ichicsr lang="en">&x;</ichicsr>'
    )
    with pytest.raises(XMLLoadError):
        parse_r2(evil)
    with pytest.raises(XMLLoadError):
        parse_r2(b"<other/>")
