"""The submission scheduler: which destinations get this case version, what kind, by when.

``plan_submissions(snapshot, destinations, previous, tz=...)`` looks at one case version and
the submissions already recorded for the case, and returns what to send now. It is pure and
deterministic; exactly-once is the caller's (a unique (case version, destination) key), but
it never plans what ``previous`` already holds for the same version and destination, so a
redelivered event plans nothing new.

Rules, per enabled destination:

* **Not valid** (state RECEIVED, INVALID_PENDING_INFO or DELETED, or no Day 0): nothing.
* **First time** the destination needs the case (its criteria match and a deadline rule,
  or its ``non_expedited_days`` fallback, applies): INITIAL, due Day 0 + the shortest
  applicable rule's days.
* **Significant new information** for a destination that holds the case: FOLLOW_UP with the
  case's new Day 0 and its own due date.
* **Downgrade** (significant information after which no rule applies any more, e.g. a
  serious case becomes non-serious non-EEA for EudraVigilance): the case is *not*
  nullified (GVP VI: nullification is for cases that should never have been sent, such as
  duplicates or invalid reports, not for a change of seriousness); the follow-up carrying
  the downgrade is sent within the destination's previous timeframe from the new Day 0.
* **Amendment** (C.1.11.1 = 2, no new information) to each destination holding the case,
  with **no due date**: amendments correct content the regulator already holds, are not
  expedited reports and carry no regulatory clock; they go with the next dispatch and the
  monitor shows them without a deadline. Significant information wins over the amendment
  flag (the version is then a follow-up).
* **Nullification** (C.1.11.1 = 1; ``nullified_reason`` or state NULLIFIED) to every
  destination that was sent the case (dispatched, delivered or accepted), reason required
  (``ValueError`` without one), no due date (no regulatory clock; sent at once).
  Submissions only planned and never sent are for the caller to cancel.
* **Non-significant update**: nothing now; the content waits for the next submission.
* **Awaiting correction** (the destination's latest submission was blocked by a reject
  finding, or answered CR / AR): the new version is its retransmission, with the same kind,
  Day 0 and due date (GVP VI.App.4: a negative ACK does not stop the clock and is not new
  information). When this version also carries significant information with an earlier
  deadline, the earlier date binds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from gateway.domain.codes import NullificationAmendment, ReportType
from gateway.domain.deadlines import DeadlineInputs, applicable_rules, due_date, is_eea
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.submissions.destinations import Destination
from gateway.domain.submissions.kinds import (
    AWAITING_CORRECTION,
    INACTIVE,
    SubmissionKind,
    SubmissionStatus,
)

__all__ = [
    "NOT_VALID_STATES",
    "CaseSnapshot",
    "PlannedSubmission",
    "PriorSubmission",
    "plan_retransmission",
    "plan_submissions",
]

#: states in which a case is not (yet, or any more) a valid ICSR to submit
NOT_VALID_STATES: frozenset[CaseState] = frozenset(
    {CaseState.RECEIVED, CaseState.INVALID_PENDING_INFO, CaseState.DELETED}
)
#: the destination was sent the case (it may hold it): a nullification must reach it
_SENT: frozenset[SubmissionStatus] = frozenset(
    {SubmissionStatus.DISPATCHED, SubmissionStatus.DELIVERED, SubmissionStatus.ACCEPTED}
)
#: timeframe of a downgrade follow-up when no earlier submission had a due date
_EXPEDITED_DAYS = 15


def _aware(moment: datetime, name: str) -> None:
    if moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseSnapshot:
    """One case version, with the facts the scheduler needs.

    ``day_zero`` is the case's *current* Day 0 (a significant follow-up sets a new one).
    ``unexpected``: not listed in the reference safety information (unknown counts as
    unexpected). ``significant``: this version carries significant new information.
    ``deadline_inputs``, when given (one per reaction), replace the case-level facts for
    rule matching, so that serious, unexpected and fatal hold for the same reaction.
    """

    case_id: str
    version: int
    icsr: ICSR
    state: CaseState
    day_zero: datetime | None
    serious: bool
    unexpected: bool
    fatal_or_life_threatening: bool
    study: bool
    own_product: bool
    occurrence_country: str | None
    reporter_country: str | None
    significant: bool = False
    nullified_reason: str | None = None
    amendment: bool = False
    adr: bool = True
    deadline_inputs: tuple[DeadlineInputs, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.version, bool) or not isinstance(self.version, int) or self.version < 1:
            raise ValueError(f"CaseSnapshot.version must be an int >= 1, got {self.version!r}")
        if self.day_zero is not None:
            _aware(self.day_zero, "CaseSnapshot.day_zero")

    @property
    def is_valid(self) -> bool:
        return self.state not in NOT_VALID_STATES and self.day_zero is not None

    @property
    def nullification_requested(self) -> bool:
        return (
            self.state is CaseState.NULLIFIED
            or self.nullified_reason is not None
            or self.icsr.report.nullification_amendment is NullificationAmendment.NULLIFICATION
        )

    @property
    def amendment_requested(self) -> bool:
        return (
            self.amendment
            or self.icsr.report.nullification_amendment is NullificationAmendment.AMENDMENT
        )

    def nullification_reason(self) -> str:
        """C.1.11.2: the snapshot's reason, else the ICSR's; ``ValueError`` when neither."""
        for candidate in (self.nullified_reason, self.icsr.report.nullification_amendment_reason):
            if candidate is not None and candidate.strip():
                return candidate.strip()
        raise ValueError(
            f"case {self.case_id!r} version {self.version}: a nullification needs a reason "
            "(C.1.11.2)"
        )

    def rule_inputs(self) -> tuple[DeadlineInputs, ...]:
        if self.deadline_inputs:
            return self.deadline_inputs
        in_eea = is_eea(self.occurrence_country)
        if in_eea is None:  # no occurrence country: the reporter's country decides
            in_eea = is_eea(self.reporter_country)
        return (
            DeadlineInputs(
                serious=self.serious,
                unexpected=self.unexpected,
                fatal_or_life_threatening=self.fatal_or_life_threatening,
                study=self.study,
                eea_occurrence=bool(in_eea),
                adr=self.adr,
            ),
        )

    @property
    def report_type(self) -> ReportType | None:
        return self.icsr.report.report_type


@dataclass(frozen=True, slots=True, kw_only=True)
class PriorSubmission:
    """A submission already recorded for the case (any version, any status).

    ``status`` accepts the stored text (``"accepted"``) and is kept as ``SubmissionStatus``.
    """

    destination_id: str
    case_version: int
    kind: SubmissionKind
    status: SubmissionStatus
    due_date: date | None
    day_zero: datetime
    rule_id: str | None = None

    def __post_init__(self) -> None:
        # Rows come from the store as text; refuse an unknown value here, by name.
        object.__setattr__(self, "kind", SubmissionKind(self.kind))
        object.__setattr__(self, "status", SubmissionStatus(self.status))
        _aware(self.day_zero, "PriorSubmission.day_zero")


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedSubmission:
    """One submission to make: this case version to this destination."""

    destination_id: str
    case_version: int
    kind: SubmissionKind
    due_date: date | None  # None: no regulatory clock (amendment, nullification)
    day_zero: datetime
    rule_id: str | None
    reason: str  # why, for the audit trail


@dataclass(frozen=True, slots=True)
class _Deadline:
    rule_id: str | None
    days: int
    due: date


def _deadline(
    destination: Destination, snapshot: CaseSnapshot, day_zero: datetime, tz: tzinfo
) -> _Deadline | None:
    """The destination's deadline for this case, or None when the case does not go there."""
    if not destination.criteria.matches(
        occurrence_country=snapshot.occurrence_country,
        reporter_country=snapshot.reporter_country,
        serious=snapshot.serious,
        unexpected=snapshot.unexpected,
        own_product=snapshot.own_product,
        report_type=snapshot.report_type,
        study=snapshot.study,
    ):
        return None
    rules = applicable_rules(snapshot.rule_inputs(), destination.deadline_rules)
    if rules:
        rule = rules[0]  # shortest first
        return _Deadline(rule.id, rule.days, due_date(day_zero, rule, tz=tz))
    if destination.non_expedited_days is not None:
        days = destination.non_expedited_days
        return _Deadline(None, days, due_date(day_zero, days, tz=tz))
    return None


def _describe(deadline: _Deadline, day_zero: datetime, tz: tzinfo) -> str:
    basis = f"rule {deadline.rule_id}" if deadline.rule_id else "non-expedited fallback"
    start = day_zero.astimezone(tz).date().isoformat()
    return f"{basis}: {deadline.days} days from Day 0 {start}, due {deadline.due.isoformat()}"


def _latest(rows: Sequence[PriorSubmission]) -> PriorSubmission | None:
    # Highest case version wins; for equal versions the later row (recorded later) wins.
    best: PriorSubmission | None = None
    for row in rows:
        if best is None or row.case_version >= best.case_version:
            best = row
    return best


def _previous_days(rows: Sequence[PriorSubmission], tz: tzinfo) -> int:
    for row in sorted(rows, key=lambda r: r.case_version, reverse=True):
        if row.due_date is not None:
            return max(1, (row.due_date - row.day_zero.astimezone(tz).date()).days)
    return _EXPEDITED_DAYS


def plan_retransmission(prior: PriorSubmission, new_version: int) -> PlannedSubmission:
    """Resend ``prior`` with the corrected case version: same kind, due date and Day 0.

    A negative acknowledgement (CR / AR) or a blocked build is not new information, so the
    clock keeps running from the original Day 0 (GVP VI.App.4 steps 8-9).
    """
    if isinstance(new_version, bool) or not isinstance(new_version, int) or new_version < 1:
        raise ValueError(f"new_version must be an int >= 1, got {new_version!r}")
    return PlannedSubmission(
        destination_id=prior.destination_id,
        case_version=new_version,
        kind=prior.kind,
        due_date=prior.due_date,
        day_zero=prior.day_zero,
        rule_id=prior.rule_id,
        reason=(
            f"retransmission of the {prior.kind.value} of version {prior.case_version} "
            f"({prior.status.value}) with version {new_version}: same Day 0 and due date"
        ),
    )


def _retransmit(
    prior: PriorSubmission,
    snapshot: CaseSnapshot,
    deadline: _Deadline | None,
) -> PlannedSubmission:
    planned = plan_retransmission(prior, snapshot.version)
    if (
        snapshot.significant
        and deadline is not None
        and (planned.due_date is None or deadline.due < planned.due_date)
    ):
        # The new information runs on a shorter clock than the one being corrected.
        return PlannedSubmission(
            destination_id=planned.destination_id,
            case_version=planned.case_version,
            kind=planned.kind,
            due_date=deadline.due,
            day_zero=planned.day_zero,
            rule_id=deadline.rule_id,
            reason=planned.reason + f"; due {deadline.due.isoformat()} for the new information",
        )
    return planned


def _plan_nullifications(
    snapshot: CaseSnapshot,
    destinations: Sequence[Destination],
    history: dict[str, list[PriorSubmission]],
) -> tuple[PlannedSubmission, ...]:
    reason = snapshot.nullification_reason()
    planned: list[PlannedSubmission] = []
    for destination in destinations:
        rows = history.get(destination.id, [])
        latest = _latest(rows)
        if latest is not None and latest.kind is SubmissionKind.NULLIFICATION:
            if latest.status in AWAITING_CORRECTION:
                planned.append(plan_retransmission(latest, snapshot.version))
            continue  # already nullified there (or on its way)
        sent = [r for r in rows if r.status in _SENT]
        if not sent:
            continue  # never sent: nothing to nullify at the receiver
        day_zero = snapshot.day_zero or max(sent, key=lambda r: r.case_version).day_zero
        planned.append(
            PlannedSubmission(
                destination_id=destination.id,
                case_version=snapshot.version,
                kind=SubmissionKind.NULLIFICATION,
                due_date=None,
                day_zero=day_zero,
                rule_id=None,
                reason=f"nullification (C.1.11.1 = 1): {reason}",
            )
        )
    return tuple(planned)


def plan_submissions(
    snapshot: CaseSnapshot,
    destinations: Iterable[Destination],
    previous: Sequence[PriorSubmission],
    *,
    tz: tzinfo = UTC,
) -> tuple[PlannedSubmission, ...]:
    """The submissions this case version needs now (see the module docstring for the rules).

    ``tz`` is the reporting company's time zone: due dates count from Day 0's date there.
    Raises ``ValueError`` for a nullification without a reason.
    """
    if snapshot.state is CaseState.DELETED:
        return ()
    enabled = [d for d in destinations if d.enabled]
    done = {(p.destination_id, p.case_version) for p in previous}
    todo = [d for d in enabled if (d.id, snapshot.version) not in done]
    history: dict[str, list[PriorSubmission]] = {}
    for row in previous:
        if row.status not in INACTIVE:
            history.setdefault(row.destination_id, []).append(row)
    if snapshot.nullification_requested:
        return _plan_nullifications(snapshot, todo, history)
    if not snapshot.is_valid or snapshot.day_zero is None:
        return ()
    day_zero = snapshot.day_zero
    planned: list[PlannedSubmission] = []
    for destination in todo:
        rows = history.get(destination.id, [])
        latest = _latest(rows)
        deadline = _deadline(destination, snapshot, day_zero, tz)
        if latest is None:
            if deadline is not None:
                planned.append(
                    PlannedSubmission(
                        destination_id=destination.id,
                        case_version=snapshot.version,
                        kind=SubmissionKind.INITIAL,
                        due_date=deadline.due,
                        day_zero=day_zero,
                        rule_id=deadline.rule_id,
                        reason="initial: " + _describe(deadline, day_zero, tz),
                    )
                )
            continue
        if latest.status in AWAITING_CORRECTION:
            planned.append(_retransmit(latest, snapshot, deadline))
            continue
        if snapshot.significant:
            if deadline is None:
                days = _previous_days(rows, tz)
                due = due_date(day_zero, days, tz=tz)
                planned.append(
                    PlannedSubmission(
                        destination_id=destination.id,
                        case_version=snapshot.version,
                        kind=SubmissionKind.FOLLOW_UP,
                        due_date=due,
                        day_zero=day_zero,
                        rule_id=None,
                        reason=(
                            "follow-up after a downgrade: no rule applies any more; the "
                            "case is followed up, not nullified, within the previous "
                            f"{days}-day timeframe, due {due.isoformat()}"
                        ),
                    )
                )
            else:
                planned.append(
                    PlannedSubmission(
                        destination_id=destination.id,
                        case_version=snapshot.version,
                        kind=SubmissionKind.FOLLOW_UP,
                        due_date=deadline.due,
                        day_zero=day_zero,
                        rule_id=deadline.rule_id,
                        reason="follow-up (significant new information): "
                        + _describe(deadline, day_zero, tz),
                    )
                )
        elif snapshot.amendment_requested:
            planned.append(
                PlannedSubmission(
                    destination_id=destination.id,
                    case_version=snapshot.version,
                    kind=SubmissionKind.AMENDMENT,
                    due_date=None,
                    day_zero=day_zero,
                    rule_id=None,
                    reason="amendment (C.1.11.1 = 2): no new information, no regulatory clock",
                )
            )
        # else: a non-significant update waits for the next submission.
    return tuple(planned)
