"""The one way the gateway turns untrusted bytes into an lxml tree.

:func:`load_xml` is the only entry point for XML that comes from outside (E2B files from
regulators and partners, acknowledgements). It refuses, each with its own error class and a
message that says what was wrong:

* oversized input (checked before any parsing) ........ :class:`XMLTooLargeError`
* empty input ......................................... :class:`EmptyXMLError`
* bytes that are not XML at all (PDF, JSON, ...) ...... :class:`NotXMLError`
* a file cut off before its end ........................ :class:`TruncatedXMLError`
* any other well-formedness error ...................... :class:`MalformedXMLError`
* undecodable bytes / unknown declared encoding ........ :class:`XMLEncodingError`
* entity declarations in the DOCTYPE:
    - external entities (XXE, incl. parameter entities) :class:`ExternalEntityError`
    - entities built from other entities (billion laughs) :class:`EntityExpansionError`
    - any other internal entity (quadratic blow-up) .... :class:`InternalEntityError`
* parameter-entity or undeclared entity references ..... :class:`EntityReferenceError`
* libxml2 resource limits (depth, huge text nodes) ..... :class:`XMLResourceLimitError`
* a root element other than the expected one(s) ........ :class:`UnexpectedRootError`

A DOCTYPE that only names an external DTD (``<!DOCTYPE ichicsr SYSTEM "icsr21xml.dtd">``, as
every real E2B(R2) file does) is accepted: the DTD is never fetched and nothing is expanded.

Defence in depth: the DOCTYPE is scanned *before* libxml2 sees the bytes, libxml2 then runs
with entity substitution, DTD loading and network access off and its default resource limits
on, and the parsed tree is checked again for entity declarations and entity references.

Every failure is a :class:`~gateway.errors.GatewayError` (never a raw ``lxml`` exception).
All of them are also :class:`XMLLoadError`, so a caller can catch "any refusal" in one clause.

Schema helpers: :func:`load_xsd` / :func:`load_dtd` load a schema once per path (cached);
:func:`validate_xsd` / :func:`validate_dtd` return findings as ``(line, message)`` tuples.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Final, NamedTuple

from lxml import etree

from gateway.errors import DecodeError, GatewayError, PayloadTooLargeError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "EmptyXMLError",
    "EntityExpansionError",
    "EntityReferenceError",
    "ExternalEntityError",
    "Finding",
    "InternalEntityError",
    "MalformedXMLError",
    "NotXMLError",
    "TruncatedXMLError",
    "UnexpectedRootError",
    "XMLEncodingError",
    "XMLEntityError",
    "XMLLoadError",
    "XMLResourceLimitError",
    "XMLSecurityError",
    "XMLTooLargeError",
    "clark_name",
    "load_dtd",
    "load_xml",
    "load_xsd",
    "validate_dtd",
    "validate_xsd",
]

#: Default size limit of :func:`load_xml`: 20 MiB.
DEFAULT_MAX_BYTES: Final = 20 * 1024 * 1024

# --------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------


class XMLLoadError(GatewayError):
    """Common base of every refusal by :func:`load_xml` (catch this for "any")."""

    code = "xml_load_error"

    def __init__(self, message: str, *, line: int | None = None) -> None:
        self.line = line
        super().__init__(message)


class XMLTooLargeError(PayloadTooLargeError, XMLLoadError):
    """The input is larger than ``max_bytes``; refused before parsing."""

    code = "xml_too_large"

    def __init__(self, size: int, max_bytes: int) -> None:
        self.size = size
        self.max_bytes = max_bytes
        super().__init__(
            f"XML refused: {size} bytes is over the limit of {max_bytes} bytes "
            "(checked before parsing)"
        )


class MalformedXMLError(DecodeError, XMLLoadError):
    """The bytes are not well-formed XML."""

    code = "xml_malformed"


class EmptyXMLError(MalformedXMLError):
    """No bytes at all, or only whitespace."""

    code = "xml_empty"


class NotXMLError(MalformedXMLError):
    """The bytes do not look like XML at all (a PDF, JSON, a ZIP archive, plain text...)."""

    code = "xml_not_xml"


class TruncatedXMLError(MalformedXMLError):
    """The document ends before it is complete (an interrupted transfer)."""

    code = "xml_truncated"


class XMLEncodingError(MalformedXMLError):
    """Bytes invalid in the document's encoding, or an encoding libxml2 does not know."""

    code = "xml_encoding"


class UnexpectedRootError(DecodeError, XMLLoadError):
    """Well-formed XML, but its root element is not one of the expected ones."""

    code = "xml_unexpected_root"

    def __init__(self, message: str, *, actual: str, expected: frozenset[str]) -> None:
        self.actual = actual
        self.expected = expected
        super().__init__(message)


class XMLSecurityError(DecodeError, XMLLoadError):
    """The document uses a construct that is refused for safety reasons."""

    code = "xml_security"


class XMLEntityError(XMLSecurityError):
    """The document declares or references entities (refused outright)."""

    code = "xml_entity"


class ExternalEntityError(XMLEntityError):
    """An entity with a SYSTEM/PUBLIC identifier: XML external entity attack (XXE)."""

    code = "xml_external_entity"


class EntityExpansionError(XMLEntityError):
    """Entities built out of other entities: exponential expansion ("billion laughs")."""

    code = "xml_entity_expansion"


class InternalEntityError(XMLEntityError):
    """An internal entity declaration (e.g. one big entity used many times: quadratic blow-up)."""

    code = "xml_internal_entity"


class EntityReferenceError(XMLEntityError):
    """A parameter-entity reference in the DOCTYPE, or a reference to an undeclared entity."""

    code = "xml_entity_reference"


class XMLResourceLimitError(XMLSecurityError):
    """libxml2 stopped at one of its safety limits (nesting depth, huge text, amplification)."""

    code = "xml_resource_limit"


# --------------------------------------------------------------------------------------
# Prolog scan: find the DOCTYPE and every entity declaration before libxml2 parses anything
# --------------------------------------------------------------------------------------

_BOMS: Final[tuple[tuple[bytes, str], ...]] = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_WS: Final = " \t\r\n"
_NAME_RE: Final = re.compile(r"[^\s\"'<>%;\[\]/=]+")
_QUOTED_RE: Final = re.compile(r"\"[^\"]*\"|'[^']*'")
_REF_RE: Final = re.compile(r"[&%](?!#)[^\s;&%]+;")  # entity references, not &#60;
_DECLARED_ENCODING_RE: Final = re.compile(
    r"<\?xml\s[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']"
)
_REFUSED_ENCODINGS: Final = frozenset({"utf7", "unicode11utf7", "csunicode11utf7", "utf7imap"})


@dataclass(frozen=True, slots=True)
class _EntityDecl:
    name: str
    parameter: bool
    external_id: str | None  # the SYSTEM literal (or PUBLIC literal) for external entities
    value: str | None  # the literal value for internal entities


@dataclass(frozen=True, slots=True)
class _Doctype:
    entities: tuple[_EntityDecl, ...]
    pe_references: tuple[str, ...]


def _scan_text(data: bytes) -> str:
    """Decode ``data`` well enough to read its markup (not its content).

    UTF-32/UTF-16 are recognised by BOM or by the ``<?`` pattern; everything else is read as
    Latin-1, which never fails and keeps every ASCII markup character where it is for all
    ASCII-compatible encodings (UTF-8, ISO-8859-x, windows-125x, Shift_JIS...).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    if data.startswith(b"\x00<\x00"):
        return data.decode("utf-16-be", errors="replace")
    if data.startswith(b"<\x00") and not data.startswith(b"<\x00\x00"):
        return data.decode("utf-16-le", errors="replace")
    return data.decode("latin-1")


def _skip_ws(s: str, i: int) -> int:
    n = len(s)
    while i < n and s[i] in _WS:
        i += 1
    return i


def _skip_past(s: str, i: int, terminator: str, what: str) -> int:
    j = s.find(terminator, i)
    if j < 0:
        raise TruncatedXMLError(f"XML truncated: {what} is not closed before the end of the data")
    return j + len(terminator)


def _skip_markup_decl(s: str, i: int) -> int:
    """Skip a ``<!...>`` declaration starting at ``i``, honouring quoted literals."""
    n = len(s)
    while i < n:
        c = s[i]
        if c in "\"'":
            j = s.find(c, i + 1)
            if j < 0:
                break
            i = j + 1
        elif c == ">":
            return i + 1
        else:
            i += 1
    raise TruncatedXMLError("XML truncated: a declaration in the DOCTYPE is not closed")


def _quoted(s: str, i: int) -> tuple[str, int] | None:
    m = _QUOTED_RE.match(s, i)
    if m is None:
        return None
    return m.group()[1:-1], m.end()


def _entity_decl(s: str, i: int) -> tuple[_EntityDecl, int]:
    """Read ``<!ENTITY [%] name (SYSTEM/PUBLIC ids | "value") ...>`` starting at ``i``."""
    end = _skip_markup_decl(s, i)
    j = _skip_ws(s, i + len("<!ENTITY"))
    parameter = False
    if s.startswith("%", j):
        parameter = True
        j = _skip_ws(s, j + 1)
    m = _NAME_RE.match(s, j)
    name = m.group() if m else "?"
    j = _skip_ws(s, m.end() if m else j)
    if s.startswith(("SYSTEM", "PUBLIC"), j):
        literal = _quoted(s, _skip_ws(s, j + 6))
        external = literal[0] if literal else "?"
        if s.startswith("PUBLIC", j) and literal is not None:
            system = _quoted(s, _skip_ws(s, literal[1]))
            if system is not None:
                external = system[0]
        return _EntityDecl(name, parameter, external, None), end
    literal = _quoted(s, j)
    return _EntityDecl(name, parameter, None, literal[0] if literal else ""), end


def _scan_internal_subset(s: str, i: int) -> tuple[_Doctype, int]:
    """Scan from just after ``[`` to just after the matching ``]``."""
    entities: list[_EntityDecl] = []
    pe_refs: list[str] = []
    n = len(s)
    while True:
        i = _skip_ws(s, i)
        if i >= n:
            raise TruncatedXMLError("XML truncated: the DOCTYPE internal subset is not closed")
        if s[i] == "]":
            return _Doctype(tuple(entities), tuple(pe_refs)), i + 1
        if s.startswith("<!--", i):
            i = _skip_past(s, i + 4, "-->", "a comment in the DOCTYPE")
        elif s.startswith("<?", i):
            i = _skip_past(s, i + 2, "?>", "a processing instruction in the DOCTYPE")
        elif s.startswith("<!ENTITY", i):
            decl, i = _entity_decl(s, i)
            entities.append(decl)
        elif s.startswith("<!", i):
            i = _skip_markup_decl(s, i)
        elif s[i] == "%":
            m = _NAME_RE.match(s, i + 1)
            pe_refs.append(m.group() if m else "?")
            i = _skip_past(s, i + 1, ";", "a parameter-entity reference in the DOCTYPE")
        else:
            raise MalformedXMLError(
                f"XML malformed: unexpected {s[i]!r} in the DOCTYPE internal subset"
            )


def _scan_doctype(s: str, i: int) -> tuple[_Doctype, int]:
    """Scan ``<!DOCTYPE name [ExternalID] [[subset]]>`` starting at ``i``."""
    n = len(s)
    j = _skip_ws(s, i + len("<!DOCTYPE"))
    m = _NAME_RE.match(s, j)
    if m is None:
        raise MalformedXMLError("XML malformed: the DOCTYPE has no root element name")
    j = _skip_ws(s, m.end())
    for keyword, literals in (("SYSTEM", 1), ("PUBLIC", 2)):
        if s.startswith(keyword, j):
            j += len(keyword)
            for _ in range(literals):
                k = _skip_ws(s, j)
                literal = _quoted(s, k)
                if literal is None:
                    if k >= n or (s[k] in "\"'" and s.find(s[k], k + 1) < 0):
                        raise TruncatedXMLError("XML truncated: the DOCTYPE is not closed")
                    raise MalformedXMLError(f"XML malformed: {keyword} identifier not quoted")
                j = literal[1]
            j = _skip_ws(s, j)
            break
    doctype = _Doctype((), ())
    if s.startswith("[", j):
        doctype, j = _scan_internal_subset(s, j + 1)
        j = _skip_ws(s, j)
    if j >= n:
        raise TruncatedXMLError("XML truncated: the DOCTYPE is not closed")
    if s[j] != ">":
        raise MalformedXMLError(f"XML malformed: unexpected {s[j]!r} in the DOCTYPE")
    return doctype, j + 1


def _describe_non_xml(data: bytes) -> str:
    head = data.lstrip()
    if head.startswith(b"%PDF"):
        kind = "a PDF document"
    elif head.startswith(b"PK\x03\x04"):
        kind = "a ZIP archive (e.g. an Office document)"
    elif head.startswith(b"\x1f\x8b"):
        kind = "gzip-compressed data"
    elif head[:1] in (b"{", b"["):
        kind = "JSON"
    elif head.startswith(b"MIME-Version") or head.startswith(b"Content-Type"):
        kind = "a MIME message (unwrap the payload first)"
    else:
        kind = "data that does not start with '<'"
    return f"XML refused: not XML, the input looks like {kind} (starts with {data[:16]!r})"


def _refuse_entities(doctype: _Doctype) -> None:
    """Raise the most specific error for what the DOCTYPE declares, if anything."""
    external = [e for e in doctype.entities if e.external_id is not None]
    if external:
        e = external[0]
        kind = "parameter entity" if e.parameter else "external entity"
        raise ExternalEntityError(
            f"XML refused: the DOCTYPE declares {kind} {e.name!r} pointing at "
            f"{str(e.external_id)[:120]!r} (XML external entity, XXE); "
            "documents that declare entities are not accepted"
        )
    nested = [e for e in doctype.entities if e.value and _REF_RE.search(e.value)]
    if nested:
        names = ", ".join(repr(e.name) for e in nested[:5])
        raise EntityExpansionError(
            f"XML refused: the DOCTYPE declares entities built from other entities ({names}); "
            "this is the exponential entity expansion ('billion laughs') pattern; "
            "documents that declare entities are not accepted"
        )
    if doctype.entities:
        biggest = max(doctype.entities, key=lambda e: len(e.value or ""))
        raise InternalEntityError(
            f"XML refused: the DOCTYPE declares {len(doctype.entities)} internal entit"
            f"{'y' if len(doctype.entities) == 1 else 'ies'} (largest {biggest.name!r}, "
            f"{len(biggest.value or '')} characters); referenced many times an entity expands "
            "quadratically; documents that declare entities are not accepted"
        )
    if doctype.pe_references:
        raise EntityReferenceError(
            f"XML refused: the DOCTYPE references parameter entity "
            f"%{doctype.pe_references[0]}; which would pull in external declarations; "
            "documents that use entities are not accepted"
        )


def _refuse_disguising_encodings(s: str) -> None:
    """Refuse encodings in which markup need not be ASCII (``+ADw-`` is ``<`` in UTF-7)."""
    m = _DECLARED_ENCODING_RE.match(s)
    if m is None:
        return
    name = re.sub(r"[^a-z0-9]", "", m.group(1).lower())
    if name in _REFUSED_ENCODINGS:
        raise XMLEncodingError(
            f"XML refused: declared encoding {m.group(1)!r} is not accepted "
            "(it can disguise markup); use UTF-8, UTF-16 or an ISO-8859 encoding"
        )


def _prescan(data: bytes) -> None:
    """Refuse empty, non-XML and entity-declaring input before libxml2 sees it."""
    s = _scan_text(data)
    _refuse_disguising_encodings(s.lstrip("\ufeff"))
    n = len(s)
    i = 0
    if s.startswith("\ufeff"):
        i = 1
    seen_markup = False
    while True:
        i = _skip_ws(s, i)
        if i >= n:
            if not seen_markup:
                raise EmptyXMLError("XML refused: the input is empty (no root element)")
            raise TruncatedXMLError("XML truncated: the data ends before the root element")
        if s.startswith("<?", i):
            i = _skip_past(s, i + 2, "?>", "the XML declaration or a processing instruction")
        elif s.startswith("<!--", i):
            i = _skip_past(s, i + 4, "-->", "a comment")
        elif s.startswith("<!DOCTYPE", i):
            doctype, i = _scan_doctype(s, i)
            _refuse_entities(doctype)
        elif s.startswith("<", i):
            return
        else:
            if seen_markup:
                raise MalformedXMLError(
                    f"XML malformed: unexpected {s[i]!r} before the root element"
                )
            raise NotXMLError(_describe_non_xml(data))
        seen_markup = True


# --------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------

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


def clark_name(el: etree._Element) -> str:
    """``{namespace}local`` (or ``local`` without a namespace) of an element."""
    q = etree.QName(el)
    return f"{{{q.namespace}}}{q.localname}" if q.namespace else str(q.localname)


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


# --------------------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------------------


class Finding(NamedTuple):
    """One validation finding: the line in the validated document and libxml2's message."""

    line: int
    message: str


# lxml stores the last validation's error log on the schema object: serialise its use.
_VALIDATION_LOCK: Final = threading.Lock()


def _schema_parser() -> Any:
    # Schema files are local and trusted, but still never fetched from the network.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@cache
def _load_xsd(path: str) -> Any:
    try:
        return etree.XMLSchema(etree.parse(path, _schema_parser()))
    except (OSError, etree.LxmlError) as exc:
        raise XMLLoadError(f"cannot load XML schema {path}: {exc}") from None


@cache
def _load_dtd(path: str) -> Any:
    try:
        return etree.DTD(path)
    except (OSError, etree.LxmlError) as exc:
        raise XMLLoadError(f"cannot load DTD {path}: {exc}") from None


def load_xsd(path: str | Path) -> Any:
    """The ``etree.XMLSchema`` at ``path``, loaded once per (resolved) path."""
    return _load_xsd(str(Path(path).resolve()))


def load_dtd(path: str | Path) -> Any:
    """The ``etree.DTD`` at ``path``, loaded once per (resolved) path."""
    return _load_dtd(str(Path(path).resolve()))


def _findings(log: Any) -> list[Finding]:
    return [Finding(int(e.line), str(e.message)) for e in log]


def validate_xsd(el: Any, schema: Any) -> list[Finding]:
    """Validate ``el`` (element or tree) against an ``XMLSchema``; ``[]`` when valid."""
    with _VALIDATION_LOCK:
        if schema.validate(el):
            return []
        return _findings(schema.error_log)


def validate_dtd(el: Any, dtd: Any) -> list[Finding]:
    """Validate ``el`` (element or tree) against a ``DTD``; ``[]`` when valid."""
    with _VALIDATION_LOCK:
        if dtd.validate(el):
            return []
        return _findings(dtd.error_log)
