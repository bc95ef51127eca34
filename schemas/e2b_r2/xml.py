"""Helpers shared by the R2 builder and parser: a loss sink, leaf writing, a child reader."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, uuid5

from lxml import etree

from gateway.domain.partial_date import PartialDate
from gateway.domain.values import MedDRATerm, Nullable, NullFlavor, Quantity
from schemas.e2b_r2 import codes
from schemas.e2b_r2.model import Loss
from schemas.e2b_r2.refs import CONTAINERS, FIELD_REF, ref

Element = Any  # lxml elements are untyped
T = TypeVar("T")


class Sink:
    """Collects losses; ``lost`` is called wherever a populated value is not written/kept."""

    def __init__(self) -> None:
        self.items: list[Loss] = []

    def lost(self, element_id: str, path: str, reason: str) -> None:
        self.items.append(Loss(element_id=element_id, path=path, reason=reason))


# --- building -------------------------------------------------------------------------


def leaf(parent: Element, tag: str, value: str | None) -> None:
    """Append ``<tag>value</tag>`` unless the value is absent or empty."""
    if value is not None and value != "":
        etree.SubElement(parent, tag).text = value


def fmt_decimal(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plain(value: Nullable[str] | None, sink: Sink, element_id: str, where: str) -> str | None:
    """A text value, or None with a loss when it is a nullFlavor (R2 has none)."""
    if isinstance(value, NullFlavor):
        sink.lost(element_id, where, f"nullFlavor {value.name} cannot be expressed in R2")
        return None
    return value


def date_pair(
    parent: Element,
    tags: tuple[str, str],
    value: Nullable[PartialDate] | None,
    sink: Sink,
    element_id: str,
    where: str,
    allowed: tuple[str, ...] = codes.DATE_FORMATS,
) -> None:
    """``<xxxformat>`` + ``<xxx>`` for a date; losses for nullFlavors, zones and precision."""
    if value is None:
        return
    if isinstance(value, NullFlavor):
        sink.lost(element_id, where, f"nullFlavor {value.name} cannot be expressed in R2")
        return
    try:
        fmt, text, lost = codes.format_date(value, allowed)
    except ValueError as exc:
        sink.lost(element_id, where, str(exc))
        return
    if lost:
        sink.lost(element_id, where, lost)
    leaf(parent, tags[0], fmt)
    leaf(parent, tags[1], text)


def quantity(
    parent: Element,
    tags: tuple[str, str],
    value: Quantity | None,
    units: dict[str, str],
    sink: Sink,
    element_id: str,
    where: str,
) -> None:
    """A number + R2 unit code; a unit without an R2 code is a loss of the whole value."""
    if value is None:
        return
    unit = units.get(value.unit)
    if unit is None:
        sink.lost(element_id, where, f"unit {value.unit!r} has no R2 code")
        return
    leaf(parent, tags[0], fmt_decimal(value.value))
    leaf(parent, tags[1], unit)


def meddra(parent: Element, tags: tuple[str, str], term: MedDRATerm | None) -> None:
    if term is not None:
        leaf(parent, tags[0], term.version)
        leaf(parent, tags[1], term.code)


# --- parsing --------------------------------------------------------------------------


class Reader:
    """Reads the children of one container; whatever is not taken becomes a loss."""

    def __init__(self, el: Element, where: str, sink: Sink) -> None:
        self.el = el
        self.where = where
        self.sink = sink
        self._taken: set[int] = set()
        self._held: list[Element] = []  # keeps lxml proxies (and so their ids) alive

    def _kids(self, tag: str) -> list[Element]:
        found = [c for c in self.el if c.tag == tag]
        self._held.extend(found)
        return found

    def text(self, tag: str) -> str | None:
        """Stripped text of the first ``tag`` child (None when absent or blank)."""
        found = self._kids(tag)
        for child in found:
            self._taken.add(id(child))
        if len(found) > 1:
            self.sink.lost(ref(tag), f"{self.where}/{tag}", "repeated; only the first is read")
        if not found or found[0].text is None:
            return None
        value = str(found[0].text).strip()
        return value or None

    def all(self, tag: str) -> list[Element]:
        found = self._kids(tag)
        for child in found:
            self._taken.add(id(child))
        return found

    def bad(self, tag: str, value: str, reason: str) -> None:
        self.sink.lost(ref(tag), f"{self.where}/{tag}", f"value {value!r} not read: {reason}")

    def coded(self, tag: str, table: Mapping[str, T]) -> T | None:
        value = self.text(tag)
        if value is None:
            return None
        found = table.get(value) or table.get(value.lstrip("0") or "0")
        if found is None:
            self.bad(tag, value, "not in the code list the domain can carry")
        return found

    def decimal(self, tag: str) -> Decimal | None:
        value = self.text(tag)
        if value is None:
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            self.bad(tag, value, "not a number")
            return None
        return number

    def date(self, fmt_tag: str, tag: str) -> PartialDate | None:
        fmt, value = self.text(fmt_tag), self.text(tag)
        if value is None:
            return None
        try:
            return codes.parse_date(fmt, value)
        except ValueError as exc:
            self.bad(tag, value, str(exc))
            return None

    def quantity(self, tags: tuple[str, str], units: dict[str, str]) -> Quantity | None:
        number, unit_code = self.decimal(tags[0]), self.text(tags[1])
        if number is None:
            return None
        unit = units.get(unit_code or "")
        if unit is None:
            self.bad(tags[0], fmt_decimal(number), f"unit code {unit_code!r} unknown or absent")
            return None
        return Quantity(value=number, unit=unit)

    def term(self, tags: tuple[str, str]) -> tuple[MedDRATerm | None, str | None]:
        """A MedDRA version + term: ``(term, None)`` for a code, ``(None, text)`` for a name."""
        version, value = self.text(tags[0]), self.text(tags[1])
        if value is None:
            if version is not None:
                self.bad(tags[0], version, "MedDRA version without a term")
            return None, None
        if version is not None and value.isdigit():
            try:
                return MedDRATerm(version=version, code=value), None
            except ValueError:
                pass
        if version is not None:
            self.bad(tags[0], version, "version of a term the domain cannot hold as a code")
        return None, value

    def coded_term(self, tags: tuple[str, str]) -> MedDRATerm | None:
        """A MedDRA term the domain can only hold as a code; a name is a loss."""
        term, name = self.term(tags)
        if name is not None:
            self.bad(tags[1], name, "a MedDRA name (or unversioned term): the domain holds codes")
        return term

    def finish(self) -> None:
        """Report every child not taken: DTD elements the domain lacks, regional elements."""
        for child in self.el:
            if not isinstance(child.tag, str) or id(child) in self._taken:
                continue
            tag = child.tag
            if tag in FIELD_REF or tag in CONTAINERS:
                reason = "ICH ICSR 2.1 element not carried by the domain model"
            else:
                reason = "not an ICH ICSR 2.1 element (regional extension); not carried"
            self.sink.lost(ref(tag), f"{self.where}/{tag}", reason)


def reader_flag(rd: Reader, tag: str) -> bool | None:
    """A 1 (yes) / 2 (no) element."""
    value = rd.text(tag)
    if value is None:
        return None
    try:
        return codes.read_yes_no(value)
    except ValueError as exc:
        rd.bad(tag, value, str(exc))
        return None


def reader_flag3(rd: Reader, tag: str) -> bool | NullFlavor | None:
    """A 1 (yes) / 2 (no) / 3 (unknown -> nullFlavor UNK) element."""
    value = rd.text(tag)
    if value is None:
        return None
    try:
        return codes.read_yes_no_unknown(value)
    except ValueError as exc:
        rd.bad(tag, value, str(exc))
        return None


def local_id(report_id: str, kind: str, index: int) -> str:
    """A stable UUID for the ``index``-th reaction / drug of a report (R2 has no ids)."""
    return str(uuid5(NAMESPACE_URL, f"urn:icsr-gateway:e2b-r2:{report_id}:{kind}:{index}"))
