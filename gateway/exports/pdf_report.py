"""A ``Report`` (headings, text, field lists, tables) as a paginated A4 PDF."""

from __future__ import annotations

import io
from html import escape
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import (
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)

from gateway.exports.blocks import Block, Fields, Heading, Report, Table, Text
from gateway.exports.pdf_kit import FONT, FONT_BOLD, MARGIN, PAGE, footed_canvas, register_fonts

_GRID = colors.Color(0.6, 0.6, 0.6)
_HEAD_FILL = colors.Color(0.9, 0.92, 0.95)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=FONT, fontSize=8.5, leading=11)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=9, textColor=colors.grey),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            textColor=colors.Color(0.1, 0.2, 0.4),
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=6,
            spaceAfter=3,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=9,
            leading=12,
            spaceBefore=4,
            spaceAfter=2,
        ),
        "body": base,
        "muted": ParagraphStyle("muted", parent=base, textColor=colors.grey),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9.5),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=7.5, leading=9.5),
    }


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    # Paragraph reads a small markup language: every value is escaped, line breaks kept.
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(data: list[list[Any]], widths: list[float], header: bool) -> LongTable:
    flow = LongTable(data, colWidths=widths, repeatRows=1 if header else 0)
    style: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), _HEAD_FILL))
    else:
        style.append(("BACKGROUND", (0, 0), (0, -1), _HEAD_FILL))
    flow.setStyle(TableStyle(style))
    return flow


def _flowables(block: Block, styles: dict[str, ParagraphStyle], width: float) -> list[Any]:
    if isinstance(block, Heading):
        return [_para(block.text, styles[f"h{min(max(block.level, 1), 3)}"])]
    if isinstance(block, Text):
        return [_para(block.text, styles["muted" if block.muted else "body"]), Spacer(1, 3)]
    if isinstance(block, Fields):
        data = [
            [_para(label, styles["head"]), _para(value, styles["cell"])]
            for label, value in block.pairs
        ]
        return [_table(data, [width * 0.28, width * 0.72], header=False), Spacer(1, 4)]
    assert isinstance(block, Table)
    weights = block.widths or tuple(1.0 for _ in block.headers)
    total = sum(weights)
    widths = [width * w / total for w in weights]
    data = [[_para(h, styles["head"]) for h in block.headers]]
    data += [[_para(cell, styles["cell"]) for cell in row] for row in block.rows]
    return [_table(data, widths, header=True), Spacer(1, 4)]


def render_pdf(report: Report) -> bytes:
    register_fonts()
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{report.title} {report.case_id}",
        author="icsr-gateway",
        subject=report.subtitle,
    )
    story: list[Any] = [
        _para(report.title, styles["title"]),
        _para(report.subtitle, styles["subtitle"]),
        Spacer(1, 8),
    ]
    pending: list[Any] = []
    for block in report.blocks:
        flows = _flowables(block, styles, doc.width)
        if isinstance(block, Heading):
            # A heading never ends a page alone: keep it with what follows.
            pending.extend(flows)
            continue
        if pending:
            story.append(KeepTogether([*pending, flows[0]]))
            story.extend(flows[1:])
            pending = []
        else:
            story.extend(flows)
    story.extend(pending)
    footer = f"{report.title} · case {report.case_id} · generated {report.generated_at}"
    doc.build(story, canvasmaker=footed_canvas(footer))
    return out.getvalue()
