"""Reactions / events (E.i) written as text."""

from __future__ import annotations

from gateway.domain.codes import SeriousnessCriterion
from gateway.domain.reaction import Reaction
from schemas.e2b_r3 import oids
from schemas.e2b_r3.ids import anchor as make_anchor
from schemas.e2b_r3.ids import uid
from schemas.e2b_r3.write_datatypes import (
    _bl,
    _code,
    _el,
    _enum_code,
    _interval,
    _kids_el,
    _meddra_attrs,
    _obs,
)
from schemas.e2b_r3.write_escape import attr, text
from schemas.e2b_r3.write_regional import Placer

_CRITERIA = (
    SeriousnessCriterion.DEATH,
    SeriousnessCriterion.LIFE_THREATENING,
    SeriousnessCriterion.HOSPITALISATION,
    SeriousnessCriterion.DISABLING,
    SeriousnessCriterion.CONGENITAL_ANOMALY,
    SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT,
)
_CRITERION_CODES = tuple((c, c.code) for c in _CRITERIA)
_REACTION_CODE = f'<code code="{oids.OBS_REACTION}" codeSystem="{oids.CL_OBSERVATION}"/>'


def _pert(code: str, value: str) -> str:
    return _obs("outboundRelationship2", "PERT", code, value)


def _reaction(r: Reaction, placer: Placer, seen: dict[str, int]) -> str:
    k = [f'<id root="{attr(uid(r.id))}"/>', _REACTION_CODE, _interval(r.start, r.end, r.duration)]
    if r.term is not None or r.verbatim_native is not None:
        if r.term is not None:
            attrs = _meddra_attrs(r.term)
        else:
            attrs = f' xsi:type="CE" codeSystem="{oids.MEDDRA}"'
        inner = ""
        if r.verbatim_native is not None:
            lang = (
                f' language="{attr(r.verbatim_language)}"'
                if r.verbatim_language is not None
                else ""
            )
            inner = f"<originalText{lang}>{text(r.verbatim_native)}</originalText>"
        k.append(_el("value", attrs, inner))
    if r.country is not None:
        k.append(
            '<location typeCode="LOC"><locatedEntity classCode="LOCE">'
            '<locatedPlace classCode="COUNTRY" determinerCode="INSTANCE">'
            f"{_code('code', r.country, oids.COUNTRY)}</locatedPlace></locatedEntity></location>"
        )
    if r.verbatim_translation is not None:
        value = f'<value xsi:type="ED">{text(r.verbatim_translation)}</value>'
        k.append(_pert(oids.OBS_TRANSLATION, value))
    if r.term_highlighted is not None:
        code = r.term_highlighted.code
        value = _enum_code("value", code, oids.CL_TERM_HIGHLIGHTED, xsi_type="CE")
        k.append(_pert(oids.OBS_TERM_HIGHLIGHTED, value))
    flag = r.seriousness.flag
    for criterion, code in _CRITERION_CODES:
        k.append(_pert(code, _bl("value", flag(criterion))))
    if r.outcome is not None:
        value = _enum_code("value", r.outcome.code, oids.CL_OUTCOME, xsi_type="CE")
        k.append(_pert(oids.OBS_OUTCOME, value))
    if r.medically_confirmed is not None:
        k.append(_pert(oids.OBS_MEDICAL_CONFIRMATION, _bl("value", r.medically_confirmed)))
    k = placer.place(make_anchor("reaction", r.id, seen), k)
    return _kids_el("observation", ' classCode="OBS" moodCode="EVN"', k)
