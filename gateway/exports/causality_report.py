"""The causality assessment report: per suspect drug x event, every assessment with its
method, result, answers and rationale, oldest first, so revisions after follow-up show."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.exports import field_text as ft
from gateway.exports.blocks import Block, Heading, Report, Text, fields, table
from gateway.exports.dossier_data import CausalityRecord, DossierData
from gateway.exports.pdf_report import render_pdf

ORIGIN_LABELS = {
    "assessment": "assessment recorded in the gateway",
    "icsr": "carried in the case content (G.k.9.i.2.r)",
}


def _pairs(data: DossierData) -> list[tuple[str, str, str, str]]:
    """(drug id, drug, reaction id, reaction) for every suspect drug x event, then any
    pair an assessment names that the current version no longer has."""
    icsr = data.icsr
    pairs = [
        (d.id, ft.drug_name(d), r.id, r.verbatim_translation or r.verbatim_native or r.id)
        for d in icsr.suspect_drugs()
        for r in icsr.reactions
    ]
    known = {(p[0], p[2]) for p in pairs}
    for c in data.causality:
        if (c.drug_id, c.reaction_id) not in known:
            known.add((c.drug_id, c.reaction_id))
            pairs.append((c.drug_id, c.drug, c.reaction_id, c.reaction))
    return pairs


def _history_rows(records: Sequence[CausalityRecord]) -> list[tuple[str, ...]]:
    return [
        (
            str(c.version or ""),
            ft.timestamp(c.at),
            c.actor or "",
            c.source or "",
            c.method,
            c.result + (f" (score {c.score})" if c.score is not None else ""),
            c.rationale or "",
        )
        for c in records
    ]


def causality_blocks(data: DossierData, *, level: int = 1) -> list[Block]:
    """The causality section (also a section of the dossier)."""
    blocks: list[Block] = []
    names = dict(data.term_names)
    for drug_id, drug, reaction_id, reaction in _pairs(data):
        records = sorted(
            (c for c in data.causality if (c.drug_id, c.reaction_id) == (drug_id, reaction_id)),
            key=lambda c: (c.version or 0, c.at.timestamp() if c.at else 0.0),
        )
        r = data.icsr.reaction_by_id(reaction_id)
        coded = ft.meddra(r.term, names) if r is not None else ""
        blocks.append(Heading(f"{drug} — {reaction}", level))
        if coded:
            blocks.append(Text(f"Event coded as {coded}.", muted=True))
        if not records:
            blocks.append(Text("Not assessed yet.", muted=True))
            continue
        blocks.append(
            table(
                ("ver.", "when", "by", "source", "method", "result", "rationale"),
                _history_rows(records),
                widths=(0.5, 1.6, 1.2, 1.0, 1.0, 1.2, 3.0),
            )
        )
        for c in records:
            if not c.criteria and not c.basis:
                continue
            score = f", score {c.score}" if c.score is not None else ""
            title = (
                f"{c.method}: {c.result}{score}, version {c.version or '?'}, {ft.timestamp(c.at)}"
            )
            blocks.append(Heading(title, level + 1))
            if c.criteria:
                blocks.append(table(("criterion / question", "answer"), c.criteria, (4.0, 1.2)))
            if c.basis:
                blocks.append(Text("Basis: " + "; ".join(c.basis) + "."))
            if c.supersedes:
                blocks.append(Text(f"Revises assessment {c.supersedes}.", muted=True))
    if not blocks:
        blocks.append(Text("The case has no suspect drug and event to assess.", muted=True))
    return blocks


def causality_report(data: DossierData) -> Report:
    icsr = data.icsr
    suspects = ", ".join(ft.drug_name(d) for d in icsr.suspect_drugs()) or "none"
    header = fields(
        ("case", data.case_id),
        ("current version", str(data.case.current.number)),
        ("state", data.row.state.value),
        ("suspect drug(s)", suspects),
        ("events", str(len(icsr.reactions))),
        ("sources", "; ".join(f"{k}: {v}" for k, v in ORIGIN_LABELS.items())),
    )
    return Report(
        title="Causality assessment report",
        subtitle=f"case {data.case_id}, version {data.case.current.number}",
        case_id=data.case_id,
        generated_at=ft.timestamp(data.generated_at),
        blocks=(header, *causality_blocks(data)),
    )


def render_causality_pdf(data: DossierData) -> bytes:
    return render_pdf(causality_report(data))
