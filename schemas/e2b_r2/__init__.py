"""ICH ICSR 2.1 (E2B(R2)) ``ichicsr`` messages to and from the domain model:
``parse_r2`` -> ``R2Message`` -> ``build_r2`` -> ``serialize_r2``."""

from schemas.e2b_r2.build import build_r2, r2_losses, serialize_r2
from schemas.e2b_r2.model import (
    FDA_R21_SYSTEM_ID,
    ICH_R21_SYSTEM_ID,
    E2BR2Error,
    Loss,
    R2Header,
    R2Message,
    R2Receiver,
    R2Report,
)
from schemas.e2b_r2.parse import parse_r2

__all__ = [
    "FDA_R21_SYSTEM_ID",
    "ICH_R21_SYSTEM_ID",
    "E2BR2Error",
    "Loss",
    "R2Header",
    "R2Message",
    "R2Receiver",
    "R2Report",
    "build_r2",
    "parse_r2",
    "r2_losses",
    "serialize_r2",
]
