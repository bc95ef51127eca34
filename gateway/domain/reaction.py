"""Section E: reactions / events, and their seriousness.

Seriousness (E.i.3.2a-f) is ``True`` or nullFlavor ``NI`` per criterion, never ``False``:
E2B has no way to say "certainly not life-threatening", only "no information". The
``Seriousness`` record types each flag as ``TrueOrNI`` and refuses anything else, so a
``False`` cannot enter a case even from untyped code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.codes import ReactionOutcome, SeriousnessCriterion, TermHighlighted
from gateway.domain.values import (
    MedDRATerm,
    Nullable,
    NullFlavor,
    PartialDate,
    Quantity,
    TrueOrNI,
    check_true_or_ni,
    require_text,
)

_FIELD_BY_CRITERION = {
    SeriousnessCriterion.DEATH: "death",
    SeriousnessCriterion.LIFE_THREATENING: "life_threatening",
    SeriousnessCriterion.HOSPITALISATION: "hospitalisation",
    SeriousnessCriterion.DISABLING: "disabling",
    SeriousnessCriterion.CONGENITAL_ANOMALY: "congenital_anomaly",
    SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT: "other_medically_important",
}
_ELEMENT_BY_FIELD = {
    "death": "E.i.3.2a",
    "life_threatening": "E.i.3.2b",
    "hospitalisation": "E.i.3.2c",
    "disabling": "E.i.3.2d",
    "congenital_anomaly": "E.i.3.2e",
    "other_medically_important": "E.i.3.2f",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Seriousness:
    """E.i.3.2 Seriousness criteria at event level; ``Seriousness()`` is non-serious."""

    death: TrueOrNI = NullFlavor.NI  # E.i.3.2a results in death
    life_threatening: TrueOrNI = NullFlavor.NI  # E.i.3.2b
    hospitalisation: TrueOrNI = NullFlavor.NI  # E.i.3.2c caused / prolonged
    disabling: TrueOrNI = NullFlavor.NI  # E.i.3.2d disabling / incapacitating
    congenital_anomaly: TrueOrNI = NullFlavor.NI  # E.i.3.2e
    other_medically_important: TrueOrNI = NullFlavor.NI  # E.i.3.2f

    def __post_init__(self) -> None:
        for name, element in _ELEMENT_BY_FIELD.items():
            check_true_or_ni(getattr(self, name), f"{element} ({name})")

    @classmethod
    def of(cls, *criteria: SeriousnessCriterion) -> Seriousness:
        """``Seriousness.of(SeriousnessCriterion.DEATH)``: the named criteria are True."""
        flags: dict[str, TrueOrNI] = {_FIELD_BY_CRITERION[c]: True for c in criteria}
        return cls(**flags)

    def flag(self, criterion: SeriousnessCriterion) -> TrueOrNI:
        """The value to transmit for one criterion's element."""
        value: TrueOrNI = getattr(self, _FIELD_BY_CRITERION[criterion])
        return value

    @property
    def criteria(self) -> frozenset[SeriousnessCriterion]:
        return frozenset(c for c in SeriousnessCriterion if self.flag(c) is True)

    @property
    def is_serious(self) -> bool:
        return bool(self.criteria)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction:
    """E.i One reaction / event. ``id`` is ours: G.k.9.i.1 refers to it."""

    id: str  # gateway-local, stable across versions of the case
    verbatim_native: str | None = None  # E.i.1.1a as reported, native language
    verbatim_language: str | None = None  # E.i.1.1b ISO 639-2 alpha-3
    verbatim_translation: str | None = None  # E.i.1.2 translation
    term: MedDRATerm | None = None  # E.i.2.1a version + E.i.2.1b LLT code
    term_highlighted: TermHighlighted | None = None  # E.i.3.1
    seriousness: Seriousness = field(default_factory=Seriousness)  # E.i.3.2a-f
    start: Nullable[PartialDate] | None = None  # E.i.4 (MSK, ASKU, NASK)
    end: Nullable[PartialDate] | None = None  # E.i.5 (MSK, ASKU, NASK)
    duration: Quantity | None = None  # E.i.6a number + E.i.6b unit
    outcome: ReactionOutcome | None = None  # E.i.7
    medically_confirmed: bool | None = None  # E.i.8 by a health professional
    country: str | None = None  # E.i.9 ISO 3166-1 alpha-2

    def __post_init__(self) -> None:
        require_text(self.id, "Reaction.id")

    @property
    def is_serious(self) -> bool:
        return self.seriousness.is_serious
