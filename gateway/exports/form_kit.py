"""Drawing paper forms: labelled boxes in a grid, check boxes, section bars.

Coordinates are measured from the top-left corner of the page (forms are read top down);
the sheet converts them to PDF space. A value too long for its box is cut at the last
line that fits and the rest returned, so the form can carry it on a continuation page.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from gateway.exports.pdf_kit import FONT, FONT_BOLD, PAGE

LABEL_SIZE = 5.8
_LINE = 0.6
_SHADE = colors.Color(0.86, 0.88, 0.92)


class FormSheet:
    """One canvas with helpers that draw in top-down coordinates."""

    def __init__(self, canvas: Canvas, continued: str = "(continued on the attached page)") -> None:
        self.c = canvas
        self.height = PAGE[1]
        #: written where a value is cut; the rest goes on a continuation page
        self.continued = continued

    def _y(self, top: float) -> float:
        return self.height - top

    def section(self, x: float, top: float, width: float, text: str, height: float = 13) -> float:
        """A shaded bar with a section title; returns the top of what follows."""
        c = self.c
        c.setFillColor(_SHADE)
        c.setLineWidth(_LINE)
        c.rect(x, self._y(top + height), width, height, stroke=1, fill=1)
        c.setFillColor(colors.black)
        c.setFont(FONT_BOLD, 8)
        c.drawString(x + 4, self._y(top + height - 3.8), text)
        return top + height

    def box(
        self,
        x: float,
        top: float,
        width: float,
        height: float,
        label: str,
        value: str = "",
        *,
        size: float = 8.0,
    ) -> str:
        """A ruled box with a small label and the value below it; returns what did not fit."""
        c = self.c
        c.setLineWidth(_LINE)
        c.setStrokeColor(colors.black)
        c.rect(x, self._y(top + height), width, height)
        label_lines = simpleSplit(label, FONT, LABEL_SIZE, width - 5)
        c.setFont(FONT, LABEL_SIZE)
        c.setFillColor(colors.Color(0.2, 0.2, 0.2))
        line_top = top + LABEL_SIZE + 1.5
        for line in label_lines:
            c.drawString(x + 2.5, self._y(line_top), line)
            line_top += LABEL_SIZE + 0.8
        c.setFillColor(colors.black)
        return self.text(x + 3, line_top + 1, width - 6, top + height - 2, value, size=size)

    def text(
        self,
        x: float,
        top: float,
        width: float,
        bottom: float,
        value: str,
        *,
        size: float = 8.0,
        note: str | None = None,
    ) -> str:
        """Wrapped text from ``top`` down to ``bottom``; returns the lines that did not fit."""
        if not value.strip():
            return ""
        leading = size * 1.2
        lines: list[str] = []
        for paragraph in value.splitlines() or [""]:
            lines.extend(simpleSplit(paragraph, FONT, size, width) or [""])
        self.c.setFont(FONT, size)
        fits = _lines_between(top, bottom, size)
        if len(lines) > fits and fits > 0:
            # Leave the last line to say where the rest went.
            fits -= 1
        y = top + size
        for line in lines[:fits]:
            self.c.drawString(x, self._y(y), line)
            y += leading
        rest = lines[fits:]
        if rest:
            self.c.setFont(FONT_BOLD, size - 1)
            self.c.drawString(x, self._y(y), note or self.continued)
        return "\n".join(rest)

    def grid(
        self,
        x: float,
        top: float,
        columns: Sequence[tuple[str, float]],
        rows: Sequence[Sequence[str]],
        *,
        row_height: float = 16,
        head_height: float = 14,
        size: float = 7.0,
    ) -> tuple[float, list[tuple[str, str]]]:
        """A table of ruled cells; returns the top below it and (column, rest) overflows."""
        c = self.c
        c.setLineWidth(_LINE)
        overflow: list[tuple[str, str]] = []
        left = x
        for label, width in columns:
            c.setFillColor(_SHADE)
            c.rect(left, self._y(top + head_height), width, head_height, stroke=1, fill=1)
            c.setFillColor(colors.black)
            c.setFont(FONT_BOLD, 6.2)
            c.drawString(left + 2.5, self._y(top + head_height - 4.2), label)
            left += width
        row_top = top + head_height
        for n, row in enumerate(rows, start=1):
            left = x
            for (label, width), value in zip(columns, row, strict=True):
                c.rect(left, self._y(row_top + row_height), width, row_height)
                rest = self.text(
                    left + 2.5,
                    row_top + 1.5,
                    width - 5,
                    row_top + row_height - 1,
                    value,
                    size=size,
                    note="(…)",
                )
                if rest:
                    overflow.append((f"{label} ({n})", rest))
                left += width
            row_top += row_height
        return row_top, overflow

    def checkbox(
        self, x: float, top: float, checked: bool | None, label: str, *, size: float = 6.5
    ) -> float:
        """A square (crossed when ``checked``) and its label; returns the x after the label."""
        c = self.c
        side = 7.0
        c.setLineWidth(_LINE)
        c.rect(x, self._y(top + side), side, side)
        if checked:
            c.setLineWidth(1.1)
            c.line(x + 1.3, self._y(top + 1.3), x + side - 1.3, self._y(top + side - 1.3))
            c.line(x + 1.3, self._y(top + side - 1.3), x + side - 1.3, self._y(top + 1.3))
            c.setLineWidth(_LINE)
        c.setFont(FONT, size)
        c.drawString(x + side + 2.5, self._y(top + side - 1), label)
        return x + side + 2.5 + c.stringWidth(label, FONT, size) + 8

    def title(self, x: float, top: float, text: str, size: float = 11, bold: bool = True) -> None:
        self.c.setFont(FONT_BOLD if bold else FONT, size)
        self.c.drawString(x, self._y(top + size), text)

    def centred(self, x: float, top: float, width: float, text: str, size: float = 9) -> float:
        """Centred, wrapped bold text; returns the top below it."""
        lines = simpleSplit(text, FONT_BOLD, size, width)
        self.c.setFont(FONT_BOLD, size)
        y = top + size
        for line in lines:
            self.c.drawCentredString(x + width / 2, self._y(y), line)
            y += size * 1.25
        return y - size * 0.25


def continuation(
    sheet: FormSheet,
    heading: str,
    overflows: list[tuple[str, str]],
    margin: float,
    continued: str = "continued",
) -> None:
    """Pages carrying the text that did not fit in its box, each part under its box's name."""
    c = sheet.c
    width = PAGE[0] - 2 * margin
    bottom = sheet.height - margin - 14
    pending = [(f"{label} ({continued})", text) for label, text in overflows if text]
    while pending:
        c.showPage()
        top = margin
        sheet.title(margin, top, heading, size=10)
        top += 22
        while pending and top < bottom - 30:
            label, text = pending.pop(0)
            c.setFont(FONT_BOLD, 8)
            c.drawString(margin, sheet._y(top + 8), label)
            top += 12
            rest = _plain_text(sheet, margin, top, width, bottom, text)
            if rest:
                pending.insert(0, (label, rest))
                break
            top += _height_of(text, width) + 10


def _plain_text(
    sheet: FormSheet, x: float, top: float, width: float, bottom: float, value: str
) -> str:
    """Like ``FormSheet.text`` without the "continued" note (the next page says it)."""
    size = 8.0
    leading = size * 1.2
    lines: list[str] = []
    for paragraph in value.splitlines() or [""]:
        lines.extend(simpleSplit(paragraph, FONT, size, width) or [""])
    fits = _lines_between(top, bottom, size)
    sheet.c.setFont(FONT, size)
    y = top + size
    for line in lines[:fits]:
        sheet.c.drawString(x, sheet._y(y), line)
        y += leading
    return "\n".join(lines[fits:])


def _height_of(value: str, width: float, size: float = 8.0) -> float:
    lines = sum(len(simpleSplit(p, FONT, size, width) or [""]) for p in value.splitlines() or [""])
    return lines * size * 1.2


def _lines_between(top: float, bottom: float, size: float) -> int:
    """How many lines of ``size`` fit with the first baseline at ``top + size``."""
    room = bottom - top - size
    return 0 if room < 0 else int(room // (size * 1.2)) + 1
