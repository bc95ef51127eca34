"""Regional fragments of a batch parsed from bytes are written by lxml on first use only:
they must be indistinguishable from fragments written at parse time."""

from __future__ import annotations

import copy
import pickle
from dataclasses import replace
from pathlib import Path

import pytest

from schemas.e2b_r3 import RegionalExtension, parse_batch, to_bytes
from tests.unit.e2b_r3.conftest import fda_samples, load, shared_e2b

SAMPLES = fda_samples()
pytestmark = pytest.mark.skipif(
    shared_e2b() is None, reason="public E2B material (../shared/e2b) is not present"
)


def _fragments(data: bytes) -> tuple[RegionalExtension, ...]:
    batch = parse_batch(data)
    return batch.regional_extensions + batch.messages[0].regional_extensions


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_fragments_from_bytes_equal_fragments_from_a_parsed_element(path: Path) -> None:
    from_bytes = parse_batch(path.read_bytes())
    from_element = parse_batch(load(path))
    assert from_bytes.messages[0].regional_extensions  # every sample carries FDA elements
    assert from_bytes == from_element
    assert hash(from_bytes.messages[0].regional_extensions) == hash(
        from_element.messages[0].regional_extensions
    )
    assert repr(from_bytes) == repr(from_element)
    assert to_bytes(parse_batch(path.read_bytes())) == to_bytes(from_element)


def test_a_deferred_fragment_is_written_once_and_known_as_lxml_output() -> None:
    ext = _fragments(SAMPLES[1].read_bytes())[0]
    first = ext.xml
    assert first.startswith(b"<")
    assert ext.xml is first
    assert ext.lxml_output is first


def test_reading_lxml_output_first_writes_the_same_bytes() -> None:
    ext = _fragments(SAMPLES[1].read_bytes())[0]
    written = ext.lxml_output
    assert written is ext.xml
    assert written == _fragments(SAMPLES[1].read_bytes())[0].xml


def test_deferred_fragments_survive_pickling_and_copying() -> None:
    data = SAMPLES[1].read_bytes()
    expected = parse_batch(load(SAMPLES[1]))
    assert pickle.loads(pickle.dumps(parse_batch(data))) == expected
    assert copy.deepcopy(parse_batch(data)) == expected
    assert copy.copy(_fragments(data)[0]) == expected.messages[0].regional_extensions[0]


def test_replacing_the_xml_of_a_deferred_fragment_drops_the_lxml_mark() -> None:
    ext = _fragments(SAMPLES[1].read_bytes())[0]
    edited = replace(ext, xml=ext.xml + b" ")
    assert edited.xml.endswith(b" ")
    assert edited.lxml_output is not edited.xml
    moved = replace(_fragments(SAMPLES[1].read_bytes())[0], anchor="elsewhere")
    assert moved.anchor == "elsewhere"
    assert moved.xml == ext.xml


def test_fragments_of_a_callers_tree_are_written_at_parse_time() -> None:
    root = load(SAMPLES[1])
    batch = parse_batch(root)
    before = [e.xml for e in batch.messages[0].regional_extensions]
    for el in root.iter():
        if isinstance(el.tag, str):
            el.set("changed", "later")  # the caller's tree may change after parsing
    assert [e.xml for e in batch.messages[0].regional_extensions] == before
    assert all(b"changed" not in xml for xml in before)


def test_an_unknown_attribute_of_a_fragment_is_still_an_error() -> None:
    built = RegionalExtension(anchor="a", tag="t", index=0, position=0, xml=b"<t/>")
    deferred = _fragments(SAMPLES[1].read_bytes())[0]
    for ext in (built, deferred):
        with pytest.raises(AttributeError):
            getattr(ext, "no_such_field")  # noqa: B009
    assert built.lxml_output is None
