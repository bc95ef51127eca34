"""Build the primary role: D (patient, parent), C.5 (study) and the E, F, G containers."""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.codes import AgeGroup, Sex
from gateway.domain.icsr import ICSR
from gateway.domain.patient import CauseOfDeath, MedicalHistoryEpisode, Parent, PastDrug, Patient
from gateway.domain.report import Study
from gateway.domain.values import Coded, Nullable, NullFlavor, PartialDate, Quantity
from schemas.e2b_r3 import oids
from schemas.e2b_r3.build_drug import build_drug
from schemas.e2b_r3.build_reaction import build_reaction, build_test
from schemas.e2b_r3.xml import (
    XSI_TYPE,
    Element,
    Placer,
    format_decimal,
    set_nullable_text,
    sub,
    sub_bl,
    sub_code,
    sub_meddra,
    sub_nullable_text,
    sub_observation,
    sub_pq,
    sub_text,
    sub_ts,
)

_RECORDS = (
    ("gp_record_number", oids.GP_RECORD, "1"),
    ("specialist_record_number", oids.SPECIALIST_RECORD, "2"),
    ("hospital_record_number", oids.HOSPITAL_RECORD, "3"),
    ("investigation_number", oids.INVESTIGATION_NUMBER, "4"),
)


def build_primary_role(subject: Element, icsr: ICSR, placer: Placer) -> Element:
    role = sub(subject, "primaryRole", {"classCode": "INVSBJ"})
    patient = icsr.patient or Patient()
    _player(role, patient, placer)
    if icsr.study is not None:
        _study(sub(role, "subjectOf1", {"typeCode": "SBJ"}), icsr.study, placer)
    _vitals(
        role,
        age=patient.age_at_onset,
        gestation=patient.gestation_period_at_onset,
        age_group=patient.age_group,
        weight=patient.weight_kg,
        height=patient.height_cm,
        lmp=patient.last_menstrual_period,
    )
    _history(
        role, patient.medical_history, patient.medical_history_text, patient.concomitant_therapies
    )
    _past_drugs(role, patient.past_drugs)
    death = patient.death
    if death is not None:
        for cause in death.reported_causes:
            _cause(_subject_observation(role, oids.OBS_REPORTED_CAUSE), cause)
        if death.autopsy_done is not None or death.autopsy_causes:
            obs = _subject_observation(role, oids.OBS_AUTOPSY)
            if death.autopsy_done is not None:
                sub_bl(obs, "value", death.autopsy_done)
            for cause in death.autopsy_causes:
                _cause(
                    sub_observation(obs, "outboundRelationship2", "DRIV", oids.OBS_AUTOPSY_CAUSE),
                    cause,
                )
    seen: dict[str, int] = {}
    for reaction in icsr.reactions:
        build_reaction(sub(role, "subjectOf2", {"typeCode": "SBJ"}), reaction, placer, seen)
    if icsr.tests:
        org = _organizer(role, oids.ORG_TESTS)
        for test in icsr.tests:
            build_test(sub(org, "component", {"typeCode": "COMP"}), test)
    if icsr.drugs:
        org = _organizer(role, oids.ORG_DRUGS)
        for drug in icsr.drugs:
            build_drug(sub(org, "component", {"typeCode": "COMP"}), drug, placer, seen)
    placer.place("primaryRole", role)
    return role


def _subject_observation(parent: Element, code: str) -> Element:
    return sub_observation(parent, "subjectOf2", "SBJ", code)


def _organizer(parent: Element, code: str) -> Element:
    subj = sub(parent, "subjectOf2", {"typeCode": "SBJ"})
    org = sub(subj, "organizer", {"classCode": "CATEGORY", "moodCode": "EVN"})
    sub_code(org, "code", code, oids.CL_ORGANIZER)
    return org


def _sex(person: Element, sex: Nullable[Sex] | None) -> None:
    if isinstance(sex, NullFlavor):
        sub(person, "administrativeGenderCode", {"nullFlavor": sex.value})
    elif sex is not None:
        sub_code(person, "administrativeGenderCode", sex.code, oids.SEX)


def _player(role: Element, p: Patient, placer: Placer) -> None:
    person = sub(role, "player1", {"classCode": "PSN", "determinerCode": "INSTANCE"})
    sub_nullable_text(person, "name", p.name_or_initials)
    _sex(person, p.sex)
    sub_ts(person, "birthTime", p.birth_date)
    if p.death is not None:
        sub_ts(person, "deceasedTime", p.death.date)
    for field, root, code in _RECORDS:
        value: Nullable[str] | None = getattr(p, field)
        if value is None:
            continue
        ident = sub(person, "asIdentifiedEntity", {"classCode": "IDENT"})
        el = sub(ident, "id")
        if isinstance(value, NullFlavor):
            el.set("nullFlavor", value.value)
        else:
            el.set("extension", value)
        el.set("root", root)
        sub_code(ident, "code", code, oids.CL_RECORD_SOURCE)
    if p.parent is not None:
        _parent(person, p.parent, placer)
    placer.place("patient", person)


def _parent(person: Element, parent: Parent, placer: Placer) -> None:
    role = sub(person, "role", {"classCode": "PRS"})
    sub_code(role, "code", "PAR", oids.HL7_ROLE_CODE)
    assoc = sub(role, "associatedPerson", {"classCode": "PSN", "determinerCode": "INSTANCE"})
    sub_nullable_text(assoc, "name", parent.identification)
    _sex(assoc, parent.sex)
    sub_ts(assoc, "birthTime", parent.birth_date)
    placer.place("parent:person", assoc)
    _vitals(
        role,
        age=parent.age,
        gestation=None,
        age_group=None,
        weight=parent.weight_kg,
        height=parent.height_cm,
        lmp=parent.last_menstrual_period,
    )
    _history(role, parent.medical_history, parent.medical_history_text, None)
    _past_drugs(role, parent.past_drugs)
    placer.place("parent", role)


def _vitals(
    parent: Element,
    *,
    age: Quantity | None,
    gestation: Quantity | None,
    age_group: AgeGroup | None,
    weight: Decimal | None,
    height: Decimal | None,
    lmp: Nullable[PartialDate] | None,
) -> None:
    if age is not None:
        sub_pq(_subject_observation(parent, oids.OBS_AGE), "value", age, "PQ")
    if gestation is not None:
        sub_pq(_subject_observation(parent, oids.OBS_GESTATION), "value", gestation, "PQ")
    if age_group is not None:
        obs = _subject_observation(parent, oids.OBS_AGE_GROUP)
        sub_code(obs, "value", age_group.code, oids.CL_AGE_GROUP, xsi_type="CE")
    if weight is not None:
        obs = _subject_observation(parent, oids.OBS_WEIGHT)
        sub(obs, "value", {XSI_TYPE: "PQ", "value": format_decimal(weight), "unit": "kg"})
    if height is not None:
        obs = _subject_observation(parent, oids.OBS_HEIGHT)
        sub(obs, "value", {XSI_TYPE: "PQ", "value": format_decimal(height), "unit": "cm"})
    if lmp is not None:
        sub_ts(_subject_observation(parent, oids.OBS_LMP), "value", lmp, "TS")


def _interval(
    parent: Element, start: Nullable[PartialDate] | None, end: Nullable[PartialDate] | None
) -> None:
    if start is None and end is None:
        return
    eff = sub(parent, "effectiveTime", {XSI_TYPE: "IVL_TS"})
    sub_ts(eff, "low", start)
    sub_ts(eff, "high", end)


def _history(
    parent: Element,
    episodes: tuple[MedicalHistoryEpisode, ...],
    text: Nullable[str] | None,
    concomitant: bool | None,
) -> None:
    if not episodes and text is None and concomitant is None:
        return
    org = _organizer(parent, oids.ORG_MEDICAL_HISTORY)
    for ep in episodes:
        comp = sub(org, "component", {"typeCode": "COMP"})
        obs = sub(comp, "observation", {"classCode": "OBS", "moodCode": "EVN"})
        if ep.condition is not None:
            sub_meddra(obs, "code", ep.condition, xsi_type=None)
        else:
            sub(obs, "code", {"codeSystem": oids.MEDDRA})
        _interval(obs, ep.start, ep.end)
        if ep.comments is not None:
            rel = sub_observation(obs, "outboundRelationship2", "COMP", oids.OBS_COMMENT)
            sub_text(rel, "value", ep.comments, {XSI_TYPE: "ED"})
        if ep.family_history is not None:
            rel = sub_observation(obs, "outboundRelationship2", "EXPL", oids.OBS_FAMILY_HISTORY)
            sub_bl(rel, "value", True)
        if ep.continuing is not None:
            rel = sub_observation(obs, "inboundRelationship", "REFR", oids.OBS_CONTINUING)
            sub_bl(rel, "value", ep.continuing)
    if text is not None:
        comp = sub(org, "component", {"typeCode": "COMP"})
        obs = sub(comp, "observation", {"classCode": "OBS", "moodCode": "EVN"})
        sub_code(obs, "code", oids.OBS_HISTORY_TEXT, oids.CL_OBSERVATION)
        set_nullable_text(sub(obs, "value", {XSI_TYPE: "ED"}), text)
    if concomitant is not None:
        comp = sub(org, "component", {"typeCode": "COMP"})
        obs = sub(comp, "observation", {"classCode": "OBS", "moodCode": "EVN"})
        sub_code(obs, "code", oids.OBS_CONCOMITANT_THERAPY, oids.CL_OBSERVATION)
        sub_bl(obs, "value", True)


def _product_code(kind: Element, code: Coded | None) -> None:
    if code is not None:
        sub_code(kind, "code", code.code, code.system, code.version)


def _past_drugs(parent: Element, drugs: tuple[PastDrug, ...]) -> None:
    if not drugs:
        return
    org = _organizer(parent, oids.ORG_DRUG_HISTORY)
    for d in drugs:
        comp = sub(org, "component", {"typeCode": "COMP"})
        sa = sub(comp, "substanceAdministration", {"classCode": "SBADM", "moodCode": "EVN"})
        _interval(sa, d.start, d.end)
        cons = sub(sa, "consumable", {"typeCode": "CSM"})
        iok = sub(cons, "instanceOfKind", {"classCode": "INST"})
        kind = sub(iok, "kindOfProduct", {"classCode": "MMAT", "determinerCode": "KIND"})
        _product_code(kind, d.mpid or d.phpid)
        sub_nullable_text(kind, "name", d.name)
        if d.indication is not None:
            obs = sub_observation(sa, "outboundRelationship2", "RSON", oids.OBS_INDICATION)
            sub_meddra(obs, "value", d.indication)
        if d.reaction is not None:
            obs = sub_observation(sa, "outboundRelationship2", "CAUS", oids.OBS_REACTION)
            sub_meddra(obs, "value", d.reaction)


def _cause(obs: Element, cause: CauseOfDeath) -> None:
    if cause.term is not None:
        value = sub_meddra(obs, "value", cause.term)
    else:
        value = sub(obs, "value", {XSI_TYPE: "CE", "codeSystem": oids.MEDDRA})
    if cause.text is not None:
        sub_text(value, "originalText", cause.text)


def _study(subject: Element, study: Study, placer: Placer) -> None:
    rs = sub(subject, "researchStudy", {"classCode": "CLNTRL", "moodCode": "EVN"})
    number = study.sponsor_study_number
    if isinstance(number, NullFlavor):
        sub(rs, "id", {"nullFlavor": number.value, "root": oids.SPONSOR_STUDY_NUMBER})
    elif number is not None:
        sub(rs, "id", {"extension": number, "root": oids.SPONSOR_STUDY_NUMBER})
    if study.study_type is not None:
        sub_code(rs, "code", study.study_type.code, oids.CL_STUDY_TYPE)
    sub_nullable_text(rs, "title", study.name)
    for reg in study.registrations:
        auth = sub(rs, "authorization", {"typeCode": "AUTH"})
        sr = sub(auth, "studyRegistration", {"classCode": "ACT", "moodCode": "EVN"})
        if isinstance(reg.number, NullFlavor):
            sub(sr, "id", {"nullFlavor": reg.number.value, "root": oids.STUDY_REGISTRATION})
        elif reg.number is not None:
            sub(sr, "id", {"extension": reg.number, "root": oids.STUDY_REGISTRATION})
        if reg.country is not None:
            author = sub(sr, "author", {"typeCode": "AUT"})
            terr = sub(author, "territorialAuthority", {"classCode": "TERR"})
            place = sub(
                terr, "governingPlace", {"classCode": "COUNTRY", "determinerCode": "INSTANCE"}
            )
            if isinstance(reg.country, NullFlavor):
                sub(place, "code", {"nullFlavor": reg.country.value})
            else:
                sub_code(place, "code", reg.country, oids.COUNTRY)
    placer.place("study", rs)
