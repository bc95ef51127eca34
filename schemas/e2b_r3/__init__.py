"""ICH E2B(R3) ICSR batches (HL7 v3 ``MCCI_IN200100UV01`` / ``PORR_IN049016UV``) to and from
the domain model: ``parse_batch`` -> ``R3Batch`` -> ``build_batch`` -> ``serialize``."""

from schemas.e2b_r3.batch import build_batch, parse_batch, serialize, to_bytes
from schemas.e2b_r3.model import R3Batch, R3Message, RegionalExtension
from schemas.e2b_r3.xml import E2BR3Error

__all__ = [
    "E2BR3Error",
    "R3Batch",
    "R3Message",
    "RegionalExtension",
    "build_batch",
    "parse_batch",
    "serialize",
    "to_bytes",
]
