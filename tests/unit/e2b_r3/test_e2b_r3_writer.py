"""The text writer (``to_bytes`` / ``build_batch``) against the element builder it replaced.

The gate is byte identity: for every FDA sample and for model-built cases (the rich case of
the focused tests, its variants, and escaping / empty-text / regional-fragment edge cases)
``to_bytes(batch)`` and ``serialize(build_batch(batch))`` must equal the bytes of the old
element-by-element builder (``schemas.e2b_r3.legacy``) run through ``etree.tostring``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from gateway.domain.drug import Dosage, Drug
from gateway.domain.icsr import ICSR
from gateway.domain.lab_test import LabTest
from gateway.domain.narrative import Narrative, NativeLanguageSummary
from gateway.domain.patient import Patient
from gateway.domain.reaction import Reaction
from gateway.domain.report import Document, PrimarySource, ReportIdentification, Sender, Study
from gateway.domain.values import NullFlavor
from schemas.e2b_r3 import (
    R3Batch,
    RegionalExtension,
    build_batch,
    parse_batch,
    serialize,
    to_bytes,
)
from schemas.e2b_r3.legacy import build_batch_elements, serialize_elements
from tests.unit.e2b_r3.conftest import fda_samples
from tests.unit.e2b_r3.test_e2b_r3_focused import D1, R1, _batch, _icsr

SAMPLES = fda_samples()


def _assert_identical(batch: R3Batch) -> bytes:
    expected = serialize_elements(batch)
    assert to_bytes(batch) == expected
    assert serialize(build_batch(batch)) == expected
    return expected


@pytest.mark.parametrize("sample", SAMPLES, ids=[p.name for p in SAMPLES])
def test_samples_are_byte_identical(sample: Path) -> None:
    _assert_identical(parse_batch(sample.read_bytes()))


def _message_icsr(batch: R3Batch, icsr: ICSR) -> R3Batch:
    return replace(batch, messages=(replace(batch.messages[0], icsr=icsr),))


def _variants() -> dict[str, R3Batch]:
    icsr = _icsr()
    hex_id = "0123456789abcdef0123456789abcdef"
    reaction = replace(icsr.reactions[0], id=hex_id)
    drug = replace(
        icsr.drugs[0],
        reaction_assessments=(replace(icsr.drugs[0].reaction_assessments[0], reaction_id=hex_id),),
    )
    return {
        "rich": _batch(icsr),
        "shuffled": _batch(replace(icsr, reactions=icsr.reactions[::-1], drugs=icsr.drugs[::-1])),
        "hex-ids": _batch(replace(icsr, reactions=(reaction,), drugs=(drug,))),
        "empty-icsr": _batch(ICSR()),
        "bare-parts": _batch(
            ICSR(
                patient=Patient(),
                study=Study(),
                reactions=(Reaction(id=R1),),
                drugs=(Drug(id=D1, dosages=(Dosage(),)),),
                tests=(LabTest(),),
                primary_sources=(PrimarySource(),),
                sender=Sender(),
                literature=icsr.literature,
            )
        ),
        "two-messages": replace(
            _batch(icsr), messages=_batch(icsr).messages + _batch(ICSR()).messages
        ),
    }


VARIANTS = _variants()


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_model_built_cases_are_byte_identical(name: str) -> None:
    _assert_identical(VARIANTS[name])


AWKWARD = [
    "a & b < c > d \"q\" 's'",
    "tab\there\nnewline\r\ncrlf\rcr",
    "  leading and trailing  ",
    "é ü ß 中文 \u2028 \U0001f600 \x7f \x85 \ufdd0",
    "]]> &amp; &#13; <![CDATA[x]]>",
]


def _with_text(value: str) -> R3Batch:
    icsr = _icsr()
    narrative = replace(
        icsr.narrative,
        case_narrative=value,
        reporter_comments=value,
        native_language_summaries=(NativeLanguageSummary(text=value, language=value),),
    )
    doc = Document(title=value, media_type=value, url=value, content_base64="eA==")
    rep = replace(icsr.report, documents=(doc,), safety_report_id=value, worldwide_case_id=value)
    patient = replace(icsr.patient, name_or_initials=value, gp_record_number=value)  # type: ignore[type-var]
    sender = replace(icsr.sender, organisation=value, email=value)  # type: ignore[type-var]
    test = replace(icsr.tests[0], result_unit=value, normal_low=value, comments=value)
    drug = replace(icsr.drugs[0], name_as_reported=value, authorisation_number=value)
    icsr = replace(
        icsr,
        narrative=narrative,
        report=rep,
        patient=patient,
        sender=sender,
        tests=(test, *icsr.tests[1:]),
        drugs=(drug, *icsr.drugs[1:]),
    )
    return replace(_batch(icsr), batch_id=value, receiver_id=value)


@pytest.mark.parametrize("value", AWKWARD, ids=range(len(AWKWARD)))
def test_escaping_is_byte_identical(value: str) -> None:
    data = _assert_identical(_with_text(value))
    etree.fromstring(data)  # well-formed


def test_empty_text_is_written_as_lxml_does() -> None:
    batch = _with_text("")
    data = _assert_identical(batch)
    assert b"<text></text>" in data
    built = build_batch(batch)
    texts = [el for el in built.iter() if el.text == ""]
    assert len(texts) == len([el for el in build_batch_elements(batch).iter() if el.text == ""])


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("bad\x00nul", ValueError),
        ("bad\x01ctrl", ValueError),
        ("bad\x0bvt", ValueError),
        ("bad\ufffe", ValueError),
        ("bad\uffff", ValueError),
        ("bad\ud800surrogate", UnicodeEncodeError),
    ],
)
@pytest.mark.parametrize("where", ["text", "attribute"])
def test_characters_xml_forbids_raise_like_lxml(value: str, error: type, where: str) -> None:
    icsr = _icsr()
    if where == "text":
        batch = _batch(replace(icsr, narrative=replace(icsr.narrative, case_narrative=value)))
    else:
        batch = replace(_batch(icsr), batch_id=value)
    with pytest.raises(error):
        serialize_elements(batch)
    with pytest.raises(error):
        to_bytes(batch)
    with pytest.raises(error):
        build_batch(batch)


def _ext(anchor: str, xml: bytes, index: int = 0, position: int = 0) -> RegionalExtension:
    tag = etree.QName(etree.fromstring(xml)).localname
    return RegionalExtension(anchor=anchor, tag=tag, index=index, position=position, xml=xml)


FRAGMENTS = [
    b'<code xmlns="urn:hl7-org:v3" code="1" codeSystem="2.16.840.1.113883.3.989.5.1.1"/>',
    b'<fda:note xmlns:fda="urn:example:fda" xmlns="urn:hl7-org:v3"><x a="1&#10;2">t&amp;'
    b"</x><!-- a < b --><?pi data?></fda:note>",
    b'<value xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    b' xsi:type="CE" code="C"><originalText></originalText></value>',
    b"<plain>no namespace</plain>",
    b'<subjectOf2 xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
    b' typeCode="SBJ">\n\t<value xsi:type="ST">a &amp; b &lt; c &gt; "d"</value><!-- c -->'
    b"<x  a='1' ></x></subjectOf2>",
]


def test_regional_fragments_are_placed_byte_identically() -> None:
    icsr = _icsr()
    anchors = [
        "investigationEvent",
        "adverseEventAssessment",
        "primaryRole",
        "patient",
        "parent",
        "parent:person",
        "study",
        f"reaction:{R1}",
        f"drug:{D1}",
        f"drug:{D1}:product",
        f"drug:{D1}:instance",
        f"drug:{D1}:dosage:0",
        f"drug:{D1}:dosage:1:instance",
        "controlActProcess",
        "message",
    ]
    exts = []
    for n, anchor in enumerate(anchors):
        for k, xml in enumerate(FRAGMENTS):
            exts.append(_ext(anchor, xml, index=(n + k) % 3, position=(n * 3 + k) % 40))
    batch = _batch(icsr)
    message = replace(batch.messages[0], regional_extensions=tuple(exts))
    batch = replace(
        batch,
        messages=(message,),
        regional_extensions=tuple(
            _ext("batch", x, index=1, position=k) for k, x in enumerate(FRAGMENTS)
        ),
    )
    _assert_identical(batch)


_REGIONAL = (
    '<component typeCode="COMP"><observationEvent classCode="OBS" moodCode="EVN">'
    '<code code="C1" codeSystem="2.16.840.1.113883.3.989.5.1.2.1"/><value xsi:type="ST">{}'
    "</value></observationEvent></component>"
)


@pytest.mark.parametrize(
    "content",
    ["plain", "a &amp; b &lt; c &gt; d", "caf\u00e9", "cr&#13;lf", "<![CDATA[a<b]]>", ""],
)
def test_parsed_fragments_are_byte_identical(content: str) -> None:
    """Fragments the parser kept (trusted as lxml output when they are plain)."""
    data = to_bytes(VARIANTS["rich"]).decode()
    at = data.index('<component typeCode="COMP"><adverseEventAssessment')
    source = (data[:at] + _REGIONAL.format(content) + data[at:]).encode()
    for strip_cdata in (True, False):
        root = etree.fromstring(source, etree.XMLParser(strip_cdata=strip_cdata))
        batch = parse_batch(root)
        assert batch.messages[0].regional_extensions
        _assert_identical(batch)
        # a fragment edited after parsing is no longer trusted as lxml output
        ext = batch.messages[0].regional_extensions[0]
        edited = replace(ext, xml=ext.xml.replace(b"ST", b"ST", 1)[:-1] + b">")
        message = replace(batch.messages[0], regional_extensions=(edited,))
        _assert_identical(replace(batch, messages=(message,)))


def test_build_batch_returns_an_element_of_the_same_document(r3_schema: Any) -> None:
    batch = VARIANTS["rich"]
    built = build_batch(batch)
    assert built.tag == "{urn:hl7-org:v3}MCCI_IN200100UV01"
    assert r3_schema.validate(built), r3_schema.error_log
    assert r3_schema.validate(etree.fromstring(to_bytes(batch)))
    assert parse_batch(to_bytes(batch)) == batch


def test_narrative_defaults_stay_identical() -> None:
    icsr = replace(_icsr(), narrative=Narrative(), report=ReportIdentification())
    _assert_identical(_batch(icsr))
    _ = NullFlavor  # imported for readers of the variants above
