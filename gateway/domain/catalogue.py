"""The product catalogue: which medicinal products a free-text report may be naming.

A ``ProductCatalogue`` holds ``Product`` records (ours and other companies') and finds
their names in text: brand names, active substances and synonyms (local-language INNs,
common brands), case- and accent-insensitive, on word boundaries, multi-word names
included, the longest name winning, and misspellings of names of 6+ letters by string
similarity (rapidfuzz). The index is built once: a dictionary from each name's first
token to the names starting with it, so a scan costs one lookup per token of the text
whatever the size of the catalogue; misspellings are looked up only among names of
similar length that start with the same letter.

Records come from plain dicts (``from_records``, the company's own JSON/TOML catalogue)
or from openFDA's "harmonized" product records (``from_openfda_harmonized``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rapidfuzz import fuzz, process

__all__ = [
    "FUZZY_MIN_LENGTH",
    "FUZZY_THRESHOLD",
    "NameKind",
    "Product",
    "ProductCatalogue",
    "ProductMatch",
    "fold",
    "iter_tokens",
]

#: names shorter than this are matched exactly only (short names have too many neighbours)
FUZZY_MIN_LENGTH = 6
#: rapidfuzz ``ratio`` (0-100) a misspelt word needs to count as a product name
FUZZY_THRESHOLD = 84.0
_FUZZY_WORDS_MAX = 50_000

_TOKEN = re.compile(r"[^\W_]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: salt and hydrate words dropped from the end of a substance to give the name people use
_SALT_WORDS = _words(
    "hydrochloride hcl sodium potassium calcium magnesium fumarate maleate succinate "
    "sulfate sulphate bisulfate phosphate acetate citrate monohydrate dihydrate trihydrate "
    "bromide tartrate bitartrate besylate mesylate hyclate hydrobromide hbr pamoate "
    "propionate valerate acetonide disodium"
)


class _FoldTable(dict[int, str]):
    """``str.translate`` table: each character to its lower-case base letter, 1 for 1."""

    def __missing__(self, key: int) -> str:
        char = chr(key)
        base = unicodedata.normalize("NFD", char)[:1].lower()
        folded = base if len(base) == 1 else char
        self[key] = folded
        return folded


_FOLD = _FoldTable()


def fold(text: str) -> str:
    """Lower-case and strip accents without changing length, so offsets stay valid."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD)


def iter_tokens(folded: str) -> Iterator[tuple[str, int, int]]:
    """Word tokens of already-folded text as (token, start, end)."""
    for match in _TOKEN.finditer(folded):
        yield match.group(), match.start(), match.end()


class NameKind(Enum):
    """What kind of name matched; brand names outrank synonyms outrank substances."""

    BRAND = 0
    SYNONYM = 1
    SUBSTANCE = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class Product:
    """One medicinal product as the company knows it."""

    id: str
    brand_names: tuple[str, ...] = ()
    active_substances: tuple[str, ...] = ()
    #: other names reporters use: local INNs ("paracetamol"), other brands, abbreviations
    synonyms: tuple[str, ...] = ()
    own_product: bool = False
    #: expected events (reference safety information), as verbatim or MedDRA PT names
    listed_events: tuple[str, ...] = ()
    authorisation_numbers: tuple[str, ...] = ()
    #: G.k.3.2, the country (or EU) that granted the authorisation numbers
    authorisation_country: str | None = None
    authorisation_holder: str | None = None
    routes: tuple[str, ...] = ()
    dose_forms: tuple[str, ...] = ()

    @property
    def display_name(self) -> str:
        if self.brand_names:
            return self.brand_names[0]
        if self.active_substances:
            return self.active_substances[0]
        return self.synonyms[0] if self.synonyms else self.id

    def names(self) -> Iterator[tuple[str, NameKind]]:
        """Every name the product may be reported under, with its kind."""
        for name in self.brand_names:
            yield name, NameKind.BRAND
        for name in self.synonyms:
            yield name, NameKind.SYNONYM
        for name in self.active_substances:
            yield name, NameKind.SUBSTANCE
            base = _without_salt(name)
            if base != name:
                yield base, NameKind.SUBSTANCE

    def authorisation(self) -> tuple[str | None, str | None]:
        """G.k.3.1 and G.k.3.2 for a drug of this product: both or neither, since a receiver
        rejects a number without its country (ICH.G.k.3.2.conditional)."""
        if self.authorisation_numbers and self.authorisation_country:
            return self.authorisation_numbers[0], self.authorisation_country
        return None, None

    def lists_event(self, term: str) -> bool:
        """True when ``term`` is among the listed (expected) events, ignoring case."""
        wanted = fold(term).strip()
        return any(fold(e).strip() == wanted for e in self.listed_events)

    def to_record(self) -> dict[str, Any]:
        """The dict form ``ProductCatalogue.from_records`` reads back."""
        record: dict[str, Any] = {
            "id": self.id,
            "brand_names": list(self.brand_names),
            "active_substances": list(self.active_substances),
            "synonyms": list(self.synonyms),
            "own_product": self.own_product,
            "listed_events": list(self.listed_events),
            "authorisation_numbers": list(self.authorisation_numbers),
            "routes": list(self.routes),
            "dose_forms": list(self.dose_forms),
        }
        if self.authorisation_holder is not None:
            record["authorisation_holder"] = self.authorisation_holder
        if self.authorisation_country is not None:
            record["authorisation_country"] = self.authorisation_country
        return record


def _without_salt(name: str) -> str:
    words = name.split()
    while len(words) > 1 and words[-1].lower().strip(",.") in _SALT_WORDS:
        words.pop()
    return " ".join(words)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductMatch:
    """A product name found in text. ``span`` indexes the original text."""

    product: Product
    span: tuple[int, int]
    matched_name: str  # the catalogue name that matched
    text: str  # the words as written in the text
    score: float  # 100 for an exact match, the similarity for a misspelling
    kind: NameKind
    #: other products sharing the same name (e.g. generics of one substance)
    alternatives: tuple[Product, ...] = ()

    @property
    def exact(self) -> bool:
        return self.score >= 100.0


@dataclass(frozen=True, slots=True)
class _Name:
    tokens: tuple[str, ...]
    display: str
    kind: NameKind
    product: Product


def _priority(name: _Name) -> tuple[int, int]:
    return (name.kind.value, 0 if name.product.own_product else 1)


@dataclass(slots=True)
class _Index:
    """first token -> candidate token tuples (longest first) -> names (best first)."""

    by_first: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    by_tokens: dict[tuple[str, ...], list[_Name]] = field(default_factory=dict)
    #: (first letter, length) -> single-token names within +-2 of that length
    fuzzy: dict[tuple[str, int], list[str]] = field(default_factory=dict)


def _usable(tokens: tuple[str, ...]) -> bool:
    """Names must have a real word in them: "70%" or "B" would match everywhere."""
    return any(len(t) >= 3 and not t.isdigit() for t in tokens)


def _build_index(products: Iterable[Product]) -> _Index:
    index = _Index()
    for product in products:
        for display, kind in product.names():
            tokens = tuple(t for t, _, _ in iter_tokens(fold(display)))
            if not tokens or not _usable(tokens):
                continue
            names = index.by_tokens.setdefault(tokens, [])
            if any(n.product is product for n in names):
                continue
            names.append(_Name(tokens, display, kind, product))
    for tokens, names in index.by_tokens.items():
        names.sort(key=_priority)
        index.by_first.setdefault(tokens[0], []).append(tokens)
        if len(tokens) == 1 and len(tokens[0]) >= FUZZY_MIN_LENGTH and tokens[0].isalpha():
            word = tokens[0]
            for length in range(len(word) - 2, len(word) + 3):
                index.fuzzy.setdefault((word[0], length), []).append(word)
    for candidates in index.by_first.values():
        candidates.sort(key=len, reverse=True)
    return index


class ProductCatalogue:
    """An immutable set of products with a name index for fast matching in text."""

    def __init__(self, products: Iterable[Product]) -> None:
        self._products = tuple(products)
        ids = [p.id for p in self._products]
        if len(set(ids)) != len(ids):
            dupes = sorted({i for i in ids if ids.count(i) > 1})
            raise ValueError(f"duplicate product ids in catalogue: {dupes}")
        self._by_id = {p.id: p for p in self._products}
        self._index = _build_index(self._products)
        #: word → its fuzzy match (or None): the answer depends on the word alone
        self._fuzzy_words: dict[str, tuple[list[_Name], int, float] | None] = {}
        #: the last text read and what was found in it (a report's text is read twice)
        self._last: tuple[str, tuple[ProductMatch, ...]] = ("", ())

    # --- construction ----------------------------------------------------------------

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> ProductCatalogue:
        """Build from plain dicts (the JSON/TOML form of ``Product.to_record``).

        Only ``id`` and one name are required; list fields accept a string or a list.
        """
        return cls(_product_from_record(r) for r in records)

    @classmethod
    def from_openfda_harmonized(
        cls,
        data: Mapping[str, Any] | Iterable[Mapping[str, Any]],
        *,
        product_types: Iterable[str] = ("HUMAN PRESCRIPTION DRUG", "HUMAN OTC DRUG"),
    ) -> ProductCatalogue:
        """Build from openFDA "harmonized" product records.

        ``data`` may be one record, a list of records, or an API response with
        ``results``. Records for the same brand and substances (repackagers, other
        strengths) merge into one product, keeping every application number.
        """
        records: Iterable[Mapping[str, Any]] = (
            data.get("results", [data]) if isinstance(data, Mapping) else data
        )
        wanted = frozenset(product_types)
        merged: dict[tuple[str, frozenset[str]], dict[str, Any]] = {}
        used_ids: set[str] = set()
        for record in records:
            if str(record.get("product_type", "")) not in wanted:
                continue
            brand = str(record.get("brand_name") or "").strip()
            substances = _openfda_substances(record)
            if not brand and not substances:
                continue
            key = (fold(brand), frozenset(fold(s) for s in substances))
            entry = merged.get(key)
            if entry is None:
                generic = str(record.get("generic_name") or "").strip()
                base_id = str(record.get("spl_set_id") or record.get("id") or "openfda")
                product_id = base_id
                while product_id in used_ids:
                    product_id = f"{base_id}-{len(used_ids)}"
                used_ids.add(product_id)
                entry = {
                    "id": product_id,
                    "brand_names": [brand] if brand else [],
                    "active_substances": list(substances),
                    "synonyms": [generic] if generic and fold(generic) != fold(brand) else [],
                    "authorisation_numbers": [],
                    # openFDA labels carry FDA application numbers (NDA, ANDA, BLA)
                    "authorisation_country": "US",
                    "authorisation_holder": record.get("manufacturer_name") or None,
                    "routes": [],
                    "dose_forms": [],
                }
                merged[key] = entry
            _add_unique(entry["authorisation_numbers"], record.get("application_number"))
            for route in str(record.get("route") or "").split(";"):
                _add_unique(entry["routes"], route.strip())
            _add_unique(entry["dose_forms"], record.get("dosage_form"))
        return cls.from_records(merged.values())

    # --- queries -----------------------------------------------------------------------

    @property
    def products(self) -> tuple[Product, ...]:
        return self._products

    def __len__(self) -> int:
        return len(self._products)

    def get(self, product_id: str) -> Product | None:
        return self._by_id.get(product_id)

    def own_products(self) -> tuple[Product, ...]:
        return tuple(p for p in self._products if p.own_product)

    def name_count(self) -> int:
        """How many distinct names the index holds."""
        return len(self._index.by_tokens)

    def find_products(self, text: str) -> list[ProductMatch]:
        """Product names in ``text``, in order, non-overlapping, longest first."""
        last_text, last_found = self._last
        if text == last_text:
            return list(last_found)
        matches = self._find_products(text)
        self._last = (text, tuple(matches))
        return matches

    def _find_products(self, text: str) -> list[ProductMatch]:
        folded = fold(text)
        tokens = list(iter_tokens(folded))
        matches: list[ProductMatch] = []
        i = 0
        while i < len(tokens):
            found = self._exact_at(tokens, i)
            if found is None:
                found = self._fuzzy_at(tokens, i)
            if found is None:
                i += 1
                continue
            names, length, score = found
            start, end = tokens[i][1], tokens[i + length - 1][2]
            best = names[0]
            matches.append(
                ProductMatch(
                    product=best.product,
                    span=(start, end),
                    matched_name=best.display,
                    text=text[start:end],
                    score=score,
                    kind=best.kind,
                    alternatives=tuple(n.product for n in names[1:]),
                )
            )
            i += length
        return matches

    def _exact_at(
        self, tokens: list[tuple[str, int, int]], i: int
    ) -> tuple[list[_Name], int, float] | None:
        candidates = self._index.by_first.get(tokens[i][0])
        if not candidates:
            return None
        for name_tokens in candidates:  # longest first: the first that fits wins
            n = len(name_tokens)
            if i + n > len(tokens):
                continue
            if all(tokens[i + k][0] == name_tokens[k] for k in range(1, n)):
                return self._index.by_tokens[name_tokens], n, 100.0
        return None

    def _fuzzy_at(
        self, tokens: list[tuple[str, int, int]], i: int
    ) -> tuple[list[_Name], int, float] | None:
        word = tokens[i][0]
        if len(word) < FUZZY_MIN_LENGTH or not word.isalpha():
            return None
        try:
            return self._fuzzy_words[word]
        except KeyError:
            pass
        if len(self._fuzzy_words) >= _FUZZY_WORDS_MAX:
            self._fuzzy_words.clear()
        found = self._fuzzy_words[word] = self._fuzzy_word(word)
        return found

    def _fuzzy_word(self, word: str) -> tuple[list[_Name], int, float] | None:
        choices = self._index.fuzzy.get((word[0], len(word)))
        if not choices:
            return None
        best = process.extractOne(word, choices, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD)
        if best is None:
            return None
        name, score, _ = best
        return self._index.by_tokens[(name,)], 1, float(score)


def _as_tuple(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if v is not None and str(v).strip())
    raise ValueError(f"expected a string or a list of strings, got {value!r}")


def _product_from_record(record: Mapping[str, Any]) -> Product:
    product_id = str(record.get("id") or "").strip()
    if not product_id:
        raise ValueError(f"catalogue record without an id: {dict(record)!r}")
    product = Product(
        id=product_id,
        brand_names=_as_tuple(record.get("brand_names")),
        active_substances=_as_tuple(record.get("active_substances")),
        synonyms=_as_tuple(record.get("synonyms")),
        own_product=bool(record.get("own_product", False)),
        listed_events=_as_tuple(record.get("listed_events")),
        authorisation_numbers=_as_tuple(record.get("authorisation_numbers")),
        authorisation_country=(
            str(record["authorisation_country"]).strip().upper()
            if record.get("authorisation_country")
            else None
        ),
        authorisation_holder=(
            str(record["authorisation_holder"]) if record.get("authorisation_holder") else None
        ),
        routes=_as_tuple(record.get("routes")),
        dose_forms=_as_tuple(record.get("dose_forms")),
    )
    if not (product.brand_names or product.active_substances or product.synonyms):
        raise ValueError(f"catalogue record {product_id!r} has no name")
    return product


def _openfda_substances(record: Mapping[str, Any]) -> list[str]:
    raw = str(record.get("substance_name") or "")
    substances = [s.strip().title() for s in raw.split(";") if s.strip()]
    if not substances:
        substances = [
            str(u["name"]).strip().title()
            for u in record.get("unii_indexing") or []
            if isinstance(u, Mapping) and u.get("name")
        ]
    return substances


def _add_unique(values: list[str], value: object) -> None:
    text = str(value).strip() if value is not None else ""
    if text and text not in values:
        values.append(text)
