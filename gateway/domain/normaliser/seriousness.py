"""Seriousness criteria (E.i.3.2a-f) the reporter asserts, in English and Spanish.

A cue counts only when it is asserted: "was not hospitalised", "no fue hospitalizada",
"sin ingreso" are negations; "I thought I would die", "felt like dying", "me quería
morir", "if it gets worse", questions and fears are hedges or figures of speech. The
result is only ever True for a criterion (E2B sends true or NI, never false), so a
missed cue leaves NI and a person reviews; a false cue would wrongly expedite a case.

"Other medically important" is also derived (``derived=True``) when a reaction is on
the important-medical-event list (anaphylaxis, seizure, Stevens-Johnson …).
"""

from __future__ import annotations

import re

from gateway.domain.codes import SeriousnessCriterion
from gateway.domain.normaliser.context import is_hedged, is_negated
from gateway.domain.normaliser.lexicon import IMPORTANT_MEDICAL_EVENTS
from gateway.domain.normaliser.model import Extracted, ReactionDraft, SeriousnessFinding
from gateway.domain.normaliser.text import Doc

__all__ = ["extract_seriousness"]

_C = SeriousnessCriterion
_CUES: tuple[tuple[SeriousnessCriterion, re.Pattern[str]], ...] = (
    (
        _C.DEATH,
        re.compile(
            r"\b(?:died|dies|passed\s+away|deceased|death|fatal\s+(?:outcome|reaction|event|case)|"
            r"(?:was|proved|were)\s+fatal|desenlace\s+fatal|fallecio|fallecida|fallecido|"
            r"fallecimiento|murio|muerte|se\s+murio|perdimos\s+a)\b"
        ),
    ),
    (
        _C.LIFE_THREATENING,
        re.compile(
            r"\b(?:life[\s-]+threatening|threatened\s+(?:his|her|my|their)\s+life|"
            r"potentially\s+fatal|potencialmente\s+mortal|riesgo\s+vital|"
            r"(?:con\s+)?peligro\s+(?:de\s+muerte|para\s+su\s+vida|su\s+vida|la\s+vida|vital)|"
            r"amenaza\s+(?:para\s+)?(?:la|su)\s+vida|puso\s+en\s+peligro\s+su\s+vida|"
            r"cardiac\s+arrest|heart\s+stopped|parada\s+cardiaca|paro\s+cardiaco|"
            r"parada\s+cardiorrespiratoria|resuscitated|resuscitation|cpr|reanimaron|reanimacion)\b"
        ),
    ),
    (
        _C.HOSPITALISATION,
        re.compile(
            r"\b(?:hospitali[sz]ed|hospitali[sz]ation|hospital\s+admission|"
            r"admitted(?!\s+(?:that|to\s+(?:taking|having|using|drinking)))|admission\s+to|"
            r"(?:hospital\s+stay|hospitali[sz]ation|admission)\s+(?:was\s+)?(?:prolonged|extended)|"
            r"kept\s+(?:her|him|me|them)?\s*in(?:\s+the)?\s+hospital|stayed\s+in(?:\s+the)?\s+hospital|"
            r"(?:days?|nights?|weeks?)\s+in(?:\s+the)?\s+hospital|in\s+hospital\s+for|"
            r"intensive\s+care|icu|prolonged\s++(?:her|his|the)?\s*hospital|"
            r"ingresad[oa]s?|ingreso\s+(?:hospitalario|en|a|de|por)|ingresaron|ingresarla|"
            r"ingresarlo|ingresar|hospitalizad[oa]s?|hospitalizacion|uci|cuidados\s+intensivos|"
            r"(?:dias?|noches?|semanas?)\s+en\s+el\s+hospital)\b"
        ),
    ),
    (
        _C.DISABLING,
        re.compile(
            r"\b(?:disability|disabled|disabling|incapacitated|incapacity|"
            r"permanent(?:ly)?\s+(?:damage|disability|disabled|blind|deaf|loss|nerve\s+damage|"
            r"impairment)|can\s+no\s+longer\s+(?:walk|work|see|hear)|cannot\s+walk\s+anymore|"
            r"wheelchair|discapacidad|incapacidad|invalidez|incapacitad[oa]|"
            r"secuelas?\s+permanentes?|dano\s+permanente|ya\s+no\s+puede\s+(?:caminar|andar|"
            r"trabajar|ver|oir)|silla\s+de\s+ruedas)\b"
        ),
    ),
    (
        _C.CONGENITAL_ANOMALY,
        re.compile(
            r"\b(?:congenital|birth\s+defects?|malformations?|born\s+with\s+(?:a|an)?\s*"
            r"(?:heart\s+defect|cleft|malformation|defect)|malformacion(?:es)?|congenit[oa]|"
            r"defecto\s+(?:congenito|de\s+nacimiento)|cleft\s+(?:palate|lip)|spina\s+bifida|"
            r"labio\s+leporino|paladar\s+hendido|cardiopatia\s+congenita|espina\s+bifida)\b"
        ),
    ),
    (
        _C.OTHER_MEDICALLY_IMPORTANT,
        re.compile(
            r"\b(?:medically\s+(?:important|significant)|important\s+medical\s+event|"
            r"clinically\s+significant|medicamente\s+(?:importante|significativo)|"
            r"clinicamente\s+(?:relevante|significativ[oa])|evento\s+medico\s+importante)\b"
        ),
    ),
)
#: "death" in these phrases is not the patient's death
_NOT_PATIENT_DEATH = re.compile(
    r"(?:near|fear\s+of|risk\s+of|death\s+of\s+(?:my|his|her)|miedo\s+a\s+la)\s*$"
)


def _assign(doc: Doc, span: tuple[int, int], reactions: list[ReactionDraft]) -> tuple[int, ...]:
    """Reactions in the cue's sentence; else the nearest before it; else all."""
    sentence = doc.sentence_index(span[0])
    same = [
        i
        for i, r in enumerate(reactions)
        if r.verbatim.span and doc.sentence_index(r.verbatim.span[0]) == sentence
    ]
    if same:
        return tuple(same)
    earlier = [
        i
        for i, r in enumerate(reactions)
        if r.verbatim.span and doc.sentence_index(r.verbatim.span[0]) == sentence - 1
    ]
    return tuple(earlier) if earlier else tuple(range(len(reactions)))


def extract_seriousness(doc: Doc, reactions: list[ReactionDraft]) -> list[SeriousnessFinding]:
    """One finding per criterion (its first asserted cue), in criterion order."""
    findings: list[SeriousnessFinding] = []
    for criterion, pattern in _CUES:
        for m in pattern.finditer(doc.folded):
            start, end = m.span()
            if criterion is _C.DEATH and _NOT_PATIENT_DEATH.search(
                doc.folded[max(0, start - 20) : start]
            ):
                continue
            if is_negated(doc, start, end) or is_hedged(doc, start, end):
                continue
            findings.append(
                SeriousnessFinding(
                    criterion=Extracted(criterion, (start, end), 0.85),
                    reaction_indices=_assign(doc, (start, end), reactions),
                )
            )
            break
    if not any(f.criterion.value is _C.OTHER_MEDICALLY_IMPORTANT for f in findings):
        important = [i for i, r in enumerate(reactions) if r.term_hint in IMPORTANT_MEDICAL_EVENTS]
        if important:
            first = reactions[important[0]].verbatim.span
            findings.append(
                SeriousnessFinding(
                    criterion=Extracted(_C.OTHER_MEDICALLY_IMPORTANT, first, 0.6, derived=True),
                    reaction_indices=tuple(important),
                )
            )
    return findings
