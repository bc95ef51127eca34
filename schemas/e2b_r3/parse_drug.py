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
from schemas.e2b_r3.ids import fallback_id, read_uid
from schemas.e2b_r3.parse_tags import (
    ACT,
    ACT_REFERENCE,
    ADDR,
    APPROVAL,
    AS_MANUFACTURED_PRODUCT,
    ASSIGNED_ENTITY,
    AUTHOR,
    CODE,
    CONSUMABLE,
    COUNTRY,
    DOSE_QUANTITY,
    EFFECTIVE_TIME,
    FORM_CODE,
    HOLDER,
    ID,
    INBOUND_RELATIONSHIP,
    INGREDIENT,
    INGREDIENT_SUBSTANCE,
    INSTANCE_OF_KIND,
    KIND_OF_PRODUCT,
    LOT_NUMBER_TEXT,
    NAME,
    NUMERATOR,
    OBSERVATION,
    ORIGINAL_TEXT,
    OUTBOUND_RELATIONSHIP1,
    OUTBOUND_RELATIONSHIP2,
    PAUSE_QUANTITY,
    PERFORMER,
    PLAYING_ORGANIZATION,
    PRODUCT_EVENT,
    PRODUCT_INSTANCE_INSTANCE,
    QUANTITY,
    REPRESENTED_ORGANIZATION,
    ROLE,
    ROUTE_CODE,
    SUBJECT_OF,
    SUBSTANCE_ADMINISTRATION,
    TERRITORIAL_AUTHORITY,
    TERRITORY,
    TEXT,
    VALUE,
)
from schemas.e2b_r3.xml import (
    E2BR3Error,
    Element,
    Extras,
    bl,
    code_of,
    first,
    firsts,
    meddra,
    null_flavor,
    path,
    pq,
    read_interval,
    str_or_nf,
    text,
)


def _coded(el: Element | None) -> Coded | None:
    if el is None:
        return None
    code = el.get(b"code")
    if not code:
        return None
    return Coded(code=code, system=el.get(b"codeSystem"), version=el.get(b"codeSystemVersion"))


def _code_pair(parts: dict[object, Element]) -> tuple[str | None, str | None]:
    """``code_of`` from a ``firsts`` dict."""
    c = parts.get(CODE)
    if c is None:
        return None, None
    return c.get(b"code"), c.get(b"codeSystem")


class _Rows:
    """Matrix rows of one drug, keyed by reaction id, in first-seen order."""

    __slots__ = ("rows",)

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, object]] = {}

    def row(self, reaction_id: str) -> dict[str, object]:
        return self.rows.setdefault(reaction_id, {})


class DrugParts:
    """One parsed G.k drug before the assessment's G.k.1 role and G.k.9.i.2.r results are
    known: the ``Drug`` is built once, by ``finish_drugs``."""

    __slots__ = ("fields", "id", "rows")

    def __init__(self, drug_id: str, fields: dict[str, object], rows: _Rows) -> None:
        self.id = drug_id
        self.fields = fields
        self.rows = rows.rows

    def build(self, role: DrugRole | None, order: list[str]) -> Drug:
        rows = self.rows
        assessments = tuple(
            DrugReactionAssessment(reaction_id=rid, **rows[rid])  # type: ignore[arg-type]
            for rid in order
        )
        try:
            return Drug(id=self.id, role=role, reaction_assessments=assessments, **self.fields)  # type: ignore[arg-type]
        except ValueError as exc:
            raise E2BR3Error(f"G.k ({self.id}): {exc}") from None


def parse_drug(sa: Element, index: int, extras: Extras, seen: dict[str, int]) -> DrugParts:
    children = sa.getchildren()
    drug_id: str | None = None
    for child in children:
        if child.tag == ID:
            drug_id = read_uid(child.get(b"root"), "G.k drug")
            break
    drug_id = drug_id or fallback_id("drug", index)
    anchor = make_anchor("drug", drug_id, seen)
    fields: dict[str, object] = {}
    dosages: list[Dosage] = []
    indications: list[Indication] = []
    info: list[AdditionalDrugInfo] = []
    rows = _Rows()
    for child in children:
        tag = child.tag
        if tag == ID or tag.__class__ is not str:
            continue
        if tag == CONSUMABLE:
            _consumable(first(child, INSTANCE_OF_KIND), fields, anchor, extras)
        elif tag == OUTBOUND_RELATIONSHIP2:
            inner = firsts(child)
            dose = inner.get(SUBSTANCE_ADMINISTRATION)
            if dose is not None:
                dosages.append(_dosage(dose, f"{anchor}:dosage:{len(dosages)}", extras))
            elif not _drug_observation(inner.get(OBSERVATION), fields, info, rows):
                extras.keep(anchor, children, child)
        elif tag == OUTBOUND_RELATIONSHIP1:
            inner = firsts(child)
            ref = first(inner.get(ACT_REFERENCE), ID)
            interval = pq(inner.get(PAUSE_QUANTITY))
            type_code = child.get(b"typeCode")
            if ref is None or interval is None or type_code not in ("SAS", "SAE"):
                extras.keep(anchor, children, child)
                continue
            key = "time_from_first_dose" if type_code == "SAS" else "time_from_last_dose"
            rows.row(_reaction_ref(ref, "G.k.9.i.3"))[key] = interval
        elif tag == INBOUND_RELATIONSHIP:
            inner = firsts(child)
            obs = firsts(inner.get(OBSERVATION))
            act = inner.get(ACT)
            if obs and _code_pair(obs) == (oids.OBS_INDICATION, oids.CL_OBSERVATION):
                value = obs.get(VALUE)
                indications.append(
                    Indication(text=str_or_nf(first(value, ORIGINAL_TEXT)), term=meddra(value))
                )
            elif act is not None and (action := code_of(act))[1] == oids.CL_ACTION_TAKEN:
                fields["action_taken"] = ActionTaken.from_code(action[0] or "")
            else:
                extras.keep(anchor, children, child)
        else:
            extras.keep(anchor, children, child)
    fields["dosages"] = tuple(dosages)
    fields["indications"] = tuple(indications)
    fields["additional_info_codes"] = tuple(info)
    return DrugParts(drug_id, fields, rows)


def _reaction_ref(ref: Element, where: str) -> str:
    """The reaction a matrix row names (its ``actReference/id/@root``)."""
    root = read_uid(ref.get(b"root"), where)
    if root is None:
        raise E2BR3Error(f"{where}: the reaction reference has no id root")
    return root


def _drug_observation(
    obs: Element | None, fields: dict[str, object], info: list[AdditionalDrugInfo], rows: _Rows
) -> bool:
    if obs is None:
        return False
    parts = firsts(obs)
    c = parts.get(CODE)
    if c is None or c.get(b"codeSystem") != oids.CL_OBSERVATION:
        return False
    code = c.get(b"code")
    value = parts.get(VALUE)
    if code == oids.OBS_BLINDED:
        fields["investigational_blinded"] = True if bl(value) is True else None
    elif code == oids.OBS_CUMULATIVE_DOSE:
        fields["cumulative_dose"] = pq(value)
    elif code == oids.OBS_GESTATION:
        fields["gestation_period_at_exposure"] = pq(value)
    elif code == oids.OBS_ADDITIONAL_INFO_TEXT:
        fields["additional_info_text"] = text(value)
    elif code == oids.OBS_ADDITIONAL_INFO_CODE:
        if value is None or value.get(b"codeSystem") != oids.CL_ADDITIONAL_INFO:
            return False  # e.g. FDA.G.k.10a: regional code list
        info.append(AdditionalDrugInfo.from_code(value.get(b"code") or ""))
    elif code == oids.OBS_RECURRENCE:
        ref = path(parts.get(OUTBOUND_RELATIONSHIP1), ACT_REFERENCE, ID)
        if ref is None or value is None:
            return False
        rows.row(_reaction_ref(ref, "G.k.9.i.4"))["recurrence"] = RechallengeResult.from_code(
            value.get(b"code") or ""
        )
    else:
        return False
    return True


def _consumable(
    iok: Element | None, fields: dict[str, object], anchor: str, extras: Extras
) -> None:
    if iok is None:
        return
    children = iok.getchildren()
    for child in children:
        tag = child.tag
        if tag == KIND_OF_PRODUCT:
            _product(child, fields, f"{anchor}:product", extras)
        elif tag == SUBJECT_OF and code_of(first(child, PRODUCT_EVENT))[1] == oids.CL_PRODUCT_EVENT:
            country = path(
                child,
                PRODUCT_EVENT,
                PERFORMER,
                ASSIGNED_ENTITY,
                REPRESENTED_ORGANIZATION,
                ADDR,
                COUNTRY,
            )
            fields["country_obtained"] = text(country)
        elif tag.__class__ is str:
            extras.keep(f"{anchor}:instance", children, child)


def _product(kind: Element, fields: dict[str, object], anchor: str, extras: Extras) -> None:
    substances: list[Substance] = []
    children = kind.getchildren()
    for child in children:
        tag = child.tag
        if tag == CODE:
            fields["mpid"] = _coded(child)
        elif tag == NAME:
            fields["name_as_reported"] = text(child)
        elif tag == AS_MANUFACTURED_PRODUCT:
            approval = path(child, SUBJECT_OF, APPROVAL)
            if approval is None:
                extras.keep(anchor, children, child)
                continue
            parts = firsts(approval)
            number = parts.get(ID)
            fields["authorisation_number"] = (
                number.get(b"extension") if number is not None else None
            )
            fields["authorisation_holder"] = text(
                path(parts.get(HOLDER), ROLE, PLAYING_ORGANIZATION, NAME)
            )
            territory = path(parts.get(AUTHOR), TERRITORIAL_AUTHORITY, TERRITORY, CODE)
            fields["authorisation_country"] = (
                territory.get(b"code") if territory is not None else None
            )
        elif tag == INGREDIENT:
            parts = firsts(child)
            substance = parts.get(INGREDIENT_SUBSTANCE)
            strength = None
            numerator = first(parts.get(QUANTITY), NUMERATOR)
            if numerator is not None:
                strength = pq(numerator)
            own = firsts(substance)
            substances.append(
                Substance(
                    name=text(own.get(NAME)),
                    term_id=_coded(own.get(CODE)),
                    strength=strength,
                )
            )
        elif tag.__class__ is str:
            extras.keep(anchor, children, child)
    fields["substances"] = tuple(substances)


def _dosage(sa: Element, anchor: str, extras: Extras) -> Dosage:
    fields: dict[str, object] = {}
    children = sa.getchildren()
    for child in children:
        tag = child.tag
        if tag == TEXT:
            fields["text"] = text(child)
        elif tag == EFFECTIVE_TIME:
            _dosage_time(child, fields)
        elif tag == ROUTE_CODE:
            fields["route"] = str_or_nf(first(child, ORIGINAL_TEXT))
            fields["route_term"] = _coded(child)
        elif tag == DOSE_QUANTITY:
            fields["dose"] = pq(child)
        elif tag == CONSUMABLE:
            iok = first(child, INSTANCE_OF_KIND)
            parts = iok.getchildren() if iok is not None else []
            for part in parts:
                itag = part.tag
                if itag == PRODUCT_INSTANCE_INSTANCE:
                    fields["batch_lot"] = text(first(part, LOT_NUMBER_TEXT))
                elif itag == KIND_OF_PRODUCT and _has_form(first(part, FORM_CODE)):
                    form = first(part, FORM_CODE)
                    fields["dose_form"] = str_or_nf(first(form, ORIGINAL_TEXT))
                    fields["dose_form_term"] = _coded(form)
                elif itag.__class__ is str:
                    extras.keep(f"{anchor}:instance", parts, part)
        elif tag == INBOUND_RELATIONSHIP and code_of(first(child, OBSERVATION)) == (
            oids.OBS_PARENT_ROUTE,
            oids.CL_OBSERVATION,
        ):
            value = path(child, OBSERVATION, VALUE)
            fields["parent_route"] = str_or_nf(first(value, ORIGINAL_TEXT))
            fields["parent_route_term"] = _coded(value)
        elif tag.__class__ is str:
            extras.keep(anchor, children, child)
    return Dosage(**fields)  # type: ignore[arg-type]


def _has_form(form: Element | None) -> bool:
    """A formCode carrying G.k.4.r.9 data (FDA sends an empty one: kept opaque)."""
    return form is not None and (
        form.get(b"code") is not None or first(form, ORIGINAL_TEXT) is not None
    )


def _dosage_time(eff: Element, fields: dict[str, object]) -> None:
    nf = null_flavor(eff)
    if nf is not None and len(eff) == 0:
        fields["period_null_flavor"] = nf
        return
    fields.update(read_interval(eff))


def finish_drugs(
    drugs: list[DrugParts],
    roles: dict[str, DrugRole],
    causality: list[tuple[str, str, CausalityAssessment]],
    reaction_order: dict[str, int],
) -> tuple[Drug, ...]:
    """Build the drugs with their G.k.1 roles and G.k.9.i.2.r assessments (found in the
    assessment), linked by drug id.

    Matrix rows are ordered like the reactions they point at (rows naming unknown
    reactions last, in first-seen order), so the order never depends on where in the
    XML a row's parts happened to be.
    """
    by_pair: dict[tuple[str, str], list[CausalityAssessment]] = {}
    for drug_id, reaction_id, assessment in causality:
        by_pair.setdefault((drug_id, reaction_id), []).append(assessment)
    out: list[Drug] = []
    done: set[str] = set()
    last = len(reaction_order)
    for drug in drugs:
        if drug.id in done:  # a duplicated id: links go to the first drug only
            out.append(drug.build(None, list(drug.rows)))
            continue
        done.add(drug.id)
        rows = drug.rows
        for (drug_id, reaction_id), found in by_pair.items():
            if drug_id != drug.id:
                continue
            row = rows.get(reaction_id)
            if row is None:
                row = rows[reaction_id] = {}
            previous = row.get("assessments", ())
            row["assessments"] = (*previous, *found)  # type: ignore[misc]
        ordered = sorted(rows, key=lambda rid: (reaction_order.get(rid, last), rid))
        out.append(drug.build(roles.get(drug.id), ordered))
    return tuple(out)
