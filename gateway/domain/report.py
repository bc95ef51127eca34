"""Section C: report identification, primary sources, sender, literature, study.

Every field is optional: intake builds an ICSR bit by bit from messy sources, and the
validity check (not the constructor) decides whether enough is known. Element ids in the
comments map each field to the ICH E2B(R3) guide.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from gateway.domain.codes import (
    FirstSender,
    NullificationAmendment,
    Qualification,
    ReportType,
    SenderType,
    StudyType,
)
from gateway.domain.values import Nullable, PartialDate, TrueOrNI, check_true_or_ni


@dataclass(frozen=True, slots=True, kw_only=True)
class Document:
    """A document held by the sender (C.1.6.1.r) or a literature copy (C.4.r.2).

    Either the content travels inline (base64, as in the E2B message) or ``reference``
    points at our stored source document; both may be set.
    """

    title: str | None = None  # C.1.6.1.r.1 documents held by sender
    media_type: str | None = None  # C.1.6.1.r.2 mediaType, e.g. "application/pdf"
    content_base64: str | None = None  # C.1.6.1.r.2 representation B64
    compression: str | None = None  # C.1.6.1.r.2 compression, e.g. "DF"
    #: C.1.6.1.r.2 / C.4.r.2 ED ``reference``: file name or URL of the document's content
    url: str | None = None
    reference: str | None = None  # gateway-local: key of the stored source document

    def __post_init__(self) -> None:
        if self.content_base64 is not None:
            try:
                base64.b64decode(self.content_base64, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"Document.content_base64 is not base64: {exc}") from None

    @property
    def content(self) -> bytes | None:
        """The decoded bytes of an inline document."""
        if self.content_base64 is None:
            return None
        return base64.b64decode(self.content_base64, validate=True)


@dataclass(frozen=True, slots=True, kw_only=True)
class OtherCaseId:
    """C.1.9.1.r: a case id the case had in previous transmissions."""

    source: str | None = None  # C.1.9.1.r.1 source of the case identifier
    case_id: str | None = None  # C.1.9.1.r.2 case identifier


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportIdentification:
    """C.1 Identification of the case safety report."""

    safety_report_id: str | None = None  # C.1.1 sender's (case) safety report unique id
    created_at: PartialDate | None = None  # C.1.2 date of creation
    report_type: ReportType | None = None  # C.1.3
    first_received: PartialDate | None = None  # C.1.4 first received from source (Day 0 basis)
    most_recent_info: PartialDate | None = None  # C.1.5 most recent information
    additional_documents: bool | None = None  # C.1.6.1 additional documents available?
    documents: tuple[Document, ...] = ()  # C.1.6.1.r
    fulfils_expedited_criteria: Nullable[bool] | None = None  # C.1.7 (nullFlavor NI)
    worldwide_case_id: str | None = None  # C.1.8.1 set once by the first sender
    first_sender: FirstSender | None = None  # C.1.8.2
    other_case_ids_exist: TrueOrNI | None = None  # C.1.9.1 true or NI
    other_case_ids: tuple[OtherCaseId, ...] = ()  # C.1.9.1.r
    linked_report_ids: tuple[str, ...] = ()  # C.1.10.r
    nullification_amendment: NullificationAmendment | None = None  # C.1.11.1
    nullification_amendment_reason: str | None = None  # C.1.11.2

    def __post_init__(self) -> None:
        if self.other_case_ids_exist is not None:
            check_true_or_ni(self.other_case_ids_exist, "C.1.9.1")


@dataclass(frozen=True, slots=True, kw_only=True)
class PrimarySource:
    """C.2.r A primary source of information (the reporter). MSK masks private fields."""

    title: Nullable[str] | None = None  # C.2.r.1.1
    given_name: Nullable[str] | None = None  # C.2.r.1.2
    middle_name: Nullable[str] | None = None  # C.2.r.1.3
    family_name: Nullable[str] | None = None  # C.2.r.1.4
    organisation: Nullable[str] | None = None  # C.2.r.2.1
    department: Nullable[str] | None = None  # C.2.r.2.2
    street: Nullable[str] | None = None  # C.2.r.2.3
    city: Nullable[str] | None = None  # C.2.r.2.4
    state: Nullable[str] | None = None  # C.2.r.2.5 state or province
    postcode: Nullable[str] | None = None  # C.2.r.2.6
    telephone: Nullable[str] | None = None  # C.2.r.2.7
    #: FDA.C.2.r.2.8 (regional); needed to verify digital-media reporters (GVP VI.B.1.1.4)
    email: Nullable[str] | None = None
    country: Nullable[str] | None = None  # C.2.r.3 ISO 3166-1 alpha-2 (or "EU")
    qualification: Nullable[Qualification] | None = None  # C.2.r.4 (nullFlavor UNK)
    primary_for_regulatory_purposes: bool = False  # C.2.r.5 = 1 on exactly one source


@dataclass(frozen=True, slots=True, kw_only=True)
class Sender:
    """C.3 Information on the sender of the case safety report."""

    sender_type: SenderType | None = None  # C.3.1
    organisation: str | None = None  # C.3.2
    department: str | None = None  # C.3.3.1
    title: str | None = None  # C.3.3.2
    given_name: str | None = None  # C.3.3.3
    middle_name: str | None = None  # C.3.3.4
    family_name: str | None = None  # C.3.3.5
    street: str | None = None  # C.3.4.1
    city: str | None = None  # C.3.4.2
    state: str | None = None  # C.3.4.3
    postcode: str | None = None  # C.3.4.4
    country: str | None = None  # C.3.4.5
    telephone: str | None = None  # C.3.4.6
    fax: str | None = None  # C.3.4.7
    email: str | None = None  # C.3.4.8


@dataclass(frozen=True, slots=True, kw_only=True)
class LiteratureReference:
    """C.4.r A literature reference (Vancouver style) and optionally the article."""

    reference: Nullable[str] | None = None  # C.4.r.1 (nullFlavor ASKU, NASK)
    document: Document | None = None  # C.4.r.2 included documents


@dataclass(frozen=True, slots=True, kw_only=True)
class StudyRegistration:
    """C.5.1.r Study registration."""

    number: Nullable[str] | None = None  # C.5.1.r.1 (ASKU, NASK)
    country: Nullable[str] | None = None  # C.5.1.r.2 (ASKU, NASK)


@dataclass(frozen=True, slots=True, kw_only=True)
class Study:
    """C.5 Study identification (required when C.1.3 = 2, report from study)."""

    registrations: tuple[StudyRegistration, ...] = ()  # C.5.1.r
    name: Nullable[str] | None = None  # C.5.2 (ASKU, NASK)
    sponsor_study_number: Nullable[str] | None = None  # C.5.3 (ASKU, NASK)
    study_type: StudyType | None = None  # C.5.4
