"""Build E.i reactions and F.r tests."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from gateway.domain.codes import ResultQualifier, SeriousnessCriterion
from gateway.domain.lab_test import LabTest
from gateway.domain.reaction import Reaction
from gateway.domain.values import NullFlavor
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import uid
from schemas.e2b_r3.xml import (
    XSI_TYPE,
    Element,
    Placer,
    format_decimal,
    sub,
    sub_bl,
    sub_code,
    sub_id,
    sub_meddra,
    sub_observation,
    sub_text,
    sub_ts,
    write_interval,
)

_CRITERIA = (
    SeriousnessCriterion.DEATH,
    SeriousnessCriterion.LIFE_THREATENING,
    SeriousnessCriterion.HOSPITALISATION,
    SeriousnessCriterion.DISABLING,
    SeriousnessCriterion.CONGENITAL_ANOMALY,
    SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT,
)


def build_reaction(subject: Element, r: Reaction, placer: Placer, seen: dict[str, int]) -> Element:
    obs = sub(subject, "observation", {"classCode": "OBS", "moodCode": "EVN"})
    sub_id(obs, uid(r.id))
    sub_code(obs, "code", oids.OBS_REACTION, oids.CL_OBSERVATION)
    write_interval(obs, r.start, r.end, r.duration)
    if r.term is not None or r.verbatim_native is not None:
        if r.term is not None:
            value = sub_meddra(obs, "value", r.term)
        else:
            value = sub(obs, "value", {XSI_TYPE: "CE", "codeSystem": oids.MEDDRA})
        if r.verbatim_native is not None:
            native = sub_text(value, "originalText", r.verbatim_native)
            if r.verbatim_language is not None:
                native.set("language", r.verbatim_language)
    if r.country is not None:
        loc = sub(obs, "location", {"typeCode": "LOC"})
        entity = sub(loc, "locatedEntity", {"classCode": "LOCE"})
        place = sub(entity, "locatedPlace", {"classCode": "COUNTRY", "determinerCode": "INSTANCE"})
        sub_code(place, "code", r.country, oids.COUNTRY)
    if r.verbatim_translation is not None:
        detail = sub_observation(obs, "outboundRelationship2", "PERT", oids.OBS_TRANSLATION)
        sub_text(detail, "value", r.verbatim_translation, {XSI_TYPE: "ED"})
    if r.term_highlighted is not None:
        detail = sub_observation(obs, "outboundRelationship2", "PERT", oids.OBS_TERM_HIGHLIGHTED)
        sub_code(detail, "value", r.term_highlighted.code, oids.CL_TERM_HIGHLIGHTED, xsi_type="CE")
    for criterion in _CRITERIA:
        detail = sub_observation(obs, "outboundRelationship2", "PERT", criterion.code)
        sub_bl(detail, "value", r.seriousness.flag(criterion))
    if r.outcome is not None:
        detail = sub_observation(obs, "outboundRelationship2", "PERT", oids.OBS_OUTCOME)
        sub_code(detail, "value", r.outcome.code, oids.CL_OUTCOME, xsi_type="CE")
    if r.medically_confirmed is not None:
        detail = sub_observation(
            obs, "outboundRelationship2", "PERT", oids.OBS_MEDICAL_CONFIRMATION
        )
        sub_bl(detail, "value", r.medically_confirmed)
    placer.place(make_anchor("reaction", r.id, seen), obs)
    return obs


_BOUNDS = {
    ResultQualifier.LESS_THAN: ("high", "false", "low", NullFlavor.NINF),
    ResultQualifier.LESS_OR_EQUAL: ("high", "true", "low", NullFlavor.NINF),
    ResultQualifier.GREATER_THAN: ("low", "false", "high", NullFlavor.PINF),
    ResultQualifier.GREATER_OR_EQUAL: ("low", "true", "high", NullFlavor.PINF),
}


def _bound(parent: Element, tag: str, value: str | None, unit: str | None) -> Element:
    el = sub(parent, tag)
    if value is not None:
        el.set("value", value)
    if unit is not None:
        el.set("unit", unit)
    return el


def build_test(component: Element, t: LabTest) -> Element:
    obs = sub(component, "observation", {"classCode": "OBS", "moodCode": "EVN"})
    if t.name_term is not None:
        code = sub_meddra(obs, "code", t.name_term, xsi_type=None)
    else:
        code = sub(obs, "code")
    if t.name is not None:
        sub_text(code, "originalText", t.name)
    if t.date is not None:
        sub_ts(obs, "effectiveTime", t.date)
    value = t.result_value
    if value is not None:
        ivl = sub(obs, "value", {XSI_TYPE: "IVL_PQ"})
        if isinstance(value, NullFlavor):
            center = sub(ivl, "center", {"nullFlavor": value.value})
            if t.result_unit is not None:
                center.set("unit", t.result_unit)
        elif t.result_qualifier is None:
            _bound(ivl, "center", format_decimal(value), t.result_unit)
        else:
            side, inclusive, open_side, open_nf = _BOUNDS[t.result_qualifier]
            bounds = {
                side: (format_decimal(value), inclusive),
                open_side: None,
            }
            for tag in ("low", "high"):
                spec = bounds[tag]
                if spec is None:
                    sub(ivl, tag, {"nullFlavor": open_nf.value})
                else:
                    el = _bound(ivl, tag, spec[0], t.result_unit)
                    el.set("inclusive", spec[1])
    if t.result_text is not None:
        sub_text(obs, "value", t.result_text, {XSI_TYPE: "ED"})
    if t.result_code is not None:
        sub_code(obs, "interpretationCode", t.result_code.code, oids.CL_TEST_RESULT)
    for bound, interp in ((t.normal_low, "L"), (t.normal_high, "H")):
        if bound is None:
            continue
        rng = sub(sub(obs, "referenceRange", {"typeCode": "REFV"}), "observationRange")
        rng.set("classCode", "OBS")
        rng.set("moodCode", "EVN.CRT")
        if _is_number(bound):
            el = sub(rng, "value", {XSI_TYPE: "PQ", "value": bound})
            if t.result_unit is not None:
                el.set("unit", t.result_unit)
        else:
            sub_text(rng, "value", bound, {XSI_TYPE: "ST"})
        sub_code(rng, "interpretationCode", interp, oids.HL7_INTERPRETATION)
    if t.comments is not None:
        detail = sub_observation(obs, "outboundRelationship2", "REFR", oids.OBS_COMMENT)
        sub_text(detail, "value", t.comments, {XSI_TYPE: "ED"})
    if t.more_information_available is not None:
        detail = sub_observation(obs, "outboundRelationship2", "REFR", oids.OBS_MORE_INFO)
        sub_bl(detail, "value", t.more_information_available)
    return obs


def _is_number(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except InvalidOperation:
        return False
