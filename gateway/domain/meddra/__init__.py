"""MedDRA: load the user's licensed ASCII distribution and code verbatim event text.

    dictionary = load_distribution(Path("/srv/meddra/27.1/english"))
    coder = MedDRACoder(dictionary)
    result = coder.code("tummy ache")  # CodingResult | None: LLT, PT, primary SOC, score

Pure domain code: the standard library and rapidfuzz (string similarity, no I/O) only.
"""

from gateway.domain.meddra.coder import CodingResult, MatchMethod, MedDRACoder
from gateway.domain.meddra.dictionary import (
    GroupingTerm,
    HierarchyPath,
    LowestLevelTerm,
    MedDRADictionary,
    PreferredTerm,
    SystemOrganClass,
)
from gateway.domain.meddra.loader import (
    REQUIRED_FILES,
    MedDRALoadError,
    load_distribution,
    parse_distribution,
)
from gateway.domain.meddra.migration import Remapping, remap_noncurrent

__all__ = [
    "REQUIRED_FILES",
    "CodingResult",
    "GroupingTerm",
    "HierarchyPath",
    "LowestLevelTerm",
    "MatchMethod",
    "MedDRACoder",
    "MedDRADictionary",
    "MedDRALoadError",
    "PreferredTerm",
    "Remapping",
    "SystemOrganClass",
    "load_distribution",
    "parse_distribution",
    "remap_noncurrent",
]
