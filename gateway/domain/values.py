"""Value types shared by every ICSR section: nullFlavors, quantities, codes, dates.

How absence is modelled
-----------------------
E2B(R3) distinguishes *not sent* from *sent as unknown*: an element may be absent, hold a
value, or hold a nullFlavor that says why the value is missing (MSK: known but masked for
privacy; ASKU: asked, unknown; NASK: not asked; ...). A field therefore has the type

    ``Nullable[T] | None``  i.e.  ``T | NullFlavor | None``

where ``None`` means the element is absent and a ``NullFlavor`` member is the
transmitted reason. Only elements that the ICH guide allows a nullFlavor for are typed
``Nullable[...]``; the others are ``T | None``. ``NullFlavor`` is a plain ``Enum`` (not a
``str`` subclass) so that ``isinstance(v, NullFlavor)`` cleanly separates it from a
text value such as the string ``"UNK"``.

Elements whose only values are ``true`` or nullFlavor ``NI`` (E.i.3.2a-f seriousness,
C.1.9.1) use ``TrueOrNI``; ``False`` is not a member of the type and is rejected at
runtime, because E2B forbids sending it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Literal, TypeAlias, TypeVar
from uuid import uuid4

from gateway.domain.partial_date import DatePrecision, PartialDate

__all__ = [
    "MEDDRA_OID",
    "Coded",
    "DatePrecision",
    "MedDRATerm",
    "NullFlavor",
    "Nullable",
    "PartialDate",
    "Quantity",
    "TrueOrNI",
    "check_true_or_ni",
    "new_local_id",
    "require_text",
]

#: code system OID for MedDRA in E2B(R3) (``codeSystem`` of every MedDRA-coded element)
MEDDRA_OID = "2.16.840.1.113883.6.163"


class NullFlavor(Enum):
    """HL7 nullFlavors used by E2B(R3): why a value is missing (guide section 3.3.6)."""

    NI = "NI"  # no information: nothing known, not even whether a value applies
    MSK = "MSK"  # masked: known to the sender but withheld (privacy)
    UNK = "UNK"  # unknown: a value applies but is not known
    NA = "NA"  # not applicable
    ASKU = "ASKU"  # asked but unknown
    NASK = "NASK"  # not asked
    NINF = "NINF"  # negative infinity (F.r.3.2 result bound)
    PINF = "PINF"  # positive infinity (F.r.3.2 result bound)
    OTH = "OTH"  # other: a value outside the code list (regional use)


T = TypeVar("T")

#: a value of type T, or the nullFlavor that explains its absence
Nullable: TypeAlias = T | NullFlavor

#: an element whose only allowed values are ``true`` and nullFlavor ``NI``
TrueOrNI: TypeAlias = Literal[True, NullFlavor.NI]


def check_true_or_ni(value: object, element: str) -> None:
    """Reject anything but ``True`` / ``NullFlavor.NI`` (E2B never transmits ``false``)."""
    if value is not True and value is not NullFlavor.NI:
        raise ValueError(f"{element} must be True or NullFlavor.NI, never {value!r}")


def require_text(value: object, name: str) -> None:
    """Identifiers must be non-blank strings: an empty id cannot be referenced."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")


def new_local_id() -> str:
    """A fresh local id for a reaction or drug (the drug-reaction matrix refers to it)."""
    return uuid4().hex


@dataclass(frozen=True, slots=True, kw_only=True)
class Quantity:
    """A number with a UCUM unit, e.g. age ``Quantity(value=Decimal("42"), unit="a")``.

    Decimal, not float: doses and lab values must survive a round trip digit for digit.
    """

    value: Decimal
    #: UCUM code, including E2B's curly-brace units such as ``{DF}`` or ``{trimester}``
    unit: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal) or not self.value.is_finite():
            raise ValueError(f"Quantity.value must be a finite Decimal, got {self.value!r}")
        require_text(self.unit, "Quantity.unit")


@dataclass(frozen=True, slots=True, kw_only=True)
class Coded:
    """A code from a terminology other than MedDRA (EDQM routes and dose forms, IDMP
    MPID/PhPID, substance TermIDs): the element's ``a`` part is ``version``, ``b`` is
    ``code``."""

    code: str
    #: code system OID or name; None when the element implies it
    system: str | None = None
    #: "TermID Version Date/Number" (e.g. G.k.4.r.10.2a)
    version: str | None = None
    display: str | None = None

    def __post_init__(self) -> None:
        require_text(self.code, "Coded.code")


_MEDDRA_VERSION = re.compile(r"^\d{1,2}\.\d$")
_MEDDRA_CODE = re.compile(r"^\d{8}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class MedDRATerm:
    """A MedDRA-coded element pair, e.g. E.i.2.1a (version) + E.i.2.1b (code).

    The code is kept as its 8-digit string, exactly as in the MedDRA ASCII files.
    """

    #: "N.N", e.g. "27.0" (the ``a`` element)
    version: str
    #: 8-digit LLT (or PT) code (the ``b`` element)
    code: str

    def __post_init__(self) -> None:
        if not isinstance(self.version, str) or not _MEDDRA_VERSION.match(self.version):
            raise ValueError(f"MedDRA version must look like '27.0', got {self.version!r}")
        if not isinstance(self.code, str) or not _MEDDRA_CODE.match(self.code):
            raise ValueError(f"MedDRA code must be 8 digits, got {self.code!r}")
