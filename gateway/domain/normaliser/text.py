"""The analysed text every extractor reads: folded copy, tokens, sentences, clauses.

Folding (lower case, accents stripped) keeps every character at its offset, so a span
found in the folded text indexes the reporter's original words unchanged.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from gateway.domain.catalogue import fold, iter_tokens

__all__ = ["NUMBER_WORDS", "Doc", "Token", "parse_number", "words"]


def words(text: str) -> frozenset[str]:
    """A word set written as one string: ``words("no not never")``."""
    return frozenset(text.split())


#: spelled-out numbers in English and Spanish (folded)
NUMBER_WORDS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "couple": 2, "few": 3, "several": 3,
    "un": 1, "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15,
    "veinte": 20, "treinta": 30, "par": 2, "unos": 3, "unas": 3,
}  # fmt: skip

_ABBREVIATIONS = words(
    "dr dra mr mrs ms sr sra srta st approx aprox e g i eg ie vs etc no nr tab tabs cap "
    "caps fig p ej inc ltd co"
)
_SENTENCE_END = re.compile(r"(?<![.!?¡¿])[.!?¡¿]++(?=\s|$)|\n\s*\n|\n(?=\s*[-*•>]|\s*[A-Z¿¡])|[?!]")
_CLAUSE_BREAK = re.compile(
    r"[;:()\[\]]|\s-\s|\b(?:but|however|although|though|whereas|pero|aunque|sin embargo|"
    r"sino|mientras que|then|luego|despues|after that|and then|y luego|y despues)\b"
)


def parse_number(word: str) -> int | None:
    """A digit string or a spelled-out number (folded), else None."""
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # folded
    start: int
    end: int


@dataclass(slots=True)
class Doc:
    """Text analysed once: folded form, tokens, sentence and clause boundaries."""

    text: str
    folded: str = field(init=False)
    tokens: list[Token] = field(init=False)
    sentences: list[tuple[int, int]] = field(init=False)
    _token_starts: list[int] = field(init=False)
    _sentence_starts: list[int] = field(init=False)
    _clause_breaks: list[int] = field(init=False)

    def __post_init__(self) -> None:
        self.folded = fold(self.text)
        self.tokens = [Token(t, s, e) for t, s, e in iter_tokens(self.folded)]
        self._token_starts = [t.start for t in self.tokens]
        self.sentences = self._split_sentences()
        self._sentence_starts = [s for s, _ in self.sentences]
        self._clause_breaks = [m.start() for m in _CLAUSE_BREAK.finditer(self.folded)]

    def _split_sentences(self) -> list[tuple[int, int]]:
        bounds: list[tuple[int, int]] = []
        start = 0
        for match in _SENTENCE_END.finditer(self.text):
            if match.group().startswith("."):
                before = self.folded[max(0, match.start() - 6) : match.start()]
                word = re.findall(r"[^\W_]+$", before)
                if word and (word[0] in _ABBREVIATIONS or len(word[0]) == 1):
                    continue
            end = match.end()
            if self.text[start:end].strip():
                bounds.append((start, end))
            start = end
        if self.text[start:].strip():
            bounds.append((start, len(self.text)))
        return bounds or [(0, len(self.text))]

    # --- lookups -----------------------------------------------------------------------

    def sentence_at(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._sentence_starts, pos) - 1
        return self.sentences[max(i, 0)]

    def sentence_index(self, pos: int) -> int:
        return max(bisect.bisect_right(self._sentence_starts, pos) - 1, 0)

    def clause_at(self, pos: int) -> tuple[int, int]:
        """The clause around ``pos``: its sentence cut at ``;``, "but", "pero" …"""
        s_start, s_end = self.sentence_at(pos)
        i = bisect.bisect_right(self._clause_breaks, pos) - 1
        start = max(s_start, self._clause_breaks[i] if i >= 0 else s_start)
        j = bisect.bisect_right(self._clause_breaks, pos)
        end = min(s_end, self._clause_breaks[j] if j < len(self._clause_breaks) else s_end)
        return start, end

    def token_index(self, pos: int) -> int:
        """Index of the first token starting at or after ``pos``."""
        return bisect.bisect_left(self._token_starts, pos)

    def tokens_between(self, start: int, end: int) -> list[Token]:
        i = bisect.bisect_left(self._token_starts, start)
        out: list[Token] = []
        while i < len(self.tokens) and self.tokens[i].end <= end:
            out.append(self.tokens[i])
            i += 1
        return out

    def tokens_before(self, pos: int, count: int, floor: int = 0) -> list[Token]:
        """Up to ``count`` tokens ending before ``pos`` and starting at or after ``floor``."""
        i = bisect.bisect_left(self._token_starts, pos)
        out = [t for t in self.tokens[max(0, i - count) : i] if t.start >= floor and t.end <= pos]
        return out

    def tokens_after(self, pos: int, count: int, ceiling: int | None = None) -> list[Token]:
        i = bisect.bisect_left(self._token_starts, pos)
        limit = len(self.text) if ceiling is None else ceiling
        return [t for t in self.tokens[i : i + count] if t.end <= limit]

    def is_question(self, pos: int) -> bool:
        start, end = self.sentence_at(pos)
        chunk = self.text[start:end].strip()
        return chunk.endswith("?") or chunk.startswith("¿")
