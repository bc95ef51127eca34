"""The scheduler: which destinations get a case version, what kind, and by when."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gateway.destinations import load_destinations
from gateway.domain.codes import NullificationAmendment, ReportType
from gateway.domain.deadlines import DeadlineInputs
from gateway.domain.icsr import ICSR
from gateway.domain.lifecycle import CaseState
from gateway.domain.report import ReportIdentification
from gateway.domain.submissions import (
    CaseSnapshot,
    PlannedSubmission,
    PriorSubmission,
    SubmissionKind,
    SubmissionStatus,
    plan_retransmission,
    plan_submissions,
)

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "destinations.toml"
EV, FDA, PERU = load_destinations(EXAMPLE)
ALL = (EV, FDA, PERU)
DAY0 = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)
LATER = datetime(2025, 4, 7, 9, 0, tzinfo=UTC)


def snap(**changes: Any) -> CaseSnapshot:
    base: dict[str, Any] = {
        "case_id": "CASE-1",
        "version": 1,
        "icsr": ICSR(),
        "state": CaseState.VALID,
        "day_zero": DAY0,
        "serious": True,
        "unexpected": False,
        "fatal_or_life_threatening": False,
        "study": False,
        "own_product": True,
        "occurrence_country": "DE",
        "reporter_country": "DE",
    }
    base.update(changes)
    return CaseSnapshot(**base)


def prior(
    planned: PlannedSubmission, status: SubmissionStatus = SubmissionStatus.ACCEPTED
) -> PriorSubmission:
    return PriorSubmission(
        destination_id=planned.destination_id,
        case_version=planned.case_version,
        kind=planned.kind,
        status=status,
        due_date=planned.due_date,
        day_zero=planned.day_zero,
        rule_id=planned.rule_id,
    )


def by_destination(planned: tuple[PlannedSubmission, ...]) -> dict[str, PlannedSubmission]:
    return {p.destination_id: p for p in planned}


def test_serious_eea_case_goes_to_eudravigilance_due_15_days_after_day_zero() -> None:
    planned = by_destination(plan_submissions(snap(), ALL, ()))
    assert set(planned) == {"eudravigilance"}  # expected: not for FDA; not from Peru
    ev = planned["eudravigilance"]
    assert (ev.kind, ev.case_version, ev.due_date, ev.day_zero, ev.rule_id) == (
        SubmissionKind.INITIAL,
        1,
        date(2025, 3, 18),
        DAY0,
        "EV-EEA-SERIOUS-15",
    )
    assert "15 days from Day 0 2025-03-03" in ev.reason


def test_non_serious_eea_case_is_due_at_eudravigilance_in_90_days() -> None:
    (ev,) = plan_submissions(snap(serious=False), ALL, ())
    assert (ev.destination_id, ev.due_date, ev.rule_id) == (
        "eudravigilance",
        date(2025, 6, 1),
        "EV-EEA-NONSERIOUS-90",
    )


def test_non_serious_non_eea_case_is_not_sent_to_eudravigilance() -> None:
    case = snap(serious=False, occurrence_country="US", reporter_country="US")
    assert plan_submissions(case, ALL, ()) == ()


def test_serious_non_eea_case_goes_to_eudravigilance_and_unexpected_us_case_to_fda() -> None:
    case = snap(unexpected=True, occurrence_country="US", reporter_country="US")
    planned = by_destination(plan_submissions(case, ALL, ()))
    assert planned["eudravigilance"].rule_id == "EV-NONEEA-SERIOUS-15"
    assert planned["fda-faers"].rule_id == "US-PM-SERIOUS-UNEXPECTED-15"
    assert planned["fda-faers"].due_date == date(2025, 3, 18)


def test_fda_takes_only_own_product_cases() -> None:
    case = snap(unexpected=True, own_product=False, occurrence_country="US")
    assert set(by_destination(plan_submissions(case, ALL, ()))) == {"eudravigilance"}


def test_unknown_occurrence_country_is_judged_by_the_reporter_country() -> None:
    case = snap(serious=False, occurrence_country=None, reporter_country="FR")
    (ev,) = plan_submissions(case, ALL, ())
    assert ev.rule_id == "EV-EEA-NONSERIOUS-90"


def test_national_authority_uses_its_rule_then_its_non_expedited_fallback() -> None:
    serious = by_destination(plan_submissions(snap(occurrence_country="PE"), ALL, ()))
    assert serious["digemid"].rule_id == "PE-SERIOUS-15"
    mild = by_destination(plan_submissions(snap(serious=False, occurrence_country="PE"), ALL, ()))
    assert (mild["digemid"].rule_id, mild["digemid"].due_date) == (None, date(2025, 6, 1))
    assert "non-expedited fallback" in mild["digemid"].reason


def test_study_cases_do_not_go_where_only_spontaneous_reports_are_taken() -> None:
    case = snap(study=True, icsr=ICSR(report=ReportIdentification(report_type=ReportType.STUDY)))
    assert "eudravigilance" not in by_destination(plan_submissions(case, ALL, ()))


@pytest.mark.parametrize(
    "state", [CaseState.RECEIVED, CaseState.INVALID_PENDING_INFO, CaseState.DELETED]
)
def test_a_case_that_is_not_valid_is_not_submitted(state: CaseState) -> None:
    assert plan_submissions(snap(state=state), ALL, ()) == ()


def test_a_case_without_day_zero_is_not_submitted() -> None:
    assert plan_submissions(snap(day_zero=None), ALL, ()) == ()


def test_disabled_destinations_get_nothing() -> None:
    off = dataclasses.replace(EV, enabled=False)
    assert plan_submissions(snap(), (off,), ()) == ()


def test_due_date_counts_from_day_zero_in_the_company_time_zone() -> None:
    late_evening = datetime(2025, 1, 31, 23, 30, tzinfo=UTC)  # 1 February in Berlin
    (ev,) = plan_submissions(snap(day_zero=late_evening), (EV,), (), tz=ZoneInfo("Europe/Berlin"))
    assert ev.due_date == date(2025, 2, 16)


def test_per_reaction_inputs_decide_the_rule_when_given() -> None:
    reactions = (
        DeadlineInputs(
            serious=False,
            unexpected=True,
            fatal_or_life_threatening=False,
            study=False,
            eea_occurrence=True,
        ),
    )
    (ev,) = plan_submissions(snap(deadline_inputs=reactions), (EV,), ())
    assert ev.rule_id == "EV-EEA-NONSERIOUS-90"


def test_significant_follow_up_is_due_15_days_after_the_new_day_zero() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    follow = snap(version=3, day_zero=LATER, significant=True)
    (planned,) = plan_submissions(follow, (EV,), (prior(initial),))
    assert (planned.kind, planned.case_version, planned.day_zero, planned.due_date) == (
        SubmissionKind.FOLLOW_UP,
        3,
        LATER,
        date(2025, 4, 22),
    )


def test_non_significant_update_waits_for_the_next_submission() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    update = snap(version=2, significant=False)
    assert plan_submissions(update, (EV,), (prior(initial),)) == ()


def test_significant_information_making_a_case_reportable_gives_an_initial_there() -> None:
    (initial,) = plan_submissions(snap(occurrence_country="US", reporter_country="US"), ALL, ())
    assert initial.destination_id == "eudravigilance"
    now_unexpected = snap(
        version=2,
        day_zero=LATER,
        significant=True,
        unexpected=True,
        occurrence_country="US",
        reporter_country="US",
    )
    planned = by_destination(plan_submissions(now_unexpected, ALL, (prior(initial),)))
    assert planned["eudravigilance"].kind is SubmissionKind.FOLLOW_UP
    assert planned["fda-faers"].kind is SubmissionKind.INITIAL
    assert planned["fda-faers"].due_date == date(2025, 4, 22)


def test_downgraded_case_is_followed_up_not_nullified() -> None:
    """GVP VI: a case downgraded to non-serious is not nullified; the follow-up is sent."""
    serious = snap(occurrence_country="US", reporter_country="US")
    (initial,) = plan_submissions(serious, (EV,), ())
    downgraded = snap(
        version=2,
        day_zero=LATER,
        significant=True,
        serious=False,
        occurrence_country="US",
        reporter_country="US",
    )
    (planned,) = plan_submissions(downgraded, (EV,), (prior(initial),))
    assert planned.kind is SubmissionKind.FOLLOW_UP
    assert planned.due_date == date(2025, 4, 22)  # the previous 15-day timeframe
    assert "not nullified" in planned.reason


def test_amendment_goes_to_destinations_holding_the_case_without_a_due_date() -> None:
    (initial,) = plan_submissions(snap(), ALL, ())
    amended = snap(version=2, amendment=True)
    (planned,) = plan_submissions(amended, ALL, (prior(initial),))
    assert (planned.destination_id, planned.kind, planned.due_date, planned.day_zero) == (
        "eudravigilance",
        SubmissionKind.AMENDMENT,
        None,
        DAY0,
    )
    assert planned.kind.nullification_amendment is NullificationAmendment.AMENDMENT


def test_amendment_flag_on_the_icsr_counts_too_and_significance_wins() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    icsr = ICSR(
        report=ReportIdentification(nullification_amendment=NullificationAmendment.AMENDMENT)
    )
    (amended,) = plan_submissions(snap(version=2, icsr=icsr), (EV,), (prior(initial),))
    assert amended.kind is SubmissionKind.AMENDMENT
    both = snap(version=2, icsr=icsr, significant=True, day_zero=LATER)
    (follow,) = plan_submissions(both, (EV,), (prior(initial),))
    assert follow.kind is SubmissionKind.FOLLOW_UP


def test_nullification_goes_with_its_reason_to_every_destination_that_was_sent_the_case() -> None:
    case = snap(unexpected=True, occurrence_country="US", reporter_country="US")
    sent = plan_submissions(case, ALL, ())
    ev, fda = sorted(sent, key=lambda p: p.destination_id)
    history = (prior(ev, SubmissionStatus.ACCEPTED), prior(fda, SubmissionStatus.DISPATCHED))
    nullified = snap(
        version=2,
        state=CaseState.NULLIFIED,
        nullified_reason="duplicate of CASE-0",
        occurrence_country="US",
    )
    planned = by_destination(plan_submissions(nullified, ALL, history))
    assert set(planned) == {"eudravigilance", "fda-faers"}
    for p in planned.values():
        assert (p.kind, p.case_version, p.due_date) == (SubmissionKind.NULLIFICATION, 2, None)
        assert p.reason.endswith("duplicate of CASE-0")
        assert p.kind.nullification_amendment is NullificationAmendment.NULLIFICATION


def test_nullification_skips_destinations_that_were_never_sent_the_case() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    nullified = snap(version=2, state=CaseState.NULLIFIED, nullified_reason="report withdrawn")
    history = (prior(initial, SubmissionStatus.PLANNED),)
    assert plan_submissions(nullified, (EV,), history) == ()


def test_nullification_without_a_reason_is_refused() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    for case in (
        snap(version=2, state=CaseState.NULLIFIED),
        snap(version=2, nullified_reason="   "),
    ):
        with pytest.raises(ValueError, match=r"nullification needs a reason \(C\.1\.11\.2\)"):
            plan_submissions(case, (EV,), (prior(initial),))


def test_nullification_reason_may_come_from_the_icsr() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    icsr = ICSR(
        report=ReportIdentification(
            nullification_amendment=NullificationAmendment.NULLIFICATION,
            nullification_amendment_reason="invalid: no identifiable patient",
        )
    )
    (planned,) = plan_submissions(snap(version=2, icsr=icsr), (EV,), (prior(initial),))
    assert planned.kind is SubmissionKind.NULLIFICATION
    assert "no identifiable patient" in planned.reason


def test_same_version_and_destination_is_never_planned_twice() -> None:
    planned = plan_submissions(snap(unexpected=True, occurrence_country="US"), ALL, ())
    assert len(planned) == 2
    history = tuple(prior(p, SubmissionStatus.PLANNED) for p in planned)
    assert plan_submissions(snap(unexpected=True, occurrence_country="US"), ALL, history) == ()
    # a cancelled row still counts: the version was planned for that destination once
    cancelled = tuple(prior(p, SubmissionStatus.CANCELLED) for p in planned)
    assert plan_submissions(snap(unexpected=True, occurrence_country="US"), ALL, cancelled) == ()


def test_follow_up_redelivered_after_it_was_planned_plans_nothing() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    follow = snap(version=2, day_zero=LATER, significant=True)
    (planned,) = plan_submissions(follow, (EV,), (prior(initial),))
    history = (prior(initial), prior(planned, SubmissionStatus.DISPATCHED))
    assert plan_submissions(follow, (EV,), history) == ()


def test_corrected_version_after_a_negative_ack_is_retransmitted_on_the_original_clock() -> None:
    (initial,) = plan_submissions(snap(), (EV,), ())
    history = (prior(initial, SubmissionStatus.CORRECTION_REQUIRED),)
    corrected = snap(version=2, significant=False)
    (planned,) = plan_submissions(corrected, (EV,), history)
    assert (planned.kind, planned.case_version, planned.day_zero, planned.due_date) == (
        SubmissionKind.INITIAL,
        2,
        DAY0,
        date(2025, 3, 18),
    )
    assert planned.rule_id == "EV-EEA-SERIOUS-15"
    assert "retransmission" in planned.reason


def test_plan_retransmission_keeps_kind_due_date_and_day_zero() -> None:
    rejected = PriorSubmission(
        destination_id="fda-faers",
        case_version=4,
        kind=SubmissionKind.FOLLOW_UP,
        status=SubmissionStatus.BATCH_REJECTED,
        due_date=date(2025, 4, 22),
        day_zero=LATER,
        rule_id="US-PM-SERIOUS-UNEXPECTED-15",
    )
    again = plan_retransmission(rejected, 5)
    assert (again.destination_id, again.case_version, again.kind) == (
        "fda-faers",
        5,
        SubmissionKind.FOLLOW_UP,
    )
    assert (again.due_date, again.day_zero, again.rule_id) == (
        date(2025, 4, 22),
        LATER,
        "US-PM-SERIOUS-UNEXPECTED-15",
    )


def test_prior_submissions_read_stored_text_and_refuse_unknown_statuses() -> None:
    row = PriorSubmission(
        destination_id="ev",
        case_version=1,
        kind="initial",  # type: ignore[arg-type]
        status="accepted",  # type: ignore[arg-type]
        due_date=None,
        day_zero=DAY0,
    )
    assert (row.kind, row.status) == (SubmissionKind.INITIAL, SubmissionStatus.ACCEPTED)
    with pytest.raises(ValueError, match="'lost'"):
        PriorSubmission(
            destination_id="ev",
            case_version=1,
            kind=SubmissionKind.INITIAL,
            status="lost",  # type: ignore[arg-type]
            due_date=None,
            day_zero=DAY0,
        )


def test_snapshot_refuses_a_naive_day_zero() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        snap(day_zero=datetime(2025, 3, 3, 10, 0))
