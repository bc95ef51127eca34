"""parse_ack: format detection by root element, hostile and foreign input refused."""

from __future__ import annotations

import pytest

from schemas.e2b_ack import ACK_ROOTS, parse_ack
from schemas.xml_safety import (
    ExternalEntityError,
    NotXMLError,
    TruncatedXMLError,
    UnexpectedRootError,
    XMLTooLargeError,
)


def test_accepted_roots() -> None:
    assert frozenset({"{urn:hl7-org:v3}MCCI_IN200101UV01", "ichicsrack"}) == ACK_ROOTS


def test_an_icsr_batch_is_not_an_ack() -> None:
    with pytest.raises(UnexpectedRootError, match="MCCI_IN200100UV01"):
        parse_ack(b'<MCCI_IN200100UV01 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0"/>')


def test_an_r2_icsr_is_not_an_ack() -> None:
    with pytest.raises(UnexpectedRootError, match="ichicsr"):
        parse_ack(b'<!DOCTYPE ichicsr SYSTEM "icsr21xml.dtd"><ichicsr lang="en"/>')


def test_hostile_ack_is_refused() -> None:
    data = (
        b'<!DOCTYPE ichicsrack [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<ichicsrack lang="en">&x;</ichicsrack>'
    )
    with pytest.raises(ExternalEntityError):
        parse_ack(data)


def test_truncated_non_xml_and_oversized_acks_are_refused() -> None:
    with pytest.raises(TruncatedXMLError):
        parse_ack(b'<ichicsrack lang="en"><ichicsrmessageheader>')
    with pytest.raises(NotXMLError):
        parse_ack(b"%PDF-1.4")
    with pytest.raises(XMLTooLargeError):
        parse_ack(b"<ichicsrack/>", max_bytes=5)
