"""Is a mention asserted? Negation ("no rash", "was not hospitalised", "sin fiebre") and
hedging or figurative speech ("I thought I would die", "me quería morir", "if it gets
worse", questions) around a cue, in English and Spanish.

Scope is the clause: negation reaches back a few tokens within it and stops at words
that start a new assertion ("but", "developed", "pero", "presentó").
"""

from __future__ import annotations

import re

from gateway.domain.normaliser.text import Doc, words

__all__ = ["is_hedged", "is_negated"]

_NEGATORS = words(
    "no not never without denies denied deny nor neither none nothing didn doesn don isn "
    "wasn weren hasn haven hadn won couldn shouldn wouldn cannot nt negative free "
    "sin ni nunca tampoco ningun ninguna ninguno jamas niega nego negativo"
)
#: words that start a new assertion: a negation before them does not reach past them
_BREAKERS = words(
    "but however although though except apart instead only developed develop started began "
    "got then later suddenly had has experienced presented showed noticed woke felt feel "
    "feels feeling became become turned now sigo sigue "
    "pero sino aunque excepto salvo presento presenta tuvo empezo comenzo luego despues "
    "salio salieron aparecio aparecieron notó noto desarrollo sufrio"
)
_POST_NEGATION = re.compile(
    r"^\W{0,3}(?:(?:was|were|is|has been|have been|fue|ha sido|era)\s+)?"
    r"(?:not\s+(?:needed|required|necessary)|unnecessary|not\s+an\s+option|"
    r"no\s+(?:fue\s+)?(?:necesari[oa]|requerid[oa])|no\s+hizo\s+falta|:\s*no\b|-\s*no\b)"
)
_HEDGES = (
    re.compile(
        r"\b(?:thought|think|thinking|felt\s+like|feel\s+like|feels\s+like|feeling\s+like|"
        r"as\s+if|as\s+though|potentially|potencialmente|near|like\s+i\s+(?:was|were|would|could)|almost|nearly|afraid|"
        r"scared|worried|worry|fear|feared|might|may\s+need|could\s+have|would\s+have|"
        r"wish|wanted\s+to|want\s+to|if|whether|in\s+case|risk\s+of|unless|will\s+be|"
        r"would\s+be|might\s+be|may\s+be|going\s+to\s+be|va\s+a\s+ser|tendra\s+que|"
        r"pense|pensaba|crei|creia|creo\s+que|senti\s+que|sentia\s+que|como\s+si|casi|"
        r"por\s+poco|miedo|temo|temia|preocupa|podria|podia\s+haber|puede\s+que|"
        r"quiero|queria|quise|ganas\s+de|en\s+caso\s+de|riesgo\s+de|por\s+si)\b"
    ),
)
#: figurative phrases after the cue: "scared to death", "me muero de risa"
_FIGURATIVE_AFTER = re.compile(
    r"^\s*(?:of\s+(?:boredom|laughter|embarrassment)|de\s+(?:risa|"
    r"miedo|verguenza|dolor|sueno|hambre|pena|asco))"
)
_FIGURATIVE_BEFORE = re.compile(
    r"\b(?:scared|bored|frightened|terrified|worried|sick|tired)\s+to\s*$"
)
_LIST_WORDS = words("or and nor ni o y no any")
_CLITICS = words("me le se lo la les nos te did does do ever even any")


def is_negated(doc: Doc, start: int, end: int, *, window: int = 6) -> bool:
    """True when the mention at [start, end) is denied in its clause."""
    c_start, c_end = doc.clause_at(start)
    if _POST_NEGATION.match(doc.folded[end:c_end]):
        return True
    before = doc.tokens_before(start, window, floor=c_start)
    commas = [
        i
        for i in range(len(before))
        if "," in doc.text[before[i].end : (before[i + 1].start if i + 1 < len(before) else start)]
    ]
    if commas:
        # "no fever, rash or itching" lists; "no effect, still coughing" starts anew
        tail = before[commas[-1] + 1 :]
        if len(tail) > 2 or (tail and tail[-1].text not in _LIST_WORDS):
            before = before[commas[-1] + 1 :]
    for k in range(len(before) - 1, -1, -1):
        word = before[k].text
        if word in _BREAKERS:
            # "did not develop a rash" is still denied; "no fever, then developed" is not
            j = k - 1
            while j >= 0 and before[j].text in _CLITICS and j >= k - 3:
                j -= 1
            return j >= 0 and before[j].text in _NEGATORS
        if word in _NEGATORS:
            if word == "free" and not doc.folded[before[k].end :].startswith(" of"):
                continue
            return True
    return False


def is_hedged(doc: Doc, start: int, end: int, *, window: int = 12) -> bool:
    """True when the mention is figurative, hypothetical, feared or asked about."""
    if doc.is_question(start):
        return True
    c_start, _ = doc.clause_at(start)
    s_start, _ = doc.sentence_at(start)
    floor = max(s_start, min(c_start, start))
    before_tokens = doc.tokens_before(start, window, floor=floor)
    if before_tokens:
        chunk = doc.folded[before_tokens[0].start : start]
        if any(p.search(chunk) for p in _HEDGES):
            return True
    if _FIGURATIVE_BEFORE.search(doc.folded[max(floor, start - 12) : start]) and (
        doc.folded[start:end] in ("death", "muerte")
    ):
        return True
    return bool(_FIGURATIVE_AFTER.match(doc.folded[end : end + 20]))
