"""What a stored inbound message holds, by channel: reports to assess, documents to keep,
and what needs a person (triage). One place decides how each format is read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from channels.parsing.email_mime import Attachment, parse_email
from channels.parsing.openfda import icsr_from_openfda
from channels.parsing.twilio_form import parse_twilio_form
from channels.parsing.web_form import WebFormError, icsr_from_web_form, parse_web_form
from gateway.domain.icsr import ICSR
from gateway.errors import GatewayError
from schemas.xml_safety import XMLLoadError, load_xml

R3_ROOT = "{urn:hl7-org:v3}MCCI_IN200100UV01"
R2_ROOT = "ichicsr"


@dataclass(frozen=True, slots=True)
class TextReport:
    """Free text written by a person: the normaliser reads it."""

    text: str
    sender_address: str | None = None
    sender_phone: str | None = None
    display_name: str | None = None
    source_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StructuredReport:
    """A report that arrives as data (E2B ICSR, web form, upstream event)."""

    icsr: ICSR
    origin: str  # "E2B_R3", "E2B_R2", "WEB_FORM", "OPENFDA"
    source_ids: tuple[str, ...] = ()
    not_carried: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TriageNote:
    kind: str
    reason: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class E2BFile:
    """An E2B file that came in (alone or attached): imported ICSR by ICSR, maybe ACKed."""

    data: bytes
    filename: str | None = None


@dataclass(frozen=True, slots=True)
class Extraction:
    reports: tuple[TextReport | StructuredReport, ...] = ()
    e2b_files: tuple[E2BFile, ...] = ()
    documents: tuple[Attachment, ...] = ()
    triage: tuple[TriageNote, ...] = ()
    #: delivery receipts and the like: stored, but not a report
    not_a_report: bool = False


def _json(payload: bytes) -> Any:
    return json.loads(payload.decode("utf-8"))


def _from_json(payload: bytes, channel: str) -> Extraction:
    try:
        data = _json(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Extraction(triage=(TriageNote("unreadable_json", f"{channel}: not JSON: {exc}"),))
    events = data if isinstance(data, list) else [data]
    if events and all(isinstance(e, dict) and "safetyreportid" in e for e in events):
        reports = []
        triage = []
        for event in events:
            try:
                mapped = icsr_from_openfda(event)
            except ValueError as exc:
                triage.append(TriageNote("unreadable_event", str(exc)))
                continue
            reports.append(
                StructuredReport(
                    icsr=mapped.icsr,
                    origin="OPENFDA",
                    source_ids=(f"openfda:{event['safetyreportid']}",),
                    not_carried=mapped.not_carried,
                )
            )
        return Extraction(reports=tuple(reports), triage=tuple(triage))
    try:
        form = parse_web_form(payload)
    except WebFormError as exc:
        return Extraction(
            triage=(
                TriageNote(
                    "invalid_form",
                    f"{channel}: the form does not have the expected shape",
                    {"fields": exc.fields},
                ),
            )
        )
    origin_ids = (f"form:{form.report_id}",) if form.report_id else ()
    return Extraction(
        reports=(
            StructuredReport(
                icsr=icsr_from_web_form(form), origin="WEB_FORM", source_ids=origin_ids
            ),
        )
    )


def _from_email(payload: bytes) -> Extraction:
    mail = parse_email(payload)
    e2b = tuple(E2BFile(a.data, a.filename) for a in mail.attachments if a.is_xml)
    documents = tuple(a for a in mail.attachments if not a.is_xml)
    triage: list[TriageNote] = []
    if not mail.readable:
        triage.append(
            TriageNote(
                "malformed_email",
                "the e-mail has no readable text or attachment; the raw message is kept",
                {"defects": list(mail.defects)},
            )
        )
    elif mail.defects:
        triage.append(
            TriageNote(
                "email_defects",
                "the e-mail was read despite MIME defects",
                {"defects": list(mail.defects)},
            )
        )
    reports: tuple[TextReport, ...] = ()
    text = mail.text.strip()
    # A message that only carries E2B files (a partner's transmission) is not a text report.
    if text and not (e2b and len(text) < 400):
        reports = (
            TextReport(
                text=f"{mail.subject}\n\n{text}" if mail.subject else text,
                sender_address=mail.from_address,
                display_name=mail.from_name,
                source_ids=(f"msgid:{mail.message_id}",) if mail.message_id else (),
            ),
        )
    return Extraction(reports=reports, e2b_files=e2b, documents=documents, triage=tuple(triage))


def _from_twilio(payload: bytes) -> Extraction:
    try:
        message = parse_twilio_form(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        return Extraction(triage=(TriageNote("unreadable_message", str(exc)),))
    if message.status is not None and not message.body:
        return Extraction(not_a_report=True)  # a delivery status callback
    if not message.body.strip():
        return Extraction(
            triage=(
                TriageNote(
                    "empty_message",
                    "a message with no text (media only?)",
                    {"media": len(message.media_urls)},
                ),
            )
        )
    return Extraction(
        reports=(
            TextReport(
                text=message.body,
                sender_phone=message.from_number,
                display_name=message.profile_name,
                source_ids=(f"sid:{message.sid}",),
            ),
        )
    )


def _is_xml(payload: bytes) -> bool:
    return payload.lstrip()[:1] == b"<" or payload[:3] == b"\xef\xbb\xbf"


def extract(channel: str, content_type: str, payload: bytes) -> Extraction:
    """Never raises for bad content: what cannot be read becomes a triage note."""
    try:
        if channel == "EMAIL":
            return _from_email(payload)
        if channel in {"SMS", "WHATSAPP"}:
            return _from_twilio(payload)
        if channel == "E2B_FILE" or (channel == "FOLDER" and _is_xml(payload)):
            return Extraction(e2b_files=(E2BFile(payload),))
        if channel in {"WEB_FORM", "UPSTREAM_EVENT", "FOLDER"}:
            return _from_json(payload, channel)
    except (GatewayError, ValueError, LookupError) as exc:
        return Extraction(triage=(TriageNote("unreadable", f"{channel}: {exc}"),))
    return Extraction(triage=(TriageNote("unknown_channel", f"no reader for channel {channel}"),))


def e2b_root(data: bytes, max_bytes: int) -> str:
    """The root of an E2B file (R3 or R2); raises XMLLoadError for hostile or broken XML."""
    root = load_xml(data, max_bytes=max_bytes, expected_roots={R3_ROOT, R2_ROOT})
    return str(root.tag)


__all__ = [
    "E2BFile",
    "Extraction",
    "StructuredReport",
    "TextReport",
    "TriageNote",
    "XMLLoadError",
    "e2b_root",
    "extract",
]
