"""Product catalogue: names, synonyms, misspellings, word boundaries, speed."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from gateway.domain.catalogue import NameKind, Product, ProductCatalogue, fold

OPENFDA = Path(__file__).resolve().parents[4] / "shared" / "text" / "openfda"


def ids(catalogue: ProductCatalogue, text: str) -> list[str]:
    return [m.product.id for m in catalogue.find_products(text)]


def test_brand_substance_and_synonym_names_match_case_insensitively(
    catalogue: ProductCatalogue,
) -> None:
    assert ids(catalogue, "I take ZOLOFT and Omeprazole") == ["sertraline", "omeprazole"]
    assert ids(catalogue, "le dieron paracetamol") == ["panadol"]


def test_accented_spanish_synonym_matches_with_or_without_accents(
    catalogue: ProductCatalogue,
) -> None:
    assert ids(catalogue, "tomó ácido tranexámico") == ["tranexamic-acid"]
    assert ids(catalogue, "tomo acido tranexamico") == ["tranexamic-acid"]


def test_span_points_at_the_words_as_written(catalogue: ProductCatalogue) -> None:
    text = "Since March she takes Lamotrigine 50mg."
    (match,) = catalogue.find_products(text)
    assert text[match.span[0] : match.span[1]] == "Lamotrigine"
    assert match.text == "Lamotrigine"
    assert match.exact


@pytest.mark.parametrize(
    ("text", "expected"),
    [("lamotrigene", "lamotrigine"), ("sertaline", "sertraline"), ("ibuprophen", "ibuprofen")],
)
def test_misspelt_names_of_six_letters_or_more_match_with_a_lower_score(
    catalogue: ProductCatalogue, text: str, expected: str
) -> None:
    (match,) = catalogue.find_products(f"she took {text} yesterday")
    assert match.product.id == expected
    assert 80 <= match.score < 100


def test_short_names_are_never_matched_fuzzily() -> None:
    catalogue = ProductCatalogue([Product(id="x", brand_names=("Zyx",))])
    assert catalogue.find_products("zyy and zxy") == []


def test_no_match_inside_another_word(catalogue: ProductCatalogue) -> None:
    assert ids(catalogue, "bioviagraphics, superatenololx and pre-atenolol") == ["atenolol"]
    catalogue2 = ProductCatalogue([Product(id="a", brand_names=("Air",))])
    assert catalogue2.find_products("hair repair chair") == []


def test_longest_multi_word_name_wins() -> None:
    catalogue = ProductCatalogue(
        [
            Product(id="plain", brand_names=("Respiflo",)),
            Product(id="inhaler", brand_names=("Respiflo Forte Inhaler",)),
        ]
    )
    (match,) = catalogue.find_products("my respiflo forte inhaler")
    assert match.product.id == "inhaler"
    assert match.matched_name == "Respiflo Forte Inhaler"


def test_brand_outranks_substance_and_others_are_alternatives() -> None:
    catalogue = ProductCatalogue(
        [
            Product(id="generic", active_substances=("Lisinopril",)),
            Product(id="brand", brand_names=("Lisinopril",)),
        ]
    )
    (match,) = catalogue.find_products("lisinopril")
    assert match.product.id == "brand"
    assert match.kind is NameKind.BRAND
    assert [p.id for p in match.alternatives] == ["generic"]


def test_salt_is_optional_in_substance_names() -> None:
    catalogue = ProductCatalogue([Product(id="s", active_substances=("Sertraline Hydrochloride",))])
    assert [m.product.id for m in catalogue.find_products("sertraline")] == ["s"]


def test_records_round_trip_and_bad_records_are_refused() -> None:
    product = Product(
        id="own-x", brand_names=("Xeno",), own_product=True, listed_events=("Nausea",)
    )
    again = ProductCatalogue.from_records([product.to_record()])
    assert again.get("own-x") == product
    assert again.own_products() == (product,)
    assert product.lists_event("nausea")
    with pytest.raises(ValueError, match="no name"):
        ProductCatalogue.from_records([{"id": "empty"}])
    with pytest.raises(ValueError, match="duplicate"):
        ProductCatalogue.from_records(
            [{"id": "a", "synonyms": "x1"}, {"id": "a", "synonyms": "x2"}]
        )


def test_openfda_harmonized_records_merge_repackagers() -> None:
    record = {
        "product_type": "HUMAN PRESCRIPTION DRUG",
        "brand_name": "Lisinopril",
        "substance_name": "LISINOPRIL",
        "application_number": "ANDA1",
        "route": "ORAL",
        "spl_set_id": "s1",
        "manufacturer_name": "Maker",
    }
    other = record | {"application_number": "ANDA2", "spl_set_id": "s2"}
    catalogue = ProductCatalogue.from_openfda_harmonized({"results": [record, other]})
    (product,) = catalogue.products
    assert product.authorisation_numbers == ("ANDA1", "ANDA2")
    assert product.routes == ("ORAL",)


@pytest.mark.skipif(not (OPENFDA / "harmonized.small.json").exists(), reason="no openFDA data")
def test_full_openfda_catalogue_scans_a_message_in_under_a_millisecond() -> None:
    with (OPENFDA / "harmonized.small.json").open(encoding="utf-8") as handle:
        records = [json.loads(line) for line in handle if line.strip()]
    catalogue = ProductCatalogue.from_openfda_harmonized(records)
    assert catalogue.name_count() > 500
    text = "My mother started lamotrigene and sertraline last week, then got a rash. " * 3
    catalogue.find_products(text)
    start = time.perf_counter()
    for _ in range(200):
        catalogue.find_products(text)
    assert (time.perf_counter() - start) / 200 < 0.001


def test_fold_keeps_offsets() -> None:
    text = "Ácido ÑANDÚ"
    assert fold(text) == "acido nandu"
    assert len(fold(text)) == len(text)
