"""Read an ICH ICSR 2.1 ``ichicsr`` message into ``R2Message`` (domain ICSRs inside).

Every element the domain cannot hold (R2-only fields, FDA/regional elements, MedDRA terms
given as names where the domain keeps codes, unreadable values) is listed in the
report's ``not_carried``; nothing is dropped silently.
"""

from __future__ import annotations

import dataclasses

from gateway.domain.codes import FirstSender, NullificationAmendment, SeriousnessCriterion
from gateway.domain.icsr import ICSR
from gateway.domain.reaction import Reaction, Seriousness
from gateway.domain.report import (
    Document,
    LiteratureReference,
    OtherCaseId,
    PrimarySource,
    ReportIdentification,
    Sender,
    Study,
)
from schemas.e2b_r2 import codes
from schemas.e2b_r2.build import SENDER_FIELDS
from schemas.e2b_r2.build_patient import expected_seriousness_applies
from schemas.e2b_r2.model import (
    RECEIVER_ELEMENTS,
    E2BR2Error,
    R2Header,
    R2Message,
    R2Receiver,
    R2Report,
)
from schemas.e2b_r2.parse_patient import PatientSection, parse_patient
from schemas.e2b_r2.xml import Element, Reader, Sink, reader_flag
from schemas.xml_safety import DEFAULT_MAX_BYTES, load_xml

_CRITERIA = (
    ("seriousnessdeath", SeriousnessCriterion.DEATH),
    ("seriousnesslifethreatening", SeriousnessCriterion.LIFE_THREATENING),
    ("seriousnesshospitalization", SeriousnessCriterion.HOSPITALISATION),
    ("seriousnessdisabling", SeriousnessCriterion.DISABLING),
    ("seriousnesscongenitalanomali", SeriousnessCriterion.CONGENITAL_ANOMALY),
    ("seriousnessother", SeriousnessCriterion.OTHER_MEDICALLY_IMPORTANT),
)
_REPORTER = (
    "reportertitle",
    "reportergivename",
    "reportermiddlename",
    "reporterfamilyname",
    "reporterorganization",
    "reporterdepartment",
    "reporterstreet",
    "reportercity",
    "reporterstate",
    "reporterpostcode",
    "reportercountry",
)
_REPORTER_ATTRS = (
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
    "country",
)
#: FDA regional element carried by the domain (PrimarySource.email, FDA.C.2.r.2.8)
_FDA_REPORTER_EMAIL = "reporteremailaddress"


def parse_r2(root: Element | bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> R2Message:
    """Read an ``ichicsr`` message: a parsed element, or bytes (through the safe loader)."""
    if isinstance(root, bytes):
        root = load_xml(root, max_bytes=max_bytes, expected_roots={"ichicsr"})
    if root.tag != "ichicsr":
        raise E2BR2Error(f"not an ICH ICSR (E2B(R2)) message: <{root.tag}>")
    sink = Sink()
    rd = Reader(root, "ichicsr", sink)
    headers = rd.all("ichicsrmessageheader")
    if not headers:
        raise E2BR2Error("M.1: ichicsrmessageheader missing")
    header = _header(headers[0], str(root.get("lang") or "en"), sink)
    reports = tuple(_report(el, i) for i, el in enumerate(rd.all("safetyreport")))
    if not reports:
        raise E2BR2Error("A.1: the message has no safetyreport")
    rd.finish()
    if sink.items:  # message-level findings travel with the first report
        first = reports[0]
        reports = (
            dataclasses.replace(first, not_carried=(*sink.items, *first.not_carried)),
            *reports[1:],
        )
    return R2Message(header=header, reports=reports)


def _header(el: Element, lang: str, sink: Sink) -> R2Header:
    rd = Reader(el, "ichicsrmessageheader", sink)
    values = {
        "message_type": rd.text("messagetype"),
        "format_version": rd.text("messageformatversion"),
        "format_release": rd.text("messageformatrelease"),
        "message_number": rd.text("messagenumb"),
        "sender_id": rd.text("messagesenderidentifier"),
        "receiver_id": rd.text("messagereceiveridentifier"),
        "date": rd.date("messagedateformat", "messagedate"),
    }
    rd.finish()
    missing = [k for k in ("message_number", "sender_id", "receiver_id", "date") if not values[k]]
    if missing:
        raise E2BR2Error(f"M.1: message header lacks {', '.join(missing)}")
    present = {k: v for k, v in values.items() if v is not None}
    return R2Header(lang=lang, **present)  # type: ignore[arg-type]


def _sources(
    rd: Reader, sink: Sink
) -> tuple[list[PrimarySource], list[LiteratureReference], Study | None]:
    sources: list[PrimarySource] = []
    literature: list[LiteratureReference] = []
    study: Study | None = None
    for i, el in enumerate(rd.all("primarysource")):
        ps = Reader(el, f"{rd.where}/primarysource[{i}]", sink)
        values = {attr: ps.text(tag) for tag, attr in zip(_REPORTER, _REPORTER_ATTRS, strict=True)}
        qualification = ps.coded("qualification", codes.QUALIFICATION_FROM_R2)
        email = ps.text(_FDA_REPORTER_EMAIL)
        reference = ps.text("literaturereference")
        found = Study(
            name=ps.text("studyname"),
            sponsor_study_number=ps.text("sponsorstudynumb"),
            study_type=ps.coded("observestudytype", codes.STUDY_TYPE_FROM_R2),
        )
        ps.finish()
        if reference is not None:
            literature.append(LiteratureReference(reference=reference))
        if found != Study():
            if study is None:
                study = found
            elif found != study:
                sink.lost("A.2.3", ps.where, "a second, different study: the domain holds one")
        if any(v is not None for v in values.values()) or qualification or email:
            sources.append(
                PrimarySource(
                    qualification=qualification,
                    email=email,
                    primary_for_regulatory_purposes=not sources,
                    **values,
                )
            )
    return sources, literature, study


def _sender(rd: Reader, sink: Sink) -> Sender | None:
    found = rd.all("sender")
    if not found:
        return None
    s = Reader(found[0], f"{rd.where}/sender", sink)
    kind = s.coded("sendertype", codes.SENDER_TYPE_FROM_R2)
    values = {attr: s.text(tag) for tag, attr in SENDER_FIELDS}
    s.finish()
    sender = Sender(sender_type=kind, **values)
    return None if sender == Sender() else sender


def _receiver(rd: Reader, sink: Sink) -> R2Receiver:
    found = rd.all("receiver")
    if not found:
        return R2Receiver()
    r = Reader(found[0], f"{rd.where}/receiver", sink)
    values = {attr: r.text(tag) for attr, tag in RECEIVER_ELEMENTS}
    r.finish()
    return R2Receiver(**values)


def _apply_report_level(
    reactions: tuple[Reaction, ...],
    criteria: list[SeriousnessCriterion],
    country: str | None,
    confirmed: bool | None,
) -> tuple[Reaction, ...]:
    """Spread R2's report-level seriousness, occurrence country and confirmation onto E.i."""
    serious = Seriousness.of(*criteria)
    return tuple(
        dataclasses.replace(
            r,
            seriousness=serious if expected_seriousness_applies(r) else Seriousness(),
            country=country,
            medically_confirmed=confirmed,
        )
        for r in reactions
    )


def _report(el: Element, index: int) -> R2Report:
    sink = Sink()
    rd = Reader(el, f"safetyreport[{index}]", sink)
    version = rd.text("safetyreportversion")
    report_id = rd.text("safetyreportid")
    if report_id is None:
        raise E2BR2Error(f"A.1.0.1: safetyreport[{index}] has no safetyreportid")
    source_country = rd.text("primarysourcecountry")
    occur_country = rd.text("occurcountry")
    created = rd.date("transmissiondateformat", "transmissiondate")
    report_type = rd.coded("reporttype", codes.REPORT_TYPE_FROM_R2)
    serious = reader_flag(rd, "serious")
    criteria = [c for tag, c in _CRITERIA if reader_flag(rd, tag)]
    if serious is not None and serious != bool(criteria):
        sink.lost(
            "A.1.5.1",
            f"{rd.where}/serious",
            f"serious = {'1' if serious else '2'} contradicts the criteria; the domain holds "
            "seriousness only as criteria (E.i.3.2), which are kept",
        )
    received = rd.date("receivedateformat", "receivedate")
    receipt = rd.date("receiptdateformat", "receiptdate")
    additional = reader_flag(rd, "additionaldocument")
    documents = rd.text("documentlist")
    expedited = reader_flag(rd, "fulfillexpeditecriteria")
    authority, company = rd.text("authoritynumb"), rd.text("companynumb")
    if authority is not None and company is not None:
        sink.lost(
            "A.1.10.2",
            f"{rd.where}/companynumb",
            "both numbers given: C.1.8.1 holds one (the authority number is kept)",
        )
    duplicate = rd.text("duplicate")
    nullified = rd.text("casenullification") == codes.YES
    reason = rd.text("nullificationreason")
    if reason is not None and not nullified:
        sink.lost("A.1.13.1", f"{rd.where}/nullificationreason", "reason without nullification")
    confirmed = reader_flag(rd, "medicallyconfirm")
    others = []
    for i, dup_el in enumerate(rd.all("reportduplicate")):
        dup = Reader(dup_el, f"{rd.where}/reportduplicate[{i}]", sink)
        others.append(
            OtherCaseId(source=dup.text("duplicatesource"), case_id=dup.text("duplicatenumb"))
        )
        dup.finish()
    linked = []
    for i, link_el in enumerate(rd.all("linkedreport")):
        link = Reader(link_el, f"{rd.where}/linkedreport[{i}]", sink)
        number = link.text("linkreportnumb")
        link.finish()
        if number is not None:
            linked.append(number)
    sources, literature, study = _sources(rd, sink)
    if source_country is not None:
        if sources and sources[0].country is None:
            sources[0] = dataclasses.replace(sources[0], country=source_country)
        elif not sources or sources[0].country != source_country:
            sink.lost(
                "A.1.1",
                f"{rd.where}/primarysourcecountry",
                "differs from the reporter's country (or no reporter): C.2.r.3 holds one",
            )
    sender = _sender(rd, sink)
    receiver = _receiver(rd, sink)
    patients = rd.all("patient")
    if not patients:
        raise E2BR2Error(f"B.1: safetyreport[{index}] has no patient")
    section: PatientSection = parse_patient(patients[0], f"{rd.where}/patient", sink, report_id)
    rd.finish()
    identification = ReportIdentification(
        safety_report_id=report_id,
        created_at=created,
        report_type=report_type,
        first_received=received,
        most_recent_info=receipt,
        additional_documents=additional,
        documents=(Document(title=documents),) if documents else (),
        fulfils_expedited_criteria=expedited,
        worldwide_case_id=authority or company,
        first_sender=(FirstSender.REGULATOR if authority else FirstSender.OTHER)
        if authority or company
        else None,
        other_case_ids_exist=True if duplicate == codes.YES else None,
        other_case_ids=tuple(others),
        linked_report_ids=tuple(linked),
        nullification_amendment=NullificationAmendment.NULLIFICATION if nullified else None,
        nullification_amendment_reason=reason if nullified else None,
    )
    if duplicate is not None and duplicate != codes.YES:
        sink.lost("A.1.11", f"{rd.where}/duplicate", f"value {duplicate!r}: only 1 (yes) is read")
    icsr = ICSR(
        report=identification,
        primary_sources=tuple(sources),
        sender=sender,
        literature=tuple(literature),
        study=study,
        patient=section.patient,
        reactions=_apply_report_level(section.reactions, criteria, occur_country, confirmed),
        tests=section.tests,
        drugs=section.drugs,
        narrative=section.narrative,
    )
    return R2Report(icsr=icsr, version=version, receiver=receiver, not_carried=tuple(sink.items))
