"""The identifier checks: the C.1.1 format, C.1.1 and C.1.8.1 unchanged from the previous
version and the same as the submissions carry, and the references inside the case."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gateway.domain.icsr import ICSR
from gateway.domain.quality.context import QualityContext
from gateway.domain.quality.items import CheckItem, Severity, check_item
from gateway.domain.submissions.kinds import INACTIVE, SubmissionStatus

#: C.1.1 as the gateway builds it: country (or EU), organisation, number
_C11 = re.compile(r"^[A-Z]{2}-[A-Z0-9]+-\S+$")


def identifier_checks(icsr: ICSR, context: QualityContext) -> list[CheckItem]:
    report = icsr.report
    c11 = (report.safety_report_id or "").strip() or None
    worldwide = (report.worldwide_case_id or "").strip() or None
    fmt: list[tuple[str, str]] = []
    if c11 is not None and not _C11.match(c11):
        fmt.append(
            ("report.safety_report_id", f"C.1.1 {c11!r} is not 'CC-ORG-number' (country-org-id)")
        )
    stable: list[tuple[str, str]] = []
    prev = context.previous.report if context.previous is not None else None
    if prev is not None:
        if prev.safety_report_id and c11 != prev.safety_report_id.strip():
            stable.append(
                (
                    "report.safety_report_id",
                    f"C.1.1 changed from {prev.safety_report_id!r} to {c11!r} "
                    "(it stays the same across a sender's follow-ups)",
                )
            )
        if prev.worldwide_case_id and worldwide != prev.worldwide_case_id.strip():
            stable.append(
                (
                    "report.worldwide_case_id",
                    f"C.1.8.1 changed from {prev.worldwide_case_id!r} to {worldwide!r} "
                    "(set once by the first sender, never changed)",
                )
            )
    active = [s for s in context.submissions if SubmissionStatus(s.status) not in INACTIVE]
    sent_c11 = _distinct(s.safety_report_id for s in active)
    sent_world = _distinct(s.worldwide_case_id for s in active)
    if len(sent_c11) > 1:
        stable.append(("report.safety_report_id", f"submissions carry different C.1.1: {sent_c11}"))
    elif sent_c11 and c11 is not None and c11 != sent_c11[0]:
        stable.append(
            ("report.safety_report_id", f"C.1.1 {c11!r} differs from the submitted {sent_c11[0]!r}")
        )
    if len(sent_world) > 1:
        stable.append(
            ("report.worldwide_case_id", f"submissions carry different C.1.8.1: {sent_world}")
        )
    elif sent_world and worldwide is not None and worldwide != sent_world[0]:
        stable.append(
            (
                "report.worldwide_case_id",
                f"C.1.8.1 {worldwide!r} differs from the submitted {sent_world[0]!r}",
            )
        )
    references = [(p.path, p.message) for p in icsr.validate_references()]
    return [
        check_item(
            "identifiers.format",
            "C.1.1 safety report id format",
            Severity.BLOCKING,
            fmt,
            ok="C.1.1 is 'CC-ORG-number'"
            if c11
            else "C.1.1 is assigned when the case is first submitted",
        ),
        check_item(
            "identifiers.stable",
            "C.1.1 and C.1.8.1 consistent across versions and submissions",
            Severity.BLOCKING,
            stable,
            ok="identifiers unchanged across versions and submissions",
        ),
        check_item(
            "identifiers.references",
            "Drug-reaction matrix and local ids",
            Severity.BLOCKING,
            references,
            ok="every G.k.9.i.1 names a reaction of the case; ids are unique",
        ),
    ]


def _distinct(values: Iterable[str | None]) -> list[str]:
    return sorted({v.strip() for v in values if v and v.strip()})
