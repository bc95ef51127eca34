"""Products named in a report (from the catalogue), with dose, route, dates and role.

Every catalogue product found is a suspect unless the reporter places it among other
medication ("also taking", "other medicines:", "además toma", "medicación habitual"),
which makes it concomitant. Dose, frequency and route are read next to the name, in
its sentence; start and stop dates from a date in the same clause as "started"/"stopped"
("empecé"/"dejé").
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from gateway.domain.catalogue import ProductCatalogue, ProductMatch
from gateway.domain.codes import DrugRole
from gateway.domain.normaliser.model import DateMention, Extracted, ProductDraft
from gateway.domain.normaliser.text import NUMBER_WORDS, Doc
from gateway.domain.values import PartialDate, Quantity

__all__ = ["extract_products"]

_UNITS = {
    "mg": "mg", "milligrams": "mg", "miligramos": "mg", "mcg": "ug", "ug": "ug", "µg": "ug",
    "micrograms": "ug", "microgramos": "ug", "g": "g", "gr": "g", "gramos": "g", "ml": "mL",
    "units": "[iU]", "unit": "[iU]", "iu": "[iU]", "ui": "[iU]", "unidades": "[iU]",
    "tablet": "{DF}", "tablets": "{DF}", "tab": "{DF}", "tabs": "{DF}", "pill": "{DF}",
    "pills": "{DF}", "capsule": "{DF}", "capsules": "{DF}", "caps": "{DF}",
    "comprimido": "{DF}", "comprimidos": "{DF}", "pastilla": "{DF}", "pastillas": "{DF}",
    "capsula": "{DF}", "capsulas": "{DF}", "sobre": "{DF}", "sobres": "{DF}",
    "puff": "{DF}", "puffs": "{DF}", "inhalaciones": "{DF}", "inhalacion": "{DF}",
    "drops": "[drp]", "gotas": "[drp]", "injection": "{DF}", "injections": "{DF}",
}  # fmt: skip
_NUMBER = (
    r"(?P<num>(?<!\d)\d++(?:[.,]\d++)?|"
    + "|".join(
        sorted((w for w in NUMBER_WORDS if len(w) > 2 or w in ("un",)), key=len, reverse=True)
    )
    + ")"
)
_DOSE = re.compile(
    _NUMBER
    + r"\s*(?:x\s*)?(?P<unit>"
    + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
    + r")\b"
)
_FREQUENCY: tuple[tuple[re.Pattern[str], Quantity], ...] = tuple(
    (re.compile(pattern), Quantity(value=Decimal(value), unit=unit))
    for pattern, value, unit in (
        (
            r"\b(?:once\s+(?:a|per)\s+day|once\s+daily|daily|every\s+day|a\s+day|per\s+day|"
            r"una\s+vez\s+al\s+dia|al\s+dia|cada\s+dia|diari[oa]s?|cada\s+24\s*h(?:oras)?|"
            r"at\s+night|por\s+la\s+noche|en\s+el\s+desayuno|in\s+the\s+morning)\b",
            "1",
            "d",
        ),
        (
            r"\b(?:twice\s+(?:a|per)\s+day|twice\s+daily|two\s+times\s+a\s+day|bid|bd|"
            r"dos\s+veces\s+al\s+dia|cada\s+12\s*h(?:oras)?|every\s+12\s*h(?:ours)?)\b",
            "12",
            "h",
        ),
        (
            r"\b(?:three\s+times\s+(?:a|per)\s+day|tid|tres\s+veces\s+al\s+dia|"
            r"cada\s+8\s*h(?:oras)?|every\s+8\s*h(?:ours)?)\b",
            "8",
            "h",
        ),
        (r"\b(?:every\s+6\s*h(?:ours)?|cada\s+6\s*h(?:oras)?|four\s+times\s+a\s+day)\b", "6", "h"),
        (
            r"\b(?:once\s+(?:a|per)\s+week|weekly|every\s+week|una\s+vez\s+(?:a\s+la|por)\s+semana|"
            r"semanal(?:mente)?|cada\s+semana)\b",
            "1",
            "wk",
        ),
        (
            r"\b(?:once\s+(?:a|per)\s+month|monthly|mensual(?:mente)?|una\s+vez\s+al\s+mes)\b",
            "1",
            "mo",
        ),
    )
)
_ROUTES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), route)
    for pattern, route in (
        (
            r"\b(?:orally|oral|by\s+mouth|po|via\s+oral|por\s+boca|tablets?|pills?|capsules?|"
            r"comprimidos?|pastillas?|capsulas?)\b",
            "Oral",
        ),
        (
            r"\b(?:intravenous(?:ly)?|iv|drip|infusion|via\s+intravenosa|intravenos[oa]|"
            r"endovenos[oa]|en\s+vena|perfusion|gotero)\b",
            "Intravenous",
        ),
        (
            r"\b(?:subcutaneous(?:ly)?|sc|pen|injected|injection|jab|subcutane[oa]|inyeccion|"
            r"inyectable|pinchazo|me\s+pincho|se\s+pincha|pluma)\b",
            "Subcutaneous",
        ),
        (r"\b(?:intramuscular(?:ly)?|im\s+injection|intramuscular)\b", "Intramuscular"),
        (r"\b(?:cream|gel|ointment|topical(?:ly)?|applied|crema|pomada|topic[oa])\b", "Cutaneous"),
        (
            r"\b(?:inhaler|inhaled|inhalation|puffs?|inhalador|inhalad[oa]|inhalaciones)\b",
            "Respiratory (inhalation)",
        ),
        (r"\b(?:eye\s+drops|colirio)\b", "Ophthalmic"),
    )
)
_CONCOMITANT = re.compile(
    r"\b(?:also\s+(?:takes?|taking|took|on|uses?|using|been\s+taking)|other\s+(?:medications?|"
    r"medicines?|drugs?|meds)|concomitant(?:ly)?|regular\s+(?:medications?|meds|medicines?)|"
    r"usual\s+(?:medications?|meds|medicines?)|as\s+well\s+as|in\s+addition\s+to|"
    r"besides|apart\s+from|along\s+with|ademas\s+(?:de|toma|tomo|tomaba|usa)|"
    r"tambien\s+(?:toma|tomo|tomaba|usa|lleva)|otros?\s+medicament|otra\s+medicacion|"
    r"medicacion\s+(?:habitual|concomitante|cronica)|tratamiento\s+habitual|"
    r"concomitante)\b"
)
_START = re.compile(
    r"\b(?:start|started|starting|began|begun|since|commenced|initiated|"
    r"empece|empezo|empezamos|comence|comenzo|inicio|desde)\b"
)
_STOP = re.compile(
    r"\b(?:stop|stopped|stopping|discontinued|quit|ceased|withdrawn|"
    r"deje|dejo|dejamos|suspendi|suspendio|suspendimos|retiramos|retiro|"
    r"retirado|suspendido)\b"
)


def _number(text: str) -> Decimal | None:
    if text in NUMBER_WORDS:
        return Decimal(NUMBER_WORDS[text])
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        return None


def _near(doc: Doc, match: ProductMatch, window: int = 60) -> tuple[int, int]:
    """The stretch around a product name to read its dosage from: its clause, widened
    to the sentence and capped at ``window`` characters either side."""
    s_start, s_end = doc.sentence_at(match.span[0])
    return max(s_start, match.span[0] - 25), min(s_end, match.span[1] + window)


def _dose(
    doc: Doc, match: ProductMatch, others: list[tuple[int, int]]
) -> tuple[Extracted[Quantity] | None, Extracted[Quantity] | None, Extracted[str] | None]:
    lo, hi = _near(doc, match)
    # another product in the window owns what follows it
    for s, _ in others:
        if match.span[1] <= s < hi:
            hi = s
        if lo <= s < match.span[0]:
            lo = max(lo, s)
    dose = None
    best = None
    for m in _DOSE.finditer(doc.folded, lo, hi):
        distance = (
            abs(m.start() - match.span[1])
            if m.start() >= match.span[1]
            else (match.span[0] - m.end() + 10)
        )
        if best is None or distance < best[0]:
            best = (distance, m)
    text_start = text_end = None
    if best is not None:
        m = best[1]
        value = _number(m.group("num"))
        if value is not None:
            dose = Extracted(Quantity(value=value, unit=_UNITS[m.group("unit")]), m.span(), 0.8)
            text_start, text_end = m.span()
    frequency = None
    found = [
        (fm.start(), -(fm.end() - fm.start()), fm.span(), quantity)
        for pattern, quantity in _FREQUENCY
        if (fm := pattern.search(doc.folded, lo, hi)) is not None
    ]
    if found:  # the earliest, longest: "twice a day" rather than its "a day"
        _, _, span, quantity = min(found, key=lambda f: (f[0], f[1]))
        frequency = Extracted(quantity, span, 0.7)
        if text_start is not None and text_end is not None and 0 <= span[0] - text_end < 20:
            text_end = span[1]
    dosage_text = None
    if text_start is not None and text_end is not None:
        dosage_text = Extracted(doc.text[text_start:text_end], (text_start, text_end), 0.8)
    return dose, frequency, dosage_text


def _route(doc: Doc, match: ProductMatch) -> Extracted[str] | None:
    lo, hi = _near(doc, match)
    best: tuple[int, str, tuple[int, int]] | None = None
    for pattern, route in _ROUTES:
        for m in pattern.finditer(doc.folded, lo, hi):
            distance = abs(m.start() - match.span[0])
            if best is None or distance < best[0]:
                best = (distance, route, m.span())
    if best is None:
        return None
    return Extracted(best[1], best[2], 0.7)


def _role(doc: Doc, match: ProductMatch) -> Extracted[DrugRole]:
    s_start, _ = doc.sentence_at(match.span[0])
    cues = list(_CONCOMITANT.finditer(doc.folded, s_start, match.span[0]))
    m = cues[-1] if cues else None
    if m is None and s_start > 0:
        # "Other medication:" as a heading on the line before a list
        prev_start, _ = doc.sentence_at(s_start - 1)
        header = doc.folded[prev_start:s_start].strip()
        if len(header) < 40 and header.endswith(":"):
            m = _CONCOMITANT.search(doc.folded, prev_start, s_start)
    if m is not None:
        return Extracted(DrugRole.CONCOMITANT, m.span(), 0.75)
    return Extracted(DrugRole.SUSPECT, None, 0.7, derived=True)


def _dates(
    doc: Doc, mentions: list[ProductMatch], dates: list[DateMention]
) -> tuple[Extracted[PartialDate] | None, Extracted[PartialDate] | None]:
    """A date after "started"/"since" is the start; after "stopped"/"dejé", the end, in the
    sentences that name the product."""
    start = stop = None
    sentences = {doc.sentence_at(m.span[0]) for m in mentions}
    for mention in dates:
        within = [s for s in sentences if s[0] <= mention.span[0] < s[1]]
        if not within:
            continue
        s_start = within[0][0]
        lead = doc.folded[max(s_start, mention.span[0] - 60) : mention.span[0]]
        found = Extracted(mention.date, mention.span, 0.6, derived=mention.relative)
        stops = list(_STOP.finditer(lead))
        starts = list(_START.finditer(lead))
        if stops and (not starts or stops[-1].start() > starts[-1].start()):
            stop = stop or found
        elif starts:
            start = start or found
    return start, stop


def extract_products(
    doc: Doc, catalogue: ProductCatalogue, dates: list[DateMention]
) -> list[ProductDraft]:
    """One draft per product (first mention), in text order."""
    matches = catalogue.find_products(doc.text)
    spans = [m.span for m in matches]
    drafts: list[ProductDraft] = []
    seen: dict[str, int] = {}
    for match in matches:
        if match.product.id in seen:
            continue
        others = [s for s in spans if s != match.span]
        dose, frequency, dosage_text = _dose(doc, match, others)
        mentions = [m for m in matches if m.product.id == match.product.id]
        start, stop = _dates(doc, mentions, dates)
        confidence = 0.95 if match.exact else round(match.score / 100 * 0.9, 2)
        draft = ProductDraft(
            product=match.product,
            name=Extracted(match.text, match.span, confidence),
            role=_role(doc, match),
            dose=dose,
            dosage_text=dosage_text,
            frequency=frequency,
            route=_route(doc, match),
            start=start,
            end=stop,
        )
        seen[match.product.id] = len(drafts)
        drafts.append(draft)
    return drafts
