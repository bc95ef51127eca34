"""Case lifecycle: the states a case passes through and the moves allowed between them.

Happy path: RECEIVED -> VALID -> IN_PROGRESS -> QC_PENDING -> READY_FOR_SUBMISSION
-> SUBMITTED -> CLOSED. Reports missing a minimum criterion wait in INVALID_PENDING_INFO
while follow-up runs (IN_PROGRESS) until a reply completes them (VALID).

``TRANSITIONS`` is the authority. Rules worth saying:

* Staying in the same state is not a transition: new content is a *revision*.
* A CLOSED case reopens to IN_PROGRESS when new information arrives (GVP VI: follow-up
  after closure is a new version, not a new case).
* A negative ACK sends a SUBMITTED case to CORRECTION_REQUIRED; it does not stop the
  clock (GVP VI.App.4), so it may go straight back to READY_FOR_SUBMISSION once fixed.
* DELETED (soft delete: spam, duplicate before submission) and NULLIFIED (C.1.11.1 = 1
  sent to regulators) are terminal. ``Case`` adds the history rule: a case that was ever
  SUBMITTED is nullified, not deleted, and only such a case can be nullified.
"""

from __future__ import annotations

from enum import StrEnum

from gateway.errors import LifecycleError


class CaseState(StrEnum):
    """Where a case is in its work flow (values are stable: they are stored)."""

    RECEIVED = "received"
    INVALID_PENDING_INFO = "invalid_pending_info"  # minimum criteria missing; follow-up asked
    VALID = "valid"  # four minimum criteria met; Day 0 fixed
    IN_PROGRESS = "in_progress"  # data entry / follow-up in progress
    QC_PENDING = "qc_pending"
    READY_FOR_SUBMISSION = "ready_for_submission"
    SUBMITTED = "submitted"  # sent; awaiting or holding a positive ACK
    CORRECTION_REQUIRED = "correction_required"  # negative ACK or post-submission QC finding
    CLOSED = "closed"
    NULLIFIED = "nullified"
    DELETED = "deleted"

    @property
    def display_name_es(self) -> str:
        """Spanish label; "Pendiente" and "En progreso" are the case API's own names."""
        return _DISPLAY_NAME_ES[self]

    @property
    def is_terminal(self) -> bool:
        return not TRANSITIONS[self]


_DISPLAY_NAME_ES: dict[CaseState, str] = {
    CaseState.RECEIVED: "Recibido",
    CaseState.INVALID_PENDING_INFO: "Pendiente",  # case API status
    CaseState.VALID: "Válido",
    CaseState.IN_PROGRESS: "En progreso",  # case API status
    CaseState.QC_PENDING: "Control de calidad pendiente",
    CaseState.READY_FOR_SUBMISSION: "Listo para envío",
    CaseState.SUBMITTED: "Enviado",
    CaseState.CORRECTION_REQUIRED: "Requiere corrección",
    CaseState.CLOSED: "Cerrado",
    CaseState.NULLIFIED: "Anulado",
    CaseState.DELETED: "Eliminado",
}

_S = CaseState

#: state -> states it may move to next
TRANSITIONS: dict[CaseState, frozenset[CaseState]] = {
    _S.RECEIVED: frozenset({_S.INVALID_PENDING_INFO, _S.VALID, _S.IN_PROGRESS, _S.DELETED}),
    _S.INVALID_PENDING_INFO: frozenset(
        # follow-up sent; reply completes the criteria; follow-up exhausted
        {_S.IN_PROGRESS, _S.VALID, _S.CLOSED, _S.DELETED}
    ),
    _S.VALID: frozenset({_S.IN_PROGRESS, _S.QC_PENDING, _S.CLOSED, _S.DELETED}),
    _S.IN_PROGRESS: frozenset(
        {_S.INVALID_PENDING_INFO, _S.VALID, _S.QC_PENDING, _S.CLOSED, _S.DELETED, _S.NULLIFIED}
    ),
    _S.QC_PENDING: frozenset(
        # QC finding goes back to data entry
        {_S.IN_PROGRESS, _S.READY_FOR_SUBMISSION, _S.CLOSED, _S.DELETED}
    ),
    _S.READY_FOR_SUBMISSION: frozenset(
        # new information before sending goes back to data entry
        {_S.SUBMITTED, _S.IN_PROGRESS, _S.QC_PENDING}
    ),
    _S.SUBMITTED: frozenset({_S.CLOSED, _S.IN_PROGRESS, _S.CORRECTION_REQUIRED, _S.NULLIFIED}),
    _S.CORRECTION_REQUIRED: frozenset(
        {_S.IN_PROGRESS, _S.QC_PENDING, _S.READY_FOR_SUBMISSION, _S.NULLIFIED}
    ),
    _S.CLOSED: frozenset({_S.IN_PROGRESS, _S.NULLIFIED}),
    _S.NULLIFIED: frozenset(),
    _S.DELETED: frozenset(),
}


def can_transition(frm: CaseState, to: CaseState) -> bool:
    return to in TRANSITIONS[frm]


def assert_transition(frm: CaseState, to: CaseState) -> None:
    """Raise ``LifecycleError`` naming both states when ``frm -> to`` is not allowed."""
    if can_transition(frm, to):
        return
    allowed = ", ".join(sorted(s.name for s in TRANSITIONS[frm])) or "none (terminal state)"
    raise LifecycleError(
        f"a case cannot move from {frm.name} to {to.name}; allowed from {frm.name}: {allowed}"
    )
