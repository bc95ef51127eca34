"""FDA and EMA profiles: regional rule ids, severities, and schema / load failures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from schemas.e2b_rules import Severity

Mutate = Callable[[str, Callable[[Any], None]], bytes]
RECEIVER = "//h:PORR_IN049016UV/h:receiver/h:device/h:id"
BATCH_RECEIVER = "/h:MCCI_IN200100UV01/h:receiver/h:device/h:id"


def test_fda_postmarket_message_receiver(mutate: Mutate, kit: Any) -> None:
    def cber(root: Any) -> None:
        kit.one(root, RECEIVER).set("extension", "CBER")

    data = mutate("Scenario1", cber)
    finding = kit.only(kit.check(data, "fda").findings, "R0006")
    assert (finding.element_id, finding.severity) == ("N.2.r.3", Severity.REJECT)
    assert finding.message == 'N.1.4 = "ZZFDA" but N.2.r.3 is not "CDER"'
    assert kit.check(data, "ich").valid  # routing is FDA's business, not ICH's


def test_fda_batch_receiver(mutate: Mutate, kit: Any) -> None:
    def elsewhere(root: Any) -> None:
        kit.one(root, BATCH_RECEIVER).set("extension", "EVHUMAN")

    report = kit.check(mutate("Scenario1", elsewhere), "fda")
    finding = kit.only(report.findings, "R0004")
    assert (finding.element_id, finding.message_id) == ("N.1.4", None)
    assert report.batch_findings == (finding,)


def test_fda_premarket_ba_be_report_type(mutate: Mutate, kit: Any) -> None:
    def spontaneous(root: Any) -> None:
        kit.one(root, "//h:investigationCharacteristic[h:code/@code='1']/h:value").set("code", "1")

    finding = kit.only(kit.check(mutate("Scenario5-1", spontaneous), "fda").findings, "R0111")
    assert (finding.element_id, finding.severity) == ("C.1.3", Severity.REJECT)


def test_fda_aggregate_warning(mutate: Mutate, kit: Any) -> None:
    def unlinked(root: Any) -> None:
        for rel in root.xpath(
            "//h:investigationEvent/h:outboundRelationship"
            "[h:relatedInvestigation/h:code/@nullFlavor='NA']",
            namespaces=kit.NS,
        ):
            rel.getparent().remove(rel)

    report = kit.check(mutate("Scenario4", unlinked), "fda")
    finding = kit.only(report.findings, "W0001")
    assert (finding.element_id, finding.severity) == ("C.1.10.r", Severity.WARN)
    assert report.valid


def test_fda_sender_consistency_is_a_rejection(mutate: Mutate, kit: Any) -> None:
    def other(root: Any) -> None:
        kit.one(root, "//h:PORR_IN049016UV/h:sender/h:device/h:id").set("extension", "OTHER")

    data = mutate("Scenario1", other)
    ich = kit.only(kit.check(data, "ich").findings, "ICH.N.2.r.2.consistency")
    assert ich.severity is Severity.WARN
    fda = kit.only(kit.check(data, "fda").findings, "R0100")
    assert (fda.element_id, fda.severity) == ("N.2.r.2", Severity.REJECT)


def test_ema_accepts_eudravigilance_receivers(mutate: Mutate, kit: Any) -> None:
    def to_ev(root: Any) -> None:
        kit.one(root, BATCH_RECEIVER).set("extension", "EVHUMAN")
        kit.one(root, RECEIVER).set("extension", "EVHUMAN")

    report = kit.check(mutate("Scenario1", to_ev), "ema")
    assert report.valid
    assert not [f for f in report.findings if f.rule_id.startswith("EMA.")]


def test_ema_non_serious_non_eea_warning(mutate: Mutate, kit: Any) -> None:
    def non_serious(root: Any) -> None:
        kit.one(root, BATCH_RECEIVER).set("extension", "EVTEST")
        kit.one(root, RECEIVER).set("extension", "EVTEST")
        for value in root.xpath("//h:observation/h:value[@value='true']", namespaces=kit.NS):
            code = value.getparent().find("{urn:hl7-org:v3}code").get("code")
            if code in {"34", "21", "33", "35", "12", "26"}:
                del value.attrib["value"]
                value.set("nullFlavor", "NI")

    report = kit.check(mutate("Scenario1", non_serious), "ema")
    finding = kit.only(report.findings, "EMA.C.2.r.3.non_eea_non_serious")
    assert (finding.element_id, finding.severity) == ("C.2.r.3", Severity.WARN)
    assert report.valid


def test_xsd_findings_carry_line(mutate: Mutate, schemas_dir: Path, kit: Any) -> None:
    def intruder(root: Any) -> None:
        kit.one(root, "//h:investigationEvent").append(
            root.makeelement("{urn:hl7-org:v3}bogus", {})
        )

    report = kit.check(mutate("Scenario1", intruder), "ich", schemas_dir)
    assert not report.valid
    assert {f.rule_id for f in report.findings} == {"XSD"}
    assert all(f.line and f.severity is Severity.REJECT for f in report.findings)
    assert report.messages == {}


def test_garbage_is_one_load_finding(kit: Any) -> None:
    report = kit.check(b"%PDF-1.7 not xml at all")
    (finding,) = report.findings
    assert (finding.rule_id, finding.severity, finding.message_id) == (
        "LOAD",
        Severity.REJECT,
        None,
    )
    assert "PDF" in finding.message


def test_wrong_root_is_one_load_finding(kit: Any) -> None:
    (finding,) = kit.check(b"<ichicsr><safetyreport/></ichicsr>").findings
    assert finding.rule_id == "LOAD"
    assert "MCCI_IN200100UV01" in finding.message


def test_unreadable_batch_header_is_one_parse_finding(mutate: Mutate, kit: Any) -> None:
    def headless(root: Any) -> None:
        sender = kit.one(root, "/h:MCCI_IN200100UV01/h:sender")
        root.remove(sender)

    (finding,) = kit.check(mutate("Scenario1", headless)).findings
    assert (finding.rule_id, finding.element_id) == ("PARSE", "N.1")
