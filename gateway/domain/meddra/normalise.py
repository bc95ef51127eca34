"""Text normalisation for matching verbatim event text against MedDRA names.

Applied identically to the dictionary's names and to the verbatim, so a rule can only
merge spellings, never lose a match. Language-agnostic except for the small table of
British/American spellings (harmless on other languages).

* ``exact_key``      case-insensitive, surrounding whitespace ignored
* ``normalised_keys`` + accents, punctuation, inner whitespace, British/American
  spelling, simple plurals (tokens kept in order; an "-es" plural gives a 2nd reading)
* ``sorted_key``     the first reading with its tokens sorted (word order ignored)
* ``skeleton``       ``sorted_key`` reduced further for fuzzy scoring only: ph->f, rh->r,
  y->i, doubled letters collapsed ("diarea" and "diarrhoea" share one skeleton)
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "exact_key",
    "normalised_key",
    "normalised_keys",
    "skeleton",
    "sorted_key",
    "sorted_keys",
    "tokens",
]

#: British -> American stems, applied inside words (so "lymphoedema" is covered too)
_SPELLING_STEMS: tuple[tuple[str, str], ...] = (
    ("oedem", "edem"),  # oedema
    ("haem", "hem"),  # haemorrhage, haematuria, haemoglobin
    ("aemia", "emia"),  # anaemia, leukaemia, ischaemia, hypoglycaemia, septicaemia
    ("aemic", "emic"),
    ("oesoph", "esoph"),  # oesophagitis
    ("diarrhoe", "diarrhe"),
    ("dyspnoe", "dyspne"),
    ("apnoe", "apne"),
    ("amenorrhoe", "amenorrhe"),
    ("rrhoea", "rrhea"),  # rhinorrhoea, gonorrhoea
    ("paed", "ped"),  # paediatric
    ("tumour", "tumor"),
    ("oestr", "estr"),
    ("foet", "fet"),
    ("faec", "fec"),
    ("coeliac", "celiac"),
    ("anaesth", "anesth"),
    ("aesthes", "esthes"),  # paraesthesia, hypoaesthesia
    ("gynaec", "gynec"),
    ("caesar", "cesar"),
    ("aetiol", "etiol"),
    ("sulph", "sulf"),
    ("colour", "color"),
    ("behaviour", "behavior"),
    ("labour", "labor"),
    ("ageing", "aging"),
)
#: whole-word endings: generalised/generalized, hospitalisation, paralysed
_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("isation", "ization"),
    ("ising", "izing"),
    ("ised", "ized"),
    ("ise", "ize"),
    ("ysed", "yzed"),
    ("yse", "yze"),
    ("tre", "ter"),  # litre, centre, fibre
)
_NON_WORD = re.compile(r"[^\w]+|_")
_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_DOUBLED = re.compile(r"(\w)\1+")


def exact_key(text: str) -> str:
    return text.strip().casefold()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _singulars(token: str) -> tuple[str, str | None]:
    """A crude singular, plus a second reading for "-es" plurals.

    "allergies" -> "allergy"; "headaches" -> "headache"; "rashes" -> "rashe" or "rash":
    whether "-es" or "-s" is the plural ending cannot be told from the word, so both are
    kept and the second reading is tried after the first.
    """
    if len(token) <= 3 or token.isdigit():
        return token, None
    if token.endswith("ies") and len(token) > 4:
        return token[:-3] + "y", None
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        if token.endswith("es") and token[:-2].endswith(("sh", "ch", "x", "ss", "z")):
            return token[:-1], token[:-2]
        return token[:-1], None
    return token, None


def _spelling(token: str) -> str:
    for british, american in _SPELLING_STEMS:
        if british in token:
            token = token.replace(british, american)
    for british, american in _SUFFIXES:
        if token.endswith(british) and len(token) > len(british) + 2:
            return token[: -len(british)] + american
    return token


def _word_forms(text: str) -> list[tuple[str, str | None]]:
    flat = _strip_accents(text.casefold())
    flat = _APOSTROPHES.sub("", flat)  # "crohn's" -> "crohns" -> "crohn"
    forms: list[tuple[str, str | None]] = []
    for word in _NON_WORD.split(flat):
        if word:
            first, second = _singulars(word)
            forms.append((_spelling(first), None if second is None else _spelling(second)))
    return forms


def tokens(text: str) -> list[str]:
    """The normalised tokens of ``text``, in order (first reading of each plural)."""
    return [first for first, _second in _word_forms(text)]


def normalised_keys(text: str) -> tuple[str, ...]:
    """The normalised readings of ``text``: the first, then one with "-es" plurals undone."""
    forms = _word_forms(text)
    first = " ".join(f for f, _ in forms)
    if all(second is None for _, second in forms):
        return (first,)
    return first, " ".join(f if s is None else s for f, s in forms)


def normalised_key(text: str) -> str:
    return normalised_keys(text)[0]


def sorted_key(text: str) -> str:
    return " ".join(sorted(tokens(text)))


def sorted_keys(text: str) -> tuple[str, ...]:
    """``normalised_keys`` with the tokens of each reading sorted."""
    return tuple(dict.fromkeys(" ".join(sorted(k.split())) for k in normalised_keys(text)))


def skeleton(key: str) -> str:
    """A coarser form of a (sorted) key for fuzzy scoring, never for accepting a match."""
    reduced = key.replace("ph", "f").replace("rh", "r").replace("y", "i")
    return _DOUBLED.sub(r"\1", reduced)
