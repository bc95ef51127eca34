"""What every PDF the gateway renders shares: the embedded font, and the footer with the
page number ("page 2 of 5") and when the document was generated.

The font is Bitstream Vera, shipped inside reportlab and embedded in each file: the
standard PDF fonts cannot carry text outside Latin-1, and a case may quote a reporter in
any language. Embedded TrueType subsets keep the text extractable (pdftotext, search).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import reportlab
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

FONT = "GatewaySans"
FONT_BOLD = "GatewaySans-Bold"
FONT_ITALIC = "GatewaySans-Italic"
PAGE = A4
MARGIN = 36.0  # half an inch


def register_fonts() -> None:
    """Register the embedded font family once per process (reportlab keeps a registry)."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(reportlab.__file__).parent / "fonts"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "Vera.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(folder / "VeraBd.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_ITALIC, str(folder / "VeraIt.ttf")))
    pdfmetrics.registerFont(TTFont(f"{FONT}-BoldItalic", str(folder / "VeraBI.ttf")))
    pdfmetrics.registerFontFamily(
        FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_ITALIC, boldItalic=f"{FONT}-BoldItalic"
    )


def footed_canvas(
    footer_left: str, page_word: str = "page", of_word: str = "of"
) -> type[canvas.Canvas]:
    """A canvas class that writes ``footer_left`` and "page N of M" on every page.

    The total is known only at the end, so pages are kept and drawn in ``save`` (the usual
    two-pass numbering of reportlab).
    """

    class FootedCanvas(canvas.Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            # reportlab's own reset of the page state (the documented two-pass recipe)
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            width = PAGE[0]
            self.saveState()
            self.setFont(FONT, 7)
            self.setFillGray(0.35)
            self.drawString(MARGIN, MARGIN / 2, footer_left)
            self.drawRightString(
                width - MARGIN, MARGIN / 2, f"{page_word} {self.getPageNumber()} {of_word} {total}"
            )
            self.restoreState()

    return FootedCanvas
