"""openFDA / FAERS drug events (E2B(R2) field names in JSON) → the domain ICSR.

Upstream safety databases often publish this shape. Reactions arrive as MedDRA PT names
(``reactionmeddrapt``): they are kept verbatim here and coded by the MedDRA coder later.
Values that do not fit the domain are listed in ``Mapped.not_carried``, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from gateway.domain.codes import ReportType
from gateway.domain.drug import Dosage, Drug, Indication, Substance
from gateway.domain.icsr import ICSR
from gateway.domain.narrative import Narrative
from gateway.domain.partial_date import PartialDate
from gateway.domain.patient import Death, Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource, ReportIdentification
from gateway.domain.values import Quantity
from schemas.e2b_r2 import codes as r2
from schemas.e2b_rules.countries import ISO_COUNTRIES

_SERIOUSNESS = {
    "seriousnessdeath": "death",
    "seriousnesslifethreatening": "life_threatening",
    "seriousnesshospitalization": "hospitalisation",
    "seriousnessdisabling": "disabling",
    "seriousnesscongenitalanomali": "congenital_anomaly",
    "seriousnessother": "other_medically_important",
}
_COUNTRY_NAMES = {"CANADA": "CA", "UNITED STATES": "US", "JAPAN": "JP", "CHINA": "CN"}


@dataclass(frozen=True, slots=True)
class Mapped:
    icsr: ICSR
    not_carried: tuple[str, ...]


def _text(value: object, where: str, lost: list[str]) -> str | None:
    """A JSON string or number as text; anything else (an object, a list, a boolean) is
    listed as not carried."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return str(value)
    lost.append(f"{where}: a {type(value).__name__}, not text")
    return None


def _obj(value: object, where: str, lost: list[str]) -> Mapping[str, Any]:
    """A JSON object, or an empty one (listed as not carried when something else was there)."""
    if isinstance(value, Mapping):
        return value
    if value not in (None, "", [], {}):
        lost.append(f"{where}: a {type(value).__name__}, not an object")
    return {}


def _objs(value: object, where: str, lost: list[str]) -> list[Mapping[str, Any]]:
    """The objects of a JSON list; the entries that are not objects are listed as not carried."""
    if value in (None, "", [], {}):
        return []
    if not isinstance(value, list):
        lost.append(f"{where}: a {type(value).__name__}, not a list")
        return []
    out: list[Mapping[str, Any]] = []
    for n, item in enumerate(value):
        if isinstance(item, Mapping):
            out.append(item)
        else:
            lost.append(f"{where}[{n}]: a {type(item).__name__}, not an object")
    return out


def _date(event: Mapping[str, Any], field: str, lost: list[str]) -> PartialDate | None:
    value = _text(event.get(field), field, lost)
    if value is None:
        return None
    try:
        return r2.parse_date(_text(event.get(f"{field}format"), field, lost) or "102", value)
    except ValueError:
        lost.append(f"{field}={value[:40]!r}: not a date")
        return None


def _country(value: str | None) -> str | None:
    text = (value or "").strip().upper()
    if text in ISO_COUNTRIES:
        return text
    return _COUNTRY_NAMES.get(text)


def _decimal(value: str | None, where: str, lost: list[str]) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        lost.append(f"{where}={value[:40]!r}: not a number")
        return None
    if not number.is_finite():
        lost.append(f"{where}={value[:40]!r}: not a finite number")
        return None
    return number


def _drug(n: int, d: Mapping[str, Any], lost: list[str]) -> Drug:
    where = f"patient.drug[{n}]"

    def text(field: str) -> str | None:
        return _text(d.get(field), f"{where}.{field}", lost)

    substance = _obj(d.get("activesubstance"), f"{where}.activesubstance", lost)
    substance_name = _text(
        substance.get("activesubstancename"), f"{where}.activesubstance.activesubstancename", lost
    )
    dose = _decimal(text("drugstructuredosagenumb"), f"{where}.drugstructuredosagenumb", lost)
    unit = r2.DOSE_UNIT_FROM_R2.get(text("drugstructuredosageunit") or "")
    route_code = text("drugadministrationroute") or ""
    dosage = Dosage(
        dose=Quantity(value=dose, unit=unit) if dose is not None and unit else None,
        text=text("drugdosagetext"),
        batch_lot=text("drugbatchnumb"),
        dose_form=text("drugdosageform"),
        route=r2.ROUTE_NAME.get(route_code) if route_code else None,
        start=_date(d, "drugstartdate", lost),
        end=_date(d, "drugenddate", lost),
    )
    characterization = text("drugcharacterization")
    role = r2.ROLE_FROM_R2.get(characterization or "")
    if characterization and role is None:
        lost.append(f"{where}.drugcharacterization={characterization[:40]}")
    indication = text("drugindication")
    return Drug(
        id=f"drug-{n + 1}",
        role=role,
        name_as_reported=text("medicinalproduct"),
        substances=(Substance(name=substance_name),) if substance_name else (),
        authorisation_number=text("drugauthorizationnumb"),
        dosages=(dosage,) if dosage != Dosage() else (),
        indications=(Indication(text=indication),) if indication else (),
        action_taken=r2.ACTION_FROM_R2.get(text("actiondrug") or ""),
    )


def icsr_from_openfda(event: Mapping[str, Any]) -> Mapped:
    """Map one openFDA drug event; raises ValueError when it is not one (no safetyreportid)."""
    lost: list[str] = []
    report_id = (
        _text(event.get("safetyreportid"), "safetyreportid", lost)
        if isinstance(event, Mapping)
        else None
    )
    if report_id is None or not report_id.strip():
        raise ValueError("not an openFDA drug event: safetyreportid is missing or not text")
    patient_in = _obj(event.get("patient"), "patient", lost)
    flags = {
        name: True for key, name in _SERIOUSNESS.items() if _text(event.get(key), key, lost) == "1"
    }
    seriousness = Seriousness(**flags)  # type: ignore[arg-type]
    country = _country(_text(event.get("occurcountry"), "occurcountry", lost))
    reactions = tuple(
        Reaction(
            id=f"reaction-{n + 1}",
            verbatim_native=_text(
                r.get("reactionmeddrapt"), f"patient.reaction[{n}].reactionmeddrapt", lost
            ),
            seriousness=seriousness,
            outcome=r2.OUTCOME_FROM_R2.get(
                _text(r.get("reactionoutcome"), f"patient.reaction[{n}].reactionoutcome", lost)
                or ""
            ),
            country=country,
        )
        for n, r in enumerate(_objs(patient_in.get("reaction"), "patient.reaction", lost))
    )
    drugs = tuple(
        _drug(n, d, lost) for n, d in enumerate(_objs(patient_in.get("drug"), "patient.drug", lost))
    )

    def patient_text(field: str) -> str | None:
        return _text(patient_in.get(field), f"patient.{field}", lost)

    age = _decimal(patient_text("patientonsetage"), "patient.patientonsetage", lost)
    age_unit = r2.TIME_UNIT_FROM_R2.get(patient_text("patientonsetageunit") or "")
    sex = r2.SEX_FROM_R2.get(patient_text("patientsex") or "")
    death_in = _obj(patient_in.get("patientdeath"), "patient.patientdeath", lost)
    death_date = _date(death_in, "patientdeathdate", lost) if death_in else None
    patient = Patient(
        age_at_onset=Quantity(value=age, unit=age_unit) if age is not None and age_unit else None,
        sex=sex,
        weight_kg=_decimal(patient_text("patientweight"), "patient.patientweight", lost),
        death=Death(date=death_date) if death_date else None,
    )
    source_in = _obj(event.get("primarysource"), "primarysource", lost)
    qualification = r2.QUALIFICATION_FROM_R2.get(
        _text(source_in.get("qualification"), "primarysource.qualification", lost) or ""
    )
    reporter_text = _text(source_in.get("reportercountry"), "primarysource.reportercountry", lost)
    reporter_country = _country(reporter_text)
    if reporter_text and reporter_country is None:
        lost.append(f"primarysource.reportercountry={reporter_text[:40]!r}")
    report_type = r2.REPORT_TYPE_FROM_R2.get(
        _text(event.get("reporttype"), "reporttype", lost) or ""
    )
    icsr = ICSR(
        report=ReportIdentification(
            safety_report_id=report_id,
            report_type=report_type or ReportType.SPONTANEOUS,
            first_received=_date(event, "receivedate", lost),
            most_recent_info=_date(event, "receiptdate", lost),
            worldwide_case_id=_text(event.get("companynumb"), "companynumb", lost) or report_id,
        ),
        primary_sources=(
            PrimarySource(
                qualification=qualification,
                country=reporter_country,
                primary_for_regulatory_purposes=True,
            ),
        )
        if qualification or reporter_country
        else (),
        patient=patient if patient != Patient() else None,
        reactions=reactions,
        drugs=drugs,
        narrative=Narrative(),
    )
    return Mapped(icsr=icsr, not_carried=tuple(lost))
