"""Which language a report is written in (English or Spanish), by cue words.

Counts frequent function words that belong to one language only; accents and "ñ" are
strong Spanish cues. Short texts with no cue fall back to the channel's hint or English,
marked ``derived`` with low confidence.
"""

from __future__ import annotations

from gateway.domain.normaliser.model import Extracted
from gateway.domain.normaliser.text import Doc, words

__all__ = ["ISO_639_2", "detect_language"]

#: ISO 639-1 -> ISO 639-2 (E2B E.i.1.1b, H.5.r.1b)
ISO_639_2 = {"en": "eng", "es": "spa"}

_SPANISH = words(
    "el la los las del que y de en por para con una uno pero muy mi mis su sus le les "
    "lo se es esta este estoy estaba fue tiene tengo tenia desde hace dias semanas meses "
    "anos tomo tomando tome empece empezo dolor mucho mucha tambien ademas despues "
    "cuando porque hola buenas gracias saludos ayer hoy mañana senora paciente medico "
    "pastilla pastillas comprimido comprimidos"
)
_ENGLISH = words(
    "the and of to in is was were with for my his her she he it that this have has had "
    "after before took taking take started days weeks months years old but not very "
    "hi hello thanks regards yesterday today doctor patient since been got which would "
    "developed tablet tablets pills"
)


def detect_language(doc: Doc, hint: str | None = None) -> Extracted[str]:
    """``"en"`` or ``"es"``; ``hint`` (e.g. from the channel or a form) wins ties."""
    es = sum(1 for t in doc.tokens if t.text in _SPANISH)
    en = sum(1 for t in doc.tokens if t.text in _ENGLISH)
    es += 2 * sum(1 for ch in doc.text if ch in "ñÑ¿¡áéíóúÁÉÍÓÚ")
    total = es + en
    if total == 0 or es == en:
        value = hint if hint in ISO_639_2 else "en"
        return Extracted(value, None, 0.3, derived=True)
    value = "es" if es > en else "en"
    confidence = round(max(es, en) / total, 2)
    return Extracted(value, (0, len(doc.text)), confidence)
