"""Turn a follow-up plan into the text a reporter receives: ``render_request``.

Plain language, numbered questions, English and Spanish. Email gets a subject carrying
the case's reference tag (``subject_tag``) so that a reply whose headers were stripped
still threads (``find_subject_tag``); SMS and WhatsApp get short wording, and an SMS
never exceeds ``SMS_MAX_CHARS`` (three concatenated segments): questions that do not fit
are left out and the result says which were asked (``RenderedRequest.questions``), so the
rest can go in a later request.

Texts are overridable from configuration, per language (``Templates.with_overrides``)::

    [followup.templates.es.questions]
    batch = "¿Cuál es el número de lote del envase?"
    [followup.templates.en]
    closing = "Thank you. The Patient Safety team"
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from gateway.domain.followup.planner import FollowUpPlan
from gateway.domain.followup.questions import Question

# Bad configuration of any kind raises ValueError (hence the TRY004 waivers): start-up
# catches one exception type and shows its message.

__all__ = [
    "CHANNELS",
    "DEFAULT_TEMPLATES",
    "LANGUAGES",
    "SMS_MAX_CHARS",
    "SUBJECT_TAG_PREFIX",
    "WHATSAPP_MAX_CHARS",
    "LanguagePack",
    "RenderedRequest",
    "Templates",
    "case_ref",
    "choose_language",
    "find_subject_tag",
    "find_subject_tags",
    "render_request",
    "subject_tag",
]

CHANNELS = ("EMAIL", "SMS", "WHATSAPP")
LANGUAGES = ("en", "es")
#: three concatenated GSM-7 segments of 160 characters
SMS_MAX_CHARS = 480
#: WhatsApp allows 4096 characters; a long chat message goes unread, so keep it short
WHATSAPP_MAX_CHARS = 1000
SUBJECT_TAG_PREFIX = "ICSR-REF"

# --- subject tag --------------------------------------------------------------------

_TAG = re.compile(rf"\[\s*{SUBJECT_TAG_PREFIX}\s*:\s*([A-Za-z0-9_-]+)\s*\]", re.IGNORECASE)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]+$")


def case_ref(token: str) -> str:
    """The reference shown to the reporter for a request token: ``ICSR-REF:<token>``."""
    if not _TOKEN.match(token):
        raise ValueError(f"a case reference token is letters, digits, '-' or '_', got {token!r}")
    return f"{SUBJECT_TAG_PREFIX}:{token}"


def subject_tag(ref: str) -> str:
    """The tag put in an email subject: ``[ICSR-REF:AB12CD]`` for ``ICSR-REF:AB12CD``."""
    if not ref.strip() or "[" in ref or "]" in ref:
        raise ValueError(f"a case reference is non-blank and has no brackets, got {ref!r}")
    return f"[{ref.strip()}]"


def find_subject_tags(subject: str | None) -> tuple[str, ...]:
    """Every distinct tag in a subject, normalised as ``subject_tag`` writes it.

    Mail clients and people mangle the tag a little (``[icsr-ref: AB12CD]``): the prefix
    and spacing are normalised, the token keeps its case (tokens may be case-sensitive).
    """
    if not subject:
        return ()
    found: list[str] = []
    for match in _TAG.finditer(subject):
        tag = subject_tag(f"{SUBJECT_TAG_PREFIX}:{match.group(1)}")
        if tag not in found:
            found.append(tag)
    return tuple(found)


def find_subject_tag(subject: str | None) -> str | None:
    """The first tag in a subject (``find_subject_tag(f"Re: x {subject_tag(r)}")``)."""
    tags = find_subject_tags(subject)
    return tags[0] if tags else None


# --- language -------------------------------------------------------------------------

_LANGUAGE_ALIASES = {
    "en": "en",
    "eng": "en",
    "english": "en",
    "es": "es",
    "spa": "es",
    "spanish": "es",
    "espanol": "es",
    "español": "es",
    "castellano": "es",
}


def choose_language(icsr_or_text_language_hint: str | None, default: str = "en") -> str:
    """A template language from a hint (ISO 639-1/-2 code, locale, or name), else default.

    ``"es-MX"``, ``"spa"`` (E.i.1.1b), ``"Spanish"`` give ``"es"``; an unsupported
    language gives the default.
    """
    if default not in LANGUAGES:
        raise ValueError(f"default language must be one of {', '.join(LANGUAGES)}, got {default!r}")
    if not icsr_or_text_language_hint:
        return default
    hint = icsr_or_text_language_hint.strip().casefold().replace("_", "-")
    base = hint.split("-", 1)[0]
    return _LANGUAGE_ALIASES.get(hint) or _LANGUAGE_ALIASES.get(base) or default


# --- texts -----------------------------------------------------------------------------

_EN_QUESTIONS = {
    Question.REPORTER_CONTACT: (
        "How can we contact you to confirm your report? Please give your name and a phone "
        "number or email address."
    ),
    Question.PATIENT_IDENTIFIER: (
        "Who had the side effect? Please tell us their initials, age (or date of birth) and sex."
    ),
    Question.SUSPECT_PRODUCT: "Which medicine do you think caused the problem?",
    Question.REACTION: "What happened? Please describe the side effect or problem.",
    Question.OUTCOME: (
        "How is the person now: recovered, recovering, not yet recovered, recovered with "
        "lasting effects, or did they die?"
    ),
    Question.PATIENT_AGE: "How old was the person when the problem started?",
    Question.PATIENT_SEX: "Is the person male or female?",
    Question.ONSET_DATE: "On what date did the problem start?",
    Question.SERIOUSNESS: (
        "Was the person admitted to hospital, was their life in danger, or did the problem "
        "cause a lasting disability?"
    ),
    Question.DOSE: "What dose was taken, and how often?",
    Question.ROUTE: "How was the medicine taken (for example by mouth, injection, on the skin)?",
    Question.INDICATION: "What was the medicine being taken for?",
    Question.BATCH: "What is the batch or lot number printed on the pack?",
    Question.MEDICAL_HISTORY: "Does the person have other illnesses or relevant medical history?",
    Question.CONCOMITANT_DRUGS: (
        "Was the person taking any other medicines, vitamins or herbal products at the time?"
    ),
    Question.RELEVANT_TESTS: (
        "Were any tests done (for example blood tests or scans)? If so, what were the results?"
    ),
    Question.DECHALLENGE: (
        "Was the medicine stopped or the dose changed? If so, did the problem get better?"
    ),
    Question.RECHALLENGE: "Was the medicine started again later? If so, did the problem come back?",
}

_EN_SHORT = {
    Question.REPORTER_CONTACT: "Your name and a phone or email to reach you?",
    Question.PATIENT_IDENTIFIER: "Patient's initials, age and sex?",
    Question.SUSPECT_PRODUCT: "Which medicine caused the problem?",
    Question.REACTION: "What side effect happened?",
    Question.OUTCOME: "How is the patient now (recovered, recovering, not recovered)?",
    Question.PATIENT_AGE: "Patient's age?",
    Question.PATIENT_SEX: "Patient's sex?",
    Question.ONSET_DATE: "Date the problem started?",
    Question.SERIOUSNESS: "Hospital stay or life in danger?",
    Question.DOSE: "Dose and how often?",
    Question.ROUTE: "How was it taken (mouth, injection...)?",
    Question.INDICATION: "What was it taken for?",
    Question.BATCH: "Batch/lot number on the pack?",
    Question.MEDICAL_HISTORY: "Other illnesses?",
    Question.CONCOMITANT_DRUGS: "Other medicines taken?",
    Question.RELEVANT_TESTS: "Any tests and results?",
    Question.DECHALLENGE: "Was it stopped? Did it get better?",
    Question.RECHALLENGE: "Restarted? Did it come back?",
}

_ES_QUESTIONS = {
    Question.REPORTER_CONTACT: (
        "¿Cómo podemos contactarle para confirmar su notificación? Indíquenos su nombre y un "
        "teléfono o correo electrónico."
    ),
    Question.PATIENT_IDENTIFIER: (
        "¿Quién tuvo el efecto adverso? Indíquenos sus iniciales, edad (o fecha de "
        "nacimiento) y sexo."
    ),
    Question.SUSPECT_PRODUCT: "¿Qué medicamento cree que causó el problema?",
    Question.REACTION: "¿Qué ocurrió? Describa el efecto adverso o el problema.",
    Question.OUTCOME: (
        "¿Cómo se encuentra ahora la persona: recuperada, en recuperación, sin recuperarse, "
        "recuperada con secuelas, o falleció?"
    ),
    Question.PATIENT_AGE: "¿Qué edad tenía la persona cuando empezó el problema?",
    Question.PATIENT_SEX: "¿La persona es hombre o mujer?",
    Question.ONSET_DATE: "¿En qué fecha empezó el problema?",
    Question.SERIOUSNESS: (
        "¿La persona fue ingresada en el hospital, estuvo su vida en peligro o le quedó "
        "una discapacidad?"
    ),
    Question.DOSE: "¿Qué dosis tomaba y con qué frecuencia?",
    Question.ROUTE: "¿Cómo se administraba el medicamento (por boca, inyección, sobre la piel)?",
    Question.INDICATION: "¿Para qué tomaba el medicamento?",
    Question.BATCH: "¿Cuál es el número de lote que aparece en el envase?",
    Question.MEDICAL_HISTORY: "¿Tiene la persona otras enfermedades o antecedentes médicos?",
    Question.CONCOMITANT_DRUGS: (
        "¿Tomaba la persona otros medicamentos, vitaminas o productos de herbolario en ese momento?"
    ),
    Question.RELEVANT_TESTS: (
        "¿Se hicieron pruebas (por ejemplo análisis de sangre o radiografías)? ¿Con qué resultados?"
    ),
    Question.DECHALLENGE: (
        "¿Se suspendió el medicamento o se cambió la dosis? ¿Mejoró el problema después?"
    ),
    Question.RECHALLENGE: "¿Se volvió a tomar el medicamento más tarde? ¿Reapareció el problema?",
}

_ES_SHORT = {
    Question.REPORTER_CONTACT: "¿Su nombre y un teléfono o correo?",
    Question.PATIENT_IDENTIFIER: "¿Iniciales, edad y sexo del paciente?",
    Question.SUSPECT_PRODUCT: "¿Qué medicamento causó el problema?",
    Question.REACTION: "¿Qué efecto adverso tuvo?",
    Question.OUTCOME: "¿Cómo está ahora (recuperado, mejorando, sin mejorar)?",
    Question.PATIENT_AGE: "¿Edad del paciente?",
    Question.PATIENT_SEX: "¿Sexo del paciente?",
    Question.ONSET_DATE: "¿Fecha de inicio del problema?",
    Question.SERIOUSNESS: "¿Ingreso en hospital o vida en peligro?",
    Question.DOSE: "¿Dosis y frecuencia?",
    Question.ROUTE: "¿Cómo lo tomaba (boca, inyección...)?",
    Question.INDICATION: "¿Para qué lo tomaba?",
    Question.BATCH: "¿Número de lote del envase?",
    Question.MEDICAL_HISTORY: "¿Otras enfermedades?",
    Question.CONCOMITANT_DRUGS: "¿Otros medicamentos?",
    Question.RELEVANT_TESTS: "¿Pruebas y resultados?",
    Question.DECHALLENGE: "¿Lo suspendió? ¿Mejoró?",
    Question.RECHALLENGE: "¿Lo volvió a tomar? ¿Reapareció?",
}

_PACK_TEXT_KEYS = ("subject", "intro", "closing", "short_intro", "short_closing")
_PACK_MAP_KEYS = ("questions", "short_questions")


@dataclass(frozen=True, slots=True, kw_only=True)
class LanguagePack:
    """The texts of one language. ``{ref}`` in a text is replaced by the case reference."""

    subject: str
    intro: str
    closing: str
    short_intro: str
    short_closing: str
    questions: Mapping[Question, str]
    short_questions: Mapping[Question, str]

    def __post_init__(self) -> None:
        for name in _PACK_MAP_KEYS:
            texts: Mapping[Question, str] = getattr(self, name)
            missing = [q.value for q in Question if not str(texts.get(q, "")).strip()]
            if missing:
                raise ValueError(f"LanguagePack.{name} has no text for {', '.join(missing)}")
            object.__setattr__(self, name, MappingProxyType(dict(texts)))


_EN = LanguagePack(
    subject="Follow-up on your side-effect report",
    intro=(
        "Thank you for reporting a possible side effect. To assess it properly we need a "
        "little more information. Please reply to this email with your answers; it is fine "
        "to answer only some of the questions."
    ),
    closing=(
        "Please keep the reference {ref} in the subject when you reply.\n"
        "If you do not want to receive further messages about this report, reply STOP.\n\n"
        "Patient Safety / Pharmacovigilance"
    ),
    short_intro="Thanks for your side-effect report ({ref}). Please reply with:",
    short_closing="Reply STOP to opt out.",
    questions=_EN_QUESTIONS,
    short_questions=_EN_SHORT,
)

_ES = LanguagePack(
    subject="Seguimiento de su notificación de efecto adverso",
    intro=(
        "Gracias por notificar un posible efecto adverso. Para evaluarlo necesitamos algo "
        "más de información. Responda a este correo con sus respuestas; puede contestar solo "
        "algunas de las preguntas."
    ),
    closing=(
        "Mantenga la referencia {ref} en el asunto al responder.\n"
        "Si no desea recibir más mensajes sobre esta notificación, responda BAJA.\n\n"
        "Farmacovigilancia / Seguridad del Paciente"
    ),
    short_intro="Gracias por su notificación ({ref}). Responda por favor:",
    short_closing="Responda BAJA para no recibir más mensajes.",
    questions=_ES_QUESTIONS,
    short_questions=_ES_SHORT,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Templates:
    """Language packs by language code (``"en"``, ``"es"``)."""

    packs: Mapping[str, LanguagePack] = field(
        default_factory=lambda: MappingProxyType({"en": _EN, "es": _ES})
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "packs", MappingProxyType(dict(self.packs)))

    def pack(self, language: str) -> LanguagePack:
        try:
            return self.packs[language]
        except KeyError:
            raise ValueError(
                f"no follow-up templates for language {language!r}; "
                f"have {', '.join(sorted(self.packs))}"
            ) from None

    def with_overrides(
        self, data: Mapping[str, Any], *, where: str = "followup.templates"
    ) -> Templates:
        """A copy with texts replaced from a mapping ``{language: {key: text | {q: text}}}``.

        Keys: subject, intro, closing, short_intro, short_closing (texts) and questions,
        short_questions (question name -> text). Unknown languages, keys or question names
        raise ValueError.
        """
        packs = dict(self.packs)
        for language, entry in data.items():
            here = f"{where}.{language}"
            if language not in packs:
                raise ValueError(
                    f"unknown language {language!r} in {where}; have {', '.join(sorted(packs))}"
                )
            if not isinstance(entry, Mapping):
                raise ValueError(f"{here} must be a table, got {entry!r}")  # noqa: TRY004
            unknown = sorted(set(entry) - {*_PACK_TEXT_KEYS, *_PACK_MAP_KEYS})
            if unknown:
                raise ValueError(
                    f"unknown key(s) {', '.join(map(repr, unknown))} in {here}; expected "
                    f"{', '.join((*_PACK_TEXT_KEYS, *_PACK_MAP_KEYS))}"
                )
            changes: dict[str, Any] = {}
            for key in _PACK_TEXT_KEYS:
                if key in entry:
                    changes[key] = _text(entry[key], f"{here}.{key}")
            base = packs[language]
            for key in _PACK_MAP_KEYS:
                if key in entry:
                    texts = dict(getattr(base, key))
                    texts.update(_question_texts(entry[key], f"{here}.{key}"))
                    changes[key] = texts
            packs[language] = replace(base, **changes)
        return Templates(packs=packs)


def _text(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{where} must be a non-empty text, got {value!r}")
    return value


def _question_texts(value: object, where: str) -> dict[Question, str]:
    if not isinstance(value, Mapping):
        problem = f"{where} must be a table of question name -> text, got {value!r}"
        raise ValueError(problem)  # noqa: TRY004
    texts: dict[Question, str] = {}
    for name, text in value.items():
        try:
            question = Question(str(name).strip().lower())
        except ValueError:
            known = ", ".join(q.value for q in Question)
            raise ValueError(
                f"unknown follow-up question {name!r} in {where}; known: {known}"
            ) from None
        texts[question] = _text(text, f"{where}.{name}")
    return texts


DEFAULT_TEMPLATES = Templates()


@dataclass(frozen=True, slots=True, kw_only=True)
class RenderedRequest:
    """What to send. ``questions``: those actually in the body, in their numbered order."""

    subject: str | None
    body: str
    questions: tuple[Question, ...]


def _fill(text: str, ref: str) -> str:
    # not str.format: configured texts may hold other braces
    return text.replace("{ref}", ref)


def _numbered(texts: list[str], separator: str) -> str:
    return separator.join(f"{n}. {t}" for n, t in enumerate(texts, start=1))


def _short_body(pack: LanguagePack, questions: tuple[Question, ...], ref: str) -> str:
    lines = [_fill(pack.short_intro, ref)]
    lines.append(_numbered([pack.short_questions[q] for q in questions], "\n"))
    lines.append(_fill(pack.short_closing, ref))
    return "\n".join(lines)


def render_request(
    plan: FollowUpPlan,
    *,
    channel: str,
    language: str,
    case_ref: str,
    templates: Templates = DEFAULT_TEMPLATES,
) -> RenderedRequest:
    """The request for ``plan`` on ``channel`` ("EMAIL", "SMS", "WHATSAPP") in ``language``.

    ``case_ref`` (e.g. ``ICSR-REF:AB12CD``) goes in the email subject as
    ``subject_tag(case_ref)`` and in the text of every channel.
    """
    channel = channel.upper()
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}, got {channel!r}")
    pack = templates.pack(language)
    tag = subject_tag(case_ref)
    if channel == "EMAIL":
        texts = [pack.questions[q] for q in plan.questions]
        body = "\n\n".join(
            [_fill(pack.intro, case_ref), _numbered(texts, "\n"), _fill(pack.closing, tag)]
        )
        return RenderedRequest(
            subject=f"{pack.subject} {tag}", body=body + "\n", questions=plan.questions
        )
    limit = SMS_MAX_CHARS if channel == "SMS" else WHATSAPP_MAX_CHARS
    questions = plan.questions
    body = _short_body(pack, questions, case_ref)
    # drop the lowest-priority questions until it fits; the first one always stays
    while len(body) > limit and len(questions) > 1:
        questions = questions[:-1]
        body = _short_body(pack, questions, case_ref)
    if len(body) > limit:
        raise ValueError(
            f"the {language} {channel} template is too long ({len(body)} > {limit} characters) "
            "even with one question; shorten the configured texts"
        )
    return RenderedRequest(subject=None, body=body, questions=questions)
