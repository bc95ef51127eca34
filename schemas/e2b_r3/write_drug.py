"""Drugs (G.k) and their dosages (G.k.4.r) written as text."""

from __future__ import annotations

from gateway.domain.drug import Dosage, Drug
from gateway.domain.values import Coded, Nullable
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import uid
from schemas.e2b_r3.write_datatypes import (
    _KIND,
    _ORG,
    _bl,
    _code,
    _code_attrs,
    _el,
    _enum_code,
    _id,
    _interval,
    _kids_el,
    _meddra_attrs,
    _nullable_text,
    _obs,
    _pq,
)
from schemas.e2b_r3.write_escape import attr, text
from schemas.e2b_r3.write_regional import Placer

_CNTRCT_EVN = ' classCode="CNTRCT" moodCode="EVN"'
_INST = ' classCode="INST"'


def _coded(
    tag: str,
    code: Coded | None,
    value: Nullable[str] | None,
    default_system: str,
    xsi_type: str | None = None,
) -> str:
    if code is None and value is None:
        return ""
    if code is not None:
        attrs = _code_attrs(code.code, code.system or default_system, code.version, xsi_type)
    else:
        attrs = f' xsi:type="{xsi_type}"' if xsi_type else ""
        attrs += f' codeSystem="{default_system}"'
    return _el(tag, attrs, _nullable_text("originalText", value))


_SA = ' classCode="SBADM" moodCode="EVN"'
_ACT_REF = '<actReference classCode="OBS" moodCode="EVN">'


def _drug(d: Drug, placer: Placer, seen: dict[str, int]) -> str:
    anchor = make_anchor("drug", d.id, seen)
    k = [f'<id root="{attr(uid(d.id))}"/>']
    kind = []
    product = d.mpid or d.phpid
    if product is not None:
        kind.append(_code("code", product.code, product.system, product.version))
    if d.name_as_reported is not None:
        kind.append(f"<name>{text(d.name_as_reported)}</name>")
    if d.authorisation_number or d.authorisation_holder or d.authorisation_country:
        approval = ""
        if d.authorisation_number is not None:
            approval += _id(oids.AUTHORISATION_NUMBER, d.authorisation_number)
        if d.authorisation_holder is not None:
            approval += (
                '<holder typeCode="HLD"><role classCode="HLD">'
                f"<playingOrganization{_ORG}><name>{text(d.authorisation_holder)}</name>"
                "</playingOrganization></role></holder>"
            )
        if d.authorisation_country is not None:
            approval += (
                '<author typeCode="AUT"><territorialAuthority classCode="TERR">'
                '<territory classCode="NAT" determinerCode="INSTANCE">'
                f"{_code('code', d.authorisation_country, oids.COUNTRY)}</territory>"
                "</territorialAuthority></author>"
            )
        kind.append(
            '<asManufacturedProduct classCode="MANU"><subjectOf typeCode="SBJ">'
            f"{_el('approval', _CNTRCT_EVN, approval)}"
            "</subjectOf></asManufacturedProduct>"
        )
    for s in d.substances:
        ing = ""
        if s.strength is not None:
            ing = (
                f'<quantity>{_pq("numerator", s.strength)}<denominator value="1" unit="1"/>'
                "</quantity>"
            )
        subst = ""
        if s.term_id is not None:
            subst = _code("code", s.term_id.code, s.term_id.system, s.term_id.version)
        if s.name is not None:
            subst += f"<name>{text(s.name)}</name>"
        ing += _el("ingredientSubstance", _KIND, subst)
        kind.append(f'<ingredient classCode="ACTI">{ing}</ingredient>')
    kind = placer.place(f"{anchor}:product", kind)
    iok = [_kids_el("kindOfProduct", _KIND, kind)]
    if d.country_obtained is not None:
        iok.append(
            '<subjectOf typeCode="SBJ"><productEvent classCode="ACT" moodCode="EVN">'
            f'<code code="1" codeSystem="{oids.CL_PRODUCT_EVENT}"/><performer typeCode="PRF">'
            f'<assignedEntity classCode="ASSIGNED"><representedOrganization{_ORG}><addr>'
            f"<country>{text(d.country_obtained)}</country></addr></representedOrganization>"
            "</assignedEntity></performer></productEvent></subjectOf>"
        )
    iok = placer.place(f"{anchor}:instance", iok)
    k.append(f'<consumable typeCode="CSM">{_kids_el("instanceOfKind", _INST, iok)}</consumable>')
    for row in d.reaction_assessments:
        for type_code, interval in (
            ("SAS", row.time_from_first_dose),
            ("SAE", row.time_from_last_dose),
        ):
            if interval is None:
                continue
            k.append(
                f'<outboundRelationship1 typeCode="{type_code}">{_pq("pauseQuantity", interval)}'
                f'{_ACT_REF}<id root="{attr(uid(row.reaction_id))}"/></actReference>'
                "</outboundRelationship1>"
            )
    for index, dosage in enumerate(d.dosages):
        k.append(_dosage(dosage, f"{anchor}:dosage:{index}", placer))
    if d.investigational_blinded is not None:
        k.append(_obs("outboundRelationship2", "COMP", oids.OBS_BLINDED, _bl("value", True)))
    if d.cumulative_dose is not None:
        value = _pq("value", d.cumulative_dose, "PQ")
        k.append(_obs("outboundRelationship2", "SUMM", oids.OBS_CUMULATIVE_DOSE, value))
    if d.gestation_period_at_exposure is not None:
        value = _pq("value", d.gestation_period_at_exposure, "PQ")
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_GESTATION, value))
    for row in d.reaction_assessments:
        if row.recurrence is None:
            continue
        value = _enum_code("value", row.recurrence.code, oids.CL_RECURRENCE, xsi_type="CE")
        value += (
            f'<outboundRelationship1 typeCode="REFR">{_ACT_REF}'
            f'<id root="{attr(uid(row.reaction_id))}"/></actReference></outboundRelationship1>'
        )
        k.append(_obs("outboundRelationship2", "PERT", oids.OBS_RECURRENCE, value))
    for info in d.additional_info_codes:
        value = _enum_code("value", info.code, oids.CL_ADDITIONAL_INFO, xsi_type="CE")
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_ADDITIONAL_INFO_CODE, value))
    if d.additional_info_text is not None:
        value = f'<value xsi:type="ST">{text(d.additional_info_text)}</value>'
        k.append(_obs("outboundRelationship2", "REFR", oids.OBS_ADDITIONAL_INFO_TEXT, value))
    for ind in d.indications:
        if ind.term is not None:
            attrs = _meddra_attrs(ind.term)
        else:
            attrs = f' xsi:type="CE" codeSystem="{oids.MEDDRA}"'
        value = _el("value", attrs, _nullable_text("originalText", ind.text))
        k.append(
            '<inboundRelationship typeCode="RSON"><observation classCode="OBS" moodCode="EVN">'
            f'<code code="{oids.OBS_INDICATION}" codeSystem="{oids.CL_OBSERVATION}"/>{value}'
            f'<performer typeCode="PRF"><assignedEntity classCode="ASSIGNED">'
            f'<code code="{oids.AUTHOR_REPORTER}" codeSystem="{oids.CL_AUTHOR}"/>'
            "</assignedEntity></performer></observation></inboundRelationship>"
        )
    if d.action_taken is not None:
        k.append(
            '<inboundRelationship typeCode="CAUS"><act classCode="ACT" moodCode="EVN">'
            f"{_enum_code('code', d.action_taken.code, oids.CL_ACTION_TAKEN)}</act>"
            "</inboundRelationship>"
        )
    k = placer.place(anchor, k)
    return _kids_el("substanceAdministration", _SA, k)


def _dosage(r: Dosage, anchor: str, placer: Placer) -> str:
    k = []
    if r.text is not None:
        k.append(f"<text>{text(r.text)}</text>")
    if r.period_null_flavor is not None:
        k.append(f'<effectiveTime nullFlavor="{r.period_null_flavor.value}"/>')
    else:
        k.append(_interval(r.start, r.end, r.duration, r.interval))
    k.append(_coded("routeCode", r.route_term, r.route, oids.EDQM_ROUTE))
    if r.dose is not None:
        k.append(_pq("doseQuantity", r.dose))
    has_form = r.dose_form is not None or r.dose_form_term is not None
    if r.batch_lot is not None or has_form or placer.has(f"{anchor}:instance"):
        iok = []
        if r.batch_lot is not None:
            iok.append(
                '<productInstanceInstance classCode="MMAT" determinerCode="INSTANCE">'
                f"<lotNumberText>{text(r.batch_lot)}</lotNumberText></productInstanceInstance>"
            )
        if has_form:
            form = _coded("formCode", r.dose_form_term, r.dose_form, oids.EDQM_DOSE_FORM)
            iok.append(_el("kindOfProduct", _KIND, form))
        iok = placer.place(f"{anchor}:instance", iok)
        k.append(
            f'<consumable typeCode="CSM">{_kids_el("instanceOfKind", _INST, iok)}</consumable>'
        )
    if r.parent_route is not None or r.parent_route_term is not None:
        value = _coded("value", r.parent_route_term, r.parent_route, oids.EDQM_ROUTE, "CE")
        k.append(_obs("inboundRelationship", "REFR", oids.OBS_PARENT_ROUTE, value))
    k = placer.place(anchor, k)
    return (
        '<outboundRelationship2 typeCode="COMP">'
        f"{_kids_el('substanceAdministration', _SA, k)}</outboundRelationship2>"
    )
