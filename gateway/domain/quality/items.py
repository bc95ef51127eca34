"""What the checklist gives: one ``CheckItem`` per check, gathered in a ``QualityReport``."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    BLOCKING = "blocking"
    WARNING = "warning"


class CheckResult(StrEnum):
    PASS = "pass"  # noqa: S105 (a check outcome, not a secret)
    FAIL = "fail"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckItem:
    id: str
    title: str
    severity: Severity
    result: CheckResult
    message: str
    paths: tuple[str, ...] = ()

    @property
    def blocks(self) -> bool:
        return self.result is CheckResult.FAIL and self.severity is Severity.BLOCKING

    def as_mapping(self) -> dict[str, object]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "result": self.result.value,
            "message": self.message,
            "paths": list(self.paths),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class QualityReport:
    items: tuple[CheckItem, ...]
    meddra_version: str | None = None
    serious: bool = False

    @property
    def blocking_failures(self) -> tuple[CheckItem, ...]:
        return tuple(i for i in self.items if i.blocks)

    @property
    def warnings(self) -> tuple[CheckItem, ...]:
        return tuple(
            i for i in self.items if i.result is CheckResult.FAIL and i.severity is Severity.WARNING
        )

    @property
    def passed(self) -> bool:
        """True when nothing blocking failed (warnings may remain)."""
        return not self.blocking_failures


def check_item(
    check_id: str,
    title: str,
    severity: Severity,
    problems: list[tuple[str, str]] | None = None,
    *,
    ok: str,
    applicable: bool = True,
) -> CheckItem:
    """One item: PASS with ``ok`` when ``problems`` (path, message) is empty, else FAIL
    naming each."""
    if not applicable:
        return CheckItem(
            id=check_id,
            title=title,
            severity=severity,
            result=CheckResult.NOT_APPLICABLE,
            message=ok,
        )
    if not problems:
        return CheckItem(
            id=check_id, title=title, severity=severity, result=CheckResult.PASS, message=ok
        )
    return CheckItem(
        id=check_id,
        title=title,
        severity=severity,
        result=CheckResult.FAIL,
        message="; ".join(dict.fromkeys(m for _, m in problems)),
        paths=tuple(dict.fromkeys(p for p, _ in problems)),
    )
