"""The deadline rule table, calendar-day due dates and deadline status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from gateway.domain.deadlines import (
    DEFAULT_RULES,
    EEA_COUNTRIES,
    DeadlineInputs,
    DeadlineRule,
    DeadlineStatus,
    RuleCondition,
    applicable_rules,
    deadline_status,
    deadlines_for,
    due_date,
    is_eea,
    rules_from_config,
)
from gateway.errors import ConfigurationError

RULES = {r.id: r for r in DEFAULT_RULES}


def inputs(
    *,
    serious: bool = False,
    unexpected: bool = False,
    fatal: bool = False,
    study: bool = False,
    eea: bool = True,
    adr: bool = True,
) -> DeadlineInputs:
    return DeadlineInputs(
        serious=serious,
        unexpected=unexpected,
        fatal_or_life_threatening=fatal,
        study=study,
        eea_occurrence=eea,
        adr=adr,
    )


def ids(found: tuple[DeadlineRule, ...]) -> list[str]:
    return [r.id for r in found]


# --- the rule table --------------------------------------------------------------------


def test_eu_submits_a_serious_spontaneous_case_in_15_days_whatever_its_expectedness() -> None:
    for unexpected in (False, True):
        for eea in (False, True):
            found = applicable_rules(
                inputs(serious=True, unexpected=unexpected, eea=eea), region="EU"
            )
            assert ids(found) == ["EU-PM-SERIOUS-15"]
            assert found[0].days == 15


def test_eu_submits_non_serious_eea_cases_in_90_days_and_non_eea_ones_not_at_all() -> None:
    assert ids(applicable_rules(inputs(eea=True), region="EU")) == ["EU-PM-NONSERIOUS-EEA-90"]
    assert RULES["EU-PM-NONSERIOUS-EEA-90"].days == 90
    assert not RULES["EU-PM-NONSERIOUS-EEA-90"].expedited
    assert applicable_rules(inputs(eea=False), region="EU") == ()


def test_us_postmarketing_expedites_only_serious_unexpected_cases() -> None:
    assert ids(applicable_rules(inputs(serious=True, unexpected=True), region="US")) == [
        "US-PM-SERIOUS-UNEXPECTED-15"
    ]
    assert applicable_rules(inputs(serious=True, unexpected=False), region="US") == ()
    assert applicable_rules(inputs(serious=False, unexpected=True), region="US") == ()


def test_a_fatal_unexpected_clinical_trial_case_is_due_in_7_days_then_15() -> None:
    found = applicable_rules(
        inputs(serious=True, unexpected=True, fatal=True, study=True), region="US"
    )

    assert ids(found) == ["US-CT-FATAL-LT-UNEXPECTED-7", "US-CT-SERIOUS-UNEXPECTED-15"]
    assert [r.days for r in found] == [7, 15]


def test_a_serious_expected_clinical_trial_case_is_not_expedited_anywhere() -> None:
    assert applicable_rules(inputs(serious=True, unexpected=False, study=True)) == ()


def test_an_event_without_suspected_causality_is_not_submitted() -> None:
    assert applicable_rules(inputs(serious=True, unexpected=True, adr=False)) == ()


def test_rules_apply_when_any_reaction_meets_them_all_at_once() -> None:
    serious_listed = inputs(serious=True, unexpected=False)
    non_serious_unlisted = inputs(serious=False, unexpected=True)

    assert applicable_rules([serious_listed, non_serious_unlisted], region="US") == ()
    assert ids(applicable_rules([serious_listed, non_serious_unlisted], region="EU")) == [
        "EU-PM-SERIOUS-15",
        "EU-PM-NONSERIOUS-EEA-90",
    ]


def test_a_rule_table_can_be_loaded_from_configuration() -> None:
    rules = rules_from_config(
        [
            {
                "id": "JP-SERIOUS-15",
                "region": "JP",
                "days": 15,
                "label": "Japan: serious",
                "applies_to": {"serious": True, "study": None},
            }
        ]
    )

    assert ids(applicable_rules(inputs(serious=True, study=True), rules)) == ["JP-SERIOUS-15"]
    assert rules[0].applies_to == RuleCondition(serious=True)


@pytest.mark.parametrize(
    "row",
    [
        {"id": "X", "region": "EU", "days": 15, "applies_to": {"seriuos": True}},
        {"id": "X", "region": "EU", "days": "15"},
        {"id": "X", "region": "EU", "days": 15, "applies_to": {"serious": "yes"}},
        {"region": "EU", "days": 15},
    ],
)
def test_a_wrong_rule_configuration_is_refused(row: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        rules_from_config([row])


def test_a_rule_needs_a_positive_number_of_days() -> None:
    with pytest.raises(ValueError, match="positive"):
        DeadlineRule(id="X", region="EU", applies_to=RuleCondition(), days=0, label="x")


def test_eea_membership_by_iso_code() -> None:
    assert len(EEA_COUNTRIES) == 30
    assert is_eea("de") is True
    assert is_eea("NO") is True
    assert is_eea("EL") is True  # the EU's code for Greece
    assert is_eea("CH") is False
    assert is_eea("GB") is False
    assert is_eea("US") is False
    assert is_eea(None) is None


# --- due dates in calendar days --------------------------------------------------------


def test_the_15_day_deadline_counts_weekends_and_may_fall_on_a_saturday() -> None:
    friday = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)

    due = due_date(friday, RULES["EU-PM-SERIOUS-15"])

    assert due == date(2024, 3, 16)
    assert due.weekday() == 5  # Saturday: not moved to Monday


def test_due_dates_cross_month_ends_and_leap_days() -> None:
    assert due_date(datetime(2024, 1, 31, 12, tzinfo=UTC), 15) == date(2024, 2, 15)
    assert due_date(datetime(2024, 2, 14, 12, tzinfo=UTC), 15) == date(2024, 2, 29)
    assert due_date(datetime(2023, 2, 14, 12, tzinfo=UTC), 15) == date(2023, 3, 1)
    assert due_date(datetime(2024, 12, 25, 12, tzinfo=UTC), 7) == date(2025, 1, 1)
    assert due_date(datetime(2024, 11, 1, 12, tzinfo=UTC), 90) == date(2025, 1, 30)


def test_day_zero_is_taken_in_the_reporting_companys_time_zone() -> None:
    late_evening_utc = datetime(2024, 1, 31, 23, 30, tzinfo=UTC)

    assert due_date(late_evening_utc, 15) == date(2024, 2, 15)
    assert due_date(late_evening_utc, 15, tz=ZoneInfo("Europe/Berlin")) == date(2024, 2, 16)
    assert due_date(late_evening_utc, 15, tz=timezone(timedelta(hours=-5))) == date(2024, 2, 15)


def test_a_naive_day_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        due_date(datetime(2024, 1, 31, 12), 15)


def test_deadlines_for_several_rules_are_ordered_earliest_first() -> None:
    day0 = datetime(2024, 5, 2, 8, tzinfo=UTC)
    rules = [RULES["US-CT-SERIOUS-UNEXPECTED-15"], RULES["US-CT-FATAL-LT-UNEXPECTED-7"]]

    found = deadlines_for(day0, rules)

    assert [(d.rule.days, d.due) for d in found] == [(7, date(2024, 5, 9)), (15, date(2024, 5, 17))]


# --- status ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2024, 3, 1), DeadlineStatus.DUE),
        (date(2024, 3, 12), DeadlineStatus.DUE),
        (date(2024, 3, 13), DeadlineStatus.AT_RISK),
        (date(2024, 3, 16), DeadlineStatus.AT_RISK),  # the due day itself
        (date(2024, 3, 17), DeadlineStatus.OVERDUE),
    ],
)
def test_deadline_status_over_time(today: date, status: DeadlineStatus) -> None:
    assert deadline_status(date(2024, 3, 16), today) is status


def test_at_risk_window_is_configurable() -> None:
    assert deadline_status(date(2024, 3, 16), date(2024, 3, 10), at_risk_days=7) is (
        DeadlineStatus.AT_RISK
    )
    assert deadline_status(date(2024, 3, 16), date(2024, 3, 15), at_risk_days=0) is (
        DeadlineStatus.DUE
    )


def test_a_submission_on_time_meets_the_deadline_and_a_late_one_stays_overdue() -> None:
    due = date(2024, 3, 16)

    assert deadline_status(due, date(2024, 4, 1), submitted_on=date(2024, 3, 16)) is (
        DeadlineStatus.MET
    )
    assert deadline_status(due, date(2024, 4, 1), submitted_on=date(2024, 3, 18)) is (
        DeadlineStatus.OVERDUE
    )
