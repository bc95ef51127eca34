"""Submission deadlines: a configurable rule table, due dates and deadline status.

Each ``DeadlineRule`` says, for one region, which cases it covers (a ``RuleCondition`` on
the facts ``DeadlineInputs``) and how many **calendar days** from Day 0 the company has.
``DEFAULT_RULES`` encodes the primer (DOMAIN.md section 2); the table is data, so a
deployment can replace it (``rules_from_config``) when a regulator's rule differs:

* EU (GVP VI.C.3), post-authorisation: serious ICSRs 15 days whatever the expectedness
  and wherever they occurred; non-serious ICSRs that occurred in the EEA 90 days;
  non-serious non-EEA ICSRs are not submitted to EudraVigilance (no rule matches).
* EU clinical trials (Regulation 536/2014 art. 42, ICH E2A): SUSARs 15 days, fatal or
  life-threatening SUSARs 7 days.
* ICH E2A / US clinical trials (21 CFR 312.32): serious unexpected suspected adverse
  reactions 15 days, fatal or life-threatening unexpected 7 days (+8 for completion:
  the 15-day rule covers that).
* US postmarketing (21 CFR 314.80): serious unexpected 15 days.

Every default rule requires ``adr``: only suspected adverse reactions are submitted
(spontaneous reports imply causality; see ``classification``).

Due dates count calendar days, weekends and holidays included, from the *date* of Day 0
in the reporting company's time zone: a report received at 23:30 UTC on 31 January is a
1 February receipt for a company in Berlin. Day 0 + 15 is the last day to submit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import Enum

from gateway.errors import ConfigurationError

__all__ = [
    "DEFAULT_RULES",
    "EEA_COUNTRIES",
    "Deadline",
    "DeadlineInputs",
    "DeadlineRule",
    "DeadlineStatus",
    "RuleCondition",
    "applicable_rules",
    "deadline_status",
    "deadlines_for",
    "due_date",
    "is_eea",
    "rules_from_config",
]

#: EU member states plus Iceland, Liechtenstein and Norway (ISO 3166-1 alpha-2; Greece is
#: "GR" in ISO, the EU's own "EL" is accepted by ``is_eea`` too)
EEA_COUNTRIES: frozenset[str] = frozenset(
    {
        "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
        "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
        "IS", "LI", "NO",
    }
)  # fmt: skip

_EEA_ALIASES = frozenset({"EL", "EU"})  # EU code for Greece; C.2.r.3 allows "EU"


def is_eea(country: str | None) -> bool | None:
    """True/False for a country code, None when there is no code to judge."""
    if country is None or not country.strip():
        return None
    code = country.strip().upper()
    return code in EEA_COUNTRIES or code in _EEA_ALIASES


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadlineInputs:
    """The facts a deadline rule looks at, for one reaction of a case (or a whole case).

    ``study``: the report comes from an interventional clinical trial (post-authorisation
    studies and spontaneous reports are ``False``). ``unexpected``: not in the reference
    safety information (unknown expectedness is passed as unexpected by ``classify``).
    """

    serious: bool
    unexpected: bool
    fatal_or_life_threatening: bool
    study: bool
    eea_occurrence: bool
    adr: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleCondition:
    """Which inputs a rule covers: each field is required True, required False, or None
    (does not matter)."""

    serious: bool | None = None
    unexpected: bool | None = None
    fatal_or_life_threatening: bool | None = None
    study: bool | None = None
    eea_occurrence: bool | None = None
    adr: bool | None = True

    def matches(self, inputs: DeadlineInputs) -> bool:
        for f in fields(self):
            wanted = getattr(self, f.name)
            if wanted is not None and getattr(inputs, f.name) is not wanted:
                return False
        return True


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadlineRule:
    """One row of the rule table: region, what it covers, calendar days from Day 0."""

    id: str
    region: str  # "EU", "US", ... (the regulator's region)
    applies_to: RuleCondition
    days: int  # calendar days from Day 0 (15, 7, 90 in the defaults)
    label: str

    def __post_init__(self) -> None:
        if not self.id.strip() or not self.region.strip():
            raise ValueError("DeadlineRule.id and region must be non-empty")
        if isinstance(self.days, bool) or not isinstance(self.days, int) or self.days < 1:
            raise ValueError(f"DeadlineRule.days must be a positive int, got {self.days!r}")

    @property
    def expedited(self) -> bool:
        """An expedited (15 days or less) rule, as opposed to periodic 90-day reporting."""
        return self.days <= 15

    def applies(self, inputs: DeadlineInputs) -> bool:
        return self.applies_to.matches(inputs)


DEFAULT_RULES: tuple[DeadlineRule, ...] = (
    DeadlineRule(
        id="EU-PM-SERIOUS-15",
        region="EU",
        applies_to=RuleCondition(serious=True, study=False),
        days=15,
        label="EU: serious ICSR (EEA and non-EEA) within 15 days (GVP VI.C.3)",
    ),
    DeadlineRule(
        id="EU-PM-NONSERIOUS-EEA-90",
        region="EU",
        applies_to=RuleCondition(serious=False, study=False, eea_occurrence=True),
        days=90,
        label="EU: non-serious EEA ICSR within 90 days (GVP VI.C.3)",
    ),
    DeadlineRule(
        id="EU-CT-SUSAR-FATAL-LT-7",
        region="EU",
        applies_to=RuleCondition(
            serious=True, unexpected=True, fatal_or_life_threatening=True, study=True
        ),
        days=7,
        label="EU clinical trial: fatal or life-threatening SUSAR within 7 days",
    ),
    DeadlineRule(
        id="EU-CT-SUSAR-15",
        region="EU",
        applies_to=RuleCondition(serious=True, unexpected=True, study=True),
        days=15,
        label="EU clinical trial: SUSAR within 15 days",
    ),
    DeadlineRule(
        id="US-CT-FATAL-LT-UNEXPECTED-7",
        region="US",
        applies_to=RuleCondition(
            serious=True, unexpected=True, fatal_or_life_threatening=True, study=True
        ),
        days=7,
        label="ICH E2A / US IND: fatal or life-threatening unexpected within 7 days",
    ),
    DeadlineRule(
        id="US-CT-SERIOUS-UNEXPECTED-15",
        region="US",
        applies_to=RuleCondition(serious=True, unexpected=True, study=True),
        days=15,
        label="ICH E2A / US IND: serious unexpected suspected adverse reaction within 15 days",
    ),
    DeadlineRule(
        id="US-PM-SERIOUS-UNEXPECTED-15",
        region="US",
        applies_to=RuleCondition(serious=True, unexpected=True, study=False),
        days=15,
        label="US postmarketing: serious unexpected within 15 days (21 CFR 314.80)",
    ),
)


def _optional_bool(value: object, name: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ConfigurationError("deadline rules", f"condition {name!r} must be true, false or null")


def rules_from_config(rows: Iterable[Mapping[str, object]]) -> tuple[DeadlineRule, ...]:
    """Build a rule table from plain data (settings file, database), e.g.

    ``{"id": "EU-PM-SERIOUS-15", "region": "EU", "days": 15, "label": "...",
    "applies_to": {"serious": true, "study": false}}``. Unknown conditions are refused
    with ``ConfigurationError``.
    """
    rules: list[DeadlineRule] = []
    known = {f.name for f in fields(RuleCondition)}
    for row in rows:
        raw = row.get("applies_to") or {}
        if not isinstance(raw, Mapping):
            raise ConfigurationError(
                "deadline rules", f"{row.get('id')!r}: applies_to must be a mapping"
            )
        unknown = set(raw) - known
        if unknown:
            raise ConfigurationError(
                "deadline rules", f"{row.get('id')!r}: unknown conditions {sorted(unknown)}"
            )
        condition = RuleCondition(
            **{name: _optional_bool(raw[name], name) for name in known if name in raw}
        )
        days = row.get("days")
        if not isinstance(days, int):
            raise ConfigurationError("deadline rules", f"{row.get('id')!r}: days must be an int")
        rule_id, region = row.get("id"), row.get("region")
        if not isinstance(rule_id, str) or not isinstance(region, str):
            raise ConfigurationError("deadline rules", f"{row!r}: id and region must be text")
        rules.append(
            DeadlineRule(
                id=rule_id,
                region=region,
                applies_to=condition,
                days=days,
                label=str(row.get("label", rule_id)),
            )
        )
    return tuple(rules)


def applicable_rules(
    inputs: DeadlineInputs | Iterable[DeadlineInputs],
    rules: Iterable[DeadlineRule] = DEFAULT_RULES,
    *,
    region: str | None = None,
) -> tuple[DeadlineRule, ...]:
    """The rules that cover the case, shortest deadline first.

    Pass one ``DeadlineInputs`` per reaction (serious, unexpected and fatal must hold for
    the *same* reaction): a rule applies when it covers any of them.
    """
    rows = [inputs] if isinstance(inputs, DeadlineInputs) else list(inputs)
    found = [
        rule
        for rule in rules
        if (region is None or rule.region == region) and any(rule.applies(i) for i in rows)
    ]
    return tuple(sorted(found, key=lambda r: (r.days, r.region, r.id)))


def due_date(day_zero: datetime, rule: DeadlineRule | int, *, tz: tzinfo = UTC) -> date:
    """The last calendar day to submit: Day 0's date in ``tz`` plus the rule's days.

    Weekends and holidays count and do not move the date. ``day_zero`` must be
    timezone-aware (a naive time is a guess about the clock's start).
    """
    if day_zero.utcoffset() is None:
        raise ValueError("due_date needs a timezone-aware Day 0")
    days = rule.days if isinstance(rule, DeadlineRule) else rule
    if isinstance(days, bool) or days < 0:
        raise ValueError(f"days must be a non-negative int, got {days!r}")
    return day_zero.astimezone(tz).date() + timedelta(days=days)


class DeadlineStatus(Enum):
    DUE = "due"  # open, more than ``at_risk_days`` left
    AT_RISK = "at_risk"  # open, due within ``at_risk_days`` (or today)
    OVERDUE = "overdue"  # not submitted by the due date (also when submitted late)
    MET = "met"  # submitted on or before the due date


def deadline_status(
    due: date,
    today: date,
    at_risk_days: int = 3,
    *,
    submitted_on: date | None = None,
) -> DeadlineStatus:
    """Where a deadline stands on ``today`` (a date in the company's time zone).

    A submission after the due date stays ``OVERDUE``: the deadline was missed, and
    compliance reporting must count it.
    """
    if at_risk_days < 0:
        raise ValueError("at_risk_days must be >= 0")
    if submitted_on is not None:
        return DeadlineStatus.MET if submitted_on <= due else DeadlineStatus.OVERDUE
    if today > due:
        return DeadlineStatus.OVERDUE
    if (due - today).days <= at_risk_days:
        return DeadlineStatus.AT_RISK
    return DeadlineStatus.DUE


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline:
    rule: DeadlineRule
    day_zero: datetime
    due: date


def deadlines_for(
    day_zero: datetime, rules: Iterable[DeadlineRule], *, tz: tzinfo = UTC
) -> tuple[Deadline, ...]:
    """One deadline per rule, earliest due first."""
    found = [Deadline(rule=r, day_zero=day_zero, due=due_date(day_zero, r, tz=tz)) for r in rules]
    return tuple(sorted(found, key=lambda d: (d.due, d.rule.region, d.rule.id)))
