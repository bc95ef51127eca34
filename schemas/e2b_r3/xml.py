"""Tiny helpers for the HL7 v3 datatypes E2B(R3) uses: II, TS, CE/CD, PQ, BL, ED, nullFlavor.

Parsing walks children directly and compares ``element.tag`` with the qualified names of
``parse_tags`` (no XPath, no local-name split per element); attributes are read with bytes
keys, which lxml resolves without re-validating the name. Building uses
``etree.SubElement`` with pre-qualified tag names.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from lxml import etree

from gateway.domain.partial_date import PartialDate
from gateway.domain.values import MedDRATerm, Nullable, NullFlavor, Quantity
from schemas.e2b_r3 import oids
from schemas.e2b_r3.model import RegionalExtension

NS = "urn:hl7-org:v3"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XSI_TYPE = f"{{{XSI}}}type"
NSMAP = {None: NS, "xsi": XSI}
_NS_PREFIX = f"{{{NS}}}"
_NS_LEN = len(_NS_PREFIX)
_OBSERVATION = _NS_PREFIX + "observation"
_CODE = _NS_PREFIX + "code"

Element = Any  # lxml elements are untyped


class E2BR3Error(ValueError):
    """The XML does not fit the E2B(R3) mapping; ``where`` names the element."""


@cache
def q(tag: str) -> str:
    """``"id"`` -> ``"{urn:hl7-org:v3}id"``."""
    return _NS_PREFIX + tag


def local(el: Element) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag[_NS_LEN:] if tag.startswith(_NS_PREFIX) else tag


def first(el: Element | None, qtag: str) -> Element | None:
    """First child with the qualified tag ``qtag`` (a direct scan: HL7 nodes are small)."""
    if el is None:
        return None
    for child in el.getchildren():
        if child.tag == qtag:
            return child
    return None


def firsts(el: Element | None) -> dict[object, Element]:
    """``first(el, tag)`` for every tag at once, keyed by qualified tag (one pass)."""
    out: dict[object, Element] = {}
    if el is not None:
        for child in el.getchildren():
            tag = child.tag
            if tag not in out:
                out[tag] = child
    return out


def firsts_of(children: list[Element]) -> dict[object, Element]:
    """``firsts`` over an already listed set of children (the proxies are reused)."""
    out: dict[object, Element] = {}
    for child in children:
        tag = child.tag
        if tag not in out:
            out[tag] = child
    return out


def path(el: Element | None, *qtags: str) -> Element | None:
    """``first(first(el, a), b)...``, one loop (no call per step)."""
    for qtag in qtags:
        if el is None:
            return None
        for child in el.getchildren():
            if child.tag == qtag:
                el = child
                break
        else:
            return None
    return el


def text(el: Element | None) -> str | None:
    """Text of an element, None when absent or empty."""
    if el is None:
        return None
    value = el.text
    return value if value else None


def code_of(el: Element | None) -> tuple[str | None, str | None]:
    """``(code, codeSystem)`` of an element's ``code`` child."""
    if el is not None:
        for c in el.getchildren():
            if c.tag == _CODE:
                return c.get(b"code"), c.get(b"codeSystem")
    return None, None


def code_in(children: list[Element]) -> tuple[str | None, str | None]:
    """``code_of`` over an already listed set of children."""
    for c in children:
        if c.tag == _CODE:
            return c.get(b"code"), c.get(b"codeSystem")
    return None, None


# --- parsing ------------------------------------------------------------------------------

_NULL_FLAVORS: dict[str, NullFlavor] = {m.value: m for m in NullFlavor}


def null_flavor(el: Element | None) -> NullFlavor | None:
    if el is None:
        return None
    value = el.get(b"nullFlavor")
    if value is None:
        return None
    found = _NULL_FLAVORS.get(value)
    if found is not None:
        return found
    try:
        return NullFlavor(value)
    except ValueError:
        raise E2BR3Error(f"unknown nullFlavor {value!r} on <{local(el)}>") from None


def ts(el: Element | None) -> Nullable[PartialDate] | None:
    """A TS element: its date, its nullFlavor, or None."""
    if el is None:
        return None
    value = el.get(b"value")
    if value is None:
        return null_flavor(el)
    try:
        return PartialDate.parse(value)
    except ValueError as exc:
        raise E2BR3Error(f"<{local(el)}>: {exc}") from None


def ts_required(el: Element | None, where: str) -> PartialDate:
    value = ts(el)
    if not isinstance(value, PartialDate):
        raise E2BR3Error(f"{where}: a date is required")
    return value


def str_or_nf(el: Element | None) -> Nullable[str] | None:
    """Element text, or its nullFlavor."""
    if el is None:
        return None
    nf = null_flavor(el)
    if nf is not None:
        return nf
    return text(el)


def attr_or_nf(el: Element | None, name: bytes) -> Nullable[str] | None:
    if el is None:
        return None
    nf = null_flavor(el)
    return nf if nf is not None else el.get(name)


def bl(el: Element | None) -> Nullable[bool] | None:
    """A BL value: True / False / nullFlavor / None."""
    if el is None:
        return None
    value = el.get(b"value")
    if value is None:
        return null_flavor(el)
    if value == "true":
        return True
    if value == "false":
        return False
    raise E2BR3Error(f"<{local(el)}> boolean must be true/false, got {value!r}")


def decimal(value: str | None, where: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise E2BR3Error(f"{where}: not a number: {value!r}") from None
    if not number.is_finite():
        raise E2BR3Error(f"{where}: not a finite number: {value!r}")
    return number


def pq(el: Element | None) -> Quantity | None:
    """A PQ (value + UCUM unit); unit defaults to "1" as in HL7."""
    if el is None:
        return None
    value = decimal(el.get(b"value"), local(el))
    if value is None:
        return None
    return Quantity(value=value, unit=el.get(b"unit") or "1")


def meddra(el: Element | None) -> MedDRATerm | None:
    """A MedDRA CE/CD: ``code`` + ``codeSystemVersion``."""
    if el is None:
        return None
    code = el.get(b"code")
    if code is None:
        return None
    try:
        return MedDRATerm(version=el.get(b"codeSystemVersion") or "", code=code)
    except ValueError as exc:
        raise E2BR3Error(f"<{local(el)}>: {exc}") from None


# --- building -----------------------------------------------------------------------------


_SubElement = etree.SubElement


def sub(parent: Element, tag: str, attrib: dict[str, str] | None = None) -> Element:
    # ``.set`` per attribute (same order) is markedly cheaper in lxml than an attrib dict
    el = _SubElement(parent, q(tag))
    if attrib:
        for key, value in attrib.items():
            el.set(key, value)
    return el


def sub_text(
    parent: Element, tag: str, value: str, attrib: dict[str, str] | None = None
) -> Element:
    el = sub(parent, tag, attrib)
    el.text = value
    return el


def set_nullable_text(el: Element, value: Nullable[str]) -> Element:
    if isinstance(value, NullFlavor):
        el.set("nullFlavor", value.value)
    else:
        el.text = value
    return el


def sub_nullable_text(parent: Element, tag: str, value: Nullable[str] | None) -> Element | None:
    if value is None:
        return None
    return set_nullable_text(_SubElement(parent, q(tag)), value)


def set_ts(el: Element, value: Nullable[PartialDate]) -> Element:
    if isinstance(value, NullFlavor):
        el.set("nullFlavor", value.value)
    else:
        el.set("value", value.format())
    return el


def sub_ts(
    parent: Element, tag: str, value: Nullable[PartialDate] | None, xsi_type: str | None = None
) -> Element | None:
    if value is None:
        return None
    el = _SubElement(parent, q(tag))
    if xsi_type:
        el.set(XSI_TYPE, xsi_type)
    return set_ts(el, value)


def sub_code(
    parent: Element,
    tag: str,
    code: str,
    system: str | None,
    version: str | None = None,
    xsi_type: str | None = None,
) -> Element:
    el = _SubElement(parent, q(tag))
    if xsi_type:
        el.set(XSI_TYPE, xsi_type)
    el.set("code", code)
    if system:
        el.set("codeSystem", system)
    if version:
        el.set("codeSystemVersion", version)
    return el


def sub_meddra(parent: Element, tag: str, term: MedDRATerm, xsi_type: str | None = "CE") -> Element:
    return sub_code(parent, tag, term.code, oids.MEDDRA, term.version, xsi_type)


def sub_pq(parent: Element, tag: str, value: Quantity, xsi_type: str | None = None) -> Element:
    el = _SubElement(parent, q(tag))
    if xsi_type:
        el.set(XSI_TYPE, xsi_type)
    el.set("value", format_decimal(value.value))
    el.set("unit", value.unit)
    return el


def format_decimal(value: Decimal) -> str:
    """Decimal as HL7 REAL text, keeping every digit (no exponent)."""
    text = str(value)
    if "E" in text or "e" in text:
        text = format(value, "f")
    return text


def sub_bl(parent: Element, tag: str, value: Nullable[bool]) -> Element:
    el = _SubElement(parent, q(tag))
    el.set(XSI_TYPE, "BL")
    if isinstance(value, NullFlavor):
        el.set("nullFlavor", value.value)
    else:
        el.set("value", "true" if value else "false")
    return el


def sub_id(parent: Element, root: str, extension: str | None = None, tag: str = "id") -> Element:
    el = _SubElement(parent, q(tag))
    if extension is not None:
        el.set("extension", extension)
    el.set("root", root)
    return el


def sub_observation(
    parent: Element, rel_tag: str, type_code: str, code: str, system: str = oids.CL_OBSERVATION
) -> Element:
    """``<rel typeCode><observation classCode="OBS" moodCode="EVN"><code/>`` -> observation."""
    rel = _SubElement(parent, q(rel_tag))
    rel.set("typeCode", type_code)
    obs = _SubElement(rel, _OBSERVATION)
    obs.set("classCode", "OBS")
    obs.set("moodCode", "EVN")
    sub_code(obs, "code", code, system)
    return obs


# --- regional extensions ------------------------------------------------------------------

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)


class Extras:
    """Collects unmodelled child elements while parsing (see ``RegionalExtension``)."""

    __slots__ = ("deferred", "items")

    def __init__(self, *, deferred: bool = False) -> None:
        self.items: list[RegionalExtension] = []
        #: write the kept elements (and find their place) only when first read: for a
        #: tree the parser made itself from bytes (nobody else can change it meanwhile)
        self.deferred = deferred

    def keep(self, anchor: str, siblings: list[Element], child: Element) -> None:
        """Keep ``child``; ``siblings`` is the parent's ``getchildren()`` it was taken from
        (the same proxies, so ``is`` finds it)."""
        ctag = child.tag
        tag = ctag[_NS_LEN:] if ctag.startswith(_NS_PREFIX) else ctag
        if self.deferred:
            self.items.append(RegionalExtension.deferred(anchor=anchor, tag=tag, element=child))
            return
        index = 0
        position = 0
        for sibling in siblings:
            if sibling is child:
                break
            stag = sibling.tag
            if stag.__class__ is str:
                position += 1
                if stag == ctag:
                    index += 1
        xml = etree.tostring(child, with_tail=False)
        self.items.append(
            RegionalExtension(
                anchor=anchor, tag=tag, index=index, position=position, xml=xml, lxml_output=xml
            )
        )


class Placer:
    """Re-inserts kept fragments into a built tree, by anchor."""

    __slots__ = ("_by_anchor",)

    def __init__(self, extensions: tuple[RegionalExtension, ...]) -> None:
        self._by_anchor: dict[str, list[RegionalExtension]] = {}
        for ext in extensions:
            self._by_anchor.setdefault(ext.anchor, []).append(ext)

    def has(self, anchor: str) -> bool:
        return anchor in self._by_anchor

    def place(self, anchor: str, container: Element) -> None:
        items = self._by_anchor.get(anchor)
        if not items:
            return
        for ext in sorted(items, key=lambda e: e.position):
            fragment = etree.fromstring(ext.xml, _SAFE_PARSER)
            qtag = fragment.tag
            same = [c for c in container if c.tag == qtag]
            if ext.index < len(same):
                same[ext.index].addprevious(fragment)
            elif same:
                same[-1].addnext(fragment)
            else:
                elements = [c for c in container if isinstance(c.tag, str)]
                if ext.position < len(elements):
                    elements[ext.position].addprevious(fragment)
                else:
                    container.append(fragment)
            fragment.tail = None


# --- intervals (IVL_TS / PIVL_TS / SXPR_TS) -------------------------------------------------


_COMP = _NS_PREFIX + "comp"
_LOW = _NS_PREFIX + "low"
_HIGH = _NS_PREFIX + "high"
_WIDTH = _NS_PREFIX + "width"
_PERIOD = _NS_PREFIX + "period"
_XSI_TYPE_KEY = XSI_TYPE.encode()


def read_interval(eff: Element) -> dict[str, object]:
    """``start``/``end``/``duration``/``interval`` from an IVL_TS, PIVL_TS or SXPR_TS."""
    out: dict[str, object] = {}
    kids = eff.getchildren()
    parts = [c for c in kids if c.tag == _COMP]
    for part in parts or (eff,):
        low = high = width = period = None
        for c in part.getchildren() if parts else kids:
            tag = c.tag
            if tag == _LOW:
                low = low if low is not None else c
            elif tag == _HIGH:
                high = high if high is not None else c
            elif tag == _WIDTH:
                width = width if width is not None else c
            elif tag == _PERIOD:
                period = period if period is not None else c
        if (part.get(_XSI_TYPE_KEY) or "").endswith("PIVL_TS"):
            value = pq(period)
            if value is not None:
                out["interval"] = value
            continue
        start = ts(low)
        if start is not None:
            out["start"] = start
        end = ts(high)
        if end is not None:
            out["end"] = end
        duration = pq(width)
        if duration is not None:
            out["duration"] = duration
    return out


def write_interval(
    parent: Element,
    start: Nullable[PartialDate] | None,
    end: Nullable[PartialDate] | None,
    duration: Quantity | None,
    period: Quantity | None = None,
) -> None:
    """The inverse of ``read_interval``: IVL_TS when it fits, SXPR_TS otherwise.

    IVL_TS holds low+high, low+width or width+high; all three, or a frequency (PIVL_TS)
    with a range, need an SXPR_TS of parts intersected with operator ``A``.
    """
    has_range = start is not None or end is not None or duration is not None
    if not has_range and period is None:
        return
    ranges: list[
        tuple[Nullable[PartialDate] | None, Quantity | None, Nullable[PartialDate] | None]
    ] = []
    if start is not None and end is not None and duration is not None:
        ranges = [(start, None, end), (None, duration, None)]
    elif has_range:
        ranges = [(start, duration, end)]
    if period is None and len(ranges) == 1:
        _ivl(sub(parent, "effectiveTime", {XSI_TYPE: "IVL_TS"}), *ranges[0])
        return
    if period is not None and not ranges:
        sub_pq(sub(parent, "effectiveTime", {XSI_TYPE: "PIVL_TS"}), "period", period)
        return
    eff = sub(parent, "effectiveTime", {XSI_TYPE: "SXPR_TS"})
    first_part = True
    if period is not None:
        sub_pq(sub(eff, "comp", {XSI_TYPE: "PIVL_TS"}), "period", period)
        first_part = False
    for rng in ranges:
        comp = sub(eff, "comp", {XSI_TYPE: "IVL_TS"})
        if not first_part:
            comp.set("operator", "A")
        first_part = False
        _ivl(comp, *rng)


def _ivl(
    el: Element,
    start: Nullable[PartialDate] | None,
    width: Quantity | None,
    end: Nullable[PartialDate] | None,
) -> None:
    sub_ts(el, "low", start)
    if width is not None:
        sub_pq(el, "width", width)
    sub_ts(el, "high", end)
