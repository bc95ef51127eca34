"""Tests and procedures (F.r) written as text."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from gateway.domain.codes import ResultQualifier
from gateway.domain.lab_test import LabTest
from gateway.domain.values import NullFlavor
from schemas.e2b_r3 import oids
from schemas.e2b_r3.write_datatypes import _bl, _el, _enum_code, _meddra_attrs, _obs, _ts
from schemas.e2b_r3.write_escape import attr, text
from schemas.e2b_r3.xml import format_decimal

_BOUNDS = {
    ResultQualifier.LESS_THAN: ("high", "false", NullFlavor.NINF),
    ResultQualifier.LESS_OR_EQUAL: ("high", "true", NullFlavor.NINF),
    ResultQualifier.GREATER_THAN: ("low", "false", NullFlavor.PINF),
    ResultQualifier.GREATER_OR_EQUAL: ("low", "true", NullFlavor.PINF),
}


def _bound(tag: str, value: str | None, unit: str | None, extra: str = "") -> str:
    out = f"<{tag}"
    if value is not None:
        out += f' value="{attr(value)}"'
    if unit is not None:
        out += f' unit="{attr(unit)}"'
    return f"{out}{extra}/>"


def _is_number(value: str) -> bool:
    try:
        return Decimal(value).is_finite()
    except InvalidOperation:
        return False


def _test(t: LabTest) -> str:
    attrs = _meddra_attrs(t.name_term, None) if t.name_term is not None else ""
    inner = f"<originalText>{text(t.name)}</originalText>" if t.name is not None else ""
    k = [_el("code", attrs, inner)]
    if t.date is not None:
        k.append(_ts("effectiveTime", t.date))
    value = t.result_value
    if value is not None:
        if isinstance(value, NullFlavor):
            unit = f' unit="{attr(t.result_unit)}"' if t.result_unit is not None else ""
            ivl = f'<center nullFlavor="{value.value}"{unit}/>'
        elif t.result_qualifier is None:
            ivl = _bound("center", format_decimal(value), t.result_unit)
        else:
            side, inclusive, open_nf = _BOUNDS[t.result_qualifier]
            bound = _bound(side, format_decimal(value), t.result_unit, f' inclusive="{inclusive}"')
            open_bound = f'<{"high" if side == "low" else "low"} nullFlavor="{open_nf.value}"/>'
            ivl = bound + open_bound if side == "low" else open_bound + bound
        k.append(f'<value xsi:type="IVL_PQ">{ivl}</value>')
    if t.result_text is not None:
        k.append(f'<value xsi:type="ED">{text(t.result_text)}</value>')
    if t.result_code is not None:
        k.append(_enum_code("interpretationCode", t.result_code.code, oids.CL_TEST_RESULT))
    for bound_value, interp in ((t.normal_low, "L"), (t.normal_high, "H")):
        if bound_value is None:
            continue
        if _is_number(bound_value):
            unit = f' unit="{attr(t.result_unit)}"' if t.result_unit is not None else ""
            rng = f'<value xsi:type="PQ" value="{attr(bound_value)}"{unit}/>'
        else:
            rng = f'<value xsi:type="ST">{text(bound_value)}</value>'
        k.append(
            '<referenceRange typeCode="REFV"><observationRange classCode="OBS" moodCode="EVN.CRT">'
            f'{rng}<interpretationCode code="{interp}" codeSystem="{oids.HL7_INTERPRETATION}"/>'
            "</observationRange></referenceRange>"
        )
    if t.comments is not None:
        value_ed = f'<value xsi:type="ED">{text(t.comments)}</value>'
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_COMMENT, value_ed))
    if t.more_information_available is not None:
        more = _bl("value", t.more_information_available)
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_MORE_INFO, more))
    return f'<observation classCode="OBS" moodCode="EVN">{"".join(k)}</observation>'
