"""The prolog scan: find the DOCTYPE and every entity declaration before libxml2 parses
anything, and refuse empty, non-XML, entity-declaring (XXE, billion laughs, quadratic
blow-up) and markup-disguising input."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Final

from schemas.xml_safety.errors import (
    EmptyXMLError,
    EntityExpansionError,
    EntityReferenceError,
    ExternalEntityError,
    InternalEntityError,
    MalformedXMLError,
    NotXMLError,
    TruncatedXMLError,
    XMLEncodingError,
)

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
