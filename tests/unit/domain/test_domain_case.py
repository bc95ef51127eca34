from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from gateway.domain.case import Case, CaseVersion, Provenance
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.narrative import Narrative
from gateway.domain.receipt import open_case_for_receipt
from gateway.domain.values import PartialDate
from gateway.errors import LifecycleError

T0 = datetime(2024, 3, 15, 8, 0, tzinfo=UTC)


def prov(action: str, minutes: int = 0, reason: str = "test") -> Provenance:
    return Provenance(
        actor="alice", action=action, at=T0 + timedelta(minutes=minutes), reason=reason
    )


def opened(icsr: ICSR | None = None) -> Case:
    return Case.open("CASE-1", icsr or ICSR(), prov("received"))


def test_open_case_starts_at_version_one_in_received() -> None:
    case = opened()

    assert case.current.number == 1
    assert case.state is CaseState.RECEIVED
    assert case.version(1) is case.current


def test_case_revision_adds_a_version_and_keeps_the_old_one(full_icsr: ICSR) -> None:
    case = opened(ICSR())

    revised = case.revise(full_icsr, prov("follow-up", 5, "reply from reporter"))

    assert [v.number for v in revised.versions] == [1, 2]
    assert revised.version(1).icsr == ICSR()
    assert revised.current.icsr == full_icsr
    assert revised.state is CaseState.RECEIVED
    assert revised.current.provenance.reason == "reply from reporter"
    assert case.versions == (case.version(1),)  # the original Case is untouched


def test_transition_adds_a_version_with_the_same_content(full_icsr: ICSR) -> None:
    case = opened(full_icsr).transition(CaseState.VALID, prov("assess-validity", 1))

    assert case.state is CaseState.VALID
    assert case.version(1).state is CaseState.RECEIVED
    assert case.current.icsr is full_icsr


def test_disallowed_transition_raises_and_adds_no_version() -> None:
    case = opened()
    with pytest.raises(LifecycleError, match="from RECEIVED to SUBMITTED"):
        case.transition(CaseState.SUBMITTED, prov("submit"))
    assert len(case.versions) == 1


def test_unknown_version_number_raises_key_error() -> None:
    with pytest.raises(KeyError, match="no version 2"):
        opened().version(2)
    with pytest.raises(KeyError):
        opened().version(0)


def test_provenance_rejects_a_naive_timestamp() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Provenance(
            actor="alice",
            action="received",
            at=datetime(2024, 3, 15, 8, 0),
            reason="x",
        )


def test_provenance_requires_who_what_and_why() -> None:
    with pytest.raises(ValueError, match=r"Provenance\.actor"):
        Provenance(actor="", action="a", at=T0, reason="r")
    with pytest.raises(ValueError, match=r"Provenance\.reason"):
        Provenance(actor="alice", action="a", at=T0, reason=" ")


def test_case_rejects_gapped_or_foreign_versions() -> None:
    first = opened().current
    with pytest.raises(ValueError, match="version 3 found where 2"):
        Case(case_id="CASE-1", versions=(first, dataclasses.replace(first, number=3)))
    with pytest.raises(ValueError, match="holds a version of case 'CASE-2'"):
        Case(case_id="CASE-1", versions=(dataclasses.replace(first, case_id="CASE-2"),))
    with pytest.raises(ValueError, match="no versions"):
        Case(case_id="CASE-1", versions=())
    with pytest.raises(ValueError, match="number"):
        CaseVersion(
            case_id="CASE-1", number=0, icsr=ICSR(), state=CaseState.VALID, provenance=prov("x")
        )


def _submitted() -> Case:
    case = opened()
    for i, state in enumerate(
        [
            CaseState.VALID,
            CaseState.IN_PROGRESS,
            CaseState.QC_PENDING,
            CaseState.READY_FOR_SUBMISSION,
            CaseState.SUBMITTED,
        ],
        start=1,
    ):
        case = case.transition(state, prov(f"to-{state}", i))
    return case


def test_closed_case_reopens_before_taking_new_information() -> None:
    closed = _submitted().transition(CaseState.CLOSED, prov("close", 10, "outcome known"))
    new_info = ICSR(narrative=Narrative(case_narrative="late follow-up"))

    with pytest.raises(LifecycleError, match="until reopened"):
        closed.revise(new_info, prov("follow-up", 11))

    reopened = closed.transition(CaseState.IN_PROGRESS, prov("reopen", 11, "new information"))
    revised = reopened.revise(new_info, prov("follow-up", 12))
    assert revised.state is CaseState.IN_PROGRESS
    assert revised.current.number == 9


def test_submitted_case_is_nullified_not_deleted() -> None:
    case = _submitted().transition(CaseState.IN_PROGRESS, prov("follow-up", 10))

    with pytest.raises(LifecycleError, match="nullify it instead"):
        case.transition(CaseState.DELETED, prov("delete", 11))

    nullified = case.transition(CaseState.NULLIFIED, prov("nullify", 11, "duplicate"))
    assert nullified.state is CaseState.NULLIFIED


def test_never_submitted_case_is_deleted_not_nullified() -> None:
    case = opened().transition(CaseState.VALID, prov("valid", 1))
    case = case.transition(CaseState.IN_PROGRESS, prov("work", 2))

    with pytest.raises(LifecycleError, match="delete it instead"):
        case.transition(CaseState.NULLIFIED, prov("nullify", 3))

    assert case.transition(CaseState.DELETED, prov("delete", 3)).state is CaseState.DELETED


def test_deleted_case_takes_no_revisions() -> None:
    deleted = opened().transition(CaseState.DELETED, prov("delete", 1, "spam"))
    with pytest.raises(LifecycleError, match="DELETED"):
        deleted.revise(ICSR(), prov("edit", 2))


def test_receipt_opens_a_case_with_day_zero_candidate_to_the_second() -> None:
    received_at = datetime(2024, 3, 15, 14, 30, 5, tzinfo=UTC)

    case = open_case_for_receipt(
        case_id="CASE-9",
        channel="email",
        received_at=received_at,
        inbound_id="<m-9@example.org>",
        actor="intake-email",
    )

    assert case.state is CaseState.RECEIVED
    assert case.icsr.report.first_received == PartialDate.parse("20240315143005+0000")
    assert case.icsr.report.most_recent_info == case.icsr.report.first_received
    assert case.current.provenance.source_ref == "<m-9@example.org>"
