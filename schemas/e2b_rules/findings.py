"""Finding, severity, profile and report types of the E2B(R3) business-rule validator."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = ["Finding", "Profile", "Severity", "ValidationReport", "rejects"]


class Severity(StrEnum):
    """REJECT: the receiver does not load the ICSR (or batch); WARN: loaded, reported back."""

    REJECT = "REJECT"
    WARN = "WARN"


class Profile(StrEnum):
    """Whose rules apply: the ICH core rules, or a regulator's on top of them."""

    ICH = "ich"
    EMA = "ema"
    FDA = "fda"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One broken rule.

    ``rule_id`` is stable (``ICH.C.1.1.format``, FDA's ``R0019``, ``EMA.N.1.4.receiver``,
    ``XSD``, ``LOAD``, ``PARSE``); ``element_id`` the E2B element (``E.i.7``, ``N.1.4``);
    ``xpath`` where it is, namespace prefixes omitted (HL7 default namespace ``urn:hl7-org:v3``)
    and 1-based positions; ``message_id`` the N.2.r.1 of the ICSR it belongs to, ``None``
    for batch-level findings; ``line`` the source line when known (XSD and XML-level rules).
    """

    rule_id: str
    element_id: str
    xpath: str
    severity: Severity
    message: str
    message_id: str | None = None
    line: int | None = None

    @property
    def is_reject(self) -> bool:
        return self.severity is Severity.REJECT

    def ack_text(self) -> str:
        """Short form for an ACK.B.r.7 / ACK.A.5 text: ``"R0019 C.2.r.3: ..."``."""
        return f"{self.rule_id} {self.element_id}: {self.message}"


def rejects(findings: tuple[Finding, ...] | list[Finding]) -> tuple[Finding, ...]:
    return tuple(f for f in findings if f.is_reject)


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationReport:
    """The outcome of validating one file.

    ``findings`` are all findings in document order; ``messages`` maps each ICSR's N.2.r.1
    to its own findings (batch-level findings, with ``message_id`` ``None``, are only in
    ``findings``); ``valid`` is True when no finding is a REJECT.
    """

    findings: tuple[Finding, ...]
    messages: Mapping[str, tuple[Finding, ...]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    valid: bool = True

    @classmethod
    def of(
        cls, findings: tuple[Finding, ...], message_ids: tuple[str, ...] = ()
    ) -> ValidationReport:
        per: dict[str, list[Finding]] = {m: [] for m in message_ids}
        for f in findings:
            if f.message_id is not None:
                per.setdefault(f.message_id, []).append(f)
        return cls(
            findings=findings,
            messages=MappingProxyType({k: tuple(v) for k, v in per.items()}),
            valid=not any(f.is_reject for f in findings),
        )

    @property
    def batch_findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.message_id is None)
