"""The one path by which an existing case changes: new content, or a move of its state.

Content changes (a follow-up reply, a correction, a recoding) append an immutable version
and emit VERSION_CREATED. A state move with no new content (the reporter was contacted, a
regulator asked for a correction) is not a version: it updates the case row, is audited and
emits STATE_CHANGED; the next version records the state it was written in. That keeps the
version numbers meaning "what we knew", which is what submissions and the case API count.

Every change is audited (who, when, what, why) and its event goes to the outbox in the
caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, select, update

from gateway.domain.case import Case, CaseVersion, Provenance
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState, assert_transition
from gateway.domain.serialization import load
from gateway.domain.validity import Criterion
from gateway.errors import InvalidMessageError, LifecycleError
from gateway.ids import new_id
from gateway.store import cases as case_rows
from gateway.store.audit import AuditEntry
from gateway.store.outbox import OutboxMessage
from gateway.store.tables import case_versions
from gateway.store.tables import cases as cases_table
from schemas.avro import AvroCodec, SchemaName


class _Keep:
    """Marks a case-row column the revision leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


@dataclass(frozen=True, slots=True)
class CaseRow:
    """The case row: the workflow state and what the latest assessment decided."""

    case_id: str
    state: CaseState
    current_version: int
    channel: str | None
    valid: bool | None
    missing_criteria: tuple[str, ...]
    day_zero: datetime | None
    serious: bool | None
    expedited: bool | None

    @property
    def missing(self) -> tuple[Criterion, ...]:
        """The minimum criteria the latest assessment found missing (stored by name)."""
        return tuple(
            Criterion[name] for name in self.missing_criteria if name in Criterion.__members__
        )


@dataclass(frozen=True, slots=True)
class Revised:
    version: CaseVersion
    event: OutboxMessage
    audit: AuditEntry


def case_row(conn: Connection, case_id: str, *, for_update: bool = False) -> CaseRow | None:
    q = select(cases_table).where(cases_table.c.id == case_id)
    if for_update and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    r = conn.execute(q).first()
    if r is None:
        return None
    return CaseRow(
        case_id=r.id,
        state=CaseState(r.state),
        current_version=r.current_version,
        channel=r.channel,
        valid=r.valid,
        missing_criteria=tuple(r.missing_criteria or ()),
        day_zero=r.day_zero,
        serious=r.serious,
        expedited=r.expedited,
    )


def current_icsr(conn: Connection, case_id: str, number: int) -> ICSR:
    data = conn.execute(
        select(case_versions.c.icsr).where(
            case_versions.c.case_id == case_id, case_versions.c.number == number
        )
    ).scalar_one()
    return load(ICSR, data)


class CaseWriter:
    """Writes case changes with their audit entries and case events."""

    def __init__(self, codec: AvroCodec, case_topic: str) -> None:
        self._codec = codec
        self._topic = case_topic

    def revise(
        self,
        conn: Connection,
        *,
        case_id: str,
        icsr: ICSR,
        actor: str,
        action: str,
        reason: str,
        now: datetime,
        significant: bool,
        source_ref: str | None = None,
        state: CaseState | None = None,
        valid: bool | _Keep | None = KEEP,
        missing_criteria: tuple[str, ...] | _Keep = KEEP,
        day_zero: datetime | _Keep | None = KEEP,
        serious: bool | _Keep | None = KEEP,
        expedited: bool | _Keep | None = KEEP,
        detail: dict[str, Any] | None = None,
    ) -> Revised:
        """Append version n+1 holding ``icsr`` (and move to ``state`` when given)."""
        row = case_row(conn, case_id, for_update=True)
        if row is None:
            raise InvalidMessageError(f"case {case_id} does not exist")
        to = state or row.state
        # A closed case takes no new content, except the version that nullifies it.
        closed = row.state is CaseState.CLOSED and to is not CaseState.NULLIFIED
        if row.state.is_terminal or closed:
            raise LifecycleError(f"case {case_id} is {row.state.name}: it takes no revisions")
        if to is not row.state:
            assert_transition(row.state, to)
        provenance = Provenance(
            actor=actor, action=action, at=now, reason=reason, source_ref=source_ref
        )
        version = CaseVersion(
            case_id=case_id,
            number=row.current_version + 1,
            icsr=icsr,
            state=to,
            provenance=provenance,
        )
        conn.execute(case_versions.insert(), [case_rows.version_row(version)])
        values: dict[str, Any] = {
            "state": to.value,
            "current_version": version.number,
            "updated_at": now,
        }
        for name, value in (
            ("valid", valid),
            ("missing_criteria", missing_criteria),
            ("day_zero", day_zero),
            ("serious", serious),
            ("expedited", expedited),
        ):
            if not isinstance(value, _Keep):
                values[name] = list(value) if isinstance(value, tuple) else value
        # Optimistic guard: two writers of the same case cannot both write version n+1
        # (the primary key of case_versions refuses the second insert anyway).
        conn.execute(
            update(cases_table)
            .where(
                cases_table.c.id == case_id, cases_table.c.current_version == row.current_version
            )
            .values(**values)
        )
        event = self._event(
            "VERSION_CREATED",
            case_id,
            version.number,
            to,
            now,
            actor,
            reason,
            source_ref,
            significant,
        )
        audit = AuditEntry(
            at=now,
            actor=actor,
            action=action,
            entity_type="case",
            entity_id=case_id,
            reason=reason,
            detail={
                "version": version.number,
                "state": to.value,
                "significant": significant,
                **(detail or {}),
            },
        )
        return Revised(version=version, event=event, audit=audit)

    def move(
        self,
        conn: Connection,
        *,
        case_id: str,
        to: CaseState,
        actor: str,
        reason: str,
        now: datetime,
        source_ref: str | None = None,
    ) -> tuple[OutboxMessage, AuditEntry] | None:
        """Move the case's workflow state; ``None`` when it is already there."""
        row = case_row(conn, case_id, for_update=True)
        if row is None:
            raise InvalidMessageError(f"case {case_id} does not exist")
        if row.state is to:
            return None
        assert_transition(row.state, to)
        conn.execute(
            update(cases_table)
            .where(cases_table.c.id == case_id)
            .values(state=to.value, updated_at=now)
        )
        event = self._event(
            "STATE_CHANGED",
            case_id,
            row.current_version,
            to,
            now,
            actor,
            reason,
            source_ref,
            False,
        )
        audit = AuditEntry(
            at=now,
            actor=actor,
            action=f"transition:{to.value}",
            entity_type="case",
            entity_id=case_id,
            reason=reason,
            detail={"from": row.state.value, "to": to.value, "version": row.current_version},
        )
        return event, audit

    def _event(
        self,
        event_type: str,
        case_id: str,
        version: int,
        state: CaseState,
        now: datetime,
        actor: str,
        reason: str,
        source_ref: str | None,
        significant: bool,
    ) -> OutboxMessage:
        event_id = new_id("EV")
        value = self._codec.encode(
            SchemaName.CASE_EVENT,
            {
                "event_id": event_id,
                "case_id": case_id,
                "version": version,
                "event_type": event_type,
                "state": state.value,
                "occurred_at": now,
                "actor": actor,
                "reason": reason,
                "source_inbound_id": source_ref,
                "significant": significant,
            },
        )
        return OutboxMessage(
            event_id=event_id, topic=self._topic, key=case_id.encode(), value=value
        )


def load_with_row(conn: Connection, case_id: str) -> tuple[Case, CaseRow] | None:
    """The case's versions and its row (the row's state is the workflow authority)."""
    row = case_row(conn, case_id)
    case = case_rows.load_case(conn, case_id) if row is not None else None
    if row is None or case is None:
        return None
    return case, row
