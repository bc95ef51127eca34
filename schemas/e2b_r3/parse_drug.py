"""Parse G.k drugs (substanceAdministration) and assemble the G.k.9.i matrix by ids."""

from __future__ import annotations

from gateway.domain.codes import ActionTaken, AdditionalDrugInfo, DrugRole, RechallengeResult
from gateway.domain.drug import (
    CausalityAssessment,
    Dosage,
    Drug,
    DrugReactionAssessment,
    Indication,
    Substance,
)
from gateway.domain.values import Coded
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import fallback_id
from schemas.e2b_r3.xml import (
    E2BR3Error,
    Element,
    Extras,
    bl,
    child_map,
    code_in,
    code_of,
    first,
    kids,
    meddra,
    null_flavor,
    path,
    pq,
    read_interval,
    replace,
    str_or_nf,
    text,
)


def _coded(el: Element | None) -> Coded | None:
    if el is None or not el.get("code"):
        return None
    return Coded(
        code=el.get("code"), system=el.get("codeSystem"), version=el.get("codeSystemVersion")
    )


class _Rows:
    """Matrix rows of one drug, keyed by reaction id, in first-seen order."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, object]] = {}

    def row(self, reaction_id: str) -> dict[str, object]:
        return self.rows.setdefault(reaction_id, {})


def parse_drug(sa: Element, index: int, extras: Extras, seen: dict[str, int]) -> Drug:
    ident = first(sa, "id")
    drug_id = (ident.get("root") if ident is not None else None) or fallback_id("drug", index)
    anchor = make_anchor("drug", drug_id, seen)
    fields: dict[str, object] = {}
    dosages: list[Dosage] = []
    indications: list[Indication] = []
    info: list[AdditionalDrugInfo] = []
    rows = _Rows()
    for tag, child in kids(sa):
        if tag == "id":
            continue
        if tag == "consumable":
            _consumable(first(child, "instanceOfKind"), fields, anchor, extras)
        elif tag == "outboundRelationship1":
            ref = path(child, "actReference", "id")
            interval = pq(first(child, "pauseQuantity"))
            type_code = child.get("typeCode")
            if ref is None or interval is None or type_code not in ("SAS", "SAE"):
                extras.keep(anchor, sa, child)
                continue
            key = "time_from_first_dose" if type_code == "SAS" else "time_from_last_dose"
            rows.row(ref.get("root") or "")[key] = interval
        elif tag == "outboundRelationship2":
            dose = first(child, "substanceAdministration")
            if dose is not None:
                dosages.append(_dosage(dose, f"{anchor}:dosage:{len(dosages)}", extras))
            elif not _drug_observation(first(child, "observation"), fields, info, rows):
                extras.keep(anchor, sa, child)
        elif tag == "inboundRelationship":
            obs = first(child, "observation")
            act = first(child, "act")
            if obs is not None and code_of(obs) == (oids.OBS_INDICATION, oids.CL_OBSERVATION):
                value = first(obs, "value")
                indications.append(
                    Indication(text=str_or_nf(first(value, "originalText")), term=meddra(value))
                )
            elif act is not None and code_of(act)[1] == oids.CL_ACTION_TAKEN:
                fields["action_taken"] = ActionTaken.from_code(code_of(act)[0] or "")
            else:
                extras.keep(anchor, sa, child)
        else:
            extras.keep(anchor, sa, child)
    assessments = tuple(
        DrugReactionAssessment(reaction_id=rid, **row)  # type: ignore[arg-type]
        for rid, row in rows.rows.items()
    )
    try:
        return Drug(
            id=drug_id,
            dosages=tuple(dosages),
            indications=tuple(indications),
            additional_info_codes=tuple(info),
            reaction_assessments=assessments,
            **fields,  # type: ignore[arg-type]
        )
    except ValueError as exc:
        raise E2BR3Error(f"G.k ({drug_id}): {exc}") from None


def _drug_observation(
    obs: Element | None, fields: dict[str, object], info: list[AdditionalDrugInfo], rows: _Rows
) -> bool:
    if obs is None:
        return False
    parts = child_map(obs)
    code, system = code_in(parts)
    if system != oids.CL_OBSERVATION:
        return False
    value = parts.get("value")
    if code == oids.OBS_BLINDED:
        fields["investigational_blinded"] = True if bl(value) is True else None
    elif code == oids.OBS_CUMULATIVE_DOSE:
        fields["cumulative_dose"] = pq(value)
    elif code == oids.OBS_GESTATION:
        fields["gestation_period_at_exposure"] = pq(value)
    elif code == oids.OBS_ADDITIONAL_INFO_TEXT:
        fields["additional_info_text"] = text(value)
    elif code == oids.OBS_ADDITIONAL_INFO_CODE:
        if value is None or value.get("codeSystem") != oids.CL_ADDITIONAL_INFO:
            return False  # e.g. FDA.G.k.10a: regional code list
        info.append(AdditionalDrugInfo.from_code(value.get("code") or ""))
    elif code == oids.OBS_RECURRENCE:
        ref = path(parts.get("outboundRelationship1"), "actReference", "id")
        if ref is None or value is None:
            return False
        rows.row(ref.get("root") or "")["recurrence"] = RechallengeResult.from_code(
            value.get("code") or ""
        )
    else:
        return False
    return True


def _consumable(
    iok: Element | None, fields: dict[str, object], anchor: str, extras: Extras
) -> None:
    if iok is None:
        return
    for tag, child in kids(iok):
        if tag == "kindOfProduct":
            _product(child, fields, f"{anchor}:product", extras)
        elif (
            tag == "subjectOf" and code_of(first(child, "productEvent"))[1] == oids.CL_PRODUCT_EVENT
        ):
            country = path(
                child,
                "productEvent",
                "performer",
                "assignedEntity",
                "representedOrganization",
                "addr",
                "country",
            )
            fields["country_obtained"] = text(country)
        else:
            extras.keep(f"{anchor}:instance", iok, child)


def _product(kind: Element, fields: dict[str, object], anchor: str, extras: Extras) -> None:
    substances: list[Substance] = []
    for tag, child in kids(kind):
        if tag == "code":
            fields["mpid"] = _coded(child)
        elif tag == "name":
            fields["name_as_reported"] = text(child)
        elif tag == "asManufacturedProduct":
            approval = path(child, "subjectOf", "approval")
            if approval is None:
                extras.keep(anchor, kind, child)
                continue
            parts = child_map(approval)
            number = parts.get("id")
            fields["authorisation_number"] = number.get("extension") if number is not None else None
            fields["authorisation_holder"] = text(
                path(parts.get("holder"), "role", "playingOrganization", "name")
            )
            territory = path(parts.get("author"), "territorialAuthority", "territory", "code")
            fields["authorisation_country"] = (
                territory.get("code") if territory is not None else None
            )
        elif tag == "ingredient":
            parts = child_map(child)
            substance = parts.get("ingredientSubstance")
            strength = None
            numerator = first(parts.get("quantity"), "numerator")
            if numerator is not None:
                strength = pq(numerator)
            own = child_map(substance)
            substances.append(
                Substance(
                    name=text(own.get("name")),
                    term_id=_coded(own.get("code")),
                    strength=strength,
                )
            )
        else:
            extras.keep(anchor, kind, child)
    fields["substances"] = tuple(substances)


def _dosage(sa: Element, anchor: str, extras: Extras) -> Dosage:
    fields: dict[str, object] = {}
    for tag, child in kids(sa):
        if tag == "text":
            fields["text"] = text(child)
        elif tag == "effectiveTime":
            _dosage_time(child, fields)
        elif tag == "routeCode":
            fields["route"] = str_or_nf(first(child, "originalText"))
            fields["route_term"] = _coded(child)
        elif tag == "doseQuantity":
            fields["dose"] = pq(child)
        elif tag == "consumable":
            iok = first(child, "instanceOfKind")
            for itag, part in kids(iok) if iok is not None else ():
                if itag == "productInstanceInstance":
                    fields["batch_lot"] = text(first(part, "lotNumberText"))
                elif itag == "kindOfProduct" and _has_form(first(part, "formCode")):
                    form = first(part, "formCode")
                    fields["dose_form"] = str_or_nf(first(form, "originalText"))
                    fields["dose_form_term"] = _coded(form)
                else:
                    extras.keep(f"{anchor}:instance", iok, part)
        elif tag == "inboundRelationship" and code_of(first(child, "observation")) == (
            oids.OBS_PARENT_ROUTE,
            oids.CL_OBSERVATION,
        ):
            value = path(child, "observation", "value")
            fields["parent_route"] = str_or_nf(first(value, "originalText"))
            fields["parent_route_term"] = _coded(value)
        else:
            extras.keep(anchor, sa, child)
    return Dosage(**fields)  # type: ignore[arg-type]


def _has_form(form: Element | None) -> bool:
    """A formCode carrying G.k.4.r.9 data (FDA sends an empty one: kept opaque)."""
    return form is not None and (
        form.get("code") is not None or first(form, "originalText") is not None
    )


def _dosage_time(eff: Element, fields: dict[str, object]) -> None:
    nf = null_flavor(eff)
    if nf is not None and len(eff) == 0:
        fields["period_null_flavor"] = nf
        return
    fields.update(read_interval(eff))


def finish_drugs(
    drugs: tuple[Drug, ...],
    roles: dict[str, DrugRole],
    causality: list[tuple[str, str, CausalityAssessment]],
    reaction_order: dict[str, int],
) -> tuple[Drug, ...]:
    """Attach G.k.1 roles and G.k.9.i.2.r assessments (found in the assessment) by drug id.

    Matrix rows are ordered like the reactions they point at (rows naming unknown
    reactions last, in first-seen order), so the order never depends on where in the
    XML a row's parts happened to be.
    """
    by_pair: dict[tuple[str, str], list[CausalityAssessment]] = {}
    for drug_id, reaction_id, assessment in causality:
        by_pair.setdefault((drug_id, reaction_id), []).append(assessment)
    out: list[Drug] = []
    done: set[str] = set()
    for drug in drugs:
        if drug.id in done:  # a duplicated id: links go to the first drug only
            out.append(drug)
            continue
        done.add(drug.id)
        rows = {r.reaction_id: r for r in drug.reaction_assessments}
        for (drug_id, reaction_id), found in by_pair.items():
            if drug_id != drug.id:
                continue
            row = rows.get(reaction_id) or DrugReactionAssessment(reaction_id=reaction_id)
            rows[reaction_id] = replace(row, assessments=(*row.assessments, *found))
        last = len(reaction_order)
        ordered = sorted(rows, key=lambda rid: (reaction_order.get(rid, last), rid))
        out.append(
            replace(
                drug,
                role=roles.get(drug.id, drug.role),
                reaction_assessments=tuple(rows[rid] for rid in ordered),
            )
        )
    return tuple(out)
