"""How the checks name what they found: a reaction by its verbatim, a drug as reported."""

from __future__ import annotations

from gateway.domain.icsr import ICSR
from gateway.domain.values import PartialDate


def given_date(value: object) -> PartialDate | None:
    """``value`` when it is a date (not a null flavour), else None."""
    return value if isinstance(value, PartialDate) else None


def reaction_label(icsr: ICSR, reaction_id: str) -> str:
    r = icsr.reaction_by_id(reaction_id)
    if r is None:
        return reaction_id
    return r.verbatim_translation or r.verbatim_native or reaction_id


def drug_label(icsr: ICSR, drug_id: str) -> str:
    d = icsr.drug_by_id(drug_id)
    return (d.name_as_reported if d is not None else None) or drug_id
