"""FDA's public E2B(R3) samples under the ICH, FDA and EMA profiles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from schemas.e2b_rules import Severity

VALID = ["Scenario1", "Scenario2", "Scenario3", "Scenario5-1", "Scenario5-2"]
#: Warnings every FDA sample draws under ICH: N.2.r.1 is a UUID, not C.1.1; C.1.2 (2014)
#: predates C.1.5 (2022) in these synthetic files.
SAMPLE_WARNINGS = {"ICH.N.2.r.1.consistency", "ICH.C.1.2.order"}


@pytest.mark.parametrize("name", [*VALID, "Scenario4"])
def test_valid_samples_have_no_reject_under_ich(
    name: str, sample: Callable[[str], bytes], schemas_dir: Path, kit: Any
) -> None:
    report = kit.check(sample(name), "ich", schemas_dir)
    assert report.valid, [(f.rule_id, f.message) for f in report.findings]
    assert {f.rule_id for f in report.findings} == SAMPLE_WARNINGS
    assert all(f.severity is Severity.WARN for f in report.findings)
    (message_id,) = report.messages
    assert message_id == "21ec1492-3aea-4069-a2ab-08002b30309d"
    assert len(report.messages[message_id]) == 2


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_have_no_reject_under_fda(
    name: str, sample: Callable[[str], bytes], kit: Any
) -> None:
    report = kit.check(sample(name), "fda")
    assert report.valid, [(f.rule_id, f.message) for f in report.findings]


def test_scenario4_aggregate_report_is_valid_under_fda(
    sample: Callable[[str], bytes], kit: Any
) -> None:
    """D.1 = AGGREGRATE with linked reports (C.1.10.r) and C.5.4 = 1: no W0001 / W0002; its
    C.1.6.1.r document (not base64) is kept opaque by the parser but still counts."""
    report = kit.check(sample("Scenario4"), "fda")
    assert report.valid
    assert {f.rule_id for f in report.findings} == SAMPLE_WARNINGS


def test_scenario5_3_sample_defect_is_found(sample: Callable[[str], bytes], kit: Any) -> None:
    """The sample gives two products the same substanceAdministration id, so the drug-role
    row for "Drug X" points at the other product: G.k.1 is missing for it."""
    report = kit.check(sample("Scenario5-3"), "ich")
    assert sorted(kit.rejects(report.findings)) == [
        "ICH.G.k.1.required",
        "ICH.G.k.9.i.1.reference",
    ]
    finding = kit.only(report.findings, "ICH.G.k.1.required")
    assert finding.element_id == "G.k.1"
    assert "Drug X" in finding.message
    assert "59d6f5ce-3b3b-45c7-92dd-69e06730c2b7" in finding.xpath


def test_ema_profile_refuses_fda_receivers(sample: Callable[[str], bytes], kit: Any) -> None:
    report = kit.check(sample("Scenario1"), "ema")
    batch = kit.only(report.findings, "EMA.N.1.4.receiver")
    assert (batch.element_id, batch.severity, batch.message_id) == ("N.1.4", Severity.REJECT, None)
    message = kit.only(report.findings, "EMA.N.2.r.3.receiver")
    assert message.message_id == "21ec1492-3aea-4069-a2ab-08002b30309d"
