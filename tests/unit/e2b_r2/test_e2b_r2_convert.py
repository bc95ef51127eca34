"""R3 <-> R2 through the domain: FDA's R3 scenarios, FDA's R2-style example, loss reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gateway.domain.codes import DrugRole
from schemas.e2b_convert import ConversionResult, r2_to_r3, r3_to_r2
from schemas.e2b_r2 import R2Message, build_r2, parse_r2, serialize_r2
from schemas.e2b_r3 import R3Batch, build_batch, parse_batch
from schemas.xml_safety import load_xml


def convert(path: Path) -> tuple[R3Batch, ConversionResult[R2Message]]:
    batch = parse_batch(load_xml(path.read_bytes()))
    return batch, r3_to_r2(batch)


def test_every_fda_r3_scenario_becomes_dtd_valid_r2_with_a_loss_report(
    fda_r3_samples: list[Path], r2_dtd: Any, valid: Any
) -> None:
    for path in fda_r3_samples:
        batch, result = convert(path)
        el = build_r2(result.value)
        valid(r2_dtd, el)
        reloaded = parse_r2(serialize_r2(el))
        assert reloaded.reports[0].not_carried == (), path.name
        ids = result.element_ids()
        # FDA regional extensions (race, ethnicity, ...) have no place in ICH 2.1
        assert any(i.startswith("regional:") for i in ids), path.name
        assert {"C.2.r.2.7", "C.2.r.2.8", "G.k.2.1.1", "C.1.2"} <= ids, path.name
        assert len(result.value.reports) == len(batch.messages)
        icsr, source = result.value.reports[0].icsr, batch.messages[0].icsr
        assert icsr.report.safety_report_id == source.report.safety_report_id
        assert [r.id for r in icsr.reactions] == [r.id for r in source.reactions]
        assert [r.term for r in icsr.reactions] == [r.term for r in source.reactions]
        assert [d.name_as_reported for d in icsr.drugs] == [
            d.name_as_reported for d in source.drugs
        ]
        assert [d.role for d in icsr.drugs] == [d.role for d in source.drugs]


def test_scenario_losses_name_specific_elements(fda_r3_samples: list[Path]) -> None:
    by_name = {p.name: p for p in fda_r3_samples}
    if "FAERS2022Scenario2.xml" not in by_name:
        pytest.skip("FAERS2022Scenario2.xml not present")
    _, result = convert(by_name["FAERS2022Scenario2.xml"])
    strength = [x for x in result.losses if x.element_id == "G.k.2.3.r.3"]
    assert strength
    assert strength[0].path.startswith("messages[0].icsr.drugs[")
    race = [x for x in result.losses if "C17049" in x.reason]
    assert race
    assert race[0].element_id == "regional:subjectOf2"
    assert any(x.element_id == "E.i.3.2" for x in result.losses)  # per-reaction seriousness


def test_r2_output_converts_back_to_schema_valid_r3(
    fda_r3_samples: list[Path], r3_schema: Any, valid: Any
) -> None:
    for path in fda_r3_samples:
        batch, result = convert(path)
        back = r2_to_r3(result.value)
        assert back.losses == ()  # everything in the R2 projection fits R3
        valid(r3_schema, build_batch(back.value))
        assert back.value.batch_id == batch.batch_id
        assert back.value.messages[0].receiver_id == batch.messages[0].receiver_id
        assert back.value.messages[0].icsr.reactions == result.value.reports[0].icsr.reactions


def test_faers_r2_example_key_values(faers_r2_example: bytes) -> None:
    message = parse_r2(faers_r2_example)
    assert message.header.message_number == "fb169864-e6cf-2d87-1971-389a4bcfc054"
    assert (message.header.format_version, message.header.receiver_id) == ("2.2", "ZZFDA")
    report = message.reports[0]
    icsr = report.icsr
    assert icsr.report.safety_report_id == "BEST_fb169864-e6cf-2d87-1971-389a4bcfc054"
    assert icsr.report.worldwide_case_id == icsr.report.safety_report_id
    assert [r.verbatim_translation for r in icsr.reactions] == ["Allergic transfusion reaction"]
    assert icsr.reactions[0].term is not None
    assert icsr.reactions[0].term.code == "10066173"
    assert icsr.reactions[0].term.version == "23.0"
    assert str(icsr.reactions[0].start) == "20000101"
    assert [(d.role, d.name_as_reported) for d in icsr.drugs] == [
        (
            DrugRole.SUSPECT,
            "E7003-ISBT (Apheresis PLATELETS|ACD-A>PAS-C/XX/20-24C|ResLeu:<5E6|2nd container)",
        ),
        (DrugRole.CONCOMITANT, "3992-MULTUM (Epinephrine)"),
        (DrugRole.CONCOMITANT, "3498-MULTUM (Diphenhydramine)"),
    ]
    assert str(icsr.drugs[0].dosages[0].end) == "20020109"
    assert icsr.primary_sources[0].email == "admin@admin.com"  # FDA element the domain has
    assert icsr.patient is not None
    assert icsr.patient.name_or_initials == "CM"
    assert report.receiver.organisation == "FDA"
    assert icsr.narrative.case_narrative is not None
    assert icsr.narrative.case_narrative.startswith("Header: FDA CBER BEST")


def test_faers_r2_example_fda_only_elements_are_reported(faers_r2_example: bytes) -> None:
    report = parse_r2(faers_r2_example).reports[0]
    not_carried = {x.element_id: x for x in report.not_carried}
    assert "combinationproductreport" in not_carried  # FDA regional (DTD 2.2)
    assert "regional" in not_carried["combinationproductreport"].reason
    # serious = 1 with every criterion = 2 cannot be held as E.i.3.2 criteria
    assert "A.1.5.1" in not_carried


def test_faers_r2_example_to_r3_is_schema_valid_and_lists_losses(
    faers_r2_example: bytes, r3_schema: Any, r2_dtd: Any, valid: Any
) -> None:
    message = parse_r2(faers_r2_example)
    result = r2_to_r3(message, batch_id="BATCH-1")
    valid(r3_schema, build_batch(result.value))
    ids = result.element_ids()
    assert {"combinationproductreport", "A.1.0.1", "M.1.4", "A.3.2.2b", "A.3.2.3l"} <= ids
    assert result.value.batch_id == "BATCH-1"
    assert result.value.messages[0].receiver_id == "FDA"
    assert result.value.messages[0].icsr.report.created_at is not None
    # the ICH 2.1 rendering of the same report validates, with the FDA email as a loss
    valid(r2_dtd, build_r2(message))


def test_r3_to_r2_to_r3_keeps_what_r2_carries(fda_r3_samples: list[Path]) -> None:
    _batch, result = convert(fda_r3_samples[0])
    again = r3_to_r2(r2_to_r3(result.value).value)
    assert again.value.reports[0].icsr == result.value.reports[0].icsr
