"""Write an ``R2Message`` as an ICH ICSR 2.1 ``ichicsr`` element (DTD element order).

Whatever a domain ICSR holds that R2 cannot express is left out *and* listed: ``r2_losses``
returns those ``Loss`` records (``schemas.e2b_convert.r3_to_r2`` reports them).
"""

from __future__ import annotations

import dataclasses

from lxml import etree

from gateway.domain.codes import FirstSender, NullificationAmendment
from gateway.domain.icsr import ICSR
from gateway.domain.reaction import Seriousness
from gateway.domain.report import PrimarySource, Sender
from gateway.domain.values import NullFlavor
from schemas.e2b_r2 import codes
from schemas.e2b_r2.build_patient import build_patient, expected_seriousness_applies
from schemas.e2b_r2.model import (
    ICH_R21_SYSTEM_ID,
    RECEIVER_ELEMENTS,
    Loss,
    R2Header,
    R2Message,
    R2Report,
)
from schemas.e2b_r2.xml import Element, Sink, date_pair, leaf, plain

_SERIOUSNESS_TAGS = (
    ("seriousnessdeath", "death"),
    ("seriousnesslifethreatening", "life_threatening"),
    ("seriousnesshospitalization", "hospitalisation"),
    ("seriousnessdisabling", "disabling"),
    ("seriousnesscongenitalanomali", "congenital_anomaly"),
    ("seriousnessother", "other_medically_important"),
)
_SOURCE_FIELDS = (
    ("reportertitle", "title", "C.2.r.1.1"),
    ("reportergivename", "given_name", "C.2.r.1.2"),
    ("reportermiddlename", "middle_name", "C.2.r.1.3"),
    ("reporterfamilyname", "family_name", "C.2.r.1.4"),
    ("reporterorganization", "organisation", "C.2.r.2.1"),
    ("reporterdepartment", "department", "C.2.r.2.2"),
    ("reporterstreet", "street", "C.2.r.2.3"),
    ("reportercity", "city", "C.2.r.2.4"),
    ("reporterstate", "state", "C.2.r.2.5"),
    ("reporterpostcode", "postcode", "C.2.r.2.6"),
    ("reportercountry", "country", "C.2.r.3"),
)
SENDER_FIELDS = (
    ("senderorganization", "organisation"),
    ("senderdepartment", "department"),
    ("sendertitle", "title"),
    ("sendergivename", "given_name"),
    ("sendermiddlename", "middle_name"),
    ("senderfamilyname", "family_name"),
    ("senderstreetaddress", "street"),
    ("sendercity", "city"),
    ("senderstate", "state"),
    ("senderpostcode", "postcode"),
    ("sendercountrycode", "country"),
    ("sendertel", "telephone"),
    ("senderfax", "fax"),
    ("senderemailaddress", "email"),
)


def build_r2(message: R2Message) -> Element:
    """The ``ichicsr`` element; see ``r2_losses`` for what the domain held beyond R2."""
    return _build(message, Sink())


def r2_losses(message: R2Message) -> tuple[Loss, ...]:
    """Every populated domain value ``build_r2`` cannot write, with where and why."""
    sink = Sink()
    _build(message, sink)
    return tuple(sink.items)


def serialize_r2(
    el: Element, *, system_id: str = ICH_R21_SYSTEM_ID, encoding: str = "UTF-8"
) -> bytes:
    """Bytes with an XML declaration and ``<!DOCTYPE ichicsr SYSTEM "<system_id>">``.

    Use ``model.FDA_R21_SYSTEM_ID`` for FDA's published URL of the same DTD.
    """
    doctype = f'<!DOCTYPE ichicsr SYSTEM "{system_id}">'
    return bytes(
        etree.tostring(
            el, encoding=encoding, xml_declaration=True, doctype=doctype, pretty_print=True
        )
    )


def _build(message: R2Message, sink: Sink) -> Element:
    root = etree.Element("ichicsr")
    root.set("lang", message.header.lang)
    _header(root, message.header, sink)
    for index, report in enumerate(message.reports):
        sub = Sink()
        _report(root, report, sub)
        sink.items.extend(
            dataclasses.replace(loss, path=f"reports[{index}].{loss.path}") for loss in sub.items
        )
    return root


def _header(root: Element, h: R2Header, sink: Sink) -> None:
    el = etree.SubElement(root, "ichicsrmessageheader")
    leaf(el, "messagetype", h.message_type)
    leaf(el, "messageformatversion", h.format_version)
    leaf(el, "messageformatrelease", h.format_release)
    leaf(el, "messagenumb", h.message_number)
    leaf(el, "messagesenderidentifier", h.sender_id)
    leaf(el, "messagereceiveridentifier", h.receiver_id)
    date_pair(
        el,
        ("messagedateformat", "messagedate"),
        h.date,
        sink,
        "M.1.7",
        "header",
        codes.MESSAGE_DATE_FORMATS,
    )


def _report(root: Element, report: R2Report, sink: Sink) -> None:
    icsr, r = report.icsr, report.icsr.report
    el = etree.SubElement(root, "safetyreport")
    leaf(el, "safetyreportversion", report.version)
    leaf(el, "safetyreportid", r.safety_report_id)
    regulatory = icsr.primary_source_for_regulatory_purposes()
    country = regulatory.country if regulatory is not None else None
    leaf(el, "primarysourcecountry", country if isinstance(country, str) else None)
    leaf(el, "occurcountry", _occur_country(icsr, sink))
    date_pair(
        el,
        ("transmissiondateformat", "transmissiondate"),
        r.created_at,
        sink,
        "C.1.2",
        "report.created_at",
        (codes.FMT_DAY,),
    )
    leaf(el, "reporttype", codes.REPORT_TYPE_TO_R2[r.report_type] if r.report_type else None)
    _seriousness(el, icsr, sink)
    date_pair(
        el,
        ("receivedateformat", "receivedate"),
        r.first_received,
        sink,
        "C.1.4",
        "report.first_received",
    )
    date_pair(
        el,
        ("receiptdateformat", "receiptdate"),
        r.most_recent_info,
        sink,
        "C.1.5",
        "report.most_recent_info",
    )
    if r.additional_documents is not None:
        leaf(el, "additionaldocument", codes.yes_no(r.additional_documents))
    leaf(el, "documentlist", "; ".join(d.title for d in r.documents if d.title) or None)
    for i, doc in enumerate(r.documents):
        if len(r.documents) > 1 or doc.title is None:
            sink.lost("C.1.6.1.r.1", f"report.documents[{i}]", "R2 lists documents in one text")
        if (doc.content_base64, doc.media_type, doc.url, doc.reference) != (None,) * 4:
            sink.lost("C.1.6.1.r.2", f"report.documents[{i}]", "attached content has no R2 form")
    expedited = r.fulfils_expedited_criteria
    if isinstance(expedited, bool):
        leaf(el, "fulfillexpeditecriteria", codes.yes_no(expedited))
    elif expedited is not None:
        sink.lost("C.1.7", "report", f"nullFlavor {expedited.name} cannot be expressed in R2")
    regulator = r.first_sender is FirstSender.REGULATOR
    leaf(el, "authoritynumb", r.worldwide_case_id if regulator else None)
    leaf(el, "companynumb", None if regulator else r.worldwide_case_id)
    if r.other_case_ids_exist is True:
        leaf(el, "duplicate", codes.YES)
    elif r.other_case_ids_exist is NullFlavor.NI:
        sink.lost("C.1.9.1", "report", "nullFlavor NI cannot be expressed in R2")
    if r.nullification_amendment is NullificationAmendment.NULLIFICATION:
        leaf(el, "casenullification", codes.YES)
        leaf(el, "nullificationreason", r.nullification_amendment_reason)
    elif r.nullification_amendment is NullificationAmendment.AMENDMENT:
        sink.lost("C.1.11.1", "report", "amendment (2) has no R2 code")
        if r.nullification_amendment_reason is not None:
            sink.lost("C.1.11.2", "report", "amendment reason has no R2 element")
    leaf(el, "medicallyconfirm", _medically_confirmed(icsr, sink))
    for other in r.other_case_ids:
        dup = etree.SubElement(el, "reportduplicate")
        leaf(dup, "duplicatesource", other.source)
        leaf(dup, "duplicatenumb", other.case_id)
    for linked in r.linked_report_ids:
        leaf(etree.SubElement(el, "linkedreport"), "linkreportnumb", linked)
    _primary_sources(el, icsr, sink)
    _sender(el, icsr.sender, sink)
    receiver = etree.SubElement(el, "receiver")
    for attr, tag in RECEIVER_ELEMENTS:
        leaf(receiver, tag, getattr(report.receiver, attr))
    build_patient(el, icsr, sink)


def _occur_country(icsr: ICSR, sink: Sink) -> str | None:
    countries = [r.country for r in icsr.reactions]
    found = next((c for c in countries if c is not None), None)
    for i, c in enumerate(countries):
        if c != found:
            sink.lost("E.i.9", f"reactions[{i}]", "R2 holds one occurrence country per report")
    return found


def _medically_confirmed(icsr: ICSR, sink: Sink) -> str | None:
    values = [r.medically_confirmed for r in icsr.reactions]
    known = [v for v in values if v is not None]
    if not known:
        return None
    value = any(known)
    for i, v in enumerate(values):
        if v is not value:
            sink.lost("E.i.8", f"reactions[{i}]", "R2 holds one medical confirmation per report")
    return codes.yes_no(value)


def _seriousness(el: Element, icsr: ICSR, sink: Sink) -> None:
    if not icsr.reactions:
        return
    criteria = frozenset().union(*(r.seriousness.criteria for r in icsr.reactions))
    merged = Seriousness.of(*criteria)
    leaf(el, "serious", codes.yes_no(bool(criteria)))
    for tag, attr in _SERIOUSNESS_TAGS:
        leaf(el, tag, codes.yes_no(getattr(merged, attr) is True))
    for i, r in enumerate(icsr.reactions):
        expected = criteria if expected_seriousness_applies(r) else frozenset()
        if r.seriousness.criteria != expected:
            sink.lost(
                "E.i.3.2",
                f"reactions[{i}].seriousness",
                "R2 seriousness is report-level; per-reaction criteria are merged",
            )


def _primary_sources(el: Element, icsr: ICSR, sink: Sink) -> None:
    regulatory = icsr.primary_source_for_regulatory_purposes()
    sources: list[PrimarySource | None] = [regulatory] if regulatory is not None else [None]
    sources += [s for s in icsr.primary_sources if s is not regulatory]
    for i in range(len(sources), len(icsr.literature)):
        sink.lost("C.4.r.1", f"literature[{i}]", "more references than R2 primary sources")
    for i, source in enumerate(sources):
        w = f"primary_sources[{icsr.primary_sources.index(source) if source else 0}]"
        ps = etree.SubElement(el, "primarysource")
        if source is not None:
            for tag, attr, element_id in _SOURCE_FIELDS:
                leaf(ps, tag, plain(getattr(source, attr), sink, element_id, w))
            q = source.qualification
            if isinstance(q, NullFlavor):
                sink.lost("C.2.r.4", w, f"nullFlavor {q.name} cannot be expressed in R2")
            leaf(
                ps,
                "qualification",
                codes.QUALIFICATION_TO_R2[q] if q and not isinstance(q, NullFlavor) else None,
            )
            if source.telephone is not None:
                sink.lost("C.2.r.2.7", w, "reporter telephone has no ICH R2 element")
            if source.email is not None:
                sink.lost("C.2.r.2.8", w, "reporter email has no ICH R2 element")
        if i < len(icsr.literature):
            lit = icsr.literature[i]
            leaf(
                ps, "literaturereference", plain(lit.reference, sink, "C.4.r.1", f"literature[{i}]")
            )
            if lit.document is not None:
                sink.lost("C.4.r.2", f"literature[{i}]", "included article has no R2 element")
        if i == 0 and icsr.study is not None:
            _study(ps, icsr, sink)


def _study(ps: Element, icsr: ICSR, sink: Sink) -> None:
    study = icsr.study
    assert study is not None
    leaf(ps, "studyname", plain(study.name, sink, "C.5.2", "study"))
    leaf(ps, "sponsorstudynumb", plain(study.sponsor_study_number, sink, "C.5.3", "study"))
    leaf(
        ps,
        "observestudytype",
        codes.STUDY_TYPE_TO_R2[study.study_type] if study.study_type else None,
    )
    for i in range(len(study.registrations)):
        sink.lost("C.5.1.r", f"study.registrations[{i}]", "study registration has no R2 element")


def _sender(el: Element, sender: Sender | None, sink: Sink) -> None:
    s = etree.SubElement(el, "sender")
    if sender is None:
        return
    kind = sender.sender_type
    code = codes.SENDER_TYPE_TO_R2.get(kind) if kind is not None else None
    if kind is not None and code is None:
        sink.lost("C.3.1", "sender", f"sender type {kind.name} has no R2 code")
    leaf(s, "sendertype", code)
    for tag, attr in SENDER_FIELDS:
        leaf(s, tag, getattr(sender, attr))
