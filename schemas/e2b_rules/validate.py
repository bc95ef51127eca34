"""Entry points: :func:`validate_batch` (a parsed batch) and :func:`validate_file` (bytes:
safe load, optional XSD, per-ICSR parse, business rules), and :func:`inspect_file`, which
also returns what the receiving side needs to acknowledge the file."""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, Final

from schemas.e2b_r3 import parse_batch
from schemas.e2b_r3.model import R3Batch, R3Message
from schemas.e2b_rules.base import Sink
from schemas.e2b_rules.findings import Finding, Profile, Severity, ValidationReport
from schemas.e2b_rules.paths import BATCH, MessagePaths
from schemas.e2b_rules.regional import (
    ema_batch,
    ema_message,
    fda_batch,
    fda_message,
    to_fda,
)
from schemas.e2b_rules.rules_case import (
    check_drugs,
    check_narrative,
    check_patient,
    check_reactions,
    check_tests,
)
from schemas.e2b_rules.rules_report import (
    check_batch_header,
    check_message_header,
    check_report,
)
from schemas.e2b_rules.xml_rules import (
    check_batch_codes,
    check_message_xml,
    element_path,
    message_id_of,
)
from schemas.xml_safety import XMLLoadError, load_xml, load_xsd, validate_xsd

__all__ = [
    "BATCH_XSD",
    "R3_ROOT",
    "FileInspection",
    "MessageEntry",
    "inspect_file",
    "validate_batch",
    "validate_file",
]

R3_ROOT: Final = "{urn:hl7-org:v3}MCCI_IN200100UV01"
_MESSAGE_TAG: Final = "{urn:hl7-org:v3}PORR_IN049016UV"
#: Path of the ICSR batch schema below ``schemas_dir`` (the ICH distribution's layout).
BATCH_XSD: Final = Path("multicacheschemas") / "MCCI_IN200100UV01.xsd"
#: What the parser may raise on content outside the mapping (never a blind ``Exception``).
_PARSE_ERRORS: Final = (ValueError, TypeError, KeyError, AttributeError, IndexError)


def _profile(profile: Profile | str) -> Profile:
    return profile if isinstance(profile, Profile) else Profile(profile)


def _check_message(
    batch: R3Batch, message: R3Message, index: int, profile: Profile, today: date
) -> list[Finding]:
    p = MessagePaths(index)
    sink = Sink(message.message_id, today)
    icsr = message.icsr
    check_message_header(batch, message, p, sink)
    check_report(message, p, sink)
    check_patient(icsr, p, sink)
    check_reactions(icsr, p, sink)
    check_tests(icsr, p, sink)
    check_drugs(icsr, p, sink)
    check_narrative(icsr, p, sink)
    if profile is Profile.FDA:
        fda_message(batch, message, p, sink)
        return to_fda(sink.items, message)
    if profile is Profile.EMA:
        ema_message(message, p, sink)
    return sink.items


def _check_header(batch: R3Batch, profile: Profile, today: date) -> list[Finding]:
    sink = Sink(None, today)
    check_batch_header(batch, sink)
    if profile is Profile.FDA:
        fda_batch(batch, sink)
        return to_fda(sink.items, None)
    if profile is Profile.EMA:
        ema_batch(batch, sink)
    return sink.items


def _xml_findings(msg_el: Any, profile: Profile) -> list[Finding]:
    found = check_message_xml(msg_el)
    return to_fda(found, None) if profile is Profile.FDA else found


def validate_batch(
    batch: R3Batch,
    profile: Profile | str,
    *,
    today: date,
    source: Any | None = None,
) -> tuple[Finding, ...]:
    """Every business-rule finding for ``batch`` under ``profile``.

    ``source`` is the ``MCCI_IN200100UV01`` element the batch was parsed from; with it the
    XML-only rules (code lists, seriousness flags) run too. ``today`` is the reference for
    "no future dates" (pass the receiving day; never read from the clock here).
    """
    prof = _profile(profile)
    findings = _check_header(batch, prof, today)
    msg_elements: list[Any] = []
    if source is not None:
        findings.extend(check_batch_codes(source))
        msg_elements = [c for c in source if c.tag == _MESSAGE_TAG]
    for index, message in enumerate(batch.messages, start=1):
        if len(msg_elements) == len(batch.messages):
            findings.extend(_xml_findings(msg_elements[index - 1], prof))
        findings.extend(_check_message(batch, message, index, prof, today))
    return tuple(findings)


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageEntry:
    """One ``PORR_IN049016UV`` of a file, as far as it could be read."""

    index: int  # 1-based position in the batch
    message_id: str  # N.2.r.1 (from the XML even when the ICSR did not parse)
    message_date: str | None  # N.2.r.4 as sent (HL7 TS string)
    sender_id: str | None  # N.2.r.2
    receiver_id: str | None  # N.2.r.3
    message: R3Message | None  # None when the ICSR could not be parsed
    findings: tuple[Finding, ...]

    @property
    def accepted(self) -> bool:
        return self.message is not None and not any(f.is_reject for f in self.findings)


@dataclass(frozen=True, slots=True, kw_only=True)
class FileInspection:
    """Everything :func:`inspect_file` learnt: the report, the parsed batch (only the ICSRs
    that parsed), the raw batch header and the per-ICSR entries."""

    report: ValidationReport
    batch: R3Batch | None
    header: dict[str, str | None]
    entries: tuple[MessageEntry, ...]
    batch_rejected: bool  # a batch-level REJECT: the whole file is refused (ACK AR)


def _reject(rule_id: str, element: str, message: str, line: int | None = None) -> Finding:
    return Finding(
        rule_id=rule_id,
        element_id=element,
        xpath=BATCH,
        severity=Severity.REJECT,
        message=message,
        line=line,
    )


def _raw_header(root: Any) -> dict[str, str | None]:
    def attr(*tags: str, name: str) -> str | None:
        el = root
        for tag in tags:
            el = el.find(f"{{urn:hl7-org:v3}}{tag}") if el is not None else None
        return None if el is None else el.get(name)

    return {
        "N.1.2": attr("id", name="extension"),
        "N.1.3": attr("sender", "device", "id", name="extension"),
        "N.1.4": attr("receiver", "device", "id", name="extension"),
        "N.1.5": attr("creationTime", name="value"),
    }


def _failed(findings: list[Finding], report_findings: tuple[Finding, ...] = ()) -> FileInspection:
    all_findings = tuple(findings) + report_findings
    return FileInspection(
        report=ValidationReport.of(all_findings),
        batch=None,
        header={},
        entries=(),
        batch_rejected=True,
    )


def inspect_file(
    data: bytes,
    profile: Profile | str,
    *,
    schemas_dir: Path | None,
    today: date,
    max_bytes: int | None = None,
    root: Any | None = None,
) -> FileInspection:
    """Validate ``data`` like a regulator and keep what an acknowledgement needs.

    Never raises for bad input: a refused load, a schema-invalid file or an unreadable batch
    header becomes a single batch-level REJECT (``LOAD``, ``XSD`` per schema error,
    ``PARSE``); an ICSR that cannot be parsed gets its own ``PARSE`` REJECT unless an
    XML-level rule already explains it, and the other ICSRs are still validated. A missing
    schema file is a configuration error and does raise.

    ``root``: ``data`` already loaded by the caller with :func:`load_xml` under the same limits
    (its root ``MCCI_IN200100UV01``), so a large batch is not parsed twice; it is not changed.
    """
    prof = _profile(profile)
    if root is None or root.tag != R3_ROOT:
        try:
            kwargs: dict[str, Any] = {"expected_roots": R3_ROOT}
            if max_bytes is not None:
                kwargs["max_bytes"] = max_bytes
            root = load_xml(data, **kwargs)
        except XMLLoadError as exc:
            return _failed([_reject("LOAD", "N.1", str(exc), exc.line)])
    if schemas_dir is not None:
        schema = load_xsd(Path(schemas_dir) / BATCH_XSD)
        xsd = [
            _reject("XSD", "N.1", f"line {f.line}: {f.message}", f.line)
            for f in validate_xsd(root, schema)
        ]
        if xsd:
            return _failed(xsd)
    header = _raw_header(root)
    skeleton = copy.copy(root)
    for child in list(skeleton):
        if child.tag == _MESSAGE_TAG:
            skeleton.remove(child)
    try:
        batch = parse_batch(skeleton)
    except _PARSE_ERRORS as exc:
        return _failed([_reject("PARSE", "N.1", f"batch header: {exc}")])
    batch_findings = check_batch_codes(root)
    entries: list[MessageEntry] = []
    parsed: list[tuple[int, R3Message]] = []
    msg_elements = [c for c in root if c.tag == _MESSAGE_TAG]
    for index, el in enumerate(msg_elements, start=1):
        entry_findings = _xml_findings(el, prof)
        message: R3Message | None = None
        single = copy.copy(skeleton)
        single.append(copy.deepcopy(el))
        try:
            message = parse_batch(single).messages[0]
        except _PARSE_ERRORS as exc:
            if not any(f.is_reject for f in entry_findings):
                entry_findings.append(
                    replace(
                        _reject("PARSE", "N.2.r", f"ICSR {index} could not be read: {exc}"),
                        xpath=element_path(el),
                        message_id=message_id_of(el) or f"#{index}",
                        line=el.sourceline,
                    )
                )
        if message is not None:
            parsed.append((index, message))
        entries.append(_entry(index, el, message, entry_findings))
    full = replace(batch, messages=tuple(m for _, m in parsed))
    batch_findings.extend(_check_header(full, prof, today))
    for (index, message), pos in zip(parsed, _positions(entries, parsed), strict=True):
        more = _check_message(full, message, index, prof, today)
        entry = entries[pos]
        entries[pos] = replace(entry, findings=entry.findings + tuple(more))
    findings = tuple(batch_findings) + tuple(f for e in entries for f in e.findings)
    report = ValidationReport.of(findings, tuple(e.message_id for e in entries))
    return FileInspection(
        report=report,
        batch=full,
        header=header,
        entries=tuple(entries),
        batch_rejected=any(f.is_reject for f in batch_findings),
    )


def _positions(entries: list[MessageEntry], parsed: list[tuple[int, R3Message]]) -> list[int]:
    by_index = {e.index: pos for pos, e in enumerate(entries)}
    return [by_index[index] for index, _ in parsed]


def _entry(index: int, el: Any, message: R3Message | None, found: list[Finding]) -> MessageEntry:
    def device(tag: str) -> str | None:
        dev = el.find(f"{{urn:hl7-org:v3}}{tag}/{{urn:hl7-org:v3}}device/{{urn:hl7-org:v3}}id")
        return None if dev is None else dev.get("extension")

    created = el.find("{urn:hl7-org:v3}creationTime")
    return MessageEntry(
        index=index,
        message_id=message_id_of(el) or f"#{index}",
        message_date=None if created is None else created.get("value"),
        sender_id=device("sender"),
        receiver_id=device("receiver"),
        message=message,
        findings=tuple(found),
    )


def validate_file(
    data: bytes,
    profile: Profile | str,
    *,
    schemas_dir: Path | None,
    today: date,
) -> ValidationReport:
    """Safe load -> XSD (when ``schemas_dir`` is given) -> parse -> business rules.

    See :func:`inspect_file`; this returns only its report.
    """
    return inspect_file(data, profile, schemas_dir=schemas_dir, today=today).report
