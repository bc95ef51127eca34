"""Build ``investigationEvent``: section C, H.1 and H.5 (D-G via ``build_assessment``)."""

from __future__ import annotations

from gateway.domain.icsr import ICSR
from gateway.domain.report import Document, PrimarySource, Sender
from gateway.domain.values import Nullable, NullFlavor
from schemas.e2b_r3 import oids
from schemas.e2b_r3.build_assessment import build_assessment
from schemas.e2b_r3.xml import (
    XSI_TYPE,
    Element,
    Placer,
    sub,
    sub_bl,
    sub_code,
    sub_id,
    sub_nullable_text,
    sub_text,
    sub_ts,
)

_EVN = {"classCode": "CACT", "moodCode": "EVN"}


def build_investigation(parent: Element, icsr: ICSR, placer: Placer) -> Element:
    rep = icsr.report
    ie = sub(parent, "investigationEvent", {"classCode": "INVSTG", "moodCode": "EVN"})
    sub_id(ie, oids.MESSAGE_ID, rep.safety_report_id or "")
    if rep.worldwide_case_id is not None:
        sub_id(ie, oids.WORLDWIDE_CASE_ID, rep.worldwide_case_id)
    sub_code(ie, "code", "PAT_ADV_EVNT", oids.HL7_ACT_CODE)
    if icsr.narrative.case_narrative is not None:
        sub_text(ie, "text", icsr.narrative.case_narrative)
    sub(ie, "statusCode", {"code": "active"})
    if rep.first_received is not None:
        sub_ts(sub(ie, "effectiveTime"), "low", rep.first_received)
    sub_ts(ie, "availabilityTime", rep.most_recent_info)
    for doc in rep.documents:
        _document(ie, "1", doc, None)
    for lit in icsr.literature:
        _document(ie, "2", lit.document or Document(), lit.reference)
    comp = sub(ie, "component", {"typeCode": "COMP"})
    build_assessment(comp, icsr, placer)
    if rep.additional_documents is not None:
        _observation_event(ie, oids.OBS_ADDITIONAL_DOCUMENTS, rep.additional_documents)
    if rep.fulfils_expedited_criteria is not None:
        _observation_event(ie, oids.OBS_EXPEDITED, rep.fulfils_expedited_criteria)
    for native in icsr.narrative.native_language_summaries:
        obs = _event(ie, oids.OBS_NATIVE_SUMMARY)
        value = sub_text(obs, "value", native.text, {XSI_TYPE: "ED"})
        if native.language is not None:
            value.set("language", native.language)
        _author_code(obs, oids.AUTHOR_NATIVE)
    if rep.first_sender is not None:
        event = _related(ie, "1", None)
        entity = sub(
            sub(event, "author", {"typeCode": "AUT"}), "assignedEntity", {"classCode": "ASSIGNED"}
        )
        sub_code(entity, "code", rep.first_sender.code, oids.CL_FIRST_SENDER)
    for source in icsr.primary_sources:
        _primary_source(ie, source)
    for linked in rep.linked_report_ids:
        event = _related(ie, None, None)
        sub_id(event, oids.WORLDWIDE_CASE_ID, linked)
    if rep.other_case_ids:
        event = sub(sub(ie, "subjectOf1", {"typeCode": "SUBJ"}), "controlActEvent", _EVN)
        for other in rep.other_case_ids:
            ident = sub(event, "id")
            if other.case_id is not None:
                ident.set("extension", other.case_id)
            ident.set("root", oids.OTHER_CASE_ID)
            if other.source is not None:
                ident.set("assigningAuthorityName", other.source)
    if icsr.sender is not None:
        _sender(ie, icsr.sender)
    if rep.report_type is not None:
        ch = _characteristic(ie, oids.CHAR_REPORT_TYPE)
        sub_code(ch, "value", rep.report_type.code, oids.CL_REPORT_TYPE, xsi_type="CE")
    if rep.other_case_ids_exist is not None:
        sub_bl(_characteristic(ie, oids.CHAR_OTHER_CASE_IDS), "value", rep.other_case_ids_exist)
    if rep.nullification_amendment is not None:
        ch = _characteristic(ie, oids.CHAR_NULLIFICATION)
        code = rep.nullification_amendment.code
        sub_code(ch, "value", code, oids.CL_NULLIFICATION, xsi_type="CE")
    if rep.nullification_amendment_reason is not None:
        ch = _characteristic(ie, oids.CHAR_NULLIFICATION_REASON)
        value = sub(ch, "value", {XSI_TYPE: "CE"})
        sub_text(value, "originalText", rep.nullification_amendment_reason)
    placer.place("investigationEvent", ie)
    return ie


def _characteristic(ie: Element, code: str) -> Element:
    subj = sub(ie, "subjectOf2", {"typeCode": "SUBJ"})
    ch = sub(subj, "investigationCharacteristic", {"classCode": "OBS", "moodCode": "EVN"})
    sub_code(ch, "code", code, oids.CL_CHARACTERISTIC)
    return ch


def _event(ie: Element, code: str) -> Element:
    comp = sub(ie, "component", {"typeCode": "COMP"})
    obs = sub(comp, "observationEvent", {"classCode": "OBS", "moodCode": "EVN"})
    sub_code(obs, "code", code, oids.CL_OBSERVATION)
    return obs


def _observation_event(ie: Element, code: str, value: Nullable[bool]) -> None:
    sub_bl(_event(ie, code), "value", value)


def _author_code(obs: Element, code: str) -> None:
    author = sub(obs, "author", {"typeCode": "AUT"})
    entity = sub(author, "assignedEntity", {"classCode": "ASSIGNED"})
    sub_code(entity, "code", code, oids.CL_AUTHOR)


def _document(ie: Element, code: str, doc: Document, reference: Nullable[str] | None) -> None:
    ref = sub(ie, "reference", {"typeCode": "REFR"})
    el = sub(ref, "document", {"classCode": "DOC", "moodCode": "EVN"})
    sub_code(el, "code", code, oids.CL_DOCUMENT)
    if doc.title is not None:
        sub_text(el, "title", doc.title)
    if doc.content_base64 is not None or doc.url is not None or doc.media_type is not None:
        body = sub(el, "text")
        if doc.media_type is not None:
            body.set("mediaType", doc.media_type)
        if doc.content_base64 is not None:
            body.set("representation", "B64")
        if doc.compression is not None:
            body.set("compression", doc.compression)
        if doc.url is not None:
            sub(body, "reference", {"value": doc.url})
        if doc.content_base64 is not None:
            if doc.url is not None:
                body[-1].tail = doc.content_base64
            else:
                body.text = doc.content_base64
    sub_nullable_text(el, "bibliographicDesignationText", reference)


def _related(ie: Element, code: str | None, priority: str | None) -> Element:
    rel = sub(ie, "outboundRelationship", {"typeCode": "SPRT"})
    if priority is not None:
        sub(rel, "priorityNumber", {"value": priority})
    inv = sub(rel, "relatedInvestigation", {"classCode": "INVSTG", "moodCode": "EVN"})
    if code is None:
        sub(inv, "code", {"nullFlavor": "NA"})
    else:
        sub_code(inv, "code", code, oids.CL_RELATED_INVESTIGATION)
    return sub(sub(inv, "subjectOf2", {"typeCode": "SUBJ"}), "controlActEvent", _EVN)


def _addr(entity: Element, values: dict[str, Nullable[str] | None]) -> None:
    if all(v is None for v in values.values()):
        return
    addr = sub(entity, "addr")
    for tag, value in values.items():
        sub_nullable_text(addr, tag, value)


def _telecom(entity: Element, scheme: str, value: Nullable[str] | None) -> None:
    if value is None:
        return
    if isinstance(value, NullFlavor):
        sub(entity, "telecom", {"nullFlavor": value.value})
    else:
        sub(entity, "telecom", {"value": f"{scheme}:{value}"})


def _name(person: Element, parts: list[tuple[str, Nullable[str] | None]]) -> None:
    if all(v is None for _, v in parts):
        return
    name = sub(person, "name")
    for tag, value in parts:
        sub_nullable_text(name, tag, value)


def _country(person: Element, country: Nullable[str] | None) -> None:
    if country is None:
        return
    located = sub(person, "asLocatedEntity", {"classCode": "LOCE"})
    loc = sub(located, "location", {"classCode": "COUNTRY", "determinerCode": "INSTANCE"})
    if isinstance(country, NullFlavor):
        sub(loc, "code", {"nullFlavor": country.value})
    else:
        sub_code(loc, "code", country, oids.COUNTRY)


def _organisation(
    entity: Element, department: Nullable[str] | None, organisation: Nullable[str] | None
) -> None:
    if department is None and organisation is None:
        return
    org = sub(entity, "representedOrganization", {"classCode": "ORG", "determinerCode": "INSTANCE"})
    sub_nullable_text(org, "name", department)
    if organisation is not None:
        inner = sub(org, "assignedEntity", {"classCode": "ASSIGNED"})
        org2 = sub(
            inner, "representedOrganization", {"classCode": "ORG", "determinerCode": "INSTANCE"}
        )
        sub_nullable_text(org2, "name", organisation)


def _primary_source(ie: Element, src: PrimarySource) -> None:
    event = _related(ie, "2", "1" if src.primary_for_regulatory_purposes else None)
    entity = sub(
        sub(event, "author", {"typeCode": "AUT"}), "assignedEntity", {"classCode": "ASSIGNED"}
    )
    _addr(
        entity,
        {
            "streetAddressLine": src.street,
            "city": src.city,
            "state": src.state,
            "postalCode": src.postcode,
        },
    )
    _telecom(entity, "tel", src.telephone)
    _telecom(entity, "mailto", src.email)
    person = sub(entity, "assignedPerson", {"classCode": "PSN", "determinerCode": "INSTANCE"})
    _name(
        person,
        [
            ("prefix", src.title),
            ("given", src.given_name),
            ("given", src.middle_name),
            ("family", src.family_name),
        ],
    )
    if src.qualification is not None:
        qual = sub(person, "asQualifiedEntity", {"classCode": "QUAL"})
        if isinstance(src.qualification, NullFlavor):
            sub(qual, "code", {"nullFlavor": src.qualification.value})
        else:
            sub_code(qual, "code", src.qualification.code, oids.CL_QUALIFICATION)
    _country(person, src.country)
    if len(person) == 0:
        entity.remove(person)
    _organisation(entity, src.department, src.organisation)


def _sender(ie: Element, s: Sender) -> None:
    event = sub(sub(ie, "subjectOf1", {"typeCode": "SUBJ"}), "controlActEvent", _EVN)
    entity = sub(
        sub(event, "author", {"typeCode": "AUT"}), "assignedEntity", {"classCode": "ASSIGNED"}
    )
    if s.sender_type is not None:
        sub_code(entity, "code", s.sender_type.code, oids.CL_SENDER_TYPE)
    _addr(
        entity,
        {"streetAddressLine": s.street, "city": s.city, "state": s.state, "postalCode": s.postcode},
    )
    _telecom(entity, "tel", s.telephone)
    _telecom(entity, "fax", s.fax)
    _telecom(entity, "mailto", s.email)
    person = sub(entity, "assignedPerson", {"classCode": "PSN", "determinerCode": "INSTANCE"})
    _name(
        person,
        [
            ("prefix", s.title),
            ("given", s.given_name),
            ("given", s.middle_name),
            ("family", s.family_name),
        ],
    )
    _country(person, s.country)
    if len(person) == 0:
        entity.remove(person)
    _organisation(entity, s.department, s.organisation)
