"""Coding verbatim text: exact, normalised and fuzzy matches, scores, review flags."""

from __future__ import annotations

import pytest

from gateway.domain.meddra import CodingResult, MedDRACoder, MedDRADictionary, parse_distribution
from gateway.domain.values import MedDRATerm


def _code(coder: MedDRACoder, verbatim: str) -> CodingResult:
    result = coder.code(verbatim)
    assert result is not None, f"{verbatim!r} was not coded"
    return result


def test_exact_match_ignores_case_and_surrounding_space(coder: MedDRACoder) -> None:
    result = _code(coder, "  HEADACHE ")
    assert (result.llt_name, result.pt_name) == ("Headache", "Headache")
    assert (result.method, result.score, result.needs_review) == ("exact", 100.0, False)
    assert result.verbatim == "  HEADACHE "
    assert result.remapped_from is None
    assert result.note == ""


@pytest.mark.parametrize(
    ("verbatim", "llt", "pt"),
    [
        ("tummy ache", "Tummy ache", "Abdominal pain"),
        ("throwing up", "Throwing up", "Vomiting"),
        ("hives", "Hives", "Urticaria"),
        ("itching", "Itching", "Pruritus"),
        ("short of breath", "Short of breath", "Dyspnoea"),
        ("passed out", "Passed out", "Syncope"),
        ("fit", "Fit", "Seizure"),
        ("high blood pressure", "High blood pressure", "Hypertension"),
        ("renal failure acute", "Renal failure acute", "Acute kidney injury"),
    ],
)
def test_lay_terms_code_to_their_own_llt_under_the_medical_pt(
    coder: MedDRACoder, verbatim: str, llt: str, pt: str
) -> None:
    result = _code(coder, verbatim)
    assert (result.llt_name, result.pt_name, result.method) == (llt, pt, "exact")


def test_result_carries_llt_pt_and_primary_soc(
    coder: MedDRACoder, english: MedDRADictionary
) -> None:
    result = _code(coder, "Yellow skin")
    llt = english.llt(result.llt_code)
    assert llt is not None
    assert llt.pt_code == result.pt_code
    soc = english.primary_soc(result.pt_code)
    assert soc is not None
    assert (result.pt_name, result.soc_code, result.soc_name) == (
        "Jaundice",
        soc.code,
        "Hepatobiliary disorders",
    )
    assert result.version == "27.0"
    assert result.term == MedDRATerm(version="27.0", code=result.llt_code)


def test_multiaxial_pt_reports_its_primary_soc(coder: MedDRACoder) -> None:
    assert _code(coder, "hepatitis").soc_name == "Hepatobiliary disorders"


@pytest.mark.parametrize(
    ("verbatim", "llt"),
    [
        ("Diarrhea", "Diarrhoea"),
        ("anemia", "Anaemia"),
        ("leukemia", "Leukaemia"),
        ("hemorrhage", "Haemorrhage"),
        ("esophagitis", "Oesophagitis"),
        ("tumor", "Tumour"),
        ("hypoglycemia", "Hypoglycaemia"),
        ("dyspnea", "Dyspnoea"),
        ("edema peripheral", "Oedema peripheral"),
        ("rash generalized", "Rash generalised"),
        ("off-label use in pediatric patients", "Off label use in paediatric patient"),
    ],
)
def test_american_spelling_matches_the_british_name(
    coder: MedDRACoder, verbatim: str, llt: str
) -> None:
    result = _code(coder, verbatim)
    assert (result.llt_name, result.method, result.score) == (llt, "normalised", 98.0)
    assert not result.needs_review


@pytest.mark.parametrize(
    ("verbatim", "llt"),
    [
        ("Headaches", "Headache"),
        ("rashes", "Rash"),
        ("allergies", "Allergy"),
        ("bruises", "Bruise"),
        ("Skin-rash!", "Skin rash"),
        ("tummy   ache.", "Tummy ache"),
        ("Hot flush NOS", "Hot flush"),
    ],
)
def test_plurals_punctuation_and_spacing_are_normalised(
    coder: MedDRACoder, verbatim: str, llt: str
) -> None:
    result = _code(coder, verbatim)
    assert (result.llt_name, result.method) == (llt, "normalised")


@pytest.mark.parametrize(
    ("verbatim", "llt"),
    [
        ("pain abdominal", "Abdominal pain"),
        ("increased weight", "Weight increased"),
        ("peripheral edema", "Peripheral oedema"),
        ("generalized rashes", "Generalised rash"),
    ],
)
def test_word_order_matches_with_a_lower_score(coder: MedDRACoder, verbatim: str, llt: str) -> None:
    result = _code(coder, verbatim)
    assert result.llt_name == llt
    assert result.method == "normalised"
    assert result.score in (96.0, 98.0)
    assert not result.needs_review


def test_reordered_words_score_below_same_order(coder: MedDRACoder) -> None:
    assert _code(coder, "pain abdominal").score == 96.0
    assert _code(coder, "abdominal pains").score == 98.0


@pytest.mark.parametrize(
    ("verbatim", "llt"),
    [
        ("headahce", "Headache"),
        ("diarea", "Diarrhoea"),
        ("vomitting", "Vomiting"),
        ("dizzyness", "Dizziness"),
        ("hypertenson", "Hypertension"),
        ("chest pian", "Chest pain"),
        ("stomache ache", "Stomach ache"),
        ("weight decresed", "Weight decreased"),
    ],
)
def test_typos_are_coded_fuzzily_and_always_need_review(
    coder: MedDRACoder, verbatim: str, llt: str
) -> None:
    result = _code(coder, verbatim)
    assert (result.llt_name, result.method) == (llt, "fuzzy")
    assert 88 <= result.score < 100
    assert result.needs_review


def test_fuzzy_scores_reflect_closeness(coder: MedDRACoder) -> None:
    assert _code(coder, "headahce").score == pytest.approx(90.6)
    assert _code(coder, "diarea").score == pytest.approx(92.9)
    assert _code(coder, "vomitting").score > _code(coder, "headahce").score


@pytest.mark.parametrize("verbatim", ["", "   ", "!!!", "xyzzy", "i think it was the weather"])
def test_nothing_close_enough_gives_none(coder: MedDRACoder, verbatim: str) -> None:
    assert coder.code(verbatim) is None


def test_a_stricter_fuzzy_threshold_refuses_weak_typos(english: MedDRADictionary) -> None:
    strict = MedDRACoder(english, fuzzy_threshold=95)
    assert strict.code("headahce") is None
    assert _code(strict, "vomitting").llt_name == "Vomiting"


def test_review_threshold_above_a_tier_score_flags_it(english: MedDRADictionary) -> None:
    cautious = MedDRACoder(english, review_threshold=97)
    assert _code(cautious, "pain abdominal").needs_review  # 96 < 97
    assert not _code(cautious, "Diarrhea").needs_review  # 98


@pytest.mark.parametrize("setting", ["fuzzy_threshold", "review_threshold"])
def test_thresholds_outside_0_to_100_are_refused(english: MedDRADictionary, setting: str) -> None:
    with pytest.raises(ValueError, match=rf"{setting} must be between 0 and 100, got 101"):
        MedDRACoder(english, **{setting: 101})


# -- currency ---------------------------------------------------------------------------


def test_non_current_llt_is_replaced_by_the_pt_named_llt(
    coder: MedDRACoder, english: MedDRADictionary
) -> None:
    result = _code(coder, "Head ache")
    matched = english.llt(result.remapped_from or "")
    assert matched is not None
    assert (matched.name, matched.current) == ("Head ache", False)
    assert (result.llt_name, result.llt_code, result.pt_name) == (
        "Headache",
        result.pt_code,
        "Headache",
    )
    assert result.method == "exact"
    assert "non-current LLT" in result.note
    assert "the PT-named LLT of the same PT" in result.note


def test_only_current_llts_are_ever_returned(coder: MedDRACoder, english: MedDRADictionary) -> None:
    for llt in english.llts.values():
        result = _code(coder, llt.name)
        coded = english.llt(result.llt_code)
        assert coded is not None
        assert coded.current, llt.name
        assert coded.pt_code == llt.pt_code
        assert (result.remapped_from is not None) == (not llt.current)


def test_non_current_replacement_falls_back_to_lowest_current_code(
    tiny_files: dict[str, list[str]],
) -> None:
    coder = MedDRACoder(parse_distribution(tiny_files))
    result = _code(coder, "shaking")
    assert (result.llt_code, result.remapped_from) == ("90002002", "90002001")
    assert "the current LLT with the lowest code" in result.note


def test_pt_without_any_current_llt_cannot_be_coded(tiny_files: dict[str, list[str]]) -> None:
    tiny_files["llt.asc"] = [line.replace("$Y$$", "$N$$") for line in tiny_files["llt.asc"]]
    coder = MedDRACoder(parse_distribution(tiny_files))
    assert coder.code("tremor") is None
    assert coder.code("low blood sugar") is None


# -- safety of normalised and fuzzy matches ---------------------------------------------


def test_fuzzy_never_flips_hyper_to_hypo(tiny_files: dict[str, list[str]]) -> None:
    """'hyperglycaemia' is 88% like 'hypoglycaemia' by edit ratio: refused all the same."""
    coder = MedDRACoder(parse_distribution(tiny_files), fuzzy_threshold=80)
    assert coder.code("hyperglycaemia") is None
    assert _code(coder, "hypoglycemai").llt_name == "Hypoglycaemia"


def test_fuzzy_never_flips_increased_to_decreased(coder: MedDRACoder) -> None:
    result = coder.code("weight decresed")
    assert result is not None
    assert result.llt_name == "Weight decreased"
    assert coder.code("blood pressure decreased") is None


def test_one_name_under_two_pts_is_flagged_ambiguous(tiny_files: dict[str, list[str]]) -> None:
    tiny_files["llt.asc"].append("90002004$Low blood sugars$90002000$$$$$$$Y$$")
    coder = MedDRACoder(parse_distribution(tiny_files))
    result = _code(coder, "low blood sugar")
    assert result.method == "exact"
    assert result.llt_code == "90001001"  # the exact name wins outright
    plural = _code(coder, "low blood-sugar")
    assert plural.method == "normalised"
    assert plural.score == 88.0
    assert plural.needs_review
    assert "ambiguous" in plural.note
    assert "90001000, 90002000" in plural.note
