"""Consistency inside the case: a fatal outcome carries the death criterion."""

from __future__ import annotations

from gateway.domain.codes import ReactionOutcome, SeriousnessCriterion
from gateway.domain.icsr import ICSR
from gateway.domain.quality.items import CheckItem, Severity, check_item
from gateway.domain.quality.labels import reaction_label


def fatal_consistency(icsr: ICSR) -> CheckItem:
    problems = [
        (
            f"reactions[{i}].seriousness.death",
            f"{reaction_label(icsr, r.id)!r} has a fatal outcome "
            "but not the death criterion (E.i.3.2a)",
        )
        for i, r in enumerate(icsr.reactions)
        if r.outcome is ReactionOutcome.FATAL
        and SeriousnessCriterion.DEATH not in r.seriousness.criteria
    ]
    return check_item(
        "consistency.fatal",
        "Fatal outcome and death criterion agree",
        Severity.BLOCKING,
        problems,
        ok="every fatal outcome carries the death criterion",
    )
