"""Parse ``adverseEventAssessment``: D-G via the primary role, G.k.1 / G.k.9.i.2.r, H.2-H.4."""

from __future__ import annotations

from gateway.domain.codes import DrugRole
from gateway.domain.drug import CausalityAssessment
from gateway.domain.icsr import ICSR
from gateway.domain.narrative import Narrative
from gateway.domain.values import MedDRATerm
from schemas.e2b_r3 import oids
from schemas.e2b_r3.parse_drug import finish_drugs
from schemas.e2b_r3.parse_patient import parse_primary_role
from schemas.e2b_r3.xml import (
    Element,
    Extras,
    child_map,
    code_in,
    first,
    kids,
    meddra,
    path,
    text,
)

ANCHOR = "adverseEventAssessment"


def parse_assessment(aea: Element, extras: Extras) -> ICSR:
    roles: dict[str, DrugRole] = {}
    causality: list[tuple[str, str, CausalityAssessment]] = []
    narrative: dict[str, object] = {}
    diagnoses: list[MedDRATerm] = []
    subject = first(aea, "subject1")
    parts = parse_primary_role(first(subject, "primaryRole"), extras)
    known = {d.id for d in parts.drugs}
    for tag, child in kids(aea):
        if tag == "subject1" and child is subject:
            continue
        if tag == "component":
            ca = first(child, "causalityAssessment")
            if _causality(ca, known, roles, causality):
                continue
        elif tag == "component1":
            obs = first(child, "observationEvent")
            if _comment(obs, narrative, diagnoses):
                continue
        extras.keep(ANCHOR, aea, child)
    order = {r.id: i for i, r in enumerate(parts.reactions)}
    drugs = finish_drugs(parts.drugs, roles, causality, order)
    return ICSR(
        patient=parts.patient,
        study=parts.study,
        reactions=parts.reactions,
        tests=parts.tests,
        drugs=drugs,
        narrative=Narrative(sender_diagnoses=tuple(diagnoses), **narrative),  # type: ignore[arg-type]
    )


def _ref_id(el: Element | None, tag: str) -> str | None:
    ident = path(el, tag, "id")
    return ident.get("root") if ident is not None else None


def _ref_id_in(parts: dict[str, Element], rel: str, tag: str) -> str | None:
    """``_ref_id(first(el, rel), tag)`` over a ``child_map`` of ``el``."""
    return _ref_id(parts.get(rel), tag)


def _causality(
    ca: Element | None,
    known: set[str],
    roles: dict[str, DrugRole],
    causality: list[tuple[str, str, CausalityAssessment]],
) -> bool:
    if ca is None:
        return False
    parts = child_map(ca)
    code, system = code_in(parts)
    if system != oids.CL_OBSERVATION:
        return False
    drug_id = _ref_id_in(parts, "subject2", "productUseReference")
    if drug_id not in known:
        return False  # points at no drug of this case: kept opaque, never guessed
    value = parts.get("value")
    if code == oids.OBS_DRUG_ROLE:
        if drug_id is None or value is None or value.get("codeSystem") != oids.CL_DRUG_ROLE:
            return False
        roles[drug_id] = DrugRole.from_code(value.get("code") or "")
        return True
    if code == oids.OBS_CAUSALITY:
        reaction_id = _ref_id_in(parts, "subject1", "adverseEffectReference")
        if drug_id is None or reaction_id is None:
            return False
        if value is not None and value.get("code") is not None:
            return False  # coded result (regional, e.g. MFDS): keep opaque
        method = path(parts.get("methodCode"), "originalText")
        source = path(parts.get("author"), "assignedEntity", "code", "originalText")
        causality.append(
            (
                drug_id,
                reaction_id,
                CausalityAssessment(source=text(source), method=text(method), result=text(value)),
            )
        )
        return True
    return False


def _comment(
    obs: Element | None, narrative: dict[str, object], diagnoses: list[MedDRATerm]
) -> bool:
    if obs is None:
        return False
    parts = child_map(obs)
    code, system = code_in(parts)
    if system != oids.CL_OBSERVATION:
        return False
    author = path(parts.get("author"), "assignedEntity", "code")
    who = author.get("code") if author is not None else None
    value = parts.get("value")
    if code == oids.OBS_COMMENT and who == oids.AUTHOR_REPORTER:
        narrative["reporter_comments"] = text(value)
    elif code == oids.OBS_COMMENT and who == oids.AUTHOR_SENDER:
        narrative["sender_comments"] = text(value)
    elif code == oids.OBS_DIAGNOSIS and who == oids.AUTHOR_SENDER:
        term = meddra(value)
        if term is None:
            return False
        diagnoses.append(term)
    else:
        return False
    return True
