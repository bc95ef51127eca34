"""The one entry point for untrusted XML bytes: :func:`load_xml`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from lxml import etree

from schemas.xml_safety.errors import (
    EmptyXMLError,
    MalformedXMLError,
    UnexpectedRootError,
    XMLTooLargeError,
)
from schemas.xml_safety.parser import _check_tree, _new_parser, _syntax_error
from schemas.xml_safety.prescan import _prescan

#: Default size limit of :func:`load_xml`: 20 MiB.
DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024


def clark_name(el: etree._Element) -> str:
    """``{namespace}local`` (or ``local`` without a namespace) of an element."""
    q = etree.QName(el)
    return f"{{{q.namespace}}}{q.localname}" if q.namespace else str(q.localname)


def load_xml(
    data: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    expected_roots: Iterable[str] | None = None,
) -> etree._Element:
    """Parse untrusted ``data`` into an lxml root element, refusing anything hostile.

    ``expected_roots``: accepted root elements in Clark notation,
    ``"{urn:hl7-org:v3}MCCI_IN200101UV01"`` or ``"ichicsr"`` (no namespace); namespace and
    local name must both match. Raises a subclass of :class:`XMLLoadError` (see the module
    docstring); never a raw lxml exception.
    """
    if isinstance(data, str):
        raise TypeError("load_xml takes bytes, not str (the encoding is part of the document)")
    data = bytes(data)
    if len(data) > max_bytes:
        raise XMLTooLargeError(len(data), max_bytes)
    _prescan(data)

    # Fed in one piece, then closed: libxml2's push parser reports an error in the middle
    # of the data from feed(), and an error because the data ran out only from close().
    parser = _new_parser()
    etree.clear_error_log()
    try:
        parser.feed(data)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, at_end=False) from None
    except etree.LxmlError as exc:  # e.g. a parser error that is not a syntax error
        raise MalformedXMLError(f"XML malformed: {exc}") from None
    try:
        root = parser.close()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, at_end=True) from None
    except etree.LxmlError as exc:
        raise MalformedXMLError(f"XML malformed: {exc}") from None
    if root is None:  # pragma: no cover - libxml2 reports an error instead
        raise EmptyXMLError("XML refused: the input has no root element")
    _check_tree(root)

    if expected_roots is not None:
        expected = frozenset(
            [expected_roots] if isinstance(expected_roots, str) else expected_roots
        )
        actual = clark_name(root)
        if actual not in expected:
            raise UnexpectedRootError(
                f"XML refused: root element is {actual!r}, expected "
                f"{' or '.join(repr(e) for e in sorted(expected))}",
                actual=actual,
                expected=expected,
            )
    return root
