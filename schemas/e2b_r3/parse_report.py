"""Parse section C (and H.1, H.5) from ``investigationEvent``; delegates D-G and H.2-4."""

from __future__ import annotations

import re

from gateway.domain.codes import (
    FirstSender,
    NullificationAmendment,
    Qualification,
    ReportType,
    SenderType,
)
from gateway.domain.icsr import ICSR
from gateway.domain.narrative import NativeLanguageSummary
from gateway.domain.report import (
    Document,
    LiteratureReference,
    OtherCaseId,
    PrimarySource,
    ReportIdentification,
    Sender,
)
from gateway.domain.values import NullFlavor
from schemas.e2b_r3 import oids
from schemas.e2b_r3.parse_assessment import parse_assessment
from schemas.e2b_r3.xml import (
    E2BR3Error,
    Element,
    Extras,
    attr_or_nf,
    bl,
    child_map,
    code_in,
    code_of,
    first,
    kids,
    null_flavor,
    path,
    replace,
    str_or_nf,
    text,
    ts,
)

ANCHOR = "investigationEvent"
_WS = re.compile(r"\s+")


def parse_icsr(ie: Element, created_at: Element | None, extras: Extras) -> ICSR:
    """Read one ``investigationEvent`` (plus C.1.2 from ``controlActProcess``)."""
    rep: dict[str, object] = {"created_at": ts(created_at)}
    documents: list[Document] = []
    literature: list[LiteratureReference] = []
    sources: list[PrimarySource] = []
    other_ids: list[OtherCaseId] = []
    linked: list[str] = []
    natives: list[NativeLanguageSummary] = []
    sender: Sender | None = None
    case_narrative: str | None = None
    icsr = ICSR()
    for tag, child in kids(ie):
        if tag == "id":
            root = child.get("root")
            if root == oids.MESSAGE_ID and "safety_report_id" not in rep:
                rep["safety_report_id"] = child.get("extension")
            elif root == oids.WORLDWIDE_CASE_ID and "worldwide_case_id" not in rep:
                rep["worldwide_case_id"] = child.get("extension")
            else:
                extras.keep(ANCHOR, ie, child)
        elif tag in ("code", "statusCode"):
            continue  # fixed: PAT_ADV_EVNT / active
        elif tag == "text":
            case_narrative = text(child)
        elif tag == "effectiveTime":
            rep["first_received"] = ts(first(child, "low"))
        elif tag == "availabilityTime":
            rep["most_recent_info"] = ts(child)
        elif tag == "reference" and _reference(child, documents, literature):
            continue
        elif tag == "component":
            aea = first(child, "adverseEventAssessment")
            if aea is not None:
                icsr = parse_assessment(aea, extras)
            elif not _component(first(child, "observationEvent"), rep, natives):
                extras.keep(ANCHOR, ie, child)
        elif tag == "outboundRelationship":
            if not _outbound(child, rep, sources, linked):
                extras.keep(ANCHOR, ie, child)
        elif tag == "subjectOf1":
            found = _subject_of1(child, other_ids)
            if isinstance(found, Sender):
                sender = found
            elif found is None:
                extras.keep(ANCHOR, ie, child)
        elif tag == "subjectOf2":
            if not _characteristic(first(child, "investigationCharacteristic"), rep):
                extras.keep(ANCHOR, ie, child)
        else:
            extras.keep(ANCHOR, ie, child)
    report = ReportIdentification(
        documents=tuple(documents),
        other_case_ids=tuple(other_ids),
        linked_report_ids=tuple(linked),
        **rep,  # type: ignore[arg-type]
    )
    narrative = replace(
        icsr.narrative,
        case_narrative=case_narrative,
        native_language_summaries=tuple(natives),
    )
    return replace(
        icsr,
        report=report,
        primary_sources=tuple(sources),
        sender=sender,
        literature=tuple(literature),
        narrative=narrative,
    )


def _document(doc: Element) -> Document:
    body = first(doc, "text")
    content: str | None = None
    media_type = compression = url = None
    if body is not None:
        media_type = body.get("mediaType")
        compression = body.get("compression")
        ref = first(body, "reference")
        url = ref.get("value") if ref is not None else None
        raw = (body.text or "") + "".join(c.tail or "" for c in body)
        raw = _WS.sub("", raw)
        content = raw or None
    try:
        return Document(
            title=text(first(doc, "title")),
            media_type=media_type,
            content_base64=content,
            compression=compression,
            url=url,
        )
    except ValueError as exc:
        raise E2BR3Error(f"C.1.6.1.r.2 / C.4.r.2: {exc}") from None


def _reference(
    ref: Element, documents: list[Document], literature: list[LiteratureReference]
) -> bool:
    """C.1.6.1.r / C.4.r; False (kept opaque, byte for byte) when the inline content is not
    valid base64 -- FDA's Scenario 4 sample has such a document."""
    try:
        return _reference_or_raise(ref, documents, literature)
    except E2BR3Error:
        return False


def _reference_or_raise(
    ref: Element, documents: list[Document], literature: list[LiteratureReference]
) -> bool:
    doc = first(ref, "document")
    code, system = code_of(doc)
    if doc is None or system != oids.CL_DOCUMENT:
        return False
    if code == "1":
        documents.append(_document(doc))
        return True
    if code == "2":
        reference = str_or_nf(first(doc, "bibliographicDesignationText"))
        has_body = first(doc, "text") is not None
        literature.append(
            LiteratureReference(reference=reference, document=_document(doc) if has_body else None)
        )
        return True
    return False


def _component(
    obs: Element | None, rep: dict[str, object], natives: list[NativeLanguageSummary]
) -> bool:
    if obs is None:
        return False
    parts = child_map(obs)
    code, system = code_in(parts)
    if system != oids.CL_OBSERVATION:
        return False
    value = parts.get("value")
    if code == oids.OBS_ADDITIONAL_DOCUMENTS and "additional_documents" not in rep:
        flag = bl(value)
        rep["additional_documents"] = None if isinstance(flag, NullFlavor) else flag
        return True
    if code == oids.OBS_EXPEDITED and "fulfils_expedited_criteria" not in rep:
        rep["fulfils_expedited_criteria"] = bl(value)
        return True
    if code == oids.OBS_NATIVE_SUMMARY and value is not None:
        natives.append(NativeLanguageSummary(text=value.text or "", language=value.get("language")))
        return True
    return False


def _outbound(
    rel: Element, rep: dict[str, object], sources: list[PrimarySource], linked: list[str]
) -> bool:
    inv = first(rel, "relatedInvestigation")
    c = first(inv, "code")
    if inv is None or c is None:
        return False
    event = path(inv, "subjectOf2", "controlActEvent")
    if c.get("nullFlavor") == "NA":  # C.1.10.r linked report
        ident = first(event, "id")
        if ident is None or ident.get("root") != oids.WORLDWIDE_CASE_ID:
            return False
        linked.append(ident.get("extension") or "")
        return True
    if c.get("codeSystem") != oids.CL_RELATED_INVESTIGATION:
        return False
    entity = path(event, "author", "assignedEntity")
    if c.get("code") == "1" and "first_sender" not in rep:
        fs = first(entity, "code")
        rep["first_sender"] = FirstSender.from_code(fs.get("code")) if fs is not None else None
        return True
    if c.get("code") == "2":
        priority = first(rel, "priorityNumber")
        sources.append(
            _primary_source(entity, priority is not None and priority.get("value") == "1")
        )
        return True
    return False


def _telecoms(entity: Element | None) -> dict[str, object]:
    out: dict[str, object] = {}
    if entity is None:
        return out
    for tel in entity.iterchildren("{urn:hl7-org:v3}telecom"):
        value = tel.get("value")
        nf = null_flavor(tel)
        if value is None:
            if nf is not None:
                out.setdefault("telephone", nf)
            continue
        scheme, _, rest = value.partition(":")
        key = {"tel": "telephone", "fax": "fax", "mailto": "email"}.get(scheme)
        if key is None:
            raise E2BR3Error(f"telecom with unknown scheme: {value!r}")
        out.setdefault(key, rest)
    return out


def _name_parts(name: Element | None) -> dict[str, object]:
    out: dict[str, object] = {}
    if name is None:
        return out
    givens = 0
    for tag, part in kids(name):
        if tag == "prefix":
            out["title"] = str_or_nf(part)
        elif tag == "given":
            out["given_name" if givens == 0 else "middle_name"] = str_or_nf(part)
            givens += 1
        elif tag == "family":
            out["family_name"] = str_or_nf(part)
    return out


def _addr(addr: Element | None) -> dict[str, object]:
    out: dict[str, object] = {}
    if addr is None:
        return out
    keys = {
        "streetAddressLine": "street",
        "city": "city",
        "state": "state",
        "postalCode": "postcode",
    }
    for tag, part in kids(addr):
        if tag in keys:
            out[keys[tag]] = str_or_nf(part)
    return out


def _primary_source(entity: Element | None, primary: bool) -> PrimarySource:
    fields: dict[str, object] = {}
    parts = child_map(entity)
    fields.update(_addr(parts.get("addr")))
    fields.update(_telecoms(entity))
    person = parts.get("assignedPerson")
    own = child_map(person)
    fields.update(_name_parts(own.get("name")))
    qual = first(own.get("asQualifiedEntity"), "code")
    if qual is not None:
        nf = null_flavor(qual)
        fields["qualification"] = (
            nf if nf is not None else Qualification.from_code(qual.get("code"))
        )
    fields["country"] = attr_or_nf(path(own.get("asLocatedEntity"), "location", "code"), "code")
    org = parts.get("representedOrganization")
    fields["department"] = str_or_nf(first(org, "name"))
    fields["organisation"] = str_or_nf(
        path(org, "assignedEntity", "representedOrganization", "name")
    )
    return PrimarySource(primary_for_regulatory_purposes=primary, **fields)  # type: ignore[arg-type]


def _subject_of1(subj: Element, other_ids: list[OtherCaseId]) -> Sender | bool | None:
    event = first(subj, "controlActEvent")
    if event is None:
        return None
    entity = path(event, "author", "assignedEntity")
    if entity is not None:
        return _sender(entity)
    idents = [
        i for i in event.iterchildren("{urn:hl7-org:v3}id") if i.get("root") == oids.OTHER_CASE_ID
    ]
    if not idents:
        return None
    for ident in idents:
        other_ids.append(
            OtherCaseId(source=ident.get("assigningAuthorityName"), case_id=ident.get("extension"))
        )
    return True


def _plain(values: dict[str, object]) -> dict[str, object]:
    """Sender fields carry no nullFlavors (C.3): drop any."""
    return {k: v for k, v in values.items() if not isinstance(v, NullFlavor)}


def _sender(entity: Element) -> Sender:
    fields: dict[str, object] = {}
    parts = child_map(entity)
    c = parts.get("code")
    if c is not None and c.get("code"):
        fields["sender_type"] = SenderType.from_code(c.get("code"))
    fields.update(_addr(parts.get("addr")))
    fields.update(_telecoms(entity))
    person = parts.get("assignedPerson")
    own = child_map(person)
    fields.update(_name_parts(own.get("name")))
    fields["country"] = path(own.get("asLocatedEntity"), "location", "code")
    if fields["country"] is not None:
        fields["country"] = fields["country"].get("code")  # type: ignore[attr-defined]
    org = parts.get("representedOrganization")
    fields["department"] = text(first(org, "name"))
    fields["organisation"] = text(path(org, "assignedEntity", "representedOrganization", "name"))
    return Sender(**_plain(fields))  # type: ignore[arg-type]


def _characteristic(ch: Element | None, rep: dict[str, object]) -> bool:
    if ch is None:
        return False
    parts = child_map(ch)
    code, system = code_in(parts)
    if system != oids.CL_CHARACTERISTIC:
        return False
    value = parts.get("value")
    if code == oids.CHAR_REPORT_TYPE and value is not None:
        rep["report_type"] = ReportType.from_code(value.get("code") or "")
    elif code == oids.CHAR_OTHER_CASE_IDS:
        rep["other_case_ids_exist"] = bl(value)
    elif code == oids.CHAR_NULLIFICATION and value is not None:
        rep["nullification_amendment"] = NullificationAmendment.from_code(value.get("code") or "")
    elif code == oids.CHAR_NULLIFICATION_REASON:
        rep["nullification_amendment_reason"] = text(first(value, "originalText"))
    else:
        return False
    return True
