"""The E2B(R2) records around the domain ICSR: the ``ichicsr`` message and its reports.

The domain ``ICSR`` follows E2B(R3). What an R2 file holds beyond it lives here: the M.1
message header, A.0.1 ``safetyreportversion``, the A.3.2 receiver block, and the list of
elements the parser read but could not carry (``R2Report.not_carried``), so nothing is
ever dropped silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import PartialDate

#: DOCTYPE system ids for ICH ICSR 2.1 files
ICH_R21_SYSTEM_ID = "ich-icsr-v2.1.dtd"
FDA_R21_SYSTEM_ID = "http://www.accessdata.fda.gov/xml/icsr-xml-v2.1.dtd"


class E2BR2Error(ValueError):
    """The XML is not an ICH ICSR 2.1 message the mapping can read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Loss:
    """One populated element the target cannot carry.

    ``element_id`` is the element's field reference in the *source* format (E2B(R3) ids such
    as ``"G.k.2.3.r.3"``, E2B(R2) refs such as ``"B.2.i.2.b"``, or the tag of a regional
    element); ``path`` says where it was; ``reason`` why it is not carried.
    """

    element_id: str
    path: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class R2Header:
    """M.1 ICH ICSR message header."""

    message_number: str  # M.1.4 messagenumb
    sender_id: str  # M.1.5 messagesenderidentifier
    receiver_id: str  # M.1.6 messagereceiveridentifier
    date: PartialDate  # M.1.7 messagedate (format 204, CCYYMMDDHHMMSS)
    message_type: str = "ichicsr"  # M.1.1
    format_version: str = "2.1"  # M.1.2
    format_release: str = "1.0"  # M.1.3
    lang: str = "en"  # ichicsr/@lang (ISO 639)


@dataclass(frozen=True, slots=True, kw_only=True)
class R2Receiver:
    """A.3.2 Information on the receiver (R2 only: E2B(R3) keeps just N.2.r.3)."""

    receiver_type: str | None = None  # A.3.2.1 (1, 2, 4, 5, 6)
    organisation: str | None = None  # A.3.2.2a
    department: str | None = None  # A.3.2.2b
    title: str | None = None  # A.3.2.2c
    given_name: str | None = None  # A.3.2.2d
    middle_name: str | None = None  # A.3.2.2e
    family_name: str | None = None  # A.3.2.2f
    street: str | None = None  # A.3.2.3a
    city: str | None = None  # A.3.2.3b
    state: str | None = None  # A.3.2.3c
    postcode: str | None = None  # A.3.2.3d
    country: str | None = None  # A.3.2.3e
    telephone: str | None = None  # A.3.2.3f
    telephone_extension: str | None = None  # A.3.2.3g
    telephone_country_code: str | None = None  # A.3.2.3h
    fax: str | None = None  # A.3.2.3i
    fax_extension: str | None = None  # A.3.2.3j
    fax_country_code: str | None = None  # A.3.2.3k
    email: str | None = None  # A.3.2.3l


#: R2Receiver fields in DTD order with their element names
RECEIVER_ELEMENTS: tuple[tuple[str, str], ...] = (
    ("receiver_type", "receivertype"),
    ("organisation", "receiverorganization"),
    ("department", "receiverdepartment"),
    ("title", "receivertitle"),
    ("given_name", "receivergivename"),
    ("middle_name", "receivermiddlename"),
    ("family_name", "receiverfamilyname"),
    ("street", "receiverstreetaddress"),
    ("city", "receivercity"),
    ("state", "receiverstate"),
    ("postcode", "receiverpostcode"),
    ("country", "receivercountrycode"),
    ("telephone", "receivertel"),
    ("telephone_extension", "receivertelextension"),
    ("telephone_country_code", "receivertelcountrycode"),
    ("fax", "receiverfax"),
    ("fax_extension", "receiverfaxextension"),
    ("fax_country_code", "receiverfaxcountrycode"),
    ("email", "receiveremailaddress"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class R2Report:
    """A.1 One ``safetyreport``: the domain ICSR plus what only R2 has."""

    icsr: ICSR
    version: str | None = None  # A.1.0.1 safetyreportversion (technical, not E2B(M))
    receiver: R2Receiver = field(default_factory=R2Receiver)  # A.3.2
    #: elements read from the file that neither the domain nor this record carries
    not_carried: tuple[Loss, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class R2Message:
    """One ``ichicsr`` message: a header and one or more safety reports."""

    header: R2Header
    reports: tuple[R2Report, ...] = ()
