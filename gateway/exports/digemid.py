"""Peru's notification form for suspected adverse drug reactions (DIGEMID format), as a PDF.

The sections and field labels are those of the "Formato de notificación de sospechas de
reacciones adversas a medicamentos u otros productos farmacéuticos por los profesionales
de la salud": A. patient, B. suspected reactions (with seriousness and outcome), C. suspect
products, D. concomitant medicines, E. the notifier. Values come from the case's current
version; unknown values leave their box blank. The E2B content does not grade a
non-serious reaction as mild or moderate, so those two boxes stay for a person to mark.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.pdfgen.canvas import Canvas

from gateway.domain.codes import DrugRole, ReactionOutcome, SeriousnessCriterion, Sex
from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from gateway.exports import field_text as ft
from gateway.exports.cioms import describe_reactions
from gateway.exports.dossier_data import DossierData
from gateway.exports.form_kit import FormSheet, continuation
from gateway.exports.pdf_kit import FONT, PAGE, footed_canvas, register_fonts

_X = 28.0
_W = PAGE[0] - 2 * _X

TITLE = (
    "FORMATO DE NOTIFICACIÓN DE SOSPECHAS DE REACCIONES ADVERSAS A MEDICAMENTOS U OTROS "
    "PRODUCTOS FARMACÉUTICOS POR LOS PROFESIONALES DE LA SALUD"
)

#: worst first: the form has one "desenlace" for the case
_OUTCOME_ORDER = (
    ReactionOutcome.FATAL,
    ReactionOutcome.NOT_RECOVERED,
    ReactionOutcome.RECOVERING,
    ReactionOutcome.RECOVERED_WITH_SEQUELAE,
    ReactionOutcome.RECOVERED,
    ReactionOutcome.UNKNOWN,
)
_OUTCOME_BOX = {
    ReactionOutcome.RECOVERED: "Recuperado",
    ReactionOutcome.RECOVERED_WITH_SEQUELAE: "Recuperado con secuela",
    ReactionOutcome.RECOVERING: "No recuperado",
    ReactionOutcome.NOT_RECOVERED: "No recuperado",
    ReactionOutcome.FATAL: "Mortal",
    ReactionOutcome.UNKNOWN: "Desconocido",
}


def case_outcome(icsr: ICSR) -> ReactionOutcome | None:
    """The worst outcome among the reactions (None when none is reported)."""
    known = {r.outcome for r in icsr.reactions if r.outcome is not None}
    return next((o for o in _OUTCOME_ORDER if o in known), None)


def _drug_row(d: Drug, names: dict[str, str]) -> tuple[str, ...]:
    dosage = d.dosages[0] if d.dosages else None
    return (
        ft.drug_name(d),
        d.authorisation_holder or "",
        ", ".join(x.batch_lot for x in d.dosages if x.batch_lot),
        ft.dose(dosage, spanish=True) if dosage else "",
        ft.route(dosage) if dosage else "",
        ft.form_date_es(dosage.start) if dosage else "",
        ft.form_date_es(dosage.end) if dosage else "",
        ft.indications(d, names),
    )


def _padded(rows: Sequence[tuple[str, ...]], width: int, minimum: int) -> list[tuple[str, ...]]:
    blank = tuple("" for _ in range(width))
    return [*rows, *(blank for _ in range(minimum - len(rows)))]


def render_digemid(data: DossierData) -> bytes:
    """The DIGEMID notification form of the case's current version."""
    register_fonts()
    icsr = data.icsr
    names = dict(data.term_names)
    patient = icsr.patient
    reporter = icsr.primary_source_for_regulatory_purposes()
    out = io.BytesIO()
    footer = (
        f"Notificación DIGEMID · caso {data.case_id} versión {data.case.current.number} · "
        f"generado {ft.timestamp(data.generated_at)}"
    )
    canvas: Canvas = footed_canvas(footer, page_word="página", of_word="de")(out, pagesize=PAGE)
    canvas.setTitle(f"Notificación de sospecha de RAM {data.case_id}")
    canvas.setAuthor("icsr-gateway")
    sheet = FormSheet(canvas, continued="(continúa en la hoja adjunta)")
    overflow: list[tuple[str, str]] = []

    def box(label: str, x: float, top: float, w: float, h: float, value: str) -> None:
        rest = sheet.box(x, top, w, h, label, value)
        if rest:
            overflow.append((label, rest))

    canvas.setFont(FONT, 6.5)
    canvas.drawString(_X, PAGE[1] - 30, "CONFIDENCIAL")
    below = sheet.centred(_X, 34, _W - 140, TITLE, size=8.5)
    box("N° de notificación (caso)", _X + _W - 130, 26, 130, 28, data.case_id)
    top = max(below, 56) + 6

    # A. Datos del paciente
    top = sheet.section(_X, top, _W, "A. DATOS DEL PACIENTE")
    box(
        "Nombres o iniciales",
        _X,
        top,
        150,
        28,
        ft.initials(patient.name_or_initials) if patient else "",
    )
    box(
        "Edad",
        _X + 150,
        top,
        70,
        28,
        ft.quantity(patient.age_at_onset, spanish=True) if patient else "",
    )
    sheet.box(_X + 220, top, 90, 28, "Sexo")
    sex = ft.value_or_flavor(patient.sex) if patient else None
    x = sheet.checkbox(_X + 226, top + 14, sex is Sex.FEMALE, "F")
    sheet.checkbox(x, top + 14, sex is Sex.MALE, "M")
    weight = patient.weight_kg if patient and patient.weight_kg is not None else None
    box("Peso (kg)", _X + 310, top, 60, 28, "" if weight is None else ft.plain(weight))
    record = ""
    if patient is not None:
        record = ft.plain(patient.hospital_record_number or patient.gp_record_number)
    box("Historia clínica", _X + 370, top, _W - 370, 28, record)
    box(
        "Establecimiento", _X, top + 28, _W, 28, ft.plain(reporter.organisation) if reporter else ""
    )
    top += 56

    # B. Reacciones adversas sospechadas
    top = sheet.section(_X, top, _W, "B. REACCIONES ADVERSAS SOSPECHADAS")
    reactions = [
        (
            (r.verbatim_translation or r.verbatim_native or "")
            + (f" [{ft.meddra(r.term, names)}]" if r.term else ""),
            ft.form_date_es(r.start),
            ft.form_date_es(r.end),
        )
        for r in icsr.reactions
    ]
    top, rest = sheet.grid(
        _X,
        top,
        [("Reacción adversa", _W - 160), ("Fecha de inicio", 80), ("Fecha final", 80)],
        _padded(reactions, 3, 3),
    )
    overflow.extend(rest)
    criteria = {c for r in icsr.reactions for c in r.seriousness.criteria}
    sheet.box(_X, top, _W, 40, "Gravedad")
    x = sheet.checkbox(_X + 6, top + 12, None, "Leve")
    x = sheet.checkbox(x, top + 12, None, "Moderada")
    x = sheet.checkbox(x, top + 12, bool(criteria), "Grave")
    canvas.setFont(FONT, 6.2)
    canvas.drawString(x + 4, PAGE[1] - (top + 18), "Si es grave, marque los criterios:")
    x = _X + 6
    for criterion in SeriousnessCriterion:
        label = ft.SERIOUSNESS_LABELS_ES[criterion]
        if x + canvas.stringWidth(label, FONT, 6.5) + 20 > _X + _W:
            break
        x = sheet.checkbox(x, top + 26, criterion in criteria, label)
    top += 40
    outcome = case_outcome(icsr)
    sheet.box(_X, top, _W, 24, "Desenlace")
    x = _X + 60
    for label in ("Recuperado", "Recuperado con secuela", "No recuperado", "Mortal", "Desconocido"):
        checked = outcome is not None and _OUTCOME_BOX[outcome] == label
        x = sheet.checkbox(x, top + 8, checked, label)
    if outcome is ReactionOutcome.RECOVERING:
        canvas.setFont(FONT, 6.2)
        canvas.drawString(x, PAGE[1] - (top + 14), "(en recuperación)")
    top += 24
    box(
        "Descripción del caso, exámenes auxiliares e historia clínica relevante",
        _X,
        top,
        _W,
        150,
        describe_reactions(icsr, names),
    )
    top += 150

    # C. Medicamento(s) sospechoso(s)
    top = sheet.section(
        _X, top, _W, "C. MEDICAMENTO(S) U OTROS PRODUCTOS FARMACÉUTICOS SOSPECHOSO(S)"
    )
    columns = [
        ("Nombre comercial o genérico", 110.0),
        ("Laboratorio", 70.0),
        ("Lote", 45.0),
        ("Dosis / frecuencia", 72.0),
        ("Vía de adm.", 45.0),
        ("Fecha inicio", 52.0),
        ("Fecha final", 52.0),
        ("Motivo de prescripción", _W - 446.0),
    ]
    suspects = [_drug_row(d, names) for d in icsr.suspect_drugs()]
    top, rest = sheet.grid(_X, top, columns, _padded(suspects, 8, 2), row_height=20)
    overflow.extend(rest)
    outcomes = tuple(r.outcome for r in icsr.reactions)
    answers = (
        (
            "¿La reacción desapareció al suspender el medicamento?",
            [ft.abated_after_stopping(d, outcomes) for d in icsr.suspect_drugs()],
        ),
        (
            "¿La reacción reapareció al administrar nuevamente el medicamento?",
            [ft.reappeared_after_reintroduction(d) for d in icsr.suspect_drugs()],
        ),
    )
    for question, values in answers:
        known = next((v for v in values if v is not None), None)
        sheet.box(_X, top, _W, 16, "")
        canvas.setFont(FONT, 6.8)
        canvas.drawString(_X + 4, PAGE[1] - (top + 10.5), question)
        x = _X + 300
        for value, label in (("yes", "Sí"), ("no", "No"), ("na", "No aplica")):
            x = sheet.checkbox(x, top + 4.5, known == value, label)
        top += 16

    # D. Medicamentos concomitantes
    top = sheet.section(_X, top, _W, "D. MEDICAMENTOS CONCOMITANTES")
    concomitants = [
        (row[0], row[3], row[4], row[5], row[6], row[7])
        for row in (_drug_row(d, names) for d in icsr.drugs_with_role(DrugRole.CONCOMITANT))
    ]
    top, rest = sheet.grid(
        _X,
        top,
        [
            ("Nombre comercial o genérico", 150.0),
            ("Dosis / frecuencia", 90.0),
            ("Vía de adm.", 55.0),
            ("Fecha inicio", 65.0),
            ("Fecha final", 65.0),
            ("Motivo de prescripción", _W - 425.0),
        ],
        _padded(concomitants, 6, 2),
    )
    overflow.extend(rest)

    # E. Datos del notificador
    top = sheet.section(_X, top, _W, "E. DATOS DEL NOTIFICADOR")
    name = profession = organisation = phone = email = ""
    if reporter is not None:
        parts = (reporter.title, reporter.given_name, reporter.middle_name, reporter.family_name)
        name = " ".join(ft.plain(p) for p in parts if p is not None)
        qualification = ft.value_or_flavor(reporter.qualification)
        profession = (
            ft.QUALIFICATION_LABELS_ES.get(qualification, "")
            if not isinstance(qualification, str) and qualification is not None
            else (qualification or "")
        )
        organisation = ft.plain(reporter.organisation)
        phone = ft.plain(reporter.telephone)
        email = ft.plain(reporter.email)
    box("Nombres y apellidos", _X, top, 200, 26, name)
    box("Profesión", _X + 200, top, 150, 26, profession)
    box("Establecimiento", _X + 350, top, _W - 350, 26, organisation)
    box("Teléfono", _X, top + 26, 150, 26, phone)
    box("Correo electrónico", _X + 150, top + 26, 239, 26, email)
    box(
        "Fecha de notificación",
        _X + 389,
        top + 26,
        _W - 389,
        26,
        ft.form_date_es(icsr.report.first_received),
    )
    canvas.setFont(FONT, 6)
    canvas.drawString(
        _X,
        PAGE[1] - (top + 62),
        f"Llenado desde el caso {data.case_id}, versión {data.case.current.number}. "
        "Casillas en blanco: dato desconocido.",
    )
    continuation(
        sheet,
        f"Notificación del caso {data.case_id}: continuación",
        overflow,
        _X,
        continued="continúa",
    )
    canvas.showPage()
    canvas.save()
    return out.getvalue()
