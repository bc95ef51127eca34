"""Canonical (path, value) multisets of an HL7 v3 document, for lossless-mapping checks."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

NS = "{urn:hl7-org:v3}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"

#: structural attributes fixed by the HL7 model, human labels, and the schema hint
_IGNORED_ATTRS = {
    "classCode",
    "moodCode",
    "typeCode",
    "determinerCode",
    "displayName",
    f"{XSI}schemaLocation",
}
#: ICH code-list OIDs: their codeSystemVersion is the list's version, not a data element
_ICH_LIST = "2.16.840.1.113883.3.989.2.1.1."
_WS = re.compile(r"\s+")


def _name(tag: str) -> str:
    if tag.startswith(NS):
        return tag[len(NS) :]
    if tag.startswith(XSI):
        return "xsi:" + tag[len(XSI) :]
    return tag


def data_values(root: Any) -> Counter[tuple[str, str]]:
    """Every populated attribute and text of the document, keyed by its index-free path."""
    out: Counter[tuple[str, str]] = Counter()

    def walk(el: Any, prefix: str) -> None:
        path = f"{prefix}/{_name(el.tag)}"
        system = el.get("codeSystem") or ""
        for key, value in el.attrib.items():
            if key in _IGNORED_ATTRS:
                continue
            if key == "codeSystemVersion" and system.startswith(_ICH_LIST):
                continue
            out[(f"{path}/@{_name(key)}", value)] += 1
        raw = (el.text or "") + "".join(c.tail or "" for c in el)
        if el.get("representation") == "B64":
            raw = _WS.sub("", raw)
        raw = raw.strip()
        if raw:
            out[(f"{path}/text()", raw)] += 1
        for child in el:
            if isinstance(child.tag, str):
                walk(child, path)

    walk(root, "")
    return out
