"""The E2B(R3) transmission records around the domain ICSR: batch (N.1) and message (N.2.r)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lxml import etree

from gateway.domain.icsr import ICSR
from gateway.domain.partial_date import PartialDate


class _Deferred:
    """Holds the parsed element a ``RegionalExtension`` is written from on first use.

    A slot of its own, outside the dataclass fields: never compared, shown or pickled.
    """

    __slots__ = ("_element",)


_ELEMENT = _Deferred.__dict__["_element"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RegionalExtension(_Deferred):
    """An element the ICH mapping does not model (e.g. FDA's, OIDs 2.16.840.1.113883.3.989.5.x),
    kept byte for byte and re-emitted at the same place.

    ``anchor`` names the container it sat in (``"investigationEvent"``, ``"primaryRole"``,
    ``"reaction:<id>"``, ``"drug:<id>"``, ``"drug:<id>:product"``, ``"drug:<id>:dosage:<n>"``
    ...); ``tag`` and ``index`` say it was the ``index``-th ``tag`` child there, ``position``
    its index among all element children (used when no sibling shares its tag).

    ``parse_batch(bytes)`` makes them with ``deferred``: ``xml`` is written when first read
    (same bytes, same equality, hash and pickle), and until then the parsed document stays
    in memory with the batch.
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

    @classmethod
    def deferred(cls, *, anchor: str, tag: str, element: Any) -> RegionalExtension:
        """An extension whose ``index``, ``position`` and ``xml`` are read from ``element``
        (by lxml) on first access of any of them.

        For the parser only, and only for a tree nobody else holds (one it parsed from
        bytes itself): a later change to the tree would show. Most callers never read
        ``xml`` (a batch is validated and mapped, and only sometimes re-sent), so that
        work is not paid up front; until then the extension keeps its tree alive.
        """
        ext = cls.__new__(cls)
        object.__setattr__(ext, "anchor", anchor)
        object.__setattr__(ext, "tag", tag)
        _ELEMENT.__set__(ext, element)
        return ext

    if not TYPE_CHECKING:  # hidden from type checkers: unknown attributes stay errors

        def __getattr__(self, name: str) -> object:
            # Reached only for an unset slot: a deferred extension not yet written.
            # Equality, hashing, repr, ``replace`` and pickling all read the fields, so
            # they see the written values.
            if name not in _DEFERRED:
                raise AttributeError(name)
            try:
                element = _ELEMENT.__get__(self)
            except AttributeError:  # written meanwhile (another thread), or never deferred
                return object.__getattribute__(self, name)
            index, position = _place(element)
            xml = etree.tostring(element, with_tail=False)
            setattr_ = object.__setattr__
            setattr_(self, "index", index)
            setattr_(self, "position", position)
            setattr_(self, "lxml_output", xml)
            setattr_(self, "xml", xml)
            # the tree may go once every extension is written (unless another thread did)
            with suppress(AttributeError):
                _ELEMENT.__delete__(self)
            return object.__getattribute__(self, name)


_DEFERRED = frozenset({"index", "position", "xml", "lxml_output"})


def _place(element: Any) -> tuple[int, int]:
    """``(index, position)`` of an element among its parent's children (see above)."""
    tag = element.tag
    index = position = 0
    parent = element.getparent()
    for sibling in parent.getchildren() if parent is not None else ():
        if sibling is element:
            break
        stag = sibling.tag
        if stag.__class__ is str:
            position += 1
            if stag == tag:
                index += 1
    return index, position


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
