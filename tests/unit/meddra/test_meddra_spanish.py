"""Coding against a Spanish distribution: same coder, Spanish names, same codes."""

from __future__ import annotations

import pytest

from gateway.domain.meddra import MedDRACoder, MedDRADictionary


@pytest.fixture(scope="module")
def spanish_coder(spanish: MedDRADictionary) -> MedDRACoder:
    return MedDRACoder(spanish)


@pytest.mark.parametrize(
    ("verbatim", "llt", "pt", "method"),
    [
        ("dolor de cabeza", "Dolor de cabeza", "Cefalea", "exact"),
        ("Cefalea", "Cefalea", "Cefalea", "exact"),
        ("náuseas", "Náuseas", "Náuseas", "exact"),
        ("nauseas", "Náuseas", "Náuseas", "normalised"),
        ("VOMITOS", "Vómitos", "Vómitos", "normalised"),
        ("erupcion cutanea", "Erupción cutánea", "Erupción cutánea", "normalised"),
        ("picor", "Picor", "Prurito", "exact"),
        ("mareo", "Mareo", "Mareo", "exact"),
        ("diarrea", "Diarrea", "Diarrea", "exact"),
        ("fiebre", "Fiebre", "Pirexia", "exact"),
        ("ronchas", "Ronchas", "Urticaria", "exact"),
        ("tension alta", "Tensión alta", "Hipertensión", "normalised"),
        ("cabeza dolor de", "Dolor de cabeza", "Cefalea", "normalised"),
    ],
)
def test_spanish_verbatim_codes_to_spanish_terms(
    spanish_coder: MedDRACoder, verbatim: str, llt: str, pt: str, method: str
) -> None:
    result = spanish_coder.code(verbatim)
    assert result is not None
    assert (result.llt_name, result.pt_name, result.method) == (llt, pt, method)
    assert not result.needs_review


def test_spanish_typo_is_coded_fuzzily(spanish_coder: MedDRACoder) -> None:
    result = spanish_coder.code("diarrhea")
    assert result is not None
    assert (result.llt_name, result.method, result.needs_review) == ("Diarrea", "fuzzy", True)


def test_spanish_and_english_share_codes(
    spanish_coder: MedDRACoder, english: MedDRADictionary
) -> None:
    result = spanish_coder.code("Dolor de cabeza")
    assert result is not None
    llt = english.llt(result.llt_code)
    assert llt is not None
    assert llt.name == "Head pain"
    assert result.soc_name == "Trastornos del sistema nervioso"
    assert result.version == "27.0"


def test_spanish_hypo_is_not_coded_as_hyper(spanish_coder: MedDRACoder) -> None:
    result = spanish_coder.code("hipotension")
    assert result is not None
    assert result.pt_name == "Hipotensión"
    assert spanish_coder.code("hipertensio") is not None
