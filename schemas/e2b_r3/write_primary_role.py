"""The primaryRole written as text: the patient (D) with the study (C.5) and the
reaction (E), test (F) and drug (G) containers."""

from __future__ import annotations

from gateway.domain.icsr import ICSR
from gateway.domain.patient import Patient
from schemas.e2b_r3 import oids
from schemas.e2b_r3.write_datatypes import _bl, _kids_el, _obs
from schemas.e2b_r3.write_drug import _drug
from schemas.e2b_r3.write_lab_tests import _test
from schemas.e2b_r3.write_patient import (
    _cause,
    _history,
    _organizer,
    _past_drugs,
    _player,
    _subject_obs,
    _vitals,
)
from schemas.e2b_r3.write_reaction import _reaction
from schemas.e2b_r3.write_regional import Placer
from schemas.e2b_r3.write_study import _study


def _primary_role(icsr: ICSR, placer: Placer) -> str:
    patient = icsr.patient or Patient()
    k = [_player(patient, placer)]
    if icsr.study is not None:
        k.append(f'<subjectOf1 typeCode="SBJ">{_study(icsr.study, placer)}</subjectOf1>')
    _vitals(
        k,
        age=patient.age_at_onset,
        gestation=patient.gestation_period_at_onset,
        age_group=patient.age_group,
        weight=patient.weight_kg,
        height=patient.height_cm,
        lmp=patient.last_menstrual_period,
    )
    k.append(
        _history(
            patient.medical_history, patient.medical_history_text, patient.concomitant_therapies
        )
    )
    k.append(_past_drugs(patient.past_drugs))
    death = patient.death
    if death is not None:
        for cause in death.reported_causes:
            k.append(_subject_obs(oids.OBS_REPORTED_CAUSE, _cause(cause)))
        if death.autopsy_done is not None or death.autopsy_causes:
            inner = _bl("value", death.autopsy_done) if death.autopsy_done is not None else ""
            for cause in death.autopsy_causes:
                inner += _obs(
                    "outboundRelationship2", "DRIV", oids.OBS_AUTOPSY_CAUSE, _cause(cause)
                )
            k.append(_subject_obs(oids.OBS_AUTOPSY, inner))
    seen: dict[str, int] = {}
    for reaction in icsr.reactions:
        k.append(f'<subjectOf2 typeCode="SBJ">{_reaction(reaction, placer, seen)}</subjectOf2>')
    if icsr.tests:
        comps = "".join(f'<component typeCode="COMP">{_test(t)}</component>' for t in icsr.tests)
        k.append(_organizer(oids.ORG_TESTS, comps))
    if icsr.drugs:
        comps = "".join(
            f'<component typeCode="COMP">{_drug(d, placer, seen)}</component>' for d in icsr.drugs
        )
        k.append(_organizer(oids.ORG_DRUGS, comps))
    k = placer.place("primaryRole", k)
    return _kids_el("primaryRole", ' classCode="INVSBJ"', k)
