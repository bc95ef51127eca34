"""One mutation of a real FDA sample per rule family, checking the exact finding."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from gateway.domain.codes import Qualification
from gateway.domain.patient import Patient
from gateway.domain.report import PrimarySource
from gateway.domain.values import NullFlavor
from schemas.e2b_r3 import R3Batch, parse_batch
from schemas.e2b_rules import Finding, Severity, validate_batch
from schemas.xml_safety import load_xml

Mutate = Callable[[str, Callable[[Any], None]], bytes]
REACTION_1 = "(//h:observation[h:code/@code='29'])[1]"
OUTCOME_1 = f"{REACTION_1}/h:outboundRelationship2/h:observation[h:code/@code='27']/h:value"
C11 = "//h:investigationEvent/h:id[@root='2.16.840.1.113883.3.989.2.1.3.1']"
C181 = "//h:investigationEvent/h:id[@root='2.16.840.1.113883.3.989.2.1.3.2']"
MESSAGE_ID = "21ec1492-3aea-4069-a2ab-08002b30309d"


def expect(finding: Finding, element: str, severity: Severity = Severity.REJECT) -> None:
    assert (finding.element_id, finding.severity) == (element, severity)
    assert finding.message_id == MESSAGE_ID
    assert finding.xpath.startswith("/MCCI_IN200100UV01/PORR_IN049016UV[1]/")


def model(sample: Callable[[str], bytes], name: str = "Scenario1") -> R3Batch:
    return parse_batch(load_xml(sample(name)))


def with_icsr(batch: R3Batch, **changes: Any) -> R3Batch:
    message = batch.messages[0]
    return replace(batch, messages=(replace(message, icsr=replace(message.icsr, **changes)),))


# --- mandatory and conditional elements ------------------------------------------------


def test_mandatory_outcome_missing(mutate: Mutate, kit: Any) -> None:
    def drop(root: Any) -> None:
        rel = kit.one(root, OUTCOME_1).getparent().getparent()
        rel.getparent().remove(rel)

    report = kit.check(mutate("Scenario1", drop))
    finding = kit.only(report.findings, "ICH.E.i.7.required")
    expect(finding, "E.i.7")
    assert "observation[code/@code='29'][1]" in finding.xpath
    assert report.messages[MESSAGE_ID][-1].rule_id == "ICH.E.i.7.required"


def test_mandatory_narrative_and_sender_type(mutate: Mutate, kit: Any) -> None:
    def drop(root: Any) -> None:
        text = kit.one(root, "//h:investigationEvent/h:text")
        text.getparent().remove(text)
        code = kit.one(root, "//h:subjectOf1/h:controlActEvent/h:author/h:assignedEntity/h:code")
        code.getparent().remove(code)

    report = kit.check(mutate("Scenario1", drop))
    expect(kit.only(report.findings, "ICH.H.1.required"), "H.1")
    expect(kit.only(report.findings, "ICH.C.3.1.required"), "C.3.1")


def test_worldwide_case_id_missing(mutate: Mutate, kit: Any) -> None:
    def drop(root: Any) -> None:
        ident = kit.one(root, C181)
        ident.getparent().remove(ident)

    report = kit.check(mutate("Scenario1", drop))
    expect(kit.only(report.findings, "ICH.C.1.8.1.required"), "C.1.8.1")


def test_conditional_study_type_for_study_report(mutate: Mutate, kit: Any) -> None:
    def study(root: Any) -> None:
        kit.one(root, "//h:investigationCharacteristic[h:code/@code='1']/h:value").set("code", "2")

    report = kit.check(mutate("Scenario1", study))
    expect(kit.only(report.findings, "ICH.C.5.4.conditional"), "C.5.4")
    fda = kit.check(mutate("Scenario1", study), "fda")
    expect(kit.only(fda.findings, "R0023"), "C.5.4")


def test_conditional_language_of_verbatim_term(sample: Callable[[str], bytes], kit: Any) -> None:
    batch = model(sample)
    reactions = batch.messages[0].icsr.reactions
    changed = (replace(reactions[0], verbatim_native="Thrombose"), *reactions[1:])
    findings = validate_batch(with_icsr(batch, reactions=changed), "ich", today=kit.TODAY)
    expect(kit.only(findings, "ICH.E.i.1.1b.conditional"), "E.i.1.1b")
    fda = validate_batch(with_icsr(batch, reactions=changed), "fda", today=kit.TODAY)
    finding = kit.only(fda, "R0058")
    expect(finding, "E.i.1.1b")
    assert finding.message == "E.i.1.1b must be provided when E.i.1.1a is provided"


# --- lengths ------------------------------------------------------------------------------


def test_length_of_safety_report_id(mutate: Mutate, kit: Any) -> None:
    def long_id(root: Any) -> None:
        kit.one(root, C11).set("extension", "US-APHARMA-" + "9" * 90)

    expect(kit.only(kit.check(mutate("Scenario1", long_id)).findings, "ICH.C.1.1.length"), "C.1.1")


def test_length_of_narrative_and_verbatim(sample: Callable[[str], bytes], kit: Any) -> None:
    batch = model(sample)
    icsr = batch.messages[0].icsr
    narrative = replace(icsr.narrative, case_narrative="x" * 100001)
    reactions = (replace(icsr.reactions[0], verbatim_native="y" * 251, verbatim_language="eng"),)
    findings = validate_batch(
        with_icsr(batch, narrative=narrative, reactions=reactions + icsr.reactions[1:]),
        "ich",
        today=kit.TODAY,
    )
    expect(kit.only(findings, "ICH.H.1.length"), "H.1")
    finding = kit.only(findings, "ICH.E.i.1.1a.length")
    expect(finding, "E.i.1.1a")
    assert "251 > 250" in finding.message


# --- code lists and seriousness (XML-level) ---------------------------------------------------


def test_code_list_outcome(mutate: Mutate, kit: Any) -> None:
    def bad(root: Any) -> None:
        kit.one(root, OUTCOME_1).set("code", "7")

    report = kit.check(mutate("Scenario1", bad))
    finding = kit.only(report.findings, "ICH.E.i.7.value")
    expect(finding, "E.i.7")
    assert finding.line is not None
    assert finding.xpath.endswith("/value/@code")
    assert "PARSE" not in {f.rule_id for f in report.findings}


@pytest.mark.parametrize(
    ("xpath", "code", "rule", "element"),
    [
        (
            "(//h:causalityAssessment[h:code/@code='20']/h:value)[1]",
            "5",
            "ICH.G.k.1.value",
            "G.k.1",
        ),
        (
            "//h:investigationCharacteristic[h:code/@code='1']/h:value",
            "9",
            "ICH.C.1.3.value",
            "C.1.3",
        ),
        ("//h:asQualifiedEntity/h:code", "6", "ICH.C.2.r.4.value", "C.2.r.4"),
        ("//h:player1/h:administrativeGenderCode", "3", "ICH.D.5.value", "D.5"),
    ],
)
def test_code_lists(
    xpath: str, code: str, rule: str, element: str, mutate: Mutate, kit: Any
) -> None:
    def bad(root: Any) -> None:
        kit.one(root, xpath).set("code", code)

    expect(kit.only(kit.check(mutate("Scenario1", bad)).findings, rule), element)


def test_seriousness_false_and_missing(mutate: Mutate, kit: Any) -> None:
    def bad(root: Any) -> None:
        death = kit.one(root, f"{REACTION_1}//h:observation[h:code/@code='34']/h:value")
        del death.attrib["nullFlavor"]
        death.set("value", "false")
        hosp = kit.one(
            root, f"{REACTION_1}/h:outboundRelationship2[h:observation/h:code/@code='33']"
        )
        hosp.getparent().remove(hosp)

    report = kit.check(mutate("Scenario1", bad))
    finding = kit.only(report.findings, "ICH.E.i.3.2a.value")
    expect(finding, "E.i.3.2a")
    assert "never value 'false'" in finding.message
    expect(kit.only(report.findings, "ICH.E.i.3.2c.required"), "E.i.3.2c")


def test_unreadable_icsr_becomes_parse_finding(mutate: Mutate, kit: Any) -> None:
    def bad(root: Any) -> None:
        kit.one(root, f"{REACTION_1}/h:value").set("code", "not-meddra")

    report = kit.check(mutate("Scenario1", bad))
    finding = kit.only(report.findings, "PARSE")
    assert (finding.element_id, finding.severity, finding.message_id) == (
        "N.2.r",
        Severity.REJECT,
        MESSAGE_ID,
    )
    assert not report.valid


# --- dates ----------------------------------------------------------------------------------


def test_future_reaction_start(mutate: Mutate, kit: Any) -> None:
    def future(root: Any) -> None:
        kit.one(root, f"{REACTION_1}/h:effectiveTime/h:low").set("value", "20250102")

    finding = kit.only(kit.check(mutate("Scenario1", future)).findings, "ICH.E.i.4.future")
    expect(finding, "E.i.4")
    assert "20250102" in finding.message


def test_reaction_end_before_start(mutate: Mutate, kit: Any) -> None:
    def backwards(root: Any) -> None:
        ivl = kit.one(root, f"{REACTION_1}/h:effectiveTime")
        ivl.append(ivl.makeelement("{urn:hl7-org:v3}high", {"value": "20141001"}))

    expect(kit.only(kit.check(mutate("Scenario1", backwards)).findings, "ICH.E.i.5.order"), "E.i.5")


def test_most_recent_before_first_received(mutate: Mutate, kit: Any) -> None:
    def backwards(root: Any) -> None:
        kit.one(root, "//h:investigationEvent/h:availabilityTime").set("value", "20220101")

    report = kit.check(mutate("Scenario1", backwards))
    expect(kit.only(report.findings, "ICH.C.1.5.order"), "C.1.5")


def test_creation_date_precision_and_consistency(mutate: Mutate, kit: Any) -> None:
    def coarse(root: Any) -> None:
        kit.one(root, "//h:controlActProcess/h:effectiveTime").set("value", "20140714")

    report = kit.check(mutate("Scenario1", coarse))
    expect(kit.only(report.findings, "ICH.C.1.2.precision"), "C.1.2")
    expect(kit.only(report.findings, "ICH.N.2.r.4.consistency"), "N.2.r.4")


# --- nullFlavors, identifiers, countries ------------------------------------------------------


def test_null_flavor_not_allowed_for_patient_initials(mutate: Mutate, kit: Any) -> None:
    def ni(root: Any) -> None:
        name = kit.one(root, "//h:primaryRole/h:player1/h:name")
        name.text = None
        name.set("nullFlavor", "NI")

    finding = kit.only(kit.check(mutate("Scenario1", ni)).findings, "ICH.D.1.nullflavor")
    expect(finding, "D.1")
    assert "ASKU, MSK, NASK, UNK" in finding.message


@pytest.mark.parametrize("value", ["XX-APHARMA-1", "APHARMA8744554B", "us-APHARMA-1"])
def test_safety_report_id_format(value: str, mutate: Mutate, kit: Any) -> None:
    def bad(root: Any) -> None:
        kit.one(root, C11).set("extension", value)

    expect(kit.only(kit.check(mutate("Scenario1", bad)).findings, "ICH.C.1.1.format"), "C.1.1")


def test_eu_prefix_is_accepted(mutate: Mutate, kit: Any) -> None:
    def eu(root: Any) -> None:
        kit.one(root, C11).set("extension", "EU-EMA-0001")

    assert "ICH.C.1.1.format" not in {
        f.rule_id for f in kit.check(mutate("Scenario1", eu)).findings
    }


def test_message_id_matching_case_id_draws_no_warning(mutate: Mutate, kit: Any) -> None:
    def same(root: Any) -> None:
        kit.one(root, "//h:PORR_IN049016UV/h:id").set("extension", "US-APHARMA-8744554B")

    report = kit.check(mutate("Scenario1", same))
    assert "ICH.N.2.r.1.consistency" not in {f.rule_id for f in report.findings}
    assert set(report.messages) == {"US-APHARMA-8744554B"}


def test_reporter_country_code(mutate: Mutate, kit: Any) -> None:
    def bad(root: Any) -> None:
        kit.one(root, "//h:assignedPerson/h:asLocatedEntity/h:location/h:code").set("code", "XX")

    expect(kit.only(kit.check(mutate("Scenario1", bad)).findings, "ICH.C.2.r.3.value"), "C.2.r.3")


def test_duplicate_message_ids_in_batch(mutate: Mutate, kit: Any) -> None:
    def twin(root: Any) -> None:
        kit.duplicate_message(root, "US-APHARMA-8744554B")
        kit.one(root, "(//h:PORR_IN049016UV)[2]/h:id").set("extension", MESSAGE_ID)

    finding = kit.only(kit.check(mutate("Scenario1", twin)).findings, "ICH.N.2.r.1.unique")
    assert (finding.element_id, finding.message_id) == ("N.2.r.1", None)
    assert "PORR_IN049016UV[2]" in finding.xpath


# --- minimum criteria -------------------------------------------------------------------------


def test_at_least_one_suspect_drug(mutate: Mutate, kit: Any) -> None:
    def concomitant(root: Any) -> None:
        for value in root.xpath(
            "//h:causalityAssessment[h:code/@code='20']/h:value", namespaces=kit.NS
        ):
            value.set("code", "2")

    data = mutate("Scenario1", concomitant)
    expect(kit.only(kit.check(data).findings, "ICH.G.k.1.suspect"), "G.k.1")
    finding = kit.only(kit.check(data, "fda").findings, "R0069")
    expect(finding, "G.k.1")


def test_at_least_one_reaction(sample: Callable[[str], bytes], kit: Any) -> None:
    findings = validate_batch(with_icsr(model(sample), reactions=()), "ich", today=kit.TODAY)
    expect(kit.only(findings, "ICH.E.i.required"), "E.i")


def test_reporter_identifiable(sample: Callable[[str], bytes], kit: Any) -> None:
    anonymous = PrimarySource(
        country="US", qualification=NullFlavor.UNK, primary_for_regulatory_purposes=True
    )
    batch = with_icsr(model(sample), primary_sources=(anonymous,))
    findings = validate_batch(batch, "ich", today=kit.TODAY)
    expect(kit.only(findings, "ICH.C.2.r.identifiable"), "C.2.r")
    named = replace(anonymous, qualification=Qualification.CONSUMER)
    ok = validate_batch(with_icsr(model(sample), primary_sources=(named,)), "ich", today=kit.TODAY)
    assert "ICH.C.2.r.identifiable" not in {f.rule_id for f in ok}


def test_patient_identifiable(sample: Callable[[str], bytes], kit: Any) -> None:
    findings = validate_batch(with_icsr(model(sample), patient=Patient()), "ich", today=kit.TODAY)
    expect(kit.only(findings, "ICH.D.identifiable"), "D")
    expect(kit.only(findings, "ICH.D.1.required"), "D.1")
    masked = Patient(name_or_initials=NullFlavor.MSK)
    ok = validate_batch(with_icsr(model(sample), patient=masked), "ich", today=kit.TODAY)
    assert not [f for f in ok if f.is_reject]


def test_validate_batch_with_source_runs_xml_rules(mutate: Mutate, kit: Any) -> None:
    def bad(root: Any) -> None:
        kit.one(root, OUTCOME_1).set("displayName", "changed")

    root = load_xml(mutate("Scenario1", bad))
    findings = validate_batch(parse_batch(root), "ich", today=kit.TODAY, source=root)
    assert {f.rule_id for f in findings} == {"ICH.N.2.r.1.consistency", "ICH.C.1.2.order"}
