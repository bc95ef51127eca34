"""B.1-B.3 and B.5: ``patient`` with history, death, parent, reactions, tests, summary."""

from __future__ import annotations

from lxml import etree

from gateway.domain.codes import TermHighlighted
from gateway.domain.icsr import ICSR
from gateway.domain.lab_test import LabTest
from gateway.domain.narrative import Narrative
from gateway.domain.patient import CauseOfDeath, Death, MedicalHistoryEpisode, Parent, PastDrug
from gateway.domain.reaction import Reaction
from gateway.domain.values import NullFlavor
from schemas.e2b_r2 import codes
from schemas.e2b_r2.build_drug import build_drug
from schemas.e2b_r2.xml import Element, Sink, date_pair, fmt_decimal, leaf, meddra, plain, quantity

_AGE_UNITS = {u: c for u, c in codes.TIME_UNIT_TO_R2.items() if c <= "805"}
_GESTATION_UNITS = {
    u: c for u, c in codes.TIME_UNIT_TO_R2.items() if c in {"802", "803", "804", "810"}
}

#: tag names of the patient (B.1.7.1 / B.1.8) and parent (B.1.10.7.1 / B.1.10.8) records
EPISODE_TAGS = {
    False: (
        "medicalhistoryepisode",
        "patientepisodenamemeddraversion",
        "patientepisodename",
        "patientmedicalstartdateformat",
        "patientmedicalstartdate",
        "patientmedicalcontinue",
        "patientmedicalenddateformat",
        "patientmedicalenddate",
        "patientmedicalcomment",
    ),
    True: (
        "parentmedicalhistoryepisode",
        "parentmdepisodemeddraversion",
        "parentmedicalepisodename",
        "parentmedicalstartdateformat",
        "parentmedicalstartdate",
        "parentmedicalcontinue",
        "parentmedicalenddateformat",
        "parentmedicalenddate",
        "parentmedicalcomment",
    ),
}
PAST_DRUG_TAGS = {
    False: (
        "patientpastdrugtherapy",
        "patientdrugname",
        "patientdrugstartdateformat",
        "patientdrugstartdate",
        "patientdrugenddateformat",
        "patientdrugenddate",
        "patientindicationmeddraversion",
        "patientdrugindication",
        "patientdrgreactionmeddraversion",
        "patientdrugreaction",
    ),
    True: (
        "parentpastdrugtherapy",
        "parentdrugname",
        "parentdrugstartdateformat",
        "parentdrugstartdate",
        "parentdrugenddateformat",
        "parentdrugenddate",
        "parentdrgindicationmeddraversion",
        "parentdrugindication",
        "parentdrgreactionmeddraversion",
        "parentdrugreaction",
    ),
}


def _episode(
    parent_el: Element, e: MedicalHistoryEpisode, parent: bool, sink: Sink, where: str
) -> None:
    t = EPISODE_TAGS[parent]
    ids = "D.10.7.1.r" if parent else "D.7.1.r"
    el = etree.SubElement(parent_el, t[0])
    meddra(el, (t[1], t[2]), e.condition)
    date_pair(el, (t[3], t[4]), e.start, sink, f"{ids}.2", where)
    if e.continuing is not None:
        code = codes.yes_no_unknown(e.continuing)
        if code is None:
            sink.lost(f"{ids}.3", where, "nullFlavor cannot be expressed in R2")
        leaf(el, t[5], code)
    date_pair(el, (t[6], t[7]), e.end, sink, f"{ids}.4", where)
    leaf(el, t[8], e.comments)
    if e.family_history is not None:
        sink.lost("D.7.1.r.6", where, "family history flag has no R2 element")


def _past_drug(parent_el: Element, d: PastDrug, parent: bool, sink: Sink, where: str) -> None:
    t = PAST_DRUG_TAGS[parent]
    ids = "D.10.8.r" if parent else "D.8.r"
    el = etree.SubElement(parent_el, t[0])
    leaf(el, t[1], plain(d.name, sink, f"{ids}.1", where))
    date_pair(el, (t[2], t[3]), d.start, sink, f"{ids}.4", where)
    date_pair(el, (t[4], t[5]), d.end, sink, f"{ids}.5", where)
    meddra(el, (t[6], t[7]), d.indication)
    meddra(el, (t[8], t[9]), d.reaction)
    for element_id, value in ((f"{ids}.2", d.mpid), (f"{ids}.3", d.phpid)):
        if value is not None:
            sink.lost(element_id, where, "MPID / PhPID has no R2 element")


def _cause(
    el: Element,
    tags: tuple[str, str, str],
    c: CauseOfDeath,
    sink: Sink,
    element_id: str,
    where: str,
) -> None:
    cause = etree.SubElement(el, tags[0])
    if c.term is not None:
        meddra(cause, (tags[1], tags[2]), c.term)
        if c.text is not None:
            sink.lost(element_id, where, "free-text cause beside its MedDRA code")
    else:
        leaf(cause, tags[2], c.text)


def _death(patient: Element, death: Death, sink: Sink) -> None:
    el = etree.SubElement(patient, "patientdeath")
    date_pair(
        el,
        ("patientdeathdateformat", "patientdeathdate"),
        death.date,
        sink,
        "D.9.1",
        "patient.death",
    )
    if death.autopsy_done is not None:
        code = codes.yes_no_unknown(death.autopsy_done)
        if code is None:
            sink.lost("D.9.3", "patient.death", "nullFlavor cannot be expressed in R2")
        leaf(el, "patientautopsyyesno", code)
    for i, c in enumerate(death.reported_causes):
        tags = ("patientdeathcause", "patientdeathreportmeddraversion", "patientdeathreport")
        _cause(el, tags, c, sink, "D.9.2.r.2", f"patient.death.reported_causes[{i}]")
    for i, c in enumerate(death.autopsy_causes):
        tags = ("patientautopsy", "patientdetermautopsmeddraversion", "patientdetermineautopsy")
        _cause(el, tags, c, sink, "D.9.4.r.2", f"patient.death.autopsy_causes[{i}]")


def _parent(patient: Element, p: Parent, sink: Sink) -> None:
    w = "patient.parent"
    el = etree.SubElement(patient, "parent")
    leaf(el, "parentidentification", plain(p.identification, sink, "D.10.1", w))
    date_pair(el, ("parentbirthdateformat", "parentbirthdate"), p.birth_date, sink, "D.10.2.1", w)
    quantity(el, ("parentage", "parentageunit"), p.age, _AGE_UNITS, sink, "D.10.2.2", w)
    date_pair(
        el,
        ("parentlastmenstrualdateformat", "parentlastmenstrualdate"),
        p.last_menstrual_period,
        sink,
        "D.10.3",
        w,
    )
    leaf(el, "parentweight", fmt_decimal(p.weight_kg) if p.weight_kg is not None else None)
    leaf(el, "parentheight", fmt_decimal(p.height_cm) if p.height_cm is not None else None)
    _sex(el, "parentsex", p.sex, sink, "D.10.6", w)
    leaf(el, "parentmedicalrelevanttext", p.medical_history_text)
    for i, e in enumerate(p.medical_history):
        _episode(el, e, True, sink, f"{w}.medical_history[{i}]")
    for i, d in enumerate(p.past_drugs):
        _past_drug(el, d, True, sink, f"{w}.past_drugs[{i}]")


def _sex(el: Element, tag: str, sex: object, sink: Sink, element_id: str, where: str) -> None:
    if sex is None:
        return
    code = codes.SEX_TO_R2.get(sex)  # type: ignore[call-overload]
    if code is None:
        sink.lost(element_id, where, f"{sex} has no R2 sex code")
    leaf(el, tag, code)


def expected_seriousness_applies(reaction: Reaction) -> bool:
    """Whether the report-level R2 seriousness is read back onto this reaction."""
    return reaction.term_highlighted not in (
        TermHighlighted.YES_NOT_SERIOUS,
        TermHighlighted.NO_NOT_SERIOUS,
    )


def _reaction(patient: Element, r: Reaction, index: int, sink: Sink) -> None:
    w = f"reactions[{index}]"
    el = etree.SubElement(patient, "reaction")
    verbatim = r.verbatim_translation or r.verbatim_native
    leaf(el, "primarysourcereaction", verbatim)
    if r.verbatim_translation is not None and r.verbatim_native is not None:
        sink.lost("E.i.1.1a", w, "native-language verbatim term has no R2 element")
    if r.verbatim_language is not None:
        sink.lost("E.i.1.1b", w, "language of the verbatim term has no R2 element")
    meddra(el, ("reactionmeddraversionllt", "reactionmeddrallt"), r.term)
    leaf(
        el,
        "termhighlighted",
        codes.HIGHLIGHT_TO_R2[r.term_highlighted] if r.term_highlighted is not None else None,
    )
    tags = ("reactionstartdateformat", "reactionstartdate")
    date_pair(el, tags, r.start, sink, "E.i.4", w, codes.REACTION_DATE_FORMATS)
    tags = ("reactionenddateformat", "reactionenddate")
    date_pair(el, tags, r.end, sink, "E.i.5", w, codes.REACTION_DATE_FORMATS)
    tags = ("reactionduration", "reactiondurationunit")
    quantity(el, tags, r.duration, codes.TIME_UNIT_TO_R2, sink, "E.i.6", w)
    leaf(el, "reactionoutcome", codes.OUTCOME_TO_R2[r.outcome] if r.outcome else None)


def is_unstructured(t: LabTest) -> bool:
    """A test that only holds free text: written as B.3.2 ``resultstestsprocedures``."""
    return t.result_text is not None and t == LabTest(result_text=t.result_text)


def _test(patient: Element, t: LabTest, index: int, sink: Sink) -> None:
    w = f"tests[{index}]"
    el = etree.SubElement(patient, "test")
    date_pair(el, ("testdateformat", "testdate"), t.date, sink, "F.r.1", w)
    leaf(el, "testname", t.name)
    if t.name_term is not None:
        sink.lost("F.r.2.2", w, "MedDRA-coded test name has no R2 element")
    result = None
    if isinstance(t.result_value, NullFlavor):
        sink.lost("F.r.3.2", w, f"nullFlavor {t.result_value.name} cannot be expressed in R2")
    elif t.result_value is not None:
        prefix = t.result_qualifier.value if t.result_qualifier is not None else ""
        result = prefix + fmt_decimal(t.result_value)
    if t.result_code is not None:
        if result is None:
            result = t.result_code.name.lower()
        else:
            sink.lost("F.r.3.1", w, "coded result beside a numeric one")
    if t.result_text is not None:
        if result is None:
            result = t.result_text
        else:
            sink.lost("F.r.3.4", w, "free-text result beside a structured one")
    leaf(el, "testresult", result)
    leaf(el, "testunit", t.result_unit)
    leaf(el, "lowtestrange", t.normal_low)
    leaf(el, "hightestrange", t.normal_high)
    if t.comments is not None:
        sink.lost("F.r.6", w, "test comments have no R2 element")
    more = t.more_information_available
    leaf(el, "moreinformation", codes.yes_no(more) if more is not None else None)


def _summary(patient: Element, n: Narrative, sink: Sink) -> None:
    if n == Narrative():
        return
    el = etree.SubElement(patient, "summary")
    leaf(el, "narrativeincludeclinical", n.case_narrative)
    leaf(el, "reportercomment", n.reporter_comments)
    meddra(
        el,
        ("senderdiagnosismeddraversion", "senderdiagnosis"),
        n.sender_diagnoses[0] if n.sender_diagnoses else None,
    )
    for i in range(1, len(n.sender_diagnoses)):
        sink.lost("H.3.r", f"narrative.sender_diagnoses[{i}]", "R2 holds one sender diagnosis")
    leaf(el, "sendercomment", n.sender_comments)
    for i in range(len(n.native_language_summaries)):
        sink.lost(
            "H.5.r",
            f"narrative.native_language_summaries[{i}]",
            "case summary in another language has no R2 element",
        )


def build_patient(report: Element, icsr: ICSR, sink: Sink) -> None:
    """Append ``<patient>`` (mandatory in R2) in DTD order."""
    el = etree.SubElement(report, "patient")
    p = icsr.patient
    unstructured = [t for t in icsr.tests if is_unstructured(t)]
    if p is not None:
        w = "patient"
        leaf(el, "patientinitial", plain(p.name_or_initials, sink, "D.1", w))
        for tag, value, element_id in (
            ("patientgpmedicalrecordnumb", p.gp_record_number, "D.1.1.1"),
            ("patientspecialistrecordnumb", p.specialist_record_number, "D.1.1.2"),
            ("patienthospitalrecordnumb", p.hospital_record_number, "D.1.1.3"),
            ("patientinvestigationnumb", p.investigation_number, "D.1.1.4"),
        ):
            leaf(el, tag, plain(value, sink, element_id, w))
        date_pair(
            el, ("patientbirthdateformat", "patientbirthdate"), p.birth_date, sink, "D.2.1", w
        )
        quantity(
            el,
            ("patientonsetage", "patientonsetageunit"),
            p.age_at_onset,
            _AGE_UNITS,
            sink,
            "D.2.2",
            w,
        )
        quantity(
            el,
            ("gestationperiod", "gestationperiodunit"),
            p.gestation_period_at_onset,
            _GESTATION_UNITS,
            sink,
            "D.2.2.1",
            w,
        )
        group = codes.AGE_GROUP_TO_R2.get(p.age_group) if p.age_group is not None else None
        if p.age_group is not None and group is None:
            sink.lost("D.2.3", w, f"age group {p.age_group.name} has no R2 code")
        leaf(el, "patientagegroup", group)
        leaf(el, "patientweight", fmt_decimal(p.weight_kg) if p.weight_kg is not None else None)
        leaf(el, "patientheight", fmt_decimal(p.height_cm) if p.height_cm is not None else None)
        _sex(el, "patientsex", p.sex, sink, "D.5", w)
        date_pair(
            el,
            ("lastmenstrualdateformat", "patientlastmenstrualdate"),
            p.last_menstrual_period,
            sink,
            "D.6",
            w,
        )
        leaf(el, "patientmedicalhistorytext", plain(p.medical_history_text, sink, "D.7.2", w))
    leaf(el, "resultstestsprocedures", "\n".join(t.result_text or "" for t in unstructured))
    if p is not None:
        if p.concomitant_therapies is not None:
            sink.lost("D.7.3", "patient", "concomitant therapies flag has no R2 element")
        for i, e in enumerate(p.medical_history):
            _episode(el, e, False, sink, f"patient.medical_history[{i}]")
        for i, d in enumerate(p.past_drugs):
            _past_drug(el, d, False, sink, f"patient.past_drugs[{i}]")
        if p.death is not None:
            _death(el, p.death, sink)
        if p.parent is not None:
            _parent(el, p.parent, sink)
    for i, r in enumerate(icsr.reactions):
        _reaction(el, r, i, sink)
    for i, t in enumerate(icsr.tests):
        if not is_unstructured(t):
            _test(el, t, i, sink)
    if len(unstructured) > 1:
        sink.lost("F.r.3.4", "tests", "several free-text results joined into one B.3.2 text")
    by_id = {r.id: r for r in icsr.reactions}
    for i, drug in enumerate(icsr.drugs):
        build_drug(el, drug, i, by_id, sink)
    _summary(el, icsr.narrative, sink)
