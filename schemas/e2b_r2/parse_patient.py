"""B.1-B.5: ``patient`` -> domain patient, reactions, tests, drugs and narrative."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from gateway.domain.codes import ResultQualifier, TestResultCode
from gateway.domain.drug import Drug
from gateway.domain.lab_test import LabTest
from gateway.domain.narrative import Narrative
from gateway.domain.patient import (
    CauseOfDeath,
    Death,
    MedicalHistoryEpisode,
    Parent,
    PastDrug,
    Patient,
)
from gateway.domain.reaction import Reaction
from schemas.e2b_r2 import codes
from schemas.e2b_r2.build_patient import EPISODE_TAGS, PAST_DRUG_TAGS
from schemas.e2b_r2.parse_drug import parse_drug
from schemas.e2b_r2.xml import Element, Reader, Sink, local_id, reader_flag, reader_flag3

_AGE_UNITS = {c: u for c, u in codes.TIME_UNIT_FROM_R2.items() if c <= "805"}
_GESTATION_UNITS = {
    c: u for c, u in codes.TIME_UNIT_FROM_R2.items() if c in {"802", "803", "804", "810"}
}
_RESULT = re.compile(r"^(?P<q><=|>=|<|>)?\s*(?P<n>[+-]?(\d+(\.\d*)?|\.\d+))$")
_RESULT_CODES = {m.name.lower(): m for m in TestResultCode}


@dataclass(frozen=True, slots=True)
class PatientSection:
    """What one R2 ``patient`` element holds, in domain terms."""

    patient: Patient | None
    reactions: tuple[Reaction, ...]
    tests: tuple[LabTest, ...]
    drugs: tuple[Drug, ...]
    narrative: Narrative


def _episode(el: Element, where: str, parent: bool, sink: Sink) -> MedicalHistoryEpisode:
    t = EPISODE_TAGS[parent]
    rd = Reader(el, where, sink)
    episode = MedicalHistoryEpisode(
        condition=rd.coded_term((t[1], t[2])),
        start=rd.date(t[3], t[4]),
        continuing=reader_flag3(rd, t[5]),
        end=rd.date(t[6], t[7]),
        comments=rd.text(t[8]),
    )
    rd.finish()
    return episode


def _past_drug(el: Element, where: str, parent: bool, sink: Sink) -> PastDrug:
    t = PAST_DRUG_TAGS[parent]
    rd = Reader(el, where, sink)
    drug = PastDrug(
        name=rd.text(t[1]),
        start=rd.date(t[2], t[3]),
        end=rd.date(t[4], t[5]),
        indication=rd.coded_term((t[6], t[7])),
        reaction=rd.coded_term((t[8], t[9])),
    )
    rd.finish()
    return drug


def _causes(rd: Reader, tags: tuple[str, str, str]) -> tuple[CauseOfDeath, ...]:
    causes = []
    for i, el in enumerate(rd.all(tags[0])):
        c = Reader(el, f"{rd.where}/{tags[0]}[{i}]", rd.sink)
        term, text = c.term((tags[1], tags[2]))
        c.finish()
        if term is not None or text is not None:
            causes.append(CauseOfDeath(term=term, text=text))
    return tuple(causes)


def _death(el: Element, where: str, sink: Sink) -> Death:
    rd = Reader(el, where, sink)
    death = Death(
        date=rd.date("patientdeathdateformat", "patientdeathdate"),
        autopsy_done=reader_flag3(rd, "patientautopsyyesno"),
        reported_causes=_causes(
            rd, ("patientdeathcause", "patientdeathreportmeddraversion", "patientdeathreport")
        ),
        autopsy_causes=_causes(
            rd, ("patientautopsy", "patientdetermautopsmeddraversion", "patientdetermineautopsy")
        ),
    )
    rd.finish()
    return death


def _parent(el: Element, where: str, sink: Sink) -> Parent:
    rd = Reader(el, where, sink)
    parent = Parent(
        identification=rd.text("parentidentification"),
        birth_date=rd.date("parentbirthdateformat", "parentbirthdate"),
        age=rd.quantity(("parentage", "parentageunit"), _AGE_UNITS),
        last_menstrual_period=rd.date("parentlastmenstrualdateformat", "parentlastmenstrualdate"),
        weight_kg=rd.decimal("parentweight"),
        height_cm=rd.decimal("parentheight"),
        sex=rd.coded("parentsex", codes.SEX_FROM_R2),
        medical_history_text=rd.text("parentmedicalrelevanttext"),
        medical_history=tuple(
            _episode(e, f"{where}/parentmedicalhistoryepisode[{i}]", True, sink)
            for i, e in enumerate(rd.all("parentmedicalhistoryepisode"))
        ),
        past_drugs=tuple(
            _past_drug(e, f"{where}/parentpastdrugtherapy[{i}]", True, sink)
            for i, e in enumerate(rd.all("parentpastdrugtherapy"))
        ),
    )
    rd.finish()
    return parent


def _reaction(el: Element, index: int, sink: Sink, where: str, report_id: str) -> Reaction:
    rd = Reader(el, f"{where}/reaction[{index}]", sink)
    reaction = Reaction(
        id=local_id(report_id, "reaction", index),
        verbatim_translation=rd.text("primarysourcereaction"),
        term=rd.coded_term(("reactionmeddraversionllt", "reactionmeddrallt")),
        term_highlighted=rd.coded("termhighlighted", codes.HIGHLIGHT_FROM_R2),
        start=rd.date("reactionstartdateformat", "reactionstartdate"),
        end=rd.date("reactionenddateformat", "reactionenddate"),
        duration=rd.quantity(("reactionduration", "reactiondurationunit"), codes.TIME_UNIT_FROM_R2),
        outcome=rd.coded("reactionoutcome", codes.OUTCOME_FROM_R2),
    )
    rd.finish()
    return reaction


def read_result(text: str | None) -> dict[str, object]:
    """B.3.1d free-text result -> numeric value (+ qualifier), result code, or text."""
    if text is None:
        return {}
    match = _RESULT.match(text)
    if match is not None:
        q = match.group("q")
        return {
            "result_value": Decimal(match.group("n")),
            "result_qualifier": ResultQualifier(q) if q else None,
        }
    code = _RESULT_CODES.get(text.casefold())
    return {"result_code": code} if code is not None else {"result_text": text}


def _test(el: Element, index: int, sink: Sink, where: str) -> LabTest:
    rd = Reader(el, f"{where}/test[{index}]", sink)
    date = rd.date("testdateformat", "testdate")
    name = rd.text("testname")
    result = read_result(rd.text("testresult"))
    test = LabTest(
        date=date,
        name=name,
        result_unit=rd.text("testunit"),
        normal_low=rd.text("lowtestrange"),
        normal_high=rd.text("hightestrange"),
        more_information_available=reader_flag(rd, "moreinformation"),
        **result,  # type: ignore[arg-type]
    )
    rd.finish()
    return test


def _summary(el: Element | None, sink: Sink, where: str) -> Narrative:
    if el is None:
        return Narrative()
    rd = Reader(el, f"{where}/summary", sink)
    diagnosis = rd.coded_term(("senderdiagnosismeddraversion", "senderdiagnosis"))
    narrative = Narrative(
        case_narrative=rd.text("narrativeincludeclinical"),
        reporter_comments=rd.text("reportercomment"),
        sender_diagnoses=(diagnosis,) if diagnosis is not None else (),
        sender_comments=rd.text("sendercomment"),
    )
    rd.finish()
    return narrative


def parse_patient(el: Element, where: str, sink: Sink, report_id: str) -> PatientSection:
    rd = Reader(el, where, sink)
    fields: dict[str, object] = {
        "name_or_initials": rd.text("patientinitial"),
        "gp_record_number": rd.text("patientgpmedicalrecordnumb"),
        "specialist_record_number": rd.text("patientspecialistrecordnumb"),
        "hospital_record_number": rd.text("patienthospitalrecordnumb"),
        "investigation_number": rd.text("patientinvestigationnumb"),
        "birth_date": rd.date("patientbirthdateformat", "patientbirthdate"),
        "age_at_onset": rd.quantity(("patientonsetage", "patientonsetageunit"), _AGE_UNITS),
        "gestation_period_at_onset": rd.quantity(
            ("gestationperiod", "gestationperiodunit"), _GESTATION_UNITS
        ),
        "age_group": rd.coded("patientagegroup", codes.AGE_GROUP_FROM_R2),
        "weight_kg": rd.decimal("patientweight"),
        "height_cm": rd.decimal("patientheight"),
        "sex": rd.coded("patientsex", codes.SEX_FROM_R2),
        "last_menstrual_period": rd.date("lastmenstrualdateformat", "patientlastmenstrualdate"),
        "medical_history_text": rd.text("patientmedicalhistorytext"),
    }
    free_text = rd.text("resultstestsprocedures")
    fields["medical_history"] = tuple(
        _episode(e, f"{where}/medicalhistoryepisode[{i}]", False, sink)
        for i, e in enumerate(rd.all("medicalhistoryepisode"))
    )
    fields["past_drugs"] = tuple(
        _past_drug(e, f"{where}/patientpastdrugtherapy[{i}]", False, sink)
        for i, e in enumerate(rd.all("patientpastdrugtherapy"))
    )
    deaths = rd.all("patientdeath")
    fields["death"] = _death(deaths[0], f"{where}/patientdeath", sink) if deaths else None
    parents = rd.all("parent")
    fields["parent"] = _parent(parents[0], f"{where}/parent", sink) if parents else None
    reactions = tuple(
        _reaction(e, i, sink, where, report_id) for i, e in enumerate(rd.all("reaction"))
    )
    tests = [_test(e, i, sink, where) for i, e in enumerate(rd.all("test"))]
    if free_text is not None:
        tests.append(LabTest(result_text=free_text))
    drugs = tuple(
        parse_drug(e, i, reactions, sink, where, report_id) for i, e in enumerate(rd.all("drug"))
    )
    summaries = rd.all("summary")
    narrative = _summary(summaries[0] if summaries else None, sink, where)
    rd.finish()
    patient = Patient(**fields)  # type: ignore[arg-type]
    return PatientSection(
        patient=None if patient == Patient() else patient,
        reactions=reactions,
        tests=tuple(tests),
        drugs=drugs,
        narrative=narrative,
    )
