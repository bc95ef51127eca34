"""Section F: results of tests and procedures relevant to the investigation.

(Not ``test_result.py``: pytest would try to collect a package module named ``test_*``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from gateway.domain.codes import ResultQualifier, TestResultCode
from gateway.domain.values import MedDRATerm, Nullable, NullFlavor, PartialDate


@dataclass(frozen=True, slots=True, kw_only=True)
class LabTest:
    """F.r One test or procedure and its result.

    A numeric result is ``result_value`` + ``result_unit``, optionally qualified
    ("< 5"); open interval bounds are nullFlavors NINF / PINF (F.r.3.2).
    """

    date: Nullable[PartialDate] | None = None  # F.r.1 (nullFlavor UNK)
    name: str | None = None  # F.r.2.1 free text
    name_term: MedDRATerm | None = None  # F.r.2.2a version + F.r.2.2b code
    result_code: TestResultCode | None = None  # F.r.3.1
    result_value: Nullable[Decimal] | None = None  # F.r.3.2 value (NINF, PINF)
    result_qualifier: ResultQualifier | None = None  # F.r.3.2 qualifier
    result_unit: str | None = None  # F.r.3.3 UCUM
    result_text: str | None = None  # F.r.3.4 unstructured result
    normal_low: str | None = None  # F.r.4
    normal_high: str | None = None  # F.r.5
    comments: str | None = None  # F.r.6
    more_information_available: bool | None = None  # F.r.7

    def __post_init__(self) -> None:
        value = self.result_value
        if isinstance(value, NullFlavor) and value not in (NullFlavor.NINF, NullFlavor.PINF):
            raise ValueError(f"F.r.3.2 allows only NINF / PINF nullFlavors, got {value.name}")
        if isinstance(value, Decimal) and not value.is_finite():
            raise ValueError(f"F.r.3.2 must be finite, got {value!r}")
