"""Products in a report: role, dose, frequency, route."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from gateway.domain.codes import DrugRole
from gateway.domain.normaliser import Draft
from gateway.domain.values import Quantity

Normalise = Callable[..., Draft]


def test_dose_frequency_and_route_next_to_the_name(read: Normalise) -> None:
    text = "She takes lamotrigine 500mg twice a day by mouth and had a rash."
    (product,) = read(text).products
    assert product.dose is not None
    assert product.dose.value == Quantity(value=Decimal(500), unit="mg")
    assert product.dosage_text is not None
    assert product.dosage_text.value == "500mg twice a day"
    assert product.frequency is not None
    assert product.frequency.value == Quantity(value=Decimal(12), unit="h")
    assert product.route is not None
    assert product.route.value == "Oral"


def test_tablets_count_as_dose_form_units_in_spanish(read: Normalise) -> None:
    (product,) = read("Tomo dos comprimidos de ibuprofeno al día, vía oral.").products
    assert product.dose is not None
    assert product.dose.value == Quantity(value=Decimal(2), unit="{DF}")
    assert product.route is not None
    assert product.route.value == "Oral"


def test_products_are_suspect_unless_placed_among_other_medication(read: Normalise) -> None:
    draft = read("Rash after amoxicillin. She also takes omeprazole 20 mg daily.")
    roles = {p.product.id: p.role.value for p in draft.products}
    assert roles == {"amoxicillin": DrugRole.SUSPECT, "omeprazole": DrugRole.CONCOMITANT}
    assert draft.products[0].role.derived
    draft = read("Con la quetiapina está somnolienta. Además toma atenolol.")
    assert {p.product.id: p.role.value for p in draft.products}["atenolol"] is (
        DrugRole.CONCOMITANT
    )


def test_concomitant_list_heading(read: Normalise) -> None:
    draft = read("Myalgia on simvastatin.\nConcomitant medication: lisinopril, aspirin.")
    assert [p.product.id for p in draft.suspect_products] == ["simvastatin"]


def test_each_product_once_with_the_first_mention(read: Normalise) -> None:
    draft = read("Sertraline gave me nausea. I stopped the sertraline on 3 March.")
    (product,) = draft.products
    assert product.name.span == (0, 10)
    assert product.end is not None
