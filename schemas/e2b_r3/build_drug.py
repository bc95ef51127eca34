"""Build G.k drugs, their dosages, and the drug-reaction matrix (linked by ids)."""

from __future__ import annotations

from gateway.domain.drug import Dosage, Drug
from gateway.domain.values import Coded, Nullable
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import uid
from schemas.e2b_r3.xml import (
    XSI_TYPE,
    Element,
    Placer,
    sub,
    sub_bl,
    sub_code,
    sub_id,
    sub_meddra,
    sub_nullable_text,
    sub_observation,
    sub_pq,
    sub_text,
    write_interval,
)


def _coded(
    parent: Element,
    tag: str,
    code: Coded | None,
    text: Nullable[str] | None,
    default_system: str,
    xsi_type: str | None = None,
) -> Element | None:
    if code is None and text is None:
        return None
    if code is not None:
        el = sub_code(parent, tag, code.code, code.system or default_system, code.version, xsi_type)
    else:
        el = sub(parent, tag)
        if xsi_type:
            el.set(XSI_TYPE, xsi_type)
        el.set("codeSystem", default_system)
    if text is not None:
        sub_nullable_text(el, "originalText", text)
    return el


def build_drug(component: Element, d: Drug, placer: Placer, seen: dict[str, int]) -> Element:
    anchor = make_anchor("drug", d.id, seen)
    sa = sub(component, "substanceAdministration", {"classCode": "SBADM", "moodCode": "EVN"})
    sub_id(sa, uid(d.id))
    cons = sub(sa, "consumable", {"typeCode": "CSM"})
    iok = sub(cons, "instanceOfKind", {"classCode": "INST"})
    kind = sub(iok, "kindOfProduct", {"classCode": "MMAT", "determinerCode": "KIND"})
    product = d.mpid or d.phpid
    if product is not None:
        sub_code(kind, "code", product.code, product.system, product.version)
    if d.name_as_reported is not None:
        sub_text(kind, "name", d.name_as_reported)
    if d.authorisation_number or d.authorisation_holder or d.authorisation_country:
        manu = sub(kind, "asManufacturedProduct", {"classCode": "MANU"})
        approval = sub(
            sub(manu, "subjectOf", {"typeCode": "SBJ"}),
            "approval",
            {"classCode": "CNTRCT", "moodCode": "EVN"},
        )
        if d.authorisation_number is not None:
            sub_id(approval, oids.AUTHORISATION_NUMBER, d.authorisation_number)
        if d.authorisation_holder is not None:
            role = sub(sub(approval, "holder", {"typeCode": "HLD"}), "role", {"classCode": "HLD"})
            org = sub(
                role, "playingOrganization", {"classCode": "ORG", "determinerCode": "INSTANCE"}
            )
            sub_text(org, "name", d.authorisation_holder)
        if d.authorisation_country is not None:
            terr = sub(
                sub(approval, "author", {"typeCode": "AUT"}),
                "territorialAuthority",
                {"classCode": "TERR"},
            )
            place = sub(terr, "territory", {"classCode": "NAT", "determinerCode": "INSTANCE"})
            sub_code(place, "code", d.authorisation_country, oids.COUNTRY)
    for s in d.substances:
        ing = sub(kind, "ingredient", {"classCode": "ACTI"})
        if s.strength is not None:
            quantity = sub(ing, "quantity")
            sub_pq(quantity, "numerator", s.strength)
            sub(quantity, "denominator", {"value": "1", "unit": "1"})
        subst = sub(ing, "ingredientSubstance", {"classCode": "MMAT", "determinerCode": "KIND"})
        if s.term_id is not None:
            sub_code(subst, "code", s.term_id.code, s.term_id.system, s.term_id.version)
        if s.name is not None:
            sub_text(subst, "name", s.name)
    placer.place(f"{anchor}:product", kind)
    if d.country_obtained is not None:
        event = sub(
            sub(iok, "subjectOf", {"typeCode": "SBJ"}),
            "productEvent",
            {"classCode": "ACT", "moodCode": "EVN"},
        )
        sub_code(event, "code", "1", oids.CL_PRODUCT_EVENT)
        entity = sub(
            sub(event, "performer", {"typeCode": "PRF"}),
            "assignedEntity",
            {"classCode": "ASSIGNED"},
        )
        org = sub(
            entity, "representedOrganization", {"classCode": "ORG", "determinerCode": "INSTANCE"}
        )
        sub_text(sub(org, "addr"), "country", d.country_obtained)
    placer.place(f"{anchor}:instance", iok)
    for row in d.reaction_assessments:
        for type_code, interval in (
            ("SAS", row.time_from_first_dose),
            ("SAE", row.time_from_last_dose),
        ):
            if interval is None:
                continue
            rel = sub(sa, "outboundRelationship1", {"typeCode": type_code})
            sub_pq(rel, "pauseQuantity", interval)
            ref = sub(rel, "actReference", {"classCode": "OBS", "moodCode": "EVN"})
            sub_id(ref, uid(row.reaction_id))
    for index, dosage in enumerate(d.dosages):
        _dosage(sa, dosage, f"{anchor}:dosage:{index}", placer)
    if d.investigational_blinded is not None:
        sub_bl(
            sub_observation(sa, "outboundRelationship2", "COMP", oids.OBS_BLINDED), "value", True
        )
    if d.cumulative_dose is not None:
        obs = sub_observation(sa, "outboundRelationship2", "SUMM", oids.OBS_CUMULATIVE_DOSE)
        sub_pq(obs, "value", d.cumulative_dose, "PQ")
    if d.gestation_period_at_exposure is not None:
        obs = sub_observation(sa, "outboundRelationship2", "REFR", oids.OBS_GESTATION)
        sub_pq(obs, "value", d.gestation_period_at_exposure, "PQ")
    for row in d.reaction_assessments:
        if row.recurrence is None:
            continue
        obs = sub_observation(sa, "outboundRelationship2", "PERT", oids.OBS_RECURRENCE)
        sub_code(obs, "value", row.recurrence.code, oids.CL_RECURRENCE, xsi_type="CE")
        rel = sub(obs, "outboundRelationship1", {"typeCode": "REFR"})
        ref = sub(rel, "actReference", {"classCode": "OBS", "moodCode": "EVN"})
        sub_id(ref, uid(row.reaction_id))
    for info in d.additional_info_codes:
        obs = sub_observation(sa, "outboundRelationship2", "REFR", oids.OBS_ADDITIONAL_INFO_CODE)
        sub_code(obs, "value", info.code, oids.CL_ADDITIONAL_INFO, xsi_type="CE")
    if d.additional_info_text is not None:
        obs = sub_observation(sa, "outboundRelationship2", "REFR", oids.OBS_ADDITIONAL_INFO_TEXT)
        sub_text(obs, "value", d.additional_info_text, {XSI_TYPE: "ST"})
    for ind in d.indications:
        rel = sub(sa, "inboundRelationship", {"typeCode": "RSON"})
        obs = sub(rel, "observation", {"classCode": "OBS", "moodCode": "EVN"})
        sub_code(obs, "code", oids.OBS_INDICATION, oids.CL_OBSERVATION)
        if ind.term is not None:
            value = sub_meddra(obs, "value", ind.term)
        else:
            value = sub(obs, "value", {XSI_TYPE: "CE", "codeSystem": oids.MEDDRA})
        sub_nullable_text(value, "originalText", ind.text)
        entity = sub(
            sub(obs, "performer", {"typeCode": "PRF"}), "assignedEntity", {"classCode": "ASSIGNED"}
        )
        sub_code(entity, "code", oids.AUTHOR_REPORTER, oids.CL_AUTHOR)
    if d.action_taken is not None:
        act = sub(
            sub(sa, "inboundRelationship", {"typeCode": "CAUS"}),
            "act",
            {"classCode": "ACT", "moodCode": "EVN"},
        )
        sub_code(act, "code", d.action_taken.code, oids.CL_ACTION_TAKEN)
    placer.place(anchor, sa)
    return sa


def _dosage(drug: Element, r: Dosage, anchor: str, placer: Placer) -> None:
    rel = sub(drug, "outboundRelationship2", {"typeCode": "COMP"})
    sa = sub(rel, "substanceAdministration", {"classCode": "SBADM", "moodCode": "EVN"})
    if r.text is not None:
        sub_text(sa, "text", r.text)
    _dosage_time(sa, r)
    _coded(sa, "routeCode", r.route_term, r.route, oids.EDQM_ROUTE)
    if r.dose is not None:
        sub_pq(sa, "doseQuantity", r.dose)
    has_form = r.dose_form is not None or r.dose_form_term is not None
    if r.batch_lot is not None or has_form or placer.has(f"{anchor}:instance"):
        iok = sub(
            sub(sa, "consumable", {"typeCode": "CSM"}), "instanceOfKind", {"classCode": "INST"}
        )
        if r.batch_lot is not None:
            inst = sub(
                iok, "productInstanceInstance", {"classCode": "MMAT", "determinerCode": "INSTANCE"}
            )
            sub_text(inst, "lotNumberText", r.batch_lot)
        if r.dose_form is not None or r.dose_form_term is not None:
            kind = sub(iok, "kindOfProduct", {"classCode": "MMAT", "determinerCode": "KIND"})
            _coded(kind, "formCode", r.dose_form_term, r.dose_form, oids.EDQM_DOSE_FORM)
        placer.place(f"{anchor}:instance", iok)
    if r.parent_route is not None or r.parent_route_term is not None:
        obs = sub_observation(sa, "inboundRelationship", "REFR", oids.OBS_PARENT_ROUTE)
        _coded(obs, "value", r.parent_route_term, r.parent_route, oids.EDQM_ROUTE, "CE")
    placer.place(anchor, sa)


def _dosage_time(sa: Element, r: Dosage) -> None:
    if r.period_null_flavor is not None:
        sub(sa, "effectiveTime", {"nullFlavor": r.period_null_flavor.value})
        return
    write_interval(sa, r.start, r.end, r.duration, r.interval)


def build_causality(aea: Element, drugs: tuple[Drug, ...]) -> None:
    """G.k.1 roles and G.k.9.i.2.r assessments, as ``causalityAssessment`` components."""
    for d in drugs:
        if d.role is None:
            continue
        ca = _causality(aea, oids.OBS_DRUG_ROLE)
        sub_code(ca, "value", d.role.code, oids.CL_DRUG_ROLE, xsi_type="CE")
        _reference(ca, "subject2", "productUseReference", uid(d.id), "SBADM")
    for d in drugs:
        for row in d.reaction_assessments:
            for a in row.assessments:
                ca = _causality(aea, oids.OBS_CAUSALITY)
                if a.result is not None:
                    sub_text(ca, "value", a.result, {XSI_TYPE: "ST"})
                if a.method is not None:
                    sub_text(sub(ca, "methodCode"), "originalText", a.method)
                if a.source is not None:
                    entity = sub(
                        sub(ca, "author", {"typeCode": "AUT"}),
                        "assignedEntity",
                        {"classCode": "ASSIGNED"},
                    )
                    sub_text(sub(entity, "code"), "originalText", a.source)
                _reference(ca, "subject1", "adverseEffectReference", uid(row.reaction_id), "OBS")
                _reference(ca, "subject2", "productUseReference", uid(d.id), "SBADM")


def _causality(aea: Element, code: str) -> Element:
    comp = sub(aea, "component", {"typeCode": "COMP"})
    ca = sub(comp, "causalityAssessment", {"classCode": "OBS", "moodCode": "EVN"})
    sub_code(ca, "code", code, oids.CL_OBSERVATION)
    return ca


def _reference(ca: Element, rel: str, tag: str, root: str, class_code: str) -> None:
    el = sub(sub(ca, rel, {"typeCode": "SUBJ"}), tag, {"classCode": class_code, "moodCode": "EVN"})
    sub_id(el, root)
