"""Schema helpers: load an XSD or DTD once per path, validate against it."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any, Final, NamedTuple

from lxml import etree

from schemas.xml_safety.errors import XMLLoadError


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
