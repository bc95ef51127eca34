"""Which questions a follow-up asks, per seriousness and per product: ``PlannerRules``.

The default lists follow GVP VI.B.2 and the usual targeted follow-up of serious cases:
the outcome and the timeline first, then the product details (dose, route, indication,
batch), then the context (history, co-medication, tests), then de/rechallenge. A
non-serious valid case only gets a short request (age, sex, outcome): reporters answer
short requests, and a non-serious case rarely needs more for assessment.

Rules load from a plain mapping (a TOML table), e.g.::

    [followup.rules]
    serious = ["outcome", "onset_date", "dose", "route", "batch"]
    non_serious = ["patient_age", "patient_sex", "outcome"]

    [followup.rules.products."PRD-0042"]      # a catalogue product id ...
    serious = ["batch", "outcome", "relevant_tests"]

    [followup.rules.products."adalimumab"]    # ... or a substance / product name
    non_serious = ["batch", "outcome"]

A product entry replaces the default list of its seriousness track; lists it does not
name keep the defaults. The minimum-criteria questions are always asked first and may not
appear in these lists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from gateway.domain.followup.questions import Question

# Bad configuration of any kind raises ValueError (hence the TRY004 waivers): start-up
# catches one exception type and shows its message.

__all__ = [
    "DEFAULT_NON_SERIOUS",
    "DEFAULT_RULES",
    "DEFAULT_SERIOUS",
    "PlannerRules",
    "ProductRules",
]

#: serious or expedited cases: priority order
DEFAULT_SERIOUS: tuple[Question, ...] = (
    Question.OUTCOME,
    Question.ONSET_DATE,
    Question.PATIENT_AGE,
    Question.PATIENT_SEX,
    Question.DOSE,
    Question.ROUTE,
    Question.INDICATION,
    Question.BATCH,
    Question.MEDICAL_HISTORY,
    Question.CONCOMITANT_DRUGS,
    Question.RELEVANT_TESTS,
    Question.DECHALLENGE,
    Question.RECHALLENGE,
)

#: non-serious valid cases
DEFAULT_NON_SERIOUS: tuple[Question, ...] = (
    Question.PATIENT_AGE,
    Question.PATIENT_SEX,
    Question.OUTCOME,
)

_TRACK_KEYS = ("serious", "non_serious")


def _questions(value: object, where: str) -> tuple[Question, ...]:
    """Parse a list of question names, refusing unknown names and duplicates."""
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"{where} must be a list of question names, got {value!r}")  # noqa: TRY004
    known = ", ".join(q.value for q in Question if not q.is_minimum_criterion)
    parsed: list[Question] = []
    for item in value:
        if isinstance(item, Question):
            question = item
        elif isinstance(item, str):
            try:
                question = Question(item.strip().lower())
            except ValueError:
                raise ValueError(
                    f"unknown follow-up question {item!r} in {where}; known: {known}"
                ) from None
        else:
            problem = f"{where} must hold question names (strings), got {item!r}"
            raise ValueError(problem)  # noqa: TRY004
        if question.is_minimum_criterion:
            raise ValueError(
                f"{question.value!r} in {where} is a minimum criterion, always asked first "
                "when missing; remove it from the list"
            )
        if question in parsed:
            raise ValueError(f"{question.value!r} appears twice in {where}")
        parsed.append(question)
    return tuple(parsed)


def _check_keys(data: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValueError(
            f"unknown key(s) {', '.join(map(repr, unknown))} in {where}; "
            f"expected {', '.join(allowed)}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductRules:
    """Per-product lists; ``None`` keeps the default list of that track."""

    serious: tuple[Question, ...] | None = None
    non_serious: tuple[Question, ...] | None = None

    def __post_init__(self) -> None:
        for name in _TRACK_KEYS:
            value = getattr(self, name)
            if value is not None:
                _questions(value, f"ProductRules.{name}")


def _freeze_products(products: Mapping[str, ProductRules]) -> Mapping[str, ProductRules]:
    folded: dict[str, ProductRules] = {}
    for key, rules in products.items():
        norm = key.strip().casefold()
        if not norm:
            raise ValueError("a product key in the follow-up rules is blank")
        if norm in folded:
            raise ValueError(f"product {key!r} appears twice in the follow-up rules")
        folded[norm] = rules
    return MappingProxyType(folded)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannerRules:
    """Questions by seriousness track, with per-product overrides.

    Product keys are a catalogue product id or a product / substance name, compared
    case-insensitively with what the ICSR's suspect drugs carry (see ``planner``).
    """

    serious: tuple[Question, ...] = DEFAULT_SERIOUS
    non_serious: tuple[Question, ...] = DEFAULT_NON_SERIOUS
    products: Mapping[str, ProductRules] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        _questions(self.serious, "PlannerRules.serious")
        _questions(self.non_serious, "PlannerRules.non_serious")
        object.__setattr__(self, "products", _freeze_products(self.products))

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, where: str = "followup.rules"
    ) -> PlannerRules:
        """Build rules from a TOML-like table; unknown keys and names raise ValueError."""
        if not isinstance(data, Mapping):
            raise ValueError(f"{where} must be a table, got {data!r}")  # noqa: TRY004
        _check_keys(data, (*_TRACK_KEYS, "products"), where)
        products_data = data.get("products", {})
        if not isinstance(products_data, Mapping):
            problem = f"{where}.products must be a table, got {products_data!r}"
            raise ValueError(problem)  # noqa: TRY004
        products: dict[str, ProductRules] = {}
        for key, entry in products_data.items():
            here = f"{where}.products.{key!r}"
            if not isinstance(entry, Mapping):
                raise ValueError(f"{here} must be a table, got {entry!r}")  # noqa: TRY004
            _check_keys(entry, _TRACK_KEYS, here)
            products[str(key)] = ProductRules(
                serious=(
                    _questions(entry["serious"], f"{here}.serious") if "serious" in entry else None
                ),
                non_serious=(
                    _questions(entry["non_serious"], f"{here}.non_serious")
                    if "non_serious" in entry
                    else None
                ),
            )
        return cls(
            serious=(
                _questions(data["serious"], f"{where}.serious")
                if "serious" in data
                else DEFAULT_SERIOUS
            ),
            non_serious=(
                _questions(data["non_serious"], f"{where}.non_serious")
                if "non_serious" in data
                else DEFAULT_NON_SERIOUS
            ),
            products=products,
        )

    def questions_for(self, product_keys: Iterable[str], *, serious: bool) -> tuple[Question, ...]:
        """The track's questions for a case whose suspect products carry these keys.

        Several matching products: their lists are merged in the order the keys come,
        each question once. No match: the default list.
        """
        track = "serious" if serious else "non_serious"
        merged: list[Question] = []
        matched = False
        seen_rules: set[int] = set()
        for key in product_keys:
            rules = self.products.get(key.strip().casefold())
            if rules is None or id(rules) in seen_rules:
                continue
            seen_rules.add(id(rules))
            listed: tuple[Question, ...] | None = getattr(rules, track)
            if listed is None:
                continue
            matched = True
            merged.extend(q for q in listed if q not in merged)
        if matched:
            return tuple(merged)
        default: tuple[Question, ...] = getattr(self, track)
        return default


DEFAULT_RULES = PlannerRules()
