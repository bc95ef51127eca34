"""Version migration: LLTs that 27.1 made non-current are recoded with a rationale."""

from __future__ import annotations

import pytest

from gateway.domain.meddra import MedDRACoder, MedDRADictionary, remap_noncurrent


def _code_of(dictionary: MedDRADictionary, name: str) -> str:
    return next(t.code for t in dictionary.llts.values() if t.name == name)


def test_llt_made_non_current_is_remapped_within_its_pt(
    coder: MedDRACoder, english: MedDRADictionary, english_v2: MedDRADictionary
) -> None:
    cephalgia = _code_of(english, "Cephalgia")
    remapping = coder.remap_noncurrent(cephalgia, english_v2)
    assert remapping.changed
    assert not remapping.pt_changed
    assert (remapping.old_llt.code, remapping.old_llt.current) == (cephalgia, False)
    assert remapping.new_llt.name == "Headache"
    assert remapping.new_llt.current
    assert remapping.pt_code == remapping.new_llt.pt_code == remapping.old_llt.pt_code
    assert (remapping.from_version, remapping.to_version) == ("27.0", "27.1")
    assert remapping.rationale == (
        f"LLT {cephalgia} 'Cephalgia' is non-current in MedDRA 27.1 (from MedDRA 27.0); "
        f"recoded to current LLT {remapping.new_llt.code} 'Headache', the PT-named LLT of "
        f"the same PT {remapping.pt_code} 'Headache'."
    )


def test_llt_moved_to_another_pt_says_the_pt_changed(
    coder: MedDRACoder, english: MedDRADictionary, english_v2: MedDRADictionary
) -> None:
    heartburn = _code_of(english, "Heartburn")
    remapping = coder.remap_noncurrent(heartburn, english_v2)
    assert remapping.pt_changed
    dyspepsia = english.pt(remapping.previous_pt_code or "")
    assert dyspepsia is not None
    assert dyspepsia.name == "Dyspepsia"
    assert remapping.new_llt.name == "Gastrooesophageal reflux disease"
    assert "The PT changed" in remapping.rationale
    assert "'Dyspepsia'" in remapping.rationale
    assert "review the coding" in remapping.rationale


def test_current_llt_whose_pt_changed_is_kept_with_a_warning(
    coder: MedDRACoder, english: MedDRADictionary, english_v2: MedDRADictionary
) -> None:
    tightness = _code_of(english, "Chest tightness")
    remapping = coder.remap_noncurrent(tightness, english_v2)
    assert not remapping.changed
    assert remapping.pt_changed
    assert "is current in MedDRA 27.1" in remapping.rationale
    assert "coding kept" in remapping.rationale
    assert "The PT changed" in remapping.rationale


def test_unchanged_llt_is_kept(coder: MedDRACoder, english_v2: MedDRADictionary) -> None:
    hives = _code_of(english_v2, "Hives")
    remapping = coder.remap_noncurrent(hives, english_v2)
    assert not remapping.changed
    assert not remapping.pt_changed
    assert remapping.new_llt == remapping.old_llt


def test_remap_without_the_old_version_still_explains(english_v2: MedDRADictionary) -> None:
    remapping = remap_noncurrent(_code_of(english_v2, "Fainting"), english_v2)
    assert remapping.new_llt.name == "Syncope"
    assert remapping.from_version is None
    assert "non-current in MedDRA 27.1; recoded" in remapping.rationale


def test_unknown_llt_cannot_be_remapped(english_v2: MedDRADictionary) -> None:
    with pytest.raises(LookupError, match=r"LLT 99999999 is not in MedDRA 27\.1"):
        remap_noncurrent("99999999", english_v2)


def test_coding_with_the_new_version_avoids_the_retired_llt(
    english_v2: MedDRADictionary,
) -> None:
    result = MedDRACoder(english_v2).code("giddiness")
    assert result is not None
    assert result.llt_name == "Dizziness"
    assert result.remapped_from == _code_of(english_v2, "Giddiness")
    assert result.version == "27.1"
