"""The study identification (C.5) written as text."""

from __future__ import annotations

from gateway.domain.report import Study
from gateway.domain.values import NullFlavor
from schemas.e2b_r3 import oids
from schemas.e2b_r3.write_datatypes import _code, _el, _enum_code, _kids_el, _nullable_text
from schemas.e2b_r3.write_escape import attr
from schemas.e2b_r3.write_regional import Placer

_ACT_EVN = ' classCode="ACT" moodCode="EVN"'


_STUDY_NUMBER = oids.SPONSOR_STUDY_NUMBER


def _study(study: Study, placer: Placer) -> str:
    k = []
    number = study.sponsor_study_number
    if isinstance(number, NullFlavor):
        k.append(f'<id nullFlavor="{number.value}" root="{_STUDY_NUMBER}"/>')
    elif number is not None:
        k.append(f'<id extension="{attr(number)}" root="{_STUDY_NUMBER}"/>')
    if study.study_type is not None:
        k.append(_enum_code("code", study.study_type.code, oids.CL_STUDY_TYPE))
    k.append(_nullable_text("title", study.name))
    for reg in study.registrations:
        inner = ""
        if isinstance(reg.number, NullFlavor):
            inner = f'<id nullFlavor="{reg.number.value}" root="{oids.STUDY_REGISTRATION}"/>'
        elif reg.number is not None:
            inner = f'<id extension="{attr(reg.number)}" root="{oids.STUDY_REGISTRATION}"/>'
        if reg.country is not None:
            if isinstance(reg.country, NullFlavor):
                code = f'<code nullFlavor="{reg.country.value}"/>'
            else:
                code = _code("code", reg.country, oids.COUNTRY)
            inner += (
                '<author typeCode="AUT"><territorialAuthority classCode="TERR">'
                f'<governingPlace classCode="COUNTRY" determinerCode="INSTANCE">{code}'
                "</governingPlace></territorialAuthority></author>"
            )
        k.append(
            f'<authorization typeCode="AUTH">'
            f"{_el('studyRegistration', _ACT_EVN, inner)}"
            "</authorization>"
        )
    k = placer.place("study", k)
    return _kids_el("researchStudy", ' classCode="CLNTRL" moodCode="EVN"', k)
