"""B.4.k ``drug`` -> domain ``Drug`` (dosage, indication, substances, relatedness)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.codes import RechallengeResult
from gateway.domain.drug import (
    CausalityAssessment,
    Dosage,
    Drug,
    DrugReactionAssessment,
    Indication,
    Substance,
)
from gateway.domain.reaction import Reaction
from gateway.domain.values import Coded, Quantity
from schemas.e2b_r2 import codes
from schemas.e2b_r2.xml import Element, Reader, Sink, local_id

_INTERVAL_UNITS = {c: u for c, u in codes.TIME_UNIT_FROM_R2.items() if "801" <= c <= "806"}
_GESTATION_UNITS = {
    c: u for c, u in codes.TIME_UNIT_FROM_R2.items() if c in {"802", "803", "804", "810"}
}


@dataclass
class _Row:
    reaction_id: str
    assessments: list[CausalityAssessment] = field(default_factory=list)
    first: Quantity | None = None
    last: Quantity | None = None
    recurrence: RechallengeResult | None = None


def match_reaction(
    reactions: tuple[Reaction, ...], version: str | None, value: str
) -> Reaction | None:
    """The reaction an R2 MedDRA reference (code or name) points at."""
    for r in reactions:
        if r.term is not None and r.term.code == value and version in (None, r.term.version):
            return r
    folded = value.casefold()
    for r in reactions:
        for text in (r.verbatim_translation, r.verbatim_native):
            if text is not None and text.casefold() == folded:
                return r
    return None


def _route(rd: Reader, tag: str) -> tuple[str | None, Coded | None]:
    code = rd.text(tag)
    if code is None:
        return None, None
    name = codes.ROUTE_NAME.get(code.zfill(3))
    if name is None:
        rd.bad(tag, code, "not in the ICH R2 route list")
        return None, None
    return name, Coded(code=code.zfill(3), system=codes.ROUTE_OID)


def _dosage(rd: Reader) -> Dosage:
    batch = rd.text("drugbatchnumb")
    dose = rd.quantity(
        ("drugstructuredosagenumb", "drugstructuredosageunit"), codes.DOSE_UNIT_FROM_R2
    )
    interval = rd.quantity(
        ("drugintervaldosageunitnumb", "drugintervaldosagedefinition"), _INTERVAL_UNITS
    )
    text = rd.text("drugdosagetext")
    form = rd.text("drugdosageform")
    route, route_term = _route(rd, "drugadministrationroute")
    parent_route, parent_term = _route(rd, "drugparadministration")
    start = rd.date("drugstartdateformat", "drugstartdate")
    end = rd.date("drugenddateformat", "drugenddate")
    duration = rd.quantity(("drugtreatmentduration", "drugtreatmentdurationunit"), _INTERVAL_UNITS)
    return Dosage(
        dose=dose,
        interval=interval,
        start=start,
        end=end,
        duration=duration,
        batch_lot=batch,
        text=text,
        dose_form=form,
        route=route,
        route_term=route_term,
        parent_route=parent_route,
        parent_route_term=parent_term,
    )


def _rows(rd: Reader, reactions: tuple[Reaction, ...]) -> dict[str, _Row]:
    rows: dict[str, _Row] = {}
    for i, rel_el in enumerate(rd.all("drugreactionrelatedness")):
        rel = Reader(rel_el, f"{rd.where}/drugreactionrelatedness[{i}]", rd.sink)
        version, value = rel.text("drugreactionassesmeddraversion"), rel.text("drugreactionasses")
        reaction = match_reaction(reactions, version, value) if value else None
        assessment = CausalityAssessment(
            source=rel.text("drugassessmentsource"),
            method=rel.text("drugassessmentmethod"),
            result=rel.text("drugresult"),
        )
        rel.finish()
        if reaction is None:
            rd.sink.lost("B.4.k.18", rel.where, f"reaction assessed {value!r} matches no reaction")
            continue
        rows.setdefault(reaction.id, _Row(reaction.id)).assessments.append(assessment)
    return rows


def _targets(rows: dict[str, _Row], reactions: tuple[Reaction, ...]) -> list[_Row]:
    """Rows a per-drug R2 value applies to: all rows, else one for the first reaction."""
    if not rows and reactions:
        rows[reactions[0].id] = _Row(reactions[0].id)
    return list(rows.values())


def parse_drug(
    el: Element,
    index: int,
    reactions: tuple[Reaction, ...],
    sink: Sink,
    where: str,
    report_id: str,
) -> Drug:
    rd = Reader(el, f"{where}/drug[{index}]", sink)
    role = rd.coded("drugcharacterization", codes.ROLE_FROM_R2)
    name = rd.text("medicinalproduct")
    country = rd.text("obtaindrugcountry")
    auth = (
        rd.text("drugauthorizationnumb"),
        rd.text("drugauthorizationcountry"),
        rd.text("drugauthorizationholder"),
    )
    dosage = _dosage(rd)
    cumulative = rd.quantity(
        ("drugcumulativedosagenumb", "drugcumulativedosageunit"), codes.DOSE_UNIT_FROM_R2
    )
    gestation = rd.quantity(
        ("reactiongestationperiod", "reactiongestationperiodunit"), _GESTATION_UNITS
    )
    term, text = rd.term(("drugindicationmeddraversion", "drugindication"))
    indications = (Indication(term=term, text=text),) if term or text else ()
    first = rd.quantity(("drugstartperiod", "drugstartperiodunit"), codes.TIME_UNIT_FROM_R2)
    last = rd.quantity(("druglastperiod", "druglastperiodunit"), codes.TIME_UNIT_FROM_R2)
    action = rd.coded("actiondrug", codes.ACTION_FROM_R2)
    recur = rd.coded("drugrecurreadministration", codes.RECUR_FROM_R2)
    additional = rd.text("drugadditional")
    substances = []
    for i, sub_el in enumerate(rd.all("activesubstance")):
        sub = Reader(sub_el, f"{rd.where}/activesubstance[{i}]", sink)
        substances.append(Substance(name=sub.text("activesubstancename")))
        sub.finish()
    recurred: list[Reaction] = []
    for i, rec_el in enumerate(rd.all("drugrecurrence")):
        rec = Reader(rec_el, f"{rd.where}/drugrecurrence[{i}]", sink)
        version, value = rec.text("drugrecuractionmeddraversion"), rec.text("drugrecuraction")
        rec.finish()
        found = match_reaction(reactions, version, value) if value else None
        if found is None:
            sink.lost("B.4.k.17.2", rec.where, f"recurred reaction {value!r} matches no reaction")
        else:
            recurred.append(found)
    rows = _rows(rd, reactions)
    rd.finish()
    if first is not None or last is not None:
        for row in _targets(rows, reactions):
            row.first, row.last = first, last
    if recur is not None:
        if recurred and recur is RechallengeResult.RECURRED:
            for r in recurred:
                rows.setdefault(r.id, _Row(r.id)).recurrence = recur
        else:
            for row in _targets(rows, reactions):
                row.recurrence = recur
    return Drug(
        id=local_id(report_id, "drug", index),
        role=role,
        name_as_reported=name,
        substances=tuple(substances),
        country_obtained=country,
        authorisation_number=auth[0],
        authorisation_country=auth[1],
        authorisation_holder=auth[2],
        dosages=() if dosage == Dosage() else (dosage,),
        cumulative_dose=cumulative,
        gestation_period_at_exposure=gestation,
        indications=indications,
        action_taken=action,
        reaction_assessments=tuple(
            DrugReactionAssessment(
                reaction_id=row.reaction_id,
                assessments=tuple(row.assessments),
                time_from_first_dose=row.first,
                time_from_last_dose=row.last,
                recurrence=row.recurrence,
            )
            for row in rows.values()
        ),
        additional_info_text=additional,
    )
