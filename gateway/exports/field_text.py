"""How the case's values read on a printed form: dates, quantities, codes, absences.

Every function returns ``""`` for an absent element, so a form shows an empty box, and
the nullFlavor's code (``MSK``, ``ASKU`` ...) for a value withheld or unknown, so the
reader sees why it is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

from gateway.domain.codes import (
    ActionTaken,
    DrugRole,
    Qualification,
    ReactionOutcome,
    RechallengeResult,
    ReportType,
    SeriousnessCriterion,
    Sex,
)
from gateway.domain.drug import Dosage, Drug
from gateway.domain.values import MedDRATerm, NullFlavor, PartialDate, Quantity

T = TypeVar("T")

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

#: UCUM time and age units in words (E2B sends the code)
_UNIT_WORDS: Mapping[str, tuple[str, str]] = {
    "a": ("year", "years"),
    "mo": ("month", "months"),
    "wk": ("week", "weeks"),
    "d": ("day", "days"),
    "h": ("hour", "hours"),
    "min": ("minute", "minutes"),
    "s": ("second", "seconds"),
    "{trimester}": ("trimester", "trimesters"),
    "{DF}": ("dosage form", "dosage forms"),
}
_UNIT_WORDS_ES: Mapping[str, tuple[str, str]] = {
    "a": ("año", "años"),
    "mo": ("mes", "meses"),
    "wk": ("semana", "semanas"),
    "d": ("día", "días"),
    "h": ("hora", "horas"),
    "min": ("minuto", "minutos"),
    "s": ("segundo", "segundos"),
    "{DF}": ("forma farmacéutica", "formas farmacéuticas"),
}

SERIOUSNESS_LABELS: Mapping[SeriousnessCriterion, str] = {
    SeriousnessCriterion.DEATH: "results in death",
    SeriousnessCriterion.LIFE_THREATENING: "life threatening",
    SeriousnessCriterion.HOSPITALISATION: "hospitalisation (caused or prolonged)",
    SeriousnessCriterion.DISABLING: "disability / incapacity",
    SeriousnessCriterion.CONGENITAL_ANOMALY: "congenital anomaly",
    SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT: "other medically important",
}
SERIOUSNESS_LABELS_ES: Mapping[SeriousnessCriterion, str] = {
    SeriousnessCriterion.DEATH: "Muerte",
    SeriousnessCriterion.LIFE_THREATENING: "Amenaza la vida",
    SeriousnessCriterion.HOSPITALISATION: "Hospitalización o su prolongación",
    SeriousnessCriterion.DISABLING: "Discapacidad o incapacidad",
    SeriousnessCriterion.CONGENITAL_ANOMALY: "Anomalía congénita",
    SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT: "Otra condición médica importante",
}
OUTCOME_LABELS: Mapping[ReactionOutcome, str] = {
    ReactionOutcome.UNKNOWN: "unknown",
    ReactionOutcome.RECOVERED: "recovered / resolved",
    ReactionOutcome.RECOVERING: "recovering / resolving",
    ReactionOutcome.NOT_RECOVERED: "not recovered / not resolved",
    ReactionOutcome.RECOVERED_WITH_SEQUELAE: "recovered with sequelae",
    ReactionOutcome.FATAL: "fatal",
}
ROLE_LABELS: Mapping[DrugRole, str] = {
    DrugRole.SUSPECT: "suspect",
    DrugRole.CONCOMITANT: "concomitant",
    DrugRole.INTERACTING: "interacting",
    DrugRole.DRUG_NOT_ADMINISTERED: "drug not administered",
}
ACTION_LABELS: Mapping[ActionTaken, str] = {
    ActionTaken.UNKNOWN: "unknown",
    ActionTaken.DRUG_WITHDRAWN: "drug withdrawn",
    ActionTaken.DOSE_REDUCED: "dose reduced",
    ActionTaken.DOSE_INCREASED: "dose increased",
    ActionTaken.DOSE_NOT_CHANGED: "dose not changed",
    ActionTaken.NOT_APPLICABLE: "not applicable",
}
QUALIFICATION_LABELS: Mapping[Qualification, str] = {
    Qualification.PHYSICIAN: "physician",
    Qualification.PHARMACIST: "pharmacist",
    Qualification.OTHER_HEALTH_PROFESSIONAL: "other health professional",
    Qualification.LAWYER: "lawyer",
    Qualification.CONSUMER: "consumer or other non-health professional",
}
QUALIFICATION_LABELS_ES: Mapping[Qualification, str] = {
    Qualification.PHYSICIAN: "Médico",
    Qualification.PHARMACIST: "Químico farmacéutico",
    Qualification.OTHER_HEALTH_PROFESSIONAL: "Otro profesional de la salud",
    Qualification.LAWYER: "Abogado",
    Qualification.CONSUMER: "Paciente o consumidor",
}
REPORT_TYPE_LABELS: Mapping[ReportType, str] = {
    ReportType.SPONTANEOUS: "spontaneous",
    ReportType.STUDY: "report from study",
    ReportType.OTHER: "other",
    ReportType.NOT_AVAILABLE_TO_SENDER: "not available to sender (unknown)",
}
RECHALLENGE_LABELS: Mapping[RechallengeResult, str] = {
    RechallengeResult.RECURRED: "rechallenge: reaction recurred",
    RechallengeResult.DID_NOT_RECUR: "rechallenge: reaction did not recur",
    RechallengeResult.OUTCOME_UNKNOWN: "rechallenge: outcome unknown",
    RechallengeResult.NOT_DONE: "no rechallenge",
}


def value_or_flavor(value: T | NullFlavor | None) -> T | str | None:
    """The value, the nullFlavor's code for a withheld value, or None when absent."""
    if isinstance(value, NullFlavor):
        return value.value
    return value


def plain(value: object) -> str:
    """Text of an optional, possibly null-flavoured value ("" when absent)."""
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return value.value
    if isinstance(value, PartialDate):
        return form_date(value)
    if isinstance(value, Quantity):
        return quantity(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def form_date(value: PartialDate | NullFlavor | None) -> str:
    """``15-MAR-2024``, ``MAR-2024`` or ``2024``: the precision the reporter gave, no more."""
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return value.value
    parts = [f"{value.year:04d}"]
    if value.month is not None:
        parts.insert(0, _MONTHS[value.month - 1])
    if value.day is not None:
        parts.insert(0, f"{value.day:02d}")
    return "-".join(parts)


def form_date_es(value: PartialDate | NullFlavor | None) -> str:
    """``15/03/2024``, ``03/2024`` or ``2024`` (dd/mm/aaaa, as Peruvian forms are filled)."""
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return value.value
    parts = [f"{value.year:04d}"]
    if value.month is not None:
        parts.insert(0, f"{value.month:02d}")
    if value.day is not None:
        parts.insert(0, f"{value.day:02d}")
    return "/".join(parts)


def timestamp(value: datetime | None) -> str:
    """An instant to the second, in UTC: the audit trail's clock."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else str(value)


def quantity(value: Quantity | None, *, spanish: bool = False) -> str:
    if value is None:
        return ""
    words = (_UNIT_WORDS_ES if spanish else _UNIT_WORDS).get(value.unit)
    number = _number(value.value)
    if words is None:
        return f"{number} {value.unit}"
    return f"{number} {words[0] if value.value == 1 else words[1]}"


def sex(value: Sex | NullFlavor | None, *, spanish: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return value.value
    if spanish:
        return "Masculino" if value is Sex.MALE else "Femenino"
    return "M" if value is Sex.MALE else "F"


def meddra(term: MedDRATerm | None, names: Mapping[str, str]) -> str:
    """``Hepatitis (LLT 10019717, MedDRA 27.0)``; the name only when the dictionary has it."""
    if term is None:
        return ""
    name = names.get(term.code)
    coded = f"LLT {term.code}, MedDRA {term.version}"
    return f"{name} ({coded})" if name else coded


def drug_name(drug: Drug) -> str:
    """The product as reported, else its substances."""
    if drug.name_as_reported:
        return drug.name_as_reported
    names = [s.name for s in drug.substances if s.name]
    return " + ".join(names) if names else f"drug {drug.id}"


def route(dosage: Dosage) -> str:
    text = plain(dosage.route)
    if text:
        return text
    if dosage.route_term is not None:
        return dosage.route_term.display or dosage.route_term.code
    return ""


def dose(dosage: Dosage, *, spanish: bool = False) -> str:
    """``500 mg every 8 hours``; the dosage text when no structured dose was given."""
    if dosage.dose is None:
        return dosage.text or ""
    amount = f"{_number(dosage.dose.value)} {dosage.dose.unit}"
    if dosage.interval is None:
        return amount
    every = "cada" if spanish else "every"
    interval = quantity(dosage.interval, spanish=spanish)
    if dosage.interval.value == 1:
        interval = interval.removeprefix("1 ")
    return f"{amount} {every} {interval}"


def therapy_dates(dosage: Dosage) -> str:
    start, end = form_date(dosage.start), form_date(dosage.end)
    if not start and not end:
        return ""
    return f"{start or '?'} to {end or 'ongoing'}"


def indications(drug: Drug, names: Mapping[str, str]) -> str:
    texts = []
    for ind in drug.indications:
        text = plain(ind.text)
        if not text and ind.term is not None:
            text = meddra(ind.term, names)
        if text:
            texts.append(text)
    return "; ".join(texts)


def labelled(mapping: Mapping[T, str], value: T | None) -> str:
    return "" if value is None else mapping.get(value, str(value))


def initials(name: str | NullFlavor | None) -> str:
    """Initials for a form's "patient initials" box: ``María López`` -> ``M.L.``.

    A value that already looks like initials (``JD``, ``J.D.``, ``J-D``) is kept as given.
    """
    if name is None:
        return ""
    if isinstance(name, NullFlavor):
        return name.value
    words = [w for w in name.replace(".", " ").replace("-", " ").split() if w]
    if all(len(w) <= 1 or w.isupper() for w in words):
        return name.strip()
    return "".join(f"{w[0].upper()}." for w in words)


_RECOVERY = frozenset(
    {
        ReactionOutcome.RECOVERED,
        ReactionOutcome.RECOVERING,
        ReactionOutcome.RECOVERED_WITH_SEQUELAE,
    }
)
_NO_RECOVERY = frozenset({ReactionOutcome.NOT_RECOVERED, ReactionOutcome.FATAL})


def abated_after_stopping(drug: Drug, outcomes: tuple[ReactionOutcome | None, ...]) -> str | None:
    """CIOMS box 20 for one drug: "yes", "no", "na" (not stopped) or None (unknown).

    Derived from G.k.8 (action taken) and the reactions' E.i.7 outcomes: the drug was
    withdrawn and the reactions resolved, or did not.
    """
    action = drug.action_taken
    if action is None or action is ActionTaken.UNKNOWN:
        return None
    if action is not ActionTaken.DRUG_WITHDRAWN:
        return "na" if action is not ActionTaken.DOSE_REDUCED else None
    known = [o for o in outcomes if o is not None and o is not ReactionOutcome.UNKNOWN]
    if not known:
        return None
    if all(o in _RECOVERY for o in known):
        return "yes"
    if all(o in _NO_RECOVERY for o in known):
        return "no"
    return None


def reappeared_after_reintroduction(drug: Drug) -> str | None:
    """CIOMS box 21 for one drug, from the G.k.9.i.4 recurrence of its matrix rows."""
    results = {a.recurrence for a in drug.reaction_assessments if a.recurrence is not None}
    if RechallengeResult.RECURRED in results:
        return "yes"
    if RechallengeResult.DID_NOT_RECUR in results:
        return "no"
    if results == {RechallengeResult.NOT_DONE}:
        return "na"
    return None
