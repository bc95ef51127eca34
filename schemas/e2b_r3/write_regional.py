"""Regional extension fragments (``RegionalExtension.xml``) written the way lxml
writes them inside the batch tree, and placed among a container's children."""

from __future__ import annotations

import re

from lxml import etree

from schemas.e2b_r3.model import RegionalExtension
from schemas.e2b_r3.write_escape import _NSDECL
from schemas.e2b_r3.xml import NS, NSMAP, q

_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
_TAG = re.compile(r"<([^\s/>]+)")
_NS_PREFIX = f"{{{NS}}}"
_WRAP_TAG = q("wrap")
_WRAP_OPEN = f"<wrap{_NSDECL}>"
#: ``tostring(child)`` of an HL7 element read from a batch: the root's two declarations
_PLAIN_FRAGMENT = re.compile(
    rb'<([A-Za-z_][A-Za-z0-9_.\-]*) xmlns="urn:hl7-org:v3" '
    rb'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"(?=[ />])'
)
#: anything lxml might write differently after a re-parse: character / entity references,
#: CDATA, a DTD, non-ASCII bytes, further namespace declarations
_NOT_PLAIN = re.compile(rb"&(?!amp;|lt;|gt;|quot;)|<!\[CDATA\[|[\x80-\xff]")


def _fragment(ext: RegionalExtension) -> tuple[str, object]:
    """A kept fragment as lxml writes it inside the batch tree, and its (qualified) tag.

    Inside the tree the fragment's declarations of the root's two namespaces are redundant
    and lxml drops them. When ``xml`` is what the parser had lxml write for an HL7 element
    (``ext.lxml_output is ext.xml``) declaring just those two, and it holds nothing a
    re-parse would change (character or entity references, CDATA), the declarations are cut
    directly; every other fragment goes through lxml as the element builder did.
    """
    xml = ext.xml
    if ext.lxml_output is xml:
        m = _PLAIN_FRAGMENT.match(xml)
        if m is not None and xml.count(b"xmlns") == 2 and _NOT_PLAIN.search(xml) is None:
            name = m.group(1).decode("ascii")
            return f"<{name}{xml[m.end() :].decode('ascii')}", _NS_PREFIX + name
    wrap = etree.Element(_WRAP_TAG, nsmap=NSMAP)
    fragment = etree.fromstring(xml, _SAFE_PARSER)
    wrap.append(fragment)
    fragment.tail = None
    out = etree.tostring(wrap, encoding="UTF-8", xml_declaration=False).decode("utf-8")
    if not (out.startswith(_WRAP_OPEN) and out.endswith("</wrap>")):  # pragma: no cover
        raise AssertionError(f"unexpected fragment serialisation: {out[:200]!r}")
    return out[len(_WRAP_OPEN) : -len("</wrap>")], fragment.tag


class Placer:
    """``xml.Placer`` over lists of child strings (one string per child element)."""

    __slots__ = ("_by_anchor",)

    def __init__(self, extensions: tuple[RegionalExtension, ...]) -> None:
        self._by_anchor: dict[str, list[RegionalExtension]] = {}
        for ext in extensions:
            self._by_anchor.setdefault(ext.anchor, []).append(ext)

    def has(self, anchor: str) -> bool:
        return anchor in self._by_anchor

    def place(self, anchor: str, kids: list[str]) -> list[str]:
        items = self._by_anchor.get(anchor) if self._by_anchor else None
        if not items:
            return kids
        kids = [k for k in kids if k]
        tags: list[object] = []
        for k in kids:
            m = _TAG.match(k)
            tags.append(_NS_PREFIX + m.group(1) if m is not None else None)
        for ext in sorted(items, key=lambda e: e.position):
            chunk, qtag = _fragment(ext)
            same = [i for i, t in enumerate(tags) if t == qtag]
            if ext.index < len(same):
                at = same[ext.index]
            elif same:
                at = same[-1] + 1
            elif ext.position < len(kids):
                at = ext.position
            else:
                at = len(kids)
            kids.insert(at, chunk)
            tags.insert(at, qtag)
        return kids
