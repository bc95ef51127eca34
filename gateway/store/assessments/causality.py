"""Causality assessments per drug x event: rows with answers, score and rationale; the
results carried by the case version as G.k.9.i.2.r; history across revisions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, select

from gateway.domain.causality import (
    COMPANY_SOURCE,
    METHOD_NARANJO,
    METHOD_WHO_UMC,
    NARANJO_QUESTIONS,
    NaranjoAnswer,
    WhoUmcCriteria,
    assess_naranjo,
    assess_who_umc,
    causality_pairs,
    with_assessment,
)
from gateway.domain.drug import CausalityAssessment
from gateway.domain.lifecycle import CaseState
from gateway.errors import InvalidMessageError, LifecycleError
from gateway.ids import new_id
from gateway.store.assessments.common import (
    LOCKED_STATES,
    emit,
    row_or_raise,
)
from gateway.store.audit import AuditEntry
from gateway.store.case_updates import CaseWriter, case_row, current_icsr
from gateway.store.tables import (
    causality_assessments,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalityInput:
    """One drug x event assessed by a person: at least one method, and their rationale."""

    drug_id: str
    reaction_id: str
    rationale: str
    who_umc: WhoUmcCriteria | None = None
    naranjo: tuple[NaranjoAnswer, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalityRecord:
    id: str
    case_id: str
    case_version: int
    drug_id: str
    reaction_id: str
    method: str  # "WHO-UMC" | "Naranjo"
    source: str
    result: str  # the category
    score: int | None  # Naranjo total
    answers: dict[str, Any] | list[str]  # WHO-UMC criteria, or the ten Naranjo answers
    basis: tuple[str, ...]
    rationale: str
    supersedes: str | None
    assessed_by: str
    assessed_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "case_version": self.case_version,
            "drug_id": self.drug_id,
            "reaction_id": self.reaction_id,
            "method": self.method,
            "source": self.source,
            "result": self.result,
            "score": self.score,
            "answers": self.answers,
            "basis": list(self.basis),
            "rationale": self.rationale,
            "supersedes": self.supersedes,
            "assessed_by": self.assessed_by,
            "assessed_at": self.assessed_at.isoformat(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalityRevision:
    """What ``assess_causality`` wrote: the version that carries the results (the current
    one, ``new_version`` False, when the E2B results were already the same) and the rows."""

    case_id: str
    version: int
    new_version: bool
    records: tuple[CausalityRecord, ...]


def _causality_record(r: Any) -> CausalityRecord:
    return CausalityRecord(
        id=r.id,
        case_id=r.case_id,
        case_version=r.case_version,
        drug_id=r.drug_id,
        reaction_id=r.reaction_id,
        method=r.method,
        source=r.source,
        result=r.result,
        score=r.score,
        answers=r.answers,
        basis=tuple(r.basis or ()),
        rationale=r.rationale,
        supersedes=r.supersedes,
        assessed_by=r.assessed_by,
        assessed_at=r.assessed_at,
    )


def causality_history(conn: Connection, case_id: str) -> list[CausalityRecord]:
    """Every assessment of the case, oldest first (revisions after follow-up included)."""
    c = causality_assessments.c
    rows = conn.execute(
        select(causality_assessments).where(c.case_id == case_id).order_by(c.assessed_at, c.id)
    ).all()
    return [_causality_record(r) for r in rows]


def _latest(records: Iterable[CausalityRecord]) -> dict[tuple[str, str, str], CausalityRecord]:
    latest: dict[tuple[str, str, str], CausalityRecord] = {}
    for rec in records:  # oldest first: the last one per key wins
        latest[(rec.drug_id, rec.reaction_id, rec.method)] = rec
    return latest


def current_causality(conn: Connection, case_id: str) -> list[CausalityRecord]:
    """The latest assessment per drug x event x method."""
    return list(_latest(causality_history(conn, case_id)).values())


def _check_input(item: CausalityInput, index: int) -> None:
    where = f"assessments[{index}]"
    if not item.rationale.strip():
        raise InvalidMessageError(f"{where}.rationale: a rationale is required")
    if item.who_umc is None and item.naranjo is None:
        raise InvalidMessageError(f"{where}: give who_umc criteria, naranjo answers, or both")


def assess_causality(
    conn: Connection,
    writer: CaseWriter,
    *,
    case_id: str,
    inputs: Sequence[CausalityInput],
    actor: str,
    now: datetime,
    reason: str | None = None,
    source_ref: str | None = None,
) -> CausalityRevision:
    """Record assessments and put their results into the case (a new version when they
    change G.k.9.i.2.r). A case READY_FOR_SUBMISSION goes back to QC_PENDING: its sign-off
    covered the earlier content. A closed case must be reopened first."""
    if not inputs:
        raise InvalidMessageError("assessments: at least one drug x event assessment is needed")
    for index, item in enumerate(inputs):
        _check_input(item, index)
    row = row_or_raise(conn, case_id, for_update=True)
    if row.state in LOCKED_STATES:
        raise LifecycleError(
            f"case {case_id} is {row.state.name}: it is locked"
            + (" (reopen it with new information first)" if row.state is CaseState.CLOSED else "")
        )
    before = current_icsr(conn, case_id, row.current_version)
    icsr = before
    latest = _latest(causality_history(conn, case_id))
    pending: list[dict[str, Any]] = []
    for item in inputs:
        results: list[tuple[str, str, int | None, Any, tuple[str, ...]]] = []
        if item.who_umc is not None:
            who = assess_who_umc(item.who_umc)
            results.append(
                (METHOD_WHO_UMC, who.category.value, None, item.who_umc.as_mapping(), who.basis)
            )
        if item.naranjo is not None:
            nar = assess_naranjo(item.naranjo)
            basis = (
                *(
                    f"Q{q.number} {a.value}: {p:+d}"
                    for q, a, p in zip(NARANJO_QUESTIONS, nar.answers, nar.points, strict=True)
                ),
                f"total {nar.score}: {nar.category.value}",
            )
            results.append(
                (
                    METHOD_NARANJO,
                    nar.category.value,
                    nar.score,
                    [a.value for a in nar.answers],
                    basis,
                )
            )
        for method, result, score, answers, basis in results:
            icsr = with_assessment(
                icsr,
                drug_id=item.drug_id,
                reaction_id=item.reaction_id,
                method=method,
                result=result,
            )
            previous = latest.get((item.drug_id, item.reaction_id, method))
            pending.append(
                {
                    "id": new_id("CA"),
                    "case_id": case_id,
                    "drug_id": item.drug_id,
                    "reaction_id": item.reaction_id,
                    "method": method,
                    "source": COMPANY_SOURCE,
                    "result": result,
                    "score": score,
                    "answers": answers,
                    "basis": list(basis),
                    "rationale": item.rationale.strip(),
                    "supersedes": previous.id if previous is not None else None,
                    "assessed_by": actor,
                    "assessed_at": now,
                }
            )
    summary = "; ".join(
        f"{p['drug_id']} x {p['reaction_id']} {p['method']}: {p['result']}" for p in pending
    )
    why = (reason or "").strip() or "causality assessed by the case processor"
    detail = {
        "causality": [
            {
                k: p[k]
                for k in ("id", "drug_id", "reaction_id", "method", "result", "score", "supersedes")
            }
            for p in pending
        ]
    }
    version = row.current_version
    new_version = icsr != before
    if new_version:
        to = CaseState.QC_PENDING if row.state is CaseState.READY_FOR_SUBMISSION else None
        revised = writer.revise(
            conn,
            case_id=case_id,
            icsr=icsr,
            actor=actor,
            action="causality_assessed",
            reason=f"{why}: {summary}",
            now=now,
            # The company's own reassessment is not information received from a source:
            # it starts no new clock (GVP VI: new causality information *from the reporter*
            # is significant, and arrives through follow-up).
            significant=False,
            source_ref=source_ref,
            state=to,
            detail=detail,
        )
        version = revised.version.number
        emit(conn, now, [revised.event], [revised.audit])
    else:
        emit(
            conn,
            now,
            [],
            [
                AuditEntry(
                    at=now,
                    actor=actor,
                    action="causality_assessed",
                    entity_type="case",
                    entity_id=case_id,
                    reason=f"{why}: {summary} (E2B results unchanged; no new version)",
                    detail={"version": version, **detail},
                )
            ],
        )
    for p in pending:
        p["case_version"] = version
    conn.execute(causality_assessments.insert(), pending)
    return CausalityRevision(
        case_id=case_id,
        version=version,
        new_version=new_version,
        records=tuple(_causality_record(SimpleNamespace(**p)) for p in pending),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalityPair:
    """One suspect drug x event of the current version, with its assessments."""

    drug_id: str
    drug_name: str | None
    reaction_id: str
    reaction_verbatim: str | None
    reaction_llt: str | None  # E.i.2.1b
    meddra_version: str | None  # E.i.2.1a
    #: the latest assessment per method (WHO-UMC, Naranjo)
    current: tuple[CausalityRecord, ...]
    #: every assessment of this pair, oldest first
    history: tuple[CausalityRecord, ...]
    #: every G.k.9.i.2.r row of the current version (the reporter's opinion included)
    e2b: tuple[CausalityAssessment, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "drug_id": self.drug_id,
            "drug_name": self.drug_name,
            "reaction_id": self.reaction_id,
            "reaction_verbatim": self.reaction_verbatim,
            "reaction_llt": self.reaction_llt,
            "meddra_version": self.meddra_version,
            "current": [r.as_dict() for r in self.current],
            "history": [r.as_dict() for r in self.history],
            "e2b": [{"source": a.source, "method": a.method, "result": a.result} for a in self.e2b],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CausalityReport:
    case_id: str
    case_version: int
    state: CaseState
    pairs: tuple[CausalityPair, ...]
    #: assessments of pairs no longer in the case (a drug or event removed since)
    other_history: tuple[CausalityRecord, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": self.case_id,
            "case_version": self.case_version,
            "state": self.state.value,
            "pairs": [p.as_dict() for p in self.pairs],
            "other_history": [r.as_dict() for r in self.other_history],
            "naranjo_questions": [
                {"number": q.number, "text": q.text, "yes": q.yes, "no": q.no, "dont_know": 0}
                for q in NARANJO_QUESTIONS
            ],
        }


def causality_report(conn: Connection, case_id: str) -> CausalityReport | None:
    """The causality record of the case as it stands: per suspect drug x event of the
    current version, the current results, their history and the E2B rows. None when the
    case does not exist."""
    row = case_row(conn, case_id)
    if row is None:
        return None
    icsr = current_icsr(conn, case_id, row.current_version)
    history = causality_history(conn, case_id)
    pairs: list[CausalityPair] = []
    seen: set[tuple[str, str]] = set()
    for drug, reaction_id in causality_pairs(icsr):
        reaction = icsr.reaction_by_id(reaction_id)
        assert reaction is not None
        mine = tuple(h for h in history if (h.drug_id, h.reaction_id) == (drug.id, reaction_id))
        matrix = drug.assessment_for(reaction_id)
        seen.add((drug.id, reaction_id))
        pairs.append(
            CausalityPair(
                drug_id=drug.id,
                drug_name=drug.name_as_reported,
                reaction_id=reaction_id,
                reaction_verbatim=reaction.verbatim_translation or reaction.verbatim_native,
                reaction_llt=reaction.term.code if reaction.term is not None else None,
                meddra_version=reaction.term.version if reaction.term is not None else None,
                current=tuple(_latest(mine).values()),
                history=mine,
                e2b=matrix.assessments if matrix is not None else (),
            )
        )
    return CausalityReport(
        case_id=case_id,
        case_version=row.current_version,
        state=row.state,
        pairs=tuple(pairs),
        other_history=tuple(h for h in history if (h.drug_id, h.reaction_id) not in seen),
    )
