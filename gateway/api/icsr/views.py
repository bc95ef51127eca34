"""Domain records and store rows → the case API's response bodies, and event bodies → domain
reactions."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from gateway.api.icsr.models import (
    CaseSummary,
    Criterion,
    DuplicateDecisionView,
    EventIn,
    EventView,
    MedDRACoding,
    Outcome,
    Pagination,
)
from gateway.domain.codes import ReactionOutcome, SeriousnessCriterion
from gateway.domain.icsr import ICSR
from gateway.domain.intake import IntakeReferences
from gateway.domain.lifecycle import CaseState
from gateway.domain.partial_date import PartialDate
from gateway.domain.reaction import Reaction, Seriousness
from gateway.store.case_queries import CaseApiState, CaseListRow

OUTCOME_NAMES: dict[ReactionOutcome, Outcome] = {
    ReactionOutcome.RECOVERED: "recovered",
    ReactionOutcome.RECOVERING: "recovering",
    ReactionOutcome.NOT_RECOVERED: "not_recovered",
    ReactionOutcome.RECOVERED_WITH_SEQUELAE: "recovered_with_sequelae",
    ReactionOutcome.FATAL: "fatal",
    ReactionOutcome.UNKNOWN: "unknown",
}
OUTCOMES: dict[str, ReactionOutcome] = {v: k for k, v in OUTCOME_NAMES.items()}
CRITERION_NAMES: dict[SeriousnessCriterion, Criterion] = {
    SeriousnessCriterion.DEATH: "death",
    SeriousnessCriterion.LIFE_THREATENING: "life_threatening",
    SeriousnessCriterion.HOSPITALISATION: "hospitalisation",
    SeriousnessCriterion.DISABLING: "disabling",
    SeriousnessCriterion.CONGENITAL_ANOMALY: "congenital_anomaly",
    SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT: "other_medically_important",
}
CRITERIA: dict[str, SeriousnessCriterion] = {v: k for k, v in CRITERION_NAMES.items()}
_SUMMARY_MAX = 200


def iso_partial(value: object) -> str | None:
    """A partial date as ISO 8601 text at its own precision ("2024-03"); masked → None."""
    if not isinstance(value, PartialDate):
        return None
    text = f"{value.year:04d}"
    if value.month is not None:
        text += f"-{value.month:02d}"
        if value.day is not None:
            text += f"-{value.day:02d}"
    return text


def parse_partial(text: str | None) -> PartialDate | None:
    """ "2024", "2024-03" or "2024-03-15" → a PartialDate (ValueError when impossible)."""
    if text is None:
        return None
    parts = [int(p) for p in text.split("-")]
    return PartialDate(
        year=parts[0],
        month=parts[1] if len(parts) > 1 else None,
        day=parts[2] if len(parts) > 2 else None,
    )


def meddra_view(reaction: Reaction, refs: IntakeReferences) -> MedDRACoding | None:
    term = reaction.term
    if term is None:
        return None
    view = MedDRACoding(version=term.version, llt_code=term.code)
    dictionary = refs.coder.dictionary if refs.coder is not None else None
    if dictionary is None:
        return view
    llt = dictionary.llt(term.code)
    if llt is None:
        return view
    pt = dictionary.pt(llt.pt_code)
    soc = dictionary.primary_soc(llt.pt_code)
    return view.model_copy(
        update={
            "llt_name": llt.name,
            "llt_current": llt.current,
            "pt_code": llt.pt_code,
            "pt_name": pt.name if pt is not None else None,
            "soc_code": soc.code if soc is not None else None,
            "soc_name": soc.name if soc is not None else None,
        }
    )


def event_view(reaction: Reaction, refs: IntakeReferences) -> EventView:
    return EventView(
        id=reaction.id,
        verbatim=reaction.verbatim_native,
        verbatim_language=reaction.verbatim_language,
        translation=reaction.verbatim_translation,
        start_date=iso_partial(reaction.start),
        end_date=iso_partial(reaction.end),
        outcome=OUTCOME_NAMES.get(reaction.outcome) if reaction.outcome is not None else None,
        seriousness=sorted(CRITERION_NAMES[c] for c in reaction.seriousness.criteria),
        serious=reaction.is_serious,
        medically_confirmed=reaction.medically_confirmed,
        country=reaction.country,
        meddra=meddra_view(reaction, refs),
    )


def event_fields(event: EventIn) -> dict[str, Any]:
    """The Reaction fields an event body sets (ValueError for an impossible date)."""
    return {
        "verbatim_native": event.verbatim,
        "verbatim_language": event.verbatim_language,
        "verbatim_translation": event.translation,
        "start": parse_partial(event.start_date),
        "end": parse_partial(event.end_date),
        "outcome": OUTCOMES[event.outcome] if event.outcome is not None else None,
        "seriousness": Seriousness.of(*(CRITERIA[c] for c in event.seriousness)),
        "medically_confirmed": event.medically_confirmed,
        "country": event.country,
    }


def apply_event(existing: Reaction | None, reaction_id: str, fields: dict[str, Any]) -> Reaction:
    """The reaction with ``fields`` set; its MedDRA code is kept only while the verbatim
    text it was coded from stays the same (a new text is coded again)."""
    if existing is None:
        return Reaction(id=reaction_id, **fields)
    updated = replace(existing, **fields)
    if updated.verbatim_native != existing.verbatim_native:
        updated = replace(updated, term=None)
    return updated


def summary_of(icsr: ICSR | None) -> str:
    """One line for lists: the suspect products and the reported events."""
    if icsr is None:
        return ""
    products = [d.name_as_reported for d in icsr.suspect_drugs() if d.name_as_reported]
    events = [
        r.verbatim_native or r.verbatim_translation or ""
        for r in icsr.reactions
        if r.verbatim_native or r.verbatim_translation
    ]
    text = " — ".join(p for p in (", ".join(products), ", ".join(events)) if p)
    return text if len(text) <= _SUMMARY_MAX else text[: _SUMMARY_MAX - 1] + "…"


def case_summary(row: CaseListRow, icsr: ICSR | None) -> CaseSummary:
    return CaseSummary(
        id=row.id,
        estado=row.state.display_name_es,
        state=row.state.value,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        day_zero=row.day_zero,
        serious=row.serious,
        valid=row.valid,
        channel=row.channel,
        summary=summary_of(icsr),
    )


def pagination(page: int, page_size: int, total: int) -> Pagination:
    return Pagination(
        page=page, page_size=page_size, total=total, pages=math.ceil(total / page_size)
    )


def duplicate_view(state: CaseApiState | None) -> DuplicateDecisionView | None:
    if state is None or state.duplicate_decision not in ("unique", "duplicate"):
        return None
    return DuplicateDecisionView(
        decision="unique" if state.duplicate_decision == "unique" else "duplicate",
        master_case_id=state.duplicate_of,
        decided_at=state.duplicate_decided_at,
        decided_by=state.duplicate_decided_by,
    )


def estado(state: CaseState) -> str:
    return state.display_name_es
