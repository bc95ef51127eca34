"""Rules that only the XML can tell: code values outside an ICH code list, and the
seriousness flags (E.i.3.2a-f, ``true`` or nullFlavor NI, all six present).

The parser refuses an unknown code or a ``false`` seriousness before the model exists, so
these run on the source tree; they name the element and the source line.
"""

from __future__ import annotations

from typing import Any, Final

from lxml import etree

from schemas.e2b_r3 import oids
from schemas.e2b_rules.findings import Finding, Severity
from schemas.e2b_rules.tables import CODE_LISTS, SERIOUSNESS_CODES

__all__ = ["check_batch_codes", "check_message_xml", "element_path", "message_id_of"]

_NS: Final = "{urn:hl7-org:v3}"


def _local(el: Any) -> str:
    tag = el.tag
    if not isinstance(tag, str):
        return ""
    return tag[len(_NS) :] if tag.startswith(_NS) else tag


def _child(el: Any, name: str) -> Any:
    for c in el:
        if _local(c) == name:
            return c
    return None


def element_path(el: Any) -> str:
    """``/MCCI_IN200100UV01/PORR_IN049016UV[1]/...``: local names, 1-based positions among
    same-named siblings (given when there is more than one, and always for the ICSR
    message, so paths line up with :class:`~schemas.e2b_rules.paths.MessagePaths`)."""
    parts: list[str] = []
    node = el
    while node is not None:
        name = _local(node)
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1 or name == "PORR_IN049016UV":
                name = f"{name}[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    return "/" + "/".join(reversed(parts))


def message_id_of(msg: Any) -> str | None:
    """N.2.r.1 of a ``PORR_IN049016UV`` element, read straight from the XML."""
    ident = _child(msg, "id")
    return None if ident is None else ident.get("extension")


def _finding(
    rule_id: str, element: str, el: Any, message: str, message_id: str | None, attr: str = ""
) -> Finding:
    return Finding(
        rule_id=rule_id,
        element_id=element,
        xpath=element_path(el) + (f"/@{attr}" if attr else ""),
        severity=Severity.REJECT,
        message=message,
        message_id=message_id,
        line=el.sourceline,
    )


#: the elements carrying a codeSystem, in document order: compiled once, so a batch of many
#: ICSRs is not walked element by element in Python (filtering on the value in XPath is slower)
_CODED: Final = etree.XPath("descendant-or-self::*[@codeSystem]")


def _coded(root: Any, *, skip_messages: bool) -> list[Any]:
    if not skip_messages:
        return [el for el in _CODED(root) if el.get("codeSystem") in CODE_LISTS]
    # The ICSR messages are checked on their own: their subtrees are not searched here.
    found = [root] if root.get("codeSystem") in CODE_LISTS else []
    for child in root:
        if isinstance(child.tag, str) and _local(child) != "PORR_IN049016UV":
            found.extend(el for el in _CODED(child) if el.get("codeSystem") in CODE_LISTS)
    return found


def _codes(root: Any, message_id: str | None, *, skip_messages: bool) -> list[Finding]:
    out: list[Finding] = []
    for el in _coded(root, skip_messages=skip_messages):
        if skip_messages and _local(el) == "PORR_IN049016UV":
            continue
        system = el.get("codeSystem")
        if skip_messages and any(_local(a) == "PORR_IN049016UV" for a in el.iterancestors()):
            continue
        element, allowed = CODE_LISTS[system]
        if element == "D.5" and any(_local(a) == "role" for a in el.iterancestors()):
            element = "D.10.6"
        code = el.get("code")
        if code is None or code in allowed:
            continue
        out.append(
            _finding(
                f"ICH.{element}.value",
                element,
                el,
                f"{element} contains invalid value {code!r} "
                f"(allowed: {', '.join(sorted(allowed))})",
                message_id,
                "code",
            )
        )
    return out


def check_batch_codes(root: Any) -> list[Finding]:
    """Code lists of the batch wrapper itself (N.1.1)."""
    return _codes(root, None, skip_messages=True)


def check_message_xml(msg: Any) -> list[Finding]:
    """Code lists and seriousness flags of one ``PORR_IN049016UV`` element."""
    message_id = message_id_of(msg)
    out = _codes(msg, message_id, skip_messages=False)
    for obs in msg.iter(f"{_NS}observation"):
        code = _child(obs, "code")
        if code is None or code.get("code") != oids.OBS_REACTION:
            continue
        if code.get("codeSystem") != oids.CL_OBSERVATION or _local(obs.getparent()) != "subjectOf2":
            continue
        out.extend(_seriousness(obs, message_id))
    return out


def _seriousness(reaction: Any, message_id: str | None) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    for rel in reaction:
        obs = _child(rel, "observation") if _local(rel) == "outboundRelationship2" else None
        code = _child(obs, "code") if obs is not None else None
        if code is None or code.get("codeSystem") != oids.CL_OBSERVATION:
            continue
        element = SERIOUSNESS_CODES.get(code.get("code") or "")
        if element is None:
            continue
        seen.add(element)
        value = _child(obs, "value")
        flag = None if value is None else value.get("value")
        null = None if value is None else value.get("nullFlavor")
        if (flag == "true" and null is None) or (flag is None and null == "NI"):
            continue
        shown = f"value {flag!r}" if flag is not None else f"nullFlavor {null!r}"
        out.append(
            _finding(
                f"ICH.{element}.value",
                element,
                value if value is not None else obs,
                f"{element} must be true or nullFlavor NI, never {shown}",
                message_id,
            )
        )
    for element in sorted(set(SERIOUSNESS_CODES.values()) - seen):
        out.append(
            _finding(
                f"ICH.{element}.required",
                element,
                reaction,
                f"data value required for {element} (true or nullFlavor NI)",
                message_id,
            )
        )
    return out
