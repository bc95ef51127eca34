"""Parse E.i reactions and F.r tests."""

from __future__ import annotations

from gateway.domain.codes import ReactionOutcome, ResultQualifier, TermHighlighted, TestResultCode
from gateway.domain.lab_test import LabTest
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.values import NullFlavor, TrueOrNI
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import fallback_id, read_uid
from schemas.e2b_r3.parse_tags import (
    CENTER,
    CODE,
    EFFECTIVE_TIME,
    HIGH,
    ID,
    INTERPRETATION_CODE,
    LOCATED_ENTITY,
    LOCATED_PLACE,
    LOCATION,
    LOW,
    OBSERVATION,
    OBSERVATION_RANGE,
    ORIGINAL_TEXT,
    OUTBOUND_RELATIONSHIP2,
    REFERENCE_RANGE,
    VALUE,
)
from schemas.e2b_r3.xml import (
    XSI_TYPE,
    E2BR3Error,
    Element,
    Extras,
    bl,
    code_of,
    decimal,
    first,
    firsts,
    meddra,
    null_flavor,
    path,
    read_interval,
    text,
    ts,
)

_SERIOUSNESS = {
    oids.OBS_DEATH: "death",
    oids.OBS_LIFE_THREATENING: "life_threatening",
    oids.OBS_HOSPITALISATION: "hospitalisation",
    oids.OBS_DISABLING: "disabling",
    oids.OBS_CONGENITAL: "congenital_anomaly",
    oids.OBS_OTHER_MEDICALLY_IMPORTANT: "other_medically_important",
}
_XSI_TYPE_KEY = XSI_TYPE.encode()


def parse_reaction(
    obs: Element,
    index: int,
    extras: Extras,
    seen: dict[str, int],
    children: list[Element] | None = None,
) -> Reaction:
    """E.i from an ``observation``; ``children`` is its ``getchildren()`` when the caller
    has it already."""
    if children is None:
        children = obs.getchildren()
    reaction_id: str | None = None
    for child in children:
        if child.tag == ID:
            reaction_id = read_uid(child.get(b"root"), "E.i reaction")
            break
    reaction_id = reaction_id or fallback_id("reaction", index)
    anchor = make_anchor("reaction", reaction_id, seen)
    fields: dict[str, object] = {}
    flags: dict[str, TrueOrNI] = {}
    for child in children:
        tag = child.tag
        if tag == OUTBOUND_RELATIONSHIP2:
            if _detail(child, fields, flags):
                continue
        elif tag in (ID, CODE) or tag.__class__ is not str:
            continue
        elif tag == EFFECTIVE_TIME:
            span = read_interval(child)
            span.pop("interval", None)
            fields.update(span)
            continue
        elif tag == VALUE:
            fields["term"] = meddra(child)
            native = first(child, ORIGINAL_TEXT)
            if native is not None:
                fields["verbatim_native"] = text(native)
                fields["verbatim_language"] = native.get(b"language")
            continue
        elif tag == LOCATION:
            place = path(child, LOCATED_ENTITY, LOCATED_PLACE, CODE)
            fields["country"] = place.get(b"code") if place is not None else None
            continue
        extras.keep(anchor, children, child)
    try:
        return Reaction(id=reaction_id, seriousness=Seriousness(**flags), **fields)  # type: ignore[arg-type]
    except ValueError as exc:
        raise E2BR3Error(f"E.i ({reaction_id}): {exc}") from None


def _detail(rel: Element, fields: dict[str, object], flags: dict[str, TrueOrNI]) -> bool:
    """One ``outboundRelationship2/observation`` of a reaction (E.i.1.2, E.i.3, E.i.7, E.i.8)."""
    for sub in rel.getchildren():
        if sub.tag == OBSERVATION:
            break
    else:
        return False
    c = value = None
    for child in sub.getchildren():
        tag = child.tag
        if tag == CODE:
            if c is None:
                c = child
                if value is not None:
                    break
        elif tag == VALUE and value is None:
            value = child
            if c is not None:
                break
    if c is None or c.get(b"codeSystem") != oids.CL_OBSERVATION:
        return False
    code = c.get(b"code")
    if code is None:
        return False
    key = _SERIOUSNESS.get(code)
    if key is not None:
        flag = bl(value)
        if flag is not True and flag is not NullFlavor.NI:
            raise E2BR3Error(f"E.i.3.2 seriousness must be true or NI, got {flag!r}")
        flags[key] = flag
    elif code == oids.OBS_TRANSLATION:
        fields["verbatim_translation"] = text(value)
    elif code == oids.OBS_TERM_HIGHLIGHTED and value is not None:
        fields["term_highlighted"] = TermHighlighted.from_code(value.get(b"code") or "")
    elif code == oids.OBS_OUTCOME and value is not None:
        fields["outcome"] = ReactionOutcome.from_code(value.get(b"code") or "")
    elif code == oids.OBS_MEDICAL_CONFIRMATION:
        confirmed = bl(value)
        fields["medically_confirmed"] = None if isinstance(confirmed, NullFlavor) else confirmed
    else:
        return False
    return True


_BOUND_QUALIFIERS = {
    ("high", "false"): ResultQualifier.LESS_THAN,
    ("high", "true"): ResultQualifier.LESS_OR_EQUAL,
    ("low", "false"): ResultQualifier.GREATER_THAN,
    ("low", "true"): ResultQualifier.GREATER_OR_EQUAL,
}


def _result(value: Element, fields: dict[str, object]) -> None:
    parts = firsts(value)
    center = parts.get(CENTER)
    if center is not None:
        nf = null_flavor(center)
        fields["result_value"] = nf if nf is not None else decimal(center.get(b"value"), "F.r.3.2")
        fields["result_unit"] = center.get(b"unit")
        return
    low, high = parts.get(LOW), parts.get(HIGH)
    for side, bound in (("high", high), ("low", low)):
        if bound is not None and bound.get(b"value") is not None:
            inclusive = bound.get(b"inclusive") or "true"
            fields["result_qualifier"] = _BOUND_QUALIFIERS[(side, inclusive)]
            fields["result_value"] = decimal(bound.get(b"value"), "F.r.3.2")
            fields["result_unit"] = bound.get(b"unit")
            return


def parse_test(obs: Element) -> LabTest:
    fields: dict[str, object] = {}
    for child in obs.getchildren():
        tag = child.tag
        if tag == CODE:
            fields["name_term"] = meddra(child) if child.get(b"codeSystem") == oids.MEDDRA else None
            fields["name"] = text(first(child, ORIGINAL_TEXT))
        elif tag == EFFECTIVE_TIME:
            fields["date"] = ts(child)
        elif tag == VALUE:
            kind = child.get(_XSI_TYPE_KEY) or ""
            if kind.endswith("IVL_PQ"):
                _result(child, fields)
            else:
                fields["result_text"] = text(child)
        elif tag == INTERPRETATION_CODE:
            fields["result_code"] = TestResultCode.from_code(child.get(b"code") or "")
        elif tag == REFERENCE_RANGE:
            rng = firsts(first(child, OBSERVATION_RANGE))
            interp = rng.get(INTERPRETATION_CODE)
            value = rng.get(VALUE)
            bound = value.get(b"value") if value is not None else None
            if bound is None and value is not None:
                bound = text(value)
            key = (
                "normal_low" if interp is not None and interp.get(b"code") == "L" else "normal_high"
            )
            fields[key] = bound
        elif tag == OUTBOUND_RELATIONSHIP2:
            sub = first(child, OBSERVATION)
            code, system = code_of(sub)
            if system == oids.CL_OBSERVATION and code == oids.OBS_COMMENT:
                fields["comments"] = text(first(sub, VALUE))
            elif system == oids.CL_OBSERVATION and code == oids.OBS_MORE_INFO:
                more = bl(first(sub, VALUE))
                fields["more_information_available"] = (
                    None if isinstance(more, NullFlavor) else more
                )
    try:
        return LabTest(**fields)  # type: ignore[arg-type]
    except ValueError as exc:
        raise E2BR3Error(f"F.r: {exc}") from None
