"""`icsr-gateway e2b …` on the real FDA samples, the ICH schemas and DTDs."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from gateway.cli import app

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "e2b"
if not SHARED.is_dir():
    pytest.skip(f"the shared E2B material is not at {SHARED}", allow_module_level=True)

SAMPLE = SHARED / "samples" / "fda-r3" / "FAERS2022Scenario1.xml"
BROKEN = SHARED / "samples" / "fda-r3" / "FAERS2022Scenario5-3.xml"
SCHEMAS = SHARED / "ich-r3-schemas"
R2_DTD = SHARED / "ich-r2" / "icsr21xml.dtd"
ACK_DTD = SHARED / "ich-r2" / "ichicsrack11xml.dtd"


@cache
def _xsd(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / "multicacheschemas" / name)))


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _doc(data: str | bytes) -> etree._ElementTree:
    raw = data.encode() if isinstance(data, str) else data
    return etree.ElementTree(
        etree.fromstring(raw, etree.XMLParser(resolve_entities=False, no_network=True))
    )


def test_validate_passes_a_valid_sample_and_fails_a_broken_one_with_rule_ids() -> None:
    code, out, _ = _run("e2b", "validate", str(SAMPLE), "--schemas", str(SCHEMAS))
    assert code == 0
    assert out.strip().endswith("valid (2 finding(s))")
    code, out, _ = _run("e2b", "validate", str(BROKEN), "--json")
    assert code == 1
    [report] = json.loads(out)
    assert report["valid"] is False
    rejected = {f["rule_id"] for f in report["findings"] if f["severity"] == "REJECT"}
    assert rejected == {"ICH.G.k.1.required", "ICH.G.k.9.i.1.reference"}


def test_validate_refuses_a_hostile_file_with_a_finding_not_a_traceback(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    code, out, _ = _run("e2b", "validate", str(bomb))
    assert code == 1
    assert "REJECT LOAD" in out


def test_unknown_profile_is_refused_with_the_choices() -> None:
    code, _, err = _run("e2b", "validate", str(SAMPLE), "--profile", "pmda")
    assert code == 2
    assert "--profile must be one of ich, ema, fda" in err


def test_r3_to_r2_and_back_gives_dtd_and_xsd_valid_files_and_lists_what_r2_cannot_carry(
    tmp_path: Path,
) -> None:
    r2 = tmp_path / "s1.r2.xml"
    code, _, err = _run("e2b", "convert", str(SAMPLE), "--to", "r2", "-o", str(r2))
    assert code == 0
    assert "not carried: G.k.2.1.1" in err
    dtd = etree.DTD(str(R2_DTD))
    assert dtd.validate(_doc(r2.read_bytes())), dtd.error_log
    r3 = tmp_path / "s1.r3.xml"
    code, _, _ = _run("e2b", "convert", str(r2), "--to", "r3", "-o", str(r3))
    assert code == 0
    schema = _xsd("MCCI_IN200100UV01.xsd")
    assert schema.validate(_doc(r3.read_bytes())), schema.error_log


def test_parse_then_build_gives_a_schema_valid_file_in_either_format(tmp_path: Path) -> None:
    code, out, _ = _run("e2b", "parse", str(SAMPLE))
    assert code == 0
    case = tmp_path / "case.json"
    case.write_text(out)
    assert (
        json.loads(out)["messages"][0]["icsr"]["report"]["safety_report_id"]
        == "US-APHARMA-8744554B"
    )
    code, xml_r3, _ = _run("e2b", "build", str(case), "--format", "r3")
    assert code == 0
    schema = _xsd("MCCI_IN200100UV01.xsd")
    assert schema.validate(_doc(xml_r3)), schema.error_log
    code, xml_r2, _ = _run("e2b", "build", str(case), "--format", "r2")
    assert code == 0
    dtd = etree.DTD(str(R2_DTD))
    assert dtd.validate(_doc(xml_r2)), dtd.error_log


def test_ack_answers_an_r3_file_with_a_valid_r3_ack_and_an_r2_file_with_an_r2_ack(
    tmp_path: Path,
) -> None:
    code, out, _ = _run("e2b", "ack", str(SAMPLE), "--our-id", "ZZFDA")
    assert code == 0
    ack = _doc(out)
    assert _xsd("MCCI_IN200101UV01.xsd").validate(ack)
    batch_ack = ack.getroot().find("{urn:hl7-org:v3}acknowledgement")  # ACK.A.4, batch level
    assert batch_ack.get("typeCode") == "AA"

    r2 = tmp_path / "s1.r2.xml"
    _run("e2b", "convert", str(SAMPLE), "--to", "r2", "-o", str(r2))
    code, out, err = _run("e2b", "ack", str(r2), "--our-id", "ZZFDA", "--r2-dtd", str(R2_DTD))
    assert code == 0
    assert "1 accepted, 0 rejected" in err
    r2_ack = _doc(out)
    assert etree.DTD(str(ACK_DTD)).validate(r2_ack)
    assert r2_ack.findtext(".//transmissionacknowledgmentcode") == "01"
    assert r2_ack.findtext(".//reportacknowledgmentcode") == "01"


def test_an_r2_file_for_another_receiver_is_answered_with_code_03(tmp_path: Path) -> None:
    r2 = tmp_path / "s1.r2.xml"
    _run("e2b", "convert", str(SAMPLE), "--to", "r2", "-o", str(r2))
    code, out, _ = _run("e2b", "ack", str(r2), "--our-id", "EVHUMAN")
    assert code == 0
    r2_ack = _doc(out)
    assert r2_ack.findtext(".//transmissionacknowledgmentcode") == "03"
    assert "not to this receiver 'EVHUMAN'" in (r2_ack.findtext(".//parsingerrormessage") or "")
