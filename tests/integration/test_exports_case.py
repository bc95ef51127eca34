"""An invented case with a full history, stored for the export tests and the README pictures.

Nothing here is a real person or report. ``store_invented_case`` writes, into a migrated
store: three versions (intake by e-mail, a follow-up reply that makes the case serious,
a MedDRA recoding with a causality revision), the audit entries of each decision, a
follow-up request and its thread, a submission with its batch, and the regulator's ACK.

``python -m tests.integration.test_exports_case docs/images`` renders the README pictures.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Connection, update

from gateway.domain.case import Case, Provenance
from gateway.domain.causality import (
    Dechallenge,
    InformationStatus,
    NaranjoAnswer,
    OtherCauses,
    Rechallenge,
    TimeRelationship,
    WhoUmcCriteria,
    assess_naranjo,
    assess_who_umc,
)
from gateway.domain.codes import (
    ActionTaken,
    DrugRole,
    Qualification,
    ReactionOutcome,
    RechallengeResult,
    ReportType,
    SenderType,
    SeriousnessCriterion,
    Sex,
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
from gateway.domain.lifecycle import CaseState
from gateway.domain.narrative import Narrative
from gateway.domain.patient import MedicalHistoryEpisode, Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource, ReportIdentification, Sender
from gateway.domain.values import MedDRATerm, PartialDate, Quantity
from gateway.store import audit, cases, followup, submissions
from gateway.store.audit import AuditEntry
from gateway.store.followup import MessageRow, RequestRow
from gateway.store.submissions import NewSubmission
from gateway.store.tables import case_closures, causality_assessments, qc_runs, qc_signoffs
from gateway.store.tables import cases as cases_table

CASE_ID = "C-EXPORT-0001"
PATIENT_INITIALS = "MLR"
REPORTER_FAMILY_NAME = "Quispe"
SUSPECT = "Amoxicilina Genfar 500 mg"
REACTION = "generalised skin rash with itching"
SECOND_REACTION = "swelling of lips and tongue"
BATCH = "BATCH-EXPORT-7781"
T0 = datetime(2025, 3, 4, 9, 15, tzinfo=UTC)
MEDDRA_DIR = Path(__file__).resolve().parents[1] / "data" / "meddra"


def _term(code: str) -> MedDRATerm:
    return MedDRATerm(version="27.0", code=code)


def _version_1() -> ICSR:
    return ICSR(
        report=ReportIdentification(
            safety_report_id="PE-ACME-2025-000123",
            worldwide_case_id="PE-ACME-2025-000123",
            report_type=ReportType.SPONTANEOUS,
            first_received=PartialDate(year=2025, month=3, day=4),
            most_recent_info=PartialDate(year=2025, month=3, day=4),
        ),
        primary_sources=(
            PrimarySource(
                title="Dra.",
                given_name="Rosa",
                family_name=REPORTER_FAMILY_NAME,
                organisation="Clínica Santa Inés",
                city="Lima",
                country="PE",
                telephone="+51 1 555 0199",
                email="r.quispe@clinica-santaines.example",
                qualification=Qualification.PHYSICIAN,
                primary_for_regulatory_purposes=True,
            ),
        ),
        sender=Sender(
            sender_type=SenderType.PHARMACEUTICAL_COMPANY,
            organisation="ACME Farma S.A.C.",
            department="Farmacovigilancia",
            street="Av. Ejemplo 1234",
            city="Lima",
            postcode="15036",
            country="PE",
        ),
        patient=Patient(
            name_or_initials=PATIENT_INITIALS,
            hospital_record_number="HC-20931",
            age_at_onset=Quantity(value=Decimal("54"), unit="a"),
            weight_kg=Decimal("62"),
            sex=Sex.FEMALE,
        ),
        reactions=(
            Reaction(
                id="r1",
                verbatim_native=REACTION,
                start=PartialDate(year=2025, month=3, day=2),
                country="PE",
            ),
        ),
        drugs=(
            Drug(
                id="d1",
                role=DrugRole.SUSPECT,
                name_as_reported=SUSPECT,
                substances=(Substance(name="amoxicillin"),),
                authorisation_holder="Genfar Perú S.A.",
                dosages=(
                    Dosage(
                        dose=Quantity(value=Decimal("500"), unit="mg"),
                        interval=Quantity(value=Decimal("8"), unit="h"),
                        start=PartialDate(year=2025, month=2, day=27),
                        route="oral",
                        batch_lot="L2403-17",
                    ),
                ),
                indications=(Indication(text="community-acquired pneumonia"),),
            ),
        ),
        narrative=Narrative(
            case_narrative=(
                "A 54-year-old woman started amoxicillin for pneumonia and developed an itchy "
                "generalised rash three days later."
            )
        ),
    )


def _version_2(v1: ICSR) -> ICSR:
    """The reporter's reply: hospitalised for angioedema, drug withdrawn, recovered."""
    hospitalised = Seriousness.of(SeriousnessCriterion.HOSPITALISATION)
    drug = v1.drugs[0]
    drug = replace(
        drug,
        action_taken=ActionTaken.DRUG_WITHDRAWN,
        dosages=(replace(drug.dosages[0], end=PartialDate(year=2025, month=3, day=3)),),
        reaction_assessments=(
            DrugReactionAssessment(
                reaction_id="r1",
                assessments=(
                    CausalityAssessment(
                        source="Primary source", method="Global introspection", result="Related"
                    ),
                    CausalityAssessment(source="Sender", method="WHO-UMC", result="Possible"),
                ),
                recurrence=RechallengeResult.NOT_DONE,
            ),
        ),
    )
    assert v1.patient is not None
    return replace(
        v1,
        report=replace(v1.report, most_recent_info=PartialDate(year=2025, month=3, day=10)),
        patient=replace(
            v1.patient,
            medical_history=(
                MedicalHistoryEpisode(
                    condition=_term("94000143"),
                    start=PartialDate(year=2019),
                    continuing=True,
                ),
            ),
        ),
        reactions=(
            replace(
                v1.reactions[0],
                term=_term("96000119"),
                seriousness=hospitalised,
                end=PartialDate(year=2025, month=3, day=9),
                outcome=ReactionOutcome.RECOVERED,
            ),
            Reaction(
                id="r2",
                verbatim_native=SECOND_REACTION,
                term=_term("94000068"),
                seriousness=hospitalised,
                start=PartialDate(year=2025, month=3, day=3),
                end=PartialDate(year=2025, month=3, day=6),
                outcome=ReactionOutcome.RECOVERED,
                country="PE",
            ),
        ),
        tests=(
            LabTest(
                date=PartialDate(year=2025, month=3, day=3),
                name="Eosinophils",
                result_value=Decimal("9.5"),
                result_unit="%",
            ),
        ),
        drugs=(
            drug,
            Drug(
                id="d2",
                role=DrugRole.CONCOMITANT,
                name_as_reported="Omeprazol 20 mg",
                dosages=(
                    Dosage(
                        dose=Quantity(value=Decimal("20"), unit="mg"),
                        interval=Quantity(value=Decimal("1"), unit="d"),
                        route="oral",
                        start=PartialDate(year=2024),
                    ),
                ),
                indications=(Indication(text="gastritis"),),
            ),
        ),
        narrative=Narrative(
            case_narrative=(
                "A 54-year-old woman started amoxicillin 500 mg every 8 hours for "
                "community-acquired pneumonia on 27-FEB-2025. On 02-MAR-2025 she developed a "
                "generalised pruritic rash, and on 03-MAR-2025 swelling of the lips and tongue; "
                "she was admitted, amoxicillin was stopped and she was treated with "
                "antihistamines and corticosteroids. Eosinophils 9.5 %. The angioedema resolved "
                "on 06-MAR-2025 and the rash on 09-MAR-2025. No rechallenge."
            )
        ),
    )


def _version_3(v2: ICSR) -> ICSR:
    """Recoding of the rash after medical review, and the company's revised causality."""
    drug = v2.drugs[0]
    rows = (
        DrugReactionAssessment(
            reaction_id="r1",
            assessments=(
                CausalityAssessment(
                    source="Primary source", method="Global introspection", result="Related"
                ),
                CausalityAssessment(source="Sender", method="WHO-UMC", result="Probable/Likely"),
                CausalityAssessment(source="Sender", method="Naranjo", result="Probable"),
            ),
            recurrence=RechallengeResult.NOT_DONE,
        ),
        DrugReactionAssessment(
            reaction_id="r2",
            assessments=(
                CausalityAssessment(source="Sender", method="WHO-UMC", result="Probable/Likely"),
            ),
            recurrence=RechallengeResult.NOT_DONE,
        ),
    )
    return replace(
        v2,
        reactions=(replace(v2.reactions[0], term=_term("94000054")), v2.reactions[1]),
        drugs=(replace(drug, reaction_assessments=rows), v2.drugs[1]),
    )


def invented_case() -> Case:
    v1 = _version_1()
    v2 = _version_2(v1)
    v3 = _version_3(v2)
    case = Case.open(
        CASE_ID,
        v1,
        Provenance(
            actor="intake-email",
            action="case.received",
            at=T0,
            reason="report received on channel email; valid: all four minimum criteria present",
            source_ref="IN-0001",
        ),
        state=CaseState.VALID,
    )
    case = case.revise(
        v2,
        Provenance(
            actor="followup-replies",
            action="followup_reply",
            at=T0 + timedelta(days=6),
            reason="reply to follow-up request: hospitalisation, outcome and second reaction",
            source_ref="IN-0002",
        ),
    )
    return case.revise(
        v3,
        Provenance(
            actor="user:dr.medina",
            action="coding.revised",
            at=T0 + timedelta(days=7),
            reason="medical review: rash is pruritic; LLT Rash pruritic codes the verbatim "
            "better than Rash all over body; WHO-UMC revised to Probable after positive "
            "dechallenge",
        ),
    )


def _audit(at: datetime, actor: str, action: str, reason: str, **detail: object) -> AuditEntry:
    return AuditEntry(
        at=at,
        actor=actor,
        action=action,
        entity_type="case",
        entity_id=CASE_ID,
        reason=reason,
        detail=detail,
    )


def store_invented_case(conn: Connection) -> Case:
    """Write the invented case and its history into a migrated store."""
    case = invented_case()
    cases.insert_new(conn, [(case, "IN-0001")])
    conn.execute(
        update(cases_table)
        .where(cases_table.c.id == CASE_ID)
        .values(
            state=CaseState.CLOSED.value,
            channel="email",
            valid=True,
            missing_criteria=[],
            day_zero=T0,
            serious=True,
            expedited=True,
        )
    )
    day = timedelta(days=1)
    audit.record(
        conn,
        [
            _audit(
                T0,
                "intake-email",
                "case.received",
                "report received on channel email",
                inbound_id="IN-0001",
            ),
            _audit(
                T0,
                "intake-email",
                "validity.assessed",
                "valid: identifiable reporter (physician with contact details), identifiable "
                "patient (initials, age, sex), suspect drug, adverse reaction",
                valid=True,
                missing=[],
                day_zero=T0.isoformat(),
                rationale=["non-serious at receipt: no seriousness criterion reported"],
            ),
            _audit(
                T0 + timedelta(hours=1),
                "followup-planner",
                "followup_requested",
                "outcome, seriousness and dechallenge unknown",
                request_id="FR-1",
            ),
            _audit(
                T0 + 6 * day,
                "followup-replies",
                "followup_reply",
                "reply adds hospitalisation: significant, new Day 0",
                version=2,
                significant=True,
            ),
            _audit(
                T0 + 7 * day,
                "user:dr.medina",
                "coding.revised",
                "rash is pruritic: LLT Rash pruritic (94000054) replaces Rash all over body "
                "(96000119)",
                version=3,
                reaction_id="r1",
                before="96000119",
                after="94000054",
            ),
            _audit(
                T0 + 7 * day,
                "user:dr.medina",
                "causality.revised",
                "positive dechallenge after withdrawal; no alternative cause",
                version=3,
                method="WHO-UMC",
                result="Probable/Likely",
            ),
            _audit(
                T0 + 8 * day,
                "submission-planner",
                "submission.planned",
                "serious case: 15-day report to DIGEMID",
                version=3,
            ),
            _audit(
                T0 + 9 * day,
                "ack-router",
                "submission.accepted",
                "ACK AA / CA from DIGEMID",
                batch_number=BATCH,
            ),
        ],
    )
    followup.insert_request(
        conn,
        RequestRow(
            id="FR-1",
            case_id=CASE_ID,
            case_version=1,
            channel="email",
            recipient="r.quispe@clinica-santaines.example",
            our_address="pv-reply+TOKEN1@acme.example",
            language="es",
            questions=("outcome", "seriousness", "dechallenge"),
            token="TOKEN1",
            subject_tag="[REF TOKEN1]",
            status=followup.ANSWERED,
            created_at=T0 + timedelta(hours=1),
            sent_at=T0 + timedelta(hours=1),
            closed_at=T0 + 6 * day,
            closed_reason="answered",
        ),
    )
    followup.add_messages(
        conn,
        [
            MessageRow(
                id="FM-1",
                case_id=CASE_ID,
                request_id="FR-1",
                direction="out",
                kind="request",
                channel="email",
                body="¿Cuál fue el desenlace? ¿Requirió hospitalización?",
                delivery_state="delivered",
                created_at=T0 + timedelta(hours=1),
                state_at=T0 + timedelta(hours=1, minutes=2),
                subject="Seguimiento [REF TOKEN1]",
            ),
            MessageRow(
                id="FM-2",
                case_id=CASE_ID,
                request_id="FR-1",
                direction="in",
                kind="reply",
                channel="email",
                body="Fue hospitalizada; se suspendió la amoxicilina y se recuperó.",
                delivery_state="received",
                created_at=T0 + 6 * day,
                state_at=T0 + 6 * day,
                inbound_id="IN-0002",
                subject="Re: Seguimiento [REF TOKEN1]",
            ),
        ],
    )
    planned = NewSubmission(
        case_id=CASE_ID,
        case_version=3,
        destination_id="DIGEMID",
        kind="initial",
        due_date=date(2025, 3, 25),
        day_zero=T0 + 6 * day,
        rule_id="PE-serious-15",
        reason="serious case: 15 calendar days",
        safety_report_id="PE-ACME-2025-000123",
        id="SUB-1",
    )
    submissions.insert_planned(conn, [planned], T0 + 8 * day)
    submissions.update_many(
        conn,
        {
            "SUB-1": {
                "status": submissions.ACCEPTED,
                "batch_number": BATCH,
                "message_id": "PE-ACME-2025-000123",
                "message_date": "20250312101500",
                "local_report_number": "DIGEMID-2025-04417",
                "deadline_met": True,
                "transmissions": 1,
                "dispatched_at": T0 + 8 * day,
                "acked_at": T0 + 9 * day,
            }
        },
    )
    submissions.insert_ack(
        conn,
        {
            "id": "ACK-1",
            "source": "folder",
            "source_ref": "ack-BATCH-EXPORT-7781.xml",
            "received_at": T0 + 9 * day,
            "format": "E2B_R3",
            "batch_number": BATCH,
            "batch_code": "AA",
            "parsed": {
                "batch_text": "batch accepted",
                "items": [
                    {
                        "message_id": "PE-ACME-2025-000123",
                        "message_date": "20250312101500",
                        "local_report_number": "DIGEMID-2025-04417",
                        "code": "CA",
                        "error_text": None,
                    }
                ],
            },
            "outcome": submissions.ROUTED,
            "duplicate": False,
        },
    )
    _store_assessments(conn)
    return case


def _store_assessments(conn: Connection) -> None:
    """Causality (revised after follow-up), a QC run with its sign-off, and the closure."""
    day = timedelta(days=1)
    first = WhoUmcCriteria(
        information=InformationStatus.AWAITED,
        time_relationship=TimeRelationship.PLAUSIBLE,
        other_causes=OtherCauses.POSSIBLE,
        dechallenge=Dechallenge.UNKNOWN,
        rechallenge=Rechallenge.NOT_DONE,
        definitive=False,
    )
    revised = replace(
        first,
        information=InformationStatus.SUFFICIENT,
        other_causes=OtherCauses.UNLIKELY,
        dechallenge=Dechallenge.POSITIVE,
    )
    Y, N, U = NaranjoAnswer.YES, NaranjoAnswer.NO, NaranjoAnswer.DONT_KNOW
    naranjo = assess_naranjo([Y, Y, Y, U, N, U, U, U, U, N])
    rows = [
        (
            "CA-1",
            2,
            "WHO-UMC",
            assess_who_umc(first),
            None,
            T0 + 6 * day,
            "reply received; hospital discharge summary still awaited",
            None,
        ),
        (
            "CA-2",
            3,
            "WHO-UMC",
            assess_who_umc(revised),
            None,
            T0 + 7 * day,
            "discharge summary: rash resolved after withdrawal, no other new drug",
            "CA-1",
        ),
        (
            "CA-3",
            3,
            "Naranjo",
            None,
            naranjo,
            T0 + 7 * day,
            "scored on the discharge summary",
            None,
        ),
    ]
    for id_, version, method, who, nar, at, rationale, supersedes in rows:
        conn.execute(
            causality_assessments.insert().values(
                id=id_,
                case_id=CASE_ID,
                case_version=version,
                drug_id="d1",
                reaction_id="r1",
                method=method,
                source="Sender",
                result=who.category.value if who else nar.category.value,  # type: ignore[union-attr]
                score=nar.score if nar else None,
                answers=who.criteria.as_mapping() if who else [a.value for a in nar.answers],  # type: ignore[union-attr]
                basis=list(who.basis) if who else [],
                rationale=rationale,
                supersedes=supersedes,
                assessed_by="user:dr.medina",
                assessed_at=at,
            )
        )
    conn.execute(
        qc_runs.insert().values(
            id="QC-1",
            case_id=CASE_ID,
            case_version=3,
            run_at=T0 + 7 * day + timedelta(hours=2),
            run_by="user:qc.lopez",
            passed=True,
            blocking_failures=0,
            warnings=1,
            meddra_version="27.0",
            items=[
                {
                    "id": "completeness",
                    "title": "Completeness for a serious case",
                    "severity": "blocking",
                    "result": "pass",
                    "message": "all required fields",
                    "paths": [],
                },
                {
                    "id": "meddra",
                    "title": "MedDRA codes current",
                    "severity": "blocking",
                    "result": "pass",
                    "message": "2 reactions coded with current LLTs",
                    "paths": [],
                },
                {
                    "id": "deadline",
                    "title": "Deadline status",
                    "severity": "warning",
                    "result": "fail",
                    "message": "5 days left of 15",
                    "paths": [],
                },
            ],
        )
    )
    conn.execute(
        qc_signoffs.insert().values(
            id="QS-1",
            case_id=CASE_ID,
            case_version=3,
            qc_run_id="QC-1",
            signed_by="user:qc.lopez",
            signed_at=T0 + 7 * day + timedelta(hours=3),
            comment="checked against the discharge summary",
            state_before=CaseState.QC_PENDING.value,
            state_after=CaseState.READY_FOR_SUBMISSION.value,
        )
    )
    conn.execute(
        case_closures.insert().values(
            id="CL-1",
            case_id=CASE_ID,
            case_version=3,
            reason="outcome_known",
            rationale="patient recovered; submission acknowledged; no open questions",
            open_submissions=[],
            followups_stopped=[],
            state_before=CaseState.SUBMITTED.value,
            closed_by="user:dr.medina",
            closed_at=T0 + 10 * day,
        )
    )


def render_readme_pictures(folder: Path) -> list[Path]:
    """Render the three README pictures (first page of each PDF) into ``folder``."""
    from gateway.domain.meddra import load_distribution
    from gateway.exports.cioms import render_cioms
    from gateway.exports.digemid import render_digemid
    from gateway.exports.dossier import render_dossier_pdf
    from gateway.exports.dossier_data import gather
    from gateway.store.engine import Store, build_engine
    from gateway.store.migrate import upgrade

    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        from sqlalchemy.engine import make_url

        store = Store(build_engine(make_url(f"sqlite:///{tmp}/store.sqlite3")))
        upgrade(store.engine)
        with store.transaction() as conn:
            store_invented_case(conn)
        with store.snapshot() as conn:
            data = gather(
                conn,
                CASE_ID,
                meddra=load_distribution(MEDDRA_DIR),
                now=datetime(2025, 3, 14, 8, 0, tzinfo=UTC),
            )
        store.dispose()
        written = []
        for name, pdf in (
            ("export-cioms", render_cioms(data)),
            ("export-digemid", render_digemid(data)),
            ("export-dossier", render_dossier_pdf(data)),
        ):
            source = Path(tmp) / f"{name}.pdf"
            source.write_bytes(pdf)
            target = folder / name
            subprocess.run(
                [
                    "pdftoppm",
                    "-png",
                    "-r",
                    "80",
                    "-f",
                    "1",
                    "-l",
                    "1",
                    "-singlefile",
                    str(source),
                    str(target),
                ],
                check=True,
            )
            written.append(target.with_suffix(".png"))
    return written


if __name__ == "__main__":
    for path in render_readme_pictures(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")):
        print(path)
