"""Reactions in the reporter's own words, with onset and outcome.

Events are found two ways: the symptom vocabulary (``lexicon``), longest phrase first,
and event verbs ("developed …", "presentó …", "me salió …") for words the vocabulary
does not know. A mention is dropped when it is denied ("no rash", "sin fiebre"), is the
reason for taking a drug ("ibuprofen for my headache", "para la tensión") or is medical
history ("history of migraine", "antecedentes de …"). The verbatim keeps the reporter's
modifiers and body site ("severe itchy rash all over her arms") exactly as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from gateway.domain.codes import ReactionOutcome
from gateway.domain.normaliser.context import is_negated
from gateway.domain.normaliser.lexicon import GENERIC_TERMS, lexicon_index
from gateway.domain.normaliser.model import DateMention, Extracted, ReactionDraft
from gateway.domain.normaliser.text import Doc, Token, words
from gateway.domain.values import Quantity

__all__ = ["extract_reactions"]

_INDEX = lexicon_index()
_MODIFIERS = words(
    "severe mild bad terrible awful horrible intense strong itchy red painful sudden slight "
    "extreme generalised generalized persistent constant very really huge massive sharp "
    "burning raised widespread blotchy blistering fuerte fuertes intenso intensa intensos "
    "intensas leve leves severo severa severos severas tremendo tremenda ligero ligera "
    "mucho mucha muchos muchas horribles terribles persistente"
)
_INTENSIFIERS = words("very really so too quite extremely muy tan bastante super")
_BODY = words(
    "arm arms leg legs face chest back hand hands feet foot neck body skin stomach belly "
    "tummy mouth lips eyes ankles scalp torso trunk abdomen thighs cuerpo brazos brazo "
    "piernas pierna cara pecho espalda manos mano pies pie cuello piel barriga boca labios "
    "ojos tobillos tronco muslos"
)
_BODY_PREP = words("on in over across around all en por")
_DETERMINERS = words("my his her the their both mi su sus la el las los todo toda all a an")
_INDICATION_LINKS = words("for para por against contra treat tratar because")
_INDICATION_SKIP = _DETERMINERS | words(
    "some occasional chronic cronica cronico un una mild bad severe"
)
_MEDICATION_VERBS = words(
    "take takes took taking taken prescribed prescribe given started start starting using "
    "use uses on toma tomo tome tomaba tomando tomar receto recetaron recetado recetada "
    "prescribio prescribieron pautaron pautado empezo empece comenzo usa usando uso "
    "medication medicine tratamiento treatment indicated indicacion indication"
)
_HOSPITAL = words(
    "admitted hospital hospitalised hospitalized ingresada ingresado "
    "ingreso hospitalizada hospitalizado urgencias"
)
_HISTORY = re.compile(
    r"\b(?:history\s+of|h/o|known|suffers\s+from|suffering\s+from|chronic|"
    r"antecedentes?\s+de|sufre\s+de|padece(?:\s+de)?|previous|prior|conocida\s+de|"
    r"diagnosticada\s+hace|diagnosed\s+years)\b[^.;]*$"
)
_EVENT_VERBS = re.compile(
    r"\b(?:developed|experienced|suffered(?:\s+from)?|presented\s+with|broke\s+out\s+in|"
    r"came\s+out\s+in|presento|presentó|sufrio|sufrió|desarrollo|desarrolló|"
    r"(?:me|le|les)\s+(?:dio|dieron|salio|salió|salieron|provoco|provocó|causo|causó|"
    r"produjo|entro|entró))\s+"
    r"(?:(?:a|an|some|una|un|unos|unas|mucha|mucho)\s+)?",
    re.IGNORECASE,
)
_LAB = re.compile(
    r"\b(?P<test>inr|alt|ast|ck|cpk|gpt|got|creatinine|creatinina|bilirubin|bilirrubina)\s+"
    r"(?:was|were|is|of|at|above|over|de|en|>|:|up\s+to|rose\s+to|subio\s+a)\s*(?:>\s*)?\d+"
    r"(?:[.,]\d+)?"
)
_LAB_TERMS = {
    "inr": "INR increased", "alt": "Alanine aminotransferase increased",
    "gpt": "Alanine aminotransferase increased", "ast": "Aspartate aminotransferase increased",
    "got": "Aspartate aminotransferase increased", "ck": "Blood creatine phosphokinase increased",
    "cpk": "Blood creatine phosphokinase increased", "creatinine": "Blood creatinine increased",
    "creatinina": "Blood creatinine increased", "bilirubin": "Blood bilirubin increased",
    "bilirrubina": "Blood bilirubin increased",
}  # fmt: skip
_WEIGHT_CHANGE = re.compile(
    r"\b(?:(?P<loss>lost|perdi|perdio|baje|bajo|adelgace|adelgazo)|(?P<gain>gained|put\s+on|"
    r"subi|subio|engorde|engordo|aumente|aumento))\s+(?:about\s+|around\s+|unos\s+)?"
    r"\d+(?:[.,]\d+)?\s*(?:kg|kgs|kilos?|lbs?|pounds|stone)\b"
)
_CAUSE_QUESTION = re.compile(
    r"\b(?:cause|causes|causing|causar|causa|provocar|provoca|producir|"
    r"produce|give\s+you|dar)\b"
)
_STOP = words(
    "and or after with when because which that on at since for from y o tras con cuando "
    "porque que el la desde hace durante por en de del al to the a"
)
_OUTCOMES: tuple[tuple[ReactionOutcome, re.Pattern[str]], ...] = (
    (ReactionOutcome.FATAL, re.compile(r"\b(?:died|passed\s+away|fallecio|murio)\b")),
    (
        ReactionOutcome.RECOVERED_WITH_SEQUELAE,
        re.compile(r"\b(?:sequelae|permanent\s+damage|scarring|secuelas|cicatrices)\b"),
    ),
    (
        ReactionOutcome.NOT_RECOVERED,
        re.compile(
            r"\b(?:still\s+(?:has|have|had|having|is|suffers|gets)|not\s+(?:yet\s+)?recovered|"
            r"hasn\W?t\s+(?:recovered|gone|resolved)|has\s+not\s+(?:recovered|resolved)|persists|"
            r"persisting|ongoing|no\s+improvement|sigue\s+(?:con|teniendo|igual)|persiste|"
            r"todavia\s+(?:tiene|tengo|le|me)|aun\s+(?:tiene|tengo)|no\s+ha\s+mejorado|"
            r"no\s+se\s+ha\s+(?:recuperado|resuelto|quitado))\b"
        ),
    ),
    (
        ReactionOutcome.RECOVERING,
        re.compile(
            r"\b(?:recovering|improving|getting\s+better|better\s+now|is\s+better|slowly\s+better|"
            r"mejorando|va\s+mejor|esta\s+mejor|estoy\s+mejor|ha\s+mejorado|en\s+recuperacion|"
            r"se\s+esta\s+recuperando)\b"
        ),
    ),
    (
        ReactionOutcome.RECOVERED,
        re.compile(
            r"\b(?:recovered|resolved|went\s+away|gone\s+away|disappeared|cleared\s+up|"
            r"cleared|back\s+to\s+normal|is\s+fine\s+now|fine\s+now|se\s+recupero|"
            r"se\s+ha\s+recuperado|recuperad[oa]|se\s+resolvio|desaparecio|desaparecieron|"
            r"se\s+(?:le|me)\s+quito|se\s+(?:le|me)\s+quitaron|ya\s+esta\s+bien|ya\s+estoy\s+bien|"
            r"remitio|cedio|se\s+fue)\b"
        ),
    ),
)


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    term: str | None
    confidence: float


def _match_at(tokens: list[Token], i: int, phrase: tuple[str, ...]) -> int:
    """Tokens consumed matching ``phrase`` at ``i`` ("pulso muy lento" fits "pulso lento"),
    or 0."""
    j = i + 1
    for word in phrase[1:]:
        while j < len(tokens) and tokens[j].text in _INTENSIFIERS and tokens[j].text != word:
            j += 1
        if j >= len(tokens) or tokens[j].text != word:
            return 0
        j += 1
    return j - i


def _lexicon_hits(doc: Doc, blocked: list[tuple[int, int]]) -> list[_Hit]:
    hits: list[_Hit] = []
    tokens = doc.tokens
    i = 0
    while i < len(tokens):
        found: tuple[int, str] | None = None
        for phrase, term in _INDEX.get(tokens[i].text, ()):
            n = _match_at(tokens, i, phrase)
            if n:
                found = (n, term)
                break
        if found is None:
            i += 1
            continue
        n, term = found
        start, end = tokens[i].start, tokens[i + n - 1].end
        if not any(s < end and start < e for s, e in blocked):
            hits.append(_Hit(start, end, term, 0.9))
        i += n
    return hits


def _pattern_hits(doc: Doc, blocked: list[tuple[int, int]]) -> list[_Hit]:
    """Lab values ("INR was 5.2") and weight changes ("lost 5 kg", "subí 10 kilos")."""
    hits = []
    for m in _LAB.finditer(doc.folded):
        hits.append(_Hit(m.start(), m.end(), _LAB_TERMS[m.group("test")], 0.7))
    for m in _WEIGHT_CHANGE.finditer(doc.folded):
        term = "Weight loss" if m.group("loss") else "Weight gain"
        hits.append(_Hit(m.start(), m.end(), term, 0.8))
    return [h for h in hits if not any(s < h.end and h.start < e for s, e in blocked)]


def _verb_hits(
    doc: Doc, taken: list[tuple[int, int]], blocked: list[tuple[int, int]]
) -> list[_Hit]:
    """Events after event verbs that the vocabulary does not know."""
    hits: list[_Hit] = []
    for m in _EVENT_VERBS.finditer(doc.folded):
        after = doc.tokens_after(m.end(), 4, ceiling=doc.clause_at(m.end())[1])
        words: list[Token] = []
        for token in after:
            if token.text in _STOP or token.text.isdigit():
                break
            if doc.text[words[-1].end : token.start].strip() if words else False:
                break  # punctuation between words ends the phrase
            words.append(token)
        if not words or len(words[-1].text) < 4:
            continue
        start, end = words[0].start, words[-1].end
        if any(s < end and start < e for s, e in taken + blocked):
            continue
        hits.append(_Hit(start, end, None, 0.5))
    return hits


def _is_indication(doc: Doc, hit: _Hit, product_spans: list[tuple[int, int]]) -> bool:
    s_start, _ = doc.sentence_at(hit.start)
    before = doc.tokens_before(hit.start, 10, floor=s_start)
    k = len(before) - 1
    while k >= 0 and before[k].text in _INDICATION_SKIP:
        k -= 1
    if k < 0 or before[k].text not in _INDICATION_LINKS:
        label = doc.folded[max(s_start, hit.start - 25) : hit.start]
        return bool(
            re.search(r"(?:indication|indicacion|reason\s+for\s+use|motivo)\s*:?\s*$", label)
        )
    context = before[:k]
    if any(t.text in _HOSPITAL for t in context):
        return False
    if any(t.text in _MEDICATION_VERBS for t in context):
        return True
    link_start = before[k].start
    return any(s_start <= s and e <= link_start for s, e in product_spans)


def _is_history(doc: Doc, hit: _Hit) -> bool:
    c_start, _ = doc.clause_at(hit.start)
    return bool(_HISTORY.search(doc.folded[max(c_start, hit.start - 40) : hit.start]))


def _expand(doc: Doc, hit: _Hit) -> tuple[int, int]:
    """Grow the span over the reporter's modifiers and the body site they name."""
    start, end = hit.start, hit.end
    before = doc.tokens_before(start, 3, floor=doc.clause_at(start)[0])
    for token in reversed(before):
        gap = doc.text[token.end : start]
        if token.text in _MODIFIERS and gap.strip(" ,") == "":
            start = token.start
        else:
            break
    after = doc.tokens_after(end, 5, ceiling=doc.clause_at(end)[1])
    if after and after[0].text in _BODY_PREP and doc.text[end : after[0].start].strip() == "":
        k = 1
        while k < len(after) and after[k].text in _DETERMINERS | {"over"}:
            k += 1
        if k < len(after) and after[k].text in _BODY:
            end = after[k].end
    return start, end


def _outcomes(doc: Doc, drafts: list[ReactionDraft]) -> list[ReactionDraft]:
    by_sentence: dict[int, list[int]] = {}
    for i, d in enumerate(drafts):
        span = d.verbatim.span or (0, 0)
        by_sentence.setdefault(doc.sentence_index(span[0]), []).append(i)
    result = list(drafts)
    for outcome, pattern in _OUTCOMES:
        for m in pattern.finditer(doc.folded):
            if outcome is ReactionOutcome.RECOVERED and is_negated(doc, m.start(), m.end()):
                outcome_here = ReactionOutcome.NOT_RECOVERED
            else:
                outcome_here = outcome
            sentence = doc.sentence_index(m.start())
            targets = by_sentence.get(sentence) or [
                i for i, d in enumerate(result) if d.outcome is None
            ]
            for i in targets:
                if result[i].outcome is None:
                    found = Extracted(outcome_here, m.span(), 0.7)
                    result[i] = replace(result[i], outcome=found)
    return result


def _onsets(
    doc: Doc,
    drafts: list[ReactionDraft],
    dates: list[DateMention],
    latencies: list[tuple[Quantity, tuple[int, int]]],
) -> list[ReactionDraft]:
    result = []
    for d in drafts:
        span = d.verbatim.span or (0, 0)
        sentence = doc.sentence_at(span[0])
        onset = None
        for mention in dates:
            if sentence[0] <= mention.span[0] < sentence[1]:
                onset = Extracted(mention.date, mention.span, 0.7, derived=mention.relative)
                break
        latency = None
        for quantity, l_span in latencies:
            if sentence[0] <= l_span[0] < sentence[1]:
                latency = Extracted(quantity, l_span, 0.7)
                break
        result.append(replace(d, onset=onset, latency=latency))
    return result


def extract_reactions(
    doc: Doc,
    *,
    language: str,
    product_spans: list[tuple[int, int]],
    dates: list[DateMention],
    latencies: list[tuple[Quantity, tuple[int, int]]],
) -> list[ReactionDraft]:
    """Reactions in text order, one per distinct event."""
    del language  # both vocabularies are searched: reports mix languages
    patterns = _pattern_hits(doc, product_spans)
    taken = [(h.start, h.end) for h in patterns]
    hits = patterns + _lexicon_hits(doc, product_spans + taken)
    taken = [(h.start, h.end) for h in hits]
    hits += _verb_hits(doc, taken, product_spans)
    hits.sort(key=lambda h: h.start)
    hits = _drop_modifier_hits(doc, hits)
    kept: list[_Hit] = []
    for hit in hits:
        if is_negated(doc, hit.start, hit.end):
            continue
        if _is_indication(doc, hit, product_spans) or _is_history(doc, hit):
            continue
        if doc.is_question(hit.start) and _CAUSE_QUESTION.search(
            doc.folded[slice(*doc.sentence_at(hit.start))]
        ):
            continue  # "can X cause pancreatitis?" asks, it does not report
        kept.append(hit)
    kept = _merge_parentheticals(doc, kept)
    present = {h.term for h in kept if h.term is not None}
    drafts: list[ReactionDraft] = []
    seen_terms: set[str] = set()
    seen_text: list[str] = []
    for hit in kept:
        words = doc.folded[hit.start : hit.end]
        if hit.term is not None:
            if hit.term in seen_terms:
                continue
            if present & GENERIC_TERMS.get(hit.term, frozenset()):
                continue
            seen_terms.add(hit.term)
        if any(re.search(rf"\b{re.escape(words)}\b", earlier) for earlier in seen_text):
            continue  # "the rash" again after "itchy rash"
        start, end = _expand(doc, hit)
        seen_text.append(doc.folded[start:end])
        verbatim = Extracted(doc.text[start:end], (start, end), hit.confidence)
        drafts.append(ReactionDraft(verbatim=verbatim, term_hint=hit.term))
    drafts = _onsets(doc, drafts, dates, latencies)
    return _outcomes(doc, drafts)


def _drop_modifier_hits(doc: Doc, hits: list[_Hit]) -> list[_Hit]:
    """ "itchy" right before "rash" is part of that event, not an event of its own."""
    out = []
    for i, hit in enumerate(hits):
        following = hits[i + 1] if i + 1 < len(hits) else None
        if (
            following is not None
            and doc.folded[hit.start : hit.end] in _MODIFIERS
            and doc.text[hit.end : following.start].strip(" ,") == ""
        ):
            continue
        out.append(hit)
    return out


def _merge_parentheticals(doc: Doc, hits: list[_Hit]) -> list[_Hit]:
    """ "low white cells (leukopenia)", "a blood clot (DVT)": one event, the specific term."""
    out: list[_Hit] = []
    for hit in hits:
        if out:
            last = out[-1]
            between = doc.text[last.end : hit.start]
            if between.strip() == "(" and doc.text[hit.end : hit.end + 1] == ")":
                term = hit.term if hit.term is not None else last.term
                out[-1] = _Hit(last.start, hit.end + 1, term, max(last.confidence, hit.confidence))
                continue
        out.append(hit)
    return out
