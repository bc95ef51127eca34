"""ICH rules on sections D (patient), E (reactions), F (tests), G (drugs), H (narrative)."""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.codes import DrugRole
from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from gateway.domain.patient import Patient
from gateway.domain.values import PartialDate
from schemas.e2b_rules.base import Sink, known
from schemas.e2b_rules.paths import MessagePaths
from schemas.e2b_rules.tables import AGE_UNITS

__all__ = ["check_drugs", "check_narrative", "check_patient", "check_reactions", "check_tests"]

_PATIENT_IDS = [
    "name_or_initials",
    "gp_record_number",
    "specialist_record_number",
    "hospital_record_number",
    "investigation_number",
    "birth_date",
    "age_at_onset",
    "gestation_period_at_onset",
    "age_group",
    "sex",
]


def check_patient(icsr: ICSR, p: MessagePaths, sink: Sink) -> None:
    """D: presence, identifiability (minimum criteria), nullFlavors, lengths, dates."""
    patient = icsr.patient
    if patient is None:
        sink.required("D", p.patient("D"), None, "patient characteristics")
        sink.reject(
            "ICH.D.identifiable",
            "D",
            p.patient("D"),
            "no identifiable patient: none of D.1, D.1.1.x, D.2.1, D.2.2, D.2.2.1, D.2.3, D.5 "
            "is known (minimum criteria)",
        )
        return
    sink.required("D.1", p.patient("D.1"), patient.name_or_initials)
    sink.lengths("patient", patient, p.patient)
    sink.null_flavors("patient", patient, p.patient)
    if not any(known(getattr(patient, n)) for n in _PATIENT_IDS):
        sink.reject(
            "ICH.D.identifiable",
            "D",
            p.patient("D"),
            "no identifiable patient: none of D.1, D.1.1.x, D.2.1, D.2.2, D.2.2.1, D.2.3, D.5 "
            "is known (minimum criteria)",
        )
    age = patient.age_at_onset
    if age is not None and age.unit not in AGE_UNITS:
        sink.reject(
            "ICH.D.2.2b.value",
            "D.2.2b",
            p.patient("D.2.2") + "/@unit",
            f"D.2.2b contains invalid value {age.unit!r} (UCUM year, month, week, day, hour, "
            "decade)",
        )
    if age is not None and (age.value < 0 or len(str(abs(age.value)).replace(".", "")) > 5):
        sink.reject(
            "ICH.D.2.2a.value",
            "D.2.2a",
            p.patient("D.2.2") + "/@value",
            f"D.2.2a must be a non-negative number of at most 5 digits, got {age.value}",
        )
    sink.future("D.2.1", p.patient("D.2.1"), patient.birth_date)
    sink.future("D.6", p.patient("D.6"), patient.last_menstrual_period)
    _death_and_parent(patient, p, sink)
    birth = patient.birth_date
    if isinstance(birth, PartialDate):
        for i, reaction in enumerate(icsr.reactions, start=1):
            start = reaction.start
            if isinstance(start, PartialDate) and start < birth:
                sink.warn(
                    "ICH.E.i.4.order",
                    "E.i.4",
                    p.reaction(i, "E.i.4"),
                    f"E.i.4 ({start.format()}) is before the patient's birth D.2.1 "
                    f"({birth.format()}); use D.10 for a parent-child report",
                )


def _death_and_parent(patient: Patient, p: MessagePaths, sink: Sink) -> None:
    death = patient.death
    if death is not None:
        sink.null_flavors("death", death, p.patient)
        sink.future("D.9.1", p.patient("D.9.1"), death.date)
        sink.end_after_start("D.9.1", "D.2.1", p.patient("D.9.1"), patient.birth_date, death.date)
    for h, episode in enumerate(patient.medical_history, start=1):
        where = f"{p.patient('D')}/subjectOf2/organizer[code/@code='1']/component[{h}]"
        sink.future("D.7.1.r.2", where, episode.start)
        sink.future("D.7.1.r.4", where, episode.end)
        sink.end_after_start("D.7.1.r.4", "D.7.1.r.2", where, episode.start, episode.end)
    parent = patient.parent
    if parent is not None:
        where = f"{p.patient('D')}/role[code/@code='PRN']"
        sink.null_flavors("parent", parent, where)
        sink.future("D.10.2.1", where, parent.birth_date)


def check_reactions(icsr: ICSR, p: MessagePaths, sink: Sink) -> None:
    """E.i: at least one; MedDRA term and outcome required; dates; lengths; countries."""
    if not icsr.reactions:
        sink.reject(
            "ICH.E.i.required",
            "E.i",
            p.reaction(1),
            "at least one reaction / event (E.i) is required (minimum criteria)",
        )
    for i, reaction in enumerate(icsr.reactions, start=1):

        def where(element: str, i: int = i) -> str:
            return p.reaction(i, element)

        sink.required("E.i.2.1b", where("E.i.2.1b"), reaction.term, f"reaction {i}")
        sink.required("E.i.7", where("E.i.7"), reaction.outcome, f"reaction {i}")
        sink.lengths("reaction", reaction, where)
        sink.null_flavors("reaction", reaction, where)
        sink.country("E.i.9", where("E.i.9"), reaction.country)
        if reaction.verbatim_native and not reaction.verbatim_language:
            sink.reject(
                "ICH.E.i.1.1b.conditional",
                "E.i.1.1b",
                where("E.i.1.1b"),
                "E.i.1.1b must be provided when E.i.1.1a is provided",
            )
        language = reaction.verbatim_language
        if language is not None and not (len(language) == 3 and language.isalpha()):
            sink.reject(
                "ICH.E.i.1.1b.format",
                "E.i.1.1b",
                where("E.i.1.1b"),
                f"E.i.1.1b {language!r} is not an ISO 639-2 alpha-3 code",
            )
        sink.future("E.i.4", where("E.i.4"), reaction.start)
        sink.future("E.i.5", where("E.i.5"), reaction.end)
        sink.end_after_start("E.i.5", "E.i.4", where("E.i.5"), reaction.start, reaction.end)


def check_tests(icsr: ICSR, p: MessagePaths, sink: Sink) -> None:
    """F.r: a named test needs a result; a numeric result needs a unit; no future dates."""
    for r, test in enumerate(icsr.tests, start=1):
        where = p.test(r)
        sink.lengths("test", test, where)
        sink.null_flavors("test", test, where)
        sink.future("F.r.1", f"{where}/effectiveTime", test.date)
        named = test.name is not None or test.name_term is not None
        has_result = (
            test.result_code is not None
            or test.result_value is not None
            or test.result_text is not None
        )
        if named and not has_result:
            sink.reject(
                "ICH.F.r.3.conditional",
                "F.r.3",
                f"{where}/value",
                "at least one of F.r.3.1, F.r.3.2, F.r.3.4 must be provided for a test (F.r.2)",
            )
        if isinstance(test.result_value, Decimal) and not test.result_unit:
            sink.reject(
                "ICH.F.r.3.3.conditional",
                "F.r.3.3",
                f"{where}/value/@unit",
                "F.r.3.3 must be provided when F.r.3.2 is provided",
            )


def check_drugs(icsr: ICSR, p: MessagePaths, sink: Sink) -> None:
    """G.k: at least one suspect / interacting / not administered drug; role and name required;
    dosage dates; matrix references."""
    if not icsr.drugs:
        sink.reject("ICH.G.k.required", "G.k", p.drug(1), "at least one drug (G.k) is required")
    roles = {d.role for d in icsr.drugs}
    if icsr.drugs and not roles & {
        DrugRole.SUSPECT,
        DrugRole.INTERACTING,
        DrugRole.DRUG_NOT_ADMINISTERED,
    }:
        sink.reject(
            "ICH.G.k.1.suspect",
            "G.k.1",
            p.drug(1),
            "each ICSR must contain at least one 'Suspect', 'Interacting' or 'Drug Not "
            "Administered' drug (G.k.1 = 1, 3 or 4)",
        )
    elif icsr.drugs and not roles & {DrugRole.SUSPECT, DrugRole.INTERACTING}:
        sink.warn(
            "ICH.G.k.1.suspect_interacting",
            "G.k.1",
            p.drug(1),
            "no suspect or interacting drug (G.k.1 = 1 or 3): the report does not meet the "
            "minimum criteria for a valid ICSR",
        )
    for k, drug in enumerate(icsr.drugs, start=1):
        _drug(drug, k, p, sink)
    for problem in icsr.validate_references():
        sink.reject(
            "ICH.G.k.9.i.1.reference",
            "G.k.9.i.1",
            f"{p.ie}/component/adverseEventAssessment ({problem.path})",
            problem.message,
        )


def _drug(drug: Drug, k: int, p: MessagePaths, sink: Sink) -> None:
    def where(element: str) -> str:
        return p.drug(k, element)

    if drug.role is None:
        sink.required("G.k.1", p.drug_role(drug.id), None, f"drug {k} {drug.name_as_reported!r}")
    sink.required("G.k.2.2", where("G.k.2.2"), drug.name_as_reported, f"drug {k}")
    sink.lengths("drug", drug, where)
    sink.country("G.k.2.4", where("G.k.2.4"), drug.country_obtained)
    sink.country("G.k.3.2", where("G.k.3.2"), drug.authorisation_country)
    if drug.authorisation_number and not drug.authorisation_country:
        sink.reject(
            "ICH.G.k.3.2.conditional",
            "G.k.3.2",
            where("G.k.3.2"),
            "G.k.3.2 must be provided when G.k.3.1 is provided",
        )
    for r, dosage in enumerate(drug.dosages, start=1):
        dw = p.dosage(k, r)
        sink.lengths("dosage", dosage, dw)
        sink.null_flavors("dosage", dosage, dw)
        sink.future("G.k.4.r.4", f"{dw}/effectiveTime", dosage.start)
        sink.future("G.k.4.r.5", f"{dw}/effectiveTime", dosage.end)
        sink.end_after_start(
            "G.k.4.r.5", "G.k.4.r.4", f"{dw}/effectiveTime", dosage.start, dosage.end
        )
    for r, indication in enumerate(drug.indications, start=1):
        iw = f"{where('G.k.7.r')}[{r}]"
        sink.lengths("indication", indication, iw)
        sink.null_flavors("indication", indication, iw)
    for row in drug.reaction_assessments:
        for assessment in row.assessments:
            sink.lengths("assessment", assessment, where("G.k"))


def check_narrative(icsr: ICSR, p: MessagePaths, sink: Sink) -> None:
    """H.1 required (each ICSR must include a narrative); lengths; H.5.r.1b conditional."""
    narrative = icsr.narrative
    text = narrative.case_narrative
    sink.required("H.1", p.narrative("H.1"), text if text and text.strip() else None)
    sink.lengths("narrative", narrative, p.narrative)
    for r, summary in enumerate(narrative.native_language_summaries, start=1):
        where = f"{p.report('H.5.r')}[{r}]"
        if len(summary.text) > 100000:
            sink.reject(
                "ICH.H.5.r.1a.length",
                "H.5.r.1a",
                where,
                f"maximum length exceeded for H.5.r.1a: {len(summary.text)} > 100000 characters",
            )
        if summary.text and not summary.language:
            sink.reject(
                "ICH.H.5.r.1b.conditional",
                "H.5.r.1b",
                f"{where}/@language",
                "H.5.r.1b must be provided when H.5.r.1a is provided",
            )
