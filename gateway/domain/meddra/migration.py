"""Version migration: an LLT that a new MedDRA version made non-current gets a current one.

MedDRA never deletes an LLT; a new version may mark it non-current (llt_currency = N) or
move it under another PT. Coded events are then recoded to a current LLT of the PT the
LLT now belongs to, and the rationale is kept with the case (DOMAIN.md section 1, step 5).
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.domain.meddra.dictionary import LowestLevelTerm, MedDRADictionary

__all__ = ["Remapping", "remap_noncurrent", "replacement_reason"]


@dataclass(frozen=True, slots=True)
class Remapping:
    #: the LLT as the new version has it (``current`` tells whether it was kept)
    old_llt: LowestLevelTerm
    #: the current LLT to code with in the new version (``old_llt`` itself if still current)
    new_llt: LowestLevelTerm
    #: the PT of both LLTs in the new version
    pt_code: str
    rationale: str
    to_version: str
    from_version: str | None = None
    #: the LLT's PT in the old version, when it differs from ``pt_code``
    previous_pt_code: str | None = None

    @property
    def changed(self) -> bool:
        return self.old_llt.code != self.new_llt.code

    @property
    def pt_changed(self) -> bool:
        return self.previous_pt_code is not None


def replacement_reason(dictionary: MedDRADictionary, llt: LowestLevelTerm) -> str:
    """Why ``current_llt_for`` chose ``llt`` for its PT, in words for the audit trail."""
    pt = dictionary.pt(llt.pt_code)
    if llt.code == llt.pt_code:
        return "the PT-named LLT"
    if pt is not None and llt.name.casefold() == pt.name.casefold():
        return "the LLT with the PT's name"
    return "the current LLT with the lowest code"


def remap_noncurrent(
    llt_code: str,
    new_dictionary: MedDRADictionary,
    *,
    old_dictionary: MedDRADictionary | None = None,
) -> Remapping:
    """Recode ``llt_code`` for ``new_dictionary``; raises ``LookupError`` when impossible."""
    version = new_dictionary.version
    llt = new_dictionary.llt(llt_code)
    if llt is None:
        raise LookupError(f"LLT {llt_code} is not in MedDRA {version}")
    pt = new_dictionary.pt(llt.pt_code)
    assert pt is not None  # the loader checks every LLT's PT exists
    before = old_dictionary.llt(llt_code) if old_dictionary is not None else None
    previous_pt = before.pt_code if before is not None and before.pt_code != llt.pt_code else None
    from_version = old_dictionary.version if old_dictionary is not None else None
    since = f" (from MedDRA {from_version})" if from_version else ""
    pt_note = ""
    if previous_pt is not None:
        assert old_dictionary is not None
        old_pt = old_dictionary.pt(previous_pt)
        old_name = old_pt.name if old_pt is not None else "?"
        pt_note = (
            f" The PT changed: in MedDRA {from_version} the LLT was under PT {previous_pt} "
            f"'{old_name}', in {version} it is under PT {pt.code} '{pt.name}'; the reported "
            "PT (and possibly SOC) changes, review the coding."
        )
    if llt.current:
        rationale = (
            f"LLT {llt.code} '{llt.name}' is current in MedDRA {version}{since}; "
            f"coding kept.{pt_note}"
        )
        return Remapping(llt, llt, pt.code, rationale, version, from_version, previous_pt)
    target = new_dictionary.current_llt_for(pt.code)
    if target is None:
        raise LookupError(
            f"LLT {llt.code} is non-current in MedDRA {version} and its PT {pt.code} "
            "has no current LLT"
        )
    rationale = (
        f"LLT {llt.code} '{llt.name}' is non-current in MedDRA {version}{since}; recoded to "
        f"current LLT {target.code} '{target.name}', "
        f"{replacement_reason(new_dictionary, target)} of the same PT {pt.code} "
        f"'{pt.name}'.{pt_note}"
    )
    return Remapping(llt, target, pt.code, rationale, version, from_version, previous_pt)
