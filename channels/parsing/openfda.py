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


def _date(event: Mapping[str, Any], field: str) -> PartialDate | None:
    value = event.get(field)
    if not value:
        return None
    try:
        return r2.parse_date(event.get(f"{field}format") or "102", str(value))
    except ValueError:
        return None


def _country(value: object) -> str | None:
    text = str(value or "").strip().upper()
    if text in ISO_COUNTRIES:
        return text
    return _COUNTRY_NAMES.get(text)


def _decimal(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _drug(n: int, d: Mapping[str, Any], lost: list[str]) -> Drug:
    substance = d.get("activesubstance") or {}
    dose = _decimal(d.get("drugstructuredosagenumb"))
    unit = r2.DOSE_UNIT_FROM_R2.get(str(d.get("drugstructuredosageunit") or ""))
    route_code = str(d.get("drugadministrationroute") or "")
    dosage = Dosage(
        dose=Quantity(value=dose, unit=unit) if dose is not None and unit else None,
        text=d.get("drugdosagetext") or None,
        batch_lot=d.get("drugbatchnumb") or None,
        dose_form=d.get("drugdosageform") or None,
        route=r2.ROUTE_NAME.get(route_code) if route_code else None,
        start=_date(d, "drugstartdate"),
        end=_date(d, "drugenddate"),
    )
    role = r2.ROLE_FROM_R2.get(str(d.get("drugcharacterization") or ""))
    if d.get("drugcharacterization") and role is None:
        lost.append(f"drug[{n}].drugcharacterization={d['drugcharacterization']}")
    return Drug(
        id=f"drug-{n + 1}",
        role=role,
        name_as_reported=d.get("medicinalproduct") or None,
        substances=(Substance(name=substance["activesubstancename"]),)
        if substance.get("activesubstancename")
        else (),
        authorisation_number=d.get("drugauthorizationnumb") or None,
        dosages=(dosage,) if dosage != Dosage() else (),
        indications=(Indication(text=d["drugindication"]),) if d.get("drugindication") else (),
        action_taken=r2.ACTION_FROM_R2.get(str(d.get("actiondrug") or "")),
    )


def icsr_from_openfda(event: Mapping[str, Any]) -> Mapped:
    """Map one openFDA drug event; raises ValueError when it is not one (no safetyreportid)."""
    if not isinstance(event, Mapping) or not event.get("safetyreportid"):
        raise ValueError("not an openFDA drug event: safetyreportid is missing")
    lost: list[str] = []
    patient_in = event.get("patient") or {}
    flags = {name: True for key, name in _SERIOUSNESS.items() if str(event.get(key) or "") == "1"}
    seriousness = Seriousness(**flags)  # type: ignore[arg-type]
    country = _country(event.get("occurcountry"))
    reactions = tuple(
        Reaction(
            id=f"reaction-{n + 1}",
            verbatim_native=r.get("reactionmeddrapt") or None,
            seriousness=seriousness,
            outcome=r2.OUTCOME_FROM_R2.get(str(r.get("reactionoutcome") or "")),
            country=country,
        )
        for n, r in enumerate(patient_in.get("reaction") or ())
    )
    drugs = tuple(_drug(n, d, lost) for n, d in enumerate(patient_in.get("drug") or ()))
    age = _decimal(patient_in.get("patientonsetage"))
    age_unit = r2.TIME_UNIT_FROM_R2.get(str(patient_in.get("patientonsetageunit") or ""))
    sex = r2.SEX_FROM_R2.get(str(patient_in.get("patientsex") or ""))
    death_in = patient_in.get("patientdeath") or {}
    death_date = _date(death_in, "patientdeathdate") if death_in else None
    patient = Patient(
        age_at_onset=Quantity(value=age, unit=age_unit) if age is not None and age_unit else None,
        sex=sex,
        weight_kg=_decimal(patient_in.get("patientweight")),
        death=Death(date=death_date) if death_date else None,
    )
    source_in = event.get("primarysource") or {}
    qualification = r2.QUALIFICATION_FROM_R2.get(str(source_in.get("qualification") or ""))
    reporter_country = _country(source_in.get("reportercountry"))
    if source_in.get("reportercountry") and reporter_country is None:
        lost.append(f"primarysource.reportercountry={source_in['reportercountry']!r}")
    report_type = r2.REPORT_TYPE_FROM_R2.get(str(event.get("reporttype") or ""))
    icsr = ICSR(
        report=ReportIdentification(
            safety_report_id=str(event["safetyreportid"]),
            report_type=report_type or ReportType.SPONTANEOUS,
            first_received=_date(event, "receivedate"),
            most_recent_info=_date(event, "receiptdate"),
            worldwide_case_id=event.get("companynumb") or str(event["safetyreportid"]),
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
