"""The investigationEvent written as text: report identification (C.1), documents and
literature (C.1.6, C.4), primary sources (C.2), sender (C.3), case narrative (H.1) and
native-language summaries (H.5)."""

from __future__ import annotations

from collections.abc import Iterable

from gateway.domain.icsr import ICSR
from gateway.domain.report import Document, PrimarySource, Sender
from gateway.domain.values import Nullable, NullFlavor
from schemas.e2b_r3 import oids
from schemas.e2b_r3.write_assessment import _assessment
from schemas.e2b_r3.write_datatypes import (
    _AUTHOR_CLOSE,
    _AUTHOR_OPEN,
    _ORG,
    _PERSON,
    _author_code,
    _bl,
    _code,
    _el,
    _enum_code,
    _id,
    _kids_el,
    _nullable_text,
    _ts,
)
from schemas.e2b_r3.write_escape import attr, tail, text
from schemas.e2b_r3.write_regional import Placer

_EVN = ' classCode="CACT" moodCode="EVN"'


def _investigation(icsr: ICSR, placer: Placer) -> str:
    rep = icsr.report
    narrative = icsr.narrative
    k = [_id(oids.MESSAGE_ID, rep.safety_report_id or "")]
    if rep.worldwide_case_id is not None:
        k.append(_id(oids.WORLDWIDE_CASE_ID, rep.worldwide_case_id))
    k.append(f'<code code="PAT_ADV_EVNT" codeSystem="{oids.HL7_ACT_CODE}"/>')
    if narrative.case_narrative is not None:
        k.append(f"<text>{text(narrative.case_narrative)}</text>")
    k.append('<statusCode code="active"/>')
    if rep.first_received is not None:
        k.append(f"<effectiveTime>{_ts('low', rep.first_received)}</effectiveTime>")
    k.append(_ts("availabilityTime", rep.most_recent_info))
    for doc in rep.documents:
        k.append(_document("1", doc, None))
    for lit in icsr.literature:
        k.append(_document("2", lit.document or Document(), lit.reference))
    k.append(f'<component typeCode="COMP">{_assessment(icsr, placer)}</component>')
    if rep.additional_documents is not None:
        k.append(_event(oids.OBS_ADDITIONAL_DOCUMENTS, _bl("value", rep.additional_documents)))
    if rep.fulfils_expedited_criteria is not None:
        k.append(_event(oids.OBS_EXPEDITED, _bl("value", rep.fulfils_expedited_criteria)))
    for native in narrative.native_language_summaries:
        lang = f' language="{attr(native.language)}"' if native.language is not None else ""
        value = f'<value xsi:type="ED"{lang}>{text(native.text)}</value>'
        k.append(_event(oids.OBS_NATIVE_SUMMARY, value + _author_code(oids.AUTHOR_NATIVE)))
    if rep.first_sender is not None:
        entity = _enum_code("code", rep.first_sender.code, oids.CL_FIRST_SENDER)
        k.append(_related("1", None, f"{_AUTHOR_OPEN}{entity}{_AUTHOR_CLOSE}"))
    for source in icsr.primary_sources:
        k.append(_primary_source(source))
    for linked in rep.linked_report_ids:
        k.append(_related(None, None, _id(oids.WORLDWIDE_CASE_ID, linked)))
    if rep.other_case_ids:
        ids = []
        for other in rep.other_case_ids:
            ext = f' extension="{attr(other.case_id)}"' if other.case_id is not None else ""
            auth = (
                f' assigningAuthorityName="{attr(other.source)}"'
                if other.source is not None
                else ""
            )
            ids.append(f'<id{ext} root="{oids.OTHER_CASE_ID}"{auth}/>')
        k.append(
            f'<subjectOf1 typeCode="SUBJ"><controlActEvent{_EVN}>{"".join(ids)}'
            "</controlActEvent></subjectOf1>"
        )
    if icsr.sender is not None:
        k.append(_sender(icsr.sender))
    if rep.report_type is not None:
        value = _enum_code("value", rep.report_type.code, oids.CL_REPORT_TYPE, xsi_type="CE")
        k.append(_characteristic(oids.CHAR_REPORT_TYPE, value))
    if rep.other_case_ids_exist is not None:
        k.append(_characteristic(oids.CHAR_OTHER_CASE_IDS, _bl("value", rep.other_case_ids_exist)))
    if rep.nullification_amendment is not None:
        code = rep.nullification_amendment.code
        value = _enum_code("value", code, oids.CL_NULLIFICATION, xsi_type="CE")
        k.append(_characteristic(oids.CHAR_NULLIFICATION, value))
    if rep.nullification_amendment_reason is not None:
        reason = text(rep.nullification_amendment_reason)
        value = f'<value xsi:type="CE"><originalText>{reason}</originalText></value>'
        k.append(_characteristic(oids.CHAR_NULLIFICATION_REASON, value))
    k = placer.place("investigationEvent", k)
    return _kids_el("investigationEvent", ' classCode="INVSTG" moodCode="EVN"', k)


def _characteristic(code: str, inner: str) -> str:
    return (
        '<subjectOf2 typeCode="SUBJ"><investigationCharacteristic classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_CHARACTERISTIC}"/>{inner}'
        "</investigationCharacteristic></subjectOf2>"
    )


def _event(code: str, inner: str) -> str:
    return (
        '<component typeCode="COMP"><observationEvent classCode="OBS" moodCode="EVN">'
        f'<code code="{code}" codeSystem="{oids.CL_OBSERVATION}"/>{inner}'
        "</observationEvent></component>"
    )


def _document(code: str, doc: Document, reference: Nullable[str] | None) -> str:
    parts = [f'<code code="{code}" codeSystem="{oids.CL_DOCUMENT}"/>']
    if doc.title is not None:
        parts.append(f"<title>{text(doc.title)}</title>")
    if doc.content_base64 is not None or doc.url is not None or doc.media_type is not None:
        attrs = ""
        if doc.media_type is not None:
            attrs += f' mediaType="{attr(doc.media_type)}"'
        if doc.content_base64 is not None:
            attrs += ' representation="B64"'
        if doc.compression is not None:
            attrs += f' compression="{attr(doc.compression)}"'
        inner = ""
        if doc.url is not None:
            inner = f'<reference value="{attr(doc.url)}"/>'
        if doc.content_base64 is not None:
            if doc.url is not None:
                inner += tail(doc.content_base64)
            else:
                inner = text(doc.content_base64)
        parts.append(_el("text", attrs, inner))
    parts.append(_nullable_text("bibliographicDesignationText", reference))
    return (
        '<reference typeCode="REFR"><document classCode="DOC" moodCode="EVN">'
        f"{''.join(parts)}</document></reference>"
    )


def _related(code: str | None, priority: str | None, inner: str) -> str:
    prio = f'<priorityNumber value="{priority}"/>' if priority is not None else ""
    if code is None:
        c = '<code nullFlavor="NA"/>'
    else:
        c = f'<code code="{code}" codeSystem="{oids.CL_RELATED_INVESTIGATION}"/>'
    return (
        f'<outboundRelationship typeCode="SPRT">{prio}'
        f'<relatedInvestigation classCode="INVSTG" moodCode="EVN">{c}<subjectOf2 typeCode="SUBJ">'
        f"{_el('controlActEvent', _EVN, inner)}</subjectOf2></relatedInvestigation>"
        "</outboundRelationship>"
    )


def _addr(values: Iterable[tuple[str, Nullable[str] | None]]) -> str:
    parts = [_nullable_text(tag, value) for tag, value in values if value is not None]
    return f"<addr>{''.join(parts)}</addr>" if parts else ""


def _telecom(scheme: str, value: Nullable[str] | None) -> str:
    if value is None:
        return ""
    if isinstance(value, NullFlavor):
        return f'<telecom nullFlavor="{value.value}"/>'
    return f'<telecom value="{attr(f"{scheme}:{value}")}"/>'


def _name(parts: Iterable[tuple[str, Nullable[str] | None]]) -> str:
    out = [_nullable_text(tag, value) for tag, value in parts if value is not None]
    return f"<name>{''.join(out)}</name>" if out else ""


def _country(country: Nullable[str] | None) -> str:
    if country is None:
        return ""
    if isinstance(country, NullFlavor):
        code = f'<code nullFlavor="{country.value}"/>'
    else:
        code = _code("code", country, oids.COUNTRY)
    return (
        '<asLocatedEntity classCode="LOCE"><location classCode="COUNTRY" '
        f'determinerCode="INSTANCE">{code}</location></asLocatedEntity>'
    )


def _organisation(department: Nullable[str] | None, organisation: Nullable[str] | None) -> str:
    if department is None and organisation is None:
        return ""
    inner = _nullable_text("name", department)
    if organisation is not None:
        inner += (
            '<assignedEntity classCode="ASSIGNED">'
            f"{_el('representedOrganization', _ORG, _nullable_text('name', organisation))}"
            "</assignedEntity>"
        )
    return _el("representedOrganization", _ORG, inner)


def _primary_source(src: PrimarySource) -> str:
    entity = _addr(
        (
            ("streetAddressLine", src.street),
            ("city", src.city),
            ("state", src.state),
            ("postalCode", src.postcode),
        )
    )
    entity += _telecom("tel", src.telephone) + _telecom("mailto", src.email)
    person = _name(
        (
            ("prefix", src.title),
            ("given", src.given_name),
            ("given", src.middle_name),
            ("family", src.family_name),
        )
    )
    if src.qualification is not None:
        if isinstance(src.qualification, NullFlavor):
            qual = f'<code nullFlavor="{src.qualification.value}"/>'
        else:
            qual = _enum_code("code", src.qualification.code, oids.CL_QUALIFICATION)
        person += f'<asQualifiedEntity classCode="QUAL">{qual}</asQualifiedEntity>'
    person += _country(src.country)
    if person:
        entity += f"<assignedPerson{_PERSON}>{person}</assignedPerson>"
    entity += _organisation(src.department, src.organisation)
    author = f'<author typeCode="AUT">{_el("assignedEntity", _ASSIGNED, entity)}</author>'
    return _related("2", "1" if src.primary_for_regulatory_purposes else None, author)


_ASSIGNED = ' classCode="ASSIGNED"'


def _sender(s: Sender) -> str:
    entity = ""
    if s.sender_type is not None:
        entity = _enum_code("code", s.sender_type.code, oids.CL_SENDER_TYPE)
    entity += _addr(
        (
            ("streetAddressLine", s.street),
            ("city", s.city),
            ("state", s.state),
            ("postalCode", s.postcode),
        )
    )
    entity += _telecom("tel", s.telephone) + _telecom("fax", s.fax) + _telecom("mailto", s.email)
    person = _name(
        (
            ("prefix", s.title),
            ("given", s.given_name),
            ("given", s.middle_name),
            ("family", s.family_name),
        )
    )
    person += _country(s.country)
    if person:
        entity += f"<assignedPerson{_PERSON}>{person}</assignedPerson>"
    entity += _organisation(s.department, s.organisation)
    return (
        f'<subjectOf1 typeCode="SUBJ"><controlActEvent{_EVN}><author typeCode="AUT">'
        f"{_el('assignedEntity', _ASSIGNED, entity)}</author></controlActEvent></subjectOf1>"
    )
