"""Parse ``adverseEventAssessment``: D-G via the primary role, G.k.1 / G.k.9.i.2.r, H.2-H.4."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.codes import DrugRole
from gateway.domain.drug import CausalityAssessment
from gateway.domain.values import MedDRATerm
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import read_uid
from schemas.e2b_r3.parse_drug import finish_drugs
from schemas.e2b_r3.parse_patient import parse_primary_role
from schemas.e2b_r3.parse_tags import (
    ADVERSE_EFFECT_REFERENCE,
    ASSIGNED_ENTITY,
    AUTHOR,
    CAUSALITY_ASSESSMENT,
    CODE,
    COMPONENT,
    COMPONENT1,
    ID,
    METHOD_CODE,
    OBSERVATION_EVENT,
    ORIGINAL_TEXT,
    PRIMARY_ROLE,
    PRODUCT_USE_REFERENCE,
    SUBJECT1,
    SUBJECT2,
    VALUE,
)
from schemas.e2b_r3.xml import Element, Extras, first, firsts, meddra, path, text

ANCHOR = "adverseEventAssessment"


@dataclass(frozen=True, slots=True)
class Assessment:
    """What ``adverseEventAssessment`` holds: ``ICSR`` fields (D-G) and ``Narrative``
    fields (H.2-H.4); the ICSR is built once, by the caller."""

    icsr: dict[str, object]
    narrative: dict[str, object]


def parse_assessment(aea: Element, extras: Extras) -> Assessment:
    roles: dict[str, DrugRole] = {}
    causality: list[tuple[str, str, CausalityAssessment]] = []
    narrative: dict[str, object] = {}
    diagnoses: list[MedDRATerm] = []
    children = aea.getchildren()
    subject = first(aea, SUBJECT1)
    parts = parse_primary_role(first(subject, PRIMARY_ROLE), extras)
    known = {d.id for d in parts.drugs}
    for child in children:
        tag = child.tag
        if tag == COMPONENT:
            if _causality(first(child, CAUSALITY_ASSESSMENT), known, roles, causality):
                continue
        elif tag == COMPONENT1:
            if _comment(first(child, OBSERVATION_EVENT), narrative, diagnoses):
                continue
        elif child is subject or tag.__class__ is not str:
            continue
        extras.keep(ANCHOR, children, child)
    order = {r.id: i for i, r in enumerate(parts.reactions)}
    narrative["sender_diagnoses"] = tuple(diagnoses)
    return Assessment(
        icsr={
            "patient": parts.patient,
            "study": parts.study,
            "reactions": parts.reactions,
            "tests": parts.tests,
            "drugs": finish_drugs(list(parts.drugs), roles, causality, order),
        },
        narrative=narrative,
    )


def _ref_id(el: Element | None, tag: str) -> str | None:
    ident = path(el, tag, ID)
    return ident.get(b"root") if ident is not None else None


def _causality(
    ca: Element | None,
    known: set[str],
    roles: dict[str, DrugRole],
    causality: list[tuple[str, str, CausalityAssessment]],
) -> bool:
    if ca is None:
        return False
    parts = firsts(ca)
    c = parts.get(CODE)
    if c is None or c.get(b"codeSystem") != oids.CL_OBSERVATION:
        return False
    code = c.get(b"code")
    drug_id = _ref_id(parts.get(SUBJECT2), PRODUCT_USE_REFERENCE)
    if drug_id not in known:
        return False  # points at no drug of this case: kept opaque, never guessed
    value = parts.get(VALUE)
    if code == oids.OBS_DRUG_ROLE:
        if drug_id is None or value is None or value.get(b"codeSystem") != oids.CL_DRUG_ROLE:
            return False
        roles[drug_id] = DrugRole.from_code(value.get(b"code") or "")
        return True
    if code == oids.OBS_CAUSALITY:
        reaction_id = read_uid(
            _ref_id(parts.get(SUBJECT1), ADVERSE_EFFECT_REFERENCE), "G.k.9.i.2.r"
        )
        if drug_id is None or reaction_id is None:
            return False
        if value is not None and value.get(b"code") is not None:
            return False  # coded result (regional, e.g. MFDS): keep opaque
        method = first(parts.get(METHOD_CODE), ORIGINAL_TEXT)
        source = path(parts.get(AUTHOR), ASSIGNED_ENTITY, CODE, ORIGINAL_TEXT)
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
    parts = firsts(obs)
    c = parts.get(CODE)
    if c is None or c.get(b"codeSystem") != oids.CL_OBSERVATION:
        return False
    code = c.get(b"code")
    author = path(parts.get(AUTHOR), ASSIGNED_ENTITY, CODE)
    who = author.get(b"code") if author is not None else None
    value = parts.get(VALUE)
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
