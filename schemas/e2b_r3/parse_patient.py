"""Parse the primary role: D (patient, parent), C.5 (study), and dispatch E, F, G."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.codes import AgeGroup, Sex, StudyType
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
from schemas.e2b_r3.parse_drug import DrugParts, parse_drug
from schemas.e2b_r3.parse_reaction import parse_reaction, parse_test
from schemas.e2b_r3.parse_tags import (
    ADMINISTRATIVE_GENDER_CODE,
    AS_IDENTIFIED_ENTITY,
    ASSOCIATED_PERSON,
    AUTHOR,
    AUTHORIZATION,
    BIRTH_TIME,
    CODE,
    CONSUMABLE,
    DECEASED_TIME,
    EFFECTIVE_TIME,
    GOVERNING_PLACE,
    HIGH,
    ID,
    INBOUND_RELATIONSHIP,
    INSTANCE_OF_KIND,
    KIND_OF_PRODUCT,
    LOW,
    NAME,
    OBSERVATION,
    ORGANIZER,
    ORIGINAL_TEXT,
    OUTBOUND_RELATIONSHIP2,
    PLAYER1,
    RESEARCH_STUDY,
    ROLE,
    STUDY_REGISTRATION,
    SUBJECT_OF1,
    SUBJECT_OF2,
    SUBSTANCE_ADMINISTRATION,
    TERRITORIAL_AUTHORITY,
    TITLE,
    VALUE,
)
from schemas.e2b_r3.xml import (
    E2BR3Error,
    Element,
    Extras,
    attr_or_nf,
    bl,
    code_in,
    code_of,
    first,
    firsts,
    firsts_of,
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
    drugs: tuple[DrugParts, ...]


def parse_primary_role(role: Element | None, extras: Extras) -> RoleParts:
    if role is None:
        return RoleParts(None, None, (), (), ())
    pat: dict[str, object] = {}
    study: Study | None = None
    reactions: list[Reaction] = []
    tests: list[LabTest] = []
    drugs: list[DrugParts] = []
    causes: list[CauseOfDeath] = []
    autopsy: dict[str, object] = {}
    seen: dict[str, int] = {}
    children = role.getchildren()
    for child in children:
        tag = child.tag
        if tag == SUBJECT_OF2:
            obs = org = None
            for inner in child.getchildren():
                itag = inner.tag
                if itag == OBSERVATION:
                    obs = obs if obs is not None else inner
                elif itag == ORGANIZER:
                    org = org if org is not None else inner
            if obs is not None:
                kids = obs.getchildren()
                parts = firsts_of(kids)
                c = parts.get(CODE)
                if c is not None and c.get(b"codeSystem") == oids.CL_OBSERVATION:
                    code = c.get(b"code")
                    if code == oids.OBS_REACTION:
                        reactions.append(parse_reaction(obs, len(reactions), extras, seen, kids))
                        continue
                    if code == oids.OBS_REPORTED_CAUSE:
                        causes.append(_cause(obs))
                        continue
                    if code == oids.OBS_AUTOPSY:
                        autopsy["autopsy_done"] = bl(parts.get(VALUE))
                        autopsy["autopsy_causes"] = tuple(
                            _cause(o)
                            for o in obs.iterfind(
                                "{urn:hl7-org:v3}outboundRelationship2/{urn:hl7-org:v3}observation"
                            )
                            if code_of(o) == (oids.OBS_AUTOPSY_CAUSE, oids.CL_OBSERVATION)
                        )
                        continue
                    if _vital_code(code, parts.get(VALUE), pat):
                        continue
            elif org is not None:
                comps = org.getchildren()
                code, system = code_in(comps)
                if system == oids.CL_ORGANIZER:
                    if code == oids.ORG_MEDICAL_HISTORY:
                        _history(comps, pat, patient=True)
                        continue
                    if code == oids.ORG_DRUG_HISTORY:
                        pat["past_drugs"] = _past_drugs(comps)
                        continue
                    if code == oids.ORG_TESTS:
                        tests.extend(
                            parse_test(o)
                            for comp in comps
                            if comp.tag.__class__ is str
                            and (o := first(comp, OBSERVATION)) is not None
                        )
                        continue
                    if code == oids.ORG_DRUGS:
                        for comp in comps:
                            sa = first(comp, SUBSTANCE_ADMINISTRATION)
                            if sa is not None:
                                drugs.append(parse_drug(sa, len(drugs), extras, seen))
                        continue
        elif tag == PLAYER1:
            _player(child, pat, extras)
            continue
        elif tag == SUBJECT_OF1 and study is None:
            rs = first(child, RESEARCH_STUDY)
            if rs is not None:
                study = _study(rs, extras)
                continue
        elif tag.__class__ is not str:
            continue
        extras.keep(ANCHOR, children, child)
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
    return RoleParts(patient, study, tuple(reactions), tests=tuple(tests), drugs=tuple(drugs))


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
    return nf if nf is not None else Sex.from_code(el.get(b"code") or "")


def _player(person: Element, pat: dict[str, object], extras: Extras) -> None:
    children = person.getchildren()
    for child in children:
        tag = child.tag
        if tag == NAME:
            pat["name_or_initials"] = str_or_nf(child)
        elif tag == ADMINISTRATIVE_GENDER_CODE:
            pat["sex"] = _sex(child)
        elif tag == BIRTH_TIME:
            pat["birth_date"] = ts(child)
        elif tag == DECEASED_TIME:
            pat["death_date"] = ts(child)
        elif tag == AS_IDENTIFIED_ENTITY:
            ident = first(child, ID)
            key = _RECORD_FIELDS.get(ident.get(b"root") if ident is not None else "")
            if key is None:
                extras.keep("patient", children, child)
                continue
            pat[key] = attr_or_nf(ident, b"extension")
        elif tag == ROLE and code_of(child)[0] == "PAR":
            pat["parent"] = _parent(child, extras)
        elif tag.__class__ is str:
            extras.keep("patient", children, child)


def _vital(obs: Element, fields: dict[str, object]) -> bool:
    """D.2.2, D.2.2.1, D.2.3, D.3, D.4, D.6 (and D.10.x of the parent)."""
    parts = firsts(obs)
    c = parts.get(CODE)
    if c is None or c.get(b"codeSystem") != oids.CL_OBSERVATION:
        return False
    return _vital_code(c.get(b"code"), parts.get(VALUE), fields)


def _vital_code(code: str | None, value: Element | None, fields: dict[str, object]) -> bool:
    """``_vital`` once the observation's code (of the ICH observation list) is known."""
    if code == oids.OBS_AGE:
        fields["age"] = pq(value)
    elif code == oids.OBS_GESTATION:
        fields["gestation_period_at_onset"] = pq(value)
    elif code == oids.OBS_AGE_GROUP and value is not None:
        fields["age_group"] = AgeGroup.from_code(value.get(b"code") or "")
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
    value = first(obs, VALUE)
    return CauseOfDeath(term=meddra(value), text=text(first(value, ORIGINAL_TEXT)))


def _history(comps: list[Element], fields: dict[str, object], *, patient: bool) -> None:
    """D.7 (D.10.7) from the children of its ``organizer``."""
    episodes: list[MedicalHistoryEpisode] = []
    for comp in comps:
        obs = first(comp, OBSERVATION)
        if obs is None:
            continue
        parts = firsts(obs)
        c = parts.get(CODE)
        code, system = (c.get(b"code"), c.get(b"codeSystem")) if c is not None else (None, None)
        value = parts.get(VALUE)
        if system == oids.CL_OBSERVATION and code == oids.OBS_HISTORY_TEXT:
            fields["medical_history_text"] = str_or_nf(value) if patient else text(value)
        elif system == oids.CL_OBSERVATION and code == oids.OBS_CONCOMITANT_THERAPY:
            fields["concomitant_therapies"] = True if bl(value) is True else None
        elif system == oids.MEDDRA:
            episodes.append(_episode(obs, c, parts))
    fields["medical_history"] = tuple(episodes)


def _episode(obs: Element, c: Element, parts: dict[object, Element]) -> MedicalHistoryEpisode:
    eff = firsts(parts.get(EFFECTIVE_TIME))
    ep: dict[str, object] = {
        "condition": meddra(c),
        "start": ts(eff.get(LOW)),
        "end": ts(eff.get(HIGH)),
    }
    for rel in obs.getchildren():
        tag = rel.tag
        if tag != OUTBOUND_RELATIONSHIP2 and tag != INBOUND_RELATIONSHIP:
            continue
        sub = firsts(first(rel, OBSERVATION))
        code, system = _code_in(sub)
        if system != oids.CL_OBSERVATION:
            continue
        value = sub.get(VALUE)
        if code == oids.OBS_COMMENT:
            ep["comments"] = text(value)
        elif code == oids.OBS_FAMILY_HISTORY:
            ep["family_history"] = True if bl(value) is True else None
        elif code == oids.OBS_CONTINUING:
            ep["continuing"] = bl(value)
    return MedicalHistoryEpisode(**ep)  # type: ignore[arg-type]


def _code_in(parts: dict[object, Element]) -> tuple[str | None, str | None]:
    c = parts.get(CODE)
    if c is None:
        return None, None
    return c.get(b"code"), c.get(b"codeSystem")


def _product_code(c: Element | None) -> Coded | None:
    """D.8.r.2 from the product's ``code``."""
    if c is None or not c.get(b"code"):
        return None
    return Coded(
        code=c.get(b"code"), system=c.get(b"codeSystem"), version=c.get(b"codeSystemVersion")
    )


def _past_drugs(comps: list[Element]) -> tuple[PastDrug, ...]:
    """D.8.r (D.10.8.r) from the children of its ``organizer``."""
    out: list[PastDrug] = []
    for comp in comps:
        sa = first(comp, SUBSTANCE_ADMINISTRATION)
        if sa is None:
            continue
        rels = sa.getchildren()
        parts = firsts_of(rels)
        eff = firsts(parts.get(EFFECTIVE_TIME))
        kind = firsts(path(parts.get(CONSUMABLE), INSTANCE_OF_KIND, KIND_OF_PRODUCT))
        fields: dict[str, object] = {
            "name": str_or_nf(kind.get(NAME)),
            "mpid": _product_code(kind.get(CODE)),
            "start": ts(eff.get(LOW)),
            "end": ts(eff.get(HIGH)),
        }
        for rel in rels:
            if rel.tag.__class__ is not str:
                continue
            obs = firsts(first(rel, OBSERVATION))
            code, system = _code_in(obs)
            if system == oids.CL_OBSERVATION and code == oids.OBS_INDICATION:
                fields["indication"] = meddra(obs.get(VALUE))
            elif system == oids.CL_OBSERVATION and code == oids.OBS_REACTION:
                fields["reaction"] = meddra(obs.get(VALUE))
        out.append(PastDrug(**fields))  # type: ignore[arg-type]
    return tuple(out)


def _parent(role: Element, extras: Extras) -> Parent:
    fields: dict[str, object] = {}
    children = role.getchildren()
    for child in children:
        tag = child.tag
        if tag == CODE or tag.__class__ is not str:
            continue
        if tag == ASSOCIATED_PERSON:
            parts = child.getchildren()
            for part in parts:
                ptag = part.tag
                if ptag == NAME:
                    fields["identification"] = str_or_nf(part)
                elif ptag == ADMINISTRATIVE_GENDER_CODE:
                    fields["sex"] = _sex(part)
                elif ptag == BIRTH_TIME:
                    fields["birth_date"] = ts(part)
                elif ptag.__class__ is str:
                    extras.keep("parent:person", parts, part)
        elif tag == SUBJECT_OF2:
            obs = first(child, OBSERVATION)
            org = first(child, ORGANIZER)
            if obs is not None and _vital(obs, fields):
                continue
            comps = org.getchildren() if org is not None else []
            code, system = code_in(comps)
            if org is not None and system == oids.CL_ORGANIZER and code == oids.ORG_MEDICAL_HISTORY:
                _history(comps, fields, patient=False)
                continue
            if org is not None and system == oids.CL_ORGANIZER and code == oids.ORG_DRUG_HISTORY:
                fields["past_drugs"] = _past_drugs(comps)
                continue
            extras.keep("parent", children, child)
        else:
            extras.keep("parent", children, child)
    fields.pop("gestation_period_at_onset", None)
    fields.pop("age_group", None)
    return Parent(**fields)  # type: ignore[arg-type]


def _study(rs: Element, extras: Extras) -> Study:
    fields: dict[str, object] = {}
    regs: list[StudyRegistration] = []
    children = rs.getchildren()
    for child in children:
        tag = child.tag
        if tag == ID and child.get(b"root") == oids.SPONSOR_STUDY_NUMBER:
            fields["sponsor_study_number"] = attr_or_nf(child, b"extension")
        elif tag == ID and null_flavor(child) is not None and "sponsor_study_number" not in fields:
            fields["sponsor_study_number"] = null_flavor(child)
        elif tag == CODE and child.get(b"codeSystem") == oids.CL_STUDY_TYPE:
            fields["study_type"] = StudyType.from_code(child.get(b"code") or "")
        elif tag == TITLE:
            fields["name"] = str_or_nf(child)
        elif tag == AUTHORIZATION:
            reg = first(child, STUDY_REGISTRATION)
            ident = first(reg, ID)
            root = ident.get(b"root") if ident is not None else None
            if ident is None or root not in (oids.STUDY_REGISTRATION, None):
                extras.keep("study", children, child)
                continue
            place = path(reg, AUTHOR, TERRITORIAL_AUTHORITY, GOVERNING_PLACE, CODE)
            regs.append(
                StudyRegistration(
                    number=attr_or_nf(ident, b"extension"), country=attr_or_nf(place, b"code")
                )
            )
        elif tag.__class__ is str:
            extras.keep("study", children, child)
    return Study(registrations=tuple(regs), **fields)  # type: ignore[arg-type]
