"""Answers in a reporter's reply, tied to the open questions of the follow-up request.

How a piece of the reply is tied to a question, most explicit first:

1. **numbered**: "1. 45 years 2) she recovered", "1- sí" (numbers refer to the questions
   in the order they were asked);
2. **labelled**: "Age: 45", "Outcome: recovered", "Edad: 45 años", "Sexo: mujer";
3. **one line per question** when the reply has exactly as many lines as questions;
4. **the only question**: a reply to a single question answers it;
5. **recognised content**: a line that can only be one open question's answer (an
   outcome phrase while the outcome is asked, "45 years old" while the age is asked), or
   a line whose clauses can each only be one of them ("45 years old and recovered"; a
   clause that answers nothing asked stays unassigned, and no question is answered twice).

Anything else is kept as unassigned free text (``question=None``): never guessed.
Values are read with the intake normaliser (dates, age, sex) where it has a reader.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from gateway.domain.codes import ReactionOutcome, Sex
from gateway.domain.followup.questions import Question
from gateway.domain.normaliser.context import is_negated
from gateway.domain.normaliser.dates import find_dates
from gateway.domain.normaliser.patient import extract_patient
from gateway.domain.normaliser.text import Doc
from gateway.domain.values import PartialDate, Quantity

__all__ = ["Answer", "AnswerValue", "map_answers", "read_outcome", "read_yes_no"]

AnswerValue = bool | str | PartialDate | Quantity | Sex | ReactionOutcome


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer: the question it answers (None: unassigned), its words, its value."""

    question: Question | None
    text: str  # the reporter's words, as written
    span: tuple[int, int]  # where ``text`` is in the reply text
    value: AnswerValue | None = None  # typed when understood


# --- reading values ----------------------------------------------------------------------

_YES = re.compile(
    r"^\s*(?:yes|yeah|yep|y|correct|indeed|si|sí|claro|afirmativo|efectivamente|cierto)\b",
    re.IGNORECASE,
)
_NO = re.compile(r"^\s*(?:no|nope|n|not|never|none|nunca|negativo|ninguno|ninguna)\b", re.I)

_OUTCOMES: tuple[tuple[ReactionOutcome, re.Pattern[str]], ...] = (
    (
        ReactionOutcome.FATAL,
        re.compile(
            r"\b(?:died|dead|passed\s+away|deceased|fatal|falleci[oó]|fallecid[oa]|muri[oó]|"
            r"muert[oa])\b",
            re.I,
        ),
    ),
    (
        ReactionOutcome.RECOVERED_WITH_SEQUELAE,
        re.compile(r"\b(?:sequelae?|permanent\s+damage|scarring|secuelas?|cicatri[zc]\w*)\b", re.I),
    ),
    (
        ReactionOutcome.NOT_RECOVERED,
        re.compile(
            r"\b(?:still|ongoing|not\s+(?:yet\s+)?recovered|hasn\W?t\s+(?:recovered|resolved|"
            r"gone)|persist\w*|unchanged|no\s+improvement|worse|sigue|todav[ií]a|a[uú]n\s+"
            r"(?:tiene|tengo|est[aá])|no\s+se\s+ha\s+(?:recuperado|resuelto|curado)|"
            r"contin[uú]a|igual|peor|no\s+ha\s+mejorado)\b",
            re.I,
        ),
    ),
    (
        ReactionOutcome.RECOVERING,
        re.compile(
            r"\b(?:recovering|improving|getting\s+better|better|mejorando|mejor|"
            r"recuper[aá]ndose|en\s+recuperaci[oó]n)\b",
            re.I,
        ),
    ),
    (
        ReactionOutcome.RECOVERED,
        re.compile(
            r"\b(?:recovered|resolved|went\s+away|gone|disappeared|cleared(?:\s+up)?|"
            r"back\s+to\s+normal|fine(?:\s+now)?|well\s+now|fully\s+recovered|"
            r"se\s+recuper[oó]|recuperad[oa]|se\s+resolvi[oó]|resuelt[oa]|desapareci[oó]|"
            r"se\s+(?:le|me)\s+quit[oó]|se\s+cur[oó]|curad[oa]|(?:ya\s+)?est[aá]\s+bien|bien)\b",
            re.I,
        ),
    ),
    (
        ReactionOutcome.UNKNOWN,
        re.compile(
            r"\b(?:unknown|don\W?t\s+know|not\s+sure|no\s+s[eé]|desconocid[oa])\b", re.IGNORECASE
        ),
    ),
)

_AGE_NUMBER = re.compile(
    r"^\D{0,20}?(?P<n>\d{1,3})\s*(?P<u>years?|yrs?|y|a|años|anos|months?|mos?|meses|"
    r"weeks?|wks?|semanas|days?|d[ií]as)?\b",
    re.IGNORECASE,
)
_FEMALE = re.compile(r"\b(?:female|woman|girl|f|mujer|femenino|femenina|niña|she|ella)\b", re.I)
_MALE = re.compile(r"\b(?:male|man|boy|m|hombre|var[oó]n|masculino|niño|he|él)\b", re.I)
_DOSE = re.compile(
    r"(?<!\d)(?P<n>\d++(?:[.,]\d++)?)\s*+(?P<u>mg|g|mcg|µg|ug|ml|mL|l|iu|ui|units?|unidades|"
    r"tablets?|tabs?|comprimidos?|pastillas?|capsules?|c[aá]psulas?|puffs?|drops?|gotas)\b",
    re.IGNORECASE,
)
_UNIT_CODES = {
    "mcg": "ug", "µg": "ug", "ug": "ug", "mg": "mg", "g": "g", "ml": "mL", "l": "L",
    "iu": "[iU]", "ui": "[iU]", "unit": "{unit}", "units": "{unit}", "unidades": "{unit}",
}  # fmt: skip
_ROUTES = (
    ("oral", re.compile(r"\b(?:oral(?:ly|mente)?|by\s+mouth|v[ií]a\s+oral|por\s+boca)\b", re.I)),
    (
        "intravenous",
        re.compile(r"\b(?:iv|intravenous(?:ly)?|intravenos[oa]|endovenos[oa])\b", re.I),
    ),
    ("subcutaneous", re.compile(r"\b(?:sc|subcutaneous(?:ly)?|subcut[aá]ne[oa])\b", re.I)),
    ("intramuscular", re.compile(r"\b(?:im|intramuscular(?:ly)?)\b", re.I)),
    (
        "topical",
        re.compile(r"\b(?:topical(?:ly)?|t[oó]pic[oa]|cream|crema|on\s+the\s+skin)\b", re.I),
    ),
    ("inhalation", re.compile(r"\b(?:inhal\w*|inhaler|inhalador)\b", re.I)),
)
_CONTACT = re.compile(r"(?<![\w.+-])[\w.+-]++@[\w-]+(?:\.[\w-]+)+|\+?\d[\d\s().-]{6,}\d")
_BATCH = re.compile(r"\b(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{2,19}\b")


def read_yes_no(text: str) -> bool | None:
    """``True`` for yes/sí, ``False`` for no, None when the answer says neither."""
    if _YES.match(text):
        return True
    if _NO.match(text):
        return False
    return None


def read_outcome(text: str) -> ReactionOutcome | None:
    """The E2B outcome (E.i.7) a phrase states: "recovered", "still ongoing", "falleció"."""
    doc = Doc(text)
    for outcome, pattern in _OUTCOMES:
        for m in pattern.finditer(text):
            if outcome is ReactionOutcome.RECOVERED and is_negated(doc, m.start(), m.end()):
                return ReactionOutcome.NOT_RECOVERED
            return outcome
    return None


def _read_age(text: str, language: str) -> Quantity | None:
    doc = Doc(text)
    found = extract_patient(doc, [], None, language).age
    if found is not None:
        return found.value
    m = _AGE_NUMBER.match(doc.folded)
    if m is None:
        return None
    n = int(m.group("n"))
    unit_word = (m.group("u") or "y").lower()
    unit = "a"
    if unit_word.startswith(("mo", "mes")):
        unit = "mo"
    elif unit_word.startswith(("w", "sem")):
        unit = "wk"
    elif unit_word.startswith("d"):
        unit = "d"
    limit = {"a": 120, "mo": 36, "wk": 60, "d": 60}[unit]
    return Quantity(value=Decimal(n), unit=unit) if 0 < n <= limit else None


def _read_sex(text: str, language: str) -> Sex | None:
    found = extract_patient(Doc(text), [], None, language).sex
    if found is not None:
        return found.value
    female, male = _FEMALE.search(text), _MALE.search(text)
    if female and not male:
        return Sex.FEMALE
    if male and not female:
        return Sex.MALE
    return None


def _read_date(text: str, received_at: datetime) -> PartialDate | None:
    found = find_dates(Doc(text), received_at)
    return found[0].date if found else None


def _read_dose(text: str) -> Quantity | None:
    m = _DOSE.search(text)
    if m is None:
        return None
    try:
        value = Decimal(m.group("n").replace(",", "."))
    except InvalidOperation:
        return None
    unit_word = m.group("u").lower()
    unit = _UNIT_CODES.get(unit_word, "{DF}")  # tablets, drops …: dose-form units
    return Quantity(value=value, unit=unit)


def _read_route(text: str) -> str | None:
    return next((route for route, pattern in _ROUTES if pattern.search(text)), None)


def read_value(
    question: Question, text: str, *, language: str, received_at: datetime
) -> AnswerValue | None:
    """The typed value of ``text`` as an answer to ``question``, None when not understood."""
    body = _without_label(text).strip()
    if not body:
        return None
    match question:
        case Question.PATIENT_AGE:
            return _read_age(body, language)
        case Question.PATIENT_SEX:
            return _read_sex(body, language)
        case Question.OUTCOME:
            return read_outcome(body)
        case Question.ONSET_DATE:
            return _read_date(body, received_at)
        case Question.DOSE:
            return _read_dose(body) or body
        case Question.ROUTE:
            return _read_route(body) or body
        case Question.BATCH:
            m = _BATCH.search(body)
            return m.group() if m else body
        case Question.REPORTER_CONTACT:
            m = _CONTACT.search(body)
            return m.group().strip() if m else None
        case Question.PATIENT_IDENTIFIER:
            return _read_age(body, language) or _read_sex(body, language) or body
        case Question.SERIOUSNESS | Question.DECHALLENGE | Question.RECHALLENGE:
            yes_no = read_yes_no(body)
            return body if yes_no is None else yes_no
        case _:
            # free text: product, reaction, indication, history, other drugs, tests
            return None if read_yes_no(body) is False and len(body) <= 4 else body


# --- tying answers to questions -----------------------------------------------------------

#: "1." "2)" "3-" "4:" — the mark is followed by a space or a word, never by a digit
#: (so "3-5 days" and "12.03.2024" are not numbering)
_NUMBER = re.compile(r"(?:(?<=\s)|^)(?P<n>\d{1,2})\s*[.)\-:º°](?:\s+|(?=[^\d\s]))", re.M)
_LABELS: tuple[tuple[Question, re.Pattern[str]], ...] = tuple(
    (q, re.compile(rf"^\s*(?:{pattern})\s*[:=-]\s*", re.IGNORECASE))
    for q, pattern in (
        (Question.PATIENT_AGE, r"age|edad|patient\s+age|edad\s+del?\s+paciente"),
        (Question.PATIENT_SEX, r"sex|gender|sexo|g[eé]nero"),
        (Question.OUTCOME, r"outcome|evoluci[oó]n|desenlace|resultado|estado"),
        (
            Question.ONSET_DATE,
            r"onset(?:\s+date)?|start(?:\s+date)?|fecha(?:\s+de)?\s+inicio|inicio",
        ),
        (Question.DOSE, r"dose|dosage|dosis"),
        (Question.ROUTE, r"route|v[ií]a(?:\s+de\s+administraci[oó]n)?"),
        (Question.BATCH, r"batch|lot|lote|batch\s+number|n[uú]mero\s+de\s+lote"),
        (Question.INDICATION, r"indication|indicaci[oó]n|reason|motivo"),
        (Question.MEDICAL_HISTORY, r"(?:medical\s+)?history|antecedentes"),
        (
            Question.CONCOMITANT_DRUGS,
            r"other\s+(?:drugs|medicines|medications)|concomitant\w*|"
            r"otros\s+medicamentos|medicaci[oó]n\s+concomitante",
        ),
        (
            Question.SERIOUSNESS,
            r"hospitali[sz]ed|hospitali[sz]ation|hospitalizad[oa]|ingreso|"
            r"serious(?:ness)?|gravedad",
        ),
        (Question.REPORTER_CONTACT, r"contact|phone|telephone|email|tel[eé]fono|correo"),
        (Question.PATIENT_IDENTIFIER, r"initials|iniciales|patient|paciente"),
        (Question.SUSPECT_PRODUCT, r"product|medicine|drug|medicamento|producto"),
        (Question.REACTION, r"reaction|event|reacci[oó]n|s[ií]ntomas?|symptoms?"),
        (Question.RELEVANT_TESTS, r"tests?|pruebas|an[aá]lisis"),
        (Question.DECHALLENGE, r"dechallenge|stopped|suspendido|retirada"),
        (Question.RECHALLENGE, r"rechallenge|restarted|reintroducci[oó]n"),
    )
)
_BULLET = re.compile(r"^\s*[-*•]\s*")


def _without_label(text: str) -> str:
    for _, pattern in _LABELS:
        m = pattern.match(text)
        if m is not None:
            return text[m.end() :]
    return text


def _label_of(text: str) -> Question | None:
    return next((q for q, pattern in _LABELS if pattern.match(text)), None)


def _segments(text: str, pattern: re.Pattern[str], count: int) -> list[tuple[int, int, int]]:
    """(question number, start, end) of numbered answers, when numbering is consistent."""
    markers = [m for m in pattern.finditer(text) if 1 <= int(m.group("n")) <= count]
    chosen: list[re.Match[str]] = []
    for m in markers:
        n = int(m.group("n"))
        if not chosen and n != 1:
            continue
        if chosen and n <= int(chosen[-1].group("n")):
            continue
        if not chosen and text[: m.start()].rsplit("\n", 1)[-1].strip():
            continue  # the first number opens a line ("Hola,\n1. …"), not mid-sentence
        chosen.append(m)
    out = []
    for k, m in enumerate(chosen):
        end = chosen[k + 1].start() if k + 1 < len(chosen) else len(text)
        out.append((int(m.group("n")), m.end(), end))
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    spans = []
    offset = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        if stripped:
            start = offset + line.index(stripped[0])
            bullet = _BULLET.match(text, start)
            if bullet is not None:
                start = bullet.end()
            spans.append((start, offset + len(line.rstrip())))
        offset += len(line)
    return spans


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;"):
        end -= 1
    return start, end


def _recognised(chunk: str, open_questions: Sequence[Question], language: str) -> Question | None:
    """The one open question this chunk can only be an answer to, else None."""
    hits: list[Question] = []
    if Question.OUTCOME in open_questions and read_outcome(chunk) is not None:
        hits.append(Question.OUTCOME)
    if Question.PATIENT_AGE in open_questions:
        age = extract_patient(Doc(chunk), [], None, language).age
        if age is not None:
            hits.append(Question.PATIENT_AGE)
    if Question.REPORTER_CONTACT in open_questions and _CONTACT.search(chunk):
        hits.append(Question.REPORTER_CONTACT)
    return hits[0] if len(hits) == 1 else None


def map_answers(
    text: str,
    questions: Sequence[Question],
    *,
    language: str,
    received_at: datetime | None = None,
) -> tuple[Answer, ...]:
    """The answers in ``text`` to ``questions`` (in the order they were asked).

    ``language`` ("en"/"es") guides the normaliser's readers; ``received_at`` anchors
    relative and year-less dates ("yesterday", "3 May"); without it, the current time.
    """
    reference = received_at or datetime.now(UTC)
    answers: list[Answer] = []

    def add(question: Question | None, start: int, end: int) -> None:
        start, end = _trimmed(text, start, end)
        if start >= end:
            return
        words = text[start:end]
        value = (
            read_value(question, words, language=language, received_at=reference)
            if question is not None
            else None
        )
        answers.append(Answer(question=question, text=words, span=(start, end), value=value))

    numbered = _segments(text, _NUMBER, len(questions)) if questions else []
    if numbered:
        # a greeting before the numbered answers is kept, unassigned
        first_mark = text.rfind("\n", 0, numbered[0][1]) + 1
        add(None, 0, first_mark)
        for number, start, end in numbered:
            add(questions[number - 1], start, end)
        return tuple(answers)

    lines = _lines(text)
    if not lines:
        return ()
    labelled = [_label_of(text[s:e]) for s, e in lines]
    if any(q is not None and q in questions for q in labelled):
        for (start, end), label in zip(lines, labelled, strict=True):
            if label is not None and label in questions:
                add(label, start, end)
            else:
                add(_recognised(text[start:end], questions, language), start, end)
        return tuple(answers)
    if len(questions) > 1 and len(lines) == len(questions):
        for question, (start, end) in zip(questions, lines, strict=True):
            add(question, start, end)
        return tuple(answers)
    if len(questions) == 1:
        add(questions[0], lines[0][0], lines[-1][1])
        return tuple(answers)
    for start, end in lines:
        whole = _recognised(text[start:end], questions, language)
        clauses = _clauses(text, start, end) if whole is None else []
        recognised = [_recognised(text[s:e], questions, language) for s, e in clauses]
        known = [q for q in recognised if q is not None]
        if len(clauses) > 1 and known and len(set(known)) == len(known):
            # "She is 52 and she has recovered": each clause that can only answer one open
            # question answers it (no question twice); the other clauses stay unassigned
            for q, (s, e) in zip(recognised, clauses, strict=True):
                add(q, s, e)
        else:
            add(whole, start, end)
    return tuple(answers)


_CLAUSE_BREAK = re.compile(r"[.;,]\s+|(?<!\s)\s++(?:and|but|y|pero)\s+", re.IGNORECASE)


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The clauses of one line (split at punctuation and "and"/"y"), as spans."""
    spans: list[tuple[int, int]] = []
    at = start
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        spans.append((at, match.start()))
        at = match.end()
    spans.append((at, end))
    return [(s, e) for s, e in (_trimmed(text, s, e) for s, e in spans) if s < e]
