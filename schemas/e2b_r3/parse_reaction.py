"""Parse E.i reactions and F.r tests."""

from __future__ import annotations

from gateway.domain.codes import ReactionOutcome, ResultQualifier, TermHighlighted, TestResultCode
from gateway.domain.lab_test import LabTest
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.values import NullFlavor, TrueOrNI
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import fallback_id
from schemas.e2b_r3.xml import (
    XSI_TYPE,
    E2BR3Error,
    Element,
    Extras,
    bl,
    child_map,
    code_in,
    code_of,
    decimal,
    first,
    kids,
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


def parse_reaction(obs: Element, index: int, extras: Extras, seen: dict[str, int]) -> Reaction:
    ident = first(obs, "id")
    reaction_id = (ident.get("root") if ident is not None else None) or fallback_id(
        "reaction", index
    )
    anchor = make_anchor("reaction", reaction_id, seen)
    fields: dict[str, object] = {}
    flags: dict[str, TrueOrNI] = {}
    for tag, child in kids(obs):
        if tag in ("id", "code"):
            continue
        if tag == "effectiveTime":
            span = read_interval(child)
            span.pop("interval", None)
            fields.update(span)
        elif tag == "value":
            fields["term"] = meddra(child)
            native = first(child, "originalText")
            if native is not None:
                fields["verbatim_native"] = text(native)
                fields["verbatim_language"] = native.get("language")
        elif tag == "location":
            place = path(child, "locatedEntity", "locatedPlace", "code")
            fields["country"] = place.get("code") if place is not None else None
        elif tag == "outboundRelationship2" and _detail(first(child, "observation"), fields, flags):
            continue
        else:
            extras.keep(anchor, obs, child)
    try:
        return Reaction(id=reaction_id, seriousness=Seriousness(**flags), **fields)  # type: ignore[arg-type]
    except ValueError as exc:
        raise E2BR3Error(f"E.i ({reaction_id}): {exc}") from None


def _detail(sub: Element | None, fields: dict[str, object], flags: dict[str, TrueOrNI]) -> bool:
    if sub is None:
        return False
    parts = child_map(sub)
    code, system = code_in(parts)
    if system != oids.CL_OBSERVATION or code is None:
        return False
    value = parts.get("value")
    if code in _SERIOUSNESS:
        flag = bl(value)
        if flag is not True and flag is not NullFlavor.NI:
            raise E2BR3Error(f"E.i.3.2 seriousness must be true or NI, got {flag!r}")
        flags[_SERIOUSNESS[code]] = flag
    elif code == oids.OBS_TRANSLATION:
        fields["verbatim_translation"] = text(value)
    elif code == oids.OBS_TERM_HIGHLIGHTED and value is not None:
        fields["term_highlighted"] = TermHighlighted.from_code(value.get("code") or "")
    elif code == oids.OBS_OUTCOME and value is not None:
        fields["outcome"] = ReactionOutcome.from_code(value.get("code") or "")
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
    parts = child_map(value)
    center = parts.get("center")
    if center is not None:
        nf = null_flavor(center)
        fields["result_value"] = nf if nf is not None else decimal(center.get("value"), "F.r.3.2")
        fields["result_unit"] = center.get("unit")
        return
    low, high = parts.get("low"), parts.get("high")
    for side, bound in (("high", high), ("low", low)):
        if bound is not None and bound.get("value") is not None:
            inclusive = bound.get("inclusive") or "true"
            fields["result_qualifier"] = _BOUND_QUALIFIERS[(side, inclusive)]
            fields["result_value"] = decimal(bound.get("value"), "F.r.3.2")
            fields["result_unit"] = bound.get("unit")
            return


def parse_test(obs: Element) -> LabTest:
    fields: dict[str, object] = {}
    for tag, child in kids(obs):
        if tag == "code":
            fields["name_term"] = meddra(child) if child.get("codeSystem") == oids.MEDDRA else None
            fields["name"] = text(first(child, "originalText"))
        elif tag == "effectiveTime":
            fields["date"] = ts(child)
        elif tag == "value":
            kind = child.get(XSI_TYPE, "")
            if kind.endswith("IVL_PQ"):
                _result(child, fields)
            else:
                fields["result_text"] = text(child)
        elif tag == "interpretationCode":
            fields["result_code"] = TestResultCode.from_code(child.get("code") or "")
        elif tag == "referenceRange":
            rng = child_map(first(child, "observationRange"))
            interp = rng.get("interpretationCode")
            value = rng.get("value")
            bound = value.get("value") if value is not None else None
            if bound is None and value is not None:
                bound = text(value)
            key = (
                "normal_low" if interp is not None and interp.get("code") == "L" else "normal_high"
            )
            fields[key] = bound
        elif tag == "outboundRelationship2":
            sub = first(child, "observation")
            code, system = code_of(sub)
            if system == oids.CL_OBSERVATION and code == oids.OBS_COMMENT:
                fields["comments"] = text(first(sub, "value"))
            elif system == oids.CL_OBSERVATION and code == oids.OBS_MORE_INFO:
                more = bl(first(sub, "value"))
                fields["more_information_available"] = (
                    None if isinstance(more, NullFlavor) else more
                )
    try:
        return LabTest(**fields)  # type: ignore[arg-type]
    except ValueError as exc:
        raise E2BR3Error(f"F.r: {exc}") from None
