"""The lifecycle dossier of a case: what an inspector needs to reconstruct every decision.

Sections: the case header; intake and validity assessment; every version with who, when,
why and its field-level differences; coding decisions; causality; the follow-up record;
submissions and acknowledgements; quality checks and sign-off; closure; open triage; the
full audit trail. The content is built once as blocks and rendered to PDF and to HTML.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from gateway.exports import field_text as ft
from gateway.exports.blocks import Block, Heading, Report, Text, fields, table
from gateway.exports.causality_report import causality_blocks
from gateway.exports.dossier_data import DossierData
from gateway.exports.html_report import render_html
from gateway.exports.pdf_report import render_pdf

_INTAKE_ACTIONS = frozenset({"case.received", "validity.assessed", "import.not_carried"})
_VALUE_MAX = 300


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else ("yes" if value else "no")


def _detail(detail: Mapping[str, Any]) -> str:
    parts = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {text}")
    return "; ".join(parts)


def _short(text: str | None) -> str:
    if text is None:
        return "—"
    return text if len(text) <= _VALUE_MAX else text[: _VALUE_MAX - 1] + "…"


def _header(data: DossierData) -> list[Block]:
    row = data.row
    report = data.icsr.report
    return [
        Heading("Case"),
        fields(
            ("case id", data.case_id),
            ("state", f"{row.state.value} ({row.state.display_name_es})"),
            ("Day 0", ft.timestamp(row.day_zero) or "not set"),
            ("serious", _yes_no(row.serious)),
            ("expedited", _yes_no(row.expedited)),
            ("valid", _yes_no(row.valid)),
            ("missing criteria", ", ".join(row.missing_criteria) or "none"),
            ("channel", row.channel or ""),
            ("current version", str(row.current_version)),
            ("C.1.1 safety report id", report.safety_report_id or ""),
            ("C.1.8.1 worldwide case id", report.worldwide_case_id or ""),
            ("C.1.4 first received", ft.form_date(report.first_received)),
            ("C.1.5 most recent information", ft.form_date(report.most_recent_info)),
        ),
    ]


def _intake(data: DossierData) -> list[Block]:
    first = data.case.versions[0]
    p = first.provenance
    blocks: list[Block] = [
        Heading("Intake and validity assessment"),
        fields(
            ("received", ft.timestamp(p.at)),
            ("by", p.actor),
            ("source document", p.source_ref or ""),
            ("decision", p.reason),
            ("state at intake", first.state.value),
        ),
    ]
    entries = [e for e in data.audit if e.action in _INTAKE_ACTIONS]
    if entries:
        blocks.append(
            table(
                ("when", "who", "action", "decided", "detail"),
                [
                    (ft.timestamp(e.at), e.actor, e.action, e.reason, _detail(e.detail))
                    for e in entries
                ],
                widths=(1.4, 1.1, 1.1, 2.4, 3.0),
            )
        )
    else:
        blocks.append(Text("No intake audit entries were recorded.", muted=True))
    return blocks


def _versions(data: DossierData) -> list[Block]:
    blocks: list[Block] = [Heading("Versions and their differences")]
    for record in data.versions:
        v = record.version
        p = v.provenance
        blocks.append(Heading(f"Version {v.number}: {p.action}", 2))
        blocks.append(
            fields(
                ("when", ft.timestamp(p.at)),
                ("who", p.actor),
                ("why", p.reason),
                ("state", v.state.value),
                ("source document", p.source_ref or ""),
            )
        )
        what = "initial content" if v.number == 1 else "differences from the previous version"
        if not record.changes:
            blocks.append(Text(f"{what}: none (content unchanged).", muted=True))
            continue
        blocks.append(
            table(
                ("field", "change", "before", "after"),
                [(c.path, c.kind, _short(c.before), _short(c.after)) for c in record.changes],
                widths=(2.6, 0.8, 2.3, 2.3),
            )
        )
    return blocks


def _coding(data: DossierData) -> list[Block]:
    names = dict(data.term_names)
    rows: list[tuple[str, ...]] = []
    for record in data.versions:
        v = record.version
        before = data.case.versions[v.number - 2].icsr if v.number > 1 else None
        for r in v.icsr.reactions:
            old = before.reaction_by_id(r.id) if before is not None else None
            if r.term is None or (old is not None and old.term == r.term):
                continue
            rows.append(
                (
                    str(v.number),
                    ft.timestamp(v.provenance.at),
                    v.provenance.actor,
                    r.verbatim_translation or r.verbatim_native or r.id,
                    ft.meddra(old.term, names) if old is not None and old.term else "—",
                    ft.meddra(r.term, names),
                    v.provenance.reason,
                )
            )
    blocks: list[Block] = [Heading("Coding decisions")]
    if rows:
        blocks.append(
            table(
                ("version", "when", "who", "verbatim", "before", "coded as", "rationale"),
                rows,
                widths=(0.6, 1.3, 1.0, 1.6, 1.6, 1.6, 2.5),
            )
        )
    else:
        blocks.append(Text("No reaction has been coded.", muted=True))
    decisions = [e for e in data.audit if "cod" in e.action or "meddra" in e.action]
    if decisions:
        blocks.append(Heading("Coding entries in the audit trail", 2))
        blocks.append(
            table(
                ("when", "who", "action", "rationale", "detail"),
                [
                    (ft.timestamp(e.at), e.actor, e.action, e.reason, _detail(e.detail))
                    for e in decisions
                ],
                widths=(1.3, 1.0, 1.0, 2.8, 2.6),
            )
        )
    return blocks


def _followup(data: DossierData) -> list[Block]:
    blocks: list[Block] = [Heading("Follow-up record")]
    if not data.followup_requests and not data.thread:
        blocks.append(Text("No follow-up was requested.", muted=True))
        return blocks
    if data.followup_requests:
        blocks.append(Heading("Requests", 2))
        blocks.append(
            table(
                (
                    "request",
                    "version",
                    "created",
                    "channel",
                    "to",
                    "questions",
                    "status",
                    "sent / reminders",
                    "closed",
                ),
                [
                    (
                        r.id,
                        str(r.case_version),
                        ft.timestamp(r.created_at),
                        r.channel,
                        r.recipient,
                        ", ".join(r.questions),
                        r.status,
                        f"{ft.timestamp(r.sent_at)} / {r.reminders_sent}",
                        " ".join(
                            x for x in (ft.timestamp(r.closed_at), r.closed_reason or "") if x
                        ),
                    )
                    for r in data.followup_requests
                ],
                widths=(1.0, 0.6, 1.3, 0.7, 1.6, 1.4, 0.8, 1.4, 1.4),
            )
        )
    if data.thread:
        blocks.append(Heading("Thread", 2))
        blocks.append(
            table(
                ("when", "direction", "kind", "channel", "delivery", "subject", "message"),
                [
                    (
                        ft.timestamp(m.created_at),
                        m.direction,
                        m.kind,
                        m.channel,
                        f"{m.delivery_state} ({ft.timestamp(m.state_at)})"
                        + (f": {m.delivery_detail}" if m.delivery_detail else ""),
                        m.subject or "",
                        _short(m.body),
                    )
                    for m in data.thread
                ],
                widths=(1.3, 0.7, 0.7, 0.7, 1.5, 1.5, 3.0),
            )
        )
    return blocks


def _submissions(data: DossierData) -> list[Block]:
    blocks: list[Block] = [Heading("Submissions and acknowledgements")]
    if not data.submissions:
        blocks.append(Text("Nothing has been submitted.", muted=True))
        return blocks
    blocks.append(
        table(
            (
                "submission",
                "version",
                "to",
                "kind",
                "status",
                "due",
                "batch",
                "sent",
                "ACK",
                "receiver's no.",
                "deadline met",
                "errors",
            ),
            [
                (
                    s.id,
                    str(s.case_version),
                    s.destination_id,
                    s.kind,
                    s.status,
                    s.due_date.isoformat() if s.due_date else "",
                    s.batch_number or "",
                    ft.timestamp(s.dispatched_at),
                    ft.timestamp(s.acked_at),
                    s.local_report_number or "",
                    _yes_no(s.deadline_met),
                    "; ".join(s.errors),
                )
                for s in data.submissions
            ],
            widths=(1.0, 0.6, 0.9, 0.7, 0.9, 0.9, 1.2, 1.2, 1.2, 1.1, 0.6, 1.3),
        )
    )
    if data.acks:
        blocks.append(Heading("Acknowledgements received", 2))
        rows = []
        for a in data.acks:
            items = "; ".join(
                " ".join(
                    x
                    for x in (
                        i.message_id or "",
                        i.code or "",
                        i.local_report_number or "",
                        i.error_text or "",
                    )
                    if x
                )
                for i in a.items
            )
            rows.append(
                (
                    ft.timestamp(a.received_at),
                    a.batch_number or "",
                    a.format or "",
                    f"{a.batch_code or ''} {a.batch_text or ''}".strip(),
                    items,
                    a.outcome + (" (duplicate)" if a.duplicate else ""),
                )
            )
        blocks.append(
            table(
                (
                    "received",
                    "batch",
                    "format",
                    "batch code",
                    "per ICSR (id, code, no., text)",
                    "routing",
                ),
                rows,
                widths=(1.3, 1.3, 0.7, 1.2, 3.2, 0.9),
            )
        )
    else:
        blocks.append(Text("No acknowledgement has been received yet.", muted=True))
    return blocks


def _quality(data: DossierData) -> list[Block]:
    blocks: list[Block] = [Heading("Quality check and sign-off")]
    if not data.quality:
        blocks.append(Text("No quality check has been run.", muted=True))
        return blocks
    for q in data.quality:
        blocks.append(Heading(f"Version {q.version}: {q.outcome}", 2))
        blocks.append(
            fields(
                ("run", ft.timestamp(q.at)),
                ("signed off by", q.signed_off_by or "not signed off"),
                ("signed off", ft.timestamp(q.signed_off_at)),
                ("comment", q.sign_off_comment or ""),
            )
        )
        if q.checks:
            blocks.append(
                table(
                    ("check", "result", "detail"),
                    [(c.name, c.outcome, c.detail) for c in q.checks],
                    widths=(2.0, 1.2, 4.0),
                )
            )
    return blocks


def _closure(data: DossierData) -> list[Block]:
    blocks: list[Block] = [Heading("Closure")]
    if not data.closures:
        blocks.append(Text("The case has not been closed.", muted=True))
        return blocks
    blocks.append(
        table(
            ("when", "action", "who", "version", "reason", "rationale"),
            [
                (
                    ft.timestamp(c.at),
                    c.action,
                    c.actor,
                    str(c.version or ""),
                    c.reason or "",
                    c.rationale,
                )
                for c in data.closures
            ],
            widths=(1.3, 0.8, 1.1, 0.6, 1.3, 3.5),
        )
    )
    return blocks


def _triage_and_audit(data: DossierData) -> list[Block]:
    blocks: list[Block] = []
    if data.triage:
        blocks.append(Heading("Triage items"))
        blocks.append(
            table(
                ("created", "kind", "status", "reason"),
                [(ft.timestamp(t.created_at), t.kind, t.status, t.reason) for t in data.triage],
                widths=(1.3, 1.3, 0.8, 4.5),
            )
        )
    blocks.append(Heading("Audit trail"))
    if data.audit:
        blocks.append(
            table(
                ("when", "who", "action", "reason", "detail"),
                [
                    (ft.timestamp(e.at), e.actor, e.action, e.reason, _detail(e.detail))
                    for e in data.audit
                ],
                widths=(1.3, 1.1, 1.2, 2.6, 2.6),
            )
        )
    else:
        blocks.append(Text("The audit trail is empty.", muted=True))
    return blocks


def dossier_report(data: DossierData) -> Report:
    """The dossier's content, for either renderer."""
    blocks: list[Block] = [
        *_header(data),
        *_intake(data),
        *_versions(data),
        *_coding(data),
        Heading("Causality"),
        *causality_blocks(data, level=2),
        *_followup(data),
        *_submissions(data),
        *_quality(data),
        *_closure(data),
        *_triage_and_audit(data),
    ]
    return Report(
        title="Case lifecycle dossier",
        subtitle=(
            f"case {data.case_id} · state {data.row.state.value} · {len(data.versions)} version(s)"
        ),
        case_id=data.case_id,
        generated_at=ft.timestamp(data.generated_at),
        blocks=tuple(blocks),
    )


def render_dossier_pdf(data: DossierData) -> bytes:
    return render_pdf(dossier_report(data))


def render_dossier_html(data: DossierData) -> str:
    return render_html(dossier_report(data))
