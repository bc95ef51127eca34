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

Layout: :mod:`.errors` (the refusals), :mod:`.prescan` (the DOCTYPE / entity scan before
libxml2), :mod:`.parser` (parser settings, libxml2 error translation, tree check),
:mod:`.loader` (:func:`load_xml`), :mod:`.validation` (schema helpers).
"""

from schemas.xml_safety.errors import (
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
)
from schemas.xml_safety.loader import DEFAULT_MAX_BYTES, clark_name, load_xml
from schemas.xml_safety.validation import Finding, load_dtd, load_xsd, validate_dtd, validate_xsd

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
