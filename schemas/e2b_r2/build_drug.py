"""B.4.k ``drug`` elements from domain ``Drug`` records (one R2 drug per domain drug)."""

from __future__ import annotations

from lxml import etree

from gateway.domain.codes import RechallengeResult
from gateway.domain.drug import Dosage, Drug
from gateway.domain.reaction import Reaction
from gateway.domain.values import Coded, Nullable, Quantity
from schemas.e2b_r2 import codes
from schemas.e2b_r2.xml import Element, Sink, date_pair, fmt_decimal, leaf, plain, quantity

_INTERVAL_UNITS = {
    u: c
    for u, c in codes.TIME_UNIT_TO_R2.items()
    if c in {"801", "802", "803", "804", "805", "806"}
}
_GESTATION_UNITS = {
    u: c for u, c in codes.TIME_UNIT_TO_R2.items() if c in {"802", "803", "804", "810"}
}


def _route(
    text: Nullable[str] | None, term: Coded | None, sink: Sink, element_id: str, where: str
) -> str | None:
    """An R2 route code from the ICH list: the coded value if it is one, else by name."""
    code = None
    if term is not None and term.system == codes.ROUTE_OID and term.code in codes.ROUTE_NAME:
        code = term.code
    elif isinstance(text, str):
        code = codes.ROUTE_BY_NAME.get(text.strip().casefold())
    if code is None and (text is not None or term is not None):
        shown = term.code if term is not None else text
        sink.lost(element_id, where, f"route {shown!r} is not in the ICH R2 route list")
    elif term is not None and term.system != codes.ROUTE_OID:
        sink.lost(f"{element_id}.2", where, f"route term {term.code!r} ({term.system}) not sent")
    return code


def _single_dosage(drug: Drug, sink: Sink, where: str) -> Dosage:
    for index, extra in enumerate(drug.dosages[1:], start=1):
        if extra != Dosage():
            sink.lost(
                "G.k.4.r", f"{where}.dosages[{index}]", "R2 holds one dosage regimen per drug"
            )
    return drug.dosages[0] if drug.dosages else Dosage()


def _dosage_losses(dosage: Dosage, sink: Sink, where: str) -> None:
    if dosage.dose_form_term is not None:
        sink.lost("G.k.4.r.9.2", where, "dose form TermID has no R2 element")
    if dosage.period_null_flavor is not None:
        name = dosage.period_null_flavor.name
        sink.lost("G.k.4.r.4-6", where, f"dosage period nullFlavor {name} cannot be expressed")
    if dosage.interval is not None and dosage.interval.unit not in _INTERVAL_UNITS:
        sink.lost("G.k.4.r.3", where, f"interval unit {dosage.interval.unit!r} has no R2 code")


def _time_to_onset(
    drug: Drug, attr: str, sink: Sink, element_id: str, where: str
) -> Quantity | None:
    values = [getattr(a, attr) for a in drug.reaction_assessments]
    found = [v for v in values if v is not None]
    if not found:
        return None
    if any(v != found[0] for v in values):
        sink.lost(element_id, where, "R2 holds one interval per drug; per-reaction values differ")
    first: Quantity = found[0]
    return first


def _recurrence(
    drug: Drug, reactions: dict[str, Reaction], sink: Sink, where: str
) -> tuple[str | None, list[Reaction]]:
    values = [a.recurrence for a in drug.reaction_assessments if a.recurrence is not None]
    if RechallengeResult.NOT_DONE in values:
        sink.lost("G.k.9.i.4", where, "rechallenge 'not done' (4) has no R2 code")
    recurred = [
        reactions[a.reaction_id]
        for a in drug.reaction_assessments
        if a.recurrence is RechallengeResult.RECURRED and a.reaction_id in reactions
    ]
    for choice in (
        RechallengeResult.RECURRED,
        RechallengeResult.DID_NOT_RECUR,
        RechallengeResult.OUTCOME_UNKNOWN,
    ):
        if choice in values:
            others = {v for v in values if v not in (choice, RechallengeResult.NOT_DONE)}
            if others:
                sink.lost("G.k.9.i.4", where, "R2 holds one rechallenge answer per drug")
            return codes.RECUR_TO_R2[choice], recurred
    return None, []


def build_drug(
    patient: Element, drug: Drug, index: int, reactions: dict[str, Reaction], sink: Sink
) -> None:
    """Append one ``<drug>`` in DTD order."""
    where = f"drugs[{index}]"
    el = etree.SubElement(patient, "drug")
    role = codes.ROLE_TO_R2.get(drug.role) if drug.role is not None else None
    if drug.role is not None and role is None:
        sink.lost("G.k.1", where, f"drug role {drug.role.name} has no R2 code")
    leaf(el, "drugcharacterization", role)
    leaf(el, "medicinalproduct", drug.name_as_reported)
    for element_id, value in (("G.k.2.1.1", drug.mpid), ("G.k.2.1.2", drug.phpid)):
        if value is not None:
            sink.lost(element_id, where, "MPID / PhPID has no R2 element")
    if drug.investigational_blinded is not None:
        sink.lost("G.k.2.5", where, "investigational product blinded has no R2 element")
    leaf(el, "obtaindrugcountry", drug.country_obtained)
    dosage = _single_dosage(drug, sink, where)
    dwhere = f"{where}.dosages[0]"
    _dosage_losses(dosage, sink, dwhere)
    leaf(el, "drugbatchnumb", dosage.batch_lot)
    leaf(el, "drugauthorizationnumb", drug.authorisation_number)
    leaf(el, "drugauthorizationcountry", drug.authorisation_country)
    leaf(el, "drugauthorizationholder", drug.authorisation_holder)
    tags = ("drugstructuredosagenumb", "drugstructuredosageunit")
    quantity(el, tags, dosage.dose, codes.DOSE_UNIT_TO_R2, sink, "G.k.4.r.1", dwhere)
    if dosage.interval is not None and dosage.interval.unit in _INTERVAL_UNITS:
        leaf(el, "drugintervaldosageunitnumb", fmt_decimal(dosage.interval.value))
        leaf(el, "drugintervaldosagedefinition", _INTERVAL_UNITS[dosage.interval.unit])
    tags = ("drugcumulativedosagenumb", "drugcumulativedosageunit")
    quantity(el, tags, drug.cumulative_dose, codes.DOSE_UNIT_TO_R2, sink, "G.k.5", where)
    leaf(el, "drugdosagetext", dosage.text)
    leaf(el, "drugdosageform", plain(dosage.dose_form, sink, "G.k.4.r.9.1", dwhere))
    route = _route(dosage.route, dosage.route_term, sink, "G.k.4.r.10", dwhere)
    leaf(el, "drugadministrationroute", route)
    par = _route(dosage.parent_route, dosage.parent_route_term, sink, "G.k.4.r.11", dwhere)
    leaf(el, "drugparadministration", par)
    tags = ("reactiongestationperiod", "reactiongestationperiodunit")
    quantity(el, tags, drug.gestation_period_at_exposure, _GESTATION_UNITS, sink, "G.k.6", where)
    _indication(el, drug, sink, where)
    date_pair(el, ("drugstartdateformat", "drugstartdate"), dosage.start, sink, "G.k.4.r.4", dwhere)
    first = _time_to_onset(drug, "time_from_first_dose", sink, "G.k.9.i.3.1", where)
    quantity(
        el,
        ("drugstartperiod", "drugstartperiodunit"),
        first,
        codes.TIME_UNIT_TO_R2,
        sink,
        "G.k.9.i.3.1",
        where,
    )
    last = _time_to_onset(drug, "time_from_last_dose", sink, "G.k.9.i.3.2", where)
    quantity(
        el,
        ("druglastperiod", "druglastperiodunit"),
        last,
        codes.TIME_UNIT_TO_R2,
        sink,
        "G.k.9.i.3.2",
        where,
    )
    date_pair(el, ("drugenddateformat", "drugenddate"), dosage.end, sink, "G.k.4.r.5", dwhere)
    tags = ("drugtreatmentduration", "drugtreatmentdurationunit")
    quantity(el, tags, dosage.duration, _INTERVAL_UNITS, sink, "G.k.4.r.6", dwhere)
    leaf(el, "actiondrug", codes.ACTION_TO_R2.get(drug.action_taken) if drug.action_taken else None)
    recur, recurred = _recurrence(drug, reactions, sink, where)
    leaf(el, "drugrecurreadministration", recur)
    leaf(el, "drugadditional", drug.additional_info_text)
    if drug.additional_info_codes:
        sink.lost("G.k.10.r", where, "coded additional drug information has no R2 element")
    _substances(el, drug, sink, where)
    for reaction in recurred:
        if reaction.term is not None:
            rec = etree.SubElement(el, "drugrecurrence")
            leaf(rec, "drugrecuractionmeddraversion", reaction.term.version)
            leaf(rec, "drugrecuraction", reaction.term.code)
    _relatedness(el, drug, reactions, sink, where)


def _indication(el: Element, drug: Drug, sink: Sink, where: str) -> None:
    for index in range(1, len(drug.indications)):
        sink.lost("G.k.7.r", f"{where}.indications[{index}]", "R2 holds one indication per drug")
    if not drug.indications:
        return
    ind = drug.indications[0]
    if ind.term is not None:
        leaf(el, "drugindicationmeddraversion", ind.term.version)
        leaf(el, "drugindication", ind.term.code)
        if ind.text is not None:
            sink.lost("G.k.7.r.1", f"{where}.indications[0]", "indication text beside its code")
    else:
        leaf(el, "drugindication", plain(ind.text, sink, "G.k.7.r.1", f"{where}.indications[0]"))


def _substances(el: Element, drug: Drug, sink: Sink, where: str) -> None:
    for index, substance in enumerate(drug.substances):
        swhere = f"{where}.substances[{index}]"
        if substance.term_id is not None:
            sink.lost("G.k.2.3.r.2", swhere, "substance TermID has no R2 element")
        if substance.strength is not None:
            sink.lost("G.k.2.3.r.3", swhere, "substance strength has no R2 element")
        if substance.name is not None:
            leaf(etree.SubElement(el, "activesubstance"), "activesubstancename", substance.name)


def _relatedness(
    el: Element, drug: Drug, reactions: dict[str, Reaction], sink: Sink, where: str
) -> None:
    for index, row in enumerate(drug.reaction_assessments):
        reaction = reactions.get(row.reaction_id)
        if reaction is None:
            sink.lost("G.k.9.i.1", f"{where}.reaction_assessments[{index}]", "unknown reaction")
            continue
        for assessment in row.assessments:
            rel = etree.SubElement(el, "drugreactionrelatedness")
            if reaction.term is not None:
                leaf(rel, "drugreactionassesmeddraversion", reaction.term.version)
                leaf(rel, "drugreactionasses", reaction.term.code)
            else:
                leaf(
                    rel,
                    "drugreactionasses",
                    reaction.verbatim_translation or reaction.verbatim_native,
                )
            leaf(rel, "drugassessmentsource", assessment.source)
            leaf(rel, "drugassessmentmethod", assessment.method)
            leaf(rel, "drugresult", assessment.result)
