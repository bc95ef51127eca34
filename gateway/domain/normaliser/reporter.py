"""The reporter: name, qualification, contact and country.

Qualification comes only from what the reporter says of *themself* ("I am a pharmacist",
"soy médica", a "Dr." or "MD" signature, "my patient"): "my doctor said" is a consumer
talking. Without a cue the reporter is a consumer (E2B default), marked derived. Contact
comes from the channel; the country is derived from the phone's calling code or the
email's country-code domain.
"""

from __future__ import annotations

import re

from gateway.domain.codes import Qualification
from gateway.domain.normaliser.model import ChannelContext, Extracted, ReporterDraft
from gateway.domain.normaliser.text import Doc, words

__all__ = ["CALLING_CODES", "country_from_email", "country_from_phone", "extract_reporter"]

#: E.164 country calling codes -> ISO 3166-1 alpha-2 (shared codes: the largest country)
CALLING_CODES: dict[str, str] = {
    "1": "US", "7": "RU", "20": "EG", "27": "ZA", "30": "GR", "31": "NL", "32": "BE",
    "33": "FR", "34": "ES", "36": "HU", "39": "IT", "40": "RO", "41": "CH", "43": "AT",
    "44": "GB", "45": "DK", "46": "SE", "47": "NO", "48": "PL", "49": "DE", "51": "PE",
    "52": "MX", "53": "CU", "54": "AR", "55": "BR", "56": "CL", "57": "CO", "58": "VE",
    "60": "MY", "61": "AU", "62": "ID", "63": "PH", "64": "NZ", "65": "SG", "66": "TH",
    "81": "JP", "82": "KR", "84": "VN", "86": "CN", "90": "TR", "91": "IN", "92": "PK",
    "212": "MA", "213": "DZ", "216": "TN", "234": "NG", "254": "KE", "351": "PT",
    "352": "LU", "353": "IE", "354": "IS", "356": "MT", "357": "CY", "358": "FI",
    "359": "BG", "370": "LT", "371": "LV", "372": "EE", "376": "AD", "380": "UA",
    "385": "HR", "386": "SI", "420": "CZ", "421": "SK", "502": "GT", "503": "SV",
    "504": "HN", "505": "NI", "506": "CR", "507": "PA", "591": "BO", "593": "EC",
    "595": "PY", "598": "UY", "971": "AE", "972": "IL", "966": "SA",
    "1787": "PR", "1809": "DO", "1829": "DO", "1849": "DO",
}  # fmt: skip
_GENERIC_TLDS = words("com org net edu gov info biz io co mil int eu")
_TLD_COUNTRY = {"uk": "GB"}

_SELF = r"(?:i\s+am|i\W?m|im|as|soy|como)\s++(?:(?:a|an|the|el|la|un|una)\s++)?(?:[a-z]+\s++)?"
_QUALIFICATION_CUES: tuple[tuple[Qualification, re.Pattern[str], float], ...] = (
    (
        Qualification.PHYSICIAN,
        re.compile(
            _SELF + r"(?:physician|doctor|gp|general\s+practitioner|consultant|cardiologist|"
            r"dermatologist|psychiatrist|neurologist|oncologist|paediatrician|pediatrician|"
            r"surgeon|internist|rheumatologist|endocrinologist|gastroenterologist|registrar|"
            r"medic[oa]|doctora|pediatra|cardiolog[oa]|dermatolog[oa]|psiquiatra|neurolog[oa]|"
            r"oncolog[oa]|cirujan[oa]|internista|reumatolog[oa]|endocrino|neumolog[oa]|"
            r"medic[oa]\s+de\s+(?:familia|cabecera|atencion\s+primaria))\b"
            r"|\b(?:this\s+is\s+dr|dr\.?\s+[a-z]+\s+here|(?:le|les)\s+escribe\s+(?:el|la)\s+"
            r"(?:dr|dra)|(?:doctor|gp|physician)\s+here)\b"
        ),
        0.9,
    ),
    (
        Qualification.PHARMACIST,
        re.compile(_SELF + r"(?:pharmacist|farmaceutic[oa])\b|\bpharmacist\s+here\b"),
        0.9,
    ),
    (
        Qualification.OTHER_HEALTH_PROFESSIONAL,
        re.compile(
            _SELF + r"(?:nurse|midwife|dentist|physiotherapist|paramedic|enfermer[oa]|matrona|"
            r"dentista|fisioterapeuta|auxiliar\s+de\s+enfermeria|tecnico\s+sanitario)\b"
            r"|\b(?:nurse|midwife)\s+here\b"
        ),
        0.9,
    ),
    (
        Qualification.LAWYER,
        re.compile(
            _SELF + r"(?:attorney|lawyer|solicitor|abogad[oa])\b|\b(?:law\s+firm|bufete|"
            r"on\s+behalf\s+of\s+my\s+client)\b"
        ),
        0.85,
    ),
    (
        Qualification.PHARMACIST,
        re.compile(
            r"\b(?:(?:our|my)\s+pharmacy|(?:nuestra|mi)\s+farmacia|farmacia\s+donde\s+trabajo|"
            r"pharmacy\s+where\s+i\s+work|(?:a|one\s+of\s+our)\s+customers?|"
            r"un[ao]?\s+client[ae]\s+de\s+la\s+farmacia)\b"
        ),
        0.7,
    ),
    (
        Qualification.PHYSICIAN,
        re.compile(
            r"\b(?:i\s+prescribed|le\s+(?:recete|prescribi|paute)|(?:my|our)\s+patient|"
            r"(?:mi|nuestr[oa])\s+paciente|in\s+my\s+(?:clinic|practice)|en\s+mi\s+consulta)\b"
        ),
        0.75,
    ),
)
_SIGNATURE_QUALIFICATION: tuple[tuple[Qualification, re.Pattern[str]], ...] = (
    (
        Qualification.PHYSICIAN,
        re.compile(
            r"^\s*(?:dr|dra)\.?\s+[a-z]|,\s*(?:md|m\.d\.|mbbs|frcp|mrcp)\b|\b(?:md|m\.d\.)\s*$|"
            r"\b(?:consultant|physician|general\s+practitioner|medic[oa]\s+(?:de\s+familia|adjunt[oa]|"
            r"residente|internista)|facultativo|medico|medica|fea\s+de)\b"
        ),
    ),
    (
        Qualification.PHARMACIST,
        re.compile(
            r"\b(?:pharmacist|pharmd|farmaceutic[oa]|pharmacy|farmacia|community\s+pharmacy)\b"
        ),
    ),
    (
        Qualification.OTHER_HEALTH_PROFESSIONAL,
        re.compile(r"\b(?:nurse|rn|enfermer[oa]|midwife|matrona|dentist|dentista)\b"),
    ),
)
_CONSUMER = re.compile(
    r"\b(?:i\s+(?:took|take|have\s+been\s+taking|was\s+taking|am\s+taking|started|used)|"
    r"my\s+(?:mother|mum|mom|father|dad|husband|wife|son|daughter|child|baby|brother|sister|"
    r"grandmother|grandfather|grandma|grandpa|partner|aunt|uncle|friend)|"
    r"tome|tomo|estoy\s+tomando|empece|mi\s+(?:madre|mama|padre|papa|marido|esposo|esposa|"
    r"mujer|hijo|hija|bebe|hermano|hermana|abuela|abuelo|pareja|tia|tio|amig[oa]|suegr[oa]))\b"
)
_CLOSING = re.compile(
    r"^\s*(?:regards|kind\s+regards|best\s+regards|best|thanks|thank\s+you|many\s+thanks|"
    r"cheers|sincerely|yours\s+sincerely|best\s+wishes|saludos|un\s+saludo|saludos\s+cordiales|"
    r"atentamente|gracias|muchas\s+gracias|cordialmente|un\s+abrazo)\b[\s,.!]*",
    re.IGNORECASE,
)
_NAME_WORD = r"[A-ZÁÉÍÓÚÑ][a-záéíóúñü'-]+"
_NAME = re.compile(
    rf"^(?P<title>(?:Dr|Dra|Doctor|Doctora)\.?\s+)?(?P<given>{_NAME_WORD})"
    rf"(?P<family>(?:\s+(?:de\s+la\s+|del\s+|de\s+)?(?:{_NAME_WORD}|[A-Z]\.)){{0,3}})"
    r"(?:\s*+,?\s*+(?:MD|M\.D\.|RN|PharmD|MBBS))?\s*$"
)
_INTRO = re.compile(
    rf"(?:[Mm]y name is|[Mm]e llamo|[Mm]i nombre es|[Tt]his is|[Ss]oy|[Ll]e escribe)\s+"
    rf"(?:(?:el|la)\s+)?(?P<name>(?:(?:Dr|Dra|Doctor|Doctora)\.?\s+)?{_NAME_WORD}"
    rf"(?:\s+(?:de\s+la\s+|del\s+|de\s+)?{_NAME_WORD}){{0,3}})"
)
_NOT_NAMES = words(
    "I The My This Sent Hello Hi Hola Buenas Buenos Thanks Gracias Regards Saludos Doctor "
    "Patient Paciente Nurse Enfermera Pharmacist Farmacéutica Farmacéutico Médico Médica "
    "Madre Padre Mother Father Enviado Get Best Internal Medicine Oncology Oncología Urgencias "
    "Neumología Gastroenterology Pediatría Cardiología Servicio Department Hospital"
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?<![\w+])\+\d[\d\s().-]{7,16}\d")


def country_from_phone(phone: str) -> str | None:
    digits = re.sub(r"\D", "", phone.removeprefix("whatsapp:"))
    if not phone.strip().removeprefix("whatsapp:").startswith("+"):
        return None
    for length in (4, 3, 2, 1):
        country = CALLING_CODES.get(digits[:length])
        if country is not None:
            return country
    return None


def country_from_email(address: str) -> str | None:
    domain = address.rsplit("@", 1)[-1].lower().strip(" >")
    tld = domain.rsplit(".", 1)[-1]
    if len(tld) != 2 or tld in _GENERIC_TLDS:
        return None
    return _TLD_COUNTRY.get(tld, tld.upper())


def _qualification(doc: Doc, signature: tuple[int, int] | None) -> Extracted[Qualification]:
    for qualification, pattern, confidence in _QUALIFICATION_CUES:
        m = pattern.search(doc.folded)
        if m is not None:
            return Extracted(qualification, m.span(), confidence)
    if signature is not None:
        block = doc.folded[signature[0] : signature[1]]
        for qualification, pattern in _SIGNATURE_QUALIFICATION:
            for line_match in re.finditer(r"[^\n]+", block):
                m = pattern.search(line_match.group())
                if m is not None:
                    offset = signature[0] + line_match.start()
                    return Extracted(qualification, (offset + m.start(), offset + m.end()), 0.8)
    m = _CONSUMER.search(doc.folded)
    if m is not None:
        return Extracted(Qualification.CONSUMER, m.span(), 0.8)
    return Extracted(Qualification.CONSUMER, None, 0.5, derived=True)


def _signature(doc: Doc) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The signature block (after a closing like "Regards,") and the name line in it."""
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", doc.text)]
    tail = lines[-8:]
    for index, (start, end) in enumerate(tail):
        line = doc.text[start:end]
        closing = _CLOSING.match(line)
        if closing is None:
            continue
        rest = line[closing.end() :].strip()
        if rest:  # "Thanks, Ana"
            offset = start + line.index(rest)
            return (start, tail[-1][1]), (offset, offset + len(rest))
        for n_start, n_end in tail[index + 1 : index + 3]:
            candidate = doc.text[n_start:n_end].strip()
            if candidate:
                offset = n_start + doc.text[n_start:n_end].index(candidate)
                return (start, tail[-1][1]), (offset, offset + len(candidate))
        return (start, tail[-1][1]), None
    block = _last_paragraph(doc)
    if block is not None:
        for n_start, n_end in [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", doc.text)]:
            if block[0] <= n_start < block[1]:
                candidate = doc.text[n_start:n_end].strip()
                if _NAME.match(candidate) and candidate.split()[0] not in _NOT_NAMES:
                    offset = n_start + doc.text[n_start:n_end].index(candidate)
                    return block, (offset, offset + len(candidate))
        return block, None
    last_start, last_end = doc.sentences[-1]
    last = doc.text[last_start:last_end].strip().lstrip("-\u2013\u2014 ").rstrip(".").strip()
    if len(doc.sentences) > 1 and _NAME.match(last) and last.split()[0] not in _NOT_NAMES:
        offset = last_start + doc.text[last_start:last_end].index(last)
        return (last_start, last_end), (offset, offset + len(last))
    if tail:
        start, end = tail[-1]
        candidate = doc.text[start:end].strip().lstrip("-\u2013\u2014 ").strip()
        if candidate and _NAME.match(candidate) and len(tail) > 1:
            offset = start + doc.text[start:end].index(candidate)
            return (start, end), (offset, offset + len(candidate))
    return None, None


def _last_paragraph(doc: Doc) -> tuple[int, int] | None:
    """A short last paragraph of short lines: a signature without a closing word."""
    stripped = doc.text.rstrip()
    cut = stripped.rfind("\n\n")
    if cut < 0:
        return None
    block = stripped[cut + 2 :]
    lines = [line for line in block.splitlines() if line.strip()]
    if not 1 <= len(lines) <= 4 or any(len(line) > 60 for line in lines):
        return None
    return cut + 2, len(stripped)


def _split_name(
    text: str, span: tuple[int, int], confidence: float, derived: bool = False
) -> tuple[Extracted[str] | None, Extracted[str] | None, Extracted[str] | None]:
    m = _NAME.match(text)
    if m is None or m.group("given") in _NOT_NAMES:
        return None, None, None
    base = span[0]
    title: Extracted[str] | None = None
    if m.group("title"):
        title = Extracted(
            m.group("title").strip().rstrip("."), (base, base + m.end("title")), confidence, derived
        )
    given_span = (base + m.start("given"), base + m.end("given"))
    given: Extracted[str] | None = Extracted(m.group("given"), given_span, confidence, derived)
    family: Extracted[str] | None = None
    if m.group("family").strip():
        f_start = (
            base + m.start("family") + (len(m.group("family")) - len(m.group("family").lstrip()))
        )
        family = Extracted(
            m.group("family").strip(), (f_start, base + m.end("family")), confidence, derived
        )
    if derived:
        title = _channel_value(title)
        given = _channel_value(given)
        family = _channel_value(family)
    return title, given, family


def _channel_value(value: Extracted[str] | None) -> Extracted[str] | None:
    """A channel-supplied value has no span in the message text."""
    if value is None:
        return None
    return Extracted(value.value, None, value.confidence, derived=True)


def extract_reporter(
    doc: Doc, channel: ChannelContext, *, is_patient: Extracted[bool] | None
) -> ReporterDraft:
    signature, name_span = _signature(doc)
    qualification = _qualification(doc, signature)
    title = given = family = None
    intro = _INTRO.search(doc.text)
    if intro is not None:
        span = intro.span("name")
        title, given, family = _split_name(intro.group("name"), span, 0.9)
    if given is None and name_span is not None:
        title, given, family = _split_name(doc.text[name_span[0] : name_span[1]], name_span, 0.8)
    if given is None and channel.display_name:
        name = channel.display_name.strip()
        title, given, family = _split_name(name, (0, len(name)), 0.6, derived=True)
    email = phone = None
    if channel.sender_address:
        email = Extracted(channel.sender_address.strip(), None, 1.0)
    elif (m := _EMAIL.search(doc.text)) is not None:
        email = Extracted(m.group(), m.span(), 0.8)
    if channel.sender_phone:
        phone = Extracted(channel.sender_phone.removeprefix("whatsapp:").strip(), None, 1.0)
    elif (m := _PHONE.search(doc.text)) is not None:
        phone = Extracted(m.group(), m.span(), 0.7)
    country = None
    if phone is not None and (code := country_from_phone(phone.value)) is not None:
        country = Extracted(code, phone.span, 0.6 if code == "US" else 0.8, derived=True)
    elif email is not None and (code := country_from_email(email.value)) is not None:
        country = Extracted(code, email.span, 0.6, derived=True)
    return ReporterDraft(
        qualification=qualification,
        title=title,
        given_name=given,
        family_name=family,
        email=email,
        phone=phone,
        country=country,
        is_patient=is_patient,
    )
