"""The adverseEventAssessment written as text: drug roles (G.k.1), causality
(G.k.9.i.2.r) and the reporter's and sender's comments and diagnoses (H.2-H.4)."""

from __future__ import annotations

from gateway.domain.drug import Drug
from gateway.domain.icsr import ICSR
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import uid
from schemas.e2b_r3.write_datatypes import (
    _AUTHOR_CLOSE,
    _AUTHOR_OPEN,
    _author_code,
    _enum_code,
    _kids_el,
    _meddra_attrs,
)
from schemas.e2b_r3.write_escape import attr, text
from schemas.e2b_r3.write_primary_role import _primary_role
from schemas.e2b_r3.write_regional import Placer


def _assessment(icsr: ICSR, placer: Placer) -> str:
    k = [f'<subject1 typeCode="SBJ">{_primary_role(icsr, placer)}</subject1>']
    _causality(k, icsr.drugs)
    narrative = icsr.narrative
    if narrative.reporter_comments is not None:
        value = f'<value xsi:type="ED">{text(narrative.reporter_comments)}</value>'
        k.append(_comment(oids.OBS_COMMENT, value + _author_code(oids.AUTHOR_REPORTER)))
    for term in narrative.sender_diagnoses:
        value = f"<value{_meddra_attrs(term)}/>"
        k.append(_comment(oids.OBS_DIAGNOSIS, value + _author_code(oids.AUTHOR_SENDER)))
    if narrative.sender_comments is not None:
        value = f'<value xsi:type="ED">{text(narrative.sender_comments)}</value>'
        k.append(_comment(oids.OBS_COMMENT, value + _author_code(oids.AUTHOR_SENDER)))
    k = placer.place("adverseEventAssessment", k)
    return _kids_el("adverseEventAssessment", ' classCode="INVSTG" moodCode="EVN"', k)


def _comment(code: str, inner: str) -> str:
    return (
        '<component1 typeCode="COMP"><observationEvent classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}'
        "</observationEvent></component1>"
    )


def _reference(rel: str, tag: str, root: str, class_code: str) -> str:
    return (
        f'<{rel} typeCode="SUBJ"><{tag} classCode="{class_code}" moodCode="EVN">'
        f'<id root="{attr(root)}"/></{tag}></{rel}>'
    )


def _causality_el(code: str, inner: str) -> str:
    return (
        '<component typeCode="COMP"><causalityAssessment classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}'
        "</causalityAssessment></component>"
    )


def _causality(k: list[str], drugs: tuple[Drug, ...]) -> None:
    for d in drugs:
        if d.role is None:
            continue
        value = _enum_code("value", d.role.code, oids.CL_DRUG_ROLE, xsi_type="CE")
        ref = _reference("subject2", "productUseReference", uid(d.id), "SBADM")
        k.append(_causality_el(oids.OBS_DRUG_ROLE, value + ref))
    for d in drugs:
        for row in d.reaction_assessments:
            for a in row.assessments:
                inner = ""
                if a.result is not None:
                    inner += f'<value xsi:type="ST">{text(a.result)}</value>'
                if a.method is not None:
                    inner += (
                        f"<methodCode><originalText>{text(a.method)}</originalText></methodCode>"
                    )
                if a.source is not None:
                    inner += (
                        f"{_AUTHOR_OPEN}<code><originalText>{text(a.source)}</originalText></code>"
                        f"{_AUTHOR_CLOSE}"
                    )
                inner += _reference(
                    "subject1", "adverseEffectReference", uid(row.reaction_id), "OBS"
                )
                inner += _reference("subject2", "productUseReference", uid(d.id), "SBADM")
                k.append(_causality_el(oids.OBS_CAUSALITY, inner))
