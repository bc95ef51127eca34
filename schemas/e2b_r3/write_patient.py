"""The patient (D) written as text: identification, vitals, medical history, past
drugs, causes of death, and the parent (D.10)."""

from __future__ import annotations

from decimal import Decimal

from gateway.domain.patient import CauseOfDeath, MedicalHistoryEpisode, Parent, PastDrug, Patient
from gateway.domain.values import Coded, Nullable, NullFlavor, PartialDate, Quantity
from schemas.e2b_r3 import oids
from schemas.e2b_r3.write_datatypes import (
    _KIND,
    _PERSON,
    _bl,
    _code,
    _el,
    _enum_code,
    _kids_el,
    _meddra_attrs,
    _nullable_text,
    _obs,
    _pq,
    _ts,
)
from schemas.e2b_r3.write_escape import attr, text
from schemas.e2b_r3.write_regional import Placer
from schemas.e2b_r3.xml import format_decimal

_XSI_ED = ' xsi:type="ED"'


_RECORDS = (
    ("gp_record_number", oids.GP_RECORD, "1"),
    ("specialist_record_number", oids.SPECIALIST_RECORD, "2"),
    ("hospital_record_number", oids.HOSPITAL_RECORD, "3"),
    ("investigation_number", oids.INVESTIGATION_NUMBER, "4"),
)


def _subject_obs(code: str, inner: str) -> str:
    return _obs("subjectOf2", "SBJ", code, inner)


def _organizer(code: str, inner: str) -> str:
    return (
        '<subjectOf2 typeCode="SBJ"><organizer classCode="CATEGORY" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_ORGANIZER}"/>{inner}</organizer></subjectOf2>'
    )


def _sex(sex: object) -> str:
    if isinstance(sex, NullFlavor):
        return f'<administrativeGenderCode nullFlavor="{sex.value}"/>'
    if sex is not None:
        return _enum_code("administrativeGenderCode", sex.code, oids.SEX)  # type: ignore[attr-defined]
    return ""


def _player(p: Patient, placer: Placer) -> str:
    k = [_nullable_text("name", p.name_or_initials), _sex(p.sex), _ts("birthTime", p.birth_date)]
    if p.death is not None:
        k.append(_ts("deceasedTime", p.death.date))
    for field, root, code in _RECORDS:
        value: Nullable[str] | None = getattr(p, field)
        if value is None:
            continue
        if isinstance(value, NullFlavor):
            ident = f'<id nullFlavor="{value.value}" root="{root}"/>'
        else:
            ident = f'<id extension="{attr(value)}" root="{root}"/>'
        k.append(
            f'<asIdentifiedEntity classCode="IDENT">{ident}'
            f'<code code="{code}" codeSystem="{oids.CL_RECORD_SOURCE}"/></asIdentifiedEntity>'
        )
    if p.parent is not None:
        k.append(_parent(p.parent, placer))
    k = placer.place("patient", k)
    return _kids_el("player1", _PERSON, k)


def _parent(parent: Parent, placer: Placer) -> str:
    person = [
        _nullable_text("name", parent.identification),
        _sex(parent.sex),
        _ts("birthTime", parent.birth_date),
    ]
    person = placer.place("parent:person", person)
    k = [
        f'<code code="PAR" codeSystem="{oids.HL7_ROLE_CODE}"/>',
        _kids_el("associatedPerson", _PERSON, person),
    ]
    _vitals(
        k,
        age=parent.age,
        gestation=None,
        age_group=None,
        weight=parent.weight_kg,
        height=parent.height_cm,
        lmp=parent.last_menstrual_period,
    )
    k.append(_history(parent.medical_history, parent.medical_history_text, None))
    k.append(_past_drugs(parent.past_drugs))
    k = placer.place("parent", k)
    return _kids_el("role", ' classCode="PRS"', k)


def _vitals(
    k: list[str],
    *,
    age: Quantity | None,
    gestation: Quantity | None,
    age_group: object,
    weight: Decimal | None,
    height: Decimal | None,
    lmp: Nullable[PartialDate] | None,
) -> None:
    if age is not None:
        k.append(_subject_obs(oids.OBS_AGE, _pq("value", age, "PQ")))
    if gestation is not None:
        k.append(_subject_obs(oids.OBS_GESTATION, _pq("value", gestation, "PQ")))
    if age_group is not None:
        code = age_group.code  # type: ignore[attr-defined]
        k.append(
            _subject_obs(
                oids.OBS_AGE_GROUP, _enum_code("value", code, oids.CL_AGE_GROUP, xsi_type="CE")
            )
        )
    if weight is not None:
        value = f'<value xsi:type="PQ" value="{format_decimal(weight)}" unit="kg"/>'
        k.append(_subject_obs(oids.OBS_WEIGHT, value))
    if height is not None:
        value = f'<value xsi:type="PQ" value="{format_decimal(height)}" unit="cm"/>'
        k.append(_subject_obs(oids.OBS_HEIGHT, value))
    if lmp is not None:
        k.append(_subject_obs(oids.OBS_LMP, _ts("value", lmp, "TS")))


def _span(start: Nullable[PartialDate] | None, end: Nullable[PartialDate] | None) -> str:
    if start is None and end is None:
        return ""
    return f'<effectiveTime xsi:type="IVL_TS">{_ts("low", start)}{_ts("high", end)}</effectiveTime>'


_OBS_OPEN = '<component typeCode="COMP"><observation classCode="OBS" moodCode="EVN">'
_OBS_CLOSE = "</observation></component>"


def _history(
    episodes: tuple[MedicalHistoryEpisode, ...],
    history_text: Nullable[str] | None,
    concomitant: bool | None,
) -> str:
    if not episodes and history_text is None and concomitant is None:
        return ""
    comps = []
    for ep in episodes:
        if ep.condition is not None:
            inner = f"<code{_meddra_attrs(ep.condition, None)}/>"
        else:
            inner = f'<code codeSystem="{oids.MEDDRA}"/>'
        inner += _span(ep.start, ep.end)
        if ep.comments is not None:
            value = f'<value xsi:type="ED">{text(ep.comments)}</value>'
            inner += _obs("outboundRelationship2", "COMP", oids.OBS_COMMENT, value)
        if ep.family_history is not None:
            value = _bl("value", True)
            inner += _obs("outboundRelationship2", "EXPL", oids.OBS_FAMILY_HISTORY, value)
        if ep.continuing is not None:
            value = _bl("value", ep.continuing)
            inner += _obs("inboundRelationship", "REFR", oids.OBS_CONTINUING, value)
        comps.append(f"{_OBS_OPEN}{inner}{_OBS_CLOSE}")
    if history_text is not None:
        comps.append(
            f'{_OBS_OPEN}<code code="{oids.OBS_HISTORY_TEXT}" codeSystem="{oids.CL_OBSERVATION}"/>'
            f"{_nullable_text('value', history_text, _XSI_ED)}{_OBS_CLOSE}"
        )
    if concomitant is not None:
        comps.append(
            f'{_OBS_OPEN}<code code="{oids.OBS_CONCOMITANT_THERAPY}" '
            f'codeSystem="{oids.CL_OBSERVATION}"/>{_bl("value", True)}{_OBS_CLOSE}'
        )
    return _organizer(oids.ORG_MEDICAL_HISTORY, "".join(comps))


def _product_code(code: Coded | None) -> str:
    return _code("code", code.code, code.system, code.version) if code is not None else ""


def _past_drugs(drugs: tuple[PastDrug, ...]) -> str:
    if not drugs:
        return ""
    comps = []
    for d in drugs:
        kind = _product_code(d.mpid or d.phpid) + _nullable_text("name", d.name)
        inner = (
            f'{_span(d.start, d.end)}<consumable typeCode="CSM"><instanceOfKind classCode="INST">'
            f"{_el('kindOfProduct', _KIND, kind)}</instanceOfKind></consumable>"
        )
        if d.indication is not None:
            value = f"<value{_meddra_attrs(d.indication)}/>"
            inner += _obs("outboundRelationship2", "RSON", oids.OBS_INDICATION, value)
        if d.reaction is not None:
            value = f"<value{_meddra_attrs(d.reaction)}/>"
            inner += _obs("outboundRelationship2", "CAUS", oids.OBS_REACTION, value)
        comps.append(
            '<component typeCode="COMP"><substanceAdministration classCode="SBADM" moodCode="EVN">'
            f"{inner}</substanceAdministration></component>"
        )
    return _organizer(oids.ORG_DRUG_HISTORY, "".join(comps))


def _cause(cause: CauseOfDeath) -> str:
    if cause.term is not None:
        attrs = _meddra_attrs(cause.term)
    else:
        attrs = f' xsi:type="CE" codeSystem="{oids.MEDDRA}"'
    inner = f"<originalText>{text(cause.text)}</originalText>" if cause.text is not None else ""
    return _el("value", attrs, inner)
