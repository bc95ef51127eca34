"""A drug named in a reporter's form (web form, case API) gets from the catalogue what the
form cannot ask a reporter for: the active substances and the authorisation (G.k.3.1-3),
as free-text intake gives them. What the form says is never replaced."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from channels.parsing.web_form import icsr_from_web_form, parse_web_form
from gateway.domain.catalogue import ProductCatalogue
from gateway.domain.intake import IntakeReferences, assess, with_catalogue_details

RECEIVED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
EXAMPLOZOLE: dict[str, Any] = {
    "id": "own-examplozole",
    "brand_names": ["Examplozole"],
    "active_substances": ["Examprazole"],
    "own_product": True,
    "authorisation_numbers": ["EU/1/20/0001/001"],
    "authorisation_country": "EU",
    "authorisation_holder": "Example Pharma",
}
OTHER: dict[str, Any] = {"id": "other-1", "brand_names": ["Otherzole"], "active_substances": ["x"]}


def _form_icsr(product: str) -> Any:
    body = (
        '{"reporter": {"name": "Ana", "email": "ana@example.org", "qualification": "consumer"},'
        ' "patient": {"initials": "JD", "age": 54, "sex": "female"},'
        f' "products": [{{"name": "{product}"}}],'
        ' "reactions": [{"description": "rash"}]}'
    )
    return icsr_from_web_form(parse_web_form(body.encode()))


def test_a_form_drug_named_by_its_brand_gets_substance_and_authorisation() -> None:
    catalogue = ProductCatalogue.from_records([EXAMPLOZOLE, OTHER])

    assessment = assess(
        _form_icsr("Examplozole 20 mg"),
        channel="WEB_FORM",
        received_at=RECEIVED,
        refs=IntakeReferences(catalogue),
        from_form=True,
    )

    [drug] = assessment.icsr.drugs
    assert [s.name for s in drug.substances] == ["Examprazole"]
    assert (drug.authorisation_number, drug.authorisation_country) == ("EU/1/20/0001/001", "EU")
    assert drug.authorisation_holder == "Example Pharma"
    assert drug.name_as_reported == "Examplozole 20 mg"


def test_what_the_report_says_is_kept_and_an_unknown_or_ambiguous_name_changes_nothing() -> None:
    catalogue = ProductCatalogue.from_records([EXAMPLOZOLE, OTHER])
    own = _form_icsr("Examplozole")
    [drug] = own.drugs
    stated = replace(own, drugs=(replace(drug, authorisation_number="NL 12345"),))

    unknown = _form_icsr("Some other medicine")
    both = _form_icsr("Examplozole and Otherzole")

    assert len({m.product.id for m in catalogue.find_products(both.drugs[0].name_as_reported)}) == 2
    assert with_catalogue_details(stated, catalogue).drugs[0].authorisation_number == "NL 12345"
    assert with_catalogue_details(unknown, catalogue) == unknown
    assert with_catalogue_details(both, catalogue) == both


def test_without_from_form_a_structured_report_is_assessed_as_received() -> None:
    catalogue = ProductCatalogue.from_records([EXAMPLOZOLE])
    icsr = _form_icsr("Examplozole")

    assessment = assess(
        icsr, channel="E2B_FILE", received_at=RECEIVED, refs=IntakeReferences(catalogue)
    )

    assert assessment.icsr.drugs[0].authorisation_number is None
