"""Dates in reports: "3 March 2024", "March 3rd", "el 3 de marzo", "03/03/24",
"yesterday", "hace dos días", and latencies like "two days after starting".

A date without a year takes the latest year that does not put it after receipt. Relative
dates are computed from the receipt time and marked ``relative`` (derived).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal

from gateway.domain.normaliser.model import DateMention
from gateway.domain.normaliser.text import Doc, parse_number
from gateway.domain.values import DatePrecision, PartialDate, Quantity

__all__ = ["find_dates", "find_latencies"]

_MONTHS = {
    "january": 1, "jan": 1, "enero": 1, "ene": 1,
    "february": 2, "feb": 2, "febrero": 2,
    "march": 3, "mar": 3, "marzo": 3,
    "april": 4, "apr": 4, "abril": 4, "abr": 4,
    "may": 5, "mayo": 5,
    "june": 6, "jun": 6, "junio": 6,
    "july": 7, "jul": 7, "julio": 7,
    "august": 8, "aug": 8, "agosto": 8, "ago": 8,
    "september": 9, "sep": 9, "sept": 9, "septiembre": 9, "setiembre": 9,
    "october": 10, "oct": 10, "octubre": 10,
    "november": 11, "nov": 11, "noviembre": 11,
    "december": 12, "dec": 12, "diciembre": 12, "dic": 12,
}  # fmt: skip
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|º|o)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_NUM_WORD = (
    r"(?P<n>\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|couple of|"
    r"few|un|una|uno|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|unos|unas)"
)
_UNIT = r"(?P<unit>hours?|days?|weeks?|months?|years?|horas?|dias?|semanas?|mes|meses|anos?)"

_PATTERNS = [
    re.compile(rf"\b{_YEAR}-(?P<m>[01]?\d)-(?P<d>[0-3]?\d)\b"),
    re.compile(r"\b(?P<a>[0-3]?\d)[/.-](?P<b>[01]?\d)[/.-](?P<y>(?:19|20)?\d\d)\b"),
    re.compile(rf"\b{_DAY}\s+(?:de\s+|of\s+)?{_MONTH}(?:,?\s+(?:de\s+|del\s+)?{_YEAR})?\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY}(?!\d)(?:,?\s+{_YEAR})?\b"),
    re.compile(rf"\b{_MONTH}\s+(?:de\s+|del\s+)?{_YEAR}\b"),
]
_RELATIVE = re.compile(
    r"\b(?:(?P<yday>yesterday|ayer)|(?P<dby>anteayer|day before yesterday)|"
    r"(?P<today>today|this morning|tonight|hoy|esta manana|esta tarde))\b"
)
_AGO = (
    re.compile(rf"\b{_NUM_WORD}\s+{_UNIT}\s+ago\b"),
    re.compile(rf"\bhace\s+{_NUM_WORD}\s+{_UNIT}\b"),
)
_LATENCY = (
    re.compile(
        rf"\b(?:(?:about|around|some|unos|unas)\s+)?{_NUM_WORD}\s+{_UNIT}\s+"
        r"(?:after\s+(?:starting|beginning|taking|the\s+first|first|i\s+started|"
        r"she\s+started|he\s+started|we\s+started|commencing|initiating|the\s+start)|"
        r"into\s+(?:the\s+)?(?:treatment|therapy|course)|"
        r"(?:despues\s+de|tras)\s+(?:empezar|comenzar|iniciar|tomar|la\s+primera|el\s+inicio))"
    ),
    re.compile(
        rf"\ba\s+los\s+{_NUM_WORD}\s+{_UNIT}\s+de\s+(?:empezar|comenzar|iniciar|tomar|"
        r"tratamiento)"
    ),
)
_NEXT_DAY = re.compile(r"\b(?:the\s+next\s+day|the\s+following\s+day|al\s+dia\s+siguiente)\b")


def _unit_code(unit: str) -> str:
    if unit.startswith(("mes", "month")):
        return "mo"
    if unit.startswith(("hora", "hour")):
        return "h"
    if unit.startswith(("semana", "week")):
        return "wk"
    if unit.startswith(("ano", "year")):
        return "a"
    return "d"


def _count(word: str | None) -> int | None:
    if word is None:
        return None
    word = word.split()[0]
    return parse_number(word)


def _infer_year(month: int, day: int | None, received: date) -> int:
    year = received.year
    try:
        candidate = date(year, month, day or 1)
    except ValueError:
        return year
    return year - 1 if candidate > received else year


def _make(year: int, month: int | None, day: int | None) -> PartialDate | None:
    try:
        return PartialDate(year=year, month=month, day=day if month is not None else None)
    except ValueError:
        return None


def _ago(count: str, unit_word: str, received: date) -> PartialDate | None:
    n = _count(count)
    if n is None:
        return None
    unit = _unit_code(unit_word)
    if unit in ("mo", "a"):
        total = received.year * 12 + received.month - 1 - n * (12 if unit == "a" else 1)
        return _make(total // 12, total % 12 + 1, None)
    days = 0 if unit == "h" else n * (7 if unit == "wk" else 1)
    return PartialDate.from_date(received - timedelta(days=days), DatePrecision.DAY)


def find_dates(doc: Doc, received_at: datetime, *, month_first: bool = False) -> list[DateMention]:
    """Absolute and relative dates in ``doc``, in text order, non-overlapping."""
    received = received_at.date()
    found: list[DateMention] = []
    taken: list[tuple[int, int]] = []

    def add(value: PartialDate | None, span: tuple[int, int], relative: bool = False) -> None:
        if value is None or any(s < span[1] and span[0] < e for s, e in taken):
            return
        taken.append(span)
        found.append(DateMention(date=value, span=span, relative=relative))

    text = doc.folded
    for index, pattern in enumerate(_PATTERNS):
        for m in pattern.finditer(text):
            groups = m.groupdict()
            if index == 0:
                add(_make(int(groups["year"]), int(groups["m"]), int(groups["d"])), m.span())
            elif index == 1:
                a, b, y = int(groups["a"]), int(groups["b"]), int(groups["y"])
                year = y + 2000 if y < 100 else y
                day, month = (b, a) if (month_first and b <= 31 and a <= 12) or b > 12 else (a, b)
                add(_make(year, month, day), m.span())
            else:
                month = _MONTHS[groups["month"]]
                day_or_none = int(groups["day"]) if groups.get("day") else None
                if (
                    groups["month"] in {"may", "mar"}
                    and day_or_none is None
                    and not groups.get("year")
                ):
                    continue  # "may" and "mar" alone are words, not months
                year = (
                    int(groups["year"])
                    if groups.get("year")
                    else _infer_year(month, day_or_none, received)
                )
                add(_make(year, month, day_or_none), m.span())
    for m in _RELATIVE.finditer(text):
        days = 1 if m.group("yday") else 2 if m.group("dby") else 0
        when = PartialDate.from_date(received - timedelta(days=days), DatePrecision.DAY)
        add(when, m.span(), relative=True)
    for pattern in _AGO:
        for m in pattern.finditer(text):
            add(_ago(m.group("n"), m.group("unit"), received), m.span(), relative=True)
    found.sort(key=lambda d: d.span)
    return found


def find_latencies(doc: Doc) -> list[tuple[Quantity, tuple[int, int]]]:
    """Time from the first dose to onset, as stated: "two days after starting"."""
    out: list[tuple[Quantity, tuple[int, int]]] = []
    for pattern in _LATENCY:
        for m in pattern.finditer(doc.folded):
            n = _count(m.group("n"))
            if n is not None:
                unit = _unit_code(m.group("unit"))
                out.append((Quantity(value=Decimal(n), unit=unit), m.span()))
    for m in _NEXT_DAY.finditer(doc.folded):
        out.append((Quantity(value=Decimal(1), unit="d"), m.span()))
    out.sort(key=lambda item: item[1])
    return out
