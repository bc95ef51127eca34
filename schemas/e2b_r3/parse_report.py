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
from gateway.domain.narrative import Narrative, NativeLanguageSummary
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
from schemas.e2b_r3.parse_assessment import Assessment, parse_assessment
from schemas.e2b_r3.parse_tags import (
    ADDR,
    ADVERSE_EVENT_ASSESSMENT,
    AS_LOCATED_ENTITY,
    AS_QUALIFIED_ENTITY,
    ASSIGNED_ENTITY,
    ASSIGNED_PERSON,
    AUTHOR,
    AVAILABILITY_TIME,
    BIBLIOGRAPHIC_DESIGNATION_TEXT,
    CITY,
    CODE,
    COMPONENT,
    CONTROL_ACT_EVENT,
    DOCUMENT,
    EFFECTIVE_TIME,
    FAMILY,
    GIVEN,
    ID,
    INVESTIGATION_CHARACTERISTIC,
    LOCATION,
    LOW,
    NAME,
    OBSERVATION_EVENT,
    ORIGINAL_TEXT,
    OUTBOUND_RELATIONSHIP,
    POSTAL_CODE,
    PREFIX,
    PRIORITY_NUMBER,
    REFERENCE,
    RELATED_INVESTIGATION,
    REPRESENTED_ORGANIZATION,
    STATE,
    STATUS_CODE,
    STREET_ADDRESS_LINE,
    SUBJECT_OF1,
    SUBJECT_OF2,
    TELECOM,
    TEXT,
    TITLE,
    VALUE,
)
from schemas.e2b_r3.xml import (
    E2BR3Error,
    Element,
    Extras,
    attr_or_nf,
    bl,
    code_of,
    first,
    firsts,
    firsts_of,
    null_flavor,
    path,
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
    assessment = Assessment({}, {})
    children = ie.getchildren()
    for child in children:
        tag = child.tag
        if tag == COMPONENT:
            aea = obs = None
            for inner in child.getchildren():
                itag = inner.tag
                if itag == ADVERSE_EVENT_ASSESSMENT:
                    aea = inner
                    break
                if itag == OBSERVATION_EVENT and obs is None:
                    obs = inner
            if aea is not None:
                assessment = parse_assessment(aea, extras)
                continue
            if _component(obs, rep, natives):
                continue
        elif tag == SUBJECT_OF2:
            if _characteristic(first(child, INVESTIGATION_CHARACTERISTIC), rep):
                continue
        elif tag == OUTBOUND_RELATIONSHIP:
            if _outbound(child, rep, sources, linked):
                continue
        elif tag == SUBJECT_OF1:
            found = _subject_of1(child, other_ids)
            if isinstance(found, Sender):
                sender = found
                continue
            if found is not None:
                continue
        elif tag == ID:
            root = child.get(b"root")
            if root == oids.MESSAGE_ID and "safety_report_id" not in rep:
                rep["safety_report_id"] = child.get(b"extension")
                continue
            if root == oids.WORLDWIDE_CASE_ID and "worldwide_case_id" not in rep:
                rep["worldwide_case_id"] = child.get(b"extension")
                continue
        elif tag in (CODE, STATUS_CODE) or tag.__class__ is not str:
            continue  # fixed: PAT_ADV_EVNT / active
        elif tag == TEXT:
            case_narrative = text(child)
            continue
        elif tag == EFFECTIVE_TIME:
            rep["first_received"] = ts(first(child, LOW))
            continue
        elif tag == AVAILABILITY_TIME:
            rep["most_recent_info"] = ts(child)
            continue
        elif tag == REFERENCE and _reference(child, documents, literature):
            continue
        extras.keep(ANCHOR, children, child)
    report = ReportIdentification(
        documents=tuple(documents),
        other_case_ids=tuple(other_ids),
        linked_report_ids=tuple(linked),
        **rep,  # type: ignore[arg-type]
    )
    narrative = Narrative(
        case_narrative=case_narrative,
        native_language_summaries=tuple(natives),
        **assessment.narrative,  # type: ignore[arg-type]
    )
    return ICSR(
        report=report,
        primary_sources=tuple(sources),
        sender=sender,
        literature=tuple(literature),
        narrative=narrative,
        **assessment.icsr,  # type: ignore[arg-type]
    )


def _document(doc: Element) -> Document:
    body = first(doc, TEXT)
    content: str | None = None
    media_type = compression = url = None
    if body is not None:
        media_type = body.get(b"mediaType")
        compression = body.get(b"compression")
        ref = first(body, REFERENCE)
        url = ref.get(b"value") if ref is not None else None
        raw = (body.text or "") + "".join(c.tail or "" for c in body)
        raw = _WS.sub("", raw)
        content = raw or None
    try:
        return Document(
            title=text(first(doc, TITLE)),
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
    doc = first(ref, DOCUMENT)
    code, system = code_of(doc)
    if doc is None or system != oids.CL_DOCUMENT:
        return False
    if code == "1":
        documents.append(_document(doc))
        return True
    if code == "2":
        reference = str_or_nf(first(doc, BIBLIOGRAPHIC_DESIGNATION_TEXT))
        has_body = first(doc, TEXT) is not None
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
    parts = firsts(obs)
    c = parts.get(CODE)
    if c is None or c.get(b"codeSystem") != oids.CL_OBSERVATION:
        return False
    code = c.get(b"code")
    value = parts.get(VALUE)
    if code == oids.OBS_ADDITIONAL_DOCUMENTS and "additional_documents" not in rep:
        flag = bl(value)
        rep["additional_documents"] = None if isinstance(flag, NullFlavor) else flag
        return True
    if code == oids.OBS_EXPEDITED and "fulfils_expedited_criteria" not in rep:
        rep["fulfils_expedited_criteria"] = bl(value)
        return True
    if code == oids.OBS_NATIVE_SUMMARY and value is not None:
        natives.append(
            NativeLanguageSummary(text=value.text or "", language=value.get(b"language"))
        )
        return True
    return False


def _outbound(
    rel: Element, rep: dict[str, object], sources: list[PrimarySource], linked: list[str]
) -> bool:
    outer = firsts(rel)
    inv = outer.get(RELATED_INVESTIGATION)
    parts = firsts(inv)
    c = parts.get(CODE)
    if inv is None or c is None:
        return False
    event = first(parts.get(SUBJECT_OF2), CONTROL_ACT_EVENT)
    if c.get(b"nullFlavor") == "NA":  # C.1.10.r linked report
        ident = first(event, ID)
        if ident is None or ident.get(b"root") != oids.WORLDWIDE_CASE_ID:
            return False
        linked.append(ident.get(b"extension") or "")
        return True
    if c.get(b"codeSystem") != oids.CL_RELATED_INVESTIGATION:
        return False
    entity = path(event, AUTHOR, ASSIGNED_ENTITY)
    code = c.get(b"code")
    if code == "1" and "first_sender" not in rep:
        fs = first(entity, CODE)
        rep["first_sender"] = FirstSender.from_code(fs.get(b"code")) if fs is not None else None
        return True
    if code == "2":
        priority = outer.get(PRIORITY_NUMBER)
        sources.append(
            _primary_source(entity, priority is not None and priority.get(b"value") == "1")
        )
        return True
    return False


_TELECOM_KEYS = {"tel": "telephone", "fax": "fax", "mailto": "email"}


def _telecoms(children: list[Element]) -> dict[str, object]:
    out: dict[str, object] = {}
    for tel in children:
        if tel.tag != TELECOM:
            continue
        value = tel.get(b"value")
        nf = null_flavor(tel)
        if value is None:
            if nf is not None:
                out.setdefault("telephone", nf)
            continue
        scheme, _, rest = value.partition(":")
        key = _TELECOM_KEYS.get(scheme)
        if key is None:
            raise E2BR3Error(f"telecom with unknown scheme: {value!r}")
        out.setdefault(key, rest)
    return out


def _name_parts(name: Element | None) -> dict[str, object]:
    out: dict[str, object] = {}
    if name is None:
        return out
    givens = 0
    for part in name.getchildren():
        tag = part.tag
        if tag == PREFIX:
            out["title"] = str_or_nf(part)
        elif tag == GIVEN:
            out["given_name" if givens == 0 else "middle_name"] = str_or_nf(part)
            givens += 1
        elif tag == FAMILY:
            out["family_name"] = str_or_nf(part)
    return out


_ADDR_KEYS = {
    STREET_ADDRESS_LINE: "street",
    CITY: "city",
    STATE: "state",
    POSTAL_CODE: "postcode",
}


def _addr(addr: Element | None) -> dict[str, object]:
    out: dict[str, object] = {}
    if addr is None:
        return out
    for part in addr.getchildren():
        key = _ADDR_KEYS.get(part.tag)
        if key is not None:
            out[key] = str_or_nf(part)
    return out


def _primary_source(entity: Element | None, primary: bool) -> PrimarySource:
    fields: dict[str, object] = {}
    children = entity.getchildren() if entity is not None else []
    parts = firsts_of(children)
    fields.update(_addr(parts.get(ADDR)))
    fields.update(_telecoms(children))
    own = firsts(parts.get(ASSIGNED_PERSON))
    fields.update(_name_parts(own.get(NAME)))
    qual = first(own.get(AS_QUALIFIED_ENTITY), CODE)
    if qual is not None:
        nf = null_flavor(qual)
        fields["qualification"] = (
            nf if nf is not None else Qualification.from_code(qual.get(b"code"))
        )
    fields["country"] = attr_or_nf(path(own.get(AS_LOCATED_ENTITY), LOCATION, CODE), b"code")
    org = parts.get(REPRESENTED_ORGANIZATION)
    fields["department"] = str_or_nf(first(org, NAME))
    fields["organisation"] = str_or_nf(path(org, ASSIGNED_ENTITY, REPRESENTED_ORGANIZATION, NAME))
    return PrimarySource(primary_for_regulatory_purposes=primary, **fields)  # type: ignore[arg-type]


def _subject_of1(subj: Element, other_ids: list[OtherCaseId]) -> Sender | bool | None:
    event = first(subj, CONTROL_ACT_EVENT)
    if event is None:
        return None
    entity = path(event, AUTHOR, ASSIGNED_ENTITY)
    if entity is not None:
        return _sender(entity)
    idents = [
        i for i in event.getchildren() if i.tag == ID and i.get(b"root") == oids.OTHER_CASE_ID
    ]
    if not idents:
        return None
    for ident in idents:
        other_ids.append(
            OtherCaseId(
                source=ident.get(b"assigningAuthorityName"), case_id=ident.get(b"extension")
            )
        )
    return True


def _plain(values: dict[str, object]) -> dict[str, object]:
    """Sender fields carry no nullFlavors (C.3): drop any."""
    return {k: v for k, v in values.items() if not isinstance(v, NullFlavor)}


def _sender(entity: Element) -> Sender:
    fields: dict[str, object] = {}
    children = entity.getchildren()
    parts = firsts_of(children)
    c = parts.get(CODE)
    if c is not None and c.get(b"code"):
        fields["sender_type"] = SenderType.from_code(c.get(b"code"))
    fields.update(_addr(parts.get(ADDR)))
    fields.update(_telecoms(children))
    own = firsts(parts.get(ASSIGNED_PERSON))
    fields.update(_name_parts(own.get(NAME)))
    country = path(own.get(AS_LOCATED_ENTITY), LOCATION, CODE)
    fields["country"] = country.get(b"code") if country is not None else None
    org = parts.get(REPRESENTED_ORGANIZATION)
    fields["department"] = text(first(org, NAME))
    fields["organisation"] = text(path(org, ASSIGNED_ENTITY, REPRESENTED_ORGANIZATION, NAME))
    return Sender(**_plain(fields))  # type: ignore[arg-type]


def _characteristic(ch: Element | None, rep: dict[str, object]) -> bool:
    if ch is None:
        return False
    parts = firsts(ch)
    c = parts.get(CODE)
    if c is None or c.get(b"codeSystem") != oids.CL_CHARACTERISTIC:
        return False
    code = c.get(b"code")
    value = parts.get(VALUE)
    if code == oids.CHAR_REPORT_TYPE and value is not None:
        rep["report_type"] = ReportType.from_code(value.get(b"code") or "")
    elif code == oids.CHAR_OTHER_CASE_IDS:
        rep["other_case_ids_exist"] = bl(value)
    elif code == oids.CHAR_NULLIFICATION and value is not None:
        rep["nullification_amendment"] = NullificationAmendment.from_code(value.get(b"code") or "")
    elif code == oids.CHAR_NULLIFICATION_REASON:
        rep["nullification_amendment_reason"] = text(first(value, ORIGINAL_TEXT))
    else:
        return False
    return True
