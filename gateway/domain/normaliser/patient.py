"""The patient: who it is to the reporter, initials, age, sex, weight, birth date,
pregnancy.

Sex is read with care, strongest evidence first: a form field ("Sex: F"), a noun next
to the patient ("54-year-old woman", "la paciente", "varón"), the relation ("my mother",
"mi hijo"), Spanish self-description ("estoy mareada"), and last the pronouns of a
third-person patient (only when they all agree). Ages need an age marker ("old", "aged",
"de … años") so durations ("for 3 years", "hace 3 años") are not read as ages.
"""

from __future__ import annotations

import re
from decimal import Decimal

from gateway.domain.codes import AgeGroup, Sex
from gateway.domain.normaliser.context import is_negated
from gateway.domain.normaliser.model import DateMention, Extracted, PatientDraft
from gateway.domain.normaliser.text import Doc, words
from gateway.domain.values import PartialDate, Quantity

__all__ = ["extract_patient", "patient_relation"]

_FEMALE_RELATIONS = words(
    "mother mum mom wife daughter sister grandmother grandma girlfriend aunt niece "
    "madre mama esposa mujer hija hermana abuela novia tia suegra nieta sobrina"
)
_MALE_RELATIONS = words(
    "father dad husband son brother grandfather grandpa boyfriend uncle nephew "
    "padre papa marido esposo hijo hermano abuelo novio tio suegro nieto sobrino"
)
_NEUTRAL_RELATIONS = words(
    "child baby partner friend neighbour neighbor patient client customer bebe pareja "
    "amigo amiga vecino vecina paciente cliente clienta"
)
_RELATION = re.compile(
    r"\b(?:my|our|mi|nuestr[oa])\s++(?:\d{1,3}[\s-]*(?:year|month|week)s?[\s-]*old\s+|"
    r"(?:little|young|elderly|old|older|younger|teenage|baby|pequen[oa]|)\s*)"
    r"(?P<rel>[a-z]+)\b"
    r"|\b(?P<pt>(?:the|a|an|la|el|una|un)\s+(?:patient|paciente))\b"
)
_SELF = re.compile(
    r"\b(?:i|i've|i'd|i'm|ive|im)\s+(?:have\s+been\s+|had\s+been\s+|was\s+|am\s+|just\s+|"
    r"then\s+|also\s+)?(?:took|take|taking|started|began|developed|had|got|get|have|felt|feel|"
    r"noticed|woke|broke|suffered|experienced|used|use|inject|injected|ended|been)\b"
    r"|\bmy\s+(?:skin|face|lips|arms|legs|body|stomach|head|eyes|hands|feet|doctor|gp|heart|"
    r"voice|mouth|throat|hair|sugars?|blood)\b"
    r"|\b(?:giving|gives|gave|made|makes|making|caused|causing|got|left)\s+me\b"
    r"|^\W*(?:started|took|taking|been\s+on|felt|had|started|using|on)\b"
    r"|\b(?:tome|tomo|tomaba|estoy\s+tomando|empece|tuve|tengo|yo|me\s+(?:dio|salio|salieron|"
    r"recetaron|receto|puse|pinche|pincho|siento|sentia|senti|encuentro|duele|dolia|pica|"
    r"picaba|hincho|hincharon|mareo|quede|da|dan|daba|hace|provoca|produce|ha\s+dado|"
    r"ha\s+quitado|deja|queme|muero|sangra|cambio|duelen)|llevo|sigo|vomite|soy\s+diabetic[oa])\b"
)
_SEX_FIELD = re.compile(
    r"\b(?:sex|gender|sexo|genero)\s*(?:[:=]\s*|\s(?=female|male|mujer|hombre|femenino|"
    r"masculino|varon))(?P<v>female|male|f|m|mujer|hombre|femenino|masculino|varon|v)\b"
)
_SEX_COMPACT = re.compile(r"\b\d{1,3}\s?(?:yo|y/o|y\.o\.|a)?\s?(?P<v>[fm])\b(?!\w|\.\w)")
_SEX_NOUNS = re.compile(
    r"\b(?P<f>woman|lady|female|girl|mrs|senora|senorita|chica|nina|"
    r"(?:la|una)\s+(?:paciente|enferma)|una\s+clienta|paciente\s+femenin[oa]|mujer|"
    r"embarazada|pregnant)\b|\b(?P<m>man|male|gentleman|boy|guy|mr|senor|chico|nino|varon|"
    r"hombre|(?:el|un)\s+(?:paciente|enfermo)|un\s+cliente|paciente\s+masculino)\b"
)
_SELF_ADJECTIVE = re.compile(
    r"\b(?:estoy|estaba|me\s+siento|me\s+sentia|me\s+senti|me\s+quede|me\s+puse|quede)\s+"
    r"(?:muy\s+|super\s+|tan\s+|bastante\s+|algo\s+)?(?P<adj>[a-z]+(?:ad|id)(?P<g>[ao])|"
    r"nervios(?P<g2>[ao])|enferm(?P<g3>[ao])|deprimid(?P<g4>[ao]))\b"
)
_AGE = (
    re.compile(
        r"\b(?P<n>\d{1,3})\s*+[- ]?\s*+(?P<u>years?|yrs?|months?|mos?|weeks?|wks?|days?)"
        r"\s*+[- ]?\s*+old\b"
    ),
    re.compile(r"\b(?P<n>\d{1,3})\s*(?:yo|y/o|y\.o\.|yr\s+old)(?!\w)"),
    re.compile(
        r"\b(?:aged|age|edad)\s*+[:=]?\s*+(?P<n>\d{1,3})(?:\s*+(?P<u>years?|months?|weeks?|"
        r"anos|meses|semanas))?\b"
    ),
    re.compile(
        r"\b(?:de|tiene|tengo|tenia|tenía|cumplio|con)\s+(?P<n>\d{1,3})\s+(?P<u>anos|meses|"
        r"semanas|dias)(?!\s+de\s+(?:tratamiento|evolucion))\b"
    ),
    re.compile(r"\b(?P<n>\d{1,3})\s+(?P<u>anos|meses)\s+de\s+edad\b"),
    re.compile(
        r"\b(?:woman|man|female|male|patient|boy|girl|mujer|hombre|varon|paciente|nina|nino|"
        r"senora|senor)\s*,\s*(?P<n>\d{1,3})\b(?!\s*(?:mg|kg|ml|%|/))"
    ),
    re.compile(r"\b(?P<n>\d{1,3})(?P<u>[fm])\b"),
    re.compile(
        r"\b(?:i\s*'?\s*m|i\s+am|(?:he|she)\s*(?:'s|\s+is|\s+was)|(?:mother|mum|mom|father|dad|"
        r"son|daughter|wife|husband|brother|sister|gran|grandma|grandpa|grandmother|"
        r"grandfather|baby|child|patient)\s+(?:is|was)|turned|tengo|tiene|tenia|cumplio)\s+"
        r"(?:now\s+|only\s+|just\s+)?(?P<n>\d{1,3})(?!\s*(?:[.,]\d|mg|kg|ml|mcg|%|/|:|"
        r"weeks?|days?|hours?|months?|times|tablets?|pills?|lbs?|am\b|pm\b|dias|semanas|"
        r"meses|horas|veces|pastillas|comprimidos|hijos|kilos))\b"
    ),
    re.compile(r"\b[a-z]+\s*\((?P<n>\d{1,3})(?:\s*(?P<u>years?|months?|anos|meses))?\)"),
    re.compile(
        r",\s*(?P<n>\d{1,3})\s*(?:(?P<u>anos|years?)(?:\s+old)?)?\s*(?=,|\.|$|\s+(?:mujer|"
        r"hombre|male|female|woman|man|who|que|took|tomo))"
    ),
    re.compile(
        r"\b(?:mujer|hombre|varon|senora|senor|nina|nino|chica|chico)\s+de\s+(?P<n>\d{1,3})\b"
        r"(?!\s*(?:mg|kg))"
    ),
    re.compile(r"\b(?P<n>\d{1,3})\s+(?P<u>anos)\b(?!\s+de\s+(?:tratamiento|evolucion))"),
)
_NOT_AGE_BEFORE = words(
    "tratamiento ciclo curso periodo pauta plazo baja mas menos hace durante despues antes "
    "tras desde for after since ago llevo lleva llevaba los unos cada en por"
)
_AGE_GROUPS: tuple[tuple[AgeGroup, re.Pattern[str]], ...] = (
    (AgeGroup.NEONATE, re.compile(r"\b(?:newborn|neonate|recien\s+nacid[oa]|neonato)\b")),
    (AgeGroup.INFANT, re.compile(r"\b(?:baby|infant|bebe|lactante)\b")),
    (AgeGroup.CHILD, re.compile(r"\b(?:child|kid|toddler|nin[oa]|pequen[oa])\b")),
    (AgeGroup.ADOLESCENT, re.compile(r"\b(?:teenager|teen|adolescent|adolescente)\b")),
    (AgeGroup.ELDERLY, re.compile(r"\b(?:elderly|ancian[oa]|tercera\s+edad)\b")),
)
_INITIALS = (
    re.compile(
        # one way only to read the spaces between label, verb, colon and value (three
        # optional runs of \s* in a row backtracked cubically on a long run of blanks)
        r"\b(?:[Ii]nitials|[Ii]niciales)(?:\s+(?:are|son))?(?:\s*[:=])?\s*"
        r"(?P<v>[A-Z]\.\s?[A-Z]\.(?:\s?[A-Z]\.){0,2}|[A-Z]{2,4}\b)"
    ),
    re.compile(r"\b(?:[Pp]atient|[Pp]aciente|[Pp]t)\.?\s+(?P<v>[A-Z]\.[A-Z]\.(?:[A-Z]\.){0,2})"),
)
_WEIGHT = re.compile(
    r"\b(?:weighs?|weight|weighing|pesa|peso|pesaba)?\s*+[:=]?\s*+(?:about|around|unos|aprox\.?)?"
    r"\s*+(?P<n>\d{2,3}(?:[.,]\d)?)\s*+(?P<u>kg|kgs|kilos?|kilograms?|lbs?|pounds?|libras)\b"
)
_WEIGHT_CHANGE = words(
    "lost gained put gain loss perdi perdio subi subio engorde engordo adelgace adelgazo "
    "bajo baje aumento aumente"
)
_DOB = re.compile(
    r"\b(?:dob|d\.o\.b\.?|date\s+of\s+birth|born(?:\s+on|\s+in)?|fecha\s+de\s+nacimiento|"
    r"f\.\s*nac\.?|nacid[oa]\s+(?:el|en))\s*[:=]?\s*"
)
_PREGNANT = re.compile(
    r"\b(?:pregnant|pregnancy|embarazada|embarazo|gestacion|gestation|"
    r"expecting\s+a\s+baby)\b"
)
_GESTATION = re.compile(
    r"\b(?P<n>\d{1,2})\s*(?:weeks?|semanas)\s*(?:pregnant|of\s+(?:pregnancy|gestation)|"
    r"de\s+(?:embarazo|gestacion)|gestation)|\bembarazada\s+de\s+(?P<n2>\d{1,2})\s+semanas"
)
_PRONOUNS_F = words("she her hers herself ella")
_PRONOUNS_M = words("he him his himself")
_UNITS = {"y": "a", "a": "a", "m": "mo", "w": "wk", "d": "d", "s": "wk"}


def patient_relation(doc: Doc) -> tuple[Extracted[str] | None, Extracted[bool] | None]:
    """Who the patient is to the reporter, and whether the reporter is the patient."""
    for m in _RELATION.finditer(doc.folded):
        if m.group("pt"):
            return Extracted("patient", m.span("pt"), 0.8), Extracted(False, m.span("pt"), 0.8)
        rel = m.group("rel")
        if rel in _FEMALE_RELATIONS | _MALE_RELATIONS | _NEUTRAL_RELATIONS:
            if rel == "mujer" and m.group().startswith(("mi ", "nuestr")) is False:
                continue
            return Extracted(rel, m.span("rel"), 0.85), Extracted(False, m.span(), 0.8)
    m2 = _SELF.search(doc.folded)
    if m2 is not None:
        return Extracted("self", m2.span(), 0.75), Extracted(True, m2.span(), 0.75)
    return None, None


def _age(doc: Doc) -> Extracted[Quantity] | None:
    for pattern in _AGE:
        for m in pattern.finditer(doc.folded):
            before = doc.tokens_before(m.start(), 1)
            if before and before[0].text in _NOT_AGE_BEFORE:
                continue
            n = int(m.group("n"))
            unit_word = m.groupdict().get("u") or "y"
            unit = "a" if unit_word in ("f", "m") else _UNITS.get(unit_word[0], "a")
            if unit_word.startswith("mes") or unit_word.startswith("mo"):
                unit = "mo"
            if unit_word.startswith("d"):
                unit = "d"
            limit = {"a": 120, "mo": 36, "wk": 60, "d": 60}[unit]
            if not 0 < n <= limit:
                continue
            return Extracted(Quantity(value=Decimal(n), unit=unit), m.span(), 0.9)
    return None


def _sex(doc: Doc, relation: Extracted[str] | None, language: str) -> Extracted[Sex] | None:
    m = _SEX_FIELD.search(doc.folded)
    if m is not None:
        female = m.group("v") in ("female", "f", "mujer", "femenino")
        return Extracted(Sex.FEMALE if female else Sex.MALE, m.span("v"), 0.95)
    m = _SEX_COMPACT.search(doc.folded)
    if m is not None:
        return Extracted(Sex.FEMALE if m.group("v") == "f" else Sex.MALE, m.span("v"), 0.8)
    if relation is not None and relation.value in _FEMALE_RELATIONS | _MALE_RELATIONS:
        female = relation.value in _FEMALE_RELATIONS
        return Extracted(Sex.FEMALE if female else Sex.MALE, relation.span, 0.85)
    m = _SEX_NOUNS.search(doc.folded)
    if m is not None and not (
        m.group("f") in ("pregnant", "embarazada") and is_negated(doc, m.start(), m.end())
    ):
        female = m.group("f") is not None
        span = m.span("f") if female else m.span("m")
        return Extracted(Sex.FEMALE if female else Sex.MALE, span, 0.8)
    if relation is not None and relation.value == "self":
        m = _SELF_ADJECTIVE.search(doc.folded)
        if m is not None:
            g = m.group("g") or m.group("g2") or m.group("g3") or m.group("g4")
            return Extracted(Sex.FEMALE if g == "a" else Sex.MALE, m.span("adj"), 0.7)
        return None
    if language == "en" and (relation is None or relation.value in _NEUTRAL_RELATIONS):
        she = [t for t in doc.tokens if t.text in _PRONOUNS_F]
        he = [t for t in doc.tokens if t.text in _PRONOUNS_M]
        if she and not he:
            return Extracted(Sex.FEMALE, (she[0].start, she[0].end), 0.6)
        if he and not she:
            return Extracted(Sex.MALE, (he[0].start, he[0].end), 0.6)
    return None


def _weight(doc: Doc) -> Extracted[Decimal] | None:
    for m in _WEIGHT.finditer(doc.folded):
        before = doc.tokens_before(m.start("n"), 4)
        if any(t.text in _WEIGHT_CHANGE for t in before):
            continue
        value = Decimal(m.group("n").replace(",", "."))
        if m.group("u").startswith(("lb", "pound", "libra")):
            value = (value * Decimal("0.4536")).quantize(Decimal("0.1"))
        if Decimal(1) <= value <= Decimal(350):
            return Extracted(value, m.span(), 0.8)
    return None


def _birth_date(doc: Doc, dates: list[DateMention]) -> Extracted[PartialDate] | None:
    for m in _DOB.finditer(doc.folded):
        for mention in dates:
            if 0 <= mention.span[0] - m.end() <= 2:
                return Extracted(mention.date, (m.start(), mention.span[1]), 0.9)
        year = re.match(r"(19|20)\d\d\b", doc.folded[m.end() : m.end() + 5])
        if year is not None:
            span = (m.start(), m.end() + 4)
            return Extracted(PartialDate(year=int(year.group())), span, 0.8)
    return None


def extract_patient(
    doc: Doc, dates: list[DateMention], relation: Extracted[str] | None, language: str = "en"
) -> PatientDraft:
    initials = None
    for pattern in _INITIALS:
        m = pattern.search(doc.text)
        if m is not None:
            value = re.sub(r"[^A-Z]", "", m.group("v"))
            initials = Extracted(value, m.span("v"), 0.9)
            break
    age_group = None
    for group, pattern in _AGE_GROUPS:
        m = pattern.search(doc.folded)
        if m is not None:
            age_group = Extracted(group, m.span(), 0.7)
            break
    pregnant = gestation = None
    for m in _PREGNANT.finditer(doc.folded):
        if not is_negated(doc, m.start(), m.end()):
            pregnant = Extracted(True, m.span(), 0.8)
            break
    g = _GESTATION.search(doc.folded)
    if g is not None:
        weeks = int(g.group("n") or g.group("n2"))
        if 0 < weeks <= 42:
            gestation = Extracted(Quantity(value=Decimal(weeks), unit="wk"), g.span(), 0.85)
    return PatientDraft(
        initials=initials,
        age=_age(doc),
        age_group=age_group,
        sex=_sex(doc, relation, language),
        weight_kg=_weight(doc),
        birth_date=_birth_date(doc, dates),
        pregnant=pregnant,
        gestation=gestation,
        relation=relation,
    )
