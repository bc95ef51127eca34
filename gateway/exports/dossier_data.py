"""Everything the exports show about one case, read from the store in one go.

``gather(conn, case_id)`` returns a plain ``DossierData`` record; every renderer (CIOMS I,
DIGEMID, causality report, dossier) is a pure function of it. Reading inside one
transaction gives each document a consistent picture of the case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from gateway.clock import utcnow
from gateway.domain.case import Case, CaseVersion
from gateway.domain.causality import NARANJO_QUESTIONS, NaranjoAnswer
from gateway.domain.icsr import ICSR
from gateway.domain.meddra.dictionary import MedDRADictionary
from gateway.errors import GatewayError
from gateway.exports.field_text import drug_name
from gateway.exports.icsr_diff import FieldChange, diff
from gateway.store import assessments, audit, followup, submissions, triage
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseRow, load_with_row
from gateway.store.followup import MessageRow, RequestRow
from gateway.store.submissions import SubmissionRow
from gateway.store.triage import TriageItem


class CaseNotFoundError(GatewayError):
    """No case has this id: the export has nothing to show."""

    code = "not_found"


@dataclass(frozen=True, slots=True)
class VersionRecord:
    """One case version and what changed in it since the previous one."""

    version: CaseVersion
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True, slots=True)
class CausalityRecord:
    """One causality result for a drug x event, from whichever record holds it.

    ``origin`` says where: ``"assessment"`` (the gateway's own assessment with its answers)
    or ``"icsr"`` (a G.k.9.i.2.r row in the case content, e.g. the reporter's opinion).
    """

    drug_id: str
    drug: str
    reaction_id: str
    reaction: str
    method: str
    result: str
    origin: str
    source: str | None = None  # G.k.9.i.2.r.1: who assessed ("Sender", "Primary source")
    version: int | None = None  # the case version assessed
    at: datetime | None = None
    actor: str | None = None
    rationale: str | None = None
    score: int | None = None
    #: criterion or question -> answer, in the method's order
    criteria: tuple[tuple[str, str], ...] = ()
    #: the deciding criteria in words (WHO-UMC), as the method computed them
    basis: tuple[str, ...] = ()
    supersedes: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class QualityCheck:
    name: str
    outcome: str  # "passed", "failed", "warning" ...
    detail: str = ""


@dataclass(frozen=True, slots=True)
class QualityRecord:
    """The automated checklist run on one version, and its sign-off by a person."""

    version: int | None
    at: datetime | None
    outcome: str
    checks: tuple[QualityCheck, ...] = ()
    signed_off_by: str | None = None
    signed_off_at: datetime | None = None
    sign_off_comment: str | None = None


@dataclass(frozen=True, slots=True)
class ClosureRecord:
    """A closure (or reopening) of the case with its rationale."""

    action: str  # "closed" | "reopened"
    at: datetime
    actor: str
    rationale: str
    reason: str | None = None  # e.g. "outcome known", "follow-up exhausted"
    version: int | None = None


@dataclass(frozen=True, slots=True)
class AckItem:
    message_id: str | None
    message_date: str | None
    code: str | None
    local_report_number: str | None
    error_text: str | None


@dataclass(frozen=True, slots=True)
class AckRecord:
    """One acknowledgement received for a batch that carried this case."""

    id: str
    received_at: datetime
    format: str | None
    batch_number: str | None
    batch_code: str | None
    batch_text: str | None
    outcome: str
    duplicate: bool
    items: tuple[AckItem, ...]


@dataclass(frozen=True, slots=True)
class DossierData:
    case: Case
    row: CaseRow
    audit: tuple[AuditEntry, ...]
    versions: tuple[VersionRecord, ...]
    followup_requests: tuple[RequestRow, ...]
    thread: tuple[MessageRow, ...]
    submissions: tuple[SubmissionRow, ...]
    acks: tuple[AckRecord, ...]
    triage: tuple[TriageItem, ...]
    causality: tuple[CausalityRecord, ...]
    generated_at: datetime
    quality: tuple[QualityRecord, ...] = ()
    closures: tuple[ClosureRecord, ...] = ()
    #: MedDRA code -> term name, for the codes the case uses (empty without a dictionary)
    term_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def case_id(self) -> str:
        return self.case.case_id

    @property
    def icsr(self) -> ICSR:
        return self.case.icsr

    @property
    def is_follow_up(self) -> bool:
        """A report about this case already went out for an earlier version."""
        current = self.case.current.number
        return any(s.case_version < current for s in self.submissions)


def _acks(conn: Connection, batches: set[str]) -> tuple[AckRecord, ...]:
    found: list[AckRecord] = []
    for batch in sorted(batches):
        for r in submissions.ack_rows(conn, batch):
            found.append(_ack(r))
    return tuple(sorted(found, key=lambda a: a.received_at))


def _ack(r: Mapping[str, Any]) -> AckRecord:
    parsed = r.get("parsed") or {}
    items = tuple(
        AckItem(
            message_id=i.get("message_id"),
            message_date=i.get("message_date"),
            code=i.get("code"),
            local_report_number=i.get("local_report_number"),
            error_text=i.get("error_text"),
        )
        for i in parsed.get("items", ())
        if isinstance(i, dict)
    )
    return AckRecord(
        id=r["id"],
        received_at=r["received_at"],
        format=r.get("format"),
        batch_number=r.get("batch_number"),
        batch_code=r.get("batch_code"),
        batch_text=parsed.get("batch_text"),
        outcome=r["outcome"],
        duplicate=bool(r.get("duplicate")),
        items=items,
    )


def _triage(conn: Connection, case_id: str) -> tuple[TriageItem, ...]:
    return tuple(triage.list_items(conn, status=None, case_id=case_id, limit=100_000))


def _icsr_causality(case: Case) -> tuple[CausalityRecord, ...]:
    """The G.k.9.i.2.r rows of every version, each listed when it first appears or changes."""
    last: dict[tuple[str, str, str, str], str] = {}
    found: list[CausalityRecord] = []
    for version in case.versions:
        icsr = version.icsr
        for drug in icsr.drugs:
            for row in drug.reaction_assessments:
                reaction = icsr.reaction_by_id(row.reaction_id)
                for a in row.assessments:
                    key = (drug.id, row.reaction_id, a.source or "", a.method or "")
                    result = a.result or ""
                    if last.get(key) == result:
                        continue
                    last[key] = result
                    found.append(
                        CausalityRecord(
                            drug_id=drug.id,
                            drug=drug_name(drug),
                            reaction_id=row.reaction_id,
                            reaction=_reaction_label(reaction, row.reaction_id),
                            method=a.method or "",
                            result=result,
                            origin="icsr",
                            source=a.source,
                            version=version.number,
                            at=version.provenance.at,
                            actor=version.provenance.actor,
                            rationale=version.provenance.reason,
                        )
                    )
    return tuple(found)


def _causality(conn: Connection, case: Case) -> tuple[CausalityRecord, ...]:
    """The gateway's own assessments, then the case content's rows no assessment explains."""
    icsr = case.icsr
    own: list[CausalityRecord] = []
    for r in assessments.causality_history(conn, case.case_id):
        drug = icsr.drug_by_id(r.drug_id)
        own.append(
            CausalityRecord(
                id=r.id,
                drug_id=r.drug_id,
                drug=drug_name(drug) if drug is not None else r.drug_id,
                reaction_id=r.reaction_id,
                reaction=_reaction_label(icsr.reaction_by_id(r.reaction_id), r.reaction_id),
                method=r.method,
                result=r.result,
                origin="assessment",
                source=r.source,
                version=r.case_version,
                at=r.assessed_at,
                actor=r.assessed_by,
                rationale=r.rationale,
                score=r.score,
                criteria=_answers(r.answers),
                basis=r.basis,
                supersedes=r.supersedes,
            )
        )
    covered = {
        (c.drug_id, c.reaction_id, c.method.casefold(), (c.source or "").casefold()) for c in own
    }
    embedded = [
        c
        for c in _icsr_causality(case)
        if (c.drug_id, c.reaction_id, c.method.casefold(), (c.source or "").casefold())
        not in covered
    ]
    return (*own, *embedded)


def _answers(answers: Mapping[str, Any] | list[str]) -> tuple[tuple[str, str], ...]:
    if isinstance(answers, list):
        pairs = []
        for question, answer in zip(NARANJO_QUESTIONS, answers, strict=False):
            known = _naranjo(answer)
            points = question.points(known) if known is not None else None
            shown = str(answer).replace("dont_know", "don't know")
            pairs.append(
                (
                    f"{question.number}. {question.text}",
                    f"{shown} ({points:+d})" if points is not None else shown,
                )
            )
        return tuple(pairs)
    return tuple((key.replace("_", " "), _answer_text(value)) for key, value in answers.items())


def _naranjo(answer: object) -> NaranjoAnswer | None:
    try:
        return NaranjoAnswer(str(answer))
    except ValueError:
        return None


def _answer_text(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


def _quality(conn: Connection, case_id: str) -> tuple[QualityRecord, ...]:
    signoffs = {s.qc_run_id: s for s in assessments.qc_signoffs(conn, case_id)}
    found = []
    for run in assessments.qc_runs(conn, case_id):
        signoff = signoffs.get(run.id)
        outcome = "passed" if run.passed else f"failed ({run.blocking_failures} blocking)"
        if run.warnings:
            outcome += f", {run.warnings} warning(s)"
        comment = None
        if signoff is not None:
            comment = "; ".join(
                x
                for x in (
                    signoff.comment,
                    f"override: {signoff.override_reason}" if signoff.override_reason else None,
                )
                if x
            )
        found.append(
            QualityRecord(
                version=run.case_version,
                at=run.run_at,
                outcome=outcome,
                checks=tuple(
                    QualityCheck(
                        name=str(i.get("title") or i.get("id") or ""),
                        outcome=f"{i.get('result', '')} ({i.get('severity', '')})",
                        detail=str(i.get("message") or ""),
                    )
                    for i in run.items
                ),
                signed_off_by=signoff.signed_by if signoff else None,
                signed_off_at=signoff.signed_at if signoff else None,
                sign_off_comment=comment or None,
            )
        )
    return tuple(found)


def _closures(conn: Connection, case_id: str) -> tuple[ClosureRecord, ...]:
    found: list[ClosureRecord] = []
    for c in assessments.closures(conn, case_id):
        found.append(
            ClosureRecord(
                action="closed",
                at=c.closed_at,
                actor=c.closed_by,
                rationale=c.rationale,
                reason=c.reason.label,
                version=c.case_version,
            )
        )
        if c.reopened_at is not None:
            found.append(
                ClosureRecord(
                    action="reopened",
                    at=c.reopened_at,
                    actor=c.reopened_by or "",
                    rationale=c.reopen_reason or "",
                )
            )
    return tuple(found)


def _reaction_label(reaction: Any, fallback: str) -> str:
    if reaction is None:
        return fallback
    text: str | None = reaction.verbatim_translation or reaction.verbatim_native
    return text or fallback


def _term_names(case: Case, meddra: MedDRADictionary | None) -> dict[str, str]:
    if meddra is None:
        return {}
    codes: set[str] = set()
    for version in case.versions:
        icsr = version.icsr
        codes.update(r.term.code for r in icsr.reactions if r.term is not None)
        codes.update(i.term.code for d in icsr.drugs for i in d.indications if i.term is not None)
        if icsr.patient is not None:
            codes.update(
                e.condition.code for e in icsr.patient.medical_history if e.condition is not None
            )
    names: dict[str, str] = {}
    for code in codes:
        llt = meddra.llt(code)
        if llt is not None:
            pt = meddra.pt(llt.pt_code)
            same = pt is None or pt.name == llt.name
            names[code] = llt.name if same else f"{llt.name} [PT {pt.name if pt else ''}]"
            continue
        pt = meddra.pt(code)
        if pt is not None:
            names[code] = pt.name
    return names


def gather(
    conn: Connection,
    case_id: str,
    *,
    meddra: MedDRADictionary | None = None,
    now: datetime | None = None,
) -> DossierData:
    """Read the case and everything recorded about it; ``CaseNotFoundError`` when unknown."""
    loaded = load_with_row(conn, case_id)
    if loaded is None:
        raise CaseNotFoundError(f"no case {case_id!r}")
    case, row = loaded
    versions: list[VersionRecord] = []
    previous: ICSR | None = None
    for version in case.versions:
        versions.append(VersionRecord(version=version, changes=diff(previous, version.icsr)))
        previous = version.icsr
    subs = tuple(submissions.for_case(conn, case_id))
    batches = {s.batch_number for s in subs if s.batch_number}
    return DossierData(
        case=case,
        row=row,
        audit=tuple(audit.trail(conn, "case", case_id)),
        versions=tuple(versions),
        followup_requests=tuple(followup.requests_of_case(conn, case_id)),
        thread=tuple(followup.thread(conn, case_id)),
        submissions=subs,
        acks=_acks(conn, batches),
        triage=_triage(conn, case_id),
        causality=_causality(conn, case),
        quality=_quality(conn, case_id),
        closures=_closures(conn, case_id),
        generated_at=now or utcnow(),
        term_names=_term_names(case, meddra),
    )
