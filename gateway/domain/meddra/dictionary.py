"""One loaded MedDRA distribution (one version, one language), read-only.

The five levels, top down: System Organ Class (SOC) > High Level Group Term (HLGT) >
High Level Term (HLT) > Preferred Term (PT) > Lowest Level Term (LLT). An event is coded
with a *current* LLT; the LLT determines its PT, and the PT's *primary* SOC is the one
reported. A PT may sit under several SOCs (multiaxiality): every path is kept, one of them
flagged primary.

Codes stay 8-digit strings, exactly as in the ASCII files and in E2B (``MedDRATerm``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "GroupingTerm",
    "HierarchyPath",
    "LowestLevelTerm",
    "MedDRADictionary",
    "PreferredTerm",
    "SystemOrganClass",
]


@dataclass(frozen=True, slots=True)
class LowestLevelTerm:
    code: str
    name: str
    pt_code: str
    #: llt_currency = "Y": the only LLTs an event may be coded with
    current: bool


@dataclass(frozen=True, slots=True)
class PreferredTerm:
    code: str
    name: str
    #: pt_soc_code: the primary SOC, the one reported for an event coded under this PT
    primary_soc_code: str


@dataclass(frozen=True, slots=True)
class GroupingTerm:
    """An HLT or HLGT: a grouping level with a code and a name."""

    code: str
    name: str


@dataclass(frozen=True, slots=True)
class SystemOrganClass:
    code: str
    name: str
    abbrev: str


@dataclass(frozen=True, slots=True)
class HierarchyPath:
    """One row of ``mdhier.asc``: a PT's way up to one SOC."""

    pt_code: str
    hlt_code: str
    hlgt_code: str
    soc_code: str
    primary: bool


class MedDRADictionary:
    """Terms and hierarchy of one MedDRA version in one language.

    Built by ``load_distribution``/``parse_distribution``, which check the references
    between files; the constructor only indexes what it is given.
    """

    def __init__(
        self,
        *,
        version: str,
        language: str,
        llts: Iterable[LowestLevelTerm],
        pts: Iterable[PreferredTerm],
        hlts: Iterable[GroupingTerm],
        hlgts: Iterable[GroupingTerm],
        socs: Iterable[SystemOrganClass],
        paths: Iterable[HierarchyPath],
    ) -> None:
        self.version = version
        self.language = language
        self._llts = {t.code: t for t in llts}
        self._pts = {t.code: t for t in pts}
        self._hlts = {t.code: t for t in hlts}
        self._hlgts = {t.code: t for t in hlgts}
        self._socs = {t.code: t for t in socs}
        paths_by_pt: dict[str, list[HierarchyPath]] = {}
        for path in paths:
            paths_by_pt.setdefault(path.pt_code, []).append(path)
        # primary path first, then a stable order
        self._paths = {
            pt: tuple(sorted(found, key=lambda p: (not p.primary, p.soc_code, p.hlt_code)))
            for pt, found in paths_by_pt.items()
        }
        llts_by_pt: dict[str, list[LowestLevelTerm]] = {}
        for llt in self._llts.values():
            llts_by_pt.setdefault(llt.pt_code, []).append(llt)
        self._llts_by_pt = {
            pt: tuple(sorted(found, key=lambda t: t.code)) for pt, found in llts_by_pt.items()
        }

    def __repr__(self) -> str:
        return (
            f"MedDRADictionary(version={self.version!r}, language={self.language!r}, "
            f"llts={len(self._llts)}, pts={len(self._pts)})"
        )

    # -- read-only views ------------------------------------------------------------------

    @property
    def llts(self) -> Mapping[str, LowestLevelTerm]:
        return MappingProxyType(self._llts)

    @property
    def pts(self) -> Mapping[str, PreferredTerm]:
        return MappingProxyType(self._pts)

    @property
    def hlts(self) -> Mapping[str, GroupingTerm]:
        return MappingProxyType(self._hlts)

    @property
    def hlgts(self) -> Mapping[str, GroupingTerm]:
        return MappingProxyType(self._hlgts)

    @property
    def socs(self) -> Mapping[str, SystemOrganClass]:
        return MappingProxyType(self._socs)

    # -- lookups (None when the code is not in this version) ----------------------------

    def llt(self, code: str) -> LowestLevelTerm | None:
        return self._llts.get(code)

    def pt(self, code: str) -> PreferredTerm | None:
        return self._pts.get(code)

    def hlt(self, code: str) -> GroupingTerm | None:
        return self._hlts.get(code)

    def hlgt(self, code: str) -> GroupingTerm | None:
        return self._hlgts.get(code)

    def soc(self, code: str) -> SystemOrganClass | None:
        return self._socs.get(code)

    def primary_soc(self, pt_code: str) -> SystemOrganClass | None:
        """The PT's primary SOC (``pt_soc_code`` of ``pt.asc``)."""
        pt = self._pts.get(pt_code)
        return None if pt is None else self._socs.get(pt.primary_soc_code)

    def paths(self, pt_code: str) -> tuple[HierarchyPath, ...]:
        """Every PT > HLT > HLGT > SOC path of the PT, the primary one first."""
        return self._paths.get(pt_code, ())

    def primary_path(self, pt_code: str) -> HierarchyPath | None:
        found = self._paths.get(pt_code, ())
        return found[0] if found and found[0].primary else None

    def llts_of(self, pt_code: str) -> tuple[LowestLevelTerm, ...]:
        """The PT's LLTs (current and non-current), by code."""
        return self._llts_by_pt.get(pt_code, ())

    def current_llt_for(self, pt_code: str) -> LowestLevelTerm | None:
        """The current LLT to use for a PT when a non-current one must be replaced.

        Preference: the PT-named LLT (same code as the PT, as MedDRA issues it), then a
        current LLT with the PT's name, then the current LLT with the lowest code.
        """
        pt = self._pts.get(pt_code)
        candidates = [t for t in self._llts_by_pt.get(pt_code, ()) if t.current]
        if pt is None or not candidates:
            return None
        for llt in candidates:
            if llt.code == pt.code:
                return llt
        pt_name = pt.name.casefold()
        for llt in candidates:
            if llt.name.casefold() == pt_name:
                return llt
        return candidates[0]
