"""The CIOMS I form ("Suspect adverse reaction report") of a case, as a one-page PDF.

The boxes follow the CIOMS I layout: I. reaction information (1 to 13), II. suspect
drug(s) (14 to 21), III. concomitant drugs and history (22, 23), IV. manufacturer
information (24a to 25a). Values come from the case's current version; a box is left
empty when the case does not know the value. Text that does not fit its box continues
on an attached page, as paper CIOMS forms do.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from gateway.domain.codes import DrugRole, ReportType, SeriousnessCriterion
from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from gateway.domain.lab_test import LabTest
from gateway.domain.partial_date import PartialDate
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.exports import field_text as ft
from gateway.exports.dossier_data import DossierData
from gateway.exports.form_kit import FormSheet, continuation
from gateway.exports.pdf_kit import FONT, PAGE, footed_canvas, register_fonts

_X = 28.0
_W = PAGE[0] - 2 * _X
_LEFT = 390.0  # the reaction and drug boxes; the check-box column takes the rest

_CRITERIA: tuple[tuple[SeriousnessCriterion, str], ...] = (
    (SeriousnessCriterion.DEATH, "PATIENT DIED"),
    (SeriousnessCriterion.HOSPITALISATION, "INVOLVED OR PROLONGED INPATIENT HOSPITALISATION"),
    (
        SeriousnessCriterion.DISABLING,
        "INVOLVED PERSISTENT OR SIGNIFICANT DISABILITY OR INCAPACITY",
    ),
    (SeriousnessCriterion.LIFE_THREATENING, "LIFE THREATENING"),
    (SeriousnessCriterion.CONGENITAL_ANOMALY, "CONGENITAL ANOMALY"),
    (SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT, "OTHER MEDICALLY IMPORTANT CONDITION"),
)


def _numbered(items: Sequence[str]) -> str:
    shown = [i for i in items if i]
    if len(items) <= 1:
        return shown[0] if shown else ""
    return "\n".join(f"#{n} {text}" for n, text in enumerate(items, start=1) if text)


def _per_drug(drugs: Sequence[Drug], value: Callable[[Drug], str]) -> str:
    return _numbered([value(d) for d in drugs])


def _reaction_line(r: Reaction, names: dict[str, str]) -> str:
    parts = [r.verbatim_translation or r.verbatim_native or "(no verbatim text)"]
    coded = ft.meddra(r.term, names)
    if coded:
        parts[0] += f" [{coded}]"
    if r.start is not None:
        parts.append(f"onset {ft.form_date(r.start)}")
    if r.end is not None:
        parts.append(f"end {ft.form_date(r.end)}")
    if r.outcome is not None:
        parts.append(f"outcome: {ft.labelled(ft.OUTCOME_LABELS, r.outcome)}")
    criteria = [
        ft.SERIOUSNESS_LABELS[c] for c in SeriousnessCriterion if c in r.seriousness.criteria
    ]
    parts.append("serious: " + ", ".join(criteria) if criteria else "non-serious")
    return "; ".join(parts)


def _test_line(t: LabTest) -> str:
    result = t.result_text or ""
    if t.result_value is not None:
        value = ft.plain(t.result_value)
        qualifier = t.result_qualifier.value if t.result_qualifier is not None else ""
        result = f"{qualifier}{value} {t.result_unit or ''}".strip()
    elif t.result_code is not None:
        result = t.result_code.name.lower()
    when = ft.form_date(t.date)
    return f"{when + ': ' if when else ''}{t.name or 'test'} {result}".strip()


def describe_reactions(icsr: ICSR, names: dict[str, str]) -> str:
    """Box 7 + 13: the reactions, relevant tests and the narrative."""
    lines = [_reaction_line(r, names) for r in icsr.reactions]
    if icsr.tests:
        lines.append("Relevant tests / laboratory data: " + "; ".join(map(_test_line, icsr.tests)))
    if icsr.narrative.case_narrative:
        lines.append(icsr.narrative.case_narrative)
    return "\n".join(lines)


def _history(icsr: ICSR, names: dict[str, str]) -> str:
    p = icsr.patient
    if p is None:
        return ""
    lines = []
    for e in p.medical_history:
        text = ft.meddra(e.condition, names) or (e.comments or "")
        period = " to ".join(x for x in (ft.plain(e.start), ft.plain(e.end)) if x)
        if e.continuing is True:
            period = f"{period} (continuing)" if period else "continuing"
        if e.comments and e.condition is not None:
            text += f" ({e.comments})"
        lines.append(f"{text}{': ' + period if period else ''}")
    text = ft.plain(p.medical_history_text)
    if text:
        lines.append(text)
    for past in p.past_drugs:
        lines.append(f"past drug: {ft.plain(past.name)}".strip())
    if p.last_menstrual_period is not None:
        lines.append(f"last menstrual period: {ft.plain(p.last_menstrual_period)}")
    return "\n".join(lines)


def _concomitants(icsr: ICSR) -> str:
    lines = []
    for d in icsr.drugs_with_role(DrugRole.CONCOMITANT):
        dosage = d.dosages[0] if d.dosages else None
        details = [ft.dose(dosage), ft.route(dosage), ft.therapy_dates(dosage)] if dosage else []
        lines.append(", ".join([ft.drug_name(d), *(x for x in details if x)]))
    return "\n".join(lines)


def _manufacturer(icsr: ICSR) -> str:
    s = icsr.sender
    if s is None:
        holders = {d.authorisation_holder for d in icsr.suspect_drugs() if d.authorisation_holder}
        return "\n".join(sorted(holders))
    town = " ".join(x for x in (s.postcode, s.city) if x)
    address = ", ".join(x for x in (s.street, town, s.state, s.country) if x)
    lines = [s.organisation, s.department, address]
    return "\n".join(x for x in lines if x)


def _checks(
    sheet: FormSheet, x: float, top: float, width: float, answer: str | None, spacing: float = 50
) -> None:
    for offset, (value, label) in enumerate((("yes", "YES"), ("no", "NO"), ("na", "N/A"))):
        sheet.checkbox(x + offset * spacing, top, answer == value, label)


def _combine(answers: Sequence[str | None]) -> str | None:
    """One answer for the form: all drugs agree, or the first drug that knows."""
    known = [a for a in answers if a is not None]
    return known[0] if known else None


def render_cioms(data: DossierData) -> bytes:
    """The CIOMS I form of the case's current version."""
    register_fonts()
    icsr = data.icsr
    names = dict(data.term_names)
    patient = icsr.patient or Patient()
    suspects = icsr.suspect_drugs()
    first_reaction = icsr.reactions[0] if icsr.reactions else None
    out = io.BytesIO()
    footer = (
        f"CIOMS I · case {data.case_id} version {data.case.current.number} · "
        f"generated {ft.timestamp(data.generated_at)}"
    )
    canvas: Canvas = footed_canvas(footer)(out, pagesize=PAGE)
    canvas.setTitle(f"CIOMS I {data.case_id}")
    canvas.setAuthor("icsr-gateway")
    sheet = FormSheet(canvas)
    overflow: list[tuple[str, str]] = []

    def box(label: str, x: float, top: float, w: float, h: float, value: str) -> None:
        rest = sheet.box(x, top, w, h, label, value)
        if rest:
            overflow.append((label, rest))

    sheet.title(_X, 28, "CIOMS FORM", size=14)
    sheet.title(_X + 132, 31, "SUSPECT ADVERSE REACTION REPORT", size=10.5)
    box("CASE ID", _X + _W - 130, 26, 130, 26, data.case_id)

    # I. Reaction information
    top = sheet.section(_X, 60, _W, "I. REACTION INFORMATION")
    onset = ft.form_date(first_reaction.start) if first_reaction else ""
    row = [
        ("1. PATIENT INITIALS (first, last)", 82.0, ft.initials(patient.name_or_initials)),
        ("1a. COUNTRY", 48.0, _country(icsr)),
        ("2. DATE OF BIRTH (Day Month Year)", 82.0, ft.form_date(patient.birth_date)),
        ("2a. AGE", 52.0, ft.quantity(patient.age_at_onset)),
        ("3. SEX", 34.0, ft.sex(patient.sex)),
        ("4-6. REACTION ONSET (Day Month Year)", 92.0, onset),
    ]
    x = _X
    for label, width, value in row:
        box(label, x, top, width, 36, value)
        x += width
    box(
        "7 + 13. DESCRIBE REACTION(S) (including relevant tests / lab data)",
        _X,
        top + 36,
        _LEFT,
        190,
        describe_reactions(icsr, names),
    )
    sheet.box(_X + _LEFT, top, _W - _LEFT, 226, "8-12. CHECK ALL APPROPRIATE TO ADVERSE REACTION")
    criteria = {c for r in icsr.reactions for c in r.seriousness.criteria}
    check_top = top + 22
    for criterion, label in _CRITERIA:
        sheet.checkbox(_X + _LEFT + 6, check_top, criterion in criteria, "")
        lines = simpleSplit(label, FONT, 6.5, _W - _LEFT - 26)
        canvas.setFont(FONT, 6.5)
        for n, line in enumerate(lines):
            canvas.drawString(_X + _LEFT + 17, PAGE[1] - (check_top + 6 + n * 8), line)
        check_top += 12 + 8 * len(lines)

    # II. Suspect drug(s) information
    top = sheet.section(_X, top + 226, _W, "II. SUSPECT DRUG(S) INFORMATION")
    half = _LEFT / 2

    def names_of(d: Drug) -> str:
        generic = ", ".join(s.name for s in d.substances if s.name)
        name = ft.drug_name(d)
        lot = ", ".join(x.batch_lot for x in d.dosages if x.batch_lot)
        label = f"{name} ({generic})" if generic and generic != name else name
        return f"{label}{'; lot ' + lot if lot else ''}"

    def first_dosage(value: Callable[..., str]) -> Callable[[Drug], str]:
        return lambda d: "; ".join(x for x in (value(dd) for dd in d.dosages) if x)

    box(
        "14. SUSPECT DRUG(S) (include generic name)",
        _X,
        top,
        _LEFT,
        44,
        _per_drug(suspects, names_of),
    )
    box("15. DAILY DOSE(S)", _X, top + 44, half, 28, _per_drug(suspects, first_dosage(ft.dose)))
    box(
        "16. ROUTE(S) OF ADMINISTRATION",
        _X + half,
        top + 44,
        half,
        28,
        _per_drug(suspects, first_dosage(ft.route)),
    )
    box(
        "17. INDICATION(S) FOR USE",
        _X,
        top + 72,
        _LEFT,
        30,
        _per_drug(suspects, lambda d: ft.indications(d, names)),
    )
    box(
        "18. THERAPY DATES (from/to)",
        _X,
        top + 102,
        half,
        28,
        _per_drug(suspects, first_dosage(ft.therapy_dates)),
    )
    box(
        "19. THERAPY DURATION",
        _X + half,
        top + 102,
        half,
        28,
        _per_drug(suspects, first_dosage(lambda x: ft.quantity(x.duration))),
    )
    outcomes = tuple(r.outcome for r in icsr.reactions)
    side = _W - _LEFT
    sheet.box(_X + _LEFT, top, side, 72, "20. DID REACTION ABATE AFTER STOPPING DRUG?")
    abated = _combine([ft.abated_after_stopping(d, outcomes) for d in suspects])
    _checks(sheet, _X + _LEFT + 8, top + 30, side, abated, 45)
    sheet.box(_X + _LEFT, top + 72, side, 58, "21. DID REACTION REAPPEAR AFTER REINTRODUCTION?")
    reappeared = _combine([ft.reappeared_after_reintroduction(d) for d in suspects])
    _checks(sheet, _X + _LEFT + 8, top + 100, side, reappeared, 45)

    # III. Concomitant drug(s) and history
    top = sheet.section(_X, top + 130, _W, "III. CONCOMITANT DRUG(S) AND HISTORY")
    box(
        "22. CONCOMITANT DRUG(S) AND DATES OF ADMINISTRATION (exclude those used to treat "
        "reaction)",
        _X,
        top,
        _W,
        66,
        _concomitants(icsr),
    )
    box(
        "23. OTHER RELEVANT HISTORY (e.g. diagnostics, allergies, pregnancy with last month "
        "of period, etc.)",
        _X,
        top + 66,
        _W,
        66,
        _history(icsr, names),
    )

    # IV. Manufacturer information
    top = sheet.section(_X, top + 132, _W, "IV. MANUFACTURER INFORMATION")
    box("24a. NAME AND ADDRESS OF MANUFACTURER", _X, top, 270, 56, _manufacturer(icsr))
    report = icsr.report
    control = report.safety_report_id or data.case_id
    if report.worldwide_case_id and report.worldwide_case_id != control:
        control += f"\nworldwide case id {report.worldwide_case_id}"
    box("24b. MFR CONTROL NO.", _X + 270, top, _W - 270, 56, control)
    received = report.most_recent_info if data.is_follow_up else report.first_received
    box(
        "24c. DATE RECEIVED BY MANUFACTURER",
        _X,
        top + 56,
        135,
        28,
        ft.form_date(received or report.first_received),
    )
    sheet.box(_X + 135, top + 56, _W - 135, 28, "24d. REPORT SOURCE")
    source = _report_source(icsr)
    x = _X + 141
    for value, label in (
        ("study", "STUDY"),
        ("literature", "LITERATURE"),
        ("hcp", "HEALTH PROFESSIONAL"),
        ("other", "OTHER"),
    ):
        x = sheet.checkbox(x, top + 72, source == value, label)
    box("DATE OF THIS REPORT", _X, top + 84, 135, 28, ft.form_date(_date_of(data)))
    sheet.box(_X + 135, top + 84, _W - 135, 28, "25a. REPORT TYPE")
    x = sheet.checkbox(_X + 141, top + 100, not data.is_follow_up, "INITIAL")
    sheet.checkbox(x, top + 100, data.is_follow_up, "FOLLOWUP")
    canvas.setFont(FONT, 6)
    canvas.drawString(
        _X,
        PAGE[1] - (top + 124),
        f"Filled from case {data.case_id}, version {data.case.current.number}. "
        "Empty boxes: not known to the case.",
    )
    continuation(sheet, f"CIOMS I, case {data.case_id}: continuation", overflow, _X)
    canvas.showPage()
    canvas.save()
    return out.getvalue()


def _country(icsr: ICSR) -> str:
    for r in icsr.reactions:
        if r.country:
            return r.country
    source = icsr.primary_source_for_regulatory_purposes()
    return ft.plain(source.country) if source is not None else ""


def _report_source(icsr: ICSR) -> str | None:
    if icsr.report.report_type is ReportType.STUDY or icsr.study is not None:
        return "study"
    if icsr.literature:
        return "literature"
    source = icsr.primary_source_for_regulatory_purposes()
    if source is None:
        return None
    q = ft.value_or_flavor(source.qualification)
    if q is not None and not isinstance(q, str) and q.is_health_professional:
        return "hcp"
    return "other"


def _date_of(data: DossierData) -> PartialDate:
    return PartialDate.from_date(data.generated_at.date())
