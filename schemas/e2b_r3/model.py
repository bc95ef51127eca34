"""The E2B(R3) transmission records around the domain ICSR: batch (N.1) and message (N.2.r)."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import PartialDate


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionalExtension:
    """An element the ICH mapping does not model (e.g. FDA's, OIDs 2.16.840.1.113883.3.989.5.x),
    kept byte for byte and re-emitted at the same place.

    ``anchor`` names the container it sat in (``"investigationEvent"``, ``"primaryRole"``,
    ``"reaction:<id>"``, ``"drug:<id>"``, ``"drug:<id>:product"``, ``"drug:<id>:dosage:<n>"``
    ...); ``tag`` and ``index`` say it was the ``index``-th ``tag`` child there, ``position``
    its index among all element children (used when no sibling shares its tag).
    """

    anchor: str
    tag: str
    index: int
    position: int
    xml: bytes
    #: set by the parser to the very ``xml`` object it had lxml write; while ``xml`` is that
    #: object the writer may trust it as lxml output (a faster re-emit). Not data: never
    #: compared or shown, and a ``replace(ext, xml=...)`` makes it stale, i.e. ignored.
    lxml_output: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class R3Message:
    """N.2.r One ICSR message (``PORR_IN049016UV``)."""

    message_id: str  # N.2.r.1
    sender_id: str  # N.2.r.2
    receiver_id: str  # N.2.r.3
    created_at: PartialDate  # N.2.r.4
    icsr: ICSR
    regional_extensions: tuple[RegionalExtension, ...] = ()
    processing_code: str = "P"  # HL7 processingCode (P production, T training, D debug)
    processing_mode_code: str = "T"  # HL7 processingModeCode
    accept_ack_code: str = "AL"  # HL7 acceptAckCode


@dataclass(frozen=True, slots=True, kw_only=True)
class R3Batch:
    """N.1 One transmission (``MCCI_IN200100UV01``) holding ICSR messages."""

    batch_id: str  # N.1.2
    sender_id: str  # N.1.3
    receiver_id: str  # N.1.4
    created_at: PartialDate  # N.1.5
    batch_type: str = "1"  # N.1.1 (1 = ichicsr)
    messages: tuple[R3Message, ...] = ()
    regional_extensions: tuple[RegionalExtension, ...] = field(default=())
    response_mode_code: str = "D"  # HL7 responseModeCode
