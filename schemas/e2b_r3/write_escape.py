"""Escaping of element text and attribute values exactly as libxml2 writes them.

Characters XML forbids raise the errors lxml raises (``ValueError``, or
``UnicodeEncodeError`` for lone surrogates) before anything is written.
"""

from __future__ import annotations

import re

#: stands for text set to "" (``<x></x>``); NUL can never be real XML text
EMPTY = "\x00"
XML_DECLARATION = "<?xml version='1.0' encoding='UTF-8'?>\n"
_NSDECL = ' xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'

_ATTR_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LXML_MESSAGE = (
    "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"
)


def _check(value: str) -> None:
    """lxml's rule for text and attribute values (apihelpers ``_utf8``)."""
    value.encode("utf-8")  # lone surrogates: UnicodeEncodeError, as in lxml
    if _INVALID.search(value) is not None:
        raise ValueError(_LXML_MESSAGE)


def attr(value: str) -> str:
    """An attribute value, escaped as libxml2 writes it."""
    if _ATTR_SPECIAL.search(value) is None:
        return value
    _check(value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def text(value: str) -> str:
    """Element text, escaped as libxml2 writes it; ``""`` becomes ``EMPTY``."""
    if _TEXT_SPECIAL.search(value) is None:
        return value or EMPTY
    _check(value)
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def tail(value: str) -> str:
    """Tail text: like ``text`` but an empty tail writes nothing."""
    return text(value) if value else ""
