"""The libxml2 parser settings, the translation of libxml2's errors into ours, and the
check of the parsed tree for anything entity-like."""

from __future__ import annotations

from typing import Any, Final

from lxml import etree

from schemas.xml_safety.errors import (
    EntityReferenceError,
    ExternalEntityError,
    InternalEntityError,
    MalformedXMLError,
    TruncatedXMLError,
    XMLEncodingError,
    XMLLoadError,
    XMLResourceLimitError,
)

_ENCODING_ERRORS: Final = frozenset(
    {
        etree.ErrorTypes.ERR_INVALID_ENCODING,
        etree.ErrorTypes.ERR_UNSUPPORTED_ENCODING,
        etree.ErrorTypes.ERR_UNKNOWN_ENCODING,
        etree.ErrorTypes.ERR_INVALID_CHAR,
    }
)
_ENTITY_ERRORS: Final = frozenset(
    {
        etree.ErrorTypes.ERR_ENTITY_LOOP,
        etree.ErrorTypes.ERR_UNDECLARED_ENTITY,
        etree.ErrorTypes.WAR_UNDECLARED_ENTITY,
        etree.ErrorTypes.ERR_ENTITY_PE_INTERNAL,
        etree.ErrorTypes.ERR_PEREF_IN_PROLOG,
    }
)


def _new_parser() -> Any:
    # A fresh parser per document: lxml parsers are not thread-safe. Do not add
    # collect_ids=False: with libxml2 2.14 it makes the parser try to load the external DTD.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=False,
    )


def _cause(exc: Any) -> tuple[int | None, str, int | None]:
    """``(libxml2 error type, message, line)`` of the first error of this parse.

    lxml keeps the entries in a per-thread log (cleared by :func:`load_xml` before parsing);
    the first error there is the cause. Some failures surface only as lxml's own generic
    "no element found", which is why the log is read rather than just the exception.
    """
    for entry in getattr(exc, "error_log", ()):
        if entry.level >= etree.ErrorLevels.ERROR:
            return int(entry.type), str(entry.message).strip(), int(entry.line) or None
    code = getattr(exc, "code", None)
    line = getattr(exc, "lineno", None)
    return (
        code if isinstance(code, int) else None,
        str(getattr(exc, "msg", exc)),
        line if isinstance(line, int) and line > 0 else None,
    )


def _syntax_error(exc: Any, *, at_end: bool) -> XMLLoadError:
    """Translate libxml2's error into one of ours (``at_end``: raised when the data ran out)."""
    err_type, message, line = _cause(exc)
    where = f" (line {line})" if line else ""
    if err_type in _ENCODING_ERRORS:
        return XMLEncodingError(f"XML refused: encoding problem: {message}{where}", line=line)
    if err_type == etree.ErrorTypes.ERR_RESOURCE_LIMIT or "XML_PARSE_HUGE" in message:
        return XMLResourceLimitError(
            f"XML refused: a parser safety limit was reached: {message}{where}", line=line
        )
    if err_type in _ENTITY_ERRORS:
        return EntityReferenceError(
            f"XML refused: entity problem: {message}{where}; "
            "documents that use entities are not accepted",
            line=line,
        )
    if at_end:
        return TruncatedXMLError(
            f"XML truncated: the data ends before the document is complete: {message}{where}",
            line=line,
        )
    return MalformedXMLError(f"XML malformed: {message}{where}", line=line)


def _check_tree(root: etree._Element) -> None:
    """Defence in depth: nothing entity-like may survive into a tree we hand out."""
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is not None:
        for entity in dtd.iterentities():
            error = ExternalEntityError if entity.system_url else InternalEntityError
            raise error(
                f"XML refused: the DOCTYPE declares entity {entity.name!r}; "
                "documents that declare entities are not accepted"
            )
    for ref in root.iter(etree.Entity):
        raise EntityReferenceError(
            f"XML refused: reference to undeclared entity {ref.text} "
            f"(line {ref.sourceline}); it cannot be expanded safely",
            line=ref.sourceline,
        )
