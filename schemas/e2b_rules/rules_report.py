"""ICH rules on the batch header (N.1), message header (N.2.r) and section C."""

from __future__ import annotations

import re
from collections import Counter
from functools import partial
from typing import Final

from gateway.domain.codes import Qualification, ReportType, SenderType
from gateway.domain.values import DatePrecision, PartialDate
from schemas.e2b_r3.model import R3Batch, R3Message
from schemas.e2b_rules.base import Sink, known
from schemas.e2b_rules.countries import is_country
from schemas.e2b_rules.paths import HEADER, MessagePaths

__all__ = ["check_batch_header", "check_message_header", "check_report"]

#: C.1.1 / C.1.8.1: ``CC-ORGNAME-NUMBER``, a two-letter country code first.
_CASE_ID: Final = re.compile(r"^(?P<cc>[A-Z]{2})-(?P<org>[^-\s][^\s]*?)-(?P<number>\S+)$")


def _precision(sink: Sink, element: str, xpath: str, value: object, need: DatePrecision) -> None:
    if isinstance(value, PartialDate) and value.precision < need:
        label = {DatePrecision.DAY: "CCYYMMDD", DatePrecision.SECOND: "CCYYMMDDhhmmss"}[need]
        sink.reject(
            f"ICH.{element}.precision",
            element,
            xpath,
            f"{element} does not contain minimum precision of {label} ({value.format()})",
        )


def check_batch_header(batch: R3Batch, sink: Sink) -> None:
    """N.1.x lengths, N.1.5 precision and future date, N.2.r.1 uniqueness."""
    sink.lengths("batch", batch, HEADER.__getitem__)
    _precision(sink, "N.1.5", HEADER["N.1.5"], batch.created_at, DatePrecision.SECOND)
    sink.future("N.1.5", HEADER["N.1.5"], batch.created_at)
    if not batch.messages:
        sink.reject("ICH.N.2.r.required", "N.2.r", HEADER["N.1.2"], "the batch has no ICSR")
    counts = Counter(m.message_id for m in batch.messages)
    for index, message in enumerate(batch.messages, start=1):
        if counts[message.message_id] > 1 and any(
            m.message_id == message.message_id for m in batch.messages[: index - 1]
        ):
            sink.reject(
                "ICH.N.2.r.1.unique",
                "N.2.r.1",
                MessagePaths(index).n2("N.2.r.1"),
                f"N.2.r.1 {message.message_id!r} is used by more than one ICSR of the batch",
            )


def check_message_header(batch: R3Batch, message: R3Message, p: MessagePaths, sink: Sink) -> None:
    """N.2.r lengths, precision, consistency with N.1.3 / C.1.1 / C.1.2."""
    sink.lengths("message", message, p.n2)
    _precision(sink, "N.2.r.4", p.n2("N.2.r.4"), message.created_at, DatePrecision.SECOND)
    sink.future("N.2.r.4", p.n2("N.2.r.4"), message.created_at)
    report = message.icsr.report
    if report.safety_report_id is not None and message.message_id != report.safety_report_id:
        sink.warn(
            "ICH.N.2.r.1.consistency",
            "N.2.r.1",
            p.n2("N.2.r.1"),
            f"N.2.r.1 {message.message_id!r} differs from C.1.1 {report.safety_report_id!r}",
        )
    if report.created_at is not None and message.created_at != report.created_at:
        sink.reject(
            "ICH.N.2.r.4.consistency",
            "N.2.r.4",
            p.n2("N.2.r.4"),
            f"N.2.r.4 {message.created_at.format()} must be the same as C.1.2 "
            f"{report.created_at.format()}",
        )
    if message.sender_id != batch.sender_id:
        sink.warn(
            "ICH.N.2.r.2.consistency",
            "N.2.r.2",
            p.n2("N.2.r.2"),
            f"N.2.r.2 {message.sender_id!r} does not match N.1.3 {batch.sender_id!r}",
        )


def _case_id_format(sink: Sink, element: str, xpath: str, value: str | None) -> None:
    if value is None:
        return
    match = _CASE_ID.match(value)
    if match is None:
        sink.reject(
            f"ICH.{element}.format",
            element,
            xpath,
            f"{element} {value!r} is not in the format country code-organisation-report number",
        )
    elif not is_country(match.group("cc")):
        sink.reject(
            f"ICH.{element}.format",
            element,
            xpath,
            f"{element} {value!r} does not start with an ISO 3166-1 country code (or EU)",
        )


def check_report(message: R3Message, p: MessagePaths, sink: Sink) -> None:
    """C.1 identification, C.2 primary sources, C.3 sender, C.4 literature."""
    icsr = message.icsr
    rep = icsr.report
    c12 = p.n2("C.1.2")
    mandatory = (
        ("C.1.1", rep.safety_report_id),
        ("C.1.2", rep.created_at),
        ("C.1.3", rep.report_type),
        ("C.1.4", rep.first_received),
        ("C.1.5", rep.most_recent_info),
        ("C.1.6.1", rep.additional_documents),
        ("C.1.7", rep.fulfils_expedited_criteria),
        ("C.1.8.1", rep.worldwide_case_id),
        ("C.1.8.2", rep.first_sender),
        ("C.1.9.1", rep.other_case_ids_exist),
    )
    for element, value in mandatory:
        sink.required(element, c12 if element == "C.1.2" else p.report(element), value)
    sink.lengths("report", rep, p.report)
    sink.null_flavors("report", rep, p.report)
    _case_id_format(sink, "C.1.1", p.report("C.1.1"), rep.safety_report_id)
    _case_id_format(sink, "C.1.8.1", p.report("C.1.8.1"), rep.worldwide_case_id)

    _precision(sink, "C.1.2", c12, rep.created_at, DatePrecision.SECOND)
    for element, value in (("C.1.4", rep.first_received), ("C.1.5", rep.most_recent_info)):
        _precision(sink, element, p.report(element), value, DatePrecision.DAY)
    sink.future("C.1.2", c12, rep.created_at)
    sink.future("C.1.4", p.report("C.1.4"), rep.first_received)
    sink.future("C.1.5", p.report("C.1.5"), rep.most_recent_info)
    sink.end_after_start(
        "C.1.5", "C.1.4", p.report("C.1.5"), rep.first_received, rep.most_recent_info
    )
    c15, c12v = rep.most_recent_info, rep.created_at
    if isinstance(c15, PartialDate) and isinstance(c12v, PartialDate) and c12v < c15:
        sink.warn(
            "ICH.C.1.2.order",
            "C.1.2",
            c12,
            f"C.1.2 ({c12v.format()}) is before C.1.5 ({c15.format()}): a report cannot be "
            "created before its most recent information",
        )

    if rep.additional_documents is True and not _has_document_title(message):
        sink.reject(
            "ICH.C.1.6.1.r.1.conditional",
            "C.1.6.1.r.1",
            p.report("C.1.6.1.r.1"),
            "C.1.6.1.r.1 must be provided when C.1.6.1 = true",
        )
    if rep.other_case_ids_exist is True and not any(
        o.source and o.case_id for o in rep.other_case_ids
    ):
        sink.reject(
            "ICH.C.1.9.1.r.conditional",
            "C.1.9.1.r",
            p.report("C.1.9.1.r"),
            "C.1.9.1.r.1 and C.1.9.1.r.2 must be provided when C.1.9.1 = true",
        )
    if rep.nullification_amendment is not None and not rep.nullification_amendment_reason:
        sink.reject(
            "ICH.C.1.11.2.conditional",
            "C.1.11.2",
            p.report("C.1.11.2"),
            "C.1.11.2 must be provided when C.1.11.1 is provided",
        )
    if rep.report_type is ReportType.STUDY and (
        icsr.study is None or icsr.study.study_type is None
    ):
        sink.reject(
            "ICH.C.5.4.conditional",
            "C.5.4",
            p.patient("C.5.4"),
            "C.5.4 must be provided when C.1.3 = 2 (report from study)",
        )
    _sources(message, p, sink)
    _sender(message, p, sink)
    for r, ref in enumerate(icsr.literature, start=1):
        sink.null_flavors("literature", ref, f"{p.report('C.4.r.1')}[{r}]")
        if isinstance(ref.reference, str) and len(ref.reference) > 500:
            sink.reject(
                "ICH.C.4.r.1.length",
                "C.4.r.1",
                f"{p.report('C.4.r.1')}[{r}]",
                f"maximum length exceeded for C.4.r.1: {len(ref.reference)} > 500 characters",
            )
    study = icsr.study
    if study is not None:
        sink.lengths("study", study, p.patient)
        sink.null_flavors("study", study, p.patient)
        for reg in study.registrations:
            sink.country("C.5.1.r.2", p.patient("C.5"), reg.country)


def _has_document_title(message: R3Message) -> bool:
    """C.1.6.1.r.1 present: in the model, or in a ``reference`` the parser kept opaque (e.g.
    a document whose inline content is not base64, as in FDA's Scenario 4 sample)."""
    if any(d.title for d in message.icsr.report.documents):
        return True
    return any(
        ext.anchor == "investigationEvent" and ext.tag == "reference" and b"<title" in ext.xml
        for ext in message.regional_extensions
    )


def _sources(message: R3Message, p: MessagePaths, sink: Sink) -> None:
    sources = message.icsr.primary_sources
    if not sources:
        sink.reject(
            "ICH.C.2.r.required",
            "C.2.r",
            p.source(1),
            "at least one primary source (C.2.r) is required",
        )
        return
    for r, src in enumerate(sources, start=1):
        sink.lengths("source", src, partial(p.source, r))
        sink.null_flavors("source", src, partial(p.source, r))
        sink.country("C.2.r.3", p.source(r, "C.2.r.3"), src.country)
        sink.required("C.2.r.4", p.source(r, "C.2.r.4"), src.qualification, f"primary source {r}")
    flagged = [r for r, s in enumerate(sources, start=1) if s.primary_for_regulatory_purposes]
    if len(flagged) != 1:
        sink.reject(
            "ICH.C.2.r.5.conditional",
            "C.2.r.5",
            p.source(flagged[1] if len(flagged) > 1 else 1, "C.2.r.5"),
            f"C.2.r.5 = 1 must be set once and only once (found {len(flagged)})",
        )
    else:
        primary = sources[flagged[0] - 1]
        if primary.country is None:
            sink.reject(
                "ICH.C.2.r.3.conditional",
                "C.2.r.3",
                p.source(flagged[0], "C.2.r.3"),
                "C.2.r.3 must be provided for the primary source for regulatory purposes",
            )
    if not any(_identifiable(s) for s in sources):
        sink.reject(
            "ICH.C.2.r.identifiable",
            "C.2.r",
            p.source(1),
            "no identifiable reporter: none of C.2.r.1.x, C.2.r.2.x, C.2.r.4 is known "
            "(minimum criteria)",
        )


def _identifiable(src: object) -> bool:
    names = [
        "title",
        "given_name",
        "middle_name",
        "family_name",
        "organisation",
        "department",
        "street",
        "city",
        "state",
        "postcode",
        "telephone",
        "email",
    ]
    if any(known(getattr(src, n, None)) for n in names):
        return True
    return isinstance(getattr(src, "qualification", None), Qualification)


def _sender(message: R3Message, p: MessagePaths, sink: Sink) -> None:
    sender = message.icsr.sender
    if sender is None or sender.sender_type is None:
        sink.required("C.3.1", p.sender("C.3.1"), None)
    if sender is None:
        return
    sink.lengths("sender", sender, p.sender)
    sink.country("C.3.4.5", p.sender("C.3.4.5"), sender.country)
    if sender.sender_type not in (None, SenderType.PATIENT_OR_CONSUMER) and not sender.organisation:
        sink.reject(
            "ICH.C.3.2.conditional",
            "C.3.2",
            p.sender("C.3.2"),
            "C.3.2 must be provided when C.3.1 is not 7 (patient / consumer)",
        )
