"""Causality assessments, quality checks and sign-offs, closures: the store side of a case
processor's decisions, each in the caller's transaction with its audit entry and case event.

Writers (each on the connection of the caller's transaction; those that change the case
take a ``CaseWriter``):

* ``assess_causality``  WHO-UMC and/or Naranjo per drug x event; the results go into the
  case's next version as G.k.9.i.2.r (source "Sender") and the rows keep answers, score,
  reasoning and rationale, each revision pointing at the row it supersedes
* ``run_quality_check`` the checklist of ``gateway.domain.quality`` on the current version
* ``sign_off_qc``       a person's sign-off; moves the case on to READY_FOR_SUBMISSION
* ``close_case``        closure with a reason and rationale; the case is then locked
* ``reopen_case``       CLOSED -> IN_PROGRESS when new information arrives

Readers for the API and the exports: ``causality_history``, ``current_causality``,
``causality_report``, ``qc_runs``, ``latest_qc_run``, ``qc_signoffs``, ``closures``,
``is_locked``.
"""

from __future__ import annotations

from gateway.store.assessments.causality import (
    CausalityInput,
    CausalityPair,
    CausalityRecord,
    CausalityReport,
    CausalityRevision,
    assess_causality,
    causality_history,
    causality_report,
    current_causality,
)
from gateway.store.assessments.closure import ClosureRecord, close_case, closures, reopen_case
from gateway.store.assessments.common import (
    LOCKED_STATES,
    AssessmentRefusedError,
    CaseNotFoundError,
    is_locked,
)
from gateway.store.assessments.quality import (
    QcRunRecord,
    QcSignoffRecord,
    latest_qc_run,
    qc_runs,
    qc_signoffs,
    record_qc_run,
    run_quality_check,
    sign_off_qc,
)

__all__ = [
    "LOCKED_STATES",
    "AssessmentRefusedError",
    "CaseNotFoundError",
    "CausalityInput",
    "CausalityPair",
    "CausalityRecord",
    "CausalityReport",
    "CausalityRevision",
    "ClosureRecord",
    "QcRunRecord",
    "QcSignoffRecord",
    "assess_causality",
    "causality_history",
    "causality_report",
    "close_case",
    "closures",
    "current_causality",
    "is_locked",
    "latest_qc_run",
    "qc_runs",
    "qc_signoffs",
    "record_qc_run",
    "reopen_case",
    "run_quality_check",
    "sign_off_qc",
]
