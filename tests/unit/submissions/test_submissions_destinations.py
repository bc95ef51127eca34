"""Destinations configuration: the shipped example loads; every bad field is named."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from gateway.destinations import load_destinations
from gateway.domain.codes import ReportType
from gateway.domain.submissions import (
    DestinationMode,
    E2BFormat,
    FolderTransport,
    HttpTransport,
    destinations_from_config,
)
from gateway.errors import ConfigurationError

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "destinations.toml"


def _row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": "ev",
        "name": "EudraVigilance",
        "format": "R3",
        "profile": "ema",
        "batch_sender": "ACME",
        "batch_receiver": "EVHUMAN",
        "transport": {"kind": "folder", "outbox_dir": "out", "inbox_dir": "in"},
        "deadline_rules": ["EU-PM-SERIOUS-15"],
    }
    for key, value in changes.items():
        if value is _DROP:
            row.pop(key, None)
        else:
            row[key] = value
    return row


_DROP = object()


def test_example_file_loads_eudravigilance_fda_and_an_r2_authority() -> None:
    ev, fda, national = load_destinations(EXAMPLE)

    assert (ev.id, ev.format, ev.profile, ev.batch_receiver) == (
        "eudravigilance",
        E2BFormat.R3,
        "ema",
        "EVHUMAN",
    )
    assert {r.id: r.days for r in ev.deadline_rules} == {
        "EV-EEA-SERIOUS-15": 15,
        "EV-EEA-NONSERIOUS-90": 90,
        "EV-NONEEA-SERIOUS-15": 15,
    }
    assert ev.non_expedited_days is None
    assert isinstance(ev.transport, FolderTransport)
    assert ev.ack_timeout_business_days == 2

    assert (fda.batch_receiver, fda.message_receiver, fda.profile) == ("ZZFDA", "CDER", "fda")
    assert [r.id for r in fda.deadline_rules] == ["US-PM-SERIOUS-UNEXPECTED-15"]
    assert fda.criteria.serious is True
    assert fda.criteria.unexpected is True

    assert (national.format, national.profile) == (E2BFormat.R2, "ich")
    assert isinstance(national.transport, HttpTransport)
    assert national.transport.url.startswith("https://")
    assert national.criteria.countries == frozenset({"PE"})
    assert national.mode is DestinationMode.TEST
    assert national.processing_code == "T"


def test_defaults_fill_message_identifiers_mode_and_limits() -> None:
    (d,) = destinations_from_config([_row()])
    assert (d.message_sender, d.message_receiver) == ("ACME", "EVHUMAN")
    assert d.mode is DestinationMode.TEST
    assert (d.max_batch_size, d.ack_timeout_business_days, d.enabled) == (100, 2, True)


def test_rule_tables_and_criteria_are_read_case_insensitively_where_codes_allow() -> None:
    (d,) = destinations_from_config(
        [
            _row(
                format="r2",
                profile="EMA",
                criteria={"report_types": ["Spontaneous", "study"], "countries": ["pe"]},
                deadline_rules=[
                    {
                        "id": "X-7",
                        "region": "XX",
                        "days": 7,
                        "label": "fatal",
                        "applies_to": {"fatal_or_life_threatening": True},
                    }
                ],
            )
        ]
    )
    assert (d.format, d.profile) == (E2BFormat.R2, "ema")
    assert d.criteria.report_types == frozenset({ReportType.SPONTANEOUS, ReportType.STUDY})
    assert d.criteria.countries == frozenset({"PE"})
    assert d.deadline_rules[0].applies_to.fatal_or_life_threatening is True


@pytest.mark.parametrize(
    ("changes", "field", "problem"),
    [
        ({"id": _DROP}, "id", "is required"),
        ({"format": "R4"}, "format", "must be one of R2, R3"),
        ({"profile": "pmda"}, "profile", "must be one of ema, fda, ich"),
        ({"batch_receiver": ""}, "batch_receiver", "non-empty text"),
        ({"batch_sender": _DROP}, "batch_sender", "is required"),
        ({"mode": "live"}, "mode", "must be one of production, test"),
        ({"max_batch_size": 0}, "max_batch_size", "must be >= 1"),
        ({"max_batch_size": "10"}, "max_batch_size", "whole number"),
        ({"ack_timeout_business_days": True}, "ack_timeout_business_days", "whole number"),
        ({"non_expedited_days": 0}, "non_expedited_days", "must be >= 1"),
        ({"enabled": "yes"}, "enabled", "true or false"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"transport": _DROP}, "transport", "is required"),
        ({"transport": {"kind": "ftp"}}, "transport.kind", "must be one of folder, http"),
        ({"transport": {"kind": "folder", "inbox_dir": "in"}}, "transport.outbox_dir", "required"),
        (
            {"transport": {"kind": "folder", "outbox_dir": "x", "inbox_dir": "x"}},
            "transport.inbox_dir",
            "must differ",
        ),
        ({"transport": {"kind": "http", "url": "ftp://x"}}, "transport.url", "http://"),
        (
            {"transport": {"kind": "http", "url": "https://x", "receipt_timeout_s": 0}},
            "transport.receipt_timeout_s",
            "positive number",
        ),
        (
            {"transport": {"kind": "http", "url": "https://x", "headers": {"A": 1}}},
            "transport.headers.A",
            "must be text",
        ),
        (
            {"transport": {"kind": "http", "url": "https://x", "password": "s"}},
            "transport.password",
            "unknown field",
        ),
        ({"criteria": {"serious": "yes"}}, "criteria.serious", "true or false"),
        ({"criteria": {"countries": ["Peru"]}}, "criteria.countries", "alpha-2"),
        ({"criteria": {"report_types": ["literature"]}}, "criteria.report_types", "not one of"),
        ({"criteria": {"seriousness": True}}, "criteria.seriousness", "unknown field"),
        ({"deadline_rules": "EU-PM-SERIOUS-15"}, "deadline_rules", "must be a list"),
        ({"deadline_rules": ["EU-NOPE"]}, "deadline_rules[0]", "not a built-in rule id"),
        (
            {"deadline_rules": [{"id": "A", "region": "EU", "days": "15"}]},
            "deadline_rules[0]",
            "days must be an int",
        ),
        (
            {"deadline_rules": [{"id": "A", "region": "EU", "days": 15, "applies_to": {"x": 1}}]},
            "deadline_rules[0]",
            "unknown conditions",
        ),
        (
            {"deadline_rules": ["EU-PM-SERIOUS-15", "EU-PM-SERIOUS-15"]},
            "deadline_rules",
            "listed twice",
        ),
        ({"deadline_rules": []}, "deadline_rules", "nothing could be sent"),
    ],
)
def test_each_bad_field_is_refused_naming_the_destination_and_the_field(
    changes: dict[str, Any], field: str, problem: str
) -> None:
    row = _row(**changes)
    with pytest.raises(ValueError, match="destination") as caught:
        destinations_from_config([row])
    message = str(caught.value)
    label = "'ev'" if "id" not in changes else "#1"
    assert message.startswith(f"destination {label}: {field}: "), message
    assert problem in message


def test_duplicate_destination_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="destination 'ev': id: is used twice"):
        destinations_from_config([_row(), copy.deepcopy(_row())])


def test_file_errors_name_the_file_and_the_field(tmp_path: Path) -> None:
    bad = tmp_path / "destinations.toml"
    bad.write_text(EXAMPLE.read_text().replace('profile = "fda"', 'profile = "faers"'))
    with pytest.raises(ConfigurationError) as caught:
        load_destinations(bad)
    assert str(bad) in str(caught.value)
    assert "destination 'fda-faers': profile: must be one of ema, fda, ich" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("destinations = [", "is not valid TOML"),
        ("", "needs at least one [[destinations]] table"),
        ("[[destination]]\nid = 'x'", "unknown top-level key 'destination'"),
    ],
)
def test_unreadable_or_empty_files_are_configuration_errors(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "d.toml"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=r"destinations file .*d\.toml") as caught:
        load_destinations(path)
    assert problem in str(caught.value)


def test_missing_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_destinations(tmp_path / "none.toml")
