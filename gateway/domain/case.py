"""A case: the immutable, numbered history of one ICSR and its workflow state.

Nothing is overwritten. Every change (new content, a state move) appends a
``CaseVersion`` carrying a ``Provenance``: who did what, when and why, plus the source
document that prompted it. That history *is* the audit trail regulators inspect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState, assert_transition
from gateway.domain.values import require_text
from gateway.errors import LifecycleError


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """Who (actor) did what (action), when (at, timezone-aware) and why (reason)."""

    actor: str  # user id or service name, e.g. "intake-email"
    action: str  # e.g. "received", "coded", "transition:qc_pending"
    at: datetime
    reason: str  # required: every decision is auditable, including why
    source_ref: str | None = None  # e.g. the raw message id that carried the information

    def __post_init__(self) -> None:
        require_text(self.actor, "Provenance.actor")
        require_text(self.action, "Provenance.action")
        require_text(self.reason, "Provenance.reason")
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            # Day 0 and deadlines are calendar-exact: a naive time is a guess.
            raise ValueError(f"Provenance.at must be a timezone-aware datetime, got {self.at!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseVersion:
    """One immutable version of a case: content, state and how it came about."""

    case_id: str
    number: int  # 1, 2, 3, ... with no gaps
    icsr: ICSR
    state: CaseState
    provenance: Provenance

    def __post_init__(self) -> None:
        require_text(self.case_id, "CaseVersion.case_id")
        if isinstance(self.number, bool) or not isinstance(self.number, int) or self.number < 1:
            raise ValueError(f"CaseVersion.number must be an int >= 1, got {self.number!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """The version history of one case; the last version is the current one."""

    case_id: str
    versions: tuple[CaseVersion, ...]

    def __post_init__(self) -> None:
        require_text(self.case_id, "Case.case_id")
        if not self.versions:
            raise ValueError(f"case {self.case_id!r} has no versions")
        for expected, version in enumerate(self.versions, start=1):
            if version.case_id != self.case_id:
                raise ValueError(
                    f"case {self.case_id!r} holds a version of case {version.case_id!r}"
                )
            if version.number != expected:
                raise ValueError(
                    f"case {self.case_id!r}: version {version.number} found where "
                    f"{expected} was expected (versions are numbered 1, 2, ... without gaps)"
                )

    @classmethod
    def open(
        cls,
        case_id: str,
        icsr: ICSR,
        provenance: Provenance,
        state: CaseState = CaseState.RECEIVED,
    ) -> Case:
        """Start a case with version 1."""
        first = CaseVersion(
            case_id=case_id, number=1, icsr=icsr, state=state, provenance=provenance
        )
        return cls(case_id=case_id, versions=(first,))

    @property
    def current(self) -> CaseVersion:
        return self.versions[-1]

    @property
    def state(self) -> CaseState:
        return self.current.state

    @property
    def icsr(self) -> ICSR:
        return self.current.icsr

    def version(self, number: int) -> CaseVersion:
        """Version ``number`` (1-based); raises KeyError when there is none."""
        if isinstance(number, int) and 1 <= number <= len(self.versions):
            return self.versions[number - 1]
        raise KeyError(f"case {self.case_id!r} has no version {number!r}")

    def was_ever(self, state: CaseState) -> bool:
        return any(v.state is state for v in self.versions)

    def revise(self, icsr: ICSR, provenance: Provenance) -> Case:
        """Append new content in the same state (follow-up, coding, correction).

        A CLOSED case must be reopened (transition to IN_PROGRESS) first, so that new
        information after closure is visible in the history; terminal cases take none.
        """
        if self.state.is_terminal or self.state is CaseState.CLOSED:
            raise LifecycleError(
                f"case {self.case_id!r} is {self.state.name}: it takes no revisions"
                + (" until reopened to IN_PROGRESS" if not self.state.is_terminal else "")
            )
        return self._append(icsr, self.state, provenance)

    def transition(self, to: CaseState, provenance: Provenance) -> Case:
        """Append a version in state ``to``; the content is carried over unchanged."""
        assert_transition(self.state, to)
        submitted_before = self.was_ever(CaseState.SUBMITTED)
        if to is CaseState.DELETED and submitted_before:
            raise LifecycleError(
                f"case {self.case_id!r} was SUBMITTED, so it cannot move from "
                f"{self.state.name} to DELETED: nullify it instead"
            )
        if to is CaseState.NULLIFIED and not submitted_before:
            raise LifecycleError(
                f"case {self.case_id!r} was never SUBMITTED, so it cannot move from "
                f"{self.state.name} to NULLIFIED: delete it instead"
            )
        return self._append(self.icsr, to, provenance)

    def _append(self, icsr: ICSR, state: CaseState, provenance: Provenance) -> Case:
        version = CaseVersion(
            case_id=self.case_id,
            number=len(self.versions) + 1,
            icsr=icsr,
            state=state,
            provenance=provenance,
        )
        return Case(case_id=self.case_id, versions=(*self.versions, version))
