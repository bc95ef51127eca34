"""The four minimum criteria of a valid ICSR, and the completeness its seriousness asks:
a serious case needs outcome, onset, dose and route of the suspect drugs, the narrative and
the company's causality (blocking); a non-serious case gets warnings for the same gaps."""

from __future__ import annotations

from gateway.domain.causality import causality_pairs
from gateway.domain.codes import ReactionOutcome
from gateway.domain.icsr import ICSR
from gateway.domain.quality.context import QualityContext
from gateway.domain.quality.items import CheckItem, Severity, check_item
from gateway.domain.quality.labels import drug_label, given_date, reaction_label
from gateway.domain.validity import assess_validity


def minimum_criteria(icsr: ICSR, context: QualityContext) -> CheckItem:
    validity = assess_validity(icsr, digital_channel=context.digital_channel)
    problems = [(c.value, validity.gaps.get(c, c.value)) for c in validity.missing]
    return check_item(
        "minimum_criteria",
        "Four minimum criteria of a valid ICSR",
        Severity.BLOCKING,
        problems,
        ok="reporter, patient, suspect product and reaction are identifiable",
    )


def completeness(icsr: ICSR, serious: bool) -> list[CheckItem]:
    severity = Severity.BLOCKING if serious else Severity.WARNING
    why = "required for a serious case" if serious else "expected"
    outcome = [
        (f"reactions[{i}].outcome", f"no outcome (E.i.7) for {reaction_label(icsr, r.id)!r}")
        for i, r in enumerate(icsr.reactions)
        if r.outcome is None or r.outcome is ReactionOutcome.UNKNOWN
    ]
    onset = [
        (f"reactions[{i}].start", f"no onset date (E.i.4) for {reaction_label(icsr, r.id)!r}")
        for i, r in enumerate(icsr.reactions)
        if given_date(r.start) is None
    ]
    dose_route: list[tuple[str, str]] = []
    for i, d in enumerate(icsr.drugs):
        if not d.is_suspected:
            continue
        name = drug_label(icsr, d.id)
        if not any(x.dose is not None or (x.text or "").strip() for x in d.dosages):
            dose_route.append((f"drugs[{i}].dosages", f"no dose (G.k.4.r.1) for {name!r}"))
        if not any(x.route is not None or x.route_term is not None for x in d.dosages):
            dose_route.append(
                (f"drugs[{i}].dosages", f"no route of administration (G.k.4.r.10) for {name!r}")
            )
    narrative = (
        []
        if (icsr.narrative.case_narrative or "").strip()
        else [("narrative.case_narrative", "no case narrative (H.1)")]
    )
    causality = [
        (
            f"drugs[{icsr.drugs.index(d)}].reaction_assessments",
            f"no causality assessment (G.k.9.i.2.r) of {drug_label(icsr, d.id)!r} "
            f"for {reaction_label(icsr, rid)!r}",
        )
        for d, rid in causality_pairs(icsr)
        if (row := d.assessment_for(rid)) is None or not any(a.result for a in row.assessments)
    ]
    patient = icsr.patient
    demo: list[tuple[str, str]] = []
    if patient is None or (patient.age_at_onset is None and patient.birth_date is None):
        demo.append(("patient.age_at_onset", "no age at onset or date of birth (D.2)"))
    if patient is None or patient.sex is None:
        demo.append(("patient.sex", "no sex (D.5)"))
    return [
        check_item(
            "completeness.outcome",
            f"Reaction outcome ({why})",
            severity,
            outcome,
            ok="every reaction has an outcome",
            applicable=bool(icsr.reactions),
        ),
        check_item(
            "completeness.onset",
            f"Reaction onset date ({why})",
            severity,
            onset,
            ok="every reaction has an onset date",
            applicable=bool(icsr.reactions),
        ),
        check_item(
            "completeness.dose_route",
            f"Dose and route of the suspect drugs ({why})",
            severity,
            dose_route,
            ok="every suspect drug has a dose and a route",
            applicable=bool(icsr.suspect_drugs()),
        ),
        check_item(
            "completeness.narrative",
            f"Case narrative ({why})",
            severity,
            narrative,
            ok="the case narrative is written",
        ),
        check_item(
            "completeness.causality",
            f"Causality of each suspect drug for each event ({why})",
            severity,
            causality,
            ok="every suspect drug x event pair has a causality result",
            applicable=bool(causality_pairs(icsr)),
        ),
        check_item(
            "completeness.patient",
            "Patient age and sex",
            Severity.WARNING,
            demo,
            ok="the patient's age (or date of birth) and sex are known",
        ),
    ]
