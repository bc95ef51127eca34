"""A ``Report`` as one self-contained HTML page (inline style, no scripts, every value escaped)."""

from __future__ import annotations

from html import escape

from gateway.exports.blocks import Block, Fields, Heading, Report, Table, Text

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:14px;
margin:2em auto;max-width:62em;color:#1d1d1f;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.1em}.subtitle{color:#666;margin-top:0}
h2{font-size:1.25em;color:#1a3366;border-bottom:1px solid #ccd;margin-top:1.6em}
h3{font-size:1.05em}h4{font-size:.95em;margin-bottom:.3em}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em}
th,td{border:1px solid #aaa;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#e6ebf2}table.fields th{width:28%}
.muted{color:#777}pre{white-space:pre-wrap;font:inherit;margin:0}
footer{margin-top:2em;color:#777;font-size:.85em;border-top:1px solid #ccc;padding-top:.5em}
@media print{body{margin:0;max-width:none}}
"""


def _cell(text: str) -> str:
    return escape(text).replace("\n", "<br>")


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        level = min(max(block.level, 1), 3) + 1
        return f"<h{level}>{escape(block.text)}</h{level}>"
    if isinstance(block, Text):
        css = ' class="muted"' if block.muted else ""
        return f"<p{css}>{_cell(block.text)}</p>"
    if isinstance(block, Fields):
        rows = "".join(
            f"<tr><th>{escape(label)}</th><td>{_cell(value)}</td></tr>"
            for label, value in block.pairs
        )
        return f'<table class="fields"><tbody>{rows}</tbody></table>'
    assert isinstance(block, Table)
    head = "".join(f"<th>{escape(h)}</th>" for h in block.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in block.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(report: Report) -> str:
    title = f"{report.title} {report.case_id}"
    body = "\n".join(_block(b) for b in report.blocks)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="generator" content="icsr-gateway">'
        f"<style>{_STYLE}</style></head><body>\n"
        f"<h1>{escape(report.title)}</h1>"
        f'<p class="subtitle">{escape(report.subtitle)}</p>\n'
        f"{body}\n"
        f"<footer>{escape(report.title)} · case {escape(report.case_id)} · "
        f"generated {escape(report.generated_at)}</footer>\n"
        "</body></html>\n"
    )
