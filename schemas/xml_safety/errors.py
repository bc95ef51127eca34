"""Every refusal of the hardened XML loader, under one root, :class:`XMLLoadError`."""

from __future__ import annotations

from gateway.errors import DecodeError, GatewayError, PayloadTooLargeError


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
