"""The content of a report as a few plain blocks, rendered alike to PDF and to HTML.

The dossier and the causality report are built once as a tuple of blocks; the PDF and the
HTML renderer each walk the same tuple, so the two formats cannot say different things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    level: int = 1  # 1 section, 2 subsection, 3 item


@dataclass(frozen=True, slots=True)
class Text:
    text: str
    muted: bool = False  # a remark about the data ("no follow-up was needed")


@dataclass(frozen=True, slots=True)
class Fields:
    """Label/value pairs (a record's fields), printed as a two-column table."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Table:
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    #: relative column widths (sum to anything); None: equal
    widths: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.headers):
                raise ValueError(f"a row has {len(row)} cells for {len(self.headers)} columns")


Block = Heading | Text | Fields | Table


@dataclass(frozen=True, slots=True)
class Report:
    """A titled document: what both renderers take."""

    title: str
    subtitle: str
    case_id: str
    generated_at: str  # already formatted: the footer of every page carries it
    blocks: tuple[Block, ...]


def fields(*pairs: tuple[str, str]) -> Fields:
    return Fields(pairs=tuple(pairs))


def table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float] | None = None,
) -> Table:
    return Table(
        headers=tuple(headers),
        rows=tuple(tuple(r) for r in rows),
        widths=tuple(widths) if widths is not None else None,
    )
