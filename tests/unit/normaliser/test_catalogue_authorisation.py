"""G.k.3.1 (authorisation number) travels with G.k.3.2 (its country), or not at all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.normaliser import ChannelContext, normalise

TEXT = "My patient developed a rash after starting Examplozole 20 mg daily."


def _record(**extra: Any) -> dict[str, Any]:
    return {
        "id": "own-examplozole",
        "brand_names": ["Examplozole"],
        "active_substances": ["Examprazole"],
        "own_product": True,
        "authorisation_numbers": ["EU/1/20/0001/001"],
        **extra,
    }


def _drug_of(catalogue: ProductCatalogue) -> Any:
    context = ChannelContext(
        channel="EMAIL", received_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC), sender_address=None
    )
    icsr = normalise(TEXT, channel=context, catalogue=catalogue).to_icsr(
        received_at=context.received_at
    )
    [drug] = icsr.drugs
    return drug


def test_a_catalogue_product_with_its_authorisation_country_gives_number_and_country() -> None:
    drug = _drug_of(ProductCatalogue.from_records([_record(authorisation_country="eu")]))

    assert (drug.authorisation_number, drug.authorisation_country) == ("EU/1/20/0001/001", "EU")


def test_an_authorisation_number_without_a_known_country_is_left_out() -> None:
    drug = _drug_of(ProductCatalogue.from_records([_record()]))

    assert (drug.authorisation_number, drug.authorisation_country) == (None, None)


def test_the_authorisation_country_survives_the_record_round_trip() -> None:
    [product] = ProductCatalogue.from_records([_record(authorisation_country="EU")]).products

    again = ProductCatalogue.from_records([product.to_record()]).products[0]

    assert again.authorisation() == ("EU/1/20/0001/001", "EU")


def test_openfda_labels_carry_us_application_numbers() -> None:
    catalogue = ProductCatalogue.from_openfda_harmonized(
        [
            {
                "brand_name": "Zentravia",
                "substance_name": "ZENTRAVIUM",
                "application_number": "NDA012345",
                "product_type": "HUMAN PRESCRIPTION DRUG",
            }
        ]
    )

    [product] = catalogue.products
    assert product.authorisation() == ("NDA012345", "US")
