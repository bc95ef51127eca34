"""The web reporting form (JSON, `POST /api/v1/intake`) → the domain ICSR.

The form is structured, so it maps field by field; free-text descriptions keep the
reporter's words (E.i.1.1a, H.1) and are coded to MedDRA later, like any verbatim.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.domain.codes import (
    DrugRole,
    Qualification,
    ReactionOutcome,
    ReportType,
    SeriousnessCriterion,
    Sex,
)
from gateway.domain.drug import Dosage, Drug, Indication
from gateway.domain.icsr import ICSR
from gateway.domain.narrative import Narrative
from gateway.domain.normaliser.language import ISO_639_2, detect_language
from gateway.domain.normaliser.text import Doc
from gateway.domain.partial_date import DatePrecision, PartialDate
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import PrimarySource, ReportIdentification
from gateway.domain.values import Quantity

_QUALIFICATION = {
    "physician": Qualification.PHYSICIAN,
    "pharmacist": Qualification.PHARMACIST,
    "other_hcp": Qualification.OTHER_HEALTH_PROFESSIONAL,
    "lawyer": Qualification.LAWYER,
    "consumer": Qualification.CONSUMER,
}
_AGE_UNITS = {"years": "a", "months": "mo", "weeks": "wk", "days": "d", "hours": "h"}
_OUTCOME = {
    "recovered": ReactionOutcome.RECOVERED,
    "recovering": ReactionOutcome.RECOVERING,
    "not_recovered": ReactionOutcome.NOT_RECOVERED,
    "recovered_with_sequelae": ReactionOutcome.RECOVERED_WITH_SEQUELAE,
    "fatal": ReactionOutcome.FATAL,
    "unknown": ReactionOutcome.UNKNOWN,
}
_SERIOUSNESS = {
    "death": SeriousnessCriterion.DEATH,
    "life_threatening": SeriousnessCriterion.LIFE_THREATENING,
    "hospitalisation": SeriousnessCriterion.HOSPITALISATION,
    "disabling": SeriousnessCriterion.DISABLING,
    "congenital_anomaly": SeriousnessCriterion.CONGENITAL_ANOMALY,
    "other_medically_important": SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT,
}


#: ISO 639-1 -> ISO 639-2 (E.i.1.1b) for the languages of the EEA and a few more; a form
#: may also send the alpha-3 code itself
_ISO_639_2 = {
    **ISO_639_2,
    "bg": "bul", "cs": "ces", "da": "dan", "de": "deu", "el": "ell", "et": "est",
    "fi": "fin", "fr": "fra", "ga": "gle", "hr": "hrv", "hu": "hun", "is": "isl",
    "it": "ita", "lt": "lit", "lv": "lav", "mt": "mlt", "nl": "nld", "no": "nor",
    "pl": "pol", "pt": "por", "ro": "ron", "sk": "slk", "sl": "slv", "sv": "swe",
    "ca": "cat", "eu": "eus", "gl": "glg", "ja": "jpn", "zh": "zho", "ru": "rus",
    "tr": "tur", "ar": "ara",
}  # fmt: skip


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FormReporter(_Strict):
    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    phone: str | None = Field(default=None, max_length=40)
    qualification: Literal["physician", "pharmacist", "other_hcp", "lawyer", "consumer"] | None = (
        None
    )
    country: str | None = Field(default=None, min_length=2, max_length=2)


class FormPatient(_Strict):
    initials: str | None = Field(default=None, max_length=60)
    age: Decimal | None = Field(default=None, ge=0, le=150)
    age_unit: Literal["years", "months", "weeks", "days", "hours"] = "years"
    sex: Literal["female", "male"] | None = None
    weight_kg: Decimal | None = Field(default=None, gt=0, le=700)
    birth_date: date | None = None


class FormProduct(_Strict):
    name: str = Field(min_length=1, max_length=250)
    dose: str | None = Field(default=None, max_length=200)
    route: str | None = Field(default=None, max_length=100)
    start_date: date | None = None
    end_date: date | None = None
    indication: str | None = Field(default=None, max_length=250)
    batch: str | None = Field(default=None, max_length=35)


class FormReaction(_Strict):
    description: str = Field(min_length=1, max_length=250)
    start_date: date | None = None
    outcome: (
        Literal[
            "recovered",
            "recovering",
            "not_recovered",
            "recovered_with_sequelae",
            "fatal",
            "unknown",
        ]
        | None
    ) = None


class WebForm(_Strict):
    report_id: str | None = Field(default=None, max_length=100)
    language: str | None = Field(default=None, max_length=3)
    reporter: FormReporter = Field(default_factory=FormReporter)
    patient: FormPatient = Field(default_factory=FormPatient)
    products: list[FormProduct] = Field(default_factory=list, max_length=50)
    reactions: list[FormReaction] = Field(default_factory=list, max_length=50)
    seriousness: list[
        Literal[
            "death",
            "life_threatening",
            "hospitalisation",
            "disabling",
            "congenital_anomaly",
            "other_medically_important",
        ]
    ] = Field(default_factory=list)
    description: str | None = Field(default=None, max_length=100_000)


class WebFormError(ValueError):
    """The form does not have the documented shape; ``fields`` names what is wrong."""

    def __init__(self, fields: dict[str, str]) -> None:
        self.fields = fields
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))


def parse_web_form(data: bytes) -> WebForm:
    try:
        return WebForm.model_validate_json(data)
    except ValidationError as exc:
        raise WebFormError(
            {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors()}
        ) from None


def _day(value: date | None) -> PartialDate | None:
    return PartialDate.from_date(value, DatePrecision.DAY) if value else None


def _language(form: WebForm) -> str | None:
    """E.i.1.1b of the reporter's words: the form's language as ISO 639-2 (alpha-3), else
    English or Spanish as detected in the text (a receiver rejects E.i.1.1a without it)."""
    if form.language:
        code = form.language.lower()
        if len(code) == 3 and code.isalpha():
            return code
        if code in _ISO_639_2:
            return _ISO_639_2[code]
    text = "\n".join([*(r.description for r in form.reactions), form.description or ""])
    if not text.strip():
        return None
    return ISO_639_2[detect_language(Doc(text)).value]


def icsr_from_web_form(form: WebForm) -> ICSR:
    language = _language(form)
    seriousness = Seriousness.of(*(_SERIOUSNESS[s] for s in form.seriousness))
    name = (form.reporter.name or "").split()
    reporter = PrimarySource(
        given_name=" ".join(name[:-1]) or None if len(name) > 1 else None,
        family_name=name[-1] if name else None,
        email=str(form.reporter.email) if form.reporter.email else None,
        telephone=form.reporter.phone,
        country=form.reporter.country.upper() if form.reporter.country else None,
        qualification=_QUALIFICATION[form.reporter.qualification]
        if form.reporter.qualification
        else None,
        primary_for_regulatory_purposes=True,
    )
    p = form.patient
    patient = Patient(
        name_or_initials=p.initials,
        age_at_onset=Quantity(value=p.age, unit=_AGE_UNITS[p.age_unit])
        if p.age is not None
        else None,
        sex={"female": Sex.FEMALE, "male": Sex.MALE}[p.sex] if p.sex else None,
        weight_kg=p.weight_kg,
        birth_date=_day(p.birth_date),
    )
    reactions = tuple(
        Reaction(
            id=f"reaction-{n + 1}",
            verbatim_native=r.description,
            verbatim_language=language,
            start=_day(r.start_date),
            outcome=_OUTCOME[r.outcome] if r.outcome else None,
            seriousness=seriousness,
        )
        for n, r in enumerate(form.reactions)
    )
    drugs = tuple(
        Drug(
            id=f"drug-{n + 1}",
            role=DrugRole.SUSPECT,  # the form asks for the product(s) the reporter suspects
            name_as_reported=d.name,
            dosages=(
                Dosage(
                    text=d.dose,
                    route=d.route,
                    start=_day(d.start_date),
                    end=_day(d.end_date),
                    batch_lot=d.batch,
                ),
            ),
            indications=(Indication(text=d.indication),) if d.indication else (),
        )
        for n, d in enumerate(form.products)
    )
    return ICSR(
        report=ReportIdentification(report_type=ReportType.SPONTANEOUS),
        primary_sources=(reporter,)
        if reporter != PrimarySource(primary_for_regulatory_purposes=True)
        else (),
        patient=patient if patient != Patient() else None,
        reactions=reactions,
        drugs=drugs,
        narrative=Narrative(case_narrative=form.description),
    )


def form_source_id(form: WebForm, body: bytes) -> str:
    return form.report_id or hashlib.sha256(body).hexdigest()
