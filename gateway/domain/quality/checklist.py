"""The checklist runner: every check family on one case version, in a stable order."""

from __future__ import annotations

from gateway.domain.icsr import ICSR
from gateway.domain.quality.consistency import fatal_consistency
from gateway.domain.quality.context import QualityContext
from gateway.domain.quality.criteria import completeness, minimum_criteria
from gateway.domain.quality.dates import date_checks
from gateway.domain.quality.deadline import deadline_check
from gateway.domain.quality.identifiers import identifier_checks
from gateway.domain.quality.items import QualityReport
from gateway.domain.quality.meddra import meddra_checks


def run_checklist(icsr: ICSR, context: QualityContext) -> QualityReport:
    """Every check, in a stable order."""
    if context.now.utcoffset() is None:
        raise ValueError("QualityContext.now must be timezone-aware")
    serious = icsr.is_serious()
    items = [
        minimum_criteria(icsr, context),
        *completeness(icsr, serious),
        *meddra_checks(icsr, context.coder),
        *date_checks(icsr, context.now),
        *identifier_checks(icsr, context),
        fatal_consistency(icsr),
        deadline_check(context),
    ]
    version = context.coder.dictionary.version if context.coder is not None else None
    return QualityReport(items=tuple(items), meddra_version=version, serious=serious)
