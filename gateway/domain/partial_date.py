"""Partial dates: E2B/HL7 TS values that keep the precision the reporter gave.

A reporter who says "March 2024" has not said "1 March 2024". E2B(R3) transmits dates as
HL7 TS strings (``CCYY[MM[DD[hh[mm[ss]]]]][+/-ZZzz]``, Appendix II of the guide), so a
date is a run of leading components plus an optional UTC offset. ``PartialDate`` stores
exactly those components: its precision is derived from which are present, so it can
never disagree with the data.

Equality is structural ("2024" != "20240101"). Ordering respects precision: a partial
date covers a half-open interval of instants, and ``a < b`` is true only when all of
``a`` lies before all of ``b``; overlapping intervals ("2024" vs "20240315") are neither
before nor after each other (``compare`` returns ``None``). A date without an offset is
read as UTC for ordering, because E2B leaves the zone to the sender and we must pick one.
"""

from __future__ import annotations

import re
from calendar import isleap, monthrange
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from enum import Enum
from functools import lru_cache


class DatePrecision(Enum):
    """How many leading TS components a date carries (E2B Appendix II)."""

    YEAR = 1
    MONTH = 2
    DAY = 3
    HOUR = 4
    MINUTE = 5
    SECOND = 6

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DatePrecision):
            return NotImplemented
        return self.value < other.value

    def __le__(self, other: object) -> bool:
        if not isinstance(other, DatePrecision):
            return NotImplemented
        return self.value <= other.value


_TS = re.compile(
    r"^(?P<year>\d{4})"
    r"(?:(?P<month>\d{2})(?:(?P<day>\d{2})"
    r"(?:(?P<hour>\d{2})(?:(?P<minute>\d{2})(?:(?P<second>\d{2}))?)?)?)?)?"
    r"(?P<offset>[+-]\d{4})?$"
)
_MAX_OFFSET = timedelta(hours=14)
#: which components are present, for each precision (components are contiguous from the year)
_CONTIGUOUS = frozenset(tuple(i < n for i in range(6)) for n in range(7))
_COMPONENTS = ("year", "month", "day", "hour", "minute", "second")
_STEP = {
    DatePrecision.DAY: timedelta(days=1),
    DatePrecision.HOUR: timedelta(hours=1),
    DatePrecision.MINUTE: timedelta(minutes=1),
    DatePrecision.SECOND: timedelta(seconds=1),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialDate:
    """An instant known to some precision, e.g. ``PartialDate(year=2024, month=3)``.

    Components after the first missing one must be missing too; ``precision`` follows
    from the last one present.
    """

    year: int
    month: int | None = None
    day: int | None = None
    hour: int | None = None
    minute: int | None = None
    second: int | None = None
    #: ``+/-ZZzz`` of the TS string; None when the sender gave no zone
    utc_offset: timedelta | None = None

    def __post_init__(self) -> None:
        parts = self._parts()
        if not all(type(p) is int or p is None for p in parts):  # fast path: plain ints
            for name, value in zip(_COMPONENTS, parts, strict=True):
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                    raise ValueError(f"PartialDate.{name} must be an int, got {value!r}")
        if tuple(p is not None for p in parts) not in _CONTIGUOUS:
            raise ValueError(f"PartialDate components must be contiguous from the year: {parts}")
        if not 1 <= self.year <= 9999:
            raise ValueError(f"PartialDate.year out of range: {self.year}")
        try:
            self._start(UTC)
        except ValueError as exc:
            raise ValueError(f"PartialDate is not a calendar value: {parts}: {exc}") from None
        if self.utc_offset is not None:
            off = self.utc_offset
            if not isinstance(off, timedelta):
                raise ValueError(f"PartialDate.utc_offset must be a timedelta, got {off!r}")
            if off.total_seconds() % 60 or abs(off) > _MAX_OFFSET:
                raise ValueError(f"PartialDate.utc_offset must be whole minutes within ±14h: {off}")

    def _parts(self) -> tuple[int | None, ...]:
        return (self.year, self.month, self.day, self.hour, self.minute, self.second)

    def _start(self, tz: tzinfo) -> datetime:
        """The first instant of the span, with missing components at their minimum."""
        return datetime(
            self.year,
            self.month or 1,
            self.day or 1,
            self.hour or 0,
            self.minute or 0,
            self.second or 0,
            tzinfo=tz,
        )

    @classmethod
    def _of(cls, parts: tuple[int, ...], utc_offset: timedelta | None = None) -> PartialDate:
        """Build from the leading components (year first)."""
        padded: list[int | None] = [*parts[1:], None, None, None, None, None]
        month, day, hour, minute, second = padded[:5]
        return cls(
            year=parts[0],
            month=month,
            day=day,
            hour=hour,
            minute=minute,
            second=second,
            utc_offset=utc_offset,
        )

    @property
    def precision(self) -> DatePrecision:
        return DatePrecision(sum(p is not None for p in self._parts()))

    # --- TS strings -------------------------------------------------------------------

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read an HL7 TS string such as ``"202403"`` or ``"20240315143000+0100"``.

        Results are cached per string (the value is immutable; errors are not cached).
        """
        if cls is PartialDate and text.__class__ is str:
            return _parse_cached(text)
        return cls._parse(text)

    @classmethod
    def _parse(cls, text: str) -> PartialDate:
        match = _TS.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f"not an E2B date (CCYY[MM[DD[hh[mm[ss]]]]][+/-ZZzz]): {text!r}")
        year, month, day, hour, minute, second, offset = match.groups()
        utc_offset = None
        if offset is not None:
            sign = -1 if offset[0] == "-" else 1
            utc_offset = sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        return cls(
            year=int(year),
            month=None if month is None else int(month),
            day=None if day is None else int(day),
            hour=None if hour is None else int(hour),
            minute=None if minute is None else int(minute),
            second=None if second is None else int(second),
            utc_offset=utc_offset,
        )

    def format(self) -> str:
        """Write the HL7 TS string; ``parse(d.format()) == d`` for every date."""
        text = f"{self.year:04d}" + "".join(f"{p:02d}" for p in self._parts()[1:] if p is not None)
        if self.utc_offset is not None:
            minutes = int(self.utc_offset.total_seconds()) // 60
            sign = "-" if minutes < 0 else "+"
            text += f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
        return text

    def __str__(self) -> str:
        return self.format()

    # --- conversions ------------------------------------------------------------------

    @classmethod
    def from_datetime(cls, dt: datetime, precision: DatePrecision) -> PartialDate:
        """Cut an aware datetime down to ``precision``; keeps its offset from HOUR on.

        Naive datetimes are refused: a deadline computed from an unknown zone is wrong.
        """
        offset = dt.utcoffset()
        if offset is None:
            raise ValueError("PartialDate.from_datetime needs a timezone-aware datetime")
        parts = (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second)[: precision.value]
        return cls._of(parts, offset if precision >= DatePrecision.HOUR else None)

    @classmethod
    def from_date(cls, value: date, precision: DatePrecision = DatePrecision.DAY) -> PartialDate:
        """A calendar date (no zone) cut to YEAR, MONTH or DAY."""
        if precision > DatePrecision.DAY:
            raise ValueError("a date has no time of day; use from_datetime")
        return cls._of((value.year, value.month, value.day)[: precision.value])

    def truncate(self, precision: DatePrecision) -> PartialDate:
        """The same date with fewer components (never invents missing ones)."""
        if precision > self.precision:
            raise ValueError(
                f"cannot raise precision from {self.precision.name} to {precision.name}"
            )
        kept = tuple(p for p in self._parts()[: precision.value] if p is not None)
        return self._of(kept, self.utc_offset if precision >= DatePrecision.HOUR else None)

    # --- ordering that respects precision ---------------------------------------------

    def interval(self) -> tuple[datetime, datetime]:
        """The half-open span ``[start, end)`` of instants this date may denote."""
        tz = timezone(self.utc_offset) if self.utc_offset is not None else UTC
        p = self.precision
        start = self._start(tz)
        if p is DatePrecision.YEAR:
            step = timedelta(days=366 if isleap(start.year) else 365)
        elif p is DatePrecision.MONTH:
            step = timedelta(days=monthrange(start.year, start.month)[1])
        else:
            step = _STEP[p]
        try:
            end = start + step
        except OverflowError:  # the last span of year 9999
            end = datetime.max.replace(tzinfo=tz)
        return start, end

    def compare(self, other: PartialDate) -> int | None:
        """-1 wholly before, 1 wholly after, 0 same span, None when the spans overlap."""
        a_start, a_end = self.interval()
        b_start, b_end = other.interval()
        if a_end <= b_start:
            return -1
        if b_end <= a_start:
            return 1
        if (a_start, a_end) == (b_start, b_end):
            return 0
        return None

    def contains(self, other: PartialDate) -> bool:
        """True when ``other`` is a refinement of this date ("2024" contains "20240315")."""
        a_start, a_end = self.interval()
        b_start, b_end = other.interval()
        return a_start <= b_start and b_end <= a_end

    def sort_key(self) -> tuple[datetime, datetime]:
        """A total order for display: by start, then the more precise date first."""
        start, end = self.interval()
        return start, end

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.compare(other) == -1

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.compare(other) == 1

    def __le__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.compare(other) in (-1, 0)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, PartialDate):
            return NotImplemented
        return self.compare(other) in (1, 0)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> PartialDate:
    return PartialDate._parse(text)
