"""Cached XSD/DTD loading and validation findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from schemas.xml_safety import (
    Finding,
    XMLLoadError,
    load_dtd,
    load_xml,
    load_xsd,
    validate_dtd,
    validate_xsd,
)

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
R3_ACK_XSD = SHARED / "e2b" / "ich-r3-schemas" / "multicacheschemas" / "MCCI_IN200101UV01.xsd"
R2_ACK_DTD = SHARED / "e2b" / "ich-r2" / "ichicsrack11xml.dtd"
SAMPLES = SHARED / "e2b" / "samples" / "fda-r3"

pytestmark = pytest.mark.skipif(
    not R3_ACK_XSD.exists(), reason=f"shared ICH schemas not found at {SHARED / 'e2b'}"
)


def test_xsd_is_loaded_once_per_path() -> None:
    first = load_xsd(R3_ACK_XSD)
    assert load_xsd(str(R3_ACK_XSD)) is first
    assert load_xsd(R3_ACK_XSD.parent / ".." / "multicacheschemas" / R3_ACK_XSD.name) is first


def test_dtd_is_loaded_once_per_path() -> None:
    assert load_dtd(R2_ACK_DTD) is load_dtd(str(R2_ACK_DTD))


@pytest.mark.parametrize("name", ["R3ack-positive.ack", "R3ack-negative.ack"])
def test_fda_acknowledgements_are_valid(name: str) -> None:
    root = load_xml((SAMPLES / name).read_bytes())
    assert validate_xsd(root, load_xsd(R3_ACK_XSD)) == []


def test_xsd_findings_have_line_and_message() -> None:
    data = (SAMPLES / "R3ack-positive.ack").read_bytes().replace(b'typeCode="AA"', b'typeCode="ZZ"')
    findings = validate_xsd(load_xml(data), load_xsd(R3_ACK_XSD))
    assert findings
    assert all(isinstance(f, Finding) for f in findings)
    line, message = findings[0]
    assert line > 1
    assert "ZZ" in message


def test_dtd_findings_have_line_and_message() -> None:
    root = load_xml(b'<ichicsrack lang="en">\n<acknowledgment/>\n</ichicsrack>')
    findings = validate_dtd(root, load_dtd(R2_ACK_DTD))
    assert findings
    assert all(isinstance(line, int) and message for line, message in findings)


def test_missing_schema_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(XMLLoadError, match="cannot load XML schema"):
        load_xsd(tmp_path / "nope.xsd")
    with pytest.raises(XMLLoadError, match="cannot load DTD"):
        load_dtd(tmp_path / "nope.dtd")
