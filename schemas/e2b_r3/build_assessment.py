"""Build ``adverseEventAssessment``: primary role (C.5, D-G), G.k.1, G.k.9.i.2.r, H.2-H.4."""

from __future__ import annotations

from gateway.domain.icsr import ICSR
from schemas.e2b_r3 import oids
from schemas.e2b_r3.build_drug import build_causality
from schemas.e2b_r3.build_patient import build_primary_role
from schemas.e2b_r3.xml import XSI_TYPE, Element, Placer, sub, sub_code, sub_meddra, sub_text


def build_assessment(parent: Element, icsr: ICSR, placer: Placer) -> Element:
    aea = sub(parent, "adverseEventAssessment", {"classCode": "INVSTG", "moodCode": "EVN"})
    subject = sub(aea, "subject1", {"typeCode": "SBJ"})
    build_primary_role(subject, icsr, placer)
    build_causality(aea, icsr.drugs)
    narrative = icsr.narrative
    if narrative.reporter_comments is not None:
        obs = _comment(aea, oids.OBS_COMMENT)
        sub_text(obs, "value", narrative.reporter_comments, {XSI_TYPE: "ED"})
        _author(obs, oids.AUTHOR_REPORTER)
    for term in narrative.sender_diagnoses:
        obs = _comment(aea, oids.OBS_DIAGNOSIS)
        sub_meddra(obs, "value", term)
        _author(obs, oids.AUTHOR_SENDER)
    if narrative.sender_comments is not None:
        obs = _comment(aea, oids.OBS_COMMENT)
        sub_text(obs, "value", narrative.sender_comments, {XSI_TYPE: "ED"})
        _author(obs, oids.AUTHOR_SENDER)
    placer.place("adverseEventAssessment", aea)
    return aea


def _comment(aea: Element, code: str) -> Element:
    comp = sub(aea, "component1", {"typeCode": "COMP"})
    obs = sub(comp, "observationEvent", {"classCode": "OBS", "moodCode": "EVN"})
    sub_code(obs, "code", code, oids.CL_OBSERVATION)
    return obs


def _author(obs: Element, author_code: str) -> None:
    author = sub(obs, "author", {"typeCode": "AUT"})
    entity = sub(author, "assignedEntity", {"classCode": "ASSIGNED"})
    sub_code(entity, "code", author_code, oids.CL_AUTHOR)
