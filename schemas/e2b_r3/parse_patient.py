"""Parse the primary role: D (patient, parent), C.5 (study), and dispatch E, F, G."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.codes import AgeGroup, Sex, StudyType
from gateway.domain.drug import Drug
from gateway.domain.lab_test import LabTest
from gateway.domain.patient import (
    CauseOfDeath,
    Death,
    MedicalHistoryEpisode,
    Parent,
    PastDrug,
    Patient,
)
from gateway.domain.reaction import Reaction
from gateway.domain.report import Study, StudyRegistration
from gateway.domain.values import Coded, Nullable
from schemas.e2b_r3 import oids
from schemas.e2b_r3.parse_drug import parse_drug
from schemas.e2b_r3.parse_reaction import parse_reaction, parse_test
from schemas.e2b_r3.xml import (
    E2BR3Error,
    Element,
    Extras,
    attr_or_nf,
    bl,
    child_map,
    code_in,
    code_of,
    first,
    kids,
    meddra,
    null_flavor,
    path,
    pq,
    str_or_nf,
    text,
    ts,
)

ANCHOR = "primaryRole"


@dataclass(frozen=True, slots=True)
class RoleParts:
    patient: Patient | None
    study: Study | None
    reactions: tuple[Reaction, ...]
    tests: tuple[LabTest, ...]
    drugs: tuple[Drug, ...]


def parse_primary_role(role: Element | None, extras: Extras) -> RoleParts:
    if role is None:
        return RoleParts(None, None, (), (), ())
    pat: dict[str, object] = {}
    study: Study | None = None
    reactions: list[Reaction] = []
    tests: list[LabTest] = []
    drugs: list[Drug] = []
    causes: list[CauseOfDeath] = []
    autopsy: dict[str, object] = {}
    seen: dict[str, int] = {}
    for tag, child in kids(role):
        if tag == "player1":
            _player(child, pat, extras)
        elif tag == "subjectOf1" and study is None and first(child, "researchStudy") is not None:
            study = _study(first(child, "researchStudy"), extras)
        elif tag == "subjectOf2":
            inner = child_map(child)
            obs = inner.get("observation")
            org = inner.get("organizer")
            if obs is not None:
                parts = child_map(obs)
                code, system = code_in(parts)
                if system == oids.CL_OBSERVATION and code == oids.OBS_REACTION:
                    reactions.append(parse_reaction(obs, len(reactions), extras, seen))
                    continue
                if system == oids.CL_OBSERVATION and code == oids.OBS_REPORTED_CAUSE:
                    causes.append(_cause(obs))
                    continue
                if system == oids.CL_OBSERVATION and code == oids.OBS_AUTOPSY:
                    autopsy["autopsy_done"] = bl(parts.get("value"))
                    autopsy["autopsy_causes"] = tuple(
                        _cause(o)
                        for o in obs.iterfind(
                            "{urn:hl7-org:v3}outboundRelationship2/{urn:hl7-org:v3}observation"
                        )
                        if code_of(o) == (oids.OBS_AUTOPSY_CAUSE, oids.CL_OBSERVATION)
                    )
                    continue
                if _vital_in(parts, pat):
                    continue
            elif org is not None:
                code, system = code_of(org)
                if system == oids.CL_ORGANIZER:
                    if code == oids.ORG_MEDICAL_HISTORY:
                        _history(org, pat, patient=True)
                        continue
                    if code == oids.ORG_DRUG_HISTORY:
                        pat["past_drugs"] = _past_drugs(org)
                        continue
                    if code == oids.ORG_TESTS:
                        tests.extend(
                            parse_test(o)
                            for _, comp in kids(org)
                            if (o := first(comp, "observation")) is not None
                        )
                        continue
                    if code == oids.ORG_DRUGS:
                        for _, comp in kids(org):
                            sa = first(comp, "substanceAdministration")
                            if sa is not None:
                                drugs.append(parse_drug(sa, len(drugs), extras, seen))
                        continue
            extras.keep(ANCHOR, role, child)
        else:
            extras.keep(ANCHOR, role, child)
    if "age" in pat:
        pat["age_at_onset"] = pat.pop("age")
    death_date = pat.pop("death_date", None)
    if death_date is not None or causes or autopsy:
        pat["death"] = Death(
            date=death_date,  # type: ignore[arg-type]
            reported_causes=tuple(causes),
            **autopsy,  # type: ignore[arg-type]
        )
    try:
        patient = Patient(**pat)  # type: ignore[arg-type]
    except ValueError as exc:
        raise E2BR3Error(f"D: {exc}") from None
    return RoleParts(patient, study, tuple(reactions), tuple(tests), tuple(drugs))


_RECORD_FIELDS = {
    oids.GP_RECORD: "gp_record_number",
    oids.SPECIALIST_RECORD: "specialist_record_number",
    oids.HOSPITAL_RECORD: "hospital_record_number",
    oids.INVESTIGATION_NUMBER: "investigation_number",
}


def _sex(el: Element | None) -> Nullable[Sex] | None:
    if el is None:
        return None
    nf = null_flavor(el)
    return nf if nf is not None else Sex.from_code(el.get("code") or "")


def _player(person: Element, pat: dict[str, object], extras: Extras) -> None:
    for tag, child in kids(person):
        if tag == "name":
            pat["name_or_initials"] = str_or_nf(child)
        elif tag == "administrativeGenderCode":
            pat["sex"] = _sex(child)
        elif tag == "birthTime":
            pat["birth_date"] = ts(child)
        elif tag == "deceasedTime":
            pat["death_date"] = ts(child)
        elif tag == "asIdentifiedEntity":
            ident = first(child, "id")
            key = _RECORD_FIELDS.get(ident.get("root") if ident is not None else "")
            if key is None:
                extras.keep("patient", person, child)
                continue
            pat[key] = attr_or_nf(ident, "extension")
        elif tag == "role" and code_of(child)[0] == "PAR":
            pat["parent"] = _parent(child, extras)
        else:
            extras.keep("patient", person, child)


def _vital(obs: Element, fields: dict[str, object]) -> bool:
    """D.2.2, D.2.2.1, D.2.3, D.3, D.4, D.6 (and D.10.x of the parent)."""
    return _vital_in(child_map(obs), fields)


def _vital_in(parts: dict[str, Element], fields: dict[str, object]) -> bool:
    """``_vital`` over the ``child_map`` of the observation."""
    code, system = code_in(parts)
    if system != oids.CL_OBSERVATION:
        return False
    value = parts.get("value")
    if code == oids.OBS_AGE:
        fields["age"] = pq(value)
    elif code == oids.OBS_GESTATION:
        fields["gestation_period_at_onset"] = pq(value)
    elif code == oids.OBS_AGE_GROUP and value is not None:
        fields["age_group"] = AgeGroup.from_code(value.get("code") or "")
    elif code == oids.OBS_WEIGHT:
        q = pq(value)
        fields["weight_kg"] = q.value if q is not None else None
    elif code == oids.OBS_HEIGHT:
        q = pq(value)
        fields["height_cm"] = q.value if q is not None else None
    elif code == oids.OBS_LMP:
        fields["last_menstrual_period"] = ts(value)
    else:
        return False
    return True


def _cause(obs: Element) -> CauseOfDeath:
    value = first(obs, "value")
    return CauseOfDeath(term=meddra(value), text=text(first(value, "originalText")))


def _history(org: Element, fields: dict[str, object], *, patient: bool) -> None:
    episodes: list[MedicalHistoryEpisode] = []
    for _, comp in kids(org):
        obs = first(comp, "observation")
        if obs is None:
            continue
        parts = child_map(obs)
        c = parts.get("code")
        code, system = (c.get("code"), c.get("codeSystem")) if c is not None else (None, None)
        value = parts.get("value")
        if system == oids.CL_OBSERVATION and code == oids.OBS_HISTORY_TEXT:
            fields["medical_history_text"] = str_or_nf(value) if patient else text(value)
        elif system == oids.CL_OBSERVATION and code == oids.OBS_CONCOMITANT_THERAPY:
            fields["concomitant_therapies"] = True if bl(value) is True else None
        elif system == oids.MEDDRA:
            episodes.append(_episode(obs, c, parts))
    fields["medical_history"] = tuple(episodes)


def _episode(obs: Element, c: Element, parts: dict[str, Element]) -> MedicalHistoryEpisode:
    eff = child_map(parts.get("effectiveTime"))
    ep: dict[str, object] = {
        "condition": meddra(c),
        "start": ts(eff.get("low")),
        "end": ts(eff.get("high")),
    }
    for tag, rel in kids(obs):
        if tag not in ("outboundRelationship2", "inboundRelationship"):
            continue
        sub = child_map(first(rel, "observation"))
        code, system = code_in(sub)
        if system != oids.CL_OBSERVATION:
            continue
        value = sub.get("value")
        if code == oids.OBS_COMMENT:
            ep["comments"] = text(value)
        elif code == oids.OBS_FAMILY_HISTORY:
            ep["family_history"] = True if bl(value) is True else None
        elif code == oids.OBS_CONTINUING:
            ep["continuing"] = bl(value)
    return MedicalHistoryEpisode(**ep)  # type: ignore[arg-type]


def _product_code(kind: Element | None) -> Coded | None:
    c = first(kind, "code")
    if c is None or not c.get("code"):
        return None
    return Coded(code=c.get("code"), system=c.get("codeSystem"), version=c.get("codeSystemVersion"))


def _past_drugs(org: Element) -> tuple[PastDrug, ...]:
    out: list[PastDrug] = []
    for _, comp in kids(org):
        sa = first(comp, "substanceAdministration")
        if sa is None:
            continue
        parts = child_map(sa)
        eff = child_map(parts.get("effectiveTime"))
        kind = path(parts.get("consumable"), "instanceOfKind", "kindOfProduct")
        fields: dict[str, object] = {
            "name": str_or_nf(first(kind, "name")),
            "mpid": _product_code(kind),
            "start": ts(eff.get("low")),
            "end": ts(eff.get("high")),
        }
        for _, rel in kids(sa):
            sub = first(rel, "observation")
            code, system = code_of(sub)
            if system == oids.CL_OBSERVATION and code == oids.OBS_INDICATION:
                fields["indication"] = meddra(first(sub, "value"))
            elif system == oids.CL_OBSERVATION and code == oids.OBS_REACTION:
                fields["reaction"] = meddra(first(sub, "value"))
        out.append(PastDrug(**fields))  # type: ignore[arg-type]
    return tuple(out)


def _parent(role: Element, extras: Extras) -> Parent:
    fields: dict[str, object] = {}
    for tag, child in kids(role):
        if tag == "code":
            continue
        if tag == "associatedPerson":
            for ptag, part in kids(child):
                if ptag == "name":
                    fields["identification"] = str_or_nf(part)
                elif ptag == "administrativeGenderCode":
                    fields["sex"] = _sex(part)
                elif ptag == "birthTime":
                    fields["birth_date"] = ts(part)
                else:
                    extras.keep("parent:person", child, part)
        elif tag == "subjectOf2":
            obs = first(child, "observation")
            org = first(child, "organizer")
            if obs is not None and _vital(obs, fields):
                continue
            code, system = code_of(org)
            if org is not None and system == oids.CL_ORGANIZER and code == oids.ORG_MEDICAL_HISTORY:
                _history(org, fields, patient=False)
                continue
            if org is not None and system == oids.CL_ORGANIZER and code == oids.ORG_DRUG_HISTORY:
                fields["past_drugs"] = _past_drugs(org)
                continue
            extras.keep("parent", role, child)
        else:
            extras.keep("parent", role, child)
    fields.pop("gestation_period_at_onset", None)
    fields.pop("age_group", None)
    return Parent(**fields)  # type: ignore[arg-type]


def _study(rs: Element, extras: Extras) -> Study:
    fields: dict[str, object] = {}
    regs: list[StudyRegistration] = []
    for tag, child in kids(rs):
        if tag == "id" and child.get("root") == oids.SPONSOR_STUDY_NUMBER:
            fields["sponsor_study_number"] = attr_or_nf(child, "extension")
        elif (
            tag == "id" and null_flavor(child) is not None and "sponsor_study_number" not in fields
        ):
            fields["sponsor_study_number"] = null_flavor(child)
        elif tag == "code" and child.get("codeSystem") == oids.CL_STUDY_TYPE:
            fields["study_type"] = StudyType.from_code(child.get("code") or "")
        elif tag == "title":
            fields["name"] = str_or_nf(child)
        elif tag == "authorization":
            reg = first(child, "studyRegistration")
            ident = first(reg, "id")
            root = ident.get("root") if ident is not None else None
            if ident is None or root not in (oids.STUDY_REGISTRATION, None):
                extras.keep("study", rs, child)
                continue
            place = path(reg, "author", "territorialAuthority", "governingPlace", "code")
            regs.append(
                StudyRegistration(
                    number=attr_or_nf(ident, "extension"), country=attr_or_nf(place, "code")
                )
            )
        else:
            extras.keep("study", rs, child)
    return Study(registrations=tuple(regs), **fields)  # type: ignore[arg-type]
